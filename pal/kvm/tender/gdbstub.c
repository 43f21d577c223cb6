/* `sabot run --pal kvm --gdb PORT`: a GDB remote serial protocol stub in
 * the tender. It listens on 127.0.0.1:PORT and waits for gdb before the VM
 * starts (the socket exists before the tender confines itself). All-stop:
 * a vCPU that stops (breakpoint, step) stops every vCPU and serves gdb on
 * its own tender thread until gdb resumes; the other tender threads park
 * before KVM_RUN (kvm_gdb_gate). One gdb thread per vCPU (id slot + 1).
 * Memory is guest virtual, translated through the guest's page tables.
 * Nothing gdb sends is trusted: bad packets get errors, never a crash.
 *
 * kvm_pvm ignores KVM_SET_GUEST_DEBUG (measured: with USE_SW_BP an int3
 * still goes through the guest's IDT; debug registers never fire), so
 * traps are caught in the guest: while gdb is attached the IDT gates of
 * #DB and #BP point at the image's `hlt` (cpl0_fault), which exits to
 * the tender with the CPL3 interrupt frame on the CPL0 stack. The stub
 * shows the app's registers from that frame and resumes through the
 * image's `iretq` (just before the hlt), with TF in the frame for a single
 * step. Breakpoints are int3s written into guest memory; one in memory
 * not loaded yet (the app before its exec) is kept pending and written
 * when the libos enters a program (an internal breakpoint at jump_to). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <elf.h>
#include <errno.h>
#include <linux/kvm.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tender.h"

#define PKT_MAX 16384 /* our PacketSize (bytes of packet data) */
#define NBP 256       /* software breakpoints */
#define PAGE 4096ULL

enum { MODE_STOP, MODE_CONT, MODE_STEP };

static struct {
    int fd; /* the gdb connection, -1: none */
    struct kvm_vm *vm;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int stopped; /* all-stop in force (under lock) */
    int cur;     /* Hg thread (slot) */
    struct {
        uint64_t addr;
        uint8_t orig;
        uint8_t kinds; /* bit 0: gdb's Z0 (software), bit 1: Z1 (hardware) */
        bool pending;  /* not in guest memory yet */
    } bp[NBP];
    int nbp;
    /* image addresses: the hlt the trap gates point at, the iretq before
     * it, the libos's jump_to (internal breakpoint), the original #DB and
     * #BP handlers */
    uint64_t hlt, iretq, jump_to, stub_db, stub_bp;
    uint8_t jump_to_orig;
    bool jump_to_armed;
    int mode[KVM_MAX_VCPUS];
    /* a vCPU stopped in the trap hlt: the app's state is the interrupt
     * frame (rip cs rflags rsp ss) at frame on the CPL0 stack */
    bool trapped[KVM_MAX_VCPUS];
    uint64_t frame[KVM_MAX_VCPUS];
    bool stepping[KVM_MAX_VCPUS]; /* TF set by us */
    bool step_jt[KVM_MAX_VCPUS];  /* stepping over jump_to's int3 */
    /* a step over `syscall` is an int3 after it (SFMASK clears TF, and a
     * TF left in the saved flags would trap in the libos) */
    uint64_t step_over[KVM_MAX_VCPUS];
    uint8_t step_over_orig[KVM_MAX_VCPUS];
    char in[PKT_MAX + 8];
    char out[2 * PKT_MAX + 8];
} g = {.fd = -1, .lock = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

bool kvm_gdb_on(void) {
    return g.fd >= 0;
}

int kvm_gdb_listen(int port, char *err, size_t err_size) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return snprintf(err, err_size, "--gdb: socket: %s", strerror(errno)), -errno;
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 1) < 0) {
        int e = errno;
        snprintf(err, err_size, "--gdb: cannot listen on 127.0.0.1:%d: %s", port, strerror(e));
        close(s);
        return -e;
    }
    fprintf(stderr, "sabot: kvm: waiting for gdb on 127.0.0.1:%d\n", port);
    int c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
    int e = errno;
    close(s);
    if (c < 0)
        return snprintf(err, err_size, "--gdb: accept: %s", strerror(e)), -e;
    setsockopt(c, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof(one));
    g.fd = c;
    return 0;
}

/* ------------------------------------------------------- packets */
static void disconnect(void) {
    if (g.fd >= 0)
        close(g.fd);
    g.fd = -1;
}

