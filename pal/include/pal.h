/* Sabot PAL ABI: the only interface between the library OS and a host.
 *
 * Rules (see docs/architecture.md):
 *  - Calls are narrow and stateless where possible. No host pointer, file
 *    descriptor or flag value leaks through: every constant below is the
 *    PAL's own, and each PAL translates it.
 *  - Calls return 0 (or a non-negative count) on success and a negative
 *    PAL_ERR_* code on failure. The libos converts PAL errors to errno in
 *    exactly one place (libos/lib/pal_errno.c).
 *  - Every call may be invoked from any libos thread, including from inside
 *    an event handler (the Linux PAL runs the libos inside a signal handler).
 *  - A PAL that does not support a call returns PAL_ERR_NOTIMPLEMENTED and
 *    does nothing else (pal/skeleton is the reference for that).
 *
 * The libos side provides exactly one symbol the PAL calls: libos_start().
 */
#ifndef SABOT_PAL_H
#define SABOT_PAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAL_ABI_VERSION 2

/* ---------------------------------------------------------------- errors */
enum pal_error {
    PAL_ERR_OK = 0,
    PAL_ERR_NOTIMPLEMENTED = 1, /* this PAL does not provide the call */
    PAL_ERR_NOTSUPPORTED,       /* call exists, this argument/object can't */
    PAL_ERR_INVAL,              /* bad argument */
    PAL_ERR_NOMEM,              /* out of memory or address space */
    PAL_ERR_NOTFOUND,           /* object does not exist */
    PAL_ERR_EXISTS,             /* object exists (exclusive create) */
    PAL_ERR_DENIED,             /* host or PAL policy denies the access */
    PAL_ERR_READONLY,           /* object or file system is read-only */
    PAL_ERR_BADHANDLE,          /* handle is of the wrong kind or closed */
    PAL_ERR_ISDIR,
    PAL_ERR_NOTDIR,
    PAL_ERR_NOTEMPTY,
    PAL_ERR_NOSPACE,
    PAL_ERR_TOOLONG, /* name or path too long */
    PAL_ERR_LOOP,    /* symlink where none is allowed */
    PAL_ERR_XDEV,    /* rename across host file systems */
    PAL_ERR_BUSY,
    PAL_ERR_AGAIN,       /* would block (non-blocking handle) */
    PAL_ERR_INTERRUPTED, /* interrupted by a host event */
    PAL_ERR_TIMEOUT,
    PAL_ERR_IO,
    PAL_ERR_FBIG,
    PAL_ERR_OVERFLOW,
    PAL_ERR_RANGE,
    PAL_ERR_PIPE, /* peer closed */
    PAL_ERR_CONNREFUSED,
    PAL_ERR_CONNRESET,
    PAL_ERR_NOTCONN,
    PAL_ERR_INPROGRESS,
    PAL_ERR_ADDRINUSE,
    PAL_ERR_ADDRNOTAVAIL,
    PAL_ERR_NOTTY,    /* object is not a terminal */
    PAL_ERR_SECURITY, /* integrity or attestation check failed */
    PAL_ERR_MSGSIZE,  /* datagram too large */
    PAL_ERR_NETUNREACH,
    PAL_ERR_HOSTUNREACH,
    PAL_ERR_CONNABORTED,
    PAL_ERR_ISCONN,  /* socket already connected */
    PAL_ERR_ALREADY, /* a connect is already in progress */
    PAL_ERR__COUNT
};

/* A PAL object: stream, thread, process or event. Opaque to the libos. */
typedef struct pal_handle pal_handle_t;

/* ---------------------------------------------------------------- memory */
enum {
    PAL_PROT_NONE = 0,
    PAL_PROT_READ = 1,
    PAL_PROT_WRITE = 2,
    PAL_PROT_EXEC = 4,
};
enum {
    PAL_MEM_FIXED = 1,     /* place exactly at *addr, replacing what is there */
    PAL_MEM_NOREPLACE = 2, /* place exactly at *addr, fail if anything is there */
    PAL_MEM_HINT = 4,      /* *addr is a hint */
    PAL_MEM_SHARED = 8,    /* shared with children made by pal_process_fork */
};

