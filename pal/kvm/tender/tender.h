/* The KVM PAL's tender: the host process that creates the VM, loads the
 * guest image (guest PAL + libos + shim), and serves its hypercalls under
 * the manifest's policy. Hosted (glibc). */
#ifndef SABOT_KVM_TENDER_H
#define SABOT_KVM_TENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct kvm_tender_config {
    const char *manifest; /* TOML text */
    size_t manifest_size;
    const char *manifest_name;
    const char *const *argv; /* NULL-ended */
    const char *exec_path;   /* or NULL */
    const char *const *envp;
    const char *host_cwd;
    int log_fd;
    int trace_fd; /* -1: off */
    int log_level;
    uint64_t mem_size; /* guest memory; 0: limits.memory or the default */
    const void *image; /* guest ELF; NULL: the one built into the tender */
    size_t image_size;
    bool no_confine;      /* tests that poke the tender after set-up */
    int gdb_port;         /* > 0: wait for gdb on 127.0.0.1:gdb_port (gdbstub.c) */
    bool syscall_rewrite; /* pal.syscall_rewrite: the guest rewrites syscall sites */
    int landlock_fd; /* > 2: Landlock ruleset the tender restricts itself to (runtime/sandbox.c) */
};

/* Runs the guest to its end. Returns 0 with the guest's exit status in
 * *status, or -errno with a message in err (no VM, bad image, ...). */
int kvm_tender_run(const struct kvm_tender_config *cfg, int *status, char *err, size_t err_size);

/* ------------------------------------------------ internals (tender/) */
#include <pthread.h>

#include "kvm_abi.h"

enum { VCPU_UNUSED, VCPU_RESERVED, VCPU_RUNNING, VCPU_IDLE };

/* One vCPU and the tender thread that runs it. */
struct kvm_vcpu {
    int slot, fd, efd; /* efd: eventfd that ends this vCPU's tender waits */
    struct kvm_run *run;
    pthread_t thread;
    bool has_thread;
    bool cpuid_set;
    uint64_t xcr0;
    int state;                       /* VCPU_*, under the VM lock */
    uint64_t hc_gpa;                 /* its hypercall page */
    int interrupt, flush;            /* pending redirects (atomics) */
    int in_run;                      /* in KVM_RUN (running guest code) */
    uint64_t wait_gpa[KVM_WAIT_MAX]; /* words it sleeps on, under g_wait_lock */
    int nwait;
    /* its request ring (ring.c): entries are served under ring_lock;
     * ring_next is the tender's own count of served entries */
    pthread_mutex_t ring_lock;
    uint32_t ring_next, ring_deferred; /* deferred: seq + 1 the server left */
};

struct kvm_vm {
    int kvm_fd, vm_fd;
    uint8_t *mem; /* guest physical memory */
    uint64_t mem_size;
    uint64_t free_start;
    uint64_t entry;
    uint64_t strings_used;
    /* image symbols */
    uint64_t sym_cpl0_top, sym_idt_stubs, sym_exc_user, sym_thread_entry, sym_tcbs, sym_tss;
    uint64_t tsc_khz;
    pthread_mutex_t lock;
    pthread_cond_t cv; /* vCPU state changes, exit */
    /* shared memory slots above RAM (KVM_HC_SHMAP), kept across fork;
     * size 0: a free entry (KVM_HC_SHUNMAP); shm_count: entries used so far */
    struct kvm_shm {
        uint64_t gpa, size;
        void *host;
        bool readonly;
    } shm[256];
    int shm_count;
    uint64_t shm_next;
    bool forked_child; /* a fork's child: the guest's exit ends this process */
    int exiting, status;
    struct kvm_vcpu vcpus[KVM_MAX_VCPUS];
};

struct libos_manifest;
struct kvm_hc;