static bool send_all(const char *p, size_t n) {
    while (n && g.fd >= 0) {
        ssize_t w = write(g.fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            disconnect();
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return g.fd >= 0;
}

/* One byte from gdb; -1 when the connection is gone. */
static int get_byte(void) {
    static unsigned char buf[4096];
    static size_t have, pos;
    if (pos == have) {
        if (g.fd < 0)
            return -1;
        ssize_t r;
        do
            r = read(g.fd, buf, sizeof(buf));
        while (r < 0 && errno == EINTR);
        if (r <= 0) {
            disconnect();
            return -1;
        }
        have = (size_t)r;
        pos = 0;
    }
    return buf[pos++];
}

static int hexval(int c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void put_packet(const char *data, size_t n) {
    static char frame[sizeof(g.out) + 8];
    unsigned sum = 0;
    size_t k = 0;
    frame[k++] = '$';
    for (size_t i = 0; i < n; i++) {
        frame[k++] = data[i];
        sum += (unsigned char)data[i];
    }
    k += (size_t)snprintf(frame + k, 4, "#%02x", sum & 0xff);
    send_all(frame, k);
}

static void reply(const char *s) {
    put_packet(s, strlen(s));
}

/* Reads the next well-formed packet into g.in (NUL-ended); acks it. A
 * Ctrl-C (0x03) outside a packet reads as the packet "\x03". Returns its
 * length, or -1 when gdb is gone. */
static int get_packet(void) {
    for (;;) {
        int c = get_byte();
        if (c < 0)
            return -1;
        if (c == 3) {
            g.in[0] = 3;
            g.in[1] = 0;
            return 1;
        }
        if (c != '$')
            continue; /* acks, noise */
        size_t n = 0;
        unsigned sum = 0;
        bool over = false;
        while ((c = get_byte()) >= 0 && c != '#') {
            if (c == '$') { /* a new start: drop what we had */
                n = 0, sum = 0, over = false;
                continue;
            }
            sum += (unsigned)c;
            if (n < PKT_MAX)
                g.in[n++] = (char)c;
            else
                over = true;
        }
        if (c < 0)
            return -1;
        int h1 = hexval(get_byte()), h2 = hexval(get_byte());
        if (g.fd < 0)
            return -1;
        if (over || h1 < 0 || h2 < 0 || (unsigned)(h1 * 16 + h2) != (sum & 0xff)) {
            send_all("-", 1);
            continue;
        }
        send_all("+", 1);
        g.in[n] = 0;
        return (int)n;
    }
}

/* ------------------------------------------------------- parsing */
/* Hex number at *p (advanced); false if none or too long. */
static bool hex_u64(const char **p, uint64_t *v) {
    uint64_t x = 0;
    int n = 0;
    while (hexval(**p) >= 0) {
        if (++n > 16)
            return false;
        x = x << 4 | (uint64_t)hexval(**p);
        (*p)++;
    }
    *v = x;
    return n > 0;
}

static char *hex_bytes(char *o, const void *p, size_t n) {
    static const char d[] = "0123456789abcdef";
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        *o++ = d[b[i] >> 4];
        *o++ = d[b[i] & 15];
    }
    *o = 0;
    return o;
}

/* n bytes of hex at p into out; false on bad hex. */
static bool unhex(const char *p, void *out, size_t n) {
    uint8_t *b = out;
    for (size_t i = 0; i < n; i++) {
        int h = hexval(p[2 * i]), l = h < 0 ? -1 : hexval(p[2 * i + 1]);
        if (h < 0 || l < 0)
            return false;
        b[i] = (uint8_t)(h << 4 | l);
    }
    return true;
}

/* ------------------------------------------------------- memory */
/* Host pointer of guest physical gpa with n bytes in the same page, or
 * NULL (outside RAM and the shared slots). */
static uint8_t *host_of_gpa(uint64_t gpa, size_t n) {
    struct kvm_vm *vm = g.vm;
    if (gpa < vm->mem_size && n <= vm->mem_size - gpa)
        return vm->mem + gpa;
    for (int i = 0; i < vm->shm_count; i++)
        if (gpa >= vm->shm[i].gpa && gpa - vm->shm[i].gpa < vm->shm[i].size &&
            n <= vm->shm[i].size - (gpa - vm->shm[i].gpa))
            return (uint8_t *)vm->shm[i].host + (gpa - vm->shm[i].gpa);
    return NULL;
}

/* Guest virtual -> host pointer via the page tables at cr3 (every table
 * checked to lie in RAM); *room: bytes left in that page. */
static uint8_t *translate(uint64_t cr3, uint64_t va, size_t *room) {
    uint64_t table = cr3 & 0x000ffffffffff000ULL;
    for (int level = 3; level >= 0; level--) {
        uint64_t *t = (uint64_t *)host_of_gpa(table, PAGE);
        if (!t || table >= g.vm->mem_size)
            return NULL;
        uint64_t e = __atomic_load_n(&t[(va >> (12 + 9 * level)) & 511], __ATOMIC_ACQUIRE);
        if (!(e & 1))
            return NULL;
        uint64_t addr = e & 0x000ffffffffff000ULL;
        uint64_t size = 0;
        if (level == 2 && (e & 0x80))
            size = 1ULL << 30;
        else if (level == 1 && (e & 0x80))
            size = 2ULL << 20;
        else if (level == 0)
            size = PAGE;
        if (size) {
            addr = (addr & ~(size - 1)) + (va & (size - 1));
            *room = (size_t)(size - (va & (size - 1)));
            if (*room > PAGE - (va & (PAGE - 1)))
                *room = (size_t)(PAGE - (va & (PAGE - 1)));
            return host_of_gpa(addr, *room);
        }
        table = addr;
    }
    return NULL;
}

/* One address space per VM (one process): the page tables the tender
 * built, edited by the PAL. */
static uint64_t cur_cr3(void) {
    return KVM_GPA_PT;
}

/* Copies up to n bytes between gdb and guest virtual va; returns how many
 * (stops at the first page that is not mapped). */
static size_t guest_copy(uint64_t va, void *buf, size_t n, bool write) {
    uint64_t cr3 = cur_cr3();
    size_t done = 0;
    while (done < n) {
        size_t room = 0;
        uint8_t *h = translate(cr3, va + done, &room);
        if (!h)
            break;
        size_t k = n - done < room ? n - done : room;
        if (write)
            memcpy(h, (uint8_t *)buf + done, k);
        else
            memcpy((uint8_t *)buf + done, h, k);
        done += k;
    }
    return done;
}

/* ------------------------------------------------------- registers */
/* gdb's amd64 register numbers (our target.xml has the same order). */
enum {
    R_RIP = 16,
    R_EFLAGS,
    R_CS,
    R_SS,
    R_DS,
    R_ES,
    R_FS,
    R_GS,
    R_ST0,
    R_FCTRL = 32,
    R_XMM0 = 40,
    R_MXCSR = 56,
    R_FSBASE,
    R_GSBASE,
    R_COUNT
};

static const char s_target_xml[] =
    "<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
    "<target version=\"1.0\"><architecture>i386:x86-64</architecture>"
    "<feature name=\"org.gnu.gdb.i386.core\">"
    "<flags id=\"i386_eflags\" size=\"4\"><field name=\"CF\" start=\"0\" end=\"0\"/>"
    "<field name=\"\" start=\"1\" end=\"1\"/><field name=\"PF\" start=\"2\" end=\"2\"/>"
    "<field name=\"AF\" start=\"4\" end=\"4\"/><field name=\"ZF\" start=\"6\" end=\"6\"/>"
    "<field name=\"SF\" start=\"7\" end=\"7\"/><field name=\"TF\" start=\"8\" end=\"8\"/>"
    "<field name=\"IF\" start=\"9\" end=\"9\"/><field name=\"DF\" start=\"10\" end=\"10\"/>"
    "<field name=\"OF\" start=\"11\" end=\"11\"/></flags>"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\"/><reg name=\"rbx\" bitsize=\"64\" "
    "type=\"int64\"/><reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/><reg name=\"rdx\" "
    "bitsize=\"64\" type=\"int64\"/><reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/><reg "
    "name=\"rdi\" bitsize=\"64\" type=\"int64\"/><reg name=\"rbp\" bitsize=\"64\" "
    "type=\"data_ptr\"/><reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/><reg name=\"r9\" bitsize=\"64\" "
    "type=\"int64\"/><reg name=\"r10\" bitsize=\"64\" type=\"int64\"/><reg name=\"r11\" "
    "bitsize=\"64\" type=\"int64\"/><reg name=\"r12\" bitsize=\"64\" type=\"int64\"/><reg "
    "name=\"r13\" bitsize=\"64\" type=\"int64\"/><reg name=\"r14\" bitsize=\"64\" "
    "type=\"int64\"/><reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/><reg name=\"eflags\" bitsize=\"32\" "
    "type=\"i386_eflags\"/><reg name=\"cs\" bitsize=\"32\" type=\"int32\"/><reg name=\"ss\" "
    "bitsize=\"32\" type=\"int32\"/><reg name=\"ds\" bitsize=\"32\" type=\"int32\"/><reg "
    "name=\"es\" bitsize=\"32\" type=\"int32\"/><reg name=\"fs\" bitsize=\"32\" "
    "type=\"int32\"/><reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st1\" bitsize=\"80\" "
    "type=\"i387_ext\"/><reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st3\" "
    "bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/><reg name=\"st6\" bitsize=\"80\" "
    "type=\"i387_ext\"/><reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/><reg name=\"fstat\" "
    "bitsize=\"32\" type=\"int\" group=\"float\"/><reg name=\"ftag\" bitsize=\"32\" "
    "type=\"int\" group=\"float\"/><reg name=\"fiseg\" bitsize=\"32\" type=\"int\" "
    "group=\"float\"/><reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/><reg "
    "name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/><reg name=\"fooff\" "
    "bitsize=\"32\" type=\"int\" group=\"float\"/><reg name=\"fop\" bitsize=\"32\" "
    "type=\"int\" group=\"float\"/></feature>"
    "<feature name=\"org.gnu.gdb.i386.sse\">"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/><vector id=\"v2d\" "
    "type=\"ieee_double\" count=\"2\"/><vector id=\"v16i8\" type=\"int8\" count=\"16\"/>"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/><vector id=\"v4i32\" type=\"int32\" "
    "count=\"4\"/><vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
    "<union id=\"vec128\"><field name=\"v4_float\" type=\"v4f\"/><field name=\"v2_double\" "
    "type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/><field name=\"v8_int16\" "
    "type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/><field name=\"v2_int64\" "
    "type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/></union>"
    "<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\" regnum=\"40\"/><reg name=\"xmm1\" "
    "bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm4\" bitsize=\"128\" "
    "type=\"vec128\"/><reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm6\" "
    "bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>"
    "<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm9\" bitsize=\"128\" "
    "type=\"vec128\"/><reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/><reg "
    "name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm12\" bitsize=\"128\" "
    "type=\"vec128\"/><reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/><reg "
    "name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/><reg name=\"xmm15\" bitsize=\"128\" "
    "type=\"vec128\"/><reg name=\"mxcsr\" bitsize=\"32\" type=\"int\" group=\"vector\"/>"
    "</feature><feature name=\"org.gnu.gdb.i386.segments\">"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/><reg name=\"gs_base\" bitsize=\"64\" "
    "type=\"int\"/></feature></target>";

static int reg_size(int r) {
    if (r < R_RIP + 1)
        return 8;
    if (r < R_ST0)
        return 4;
    if (r < R_FCTRL)
        return 10;
    if (r < R_XMM0)
        return 4;
    if (r < R_MXCSR)
        return 16;
    if (r == R_MXCSR)
        return 4;
    return 8;
}

struct regset {
    struct kvm_regs r;
    struct kvm_sregs s;
    struct kvm_fpu f;
};

enum { F_RIP, F_CS, F_RFLAGS, F_RSP, F_SS };

static bool frame_rw(int slot, uint64_t *f, bool write) {
    return guest_copy(g.frame[slot], f, 5 * 8, write) == 5 * 8;
}

/* The app's registers: a trapped vCPU's rip/rsp/rflags/cs/ss are in its
 * interrupt frame, the rest is as the trap left it. */
static bool get_regs(int slot, struct regset *rs) {
    struct kvm_vcpu *v = &g.vm->vcpus[slot];
    memset(rs, 0, sizeof(*rs));
    if (v->fd < 0 || ioctl(v->fd, KVM_GET_REGS, &rs->r) < 0 ||
        ioctl(v->fd, KVM_GET_SREGS, &rs->s) < 0)
        return false;
    if (ioctl(v->fd, KVM_GET_FPU, &rs->f) < 0) /* x87/SSE read as zero then */
        memset(&rs->f, 0, sizeof(rs->f));
    uint64_t f[5];
    if (g.trapped[slot] && frame_rw(slot, f, false)) {
        rs->r.rip = f[F_RIP];
        rs->r.rflags = f[F_RFLAGS];
        rs->r.rsp = f[F_RSP];
        rs->s.cs.selector = (uint16_t)f[F_CS];
        rs->s.ss.selector = (uint16_t)f[F_SS];
    }
    return true;
}

/* Pointer to register r's bytes in rs (little-endian, gdb's size). */
static void *reg_ptr(struct regset *rs, int r, uint64_t *tmp) {
    static const int gpr[16] = {0, 1, 2, 3, 4, 5, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15};
    /* kvm_regs order: rax rbx rcx rdx rsi rdi rsp rbp r8..r15 rip rflags */
    uint64_t *k = (uint64_t *)&rs->r.rax;
    struct kvm_segment *seg[] = {&rs->s.cs, &rs->s.ss, &rs->s.ds, &rs->s.es, &rs->s.fs, &rs->s.gs};
    if (r < 16)
        return &k[gpr[r]];
    if (r == R_RIP)
        return &rs->r.rip;
    if (r == R_EFLAGS)
        return &rs->r.rflags; /* low 4 bytes, little-endian */
    if (r < R_ST0) {
        *tmp = seg[r - R_CS]->selector;
        return tmp;
    }
    if (r < R_FCTRL)
        return rs->f.fpr[r - R_ST0];
    if (r < R_XMM0) {
        uint64_t f[8] = {rs->f.fcw,     rs->f.fsw, rs->f.ftwx,    0,
                         rs->f.last_ip, 0,         rs->f.last_dp, rs->f.last_opcode};
        *tmp = f[r - R_FCTRL];
        return tmp;
    }
    if (r < R_MXCSR)
        return rs->f.xmm[r - R_XMM0];
    if (r == R_MXCSR)
        return &rs->f.mxcsr;
    if (r == R_FSBASE)
        return &rs->s.fs.base;
    return &rs->s.gs.base;
}

/* Writes register r from hex at p: GPRs, rip, eflags, fs_base, gs_base.
 * Others are accepted and ignored (segment selectors are the PAL's). */
static bool set_reg(struct regset *rs, int r, const char *p) {
    uint64_t v = 0;
    int n = reg_size(r);
    if (n > 8)
        return true;
    if (!unhex(p, &v, (size_t)n))
        return false;
    if (r < R_RIP + 1 || r == R_FSBASE || r == R_GSBASE) {
        uint64_t tmp;
        *(uint64_t *)reg_ptr(rs, r, &tmp) = v;
    } else if (r == R_EFLAGS) {
        rs->r.rflags = (rs->r.rflags & ~0xffffffffULL) | (v & 0xffffffffULL) | 2;
    }
    return true;
}

static bool put_regs(int slot, struct regset *rs) {
    struct kvm_vcpu *v = &g.vm->vcpus[slot];
    struct kvm_sregs s;
    if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
        return false;
    s.fs.base = rs->s.fs.base; /* selectors stay the PAL's */
    s.gs.base = rs->s.gs.base;
    if (g.trapped[slot]) {
        struct kvm_regs now;
        uint64_t f[5];
        if (ioctl(v->fd, KVM_GET_REGS, &now) < 0 || !frame_rw(slot, f, false))
            return false;
        f[F_RIP] = rs->r.rip;
        f[F_RSP] = rs->r.rsp;
        f[F_RFLAGS] = rs->r.rflags;
        rs->r.rip = now.rip;
        rs->r.rsp = now.rsp;
        rs->r.rflags = now.rflags;
        if (!frame_rw(slot, f, true))
            return false;
    }
    return ioctl(v->fd, KVM_SET_REGS, &rs->r) == 0 && ioctl(v->fd, KVM_SET_SREGS, &s) == 0;
}

/* ------------------------------------------------------- breakpoints */
static int bp_find(uint64_t a) {
    for (int i = 0; i < g.nbp; i++)
        if (g.bp[i].addr == a)
            return i;
    return -1;
}

/* Writes bp i's int3 (remembering what was there); false if its memory
 * is not mapped yet. */
static bool bp_arm(int i) {
    uint8_t orig, cc = 0xcc;
    if (guest_copy(g.bp[i].addr, &orig, 1, false) != 1)
        return false;
    if (orig != 0xcc || g.bp[i].pending) /* new contents (first time, or an exec) */
        g.bp[i].orig = orig;
    g.bp[i].pending = guest_copy(g.bp[i].addr, &cc, 1, true) != 1;
    return !g.bp[i].pending;
}

/* An address not mapped yet (the app before the libos loads it) stays
 * pending until the libos enters a program. */
static bool bp_insert(uint64_t a, uint8_t kind) {
    int i = bp_find(a);
    if (i >= 0) {
        g.bp[i].kinds |= kind;
        return true;
    }
    if (g.nbp == NBP || a == g.jump_to)
        return false;
    g.bp[g.nbp].addr = a;
    g.bp[g.nbp].kinds = kind;
    g.bp[g.nbp].pending = true;
    bp_arm(g.nbp++);
    return true;
}

static bool bp_remove(uint64_t a, uint8_t kind) {
    int i = bp_find(a);
    if (i < 0 || (g.bp[i].kinds &= (uint8_t)~kind))
        return true;
    if (!g.bp[i].pending)
        guest_copy(a, &g.bp[i].orig, 1, true);
    g.bp[i] = g.bp[--g.nbp];
    return true;
}

/* Memory as gdb sees it: original bytes under our int3s. */
static void hide_bps(uint64_t a, uint8_t *buf, size_t n) {
    for (int i = 0; i < g.nbp; i++)
        if (!g.bp[i].pending && g.bp[i].addr >= a && g.bp[i].addr - a < n)
            buf[g.bp[i].addr - a] = g.bp[i].orig;
    if (g.jump_to_armed && g.jump_to >= a && g.jump_to - a < n)
        buf[g.jump_to - a] = g.jump_to_orig;
    for (int i = 0; i < KVM_MAX_VCPUS; i++)
        if (g.step_over[i] && g.step_over[i] >= a && g.step_over[i] - a < n)
            buf[g.step_over[i] - a] = g.step_over_orig[i];
}

static void bp_remove_all(void) {
    while (g.nbp)
        bp_remove(g.bp[0].addr, 0xff);
}

/* ------------------------------------------------------- vCPUs */
static bool alive(int slot) {
    struct kvm_vcpu *v = &g.vm->vcpus[slot];
    return slot >= 0 && slot < KVM_MAX_VCPUS && v->fd >= 0 && v->state == VCPU_RUNNING;
}

static void kick_all_but(struct kvm_vcpu *self) {
    for (int i = 0; i < KVM_MAX_VCPUS; i++) {
        struct kvm_vcpu *v = &g.vm->vcpus[i];
        if (v != self && v->fd >= 0 && v->has_thread)
            pthread_kill(v->thread, SIGUSR2);
    }
}

/* Every other vCPU out of KVM_RUN (parked at the gate or in the tender). */
static void stop_others(struct kvm_vcpu *self) {
    for (int round = 0; round < 5000; round++) {
        bool busy = false;
        for (int i = 0; i < KVM_MAX_VCPUS; i++) {
            struct kvm_vcpu *v = &g.vm->vcpus[i];
            if (v != self && v->fd >= 0 && __atomic_load_n(&v->in_run, __ATOMIC_ACQUIRE))
                busy = true;
        }
        if (!busy)
            return;
        kick_all_but(self);
        struct timespec ts = {0, 200000};
        nanosleep(&ts, NULL);
    }
}

void kvm_gdb_gate(struct kvm_vm *vm, struct kvm_vcpu *v) {
    pthread_mutex_lock(&g.lock);
    while (g.fd >= 0 && !vm->exiting && (g.stopped || g.mode[v->slot] == MODE_STOP))
        pthread_cond_wait(&g.cv, &g.lock);
    pthread_mutex_unlock(&g.lock);
}

/* Wakes every parked gate (the VM exits). */
void kvm_gdb_release(void) {
    pthread_mutex_lock(&g.lock);
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.lock);
}

/* ------------------------------------------------------- the session */
static void stop_reply(int slot, const char *why) {
    snprintf(g.out, sizeof(g.out), "T05thread:%x;%s", slot + 1, why);
    reply(g.out);
}

/* vCont;ACTION[:TID];... -> modes. Returns false on a malformed packet. */
static bool parse_vcont(const char *p, int self) {
    int modes[KVM_MAX_VCPUS], dflt = MODE_STOP;
    for (int i = 0; i < KVM_MAX_VCPUS; i++)
        modes[i] = -1;
    while (*p == ';') {
        p++;
        int m;
        if (*p == 'c' || *p == 'C')
            m = MODE_CONT;
        else if (*p == 's' || *p == 'S')
            m = MODE_STEP;
        else
            return false;
        p++;
        if (p[-1] == 'C' || p[-1] == 'S') { /* signal number: ignored */
            uint64_t sig;
            if (!hex_u64(&p, &sig))
                return false;
        }
        if (*p == ':') {
            p++;
            uint64_t t;
            if (*p == '-' && p[1] == '1') {
                p += 2;
                dflt = m;
                continue;
            }
            if (*p == 'p') { /* multiprocess form pPID.TID: the TID counts */
                while (*p && *p != '.' && *p != ';')
                    p++;
                if (*p == '.')
                    p++;
            }
            if (!hex_u64(&p, &t))
                return false;
            if (t >= 1 && t <= KVM_MAX_VCPUS && modes[t - 1] < 0)
                modes[t - 1] = m;
        } else {
            dflt = m;
        }
    }
    if (*p)
        return false;
    (void)self;
    for (int i = 0; i < KVM_MAX_VCPUS; i++)
        g.mode[i] = modes[i] >= 0 ? modes[i] : dflt;
    return true;
}

static void thread_list(void) {
    char *o = g.out;
    *o++ = 'm';
    bool any = false;
    for (int i = 0; i < KVM_MAX_VCPUS && o < g.out + sizeof(g.out) - 16; i++)
        if (alive(i)) {
            o += sprintf(o, "%s%x", any ? "," : "", i + 1);
            any = true;
        }
    if (!any)
        o += sprintf(o, "1");
    *o = 0;
    reply(g.out);
}

static void xfer_features(const char *p) {
    /* qXfer:features:read:target.xml:OFF,LEN */
    const char *ann = "target.xml:";
    uint64_t off, len;
    if (strncmp(p, ann, strlen(ann))) {
        reply("E00");
        return;
    }
    p += strlen(ann);
    if (!hex_u64(&p, &off) || *p++ != ',' || !hex_u64(&p, &len)) {
        reply("E01");
        return;
    }
    size_t total = sizeof(s_target_xml) - 1;
    if (off >= total) {
        reply("l");
        return;
    }
    if (len > PKT_MAX - 2)
        len = PKT_MAX - 2;
    size_t n = total - off < len ? total - off : (size_t)len;
    g.out[0] = n < total - off ? 'm' : 'l';
    memcpy(g.out + 1, s_target_xml + off, n);
    put_packet(g.out, n + 1);
}

/* Serves gdb while everything is stopped; returns when gdb resumes
 * (modes set) or is gone. self: the vCPU whose thread serves. */
static void serve(int self) {
    g.cur = self;
    for (;;) {
        int n = get_packet();
        if (n < 0)
            return;
        const char *p = g.in;
        uint64_t a, l;
        struct regset rs;
        switch (p[0]) {
        case 3:
            stop_reply(self, "");
            break;
        case '?':
            stop_reply(self, "");
            break;
        case 'q':
            if (!strncmp(p, "qSupported", 10)) {
                snprintf(g.out, sizeof(g.out),
                         "PacketSize=%x;qXfer:features:read+;swbreak+;vContSupported+", PKT_MAX);
                reply(g.out);
            } else if (!strcmp(p, "qfThreadInfo")) {
                thread_list();
            } else if (!strcmp(p, "qsThreadInfo")) {
                reply("l");
            } else if (!strcmp(p, "qC")) {
                snprintf(g.out, sizeof(g.out), "QC%x", self + 1);
                reply(g.out);
            } else if (!strcmp(p, "qAttached")) {
                reply("0");
            } else if (!strncmp(p, "qXfer:features:read:", 20)) {
                xfer_features(p + 20);
            } else if (!strncmp(p, "qThreadExtraInfo,", 17)) {
                const char *q = p + 17;
                if (!hex_u64(&q, &a) || a < 1 || a > KVM_MAX_VCPUS) {
                    reply("E01");
                    break;
                }
                char s[32];
                int k = snprintf(s, sizeof(s), "vCPU %d", (int)a - 1);
                hex_bytes(g.out, s, (size_t)k);
                reply(g.out);
            } else {
                reply("");
            }
            break;
        case 'H': {
            const char *q = p + 2;
            if (p[1] != 'g' && p[1] != 'c') {
                reply("");
                break;
            }
            if (*q == '-' || *q == '0') { /* any thread */
                g.cur = self;
                reply("OK");
                break;
            }
            if (!hex_u64(&q, &a) || *q || a < 1 || a > KVM_MAX_VCPUS || !alive((int)a - 1)) {
                reply("E01");
                break;
            }
            if (p[1] == 'g')
                g.cur = (int)a - 1;
            reply("OK");
            break;
        }
        case 'T': {
            const char *q = p + 1;
            reply(hex_u64(&q, &a) && !*q && a >= 1 && a <= KVM_MAX_VCPUS && alive((int)a - 1)
                      ? "OK"
                      : "E01");
            break;
        }
        case 'g': {
            if (!get_regs(g.cur, &rs)) {
                reply("E01");
                break;
            }
            char *o = g.out;
            for (int r = 0; r < R_COUNT; r++) {
                uint64_t tmp;
                o = hex_bytes(o, reg_ptr(&rs, r, &tmp), (size_t)reg_size(r));
            }
            reply(g.out);
            break;
        }
        case 'G': {
            if (!get_regs(g.cur, &rs)) {
                reply("E01");
                break;
            }
            const char *q = p + 1;
            bool ok = true;
            for (int r = 0; r < R_COUNT && ok; r++) {
                size_t k = 2 * (size_t)reg_size(r);
                if (strnlen(q, k) < k)
                    break;
                ok = set_reg(&rs, r, q);
                q += k;
            }
            reply(ok && put_regs(g.cur, &rs) ? "OK" : "E01");
            break;
        }
        case 'p': {
            const char *q = p + 1;
            if (!hex_u64(&q, &a) || *q || a >= R_COUNT || !get_regs(g.cur, &rs)) {
                reply("E01");
                break;
            }
            uint64_t tmp;
            hex_bytes(g.out, reg_ptr(&rs, (int)a, &tmp), (size_t)reg_size((int)a));
            reply(g.out);
            break;
        }
        case 'P': {
            const char *q = p + 1;
            if (!hex_u64(&q, &a) || *q != '=' || a >= R_COUNT || !get_regs(g.cur, &rs) ||
                strnlen(q + 1, 2 * 16) < 2 * (size_t)reg_size((int)a)) {
                reply("E01");
                break;
            }
            reply(set_reg(&rs, (int)a, q + 1) && put_regs(g.cur, &rs) ? "OK" : "E01");
            break;
        }
        case 'm': {
            const char *q = p + 1;
            if (!hex_u64(&q, &a) || *q++ != ',' || !hex_u64(&q, &l) || *q) {
                reply("E01");
                break;
            }
            static uint8_t buf[PKT_MAX / 2];
            if (l > sizeof(buf) - 8)
                l = sizeof(buf) - 8;
            size_t got = guest_copy(a, buf, (size_t)l, false);
            if (!got && l) {
                reply("E14");
                break;
            }
            hide_bps(a, buf, got);
            hex_bytes(g.out, buf, got);
            reply(g.out);
            break;
        }
        case 'M': {
            const char *q = p + 1;
            static uint8_t buf[PKT_MAX / 2];
            if (!hex_u64(&q, &a) || *q++ != ',' || !hex_u64(&q, &l) || *q++ != ':' ||
                l > sizeof(buf) || strlen(q) != 2 * l || !unhex(q, buf, (size_t)l)) {
                reply("E01");
                break;
            }
            reply(guest_copy(a, buf, (size_t)l, true) == l ? "OK" : "E14");
            break;
        }
        case 'Z':
        case 'z': {
            const char *q = p + 2;
            bool on = p[0] == 'Z';
            /* kvm_pvm loads no guest debug registers: a hardware breakpoint
             * (Z1, gdb's hbreak) is an int3 like Z0, kept apart so removing
             * one kind leaves the other; watchpoints (Z2-Z4) are not offered. */
            if (p[1] >= '2' && p[1] <= '4') {
                reply("");
                break;
            }
            uint8_t kind = p[1] == '1' ? 2 : 1;
            if ((p[1] != '0' && p[1] != '1') || *q++ != ',' || !hex_u64(&q, &a) || *q++ != ',' ||
                !hex_u64(&q, &l)) {
                reply("E01");
                break;
            }
            reply((on ? bp_insert(a, kind) : bp_remove(a, kind)) ? "OK" : "E01");
            break;
        }
        case 'v':
            if (!strcmp(p, "vCont?")) {
                reply("vCont;c;C;s;S");
            } else if (!strncmp(p, "vCont;", 6) || !strcmp(p, "vCont")) {
                if (!parse_vcont(p + 5, self)) {
                    reply("E01");
                    break;
                }
                return;
            } else if (!strncmp(p, "vKill", 5)) {
                reply("OK");
                fflush(NULL);
                _exit(137);
            } else {
                reply("");
            }
            break;
        case 'c':
        case 's':
        case 'C':
        case 'S': {
            const char *q = p + 1;
            if (p[0] == 'C' || p[0] == 'S') { /* CSIG[;ADDR]: the signal is ignored */
                if (!hex_u64(&q, &l) || (*q && *q != ';')) {
                    reply("E01");
                    break;
                }
                if (*q)
                    q++;
            }
            if (*q) { /* resume address */
                if (!hex_u64(&q, &a) || *q || !get_regs(g.cur, &rs)) {
                    reply("E01");
                    break;
                }
                rs.r.rip = a;
                put_regs(g.cur, &rs);
            }
            for (int i = 0; i < KVM_MAX_VCPUS; i++)
                g.mode[i] = MODE_CONT;
            if (p[0] == 's' || p[0] == 'S') {
                for (int i = 0; i < KVM_MAX_VCPUS; i++)
                    g.mode[i] = MODE_STOP;
                g.mode[g.cur] = MODE_STEP;
            }
            return;
        }
        case 'k':
            fflush(NULL);
            _exit(137);
        case 'D':
            reply("OK");
            for (int i = 0; i < KVM_MAX_VCPUS; i++)
                g.mode[i] = MODE_CONT;
            disconnect();
            return;
        default:
            reply("");
        }
    }
}

/* ------------------------------------------------------- traps */
/* IDT gate vec's handler address (the tender built the IDT). */
static uint64_t *idt_gate(int vec) {
    return (uint64_t *)(g.vm->mem + KVM_GPA_IDT + 16 * (uint64_t)vec);
}

static uint64_t gate_get(int vec) {
    uint64_t *e = idt_gate(vec);
    return (e[0] & 0xffff) | ((e[0] >> 32) & 0xffff0000ULL) | (e[1] << 32);
}

static void gate_set(int vec, uint64_t h) {
    uint64_t *e = idt_gate(vec);
    e[0] = (e[0] & 0x0000ffffffff0000ULL) | (h & 0xffff) | ((h & 0xffff0000ULL) << 32);
    e[1] = h >> 32;
}

static void jump_to_arm(bool on) {
    uint8_t cc = 0xcc;
    if (!g.jump_to || on == g.jump_to_armed)
        return;
    if (on && guest_copy(g.jump_to, &g.jump_to_orig, 1, false) == 1 &&
        guest_copy(g.jump_to, &cc, 1, true) == 1)
        g.jump_to_armed = true;
    else if (!on && guest_copy(g.jump_to, &g.jump_to_orig, 1, true) == 1)
        g.jump_to_armed = false;
}

/* gdb gone (or a fork's child): the guest runs on as if never debugged. */
static void undebug(void) {
    bp_remove_all();
    for (int i = 0; i < KVM_MAX_VCPUS; i++)
        if (g.step_over[i]) {
            guest_copy(g.step_over[i], &g.step_over_orig[i], 1, true);
            g.step_over[i] = 0;
        }
    jump_to_arm(false);
    if (g.hlt) {
        gate_set(1, g.stub_db);
        gate_set(3, g.stub_bp);
    }
}

/* A step of the app's `syscall` at rip: an int3 after it instead of TF.
 * A site the guest rewrote (`call *%rax` with a number in rax: through
 * page 0, pal/kvm/guest/rewrite.c) is stepped over the same way. True if
 * set. */
static bool step_over_syscall(int slot, uint64_t rip, uint64_t rax) {
    uint8_t ins[2], cc = 0xcc;
    if (rip >= 0x0000800000000000ULL || guest_copy(rip, ins, 2, false) != 2 ||
        !((ins[0] == 0x0f && ins[1] == 0x05) || (ins[0] == 0xff && ins[1] == 0xd0 && rax < PAGE)) ||
        guest_copy(rip + 2, &g.step_over_orig[slot], 1, false) != 1 ||
        guest_copy(rip + 2, &cc, 1, true) != 1)
        return false;
    g.step_over[slot] = rip + 2;
    return true;
}

/* Resumes trapped vCPU v through the iretq, TF as its mode says. */
static void resume_trapped(struct kvm_vcpu *v, bool step) {
    uint64_t f[5];
    struct kvm_regs r;
    if (!frame_rw(v->slot, f, false) || ioctl(v->fd, KVM_GET_REGS, &r) < 0)
        return;
    if (step && step_over_syscall(v->slot, f[F_RIP], r.rax))
        step = false;
    f[F_RFLAGS] = step ? f[F_RFLAGS] | 0x100 : f[F_RFLAGS] & ~0x100ULL;
    frame_rw(v->slot, f, true);
    r.rip = g.iretq;
    ioctl(v->fd, KVM_SET_REGS, &r);
    g.trapped[v->slot] = false;
}

/* Applies gdb's resume modes to every vCPU (all stopped). */
static void resume_all(void) {
    for (int i = 0; i < KVM_MAX_VCPUS; i++) {
        struct kvm_vcpu *v = &g.vm->vcpus[i];
        if (v->fd < 0)
            continue;
        bool step = g.fd >= 0 && g.mode[i] == MODE_STEP;
        g.stepping[i] = step;
        if (g.trapped[i]) {
            resume_trapped(v, step);
        } else if (step) {
            struct kvm_regs r;
            if (ioctl(v->fd, KVM_GET_REGS, &r) == 0 && !step_over_syscall(i, r.rip, r.rax)) {
                r.rflags |= 0x100;
                ioctl(v->fd, KVM_SET_REGS, &r);
            }
        }
    }
}

/* The stop is over: sessions and the Ctrl-C watcher may start again. */
static void end_stop(void) {
    pthread_mutex_lock(&g.lock);
    g.stopped = 0;
    pthread_cond_broadcast(&g.cv);
    pthread_mutex_unlock(&g.lock);
}

/* Serves gdb while every vCPU is stopped, then lets them run as it said
 * (all of them, without a debugger, if gdb went away). */
static void serve_and_resume(int slot) {
    serve(slot);
    if (g.fd < 0) {
        undebug();
        for (int i = 0; i < KVM_MAX_VCPUS; i++)
            g.mode[i] = MODE_CONT;
    }
    resume_all();
    end_stop();
}

/* Ctrl-C while the guest runs: a watcher thread polls the connection
 * whenever no session owns it (g.stopped clear). On input it takes the
 * session itself (stopped set first, so a vCPU trapping meanwhile leaves
 * the report to it), kicks every vCPU out of KVM_RUN (those blocked in a
 * tender call park when it returns), and reports SIGINT for gdb's current
 * thread, or the first live one. */
static int interrupt_slot(void) {
    if (alive(g.cur))
        return g.cur;
    for (int i = 0; i < KVM_MAX_VCPUS; i++)
        if (alive(i))
            return i;
    return -1;
}

static void *watch_interrupts(void *arg) {
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&g.lock);
        while (g.fd >= 0 && !g.vm->exiting && g.stopped)
            pthread_cond_wait(&g.cv, &g.lock);
        int fd = g.fd;
        pthread_mutex_unlock(&g.lock);
        if (fd < 0 || g.vm->exiting)
            return NULL;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        struct timespec ts = {0, 200000000}; /* ppoll: what confine.c allows */
        if (ppoll(&p, 1, &ts, NULL) <= 0)
            continue;
        pthread_mutex_lock(&g.lock);
        bool mine = !g.stopped && g.fd >= 0;
        if (mine)
            g.stopped = 1;
        pthread_mutex_unlock(&g.lock);
        if (!mine)
            continue; /* a session took it: its serve reads the bytes */
        int c = get_byte();
        int slot = interrupt_slot();
        if (c == 3 && slot >= 0) {
            stop_others(NULL);
            snprintf(g.out, sizeof(g.out), "T02thread:%x;", slot + 1);
            reply(g.out);
            serve_and_resume(slot);
        } else {
            end_stop();
        }
    }
}

