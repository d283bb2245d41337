#ifndef ESTUARY_CPSL_SHIM_H
#define ESTUARY_CPSL_SHIM_H
#include <libpsl.h>
#endif
