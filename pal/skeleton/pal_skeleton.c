/* Skeleton PAL: the porting template. Every call of pal.h exists and fails
 * cleanly with PAL_ERR_NOTIMPLEMENTED; the calls that cannot return stop on a
 * trap instruction. It compiles freestanding and links against the libos,
 * which proves pal.h is the whole contract between libos and host.
 *
 * To port Sabot: copy this file, then replace each group below, keeping the
 * rules of pal.h (PAL-neutral constants and errors, no host values leaking).
 * The PAL's own entry (not part of pal.h) sets up a per-thread block at the GS
 * base, fills a struct pal_boot_info and calls libos_start(). Run
 * tests/pal/conformance.c against the new PAL until every case passes. */
#include "pal.h"

#define NI (-PAL_ERR_NOTIMPLEMENTED)

static __attribute__((noreturn)) void trap_forever(void) {
    for (;;)
        __asm__ volatile("ud2");
}

/* Memory: reserve/commit zero-filled pages with PAL_PROT_* protection and
 * honour placement (FIXED replaces, NOREPLACE fails with PAL_ERR_EXISTS,
 * HINT may move). pal_mem_query reports totals and the page size. */
int pal_mem_alloc(void **addr, size_t size, uint32_t prot, uint32_t flags) {
    return NI;
}
int pal_mem_remap(void *old, size_t old_size, size_t new_size, uint32_t flags, void **addr) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

int pal_mem_free(void *addr, size_t size) {
    return NI;
}
int pal_mem_protect(void *addr, size_t size, uint32_t prot) {
    return NI;
}
int pal_mem_query(struct pal_mem_info *info) {
    return NI;
}

/* Streams: parse the URI scheme ("file:", "dir:", "console:", ...), check it
 * against the PAL's policy, and translate PAL_ACCESS/CREATE/OPTION flags to
 * the host's own. read/write honour PAL_OFFSET_NONE; attrs use pal_stream_attr
 * (PAL_TYPE_CONSOLE only for terminals); readdir packs struct pal_dirent
 * records without "." and ".."; map places host file pages in memory. */
int pal_stream_open(const char *uri, uint32_t access, uint32_t perm, uint32_t create,
                    uint32_t options, pal_handle_t **out) {
    return NI;
}
int64_t pal_stream_read(pal_handle_t *h, uint64_t offset, void *buf, size_t size) {
    return NI;
}
int64_t pal_stream_write(pal_handle_t *h, uint64_t offset, const void *buf, size_t size) {
    return NI;
}
int64_t pal_stream_seek(pal_handle_t *h, int64_t offset, uint32_t whence) {
    return -PAL_ERR_NOTIMPLEMENTED;
}
int pal_stream_reopen(pal_handle_t *h, pal_handle_t **out) {
    return NI;
}

int pal_stream_close(pal_handle_t *h) {
    return NI;
}
int pal_stream_delete(const char *uri) {
    return NI;
}
int pal_stream_shutdown(pal_handle_t *h, uint32_t how) {
    return NI;
}
int pal_stream_map(pal_handle_t *h, void **addr, uint32_t prot, uint32_t flags, uint64_t offset,
                   size_t size) {
    return NI;
}
int pal_stream_set_length(pal_handle_t *h, uint64_t length) {
    return NI;
}
int pal_stream_flush(pal_handle_t *h) {
    return NI;
}
int pal_console_get_mode(pal_handle_t *h, struct pal_term_mode *mode) {
    return NI;
}
int pal_console_set_mode(pal_handle_t *h, int when, const struct pal_term_mode *mode) {
    return NI;
}
int pal_stream_attr_query(const char *uri, bool nofollow, struct pal_stream_attr *attr) {
    return NI;
}
int pal_stream_attr_query_handle(pal_handle_t *h, struct pal_stream_attr *attr) {
    return NI;
}
int pal_stream_attr_set_handle(pal_handle_t *h, uint32_t mask, const struct pal_stream_attr *attr) {
    return NI;
}
int pal_fs_info(const char *uri, struct pal_fs_info *info) {
    return NI;
}
int pal_stream_rename(pal_handle_t *h, const char *new_uri) {
    return NI;
}
int64_t pal_stream_readdir(pal_handle_t *h, void *buf, size_t size) {
    return NI;
}
int pal_stream_link(const char *target, const char *uri, bool symbolic) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

int64_t pal_stream_readlink(const char *uri, char *buf, size_t size) {
    return NI;
}
int pal_stream_accept(pal_handle_t *h, uint32_t options, pal_handle_t **client) {
    return NI;
}
int pal_stream_send_handle(pal_handle_t *h, pal_handle_t *cargo) {
    return NI;
}
int pal_stream_recv_handle(pal_handle_t *h, pal_handle_t **cargo) {
    return NI;
}