/* Reserve and commit zero-filled anonymous memory. *addr: in, placement per
 * flags (ignored without FIXED/NOREPLACE/HINT); out, the address. */
int pal_mem_alloc(void **addr, size_t size, uint32_t prot, uint32_t flags);
/* Resize or move a mapping made by pal_mem_alloc or pal_stream_map,
 * keeping its contents (and its file, for a file mapping). flags:
 * PAL_REMAP_MAYMOVE (*addr out: where it went) or PAL_REMAP_FIXED (*addr
 * in: the exact new place, replacing what is there). */
enum { PAL_REMAP_MAYMOVE = 1, PAL_REMAP_FIXED = 2 };
int pal_mem_remap(void *old, size_t old_size, size_t new_size, uint32_t flags, void **addr);
/* Release memory returned by pal_mem_alloc or pal_stream_map. */
int pal_mem_free(void *addr, size_t size);
/* Change protection of pages already allocated. */
int pal_mem_protect(void *addr, size_t size, uint32_t prot);

struct pal_mem_info {
    uint64_t total;     /* memory the PAL may give out, bytes */
    uint64_t available; /* memory still available, bytes */
    uint64_t page_size;
    uint64_t alloc_granularity;
};
int pal_mem_query(struct pal_mem_info *info);

/* --------------------------------------------------------------- streams */
/* URIs: "file:/host/path", "dir:/host/path", "console:0|1|2" (stdio),
 * "eventfd:". The PAL decides which schemes it supports and checks each
 * against its own policy (the KVM tender and enclave bridge re-check).
 * Network streams, for PAL users that want one call:
 *   "tcp:ADDR:PORT"      a TCP connection (connect finishes in the
 *                        background: see pal_socket_connect)
 *   "tcp.srv:ADDR:PORT"  a listening TCP socket (accept with
 *                        pal_stream_accept)
 *   "udp:ADDR:PORT"      a UDP socket connected to ADDR:PORT
 *   "udp.srv:ADDR:PORT"  a UDP socket bound to ADDR:PORT
 *   "unix:NAME", "unix.srv:NAME"  AF_UNIX stream socket connected to /
 *                        listening on NAME (a host path, or "@name" for
 *                        an abstract name)
 * "memfd:NAME" (create only, PAL_ACCESS_RDWR) is an anonymous, initially
 * empty memory file with no name in any directory (NAME is for debugging):
 * read/write/map/set_length/attrs work as on a regular file, and
 * PAL_MAP_SHARED mappings of it share pages with each other and with
 * read/write. The libos backs memfd_create with it.
 * ADDR is an IPv4 literal or a bracketed IPv6 literal ("[::1]"). Pipes and
 * connected pairs come from pal_stream_pair; sockets built step by step
 * (the libos's way) from pal_socket_create. */
enum {
    PAL_ACCESS_RDONLY = 0,
    PAL_ACCESS_WRONLY = 1,
    PAL_ACCESS_RDWR = 2,
    PAL_ACCESS_MASK = 3,
    PAL_ACCESS_APPEND = 4,
};
enum {
    PAL_CREATE_NEVER = 0,  /* open existing only */
    PAL_CREATE_TRY = 1,    /* create if missing */
    PAL_CREATE_ALWAYS = 2, /* create, fail if it exists */
};
enum {
    PAL_OPTION_NONBLOCK = 1,
    PAL_OPTION_TRUNCATE = 2,  /* truncate a regular file on open */
    PAL_OPTION_NOFOLLOW = 4,  /* fail with PAL_ERR_LOOP on a final symlink */
    PAL_OPTION_DIRECTORY = 8, /* must be a directory */
    /* "file:" only, PAL_CREATE_NEVER: a handle on the name itself, even a
     * symlink or a socket node, good only for attributes (query and set),
     * rename and close. */
    PAL_OPTION_LINK = 16,
};
enum pal_stream_type {
    PAL_TYPE_UNKNOWN = 0,
    PAL_TYPE_FILE,
    PAL_TYPE_DIR,
    PAL_TYPE_SYMLINK,
    PAL_TYPE_CHARDEV,
    PAL_TYPE_BLOCKDEV,
    PAL_TYPE_FIFO,
    PAL_TYPE_SOCKET,
    PAL_TYPE_CONSOLE,
    PAL_TYPE_EVENT,
};

