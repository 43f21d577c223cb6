/* The checkpoint/restore fork (libos/sys/checkpoint.c). */
#ifndef SABOT_LIBOS_CHECKPOINT_H
#define SABOT_LIBOS_CHECKPOINT_H

#include "libos.h"

struct libos_file;

/* What fork/clone asked for the child's first instant. */
struct ck_fork_args {
    uint64_t newsp;        /* 0: the parent's rsp */
    bool set_tls;          /* CLONE_SETTLS */
    uint64_t tls;          /* the child's FS base then */
    void *clear_child_tid; /* CLONE_CHILD_CLEARTID */
    int *set_child_tid;    /* CLONE_CHILD_SETTID: the child writes its tid */
};

/* Parent: start a new instance (pal_process_create) and send it
 * everything; it becomes child_pid. Returns 0 with *stream to the running
 * child, or a negative errno (the child is then gone). */
long libos_checkpoint_fork(uint32_t child_pid, const struct ck_fork_args *a, pal_handle_t **stream);
/* Child: rebuild from boot->parent_stream and resume the app. */
__attribute__((noreturn)) void libos_restore(const struct pal_boot_info *boot);

/* Shared with init.c: parse the manifest and set up the subsystems. */
void libos_init_instance(const char *manifest, size_t size, const char *name);
extern const char *g_manifest_text; /* what it parsed, for our own forks */
extern size_t g_manifest_text_size;

/* Start running c on this host thread (libos/context.S). */
__attribute__((noreturn)) void libos_context_jump(const struct pal_context *c, const void *fxsave);

/* Fork support of other parts. */
void libos_brk_get(uint64_t *start, uint64_t *cur, uint64_t *max);
void libos_brk_set(uint64_t start, uint64_t cur, uint64_t max);
uint64_t libos_vdso_base(void);
void libos_vdso_restore(uint64_t base);
int libos_fd_next_used(int from); /* first open fd >= from, or -1 */
/* memfd_create files: their seals, and a file for a memfd handle. */
uint32_t libos_memfd_file_seals(struct libos_file *f);
long libos_memfd_file_from_handle(pal_handle_t *h, uint32_t seals, struct libos_file **out);
/* Sockets: their libos state as bytes (0 if f is no socket), and a
 * socket file rebuilt from a handle and those bytes. */
#define LIBOS_CKPT_STATE_MAX 512
size_t libos_socket_ckpt_state(struct libos_file *f, void *buf, size_t size);
long libos_socket_ckpt_restore(pal_handle_t *h, const void *state, size_t len, int flags,
                               struct libos_file **out);
/* A libos file for a pipe or socket handle (as received by SCM_RIGHTS). */
struct libos_file *libos_file_from_handle(pal_handle_t *h);
/* Child side of a restored fork: its identity and the parent stream. */
void libos_proc_restored(uint32_t pid, uint32_t ppid, pal_handle_t *parent);

#endif
