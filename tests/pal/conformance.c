/* PAL conformance: exercises every call of pal.h through the ABI alone.
 *
 * Freestanding, no libos: it defines libos_start() itself, so the same file
 * links against any PAL (Linux now, KVM and enclave later). Output is TAP on
 * the boot stdout handle; the exit status is the number of failed cases.
 * boot->argv[0] names a scratch directory that holds a symlink "link" ->
 * "target" (created by tests/pal/tests.cmake; the PAL has no symlink call).
 * Calls a PAL may legitimately leave out (threads, fork, handle waits) are
 * reported as SKIP when they return PAL_ERR_NOTIMPLEMENTED. */
#include "pal.h"

#define PAGE 4096UL

/* ------------------------------------------------- compiler-required libc */
/* The compiler may emit calls to these even in freestanding code. */
__attribute__((visibility("hidden"))) void *memset(void *d, int c, size_t n) {
    volatile char *p = d;
    while (n--)
        *p++ = (char)c;
    return d;
}
__attribute__((visibility("hidden"))) void *memcpy(void *d, const void *s, size_t n) {
    volatile char *dp = d;
    const char *sp = s;
    while (n--)
        *dp++ = *sp++;
    return d;
}

/* ------------------------------------------------------------- helpers */
static size_t str_len(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static bool mem_eq(const void *a, const void *b, size_t n) {
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return false;
    return true;
}

static bool str_eq(const char *a, const char *b) {
    size_t n = str_len(a);
    return n == str_len(b) && mem_eq(a, b, n);
}

struct buf {
    char s[512];
    size_t n;
};

static void b_str(struct buf *b, const char *s) {
    while (*s && b->n < sizeof(b->s) - 1)
        b->s[b->n++] = *s++;
    b->s[b->n] = '\0';
}

static void b_i64(struct buf *b, int64_t v) {
    char tmp[24];
    int i = 0;
    uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
    do {
        tmp[i++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        tmp[i++] = '-';
    char out[24];
    for (int j = 0; j < i; j++)
        out[j] = tmp[i - 1 - j];
    out[i] = '\0';
    b_str(b, out);
}

static pal_handle_t *g_out;
static const char *g_dir;
static int g_num, g_failed;

static void emit(struct buf *b) {
    b_str(b, "\n");
    pal_stream_write(g_out, PAL_OFFSET_NONE, b->s, b->n);
}

static void report(bool ok, const char *name, const char *skip) {
    struct buf b = {0};
    b_str(&b, ok ? "ok " : "not ok ");
    b_i64(&b, ++g_num);
    b_str(&b, " - ");
    b_str(&b, name);
    if (skip) {
        b_str(&b, " # SKIP ");
        b_str(&b, skip);
    }
    emit(&b);
    if (!ok)
        g_failed++;
}

static bool check(bool ok, const char *name) {
    report(ok, name, NULL);
    return ok;
}

/* got == want, printing both on failure (PAL errors show as negative). */
static bool check_eq(int64_t got, int64_t want, const char *name) {
    report(got == want, name, NULL);
    if (got != want) {
        struct buf b = {0};
        b_str(&b, "#   got ");
        b_i64(&b, got);
        b_str(&b, ", want ");
        b_i64(&b, want);
        emit(&b);
    }
    return got == want;
}

static void skip(const char *name, const char *why) {
    report(true, name, why);
}

/* "scheme:<dir>/<rel>" in a static buffer of the caller's choice. */
static const char *uri(char *out, const char *scheme, const char *rel) {
    struct buf b = {0};
    b_str(&b, scheme);
    b_str(&b, g_dir);
    if (rel) {
        b_str(&b, "/");
        b_str(&b, rel);
    }
    for (size_t i = 0; i <= b.n; i++)
        out[i] = b.s[i];
    return out;
}

static uint64_t now_ns(enum pal_clock c) {
    uint64_t t = 0;
    pal_time_get(c, &t);
    return t;
}

/* ---------------------------------------------------------- boot, misc */
static void test_boot(const struct pal_boot_info *boot) {
    check_eq(boot->abi_version, PAL_ABI_VERSION, "boot: abi_version");
    check(boot->stdio[0] && boot->stdio[1] && boot->stdio[2], "boot: stdio handles");
    check(boot->argv && boot->argv[0], "boot: argv carries the scratch directory");
    check(boot->host.pal_name[0] != '\0', "boot: host info filled");
    check(boot->mem.page_size == boot->host.page_size, "boot: mem and host page size agree");
}

static void test_host_info(const struct pal_boot_info *boot) {
    struct pal_host_info hi;
    check_eq(pal_host_info(&hi), 0, "host_info: returns 0");
    check(hi.pal_name[0] && str_eq(hi.pal_name, boot->host.pal_name), "host_info: pal_name");
    check(hi.cpu_count >= 1, "host_info: cpu_count >= 1");
    check(hi.page_size >= 4096 && (hi.page_size & (hi.page_size - 1)) == 0,
          "host_info: page_size is a power of two");
    check(hi.mem_total > 0, "host_info: mem_total > 0");
    check(hi.os_release[0] != '\0', "host_info: os_release");
}

static void test_debug_log(void) {
    static const char msg[] = "pal conformance: debug log line\n";
    check_eq(pal_debug_log(msg, sizeof(msg) - 1), 0, "debug_log: returns 0");
    int r = pal_debug_map_add("/nonexistent/conformance.so", 0x7e0000000000ULL, 0);
    if (r == -PAL_ERR_NOTSUPPORTED || r == -PAL_ERR_NOTIMPLEMENTED) {
        skip("debug_map_add/remove", "no debugger interface on this host");
        return;
    }
    check_eq(r, 0, "debug_map_add: returns 0");
    check_eq(pal_debug_map_remove(0x7e0000000000ULL), 0, "debug_map_remove: returns 0");
    check_eq(pal_debug_map_remove(0x7e0000000000ULL), -PAL_ERR_NOTFOUND,
             "debug_map_remove: unknown base is NOTFOUND");
}

static void test_time(void) {
    uint64_t t1 = 0, t2 = 0, rt = 0, cpu = 0;
    check_eq(pal_time_get(PAL_CLOCK_MONOTONIC, &t1), 0, "time: monotonic returns 0");
    uint64_t sleep_us = 2000;
    check_eq(pal_event_wait(NULL, &sleep_us), -PAL_ERR_TIMEOUT, "event_wait(NULL): sleeps");
    pal_time_get(PAL_CLOCK_MONOTONIC, &t2);
    check(t2 >= t1 + 2000000, "time: monotonic advanced by the 2 ms sleep");
    check_eq(pal_time_get(PAL_CLOCK_REALTIME, &rt), 0, "time: realtime returns 0");
    check(rt > 1577836800ULL * 1000000000ULL, "time: realtime is after 2020");
    for (volatile int i = 0; i < 2000000; i++)
        ;
    check(pal_time_get(PAL_CLOCK_PROCESS_CPU, &cpu) == 0 && cpu > 0, "time: process cpu > 0");
    cpu = 0;
    check(pal_time_get(PAL_CLOCK_THREAD_CPU, &cpu) == 0 && cpu > 0, "time: thread cpu > 0");
    check_eq(pal_time_get((enum pal_clock)99, &cpu), -PAL_ERR_INVAL, "time: bad clock is INVAL");
}

static void test_random(void) {
    uint8_t a[32], b[32], zero[32] = {0};
    check_eq(pal_random(a, sizeof(a)), 0, "random: returns 0");
    pal_random(b, sizeof(b));
    check(!mem_eq(a, b, sizeof(a)), "random: two draws differ");
    check(!mem_eq(a, zero, sizeof(a)), "random: not all zero");
}

static void test_cpuid(void) {
    uint32_t out[4] = {0}, nat[4];
    check_eq(pal_cpuid(0, 0, out), 0, "cpuid: leaf 0 returns 0");
    __asm__ volatile("cpuid"
                     : "=a"(nat[0]), "=b"(nat[1]), "=c"(nat[2]), "=d"(nat[3])
                     : "a"(0), "c"(0));
    /* vendor string: ebx, edx, ecx */
    check(out[1] == nat[1] && out[3] == nat[3] && out[2] == nat[2],
          "cpuid: vendor matches the cpuid instruction");
    check(out[0] >= 1, "cpuid: max basic leaf >= 1");
}

static uint64_t read_fs0(void) {
    uint64_t v;
    __asm__ volatile("mov %%fs:0, %0" : "=r"(v));
    return v;
}

static void test_segments(void) {
    static uint64_t block[4] = {0x5ab07f5ab07f0001ULL};
    uint64_t orig = 0, got = 0;
    check_eq(pal_segment_base_get(PAL_SEG_FS, &orig), 0, "segment: get FS");
    check_eq(pal_segment_base_set(PAL_SEG_FS, (uint64_t)block), 0, "segment: set FS");
    pal_segment_base_get(PAL_SEG_FS, &got);
    check(got == (uint64_t)block, "segment: get returns what was set");
    check(read_fs0() == block[0], "segment: %fs:0 reads through the new base");
    check_eq(pal_segment_base_set(PAL_SEG_FS, orig), 0, "segment: restore FS");
    check(pal_segment_base_set(PAL_SEG_GS, (uint64_t)block) < 0, "segment: GS is the PAL's");

    void *self;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(self));
    check(self != NULL && ((struct pal_tcb_abi *)self)->self == self,
          "tcb: %gs:0 is a self pointer");
    void *saved = pal_tcb_libos_get();
    pal_tcb_libos_set(block);
    check(pal_tcb_libos_get() == block && ((struct pal_tcb_abi *)self)->libos == block,
          "tcb: libos slot set/get");
    pal_tcb_libos_set(saved);
}

/* -------------------------------------------------------------- memory */
static bool all_bytes(const volatile uint8_t *p, size_t n, uint8_t v) {
    for (size_t i = 0; i < n; i++)
        if (p[i] != v)
            return false;
    return true;
}

static void test_memory(void) {
    struct pal_mem_info mi;
    check_eq(pal_mem_query(&mi), 0, "mem_query: returns 0");
    check(mi.total > 0 && mi.available <= mi.total, "mem_query: total and available");
    check(mi.page_size == PAGE && mi.alloc_granularity >= mi.page_size,
          "mem_query: page size and granularity");

    void *a = NULL;
    check_eq(pal_mem_alloc(&a, 3 * PAGE, PAL_PROT_READ | PAL_PROT_WRITE, 0), 0,
             "mem_alloc: 3 pages");
    volatile uint8_t *p = a;
    check(a && ((uint64_t)a & (PAGE - 1)) == 0, "mem_alloc: page aligned");
    check(all_bytes(p, 3 * PAGE, 0), "mem_alloc: zero filled");
    for (size_t i = 0; i < 3 * PAGE; i++)
        p[i] = 0xaa;
    check(all_bytes(p, 3 * PAGE, 0xaa), "mem_alloc: writable");
    check_eq(pal_mem_protect((void *)(p + PAGE), PAGE, PAL_PROT_READ), 0, "mem_protect: read-only");
    check(all_bytes(p + PAGE, PAGE, 0xaa), "mem_protect: contents kept");

    void *at = (void *)(p + PAGE);
    check_eq(pal_mem_alloc(&at, PAGE, PAL_PROT_READ, PAL_MEM_NOREPLACE), -PAL_ERR_EXISTS,
             "mem_alloc: NOREPLACE over a mapping is EXISTS");
    at = (void *)(p + PAGE);
    check_eq(pal_mem_alloc(&at, PAGE, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MEM_FIXED), 0,
             "mem_alloc: FIXED over a mapping");
    check(at == (void *)(p + PAGE) && all_bytes(p + PAGE, PAGE, 0),
          "mem_alloc: FIXED replaced the page with zeros");
    check(all_bytes(p, PAGE, 0xaa) && all_bytes(p + 2 * PAGE, PAGE, 0xaa),
          "mem_alloc: FIXED left neighbours alone");
    check_eq(pal_mem_free(a, 3 * PAGE), 0, "mem_free: 3 pages");
    at = a;
    check_eq(pal_mem_alloc(&at, 2 * PAGE, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MEM_NOREPLACE), 0,
             "mem_alloc: NOREPLACE into a freed range");
    check(at == a && all_bytes(at, 2 * PAGE, 0), "mem_alloc: NOREPLACE placed exactly");
    pal_mem_free(at, 2 * PAGE);
    at = a;
    check_eq(pal_mem_alloc(&at, PAGE, PAL_PROT_READ, PAL_MEM_HINT), 0, "mem_alloc: HINT");
    pal_mem_free(at, PAGE);
    at = NULL;
    check_eq(pal_mem_alloc(&at, 0, PAL_PROT_READ, 0), -PAL_ERR_INVAL, "mem_alloc: size 0 INVAL");
}

/* -------------------------------------------------------------- events */
static void test_events(void) {
    pal_handle_t *ev = NULL;
    uint64_t t;
    check_eq(pal_event_create(false, true, &ev), 0, "event_create: auto-clear");
    t = 1000;
    check_eq(pal_event_wait(ev, &t), -PAL_ERR_TIMEOUT, "event_wait: unsignaled times out");
    check_eq(t, 0, "event_wait: nothing left after timeout");
    check_eq(pal_event_set(ev), 0, "event_set: returns 0");
    t = 1000000;
    check_eq(pal_event_wait(ev, &t), 0, "event_wait: signaled returns 0");
    check(t > 0 && t <= 1000000, "event_wait: time left written back");
    t = 1000;
    check_eq(pal_event_wait(ev, &t), -PAL_ERR_TIMEOUT, "event_wait: auto-clear consumed it");

    pal_handle_t *man = NULL;
    check_eq(pal_event_create(true, false, &man), 0, "event_create: manual, signaled");
    t = 1000;
    int r1 = pal_event_wait(man, &t);
    t = 1000;
    int r2 = pal_event_wait(man, &t);
    check(r1 == 0 && r2 == 0, "event_wait: manual event stays signaled");
    check_eq(pal_event_clear(man), 0, "event_clear: returns 0");
    t = 1000;
    check_eq(pal_event_wait(man, &t), -PAL_ERR_TIMEOUT, "event_wait: cleared times out");
    check_eq(pal_stream_close(ev), 0, "close: event handle");
    pal_stream_close(man);

    uint32_t word = 5;
    uint64_t ns = 1000000;
    check_eq(pal_addr_wait(&word, 5, &ns), -PAL_ERR_TIMEOUT, "addr_wait: equal value times out");
    ns = 1000000000;
    uint64_t t0 = now_ns(PAL_CLOCK_MONOTONIC);
    int r = pal_addr_wait(&word, 4, &ns);
    check(r != -PAL_ERR_TIMEOUT && now_ns(PAL_CLOCK_MONOTONIC) - t0 < 500000000ULL,
          "addr_wait: different value returns at once");
    check_eq(pal_addr_wake(&word, 1), 0, "addr_wake: no sleepers woken");
}

/* -------------------------------------------------------------- threads */
static struct {
    pal_handle_t *done;
    void *tcb_self;
    uint64_t fs_base;
    uint32_t tid_word;
    int ran;
} g_thr;

static int thread_body(void *arg) {
    g_thr.ran = (int)(uint64_t)arg;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(g_thr.tcb_self));
    pal_segment_base_get(PAL_SEG_FS, &g_thr.fs_base);
    pal_event_set(g_thr.done);
    pal_thread_exit(&g_thr.tid_word);
}

static void test_threads(void) {
    uint8_t mask[128] = {0};
    check_eq(pal_thread_get_affinity(NULL, mask, sizeof(mask)), 0, "thread_get_affinity: self");
    check(!all_bytes(mask, sizeof(mask), 0), "thread_get_affinity: some CPU set");
    check_eq(pal_thread_set_affinity(NULL, mask, sizeof(mask)), 0,
             "thread_set_affinity: same mask");
    pal_thread_yield();

    pal_event_create(false, true, &g_thr.done);
    g_thr.tid_word = 1;
    pal_handle_t *th = NULL;
    int r = pal_thread_create(thread_body, (void *)7, &th);
    if (r == -PAL_ERR_NOTIMPLEMENTED) {
        skip("thread_create", "not implemented by this PAL");
        return;
    }
    check_eq(r, 0, "thread_create: returns 0");
    uint64_t t = 5000000;
    check_eq(pal_event_wait(g_thr.done, &t), 0, "thread: ran and signaled an event");
    check_eq(g_thr.ran, 7, "thread: got its argument");
    void *self;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(self));
    check(g_thr.tcb_self && g_thr.tcb_self != self, "thread: own per-thread block");
    check_eq(g_thr.fs_base, 0, "thread: starts without an FS base");
    uint64_t deadline = now_ns(PAL_CLOCK_MONOTONIC) + 5000000000ULL;
    while (__atomic_load_n(&g_thr.tid_word, __ATOMIC_ACQUIRE) &&
           now_ns(PAL_CLOCK_MONOTONIC) < deadline) {
        uint64_t ns = 100000000;
        pal_addr_wait(&g_thr.tid_word, 1, &ns);
    }
    check_eq(g_thr.tid_word, 0, "thread_exit: clears clear_tid");
}

