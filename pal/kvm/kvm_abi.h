/* The KVM PAL's guest <-> tender interface: guest memory layout, the boot
 * page and the hypercall page. Shared by the tender (hosted) and the guest
 * (freestanding): plain fixed-size types only.
 *
 * A hypercall: the guest fills struct kvm_hc in the hypercall page (and any
 * data in the data window), then writes to the doorbell (below). The
 * tender copies the request, checks it (call number, handle ids, offsets and
 * lengths inside the data window), serves it, and writes ret. Nothing else
 * in guest memory is read by the tender. */
#ifndef SABOT_KVM_ABI_H
#define SABOT_KVM_ABI_H

#include <stdint.h>

/* Guest physical layout (GPA). */
#define KVM_GPA_GDT 0x1000ULL /* GDT; the TSS follows at +0x100 */
#define KVM_GPA_TSS 0x1100ULL
#define KVM_GPA_IDT 0x2000ULL      /* 256 x 16 bytes */
#define KVM_GPA_BOOT 0x3000ULL     /* struct kvm_boot */
#define KVM_GPA_HC 0x4000ULL       /* struct kvm_hc */
#define KVM_GPA_PT 0x10000ULL      /* initial page tables, 64 KiB */
#define KVM_GPA_DMAP_PD 0x20000ULL /* direct-map page directories, one per GiB */
#define KVM_DMAP_PD_MAX 224        /* up to KVM_GPA_DATA: 224 GiB of guest RAM */
#define KVM_GPA_DATA 0x100000ULL   /* hypercall data window */
#define KVM_DATA_SIZE 0x100000ULL
#define KVM_GPA_STRINGS 0x200000ULL /* argv, envp, manifest, ... */
#define KVM_STRINGS_SIZE 0x200000ULL
#define KVM_GPA_IMAGE 0x400000ULL /* the guest ELF, linked at KVM_VA_IMAGE */

/* Guest virtual layout. The image and the direct map of all guest memory
 * live in the upper half; the lower half belongs to the app and the libos
 * heap (managed by the guest PAL). */
#define KVM_VA_IMAGE 0xffffffff80000000ULL
#define KVM_VA_DMAP 0xffff888000000000ULL
#define KVM_PML4_DMAP 273 /* KVM_VA_DMAP >> 39 & 511 */

/* Selectors: sysret wants user data at STAR+8 and user code at STAR+16. */
#define KVM_SEL_KCODE 0x08
#define KVM_SEL_KDATA 0x10
#define KVM_SEL_UDATA 0x1b
#define KVM_SEL_UCODE 0x23
#define KVM_SEL_TSS 0x28

/* The hypercall doorbell: the guest physical address just past guest RAM
 * (no memory there, so a write exits to the tender as MMIO). The direct
 * map covers it. */
#define KVM_GPA_DOORBELL(mem_size) (mem_size)

/* Hypercall numbers. Arguments in a[], results in ret (>= 0 or -PAL_ERR_*)
 * and, where said, in the data window. "path" is (a[0] offset, a[1]
 * length) of a URI in the data window, without a NUL. */