/* Serves a stop of vCPU self (all stopped), then resumes as gdb says. */
static void session(struct kvm_vcpu *self, const char *why, bool announce) {
    pthread_mutex_lock(&g.lock);
    g.stopped = 1;
    pthread_mutex_unlock(&g.lock);
    stop_others(self);
    if (announce)
        stop_reply(self->slot, why);
    serve_and_resume(self->slot);
}

static uint64_t image_sym(const uint8_t *img, size_t size, const char *name) {
    const Elf64_Ehdr *eh = (const void *)img;
    if (size < sizeof(*eh) || eh->e_shoff == 0 ||
        eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size)
        return 0;
    const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff);
    for (int i = 0; i < eh->e_shnum; i++) {
        if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
            continue;
        const Elf64_Sym *sym = (const void *)(img + sh[i].sh_offset);
        const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof(Elf64_Sym); k++)
            if (!strcmp(str + sym[k].st_name, name))
                return sym[k].st_value;
    }
    return 0;
}

void kvm_gdb_start(struct kvm_vm *vm, struct kvm_vcpu *v0, const void *image, size_t image_size) {
    g.vm = vm;
    for (int i = 0; i < KVM_MAX_VCPUS; i++)
        g.mode[i] = MODE_CONT;
    /* cpl0_fault: hlt; the instruction before it: iretq (pal/kvm/guest/entry.S) */
    g.hlt = image_sym(image, image_size, "cpl0_fault");
    g.jump_to = image_sym(image, image_size, "jump_to");
    uint8_t code[3];
    if (g.hlt && guest_copy(g.hlt - 2, code, 3, false) == 3 && code[0] == 0x48 && code[1] == 0xcf &&
        code[2] == 0xf4) {
        g.iretq = g.hlt - 2;
        g.stub_db = gate_get(1);
        g.stub_bp = gate_get(3);
        gate_set(1, g.hlt);
        gate_set(3, g.hlt);
        jump_to_arm(true);
    } else {
        g.hlt = 0;
        fprintf(stderr, "sabot: kvm: gdb: the guest image has no trap hlt/iretq: no "
                        "breakpoints or steps\n");
    }
    pthread_mutex_lock(&g.lock);
    g.stopped = 1; /* before the watcher: the first session owns the socket */
    pthread_mutex_unlock(&g.lock);
    pthread_t t;
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    if (pthread_create(&t, &a, watch_interrupts, NULL) != 0)
        fprintf(stderr, "sabot: kvm: gdb: no Ctrl-C while the guest runs (no thread)\n");
    pthread_attr_destroy(&a);
    session(v0, "", false); /* gdb asks with '?' first */
}

