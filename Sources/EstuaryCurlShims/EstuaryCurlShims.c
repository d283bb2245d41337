// The wrappers are static inline in the header; SwiftPM needs one source file.
#include "EstuaryCurlShims.h"
