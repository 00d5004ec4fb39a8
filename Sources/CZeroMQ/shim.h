// ZeroMQ 4.3 (no draft API).
#ifndef SEPIA_CZEROMQ_SHIM_H
#define SEPIA_CZEROMQ_SHIM_H
#include <errno.h>
#include <zmq.h>
// errno is a macro over a thread-local; read it in C.
static inline int sepia_zmq_errno(void) { return zmq_errno(); }
// An eventfd wakes a thread blocked in zmq_poll (sys/eventfd.h is not in Swift's Glibc).
#include <sys/eventfd.h>
#include <unistd.h>
static inline int sepia_eventfd(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }
static inline void sepia_eventfd_signal(int fd) { uint64_t one = 1; (void)!write(fd, &one, 8); }
static inline void sepia_eventfd_drain(int fd) { uint64_t v; (void)!read(fd, &v, 8); }
#endif
