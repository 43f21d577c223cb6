/* Pipes and sockets (libos/sys/pipe.c, libos/sys/socket.c): host-backed
 * files. Host objects are always non-blocking; blocking calls wait in
 * libos_thread_wait so signals interrupt them. */
#ifndef SABOT_LIBOS_NET_H
#define SABOT_LIBOS_NET_H

#include "libos_vfs.h"

/* Wait until h is ready for ev (PAL_WAIT_*). timeout_ns: NULL forever,
 * else in/out time left. 0, -EAGAIN on timeout, -ERESTARTSYS (no timeout)
 * or -EINTR (timeout set: what Linux's sock_intr_errno gives) when a
 * signal is pending. */
long libos_net_wait(pal_handle_t *h, uint32_t ev, uint64_t *timeout_ns);
/* SIGPIPE to the calling thread, as a write to a broken pipe raises. */
void libos_net_sigpipe(void);

/* Files around PAL handles (the file takes over h). flags: Linux O_ flags
 * (O_ACCMODE, O_NONBLOCK). */
long libos_pipe_file_new(pal_handle_t *h, int flags, struct libos_file **out);
/* domain AF_*, type SOCK_* (no flags); connected: the handle is a
 * connected socket (accept, socketpair, received over SCM_RIGHTS). */
long libos_socket_file_new(pal_handle_t *h, int domain, int type, bool connected, int flags,
                           struct libos_file **out);
bool libos_file_is_socket(struct libos_file *f);
bool libos_file_is_pipe(struct libos_file *f);

#define LINUX_AF_UNSPEC 0
#define LINUX_AF_UNIX 1
#define LINUX_AF_INET 2
#define LINUX_AF_INET6 10
#define LINUX_SOCK_STREAM 1
#define LINUX_SOCK_DGRAM 2
#define LINUX_SOCK_RAW 3
#define LINUX_SOCK_SEQPACKET 5
#define LINUX_SOCK_NONBLOCK O_NONBLOCK
#define LINUX_SOCK_CLOEXEC O_CLOEXEC

struct linux_msghdr {
    void *msg_name;
    int msg_namelen;
    struct linux_iovec *msg_iov;
    size_t msg_iovlen;
    void *msg_control;
    size_t msg_controllen;
    int msg_flags;
};
struct linux_mmsghdr {
    struct linux_msghdr msg_hdr;
    unsigned int msg_len;
};

/* Syscalls (the table in shim/syscalls_net.inc). */
long libos_sys_pipe(int *fds);
long libos_sys_pipe2(int *fds, int flags);
long libos_sys_socket(int domain, int type, int protocol);
long libos_sys_socketpair(int domain, int type, int protocol, int *sv);
long libos_sys_bind(int fd, const void *addr, int addrlen);
long libos_sys_listen(int fd, int backlog);
long libos_sys_accept(int fd, void *addr, int *addrlen);
long libos_sys_accept4(int fd, void *addr, int *addrlen, int flags);
long libos_sys_connect(int fd, const void *addr, int addrlen);
long libos_sys_sendto(int fd, const void *buf, size_t len, int flags, const void *addr,
                      int addrlen);
long libos_sys_recvfrom(int fd, void *buf, size_t len, int flags, void *addr, int *addrlen);
long libos_sys_sendmsg(int fd, const struct linux_msghdr *msg, int flags);
long libos_sys_recvmsg(int fd, struct linux_msghdr *msg, int flags);
long libos_sys_sendmmsg(int fd, struct linux_mmsghdr *vec, unsigned int vlen, int flags);
long libos_sys_recvmmsg(int fd, struct linux_mmsghdr *vec, unsigned int vlen, int flags,
                        struct linux_timespec *timeout);
long libos_sys_shutdown(int fd, int how);
long libos_sys_getsockname(int fd, void *addr, int *addrlen);
long libos_sys_getpeername(int fd, void *addr, int *addrlen);
long libos_sys_setsockopt(int fd, int level, int name, const void *val, int len);
long libos_sys_getsockopt(int fd, int level, int name, void *val, int *len);

#endif
