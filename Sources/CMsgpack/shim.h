// msgpack-c 4.0 (the C part only).
#ifndef SEPIA_CMSGPACK_SHIM_H
#define SEPIA_CMSGPACK_SHIM_H
#include <msgpack.h>
#endif
