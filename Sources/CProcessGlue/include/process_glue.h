#ifndef MEDSYNTH_PROCESS_GLUE_H
#define MEDSYNTH_PROCESS_GLUE_H
#include <sys/types.h>

/// posix_spawn of `path` with `argv` and `envp`, every descriptor from 3 up closed in the child at the spawn
/// (glibc's posix_spawn_file_actions_addclosefrom_np, which Swift's Glibc module does not show). Returns 0 and sets
/// *pid, or an errno value.
int ms_spawn_closing_descriptors(pid_t *pid, const char *path, char *const argv[], char *const envp[]);

#endif