/* KVM_EXIT_HLT on v: true if it is a trap gdb set up (#BP or #DB from
 * CPL3 through the redirected gates), handled here. */
bool kvm_gdb_hlt(struct kvm_vm *vm, struct kvm_vcpu *v) {
    struct kvm_regs r;
    uint64_t f[5];
    (void)vm;
    if (!g.hlt || ioctl(v->fd, KVM_GET_REGS, &r) < 0 || (r.rip != g.hlt && r.rip != g.hlt + 1))
        return false;
    g.frame[v->slot] = r.rsp;
    if (!frame_rw(v->slot, f, false) || (f[F_CS] & 3) != 3)
        return false; /* a real CPL0 fault (exc_cpl0 pushed vec/err first) */
    if (getenv("SABOT_KVM_DEBUG"))
        fprintf(stderr, "sabot: kvm: gdb: vcpu %d trap at %#llx flags %#llx\n", v->slot,
                (unsigned long long)f[F_RIP], (unsigned long long)f[F_RFLAGS]);
    g.trapped[v->slot] = true;
    if (g.step_jt[v->slot]) { /* stepped over jump_to: re-arm it, go on */
        g.step_jt[v->slot] = false;
        jump_to_arm(true);
        resume_trapped(v, g.stepping[v->slot]);
        return true;
    }
    uint8_t byte = 0;
    for (int i = 0; i < KVM_MAX_VCPUS; i++) {
        if (!g.step_over[i] || f[F_RIP] - 1 != g.step_over[i])
            continue;
        f[F_RIP]--; /* back onto the instruction after the syscall */
        frame_rw(v->slot, f, true);
        if (i != v->slot) { /* another thread: run it again once removed */
            g.trapped[v->slot] = false;
            resume_trapped(v, false);
            sched_yield();
            return true;
        }
        guest_copy(g.step_over[i], &g.step_over_orig[i], 1, true);
        g.step_over[i] = 0;
        g.stepping[v->slot] = true; /* report it as the step it is */
        break;
    }
    bool was_step = g.stepping[v->slot];
    if (was_step && (f[F_RFLAGS] & 0x100)) { /* TF was ours */
        f[F_RFLAGS] &= ~0x100ULL;
        frame_rw(v->slot, f, true);
    }
    bool bp = !was_step && guest_copy(f[F_RIP] - 1, &byte, 1, false) == 1 && byte == 0xcc;
    if (bp && g.jump_to_armed && f[F_RIP] - 1 == g.jump_to) {
        /* the libos enters a program: its memory is there now */
        for (int i = 0; i < g.nbp; i++)
            bp_arm(i);
        jump_to_arm(false);
        f[F_RIP]--;
        frame_rw(v->slot, f, true);
        g.step_jt[v->slot] = true;
        resume_trapped(v, true);
        return true;
    }
    if (bp && bp_find(f[F_RIP] - 1) < 0) { /* the app's own int3: its #BP */
        g.trapped[v->slot] = false;
        r.rip = g.stub_bp;
        ioctl(v->fd, KVM_SET_REGS, &r);
        return true;
    }
    if (bp) { /* gdb's: report the breakpoint's address */
        f[F_RIP]--;
        frame_rw(v->slot, f, true);
    }
    if (!bp && !was_step) { /* the app's own TF: its #DB */
        g.trapped[v->slot] = false;
        r.rip = g.stub_db;
        ioctl(v->fd, KVM_SET_REGS, &r);
        return true;
    }
    g.stepping[v->slot] = false;
    pthread_mutex_lock(&g.lock);
    bool other = g.stopped || g.fd < 0;
    pthread_mutex_unlock(&g.lock);
    if (other) { /* someone else reports; a breakpoint is hit again later */
        resume_trapped(v, false);
        return true;
    }
    session(v, bp ? "swbreak:;" : "", true);
    return true;
}

void kvm_gdb_exited(int status) {
    if (g.fd < 0)
        return;
    char s[8];
    snprintf(s, sizeof(s), "W%02x", status & 0xff);
    reply(s);
    disconnect();
    kvm_gdb_release();
}

void kvm_gdb_forked_child(void) {
    /* The child's memory is a copy: take our int3s and gates out of it;
     * the debugger stays with the parent. */
    if (g.fd < 0)
        return;
    undebug();
    close(g.fd);
    g.fd = -1;
    pthread_mutex_init(&g.lock, NULL);
    pthread_cond_init(&g.cv, NULL);
    g.stopped = 0;
    memset(g.trapped, 0, sizeof(g.trapped));
    memset(g.stepping, 0, sizeof(g.stepping));
}