/* ------------------------------------------------------------- streams */
static char u1[600], u2[600];

static pal_handle_t *open_or_null(const char *u, uint32_t access, uint32_t create,
                                  uint32_t options) {
    pal_handle_t *h = NULL;
    return pal_stream_open(u, access, 0600, create, options, &h) == 0 ? h : NULL;
}

static void test_file_io(void) {
    pal_handle_t *h = NULL;
    const char *f1 = uri(u1, "file:", "f1");
    check_eq(pal_stream_open(f1, PAL_ACCESS_RDWR, 0600, PAL_CREATE_ALWAYS, 0, &h), 0,
             "open: create a file");
    pal_handle_t *h2 = NULL;
    check_eq(pal_stream_open(f1, PAL_ACCESS_RDWR, 0600, PAL_CREATE_ALWAYS, 0, &h2), -PAL_ERR_EXISTS,
             "open: CREATE_ALWAYS on an existing file is EXISTS");
    check_eq(pal_stream_write(h, PAL_OFFSET_NONE, "hello world", 11), 11, "write: 11 bytes");
    char buf[64] = {0};
    check_eq(pal_stream_read(h, PAL_OFFSET_NONE, buf, sizeof(buf)), 0,
             "read: own position is at end of file");
    check_eq(pal_stream_read(h, 6, buf, 5), 5, "read: at offset 6");
    check(mem_eq(buf, "world", 5), "read: data at offset");
    check_eq(pal_stream_write(h, 0, "J", 1), 1, "write: at offset 0");
    check(pal_stream_read(h, 0, buf, sizeof(buf)) == 11 && mem_eq(buf, "Jello world", 11),
          "read: positioned write landed");

    struct pal_stream_attr at, at2;
    check_eq(pal_stream_attr_query_handle(h, &at), 0, "attr_query_handle: file");
    check(at.type == PAL_TYPE_FILE && at.size == 11 && at.nlink == 1,
          "attr_query_handle: type, size, nlink");
    check_eq(at.mode, 0600, "attr_query_handle: create mode");
    check(!at.nonblocking, "attr_query_handle: blocking by default");
    check_eq(pal_stream_attr_query(f1, false, &at2), 0, "attr_query: by URI");
    check(at2.inode == at.inode && at2.dev == at.dev && at2.size == 11,
          "attr_query: same object as the handle");

    check_eq(pal_stream_set_length(h, 4), 0, "set_length: shrink");
    check(pal_stream_read(h, 0, buf, sizeof(buf)) == 4 && mem_eq(buf, "Jell", 4),
          "set_length: data cut at new length");
    check_eq(pal_stream_set_length(h, 8192), 0, "set_length: grow");
    pal_stream_attr_query_handle(h, &at);
    check_eq(at.size, 8192, "set_length: size after grow");
    check(pal_stream_read(h, 5000, buf, 10) == 10 && all_bytes((uint8_t *)buf, 10, 0),
          "set_length: grown part reads as zeros");
    check_eq(pal_stream_flush(h), 0, "flush: file");
    struct pal_term_mode tm;
    check_eq(pal_console_get_mode(h, &tm), -PAL_ERR_NOTTY, "terminal mode of a file: NOTTY");

    struct pal_stream_attr set = {0};
    set.mode = 0640;
    check_eq(pal_stream_attr_set_handle(h, PAL_ATTR_MODE, &set), 0, "attr_set: mode");
    pal_stream_attr_query_handle(h, &at);
    check_eq(at.mode, 0640, "attr_set: mode took effect");
    set.atime_ns = 1000000000LL * 1000000000LL + 7;
    set.mtime_ns = 1100000000LL * 1000000000LL + 9;
    check_eq(pal_stream_attr_set_handle(h, PAL_ATTR_TIMES, &set), 0, "attr_set: times");
    pal_stream_attr_query(f1, false, &at);
    check(at.atime_ns == set.atime_ns && at.mtime_ns == set.mtime_ns,
          "attr_set: times took effect (ns)");
    set.nonblocking = true;
    check_eq(pal_stream_attr_set_handle(h, PAL_ATTR_NONBLOCK, &set), 0, "attr_set: nonblock");
    pal_stream_attr_query_handle(h, &at);
    check(at.nonblocking, "attr_set: nonblock took effect");
    set.nonblocking = false;
    pal_stream_attr_set_handle(h, PAL_ATTR_NONBLOCK, &set);
    pal_stream_attr_query_handle(h, &at);
    check(!at.nonblocking, "attr_set: nonblock cleared");

    pal_handle_t *ap = open_or_null(f1, PAL_ACCESS_WRONLY | PAL_ACCESS_APPEND, 0, 0);
    check(ap && pal_stream_write(ap, PAL_OFFSET_NONE, "XY", 2) == 2, "open: append write");
    check(pal_stream_read(h, 8192, buf, 8) == 2 && mem_eq(buf, "XY", 2),
          "append: data went to the end");
    pal_handle_t *ro = open_or_null(f1, PAL_ACCESS_RDONLY, 0, 0);
    check(ro && pal_stream_write(ro, 0, "z", 1) < 0, "write: read-only handle fails");
    if (ro)
        pal_stream_close(ro);
    if (ap)
        pal_stream_close(ap);
    check_eq(pal_stream_close(h), 0, "close: file");

    h = open_or_null(f1, PAL_ACCESS_RDWR, 0, PAL_OPTION_TRUNCATE);
    check(h && pal_stream_attr_query_handle(h, &at) == 0 && at.size == 0,
          "open: TRUNCATE empties the file");
    if (h)
        pal_stream_close(h);
}