enum kvm_hc_nr {
    KVM_HC_EXIT = 1,    /* a[0] status */
    KVM_HC_LOG,         /* data[a[0]..+a[1]] to the host's stderr (log) */
    KVM_HC_OPEN,        /* path, a[2] access, a[3] perm, a[4] create, a[5] options -> handle */
    KVM_HC_CLOSE,       /* a[0] handle */
    KVM_HC_READ,        /* a[0] handle, a[1] offset, a[2] data off, a[3] len -> bytes */
    KVM_HC_WRITE,       /* same */
    KVM_HC_SEEK,        /* a[0] handle, a[1] offset, a[2] whence -> position */
    KVM_HC_ATTR,        /* path, a[2] nofollow; attr at data[a[3]] */
    KVM_HC_ATTR_HANDLE, /* a[0] handle; attr at data[a[1]] */
    KVM_HC_READDIR,     /* a[0] handle, a[1] data off, a[2] len -> bytes */
    KVM_HC_READLINK,    /* path, a[2] data off, a[3] len -> bytes */
    KVM_HC_DELETE,      /* path */
    KVM_HC_SET_LENGTH,  /* a[0] handle, a[1] length */
    KVM_HC_FLUSH,       /* a[0] handle */
    KVM_HC_RENAME,      /* a[0] handle, a[1] data off, a[2] len of the new URI */
    KVM_HC_FS_INFO,     /* path; struct pal_fs_info at data[a[2]] */
    KVM_HC_LINK,        /* target (a[0], a[1]), uri (a[2], a[3]), a[4] symbolic */
    KVM_HC_ATTR_SET,    /* a[0] handle, a[1] mask, attr at data[a[2]] */
    KVM_HC_TIME,        /* a[0] clock -> ns in a[1] (written back) */
    KVM_HC_RANDOM,      /* data[a[0]..+a[1]] filled */
    KVM_HC_SLEEP,       /* a[0] ns */
    KVM_HC_NOP,         /* measures the exit cost */
    /* threads: one vCPU per thread, run by a tender thread of its own */
    KVM_HC_THREAD_NEW,       /* -> a free vCPU slot (reserved, not running) */
    KVM_HC_THREAD_START,     /* a[0] slot, a[1] GPA of its hypercall page (+ data window
                                after it), a[2] its TCB (guest virtual), a[3] stack top */
    KVM_HC_THREAD_EXIT,      /* a[0] clear_tid (guest virtual) or 0; the vCPU stops */
    KVM_HC_THREAD_INTERRUPT, /* a[0] slot */
    KVM_HC_WAIT,             /* a[0] count of struct kvm_wait at data[0], a[1] timeout us
                                (~0: none) -> ready count; revents written back */
    KVM_HC_WAKE,             /* a[0] guest virtual address, a[1] count -> woken */
    KVM_HC_TLB_SHOOTDOWN,    /* other vCPUs flush their TLB before app code runs again */
    KVM_HC_YIELD,
    /* pipes and sockets (host-backed, never blocking: waits are KVM_HC_WAIT);
     * a struct pal_sockaddr is at data[KVM_DATA_ADDR] */
    KVM_HC_PAIR,     /* a[0] type, a[1] options -> handle a; handle b in a[1] */
    KVM_HC_SOCKET,   /* a[0] family, a[1] type, a[2] options -> handle */
    KVM_HC_BIND,     /* a[0] handle */
    KVM_HC_LISTEN,   /* a[0] handle, a[1] backlog */
    KVM_HC_CONNECT,  /* a[0] handle */
    KVM_HC_NAME,     /* a[0] handle, a[1] peer -> address written */
    KVM_HC_ACCEPT,   /* a[0] handle, a[1] options -> handle */
    KVM_HC_SEND,     /* a[0] handle, a[1] len at data[KVM_DATA_MSG], a[2] flags, a[3] has addr,
                        a[4] handles at data[KVM_DATA_HANDLES] */
    KVM_HC_RECV,     /* same; a[3] wants addr; a[4] room for handles; out flags in a[2],
                        handles received in a[4] */
    KVM_HC_SOCKOPT,  /* a[0] handle, a[1] option, a[2] set, value in a[3] (written back) */
    KVM_HC_SHUTDOWN, /* a[0] handle, a[1] how */
    /* shared memory: host pages (a memfd, or new anonymous shared memory
     * when a[0] = ~0) put into guest physical memory above RAM as a memory
     * slot of their own; shared with forked children's VMs */
    KVM_HC_SHMAP, /* a[0] handle (a memfd or a host file), a[1] offset, a[2] size, a[3] 1:
                     must be writable -> guest physical address */
    KVM_HC_FORK,  /* -> 1 in the parent (stream handle in a[1]), 0 in the child (same) */
    /* a new, empty instance in a new VM (the checkpoint fork): a[0] count of
     * NUL-ended args at data[a[1]..+a[2]] -> stream handle to it */
    KVM_HC_PROCESS_CREATE,
    KVM_HC_REOPEN,    /* a[0] memfd handle -> a new handle (own position) */
    KVM_HC_SHUNMAP,   /* a[0] guest physical address SHMAP returned: the slot goes */
    KVM_HC_RING_WAIT, /* a[0] seq: entries up to it answered (inline if need be), a[1] 1:
                         wake the ring server -> 0 */
    KVM_HC_TERM, /* a[0] handle, a[1] 0 get / 1 + PAL_TERM_* set, mode at data[a[2]] */
    KVM_HC__COUNT
};

struct kvm_hc {
    uint32_t nr;
    uint32_t pad;
    int64_t ret;
    uint64_t a[6];
};

/* Filled by the tender before the first instruction. Pointers are guest
 * virtual (direct map) addresses. */
struct kvm_boot {
    uint64_t mem_size;   /* bytes of guest physical memory */
    uint64_t free_start; /* first GPA the guest may allocate */
    uint64_t tsc_khz;
    uint64_t boot_tsc;      /* guest TSC when boot_realtime/monotonic were read */
    uint64_t boot_realtime; /* ns */
    uint64_t boot_monotonic;
    uint64_t argv, envp; /* NULL-ended vectors of char * */
    uint64_t exec_path;  /* or 0 */
    uint64_t manifest, manifest_size, manifest_name;
    uint64_t host_cwd;
    uint32_t log_level;
    uint32_t trace; /* 1: trace to handle 3 */
    uint32_t cpu_count;
    uint32_t host_uid, host_gid;
    char hostname[65];
    char os_release[65];
    uint64_t parent_stream;      /* PROCESS_CREATE's child: its stream's handle id + 1, else 0 */
    uint32_t syscall_rewrite;    /* 1: rewrite syscall sites to page 0 (guest rewrite.c) */
    uint32_t ignored_interrupts; /* host signals ignored at start: bits 1 << PAL_INT_* */
};

