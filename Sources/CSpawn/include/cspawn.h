// glibc extensions that Swift's Glibc module does not show (they need _GNU_SOURCE).
#ifndef SEPIA_CSPAWN_H
#define SEPIA_CSPAWN_H
#include <spawn.h>

/// pipe2(fds, O_CLOEXEC): both ends close-on-exec, made in one step.
int sepia_pipe_cloexec(int fds[2]);
/// The spawned program closes every descriptor from `low` up before it starts.
int sepia_spawn_closefrom(posix_spawn_file_actions_t *actions, int low);
#endif