/* perm: permission bits (0..07777) for a created object. */
int pal_stream_open(const char *uri, uint32_t access, uint32_t perm, uint32_t create,
                    uint32_t options, pal_handle_t **out);
/* Read/write up to size bytes at offset (ignored for unseekable streams;
 * pass PAL_OFFSET_NONE to use and advance the handle's own position).
 * Return bytes transferred (0 at end of stream) or -PAL_ERR_*. */
#define PAL_OFFSET_NONE UINT64_MAX
int64_t pal_stream_read(pal_handle_t *h, uint64_t offset, void *buf, size_t size);
int64_t pal_stream_write(pal_handle_t *h, uint64_t offset, const void *buf, size_t size);
int pal_stream_close(pal_handle_t *h);
/* Move the handle's own position (what PAL_OFFSET_NONE reads and writes
 * use; shared with forked children like a Linux open file description).
 * Returns the new position or -PAL_ERR_*. */
enum { PAL_SEEK_SET = 0, PAL_SEEK_CUR = 1, PAL_SEEK_END = 2 };
int64_t pal_stream_seek(pal_handle_t *h, int64_t offset, uint32_t whence);
/* A new handle on the same memory file as h (a "memfd:" stream) with a
 * position of its own, starting at 0: opening the file again, as a Linux
 * open file description of its own (shared with forked children). */
int pal_stream_reopen(pal_handle_t *h, pal_handle_t **out);
/* Remove a named object: a file, an empty directory ("dir:") or a symlink. */
int pal_stream_delete(const char *uri);
enum { PAL_SHUT_RD = 1, PAL_SHUT_WR = 2, PAL_SHUT_RDWR = 3 };
int pal_stream_shutdown(pal_handle_t *h, uint32_t how);
/* Map part of a file stream. flags: PAL_MAP_SHARED or PAL_MAP_PRIVATE, plus
 * PAL_MEM_FIXED/PAL_MEM_NOREPLACE/PAL_MEM_HINT for placement. */
enum { PAL_MAP_PRIVATE = 0, PAL_MAP_SHARED = 0x100 };
int pal_stream_map(pal_handle_t *h, void **addr, uint32_t prot, uint32_t flags, uint64_t offset,
                   size_t size);
int pal_stream_set_length(pal_handle_t *h, uint64_t length);
int pal_stream_flush(pal_handle_t *h);

struct pal_stream_attr {
    uint32_t type; /* enum pal_stream_type */
    uint32_t mode; /* permission bits, 07777 */
    uint64_t size; /* bytes for files; pending bytes for pipes/sockets */
    uint64_t inode;
    uint64_t dev; /* host file-system identity (opaque number) */
    uint64_t rdev;
    uint64_t nlink;
    uint32_t uid, gid;
    uint64_t blocks; /* 512-byte units */
    uint64_t blksize;
    int64_t atime_ns, mtime_ns, ctime_ns;
    bool nonblocking;
    /* Consoles: type is PAL_TYPE_CONSOLE only when the host object is a
     * terminal; then its window size in characters (0 if unknown). */
    uint16_t term_rows, term_cols;
};
/* Attributes of a named object; does not follow a final symlink if
 * nofollow is set. */
int pal_stream_attr_query(const char *uri, bool nofollow, struct pal_stream_attr *attr);
int pal_stream_attr_query_handle(pal_handle_t *h, struct pal_stream_attr *attr);
/* PAL_ATTR_OWNER sets uid/gid (UINT32_MAX keeps one) as the host allows:
 * an unprivileged host refuses with PAL_ERR_DENIED. */