/* One entry of a KVM_HC_WAIT: a guest word (kind 0: ready when *va !=
 * expected) or a tender handle (kind 1: id, PAL_WAIT_* events). */
struct kvm_wait {
    uint32_t kind, events;
    uint64_t va_or_id;
    uint32_t expected, revents;
};
#define KVM_WAIT_MAX 1024

/* Socket calls' layout in the data window. */
#define KVM_DATA_ADDR 0
#define KVM_DATA_HANDLES 512 /* handle ids passed along (SCM_RIGHTS), a[4] of them */
#define KVM_MSG_HANDLES_MAX 64
#define KVM_DATA_MSG 4096

/* vCPUs: slot 0 is the boot thread (hypercall page KVM_GPA_HC, data
 * KVM_GPA_DATA); other slots get theirs from THREAD_START. */
#define KVM_MAX_VCPUS 256
#define KVM_HC_DATA_GPA(hc) ((hc) == KVM_GPA_HC ? KVM_GPA_DATA : (hc) + 0x1000ULL)
#define KVM_CPL0_STACK 1024 /* per vCPU, below kvm_cpl0_stack_top */
#define KVM_TSS_STRIDE 128  /* kvm_tss_area: one TSS per vCPU */

/* The per-thread block at the GS base (guest struct kvm_tcb): offsets the
 * CPL0 stubs and the tender use. The tender writes the exception fields
 * when it redirects a vCPU to exc_user (interrupt, TLB flush). */
#define KVM_TCB_EXC_VEC 64
#define KVM_TCB_EXC_ERR 72
#define KVM_TCB_EXC_RIP 80
#define KVM_TCB_EXC_RFLAGS 88
#define KVM_TCB_EXC_CR2 96
#define KVM_TCB_SYS_RIP 104
#define KVM_TCB_HC_GPA 112
#define KVM_TCB_FLUSH 120
#define KVM_TCB_HOST_INT 160 /* host signals (bits 1 << PAL_INT_*) left for this vCPU */
#define KVM_TCB_SIZE 256
/* Software vectors of a redirect. */
#define KVM_VEC_INTERRUPT 0x100
#define KVM_VEC_FLUSH 0x101
#define KVM_VEC_BUS 0x102 /* the host could not back a shared file page: SIGBUS */

/* Tender handle ids the guest starts with: 0-2 console, 3 log (+trace). */
#define KVM_HANDLE_LOG 3
#define KVM_HANDLE_TRACE 4

/* Request rings (docs/kvm.md "Request rings"): one per vCPU, in its
 * hypercall page at KVM_RING_OFF. The guest fills e[head % size] (the same
 * request as struct kvm_hc, data in its data window), sets seq = head and
 * state SUBMITTED, then head + 1. The tender's ring server takes requests
 * that cannot block indefinitely without a VM exit while it is awake; it
 * copies each entry once, keeps its own count of served entries (never
 * trusting head beyond size ahead of it, nor tail), and answers with ret
 * and state DONE (DEFER: not for the server; the guest asks its own vCPU
 * thread with KVM_HC_RING_WAIT, which also serves whatever is left and
 * wakes the server). sleeping is 1 while the server sleeps; beat changes
 * while it polls (a guest stops waiting when it does not: descheduled). */
#define KVM_RING_OFF 0x800
#define KVM_RING_SIZE 16
enum { KVM_RING_FREE, KVM_RING_SUBMITTED, KVM_RING_DONE, KVM_RING_DEFER };
struct kvm_ring_entry {
    uint32_t seq, state;
    struct kvm_hc hc;
};
struct kvm_ring {
    uint32_t head;     /* guest: requests submitted */
    uint32_t tail;     /* tender: requests answered */
    uint32_t sleeping; /* tender: 1 while the server sleeps */
    uint32_t beat;     /* tender: changes on each pass of the server (it runs) */
    uint32_t guest[2]; /* the guest's own (spin back-off); the tender never reads them */
    uint32_t pad[10];
    struct kvm_ring_entry e[KVM_RING_SIZE];
};
_Static_assert(KVM_RING_OFF + sizeof(struct kvm_ring) <= 4096, "ring fits the hypercall page");

#endif
