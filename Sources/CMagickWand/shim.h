// MagickWand 6 (Q16, non-HDRI). SwiftPM drops the -D flags from pkg-config, so they are set
// here, and the glibc headers come first or clean builds fail on an fd_set conflict.
#ifndef SEPIA_CMAGICKWAND_SHIM_H
#define SEPIA_CMAGICKWAND_SHIM_H
#include <sys/types.h>
#include <sys/select.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdarg.h>
#include <time.h>
#ifndef MAGICKCORE_QUANTUM_DEPTH
#define MAGICKCORE_QUANTUM_DEPTH 16
#endif
#ifndef MAGICKCORE_HDRI_ENABLE
#define MAGICKCORE_HDRI_ENABLE 0
#endif
#include <wand/MagickWand.h>
#endif