enum { PAL_ATTR_MODE = 1, PAL_ATTR_NONBLOCK = 2, PAL_ATTR_TIMES = 4, PAL_ATTR_OWNER = 8 };
int pal_stream_attr_set_handle(pal_handle_t *h, uint32_t mask, const struct pal_stream_attr *attr);
/* Terminal modes of a console stream whose host object is a terminal
 * (PAL_ERR_NOTTY for any other stream): the POSIX termios flags and
 * control characters, in Linux's encoding. A new mode applies now
 * (PAL_TERM_NOW), once pending output is written (PAL_TERM_DRAIN), or then
 * with pending input discarded (PAL_TERM_FLUSH). */
struct pal_term_mode {
    uint32_t iflag, oflag, cflag, lflag;
    uint8_t line;
    uint8_t cc[19];
};
enum { PAL_TERM_NOW = 0, PAL_TERM_DRAIN = 1, PAL_TERM_FLUSH = 2 };
int pal_console_get_mode(pal_handle_t *h, struct pal_term_mode *mode);
int pal_console_set_mode(pal_handle_t *h, int when, const struct pal_term_mode *mode);
/* File-system information for the host file system holding a "file:" or
 * "dir:" URI (statfs). Counts are in block_size units. type is the Linux
 * statfs f_type number of that file system when the host knows it (a PAL
 * on another host reports 0; the libos then shows a neutral one). */
struct pal_fs_info {
    uint64_t type;
    uint64_t block_size;
    uint64_t blocks, blocks_free, blocks_avail;
    uint64_t files, files_free;
    uint64_t name_max;
    bool readonly;
};
int pal_fs_info(const char *uri, struct pal_fs_info *info);
/* Rename the object behind h (a file or dir stream) to new_uri. */
int pal_stream_rename(pal_handle_t *h, const char *new_uri);
/* Directory entries: fills buf with packed struct pal_dirent records,
 * returns bytes used, 0 at the end. Entries "." and ".." are not returned. */
struct pal_dirent {
    uint16_t reclen; /* size of this record, 8-byte aligned */
    uint8_t type;    /* enum pal_stream_type */
    uint8_t pad;
    uint32_t pad2;
    uint64_t inode;
    char name[]; /* NUL-terminated */
};
int64_t pal_stream_readdir(pal_handle_t *h, void *buf, size_t size);
/* Create a name: a symlink at uri whose text is target (symbolic), or a
 * hard link at uri to the existing object named by the URI target. */
int pal_stream_link(const char *target, const char *uri, bool symbolic);
/* Target of a symlink (not NUL-terminated); returns its length. */
int64_t pal_stream_readlink(const char *uri, char *buf, size_t size);
/* Server streams (tcp.srv:, unix.srv:): wait for and return a connection. */
int pal_stream_accept(pal_handle_t *h, uint32_t options, pal_handle_t **client);
/* Pass a handle over a process-to-process stream (fork, SCM_RIGHTS). */
int pal_stream_send_handle(pal_handle_t *h, pal_handle_t *cargo);
int pal_stream_recv_handle(pal_handle_t *h, pal_handle_t **cargo);

/* ----------------------------------------------------- pipes and sockets */
/* Host-backed pipes and sockets. They never block inside the PAL: read,
 * write, send, recv, accept and connect return PAL_ERR_AGAIN (connect:
 * PAL_ERR_INPROGRESS) and the caller waits with pal_wait_handles. Writing to
 * a stream whose reader is gone returns PAL_ERR_PIPE and raises no host
 * signal. pal_stream_read/write/shutdown/close/attr_query_handle work on
 * these handles; attr.size is the number of bytes ready to read. */
enum { PAL_NET_UNSPEC = 0, PAL_NET_INET = 1, PAL_NET_INET6 = 2, PAL_NET_UNIX = 3 };
enum {
    PAL_SOCK_STREAM = 1,
    PAL_SOCK_DGRAM = 2,
    PAL_SOCK_SEQPACKET = 3,
    PAL_SOCK_PIPE = 4, /* pal_stream_pair only: a one-way pipe */
};
/* A socket address. PAL_NET_UNIX names are host names: a host path, or an
 * abstract name when path[0] == 0 (path_len counts every byte). */
