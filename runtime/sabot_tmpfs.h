/* The host directory behind the sandbox's tmpfs mounts (runtime/tmpfs_dir.c). */
#ifndef SABOT_TMPFS_H
#define SABOT_TMPFS_H

struct libos_manifest;

/* Creates the run's directory (and a subdirectory for each tmpfs mount of
 * m and for /dev/shm), takes the run's lock on it and starts the watcher
 * that removes it after the run's last process. Removes dead runs' leftovers
 * first. Returns its host path (malloc'd), or NULL after a warning: the
 * libos then keeps tmpfs in memory, per process. */
char *sabot_tmpfs_dir_create(const struct libos_manifest *m);

#endif
