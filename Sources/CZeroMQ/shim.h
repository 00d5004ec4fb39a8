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
// Byte accounting for messages handed to libzmq: a message made by
// sepia_msg_init_accounted charges its size to an account (and the account's ledger) until
// libzmq frees it, i.e. until its bytes are written to the kernel or the message is dropped.
// libzmq calls the free function on its I/O thread, so the counters are atomic; accounts and
// ledgers are reference-counted so that a message freed late never touches freed memory.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
typedef struct sepia_byte_ledger { int64_t bytes; int64_t refs; } sepia_byte_ledger;
typedef struct sepia_byte_account { int64_t bytes; int64_t refs; sepia_byte_ledger *ledger; } sepia_byte_account;
typedef struct sepia_accounted_header { sepia_byte_account *account; int64_t size; } sepia_accounted_header;

static inline sepia_byte_ledger *sepia_ledger_new(void) {
    sepia_byte_ledger *l = calloc(1, sizeof(*l));
    if (l) l->refs = 1;
    return l;
}
static inline void sepia_ledger_release(sepia_byte_ledger *l) {
    if (__atomic_sub_fetch(&l->refs, 1, __ATOMIC_ACQ_REL) == 0) free(l);
}
static inline int64_t sepia_ledger_bytes(const sepia_byte_ledger *l) { return __atomic_load_n(&l->bytes, __ATOMIC_ACQUIRE); }
static inline sepia_byte_account *sepia_account_new(sepia_byte_ledger *l) {
    sepia_byte_account *a = calloc(1, sizeof(*a));
    if (!a) return NULL;
    a->refs = 1;
    a->ledger = l;
    __atomic_add_fetch(&l->refs, 1, __ATOMIC_RELAXED);
    return a;
}
static inline void sepia_account_release(sepia_byte_account *a) {
    if (__atomic_sub_fetch(&a->refs, 1, __ATOMIC_ACQ_REL) == 0) {
        sepia_ledger_release(a->ledger);
        free(a);
    }
}
static inline int64_t sepia_account_bytes(const sepia_byte_account *a) { return __atomic_load_n(&a->bytes, __ATOMIC_ACQUIRE); }
static inline void sepia_accounted_free(void *data, void *hint) {
    (void)data;
    sepia_accounted_header *h = hint;
    sepia_byte_account *a = h->account;
    __atomic_sub_fetch(&a->ledger->bytes, h->size, __ATOMIC_RELEASE);
    __atomic_sub_fetch(&a->bytes, h->size, __ATOMIC_RELEASE);
    free(h);
    sepia_account_release(a);
}
// Copies `size` bytes into a message charged to `account`; -1 (errno ENOMEM) when out of memory.
static inline int sepia_msg_init_accounted(zmq_msg_t *msg, const void *src, size_t size, sepia_byte_account *account) {
    sepia_accounted_header *h = malloc(sizeof(*h) + (size ? size : 1));
    if (!h) { errno = ENOMEM; return -1; }
    if (size) memcpy(h + 1, src, size);
    h->account = account;
    h->size = (int64_t)size;
    __atomic_add_fetch(&account->refs, 1, __ATOMIC_RELAXED);
    __atomic_add_fetch(&account->ledger->bytes, h->size, __ATOMIC_RELAXED);
    __atomic_add_fetch(&account->bytes, h->size, __ATOMIC_RELAXED);
    int rc = zmq_msg_init_data(msg, h + 1, size, sepia_accounted_free, h);
    if (rc != 0) sepia_accounted_free(h + 1, h);
    return rc;
}
#endif