struct pal_sockaddr {
    uint32_t family; /* PAL_NET_* */
    uint16_t port;   /* INET/INET6, host byte order */
    uint16_t pad;
    uint8_t addr[16];            /* INET: 4 bytes, INET6: 16; network order */
    uint32_t flowinfo, scope_id; /* INET6 */
    uint32_t path_len;           /* UNIX: bytes in path; 0 = unnamed */
    char path[108];
};
/* A connected pair: type PAL_SOCK_PIPE gives a pipe (*a reads, *b
 * writes); STREAM/DGRAM/SEQPACKET an AF_UNIX socket pair. options:
 * PAL_OPTION_NONBLOCK is accepted and ignored (always non-blocking). */
int pal_stream_pair(uint32_t type, uint32_t options, pal_handle_t **a, pal_handle_t **b);
/* An unbound, unconnected socket. family PAL_NET_*, type PAL_SOCK_*. */
int pal_socket_create(uint32_t family, uint32_t type, uint32_t options, pal_handle_t **out);
int pal_socket_bind(pal_handle_t *h, const struct pal_sockaddr *addr);
int pal_socket_listen(pal_handle_t *h, int backlog);
/* Start connecting: 0 when connected, PAL_ERR_INPROGRESS while the
 * connection is being set up (wait for PAL_WAIT_WRITE, then read
 * PAL_SO_ERROR). family PAL_NET_UNSPEC dissolves a datagram association. */
int pal_socket_connect(pal_handle_t *h, const struct pal_sockaddr *addr);
/* Own (peer false) or peer address of a socket. */
int pal_socket_name(pal_handle_t *h, bool peer, struct pal_sockaddr *addr);
struct pal_iovec {
    void *base;
    size_t len;
};
enum {
    PAL_MSG_PEEK = 1,   /* in (recv): leave the data queued */
    PAL_MSG_OOB = 2,    /* in: urgent data */
    PAL_MSG_TRUNC = 4,  /* in (recv): return the real datagram length; out: it was cut */
    PAL_MSG_CTRUNC = 8, /* out (recv): handles were dropped for lack of room */
    PAL_MSG_MORE = 16,  /* in (send): more data follows (TCP_CORK for one call) */
    PAL_MSG_EOR = 32,   /* out (recv): a whole SEQPACKET record was read */
};
/* One message. handles: send, handles to pass along (unix sockets; the
 * sender keeps its own); recv, room for handle_count handles, which is set
 * to the number received (new handles owned by the caller). */
struct pal_msg {
    const struct pal_iovec *iov;
    size_t iov_count;
    struct pal_sockaddr *addr; /* send: destination or NULL; recv: source out or NULL */
    pal_handle_t **handles;
    size_t handle_count;
    uint32_t flags; /* PAL_MSG_* */
};
/* Returns bytes sent/received (recv: 0 at end of stream) or -PAL_ERR_*. */
int64_t pal_socket_send(pal_handle_t *h, struct pal_msg *msg);
int64_t pal_socket_recv(pal_handle_t *h, struct pal_msg *msg);
/* Socket options, PAL-neutral. Booleans are 0/1; sizes in bytes; times in
 * seconds. PAL_SO_LINGER: UINT64_MAX = off, else the linger time.
 * PAL_SO_ERROR (get only) reads and clears the pending error as a positive
 * PAL_ERR_* code (0 if none). */
