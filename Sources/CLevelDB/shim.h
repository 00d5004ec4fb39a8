// LevelDB's C API (no pkg-config file on Debian 12).
#ifndef SEPIA_CLEVELDB_SHIM_H
#define SEPIA_CLEVELDB_SHIM_H
#include <stddef.h>
#include <stdint.h>
#include <leveldb/c.h>
#endif