/* Threads: run fn(arg) on a PAL stack with a fresh per-thread block at the GS
 * base (struct pal_tcb_abi first) and no FS base; pal_thread_exit clears and
 * wakes *clear_tid only once the stack is no longer in use. */
int pal_thread_create(pal_thread_fn fn, void *arg, pal_handle_t **out) {
    return NI;
}
void pal_thread_exit(uint32_t *clear_tid) {
    trap_forever();
}
int pal_thread_interrupt(pal_handle_t *h) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

void pal_thread_yield(void) {}
int pal_thread_set_affinity(pal_handle_t *h, const void *mask, size_t size) {
    return NI;
}
int pal_thread_get_affinity(pal_handle_t *h, void *mask, size_t size) {
    return NI;
}

/* Processes: start a new libos instance with a byte stream to it; fork only
 * where the host can copy the address space; exit ends every thread. */
int pal_process_create(const char *const *args, pal_handle_t **stream) {
    return NI;
}
int pal_process_suspend(void) {
    return -PAL_ERR_NOTIMPLEMENTED;
}

int pal_process_fork(pal_handle_t **stream) {
    return NI;
}
void pal_process_exit(int status) {
    trap_forever();
}

/* Events and waiting: events are flags with optional auto-clear; waits take
 * relative timeouts and write back what is left; address waits are futexes
 * on memory the host can see. */
int pal_event_create(bool init_signaled, bool auto_clear, pal_handle_t **out) {
    return NI;
}
int pal_event_set(pal_handle_t *ev) {
    return NI;
}
int pal_event_clear(pal_handle_t *ev) {
    return NI;
}
int pal_event_wait(pal_handle_t *ev, uint64_t *timeout_us) {
    return NI;
}
int pal_wait_handles(size_t count, pal_handle_t *const *handles, const uint32_t *events,
                     uint32_t *ret_events, uint64_t *timeout_us) {
    return NI;
}
int pal_addr_wait(uint32_t *addr, uint32_t expected, uint64_t *timeout_ns) {
    return NI;
}
int pal_addr_wake(uint32_t *addr, uint32_t count) {
    return NI;
}

/* Exceptions: turn host faults, system-call entries and interrupts into
 * enum pal_event, hand the handler a struct pal_context, and resume the
 * thread with whatever the handler changed. */
int pal_set_event_handler(enum pal_event ev, pal_event_handler_t handler) {
    return NI;
}

/* Misc: clocks in nanoseconds, host randomness, CPUID as the app would see
 * it, FS base (the app's; GS is the PAL's), facts about the host, debugger
 * hooks and a diagnostic channel. Attestation and keys: enclave-like PALs. */
int pal_time_get(enum pal_clock clock, uint64_t *ns) {
    return NI;
}
int pal_random(void *buf, size_t size) {
    return NI;
}
int pal_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]) {
    return NI;
}
int pal_segment_base_set(enum pal_segment seg, uint64_t base) {
    return NI;
}
int pal_segment_base_get(enum pal_segment seg, uint64_t *base) {
    return NI;
}
int pal_host_info(struct pal_host_info *info) {
    return NI;
}
int pal_debug_map_add(const char *name, uint64_t base, uint64_t dynamic) {
    return NI;
}
int pal_debug_map_remove(uint64_t base) {
    return NI;
}
int pal_debug_log(const char *msg, size_t len) {
    return NI;
}
int pal_attestation_report(const void *user_data, size_t user_size, void *target_info,
                           size_t *target_size, void *report, size_t *report_size) {
    return NI;
}
int pal_attestation_quote(const void *user_data, size_t user_size, void *quote,
                          size_t *quote_size) {
    return NI;
}
int pal_get_key(const char *name, void *key, size_t *size) {
    return NI;
}

/* Pipes and sockets. */
int pal_stream_pair(uint32_t type, uint32_t options, pal_handle_t **a, pal_handle_t **b) {
    return NI;
}
int pal_socket_create(uint32_t family, uint32_t type, uint32_t options, pal_handle_t **out) {
    return NI;
}
int pal_socket_bind(pal_handle_t *h, const struct pal_sockaddr *addr) {
    return NI;
}
int pal_socket_listen(pal_handle_t *h, int backlog) {
    return NI;
}
int pal_socket_connect(pal_handle_t *h, const struct pal_sockaddr *addr) {
    return NI;
}
int pal_socket_name(pal_handle_t *h, bool peer, struct pal_sockaddr *addr) {
    return NI;
}
int64_t pal_socket_send(pal_handle_t *h, struct pal_msg *msg) {
    return NI;
}
int64_t pal_socket_recv(pal_handle_t *h, struct pal_msg *msg) {
    return NI;
}
int pal_socket_option(pal_handle_t *h, uint32_t opt, bool set, uint64_t *val) {
    return NI;
}