enum pal_sockopt {
    PAL_SO_ERROR = 1,
    PAL_SO_REUSEADDR,
    PAL_SO_REUSEPORT,
    PAL_SO_KEEPALIVE,
    PAL_SO_RCVBUF,
    PAL_SO_SNDBUF,
    PAL_SO_LINGER,
    PAL_SO_BROADCAST,
    PAL_SO_OOBINLINE,
    PAL_SO_RCVLOWAT,
    PAL_TCP_NODELAY,
    PAL_TCP_CORK,
    PAL_TCP_KEEPIDLE,
    PAL_TCP_KEEPINTVL,
    PAL_TCP_KEEPCNT,
    PAL_TCP_QUICKACK,
    PAL_TCP_MAXSEG,
    PAL_IPV6_V6ONLY,
    PAL_IP_TTL,
    PAL_IP_TOS,
    PAL_SO_TYPE, /* get only: PAL_SOCK_* */
    PAL_SO__COUNT
};
int pal_socket_option(pal_handle_t *h, uint32_t opt, bool set, uint64_t *val);

/* --------------------------------------------------------------- threads */
typedef int (*pal_thread_fn)(void *arg);
/* Start a host thread running fn(arg) on a PAL-owned stack. The new thread
 * has its own PAL per-thread area, signal entry set up like the boot
 * thread's, and no FS base. */
int pal_thread_create(pal_thread_fn fn, void *arg, pal_handle_t **out);
/* Make thread h leave a blocking PAL call (it returns PAL_ERR_INTERRUPTED)
 * or, if it runs app code, raise PAL_EVENT_INTERRUPT (source
 * PAL_INT_WAKEUP) in it, so the libos can deliver pending signals. */
int pal_thread_interrupt(pal_handle_t *h);
/* End the calling thread. If clear_tid is not NULL, write 0 there after the
 * thread's stack is no longer used, then wake one waiter on that address. */
__attribute__((noreturn)) void pal_thread_exit(uint32_t *clear_tid);
void pal_thread_yield(void);
/* CPU affinity as a bit mask of size bytes. */
int pal_thread_set_affinity(pal_handle_t *h, const void *mask, size_t size);
int pal_thread_get_affinity(pal_handle_t *h, void *mask, size_t size);

/* ------------------------------------------------------------- processes */
/* Start a new, empty libos instance in a new host process/VM (the
 * portable fork: the libos sends its checkpoint over *stream). The child
 * boots with boot->parent_stream = its end of the stream, no manifest and
 * boot->argv = args (a NULL-ended vector of libos-defined strings, may be
 * NULL). PAL_ERR_NOTIMPLEMENTED where the host cannot start one. */
int pal_process_create(const char *const *args, pal_handle_t **stream);
/* Fast fork where the host can copy the address space. Returns 1 in the
 * parent (with *stream to the child), 0 in the child (with *stream to the
 * parent), PAL_ERR_NOTIMPLEMENTED where the PAL needs checkpoint/restore.
 * The stream only tells the parent when the child is gone: the parent's
 * end may be read-only (it hangs up then), the child's write-only. */
int pal_process_fork(pal_handle_t **stream);
/* Waking another instance of the same run without a thread of its own
 * waiting for it: a token naming the calling instance (0: this PAL cannot;
 * the libos then serves its mailbox from a thread), and the wake itself,
 * which in the named instance ends one blocking PAL call (it returns
 * PAL_ERR_INTERRUPTED) or raises PAL_EVENT_INTERRUPT (PAL_INT_WAKEUP) in
 * app code; while a thread runs libos code it stays pending, so a wake
 * sent after a change the target checks on that interrupt is never lost.
 * PAL_ERR_NOTFOUND once the instance is gone. Optional (the libos has weak
 * fallbacks returning 0 / PAL_ERR_NOTIMPLEMENTED). */
uint64_t pal_process_wake_token(void);
int pal_process_wake(uint64_t token);
__attribute__((noreturn)) void pal_process_exit(int status);
/* Stop the whole process until the host resumes it (job control: the
 * app's SIGSTOP/SIGTSTP default action). Returns once resumed. */
int pal_process_suspend(void);