/* Hypercall service (hc.c). */
int kvm_hc_init(const struct kvm_tender_config *cfg, const struct libos_manifest *m);
/* Serves one request in place; returns 1 when the guest asked to exit
 * (status in *status), 0 otherwise. Never trusts anything in hc. */
int kvm_hc_serve(uint8_t *mem, uint64_t mem_size, struct kvm_hc *hc, int *status);
/* The same for vCPU v of vm (its data window at data); returns 2 when
 * the calling thread's vCPU stopped (thread exit). */
int kvm_hc_serve_vcpu(struct kvm_vm *vm, struct kvm_vcpu *v, struct kvm_hc *hc, uint8_t *data,
                      int *status);
void kvm_hc_fini(void);
/* The host fd of tender handle id, or -1. */
int kvm_hc_handle_fd(uint64_t id);
/* A connected stream pair as two tender handle ids; 0 or -PAL_ERR_*. */
int kvm_hc_new_pair(int64_t *a, int64_t *b);
void kvm_hc_close_id(int64_t id);
/* The host fd to map for handle id (-1: none); *writable as mapped. */
int kvm_hc_map_fd(uint64_t id, bool *writable);
/* A PROCESS_CREATE child: closes every handle but the consoles and keep. */
void kvm_hc_keep_only(int64_t keep);

/* Whether a ring request may be served by the ring server thread (it
 * cannot block indefinitely: files, directories, memfds). */
bool kvm_hc_ring_offthread(const struct kvm_hc *hc, const uint8_t *data);

/* Request rings (ring.c). reset: THREAD_START (the ring starts at the
 * guest's head); wait: KVM_HC_RING_WAIT; stop: the VM ends (false if the
 * server did not stop). */
void kvm_ring_reset(struct kvm_vm *vm, struct kvm_vcpu *v);
int64_t kvm_ring_wait(struct kvm_vm *vm, struct kvm_vcpu *v, uint64_t seq, bool wake);
bool kvm_ring_stop(void);

/* No new privileges and the tender's seccomp allowlist (confine.c). */
int kvm_tender_confine(void);
/* Restricts the tender's own host file access and TCP ports to the
 * Landlock ruleset fd (the manifest's plan, runtime/sandbox.c) and closes
 * it; no-op for fd <= 2. Before kvm_tender_confine (seccomp forbids it). */
int kvm_tender_landlock(int fd);

/* Joins t if it ends within ms milliseconds; false if it does not (vm.c). */
bool kvm_join_within(pthread_t t, long ms);
/* Thread, wait and TLB calls (vm.c); a the request's arguments. */
int64_t kvm_vcpu_call(struct kvm_vm *vm, struct kvm_vcpu *v, uint32_t nr, uint64_t *a,
                      uint8_t *data, int *action);

/* The gdbstub (gdbstub.c). kvm_gdb_listen waits for gdb to connect
 * (before confinement); kvm_gdb_start serves it until the first resume;
 * vCPU threads call kvm_gdb_gate before each KVM_RUN (parks them while
 * gdb has everything stopped) and kvm_gdb_hlt on KVM_EXIT_HLT (true: a
 * breakpoint or step trap, handled). */
int kvm_gdb_listen(int port, char *err, size_t err_size);
bool kvm_gdb_on(void);
void kvm_gdb_start(struct kvm_vm *vm, struct kvm_vcpu *v0, const void *image, size_t image_size);
void kvm_gdb_gate(struct kvm_vm *vm, struct kvm_vcpu *v);
bool kvm_gdb_hlt(struct kvm_vm *vm, struct kvm_vcpu *v);
void kvm_gdb_exited(int status); /* the guest exited: tells gdb */
void kvm_gdb_release(void);      /* wakes parked gates (VM exiting) */
void kvm_gdb_forked_child(void); /* a fork's child: no debugger, no int3s */

/* The embedded guest image (guest_image.S). */
extern const unsigned char g_kvm_guest_image[];
extern const unsigned char g_kvm_guest_image_end[];

#endif
