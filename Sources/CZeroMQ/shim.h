// ZeroMQ 4.3 (no draft API).
#ifndef SEPIA_CZEROMQ_SHIM_H
#define SEPIA_CZEROMQ_SHIM_H
#include <errno.h>
#include <zmq.h>
// errno is a macro over a thread-local; read it in C.
static inline int sepia_zmq_errno(void) { return zmq_errno(); }
#endif