/* ------------------------------------------------------ events, waiting */
int pal_event_create(bool init_signaled, bool auto_clear, pal_handle_t **out);
int pal_event_set(pal_handle_t *ev);
int pal_event_clear(pal_handle_t *ev);
/* Wait until ev is signaled. timeout_us: NULL waits forever; otherwise in,
 * the relative timeout, out, what is left. PAL_ERR_TIMEOUT on expiry,
 * PAL_ERR_INTERRUPTED if a host event arrived. ev may be NULL (sleep). */
int pal_event_wait(pal_handle_t *ev, uint64_t *timeout_us);
/* PAL_WAIT_PEER_CLOSED: the peer of a stream socket shut down its writing
 * side (reported only if asked for). */
enum {
    PAL_WAIT_READ = 1,
    PAL_WAIT_WRITE = 2,
    PAL_WAIT_ERROR = 4,
    PAL_WAIT_HANGUP = 8,
    PAL_WAIT_PEER_CLOSED = 16
};
/* Wait for any of count handles; ret_events[i] gets what happened. */
int pal_wait_handles(size_t count, pal_handle_t *const *handles, const uint32_t *events,
                     uint32_t *ret_events, uint64_t *timeout_us);
/* Address waits for futexes shared with the host (e.g. clear_tid): sleep
 * while *addr == expected; wake up to count sleepers. */
int pal_addr_wait(uint32_t *addr, uint32_t expected, uint64_t *timeout_ns);
int pal_addr_wake(uint32_t *addr, uint32_t count);

/* ------------------------------------------------------------ exceptions */
enum pal_event {
    PAL_EVENT_SYSCALL = 0, /* the app issued a system call */
    PAL_EVENT_MEMFAULT,    /* bad memory access */
    PAL_EVENT_ILLEGAL,     /* illegal instruction */
    PAL_EVENT_ARITHMETIC,  /* divide error, FP exception */
    PAL_EVENT_BREAKPOINT,  /* int3 / single step not owned by a debugger */
    PAL_EVENT_INTERRUPT,   /* asynchronous: host asks to interrupt (SIGINT) */
    PAL_EVENT_QUIT,        /* asynchronous: host asks to terminate */
    PAL_EVENT__COUNT
};

/* Register state of the interrupted thread, x86-64. The handler may change
 * it; the PAL resumes the thread with the changed state. */
struct pal_context {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp;
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rip, rflags;
    void *fpregs; /* XSAVE area owned by the PAL; may be NULL */
};

struct pal_event_info {
    uint64_t addr;      /* faulting address (MEMFAULT) or instruction */
    uint32_t host_code; /* PAL-neutral detail, see PAL_FAULT_* */
    uint32_t access;    /* PAL_PROT_* of the faulting access, if known */
    uint32_t source;    /* INTERRUPT/QUIT: PAL_INT_* */
};
enum {
    PAL_FAULT_UNMAPPED = 1,
    PAL_FAULT_PROTECTION = 2,
    PAL_FAULT_BUS = 3,
    PAL_FAULT_INTDIV = 4,
    PAL_FAULT_FLTDIV = 5,
    PAL_FAULT_OTHER = 6,
    PAL_FAULT_BREAKPOINT = 7, /* hardware breakpoint or single-step trap */
};
enum {
    PAL_INT_INTERRUPT = 1,
    PAL_INT_TERMINATE = 2,
    PAL_INT_HANGUP = 3,
    PAL_INT_WAKEUP = 4,
    PAL_INT_QUIT = 5
};

typedef void (*pal_event_handler_t)(enum pal_event ev, const struct pal_event_info *info,
                                    struct pal_context *ctx);
int pal_set_event_handler(enum pal_event ev, pal_event_handler_t handler);

/* ------------------------------------------------------------------ misc */
enum pal_clock {
    PAL_CLOCK_REALTIME,
    PAL_CLOCK_MONOTONIC,
    PAL_CLOCK_PROCESS_CPU,
    PAL_CLOCK_THREAD_CPU
};
int pal_time_get(enum pal_clock clock, uint64_t *ns);
int pal_random(void *buf, size_t size);
int pal_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);
enum pal_segment { PAL_SEG_FS, PAL_SEG_GS };
/* The app owns FS; the PAL owns GS (the libos never sets PAL_SEG_GS). */
int pal_segment_base_set(enum pal_segment seg, uint64_t base);
int pal_segment_base_get(enum pal_segment seg, uint64_t *base);

