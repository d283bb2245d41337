#ifndef ESTUARY_CCURL_SHIM_H
#define ESTUARY_CCURL_SHIM_H
#include <curl/curl.h>
#endif