static void test_map(void) {
    const char *f = uri(u1, "file:", "mapped");
    pal_handle_t *h = open_or_null(f, PAL_ACCESS_RDWR, PAL_CREATE_ALWAYS, 0);
    if (!check(h != NULL, "map: create backing file"))
        return;
    pal_stream_set_length(h, 2 * PAGE);
    pal_stream_write(h, PAGE, "second", 6);

    void *m = NULL;
    check_eq(pal_stream_map(h, &m, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MAP_SHARED, 0, 2 * PAGE), 0,
             "map: shared read/write");
    char buf[8] = {0};
    if (m) {
        check(mem_eq((char *)m + PAGE, "second", 6), "map: file contents visible");
        memcpy(m, "MAP!", 4);
        check(pal_stream_read(h, 0, buf, 4) == 4 && mem_eq(buf, "MAP!", 4),
              "map: shared store reaches the file");
        check_eq(pal_mem_free(m, 2 * PAGE), 0, "map: mem_free unmaps");
    }
    void *pm = NULL;
    check_eq(pal_stream_map(h, &pm, PAL_PROT_READ | PAL_PROT_WRITE, PAL_MAP_PRIVATE, PAGE, PAGE), 0,
             "map: private at offset");
    if (pm) {
        check(mem_eq(pm, "second", 6), "map: offset honoured");
        memcpy(pm, "PRIV", 4);
        check(pal_stream_read(h, PAGE, buf, 6) == 6 && mem_eq(buf, "second", 6),
              "map: private store stays private");
        pal_mem_free(pm, PAGE);
    }

    void *anon = NULL;
    pal_mem_alloc(&anon, PAGE, PAL_PROT_READ | PAL_PROT_WRITE, 0);
    void *at = anon;
    check_eq(pal_stream_map(h, &at, PAL_PROT_READ, PAL_MAP_SHARED | PAL_MEM_NOREPLACE, 0, PAGE),
             -PAL_ERR_EXISTS, "map: NOREPLACE over a mapping is EXISTS");
    at = anon;
    check_eq(pal_stream_map(h, &at, PAL_PROT_READ, PAL_MAP_SHARED | PAL_MEM_FIXED, 0, PAGE), 0,
             "map: FIXED over a mapping");
    check(at == anon && mem_eq(anon, "MAP!", 4), "map: FIXED placed exactly");
    pal_mem_free(anon, PAGE);
    at = NULL;
    check_eq(pal_stream_map(h, &at, PAL_PROT_READ, PAL_MAP_SHARED, 100, PAGE), -PAL_ERR_INVAL,
             "map: unaligned offset is INVAL");
    pal_stream_close(h);
    check_eq(pal_stream_delete(f), 0, "delete: mapped file");
}