struct pal_host_info {
    char pal_name[16]; /* "linux", "kvm", "enclave", "skeleton" */
    char hostname[65];
    char os_release[65]; /* reported as uname -r */
    uint32_t cpu_count;
    uint64_t page_size;
    uint64_t mem_total;
    uint32_t host_uid, host_gid; /* identity the PAL acts as on the host */
};
int pal_host_info(struct pal_host_info *info);

/* Tell debuggers an ELF object was loaded at load bias base (see
 * runtime/sabot-gdb.py); name is the host path of the file, dynamic the
 * runtime address of its PT_DYNAMIC (0 if none; debuggers check it). */
int pal_debug_map_add(const char *name, uint64_t base, uint64_t dynamic);
int pal_debug_map_remove(uint64_t base);
/* Write a line to the PAL's diagnostic channel (stderr of the host). */
int pal_debug_log(const char *msg, size_t len);

/* Attestation (enclave PAL; others return PAL_ERR_NOTIMPLEMENTED). */
int pal_attestation_report(const void *user_data, size_t user_size, void *target_info,
                           size_t *target_size, void *report, size_t *report_size);
int pal_attestation_quote(const void *user_data, size_t user_size, void *quote, size_t *quote_size);
/* Named keys derived by the PAL ("mrenclave", "mrsigner"): fills key. */
int pal_get_key(const char *name, void *key, size_t *size);

/* ------------------------------------------------------- per-thread area */
/* Every PAL keeps a per-thread block at the GS base (the app owns FS). Its
 * first two words are ABI: a self pointer and one slot owned by the libos. */
struct pal_tcb_abi {
    void *self;
    void *libos;
};
static inline void *pal_tcb_libos_get(void) {
    void *p;
    __asm__ volatile("mov %%gs:8, %0" : "=r"(p));
    return p;
}
static inline void pal_tcb_libos_set(void *p) {
    __asm__ volatile("mov %0, %%gs:8" ::"r"(p) : "memory");
}

/* ------------------------------------------------------------- boot info */
/* What the PAL hands to libos_start(). Strings are NUL-terminated copies
 * owned by the PAL for the life of the process. */
struct pal_boot_info {
    uint32_t abi_version; /* PAL_ABI_VERSION */
    const char *manifest; /* TOML text */
    size_t manifest_size;
    const char *manifest_name; /* for error messages */
    const char *const *argv;   /* command-line program and args; may be empty */
    const char *exec_path;     /* what to run (libos path); NULL: argv[0] */
    const char *const *envp;   /* host environment (libos filters) */
    const char *host_cwd;      /* host working directory */
    pal_handle_t *stdio[3];    /* console streams for fd 0, 1, 2 */
    pal_handle_t *main_thread; /* the thread running libos_start */
    /* Host asks that these interrupt sources (bit 1 << PAL_INT_*) start
     * ignored, like a Linux program inheriting SIG_IGN (nohup). */
    uint32_t ignored_interrupts;
    pal_handle_t *log;   /* where libos log lines go */
    pal_handle_t *trace; /* syscall trace output, or NULL */
    int log_level;       /* 0 none, 1 error, 2 warn, 3 info, 4 debug */
    struct pal_host_info host;
    struct pal_mem_info mem;
    /* Set in an instance started by pal_process_create: the stream to the
     * instance that created it (manifest is then NULL). */
    pal_handle_t *parent_stream;
    /* Host directory (the host's own path) whose subdirectories back the
     * tmpfs mounts so every process of the run shares them; NULL: the
     * libos keeps tmpfs in memory, per process. */
    const char *tmpfs_dir;
};

/* Provided by the libos. Never returns: the libos starts the app, which
 * ends by pal_process_exit(). */
__attribute__((noreturn)) void libos_start(const struct pal_boot_info *boot);

#endif
