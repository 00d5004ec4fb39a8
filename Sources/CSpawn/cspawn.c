#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include "cspawn.h"

int sepia_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int sepia_spawn_closefrom(posix_spawn_file_actions_t *actions, int low) {
    return posix_spawn_file_actions_addclosefrom_np(actions, low);
}