static void test_open_errors(void) {
    pal_handle_t *h = NULL;
    check_eq(pal_stream_open(uri(u1, "file:", "nonexistent"), PAL_ACCESS_RDONLY, 0,
                             PAL_CREATE_NEVER, 0, &h),
             -PAL_ERR_NOTFOUND, "open: missing file is NOTFOUND");
    check_eq(pal_stream_open(uri(u1, "file:", NULL), PAL_ACCESS_WRONLY, 0, PAL_CREATE_NEVER, 0, &h),
             -PAL_ERR_ISDIR, "open: directory for writing is ISDIR");
    check_eq(pal_stream_open(uri(u1, "file:", "f1"), PAL_ACCESS_RDONLY, 0, PAL_CREATE_NEVER,
                             PAL_OPTION_DIRECTORY, &h),
             -PAL_ERR_NOTDIR, "open: DIRECTORY option on a file is NOTDIR");
    check_eq(pal_stream_open(uri(u1, "dir:", "f1"), PAL_ACCESS_RDONLY, 0, PAL_CREATE_NEVER, 0, &h),
             -PAL_ERR_NOTDIR, "open: dir: on a file is NOTDIR");
    check_eq(pal_stream_open("bogus:x", PAL_ACCESS_RDONLY, 0, PAL_CREATE_NEVER, 0, &h),
             -PAL_ERR_INVAL, "open: unknown scheme is INVAL");
    check_eq(pal_stream_open("file:", PAL_ACCESS_RDONLY, 0, PAL_CREATE_NEVER, 0, &h),
             -PAL_ERR_INVAL, "open: empty path is INVAL");
    h = open_or_null(uri(u1, "dir:", NULL), PAL_ACCESS_RDONLY, 0, 0);
    char c;
    check(h && pal_stream_read(h, PAL_OFFSET_NONE, &c, 1) == -PAL_ERR_ISDIR,
          "read: on a directory is ISDIR");
    if (h)
        pal_stream_close(h);
}

/* Reads all entries with a small buffer; returns the count or -1 on a bad record. */
static int read_names(pal_handle_t *h, char names[][16], uint8_t *types, int max) {
    char buf[40] __attribute__((aligned(8)));
    int n = 0;
    for (int rounds = 0; rounds < 100; rounds++) {
        int64_t got = pal_stream_readdir(h, buf, sizeof(buf));
        if (got < 0)
            return -1;
        if (got == 0)
            return n;
        for (int64_t off = 0; off < got;) {
            struct pal_dirent *d = (void *)(buf + off);
            size_t len = str_len(d->name);
            if (d->reclen % 8 || d->reclen < sizeof(*d) + len + 1 || !d->inode || n >= max ||
                len >= 16)
                return -1;
            for (size_t i = 0; i <= len; i++)
                names[n][i] = d->name[i];
            types[n++] = d->type;
            off += d->reclen;
        }
    }
    return -1;
}

static bool has_name(char names[][16], int n, const char *want, uint8_t *types, uint8_t type) {
    for (int i = 0; i < n; i++)
        if (str_eq(names[i], want))
            return types[i] == type;
    return false;
}

static void test_dirs(void) {
    pal_handle_t *d = NULL;
    const char *sub = uri(u1, "dir:", "sub");
    check_eq(pal_stream_open(sub, PAL_ACCESS_RDONLY, 0700, PAL_CREATE_ALWAYS, 0, &d), 0,
             "open dir: create");
    if (d)
        pal_stream_close(d);
    d = NULL;
    check_eq(pal_stream_open(sub, PAL_ACCESS_RDONLY, 0700, PAL_CREATE_TRY, 0, &d), 0,
             "open dir: CREATE_TRY on an existing dir");
    pal_handle_t *d2 = NULL;
    check_eq(pal_stream_open(sub, PAL_ACCESS_RDONLY, 0700, PAL_CREATE_ALWAYS, 0, &d2),
             -PAL_ERR_EXISTS, "open dir: CREATE_ALWAYS on an existing dir is EXISTS");
    struct pal_stream_attr at;
    check(pal_stream_attr_query(sub, false, &at) == 0 && at.type == PAL_TYPE_DIR && at.mode == 0700,
          "attr_query: directory type and mode");

    static const char *files[] = {"sub/a", "sub/b", "sub/c"};
    for (int i = 0; i < 3; i++) {
        pal_handle_t *f =
            open_or_null(uri(u2, "file:", files[i]), PAL_ACCESS_WRONLY, PAL_CREATE_TRY, 0);
        if (f)
            pal_stream_close(f);
    }
    pal_handle_t *e =
        open_or_null(uri(u2, "dir:", "sub/d"), PAL_ACCESS_RDONLY, PAL_CREATE_ALWAYS, 0);
    if (e)
        pal_stream_close(e);

    char names[8][16];
    uint8_t types[8];
    int n = d ? read_names(d, names, types, 8) : -1;
    check_eq(n, 4, "readdir: 4 entries, no . or ..");
    check(n == 4 && has_name(names, n, "a", types, PAL_TYPE_FILE) &&
              has_name(names, n, "b", types, PAL_TYPE_FILE) &&
              has_name(names, n, "c", types, PAL_TYPE_FILE) &&
              has_name(names, n, "d", types, PAL_TYPE_DIR),
          "readdir: names and types");
    char tiny[8];
    check_eq(d ? pal_stream_readdir(d, tiny, sizeof(tiny)) : -1, 0, "readdir: 0 at the end");
    if (d)
        pal_stream_close(d);
    d = open_or_null(sub, PAL_ACCESS_RDONLY, 0, 0);
    check_eq(d ? pal_stream_readdir(d, tiny, sizeof(tiny)) : -1, -PAL_ERR_INVAL,
             "readdir: buffer too small for one entry is INVAL");
    if (d)
        pal_stream_close(d);
    pal_handle_t *f = open_or_null(uri(u2, "file:", "sub/a"), PAL_ACCESS_RDONLY, 0, 0);
    char buf[64];
    check(f && pal_stream_readdir(f, buf, sizeof(buf)) < 0, "readdir: on a file fails");

    /* rename follows the object: the handle stays valid under the new name */
    const char *a2 = uri(u2, "file:", "sub/a2");
    check_eq(f ? pal_stream_rename(f, a2) : -1, 0, "rename: file handle");
    check_eq(pal_stream_attr_query(uri(u1, "file:", "sub/a"), false, &at), -PAL_ERR_NOTFOUND,
             "rename: old name gone");
    check(pal_stream_attr_query(a2, false, &at) == 0 && at.type == PAL_TYPE_FILE,
          "rename: new name present");
    check_eq(f ? pal_stream_rename(f, uri(u2, "file:", "sub/a3")) : -1, 0,
             "rename: again from the new name");
    if (f)
        pal_stream_close(f);
    pal_handle_t *dd = open_or_null(uri(u1, "dir:", "sub/d"), PAL_ACCESS_RDONLY, 0, 0);
    check_eq(dd ? pal_stream_rename(dd, uri(u2, "dir:", "sub/e")) : -1, 0,
             "rename: directory handle");
    if (dd)
        pal_stream_close(dd);

    const char *subdir = uri(u1, "dir:", "sub");
    check_eq(pal_stream_delete(subdir), -PAL_ERR_NOTEMPTY, "delete: non-empty dir is NOTEMPTY");
    int r = pal_stream_delete(uri(u2, "file:", "sub/a3"));
    r |= pal_stream_delete(uri(u2, "file:", "sub/b"));
    r |= pal_stream_delete(uri(u2, "file:", "sub/c"));
    check_eq(r, 0, "delete: files");
    check_eq(pal_stream_delete(uri(u2, "dir:", "sub/e")), 0, "delete: empty dir");
    check_eq(pal_stream_delete(subdir), 0, "delete: emptied dir");
    check_eq(pal_stream_attr_query(subdir, false, &at), -PAL_ERR_NOTFOUND, "delete: dir is gone");
    check_eq(pal_stream_delete(uri(u2, "file:", "nonexistent")), -PAL_ERR_NOTFOUND,
             "delete: missing file is NOTFOUND");
}

static void test_symlinks(void) {
    const char *link = uri(u1, "file:", "link");
    struct pal_stream_attr at;
    check(pal_stream_attr_query(link, true, &at) == 0 && at.type == PAL_TYPE_SYMLINK,
          "attr_query: nofollow sees the symlink");
    check_eq(pal_stream_attr_query(link, false, &at), -PAL_ERR_NOTFOUND,
             "attr_query: follow a dangling symlink is NOTFOUND");
    char buf[32];
    int64_t n = pal_stream_readlink(link, buf, sizeof(buf));
    check(n == 6 && mem_eq(buf, "target", 6), "readlink: target");
    check(pal_stream_readlink(link, buf, 3) == 3 && mem_eq(buf, "tar", 3),
          "readlink: truncates to the buffer");
    check_eq(pal_stream_readlink(uri(u2, "file:", "f1"), buf, sizeof(buf)), -PAL_ERR_INVAL,
             "readlink: not a symlink is INVAL");

    pal_handle_t *t =
        open_or_null(uri(u2, "file:", "target"), PAL_ACCESS_WRONLY, PAL_CREATE_ALWAYS, 0);
    if (t)
        pal_stream_close(t);
    check(pal_stream_attr_query(link, false, &at) == 0 && at.type == PAL_TYPE_FILE,
          "attr_query: follow reaches the target");
    pal_handle_t *h = NULL;
    check_eq(pal_stream_open(link, PAL_ACCESS_RDONLY, 0, PAL_CREATE_NEVER, PAL_OPTION_NOFOLLOW, &h),
             -PAL_ERR_LOOP, "open: NOFOLLOW on a symlink is LOOP");
    h = open_or_null(link, PAL_ACCESS_RDONLY, 0, 0);
    check(h != NULL, "open: follows a symlink by default");
    if (h)
        pal_stream_close(h);
    /* PAL_OPTION_LINK: a handle on the symlink itself (times, rename). */
    h = NULL;
    check_eq(pal_stream_open(link, PAL_ACCESS_RDONLY, 0, PAL_CREATE_NEVER,
                             PAL_OPTION_LINK | PAL_OPTION_NOFOLLOW, &h),
             0, "open: LINK opens a symlink itself");
    check(h && pal_stream_attr_query_handle(h, &at) == 0 && at.type == PAL_TYPE_SYMLINK,
          "attr_query_handle: a LINK handle is the symlink");
    struct pal_stream_attr times = {.atime_ns = 1000000000LL * 1000000000,
                                    .mtime_ns = 1000000000LL * 1000000000};
    check(h && pal_stream_attr_set_handle(h, PAL_ATTR_TIMES, &times) == 0 &&
              pal_stream_attr_query(link, true, &at) == 0 &&
              at.mtime_ns == 1000000000LL * 1000000000,
          "attr_set_handle: LINK sets the symlink's own times");
    const char *link2 = uri(u2, "file:", "link2");
    check(h && pal_stream_rename(h, link2) == 0 &&
              pal_stream_readlink(link2, buf, sizeof(buf)) == 6,
          "rename: a LINK handle renames the symlink");
    if (h)
        pal_stream_close(h);
    link = uri(u1, "file:", "link2");
    check_eq(pal_stream_delete(link), 0, "delete: symlink");
    check_eq(pal_stream_attr_query(uri(u2, "file:", "target"), true, &at), 0,
             "delete: symlink target untouched");
    pal_stream_delete(uri(u2, "file:", "target"));
    pal_stream_delete(uri(u2, "file:", "f1"));
}

static void test_console(const struct pal_boot_info *boot) {
    pal_handle_t *c = NULL;
    check_eq(pal_stream_open("console:1", PAL_ACCESS_WRONLY, 0, PAL_CREATE_NEVER, 0, &c), 0,
             "console: open console:1");
    static const char line[] = "# written through console:1\n";
    check_eq(c ? pal_stream_write(c, PAL_OFFSET_NONE, line, sizeof(line) - 1) : -1,
             sizeof(line) - 1, "console: write");
    struct pal_stream_attr at;
    check(c && pal_stream_attr_query_handle(c, &at) == 0 && at.type != PAL_TYPE_UNKNOWN,
          "console: attr_query_handle has a type");
    struct buf b = {0};
    b_str(&b, "# console:1 type ");
    b_i64(&b, at.type);
    b_str(&b, at.type == PAL_TYPE_CONSOLE ? " (terminal) rows " : " (not a terminal) rows ");
    b_i64(&b, at.term_rows);
    b_str(&b, " cols ");
    b_i64(&b, at.term_cols);
    emit(&b);
    struct pal_stream_attr uat;
    check(pal_stream_attr_query("console:1", false, &uat) == 0 && uat.type == at.type &&
              uat.inode == at.inode,
          "console: attr_query by URI agrees with the handle");
    /* Terminal modes: read back what was set on a terminal; NOTTY otherwise. */
    struct pal_term_mode m, m2;
    if (c && at.type == PAL_TYPE_CONSOLE) {
        check_eq(pal_console_get_mode(c, &m), 0, "console: get_mode on a terminal");
        m2 = m;
        m2.lflag ^= 0x8; /* ECHO */
        check_eq(pal_console_set_mode(c, PAL_TERM_DRAIN, &m2), 0, "console: set_mode");
        check(pal_console_get_mode(c, &m2) == 0 && (m2.lflag ^ m.lflag) == 0x8,
              "console: get_mode shows the new mode");
        check_eq(pal_console_set_mode(c, PAL_TERM_NOW, &m), 0, "console: mode restored");
        check_eq(pal_console_set_mode(c, 7, &m), -PAL_ERR_INVAL, "console: set_mode bad when");
    } else if (c) {
        check_eq(pal_console_get_mode(c, &m), -PAL_ERR_NOTTY, "console: get_mode, not a terminal");
    }
    check_eq(pal_console_get_mode(NULL, &m), -PAL_ERR_BADHANDLE, "console: get_mode NULL handle");
    check_eq(c ? pal_stream_close(c) : -1, 0, "console: close");
    static const char after[] = "# stdout still open after closing console:1\n";
    check_eq(pal_stream_write(boot->stdio[1], PAL_OFFSET_NONE, after, sizeof(after) - 1),
             sizeof(after) - 1, "console: closing a console handle keeps host stdio");
    check_eq(pal_stream_open("console:7", PAL_ACCESS_WRONLY, 0, PAL_CREATE_NEVER, 0, &c),
             -PAL_ERR_INVAL, "console: unknown console is INVAL");
}

static void test_wait_handles(const struct pal_boot_info *boot) {
    pal_handle_t *h = open_or_null(uri(u1, "file:", "waitme"), PAL_ACCESS_RDWR, PAL_CREATE_TRY, 0);
    uint32_t ev = PAL_WAIT_READ | PAL_WAIT_WRITE, got = 0;
    uint64_t t = 0;
    int r = pal_wait_handles(1, &h, &ev, &got, &t);
    if (r == -PAL_ERR_NOTIMPLEMENTED) {
        skip("wait_handles", "not implemented by this PAL");
    } else {
        check(r >= 0 && (got & PAL_WAIT_READ) && (got & PAL_WAIT_WRITE),
              "wait_handles: a regular file is readable and writable");
    }
    if (h)
        pal_stream_close(h);
    pal_stream_delete(u1);
}

static void test_processes(void) {
    pal_handle_t *s = NULL;
    int r = pal_process_fork(&s);
    if (r == -PAL_ERR_NOTIMPLEMENTED) {
        skip("process_fork", "not implemented by this PAL");
    } else if (r == 0) {
        pal_process_exit(0); /* child: say nothing, the parent reports */
    } else {
        check(r == 1 && s != NULL, "process_fork: parent gets a stream");
        if (s)
            pal_stream_close(s);
    }
}

/* Sockets, handle passing and process creation come later on most PALs:
 * where they exist, wrong handles and arguments must still fail cleanly. */
static void test_later_calls(void) {
    pal_handle_t *f = open_or_null(uri(u1, "file:", "later"), PAL_ACCESS_RDWR, PAL_CREATE_TRY, 0);
    pal_handle_t *c = NULL;
    int r = pal_stream_accept(f, 0, &c);
    if (r == -PAL_ERR_NOTIMPLEMENTED)
        skip("stream_accept", "not implemented by this PAL");
    else
        check(r < 0 && c == NULL, "stream_accept: on a file fails");
    r = pal_stream_send_handle(f, f);
    if (r == -PAL_ERR_NOTIMPLEMENTED)
        skip("stream_send_handle", "not implemented by this PAL");
    else
        check(r < 0, "stream_send_handle: over a file fails");
    r = pal_stream_recv_handle(f, &c);
    if (r == -PAL_ERR_NOTIMPLEMENTED)
        skip("stream_recv_handle", "not implemented by this PAL");
    else
        check(r < 0 && c == NULL, "stream_recv_handle: over a file fails");
    check(pal_stream_shutdown(f, PAL_SHUT_RDWR) < 0, "stream_shutdown: on a file fails");
    if (f)
        pal_stream_close(f);
    pal_stream_delete(u1);
}

/* Blocking exchanges over non-blocking streams: wait, then move. */
static bool wait_for(pal_handle_t *h, uint32_t ev) {
    uint32_t got = 0;
    uint64_t t = 10000000; /* 10 s: a hung child fails the check */
    return pal_wait_handles(1, &h, &ev, &got, &t) >= 0 && got;
}

static int64_t read_wait(pal_handle_t *h, void *buf, size_t n) {
    int64_t r;
    while ((r = pal_stream_read(h, PAL_OFFSET_NONE, buf, n)) == -PAL_ERR_AGAIN)
        if (!wait_for(h, PAL_WAIT_READ))
            return -PAL_ERR_TIMEOUT;
    return r;
}

/* The instance pal_process_create starts: it finds the stream in its boot
 * info, answers 41 with 42, and writes its argv[0] to a handle it gets. */
static __attribute__((noreturn)) void process_child(const struct pal_boot_info *boot) {
    pal_handle_t *s = boot->parent_stream, *h = NULL;
    uint32_t v = 0;
    if (read_wait(s, &v, sizeof(v)) == sizeof(v)) {
        v++;
        pal_stream_write(s, PAL_OFFSET_NONE, &v, sizeof(v));
    }
    while (pal_stream_recv_handle(s, &h) == -PAL_ERR_AGAIN && wait_for(s, PAL_WAIT_READ))
        ;
    const char *a = boot->argv && boot->argv[0] ? boot->argv[0] : "(none)";
    if (h)
        pal_stream_write(h, PAL_OFFSET_NONE, a, str_len(a));
    pal_process_exit(boot->manifest ? 1 : 0);
}

static void test_process_create(void) {
    static const char *const args[] = {"conformance-child", 0};
    pal_handle_t *s = NULL, *pr = NULL, *pw = NULL;
    int r = pal_process_create(args, &s);
    if (r == -PAL_ERR_NOTIMPLEMENTED) {
        skip("process_create", "not implemented by this PAL");
        return;
    }
    if (!check(r == 0 && s != NULL, "process_create: a stream to the new instance"))
        return;
    uint32_t v = 41;
    check(pal_stream_write(s, PAL_OFFSET_NONE, &v, sizeof(v)) == sizeof(v) &&
              read_wait(s, &v, sizeof(v)) == sizeof(v) && v == 42,
          "process_create: the child boots with parent_stream and answers on it");
    char got[32] = {0};
    if (pal_stream_pair(PAL_SOCK_PIPE, 0, &pr, &pw) == 0) {
        check(pal_stream_send_handle(s, pw) == 0, "process_create: a handle goes to the child");
        pal_stream_close(pw);
        int64_t n = read_wait(pr, got, sizeof(got) - 1);
        check(n == 17 && str_eq(got, "conformance-child"),
              "process_create: the child got args as argv and wrote to the handle");
        pal_stream_close(pr);
    }
    check_eq(read_wait(s, &v, sizeof(v)), 0, "process_create: the stream ends when the child exits");
    pal_stream_close(s);
}

static void test_unimplemented(const struct pal_boot_info *boot) {
    if (str_eq(boot->host.pal_name, "enclave")) {
        skip("attestation", "covered by the enclave tests");
        return;
    }
    size_t sz = 64;
    uint8_t data[64];
    check_eq(pal_attestation_report(data, 64, data, &sz, data, &sz), -PAL_ERR_NOTIMPLEMENTED,
             "attestation_report: NOTIMPLEMENTED outside an enclave");
    check_eq(pal_attestation_quote(data, 64, data, &sz), -PAL_ERR_NOTIMPLEMENTED,
             "attestation_quote: NOTIMPLEMENTED outside an enclave");
    check_eq(pal_get_key("mrenclave", data, &sz), -PAL_ERR_NOTIMPLEMENTED,
             "get_key: NOTIMPLEMENTED outside an enclave");
}

/* ---------------------------------------------------------- exceptions */
static struct {
    int count;
    enum pal_event ev;
    struct pal_event_info info;
    uint64_t rip;
    uint64_t skip;
} g_exc;

/* Records the event, then resumes after the faulting instruction (whose
 * length the caller knows) with rax = 42, to prove the context is written back. */
static void on_event(enum pal_event ev, const struct pal_event_info *info,
                     struct pal_context *ctx) {
    g_exc.count++;
    g_exc.ev = ev;
    g_exc.info = *info;
    g_exc.rip = ctx->rip;
    ctx->rip += g_exc.skip;
    ctx->rax = 42;
}

static uint64_t fault_write(volatile void *p) {
    uint64_t rax = 0;
    g_exc.skip = 3;
    __asm__ volatile(".byte 0xc6, 0x07, 0x01" /* movb $1, (%rdi) */
                     : "+a"(rax)
                     : "D"(p)
                     : "memory");
    return rax;
}

static uint64_t fault_read(volatile void *p) {
    uint64_t rax = 0;
    g_exc.skip = 2;
    __asm__ volatile(".byte 0x8a, 0x0f" /* movb (%rdi), %cl */
                     : "+a"(rax)
                     : "D"(p)
                     : "rcx", "memory");
    return rax;
}

static uint64_t fault_ud2(void) {
    uint64_t rax = 0;
    g_exc.skip = 2;
    __asm__ volatile("ud2" : "+a"(rax) : : "memory");
    return rax;
}

static uint64_t fault_div0(void) {
    uint64_t rax = 1, rdx = 0;
    g_exc.skip = 3;
    __asm__ volatile(".byte 0x48, 0xf7, 0xf1" /* div %rcx */
                     : "+a"(rax), "+d"(rdx)
                     : "c"(0UL)
                     : "memory");
    return rax;
}

static void test_exceptions(void) {
    check_eq(pal_set_event_handler(PAL_EVENT__COUNT, on_event), -PAL_ERR_INVAL,
             "set_event_handler: bad event is INVAL");
    int r = pal_set_event_handler(PAL_EVENT_MEMFAULT, on_event);
    r |= pal_set_event_handler(PAL_EVENT_ILLEGAL, on_event);
    r |= pal_set_event_handler(PAL_EVENT_ARITHMETIC, on_event);
    if (!check_eq(r, 0, "set_event_handler: memfault, illegal, arithmetic"))
        return;

    void *p = NULL;
    pal_mem_alloc(&p, 2 * PAGE, PAL_PROT_READ, 0);
    g_exc.count = 0;
    uint64_t rax = fault_write(p);
    check(g_exc.count == 1 && g_exc.ev == PAL_EVENT_MEMFAULT && rax == 42,
          "memfault: write to read-only page, resumed with new context");
    check(g_exc.info.addr == (uint64_t)p && g_exc.info.host_code == PAL_FAULT_PROTECTION,
          "memfault: address and PROTECTION code");
    check_eq(g_exc.info.access, PAL_PROT_WRITE, "memfault: write access reported");

    pal_mem_free((char *)p + PAGE, PAGE);
    g_exc.count = 0;
    rax = fault_read((char *)p + PAGE + 8);
    check(g_exc.count == 1 && g_exc.ev == PAL_EVENT_MEMFAULT && rax == 42 &&
              g_exc.info.addr == (uint64_t)p + PAGE + 8,
          "memfault: read of a freed page");
    check_eq(g_exc.info.host_code, PAL_FAULT_UNMAPPED, "memfault: UNMAPPED code");
    check_eq(g_exc.info.access, PAL_PROT_READ, "memfault: read access reported");
    pal_mem_free(p, PAGE);

    g_exc.count = 0;
    rax = fault_ud2();
    check(g_exc.count == 1 && g_exc.ev == PAL_EVENT_ILLEGAL && rax == 42 &&
              g_exc.info.addr == g_exc.rip,
          "illegal: ud2 reported at its address");

    g_exc.count = 0;
    rax = fault_div0();
    check(g_exc.count == 1 && g_exc.ev == PAL_EVENT_ARITHMETIC && rax == 42,
          "arithmetic: divide by zero");
    check_eq(g_exc.info.host_code, PAL_FAULT_INTDIV, "arithmetic: INTDIV code");

    pal_set_event_handler(PAL_EVENT_MEMFAULT, NULL);
    pal_set_event_handler(PAL_EVENT_ILLEGAL, NULL);
    pal_set_event_handler(PAL_EVENT_ARITHMETIC, NULL);
}

/* ---------------------------------------------------------------- main */

/* Calls added for the libos's later needs: links, positions, remapping. */
static void test_links_seek_remap(void) {
    /* pal_stream_link: a symlink and a hard link. */
    check(pal_stream_link("target-of-l2", uri(u1, "file:", "l2"), true) == 0,
          "link: symbolic link created");
    char buf[32];
    check(pal_stream_readlink(u1, buf, sizeof(buf)) == 12 && mem_eq(buf, "target-of-l2", 12),
          "link: the symlink reads back");
    check_eq(pal_stream_link("x", u1, true), -PAL_ERR_EXISTS, "link: existing name is EXISTS");
    pal_stream_delete(u1);
    pal_handle_t *h = open_or_null(uri(u1, "file:", "hl-src"), PAL_ACCESS_RDWR, PAL_CREATE_TRY, 0);
    check(h != NULL, "link: source file created");
    check(pal_stream_link(u1, uri(u2, "file:", "hl-dst"), false) == 0, "link: hard link created");
    struct pal_stream_attr at;
    check(pal_stream_attr_query(u2, true, &at) == 0 && at.nlink == 2, "link: nlink is 2");
    /* pal_stream_seek: the handle's own position. */
    if (h) {
        check(pal_stream_write(h, PAL_OFFSET_NONE, "abcdef", 6) == 6, "seek: write 6 bytes");
        check(pal_stream_seek(h, 0, PAL_SEEK_CUR) == 6, "seek: position follows writes");
        check(pal_stream_seek(h, 2, PAL_SEEK_SET) == 2, "seek: SEEK_SET");
        check(pal_stream_read(h, PAL_OFFSET_NONE, buf, 2) == 2 && mem_eq(buf, "cd", 2),
              "seek: reads from the position");
        check(pal_stream_seek(h, -1, PAL_SEEK_END) == 5, "seek: SEEK_END");
        check_eq(pal_stream_seek(h, 0, 9), -PAL_ERR_INVAL, "seek: bad whence is INVAL");
        pal_stream_close(h);
    }
    pal_stream_delete(u1);
    pal_stream_delete(u2);
    /* pal_mem_remap: grow in place or move, keeping contents. */
    void *a = NULL;
    check(pal_mem_alloc(&a, 4096, PAL_PROT_READ | PAL_PROT_WRITE, 0) == 0, "remap: alloc");
    ((char *)a)[100] = 42;
    void *b = NULL;
    check(pal_mem_remap(a, 4096, 8 * 4096, PAL_REMAP_MAYMOVE, &b) == 0 && b &&
              ((char *)b)[100] == 42,
          "remap: grown with contents kept");
    if (b) {
        ((char *)b)[8 * 4096 - 1] = 1; /* the new part is usable */
        pal_mem_free(b, 8 * 4096);
    }
}

/* pal_stream_reopen: a second position on the same memory file. */
static void test_memfd_reopen(void) {
    pal_handle_t *h = NULL, *h2 = NULL;
    char buf[8];
    check(pal_stream_open("memfd:conf", PAL_ACCESS_RDWR, 0600, PAL_CREATE_ALWAYS, 0, &h) == 0,
          "reopen: memfd created");
    if (!h)
        return;
    check(pal_stream_write(h, PAL_OFFSET_NONE, "hello", 5) == 5, "reopen: write 5 bytes");
    check(pal_stream_reopen(h, &h2) == 0 && h2, "reopen: memfd opened again");
    if (h2) {
        check(pal_stream_seek(h2, 0, PAL_SEEK_CUR) == 0, "reopen: own position starts at 0");
        check(pal_stream_read(h2, PAL_OFFSET_NONE, buf, 5) == 5 && mem_eq(buf, "hello", 5),
              "reopen: same contents");
        check(pal_stream_write(h2, PAL_OFFSET_NONE, "!", 1) == 1 &&
                  pal_stream_read(h, 5, buf, 1) == 1 && buf[0] == '!',
              "reopen: writes are seen through the first handle");
        check(pal_stream_seek(h, 0, PAL_SEEK_CUR) == 5, "reopen: first position unchanged");
        pal_stream_close(h2);
    }
    pal_stream_close(h);
    h = open_or_null(uri(u1, "file:", "reopen-file"), PAL_ACCESS_RDWR, PAL_CREATE_TRY, 0);
    check(h && pal_stream_reopen(h, &h2) == -PAL_ERR_BADHANDLE,
          "reopen: a named file is not reopened");
    if (h)
        pal_stream_close(h);
    pal_stream_delete(u1);
}

void libos_start(const struct pal_boot_info *boot) {
    if (boot->parent_stream)
        process_child(boot);
    g_out = boot->stdio[1];
    g_dir = boot->argv && boot->argv[0] ? boot->argv[0] : ".";
    struct buf b = {0};
    b_str(&b, "# PAL conformance on \"");
    b_str(&b, boot->host.pal_name);
    b_str(&b, "\", scratch ");
    b_str(&b, g_dir);
    emit(&b);

    test_boot(boot);
    test_host_info(boot);
    test_debug_log();
    test_time();
    test_random();
    test_cpuid();
    test_segments();
    test_memory();
    test_events();
    test_threads();
    test_file_io();
    test_map();
    test_open_errors();
    test_dirs();
    test_symlinks();
    test_links_seek_remap();
    test_memfd_reopen();
    test_console(boot);
    test_wait_handles(boot);
    test_processes();
    test_process_create();
    test_later_calls();
    test_unimplemented(boot);
    test_exceptions();

    struct buf plan = {0};
    b_str(&plan, "1..");
    b_i64(&plan, g_num);
    emit(&plan);
    pal_process_exit(g_failed > 125 ? 125 : g_failed);
}
