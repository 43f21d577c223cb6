/* Streams of the KVM guest: file:, dir:, console: and memfd: objects live
 * in the tender; the guest holds its handle id. Data goes through the
 * hypercall data window (one copy each way). Pipes and sockets too. */
#include "pal_kvm.h"

static bool is_tender(pal_handle_t *h) {
    return h && h->kind == KH_TENDER;
}

/* Host I/O through the request ring, or a hypercall for a handle whose
 * calls may block (learnt from the ring server deferring one). */
static int64_t io_call(pal_handle_t *h, uint32_t nr, uint64_t a0, uint64_t a1, uint64_t a2,
                       uint64_t a3, uint64_t a4, uint64_t a5) {
    if (h && h->no_ring)
        return kvm_hc_call(nr, a0, a1, a2, a3, a4, a5);
    bool deferred = false;
    int64_t r = kvm_ring_call(nr, a0, a1, a2, a3, a4, a5, &deferred);
    if (h && deferred)
        h->no_ring = true;
    return r;
}

int pal_stream_open(const char *uri, uint32_t access, uint32_t perm, uint32_t create,
                    uint32_t options, pal_handle_t **out) {
    if (!out)
        return -PAL_ERR_INVAL;
    int64_t n = kvm_put_uri(0, uri);
    if (n < 0)
        return (int)n;
    int64_t id = io_call(NULL, KVM_HC_OPEN, 0, n, access, perm, create, options);
    if (id < 0)
        return (int)id;
    pal_handle_t *h = kvm_handle_new(KH_TENDER, id);
    if (!h) {
        kvm_hc_call(KVM_HC_CLOSE, id, 0, 0, 0, 0, 0);
        return -PAL_ERR_NOMEM;
    }
    h->nonblocking = options & PAL_OPTION_NONBLOCK;
    h->no_ring = uri[0] == 'c'; /* console: reads block */
    h->memfd = uri[0] == 'm' && uri[1] == 'e' && uri[2] == 'm' && uri[3] == 'f' && uri[4] == 'd' &&
               uri[5] == ':';
    *out = h;
    return 0;
}

static int64_t log_write(pal_handle_t *h, const void *buf, size_t size) {
    size_t done = 0;
    while (done < size) {
        size_t n = size - done > KVM_PAYLOAD_MAX ? KVM_PAYLOAD_MAX : size - done;
        kvm_memcpy(kvm_hc_data() + KVM_DATA_PAYLOAD, (const uint8_t *)buf + done, n);
        int64_t r = kvm_hc_call(KVM_HC_LOG, KVM_DATA_PAYLOAD, n, (uint64_t)h->id, 0, 0, 0);
        if (r < 0)
            return done ? (int64_t)done : r;
        done += n;
    }
    return (int64_t)done;
}

int64_t pal_stream_read(pal_handle_t *h, uint64_t offset, void *buf, size_t size) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    size_t done = 0;
    do {
        size_t n = size - done > KVM_PAYLOAD_MAX ? KVM_PAYLOAD_MAX : size - done;
        uint64_t off = offset == PAL_OFFSET_NONE ? offset : offset + done;
        int64_t r = io_call(h, KVM_HC_READ, (uint64_t)h->id, off, KVM_DATA_PAYLOAD, n, 0, 0);
        if (r < 0)
            return done ? (int64_t)done : r;
        if ((uint64_t)r > n)
            return -PAL_ERR_IO; /* a confused tender */
        kvm_memcpy((uint8_t *)buf + done, kvm_hc_data() + KVM_DATA_PAYLOAD, (size_t)r);
        done += (size_t)r;
        if ((size_t)r < n)
            break;
    } while (done < size);
    return (int64_t)done;
}

int64_t pal_stream_write(pal_handle_t *h, uint64_t offset, const void *buf, size_t size) {
    if (h && h->kind == KH_LOG)
        return log_write(h, buf, size);
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    size_t done = 0;
    do {
        size_t n = size - done > KVM_PAYLOAD_MAX ? KVM_PAYLOAD_MAX : size - done;
        uint64_t off = offset == PAL_OFFSET_NONE ? offset : offset + done;
        kvm_memcpy(kvm_hc_data() + KVM_DATA_PAYLOAD, (const uint8_t *)buf + done, n);
        int64_t r = io_call(h, KVM_HC_WRITE, (uint64_t)h->id, off, KVM_DATA_PAYLOAD, n, 0, 0);
        if (r < 0)
            return done ? (int64_t)done : r;
        if ((uint64_t)r > n)
            return -PAL_ERR_IO;
        done += (size_t)r;
        if ((size_t)r < n)
            break;
    } while (done < size);
    return (int64_t)done;
}

int64_t pal_stream_seek(pal_handle_t *h, int64_t offset, uint32_t whence) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    return io_call(h, KVM_HC_SEEK, (uint64_t)h->id, (uint64_t)offset, whence, 0, 0, 0);
}

/* A memfd opened again in the tender (a new host open file description). */
int pal_stream_reopen(pal_handle_t *h, pal_handle_t **out) {
    if (!is_tender(h) || !out)
        return -PAL_ERR_BADHANDLE;
    int64_t id = kvm_hc_call(KVM_HC_REOPEN, (uint64_t)h->id, 0, 0, 0, 0, 0);
    if (id < 0)
        return (int)id;
    pal_handle_t *n = kvm_handle_new(KH_TENDER, id);
    if (!n) {
        kvm_hc_call(KVM_HC_CLOSE, (uint64_t)id, 0, 0, 0, 0, 0);
        return -PAL_ERR_NOMEM;
    }
    n->memfd = h->memfd;
    n->nonblocking = h->nonblocking;
    *out = n;
    return 0;
}

int pal_stream_close(pal_handle_t *h) {
    if (!h)
        return -PAL_ERR_BADHANDLE;
    int r = 0;
    if (h->kind == KH_TENDER)
        r = (int)io_call(h, KVM_HC_CLOSE, (uint64_t)h->id, 0, 0, 0, 0, 0);
    kvm_handle_free(h);
    return r;
}

int pal_stream_delete(const char *uri) {
    int64_t n = kvm_put_uri(0, uri);
    return n < 0 ? (int)n : (int)io_call(NULL, KVM_HC_DELETE, 0, n, 0, 0, 0, 0);
}

int pal_stream_shutdown(pal_handle_t *h, uint32_t how) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    return (int)kvm_hc_call(KVM_HC_SHUTDOWN, (uint64_t)h->id, how, 0, 0, 0, 0);
}

/* A shared mapping is the object's own host pages (a memfd or a host
 * file mapped MAP_SHARED in the tender, put into guest physical memory as
 * a slot of its own): coherent with reads and writes, other mappings and
 * other processes. A private mapping is a copy: the file is read into
 * fresh guest memory. A shared read-only mapping the tender cannot make
 * (no slot left, a host file that cannot be mapped) is a copy too. */
int pal_stream_map(pal_handle_t *h, void **addr, uint32_t prot, uint32_t flags, uint64_t offset,
                   size_t size) {
    if (!is_tender(h) || !addr)
        return -PAL_ERR_BADHANDLE;
    if (!size || (offset & (KVM_PAGE - 1)))
        return -PAL_ERR_INVAL;
    uint32_t place = flags & (PAL_MEM_FIXED | PAL_MEM_NOREPLACE | PAL_MEM_HINT);
    void *p = *addr;
    if (flags & PAL_MAP_SHARED) {
        bool write = prot & PAL_PROT_WRITE;
        uint64_t sz = (size + KVM_PAGE - 1) & ~(KVM_PAGE - 1);
        volatile struct kvm_hc *hc = kvm_hc_page();
        int64_t gpa = kvm_hc_call(KVM_HC_SHMAP, (uint64_t)h->id, offset, sz, write, 0, 0);
        if (gpa >= 0) {
            int r = kvm_mem_map_shared(&p, sz, (uint64_t)gpa, hc->a[1], prot, place);
            if (r == 0)
                *addr = p;
            return r;
        }
        if (write || gpa == -PAL_ERR_BADHANDLE)
            return (int)gpa;
    }
    int r = pal_mem_alloc(&p, size, PAL_PROT_READ | PAL_PROT_WRITE, place);
    if (r < 0)
        return r;
    int64_t got = pal_stream_read(h, offset, p, size);
    if (got < 0) {
        pal_mem_free(p, size);
        return (int)got;
    }
    /* Untouched pages past the end of the file stay lazily zero. */
    if ((r = pal_mem_protect(p, size, prot)) < 0) {
        pal_mem_free(p, size);
        return r;
    }
    *addr = p;
    return 0;
}

int pal_stream_set_length(pal_handle_t *h, uint64_t length) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    return (int)io_call(h, KVM_HC_SET_LENGTH, (uint64_t)h->id, length, 0, 0, 0, 0);
}

int pal_stream_flush(pal_handle_t *h) {
    if (h && h->kind == KH_LOG)
        return 0;
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    return (int)io_call(h, KVM_HC_FLUSH, (uint64_t)h->id, 0, 0, 0, 0, 0);
}

int pal_stream_attr_query(const char *uri, bool nofollow, struct pal_stream_attr *attr) {
    int64_t n = kvm_put_uri(0, uri);
    if (n < 0)
        return (int)n;
    int r = (int)io_call(NULL, KVM_HC_ATTR, 0, n, nofollow, KVM_DATA_PAYLOAD, 0, 0);
    if (r == 0)
        kvm_memcpy(attr, kvm_hc_data() + KVM_DATA_PAYLOAD, sizeof(*attr));
    return r;
}

int pal_stream_attr_query_handle(pal_handle_t *h, struct pal_stream_attr *attr) {
    if (h && h->kind == KH_LOG) {
        kvm_memset(attr, 0, sizeof(*attr));
        attr->type = PAL_TYPE_FILE;
        return 0;
    }
    if (h && h->kind == KH_EVENT) {
        kvm_memset(attr, 0, sizeof(*attr));
        attr->type = PAL_TYPE_EVENT;
        return 0;
    }
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    int r = (int)io_call(h, KVM_HC_ATTR_HANDLE, (uint64_t)h->id, KVM_DATA_PAYLOAD, 0, 0, 0, 0);
    if (r == 0) {
        kvm_memcpy(attr, kvm_hc_data() + KVM_DATA_PAYLOAD, sizeof(*attr));
        attr->nonblocking = h->nonblocking;
    }
    return r;
}

int pal_stream_attr_set_handle(pal_handle_t *h, uint32_t mask, const struct pal_stream_attr *attr) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    if (mask & PAL_ATTR_NONBLOCK)
        h->nonblocking = attr->nonblocking;
    kvm_memcpy(kvm_hc_data() + KVM_DATA_PAYLOAD, attr, sizeof(*attr));
    return (int)io_call(h, KVM_HC_ATTR_SET, (uint64_t)h->id, mask, KVM_DATA_PAYLOAD, 0, 0, 0);
}

int pal_fs_info(const char *uri, struct pal_fs_info *info) {
    int64_t n = kvm_put_uri(0, uri);
    if (n < 0)
        return (int)n;
    int r = (int)io_call(NULL, KVM_HC_FS_INFO, 0, n, KVM_DATA_PAYLOAD, 0, 0, 0);
    if (r == 0)
        kvm_memcpy(info, kvm_hc_data() + KVM_DATA_PAYLOAD, sizeof(*info));
    return r;
}

int pal_stream_rename(pal_handle_t *h, const char *new_uri) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    int64_t n = kvm_put_uri(0, new_uri);
    return n < 0 ? (int)n : (int)io_call(h, KVM_HC_RENAME, (uint64_t)h->id, 0, n, 0, 0, 0);
}

int64_t pal_stream_readdir(pal_handle_t *h, void *buf, size_t size) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    if (size > KVM_PAYLOAD_MAX)
        size = KVM_PAYLOAD_MAX;
    int64_t r = io_call(h, KVM_HC_READDIR, (uint64_t)h->id, KVM_DATA_PAYLOAD, size, 0, 0, 0);
    if (r > 0) {
        if ((uint64_t)r > size)
            return -PAL_ERR_IO;
        kvm_memcpy(buf, kvm_hc_data() + KVM_DATA_PAYLOAD, (size_t)r);
    }
    return r;
}

int pal_stream_link(const char *target, const char *uri, bool symbolic) {
    int64_t t = kvm_put_uri(0, target), n = kvm_put_uri(KVM_DATA_URI2, uri);
    if (t < 0 || n < 0)
        return (int)(t < 0 ? t : n);
    return (int)io_call(NULL, KVM_HC_LINK, 0, t, KVM_DATA_URI2, n, symbolic, 0);
}

int64_t pal_stream_readlink(const char *uri, char *buf, size_t size) {
    int64_t n = kvm_put_uri(0, uri);
    if (n < 0)
        return n;
    if (size > KVM_PAYLOAD_MAX)
        size = KVM_PAYLOAD_MAX;
    int64_t r = io_call(NULL, KVM_HC_READLINK, 0, n, KVM_DATA_PAYLOAD, size, 0, 0);
    if (r > 0) {
        if ((uint64_t)r > size)
            return -PAL_ERR_IO;
        kvm_memcpy(buf, kvm_hc_data() + KVM_DATA_PAYLOAD, (size_t)r);
    }
    return r;
}

/* ------------------------------------------------------ pipes, sockets */
/* Host-backed in the tender, non-blocking like on the Linux PAL: the
 * libos waits for them with pal_wait_handles (KVM_HC_WAIT polls their
 * host fds). */
static int new_tender_handle(int64_t id, pal_handle_t **out) {
    if (id < 0)
        return (int)id;
    pal_handle_t *h = kvm_handle_new(KH_TENDER, id);
    if (!h) {
        kvm_hc_call(KVM_HC_CLOSE, (uint64_t)id, 0, 0, 0, 0, 0);
        return -PAL_ERR_NOMEM;
    }
    h->nonblocking = true;
    h->no_ring = true; /* pipes and sockets: their calls are hypercalls */
    *out = h;
    return 0;
}

int pal_stream_accept(pal_handle_t *h, uint32_t options, pal_handle_t **client) {
    if (!is_tender(h) || !client)
        return -PAL_ERR_BADHANDLE;
    return new_tender_handle(kvm_hc_call(KVM_HC_ACCEPT, (uint64_t)h->id, options, 0, 0, 0, 0),
                             client);
}
/* One byte carrying one handle (SCM_RIGHTS in the tender), as on the
 * Linux PAL. */
int pal_stream_send_handle(pal_handle_t *h, pal_handle_t *cargo) {
    char byte = 'H';
    struct pal_iovec iov = {&byte, 1};
    struct pal_msg m = {.iov = &iov, .iov_count = 1, .handles = &cargo, .handle_count = 1};
    int64_t r = pal_socket_send(h, &m);
    return r < 0 ? (int)r : 0;
}
int pal_stream_recv_handle(pal_handle_t *h, pal_handle_t **cargo) {
    char byte;
    struct pal_iovec iov = {&byte, 1};
    struct pal_msg m = {.iov = &iov, .iov_count = 1, .handles = cargo, .handle_count = 1};
    int64_t r = pal_socket_recv(h, &m);
    if (r < 0)
        return (int)r;
    if (r == 0 || m.handle_count != 1)
        return r == 0 ? -PAL_ERR_PIPE : -PAL_ERR_INVAL;
    return 0;
}

int pal_stream_pair(uint32_t type, uint32_t options, pal_handle_t **a, pal_handle_t **b) {
    if (!a || !b)
        return -PAL_ERR_INVAL;
    volatile struct kvm_hc *hc = kvm_hc_page();
    int64_t ia = kvm_hc_call(KVM_HC_PAIR, type, options, 0, 0, 0, 0);
    if (ia < 0)
        return (int)ia;
    int64_t ib = (int64_t)hc->a[1];
    int r = new_tender_handle(ia, a);
    if (r < 0) {
        kvm_hc_call(KVM_HC_CLOSE, (uint64_t)ib, 0, 0, 0, 0, 0);
        return r;
    }
    if ((r = new_tender_handle(ib, b)) < 0) {
        pal_stream_close(*a);
        return r;
    }
    return 0;
}

int pal_socket_create(uint32_t family, uint32_t type, uint32_t options, pal_handle_t **out) {
    if (!out)
        return -PAL_ERR_INVAL;
    return new_tender_handle(kvm_hc_call(KVM_HC_SOCKET, family, type, options, 0, 0, 0), out);
}

static int addr_call(uint32_t nr, pal_handle_t *h, const struct pal_sockaddr *addr) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    if (!addr)
        return -PAL_ERR_INVAL;
    kvm_memcpy(kvm_hc_data() + KVM_DATA_ADDR, addr, sizeof(*addr));
    return (int)kvm_hc_call(nr, (uint64_t)h->id, 0, 0, 0, 0, 0);
}

int pal_socket_bind(pal_handle_t *h, const struct pal_sockaddr *addr) {
    return addr_call(KVM_HC_BIND, h, addr);
}
int pal_socket_connect(pal_handle_t *h, const struct pal_sockaddr *addr) {
    return addr_call(KVM_HC_CONNECT, h, addr);
}

int pal_socket_listen(pal_handle_t *h, int backlog) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    return (int)kvm_hc_call(KVM_HC_LISTEN, (uint64_t)h->id, (uint64_t)(int64_t)backlog, 0, 0, 0, 0);
}

int pal_socket_name(pal_handle_t *h, bool peer, struct pal_sockaddr *addr) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    int r = (int)kvm_hc_call(KVM_HC_NAME, (uint64_t)h->id, peer, 0, 0, 0, 0);
    if (r == 0)
        kvm_memcpy(addr, kvm_hc_data() + KVM_DATA_ADDR, sizeof(*addr));
    return r;
}

#define MSG_MAX (KVM_DATA_SIZE - KVM_DATA_MSG)

int64_t pal_socket_send(pal_handle_t *h, struct pal_msg *msg) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    if (msg->handle_count > KVM_MSG_HANDLES_MAX)
        return -PAL_ERR_INVAL;
    uint64_t *ids = (uint64_t *)(kvm_hc_data() + KVM_DATA_HANDLES);
    for (size_t i = 0; i < msg->handle_count; i++) {
        if (!is_tender(msg->handles[i]))
            return -PAL_ERR_NOTSUPPORTED; /* guest-only objects (events) */
        ids[i] = (uint64_t)msg->handles[i]->id;
    }
    uint8_t *d = kvm_hc_data() + KVM_DATA_MSG;
    size_t len = 0;
    for (size_t i = 0; i < msg->iov_count && len < MSG_MAX; i++) {
        size_t n = msg->iov[i].len < MSG_MAX - len ? msg->iov[i].len : MSG_MAX - len;
        kvm_memcpy(d + len, msg->iov[i].base, n);
        len += n;
    }
    if (msg->addr)
        kvm_memcpy(kvm_hc_data() + KVM_DATA_ADDR, msg->addr, sizeof(*msg->addr));
    int64_t r = kvm_hc_call(KVM_HC_SEND, (uint64_t)h->id, len, msg->flags, msg->addr != 0,
                            msg->handle_count, 0);
    return r > (int64_t)len ? -PAL_ERR_IO : r;
}

int64_t pal_socket_recv(pal_handle_t *h, struct pal_msg *msg) {
    if (!is_tender(h))
        return -PAL_ERR_BADHANDLE;
    size_t want = 0;
    for (size_t i = 0; i < msg->iov_count; i++)
        want += msg->iov[i].len;
    if (want > MSG_MAX)
        want = MSG_MAX;
    volatile struct kvm_hc *hc = kvm_hc_page();
    size_t room = msg->handles ? msg->handle_count : 0;
    if (room > KVM_MSG_HANDLES_MAX)
        room = KVM_MSG_HANDLES_MAX;
    int64_t r =
        kvm_hc_call(KVM_HC_RECV, (uint64_t)h->id, want, msg->flags, msg->addr != 0, room, 0);
    msg->handle_count = 0;
    if (r < 0)
        return r;
    msg->flags = (uint32_t)hc->a[2];
    uint64_t nh = hc->a[4] <= room ? hc->a[4] : 0;
    const uint64_t *ids = (const uint64_t *)(kvm_hc_data() + KVM_DATA_HANDLES);
    for (uint64_t i = 0; i < nh; i++) {
        pal_handle_t *c = kvm_handle_new(KH_TENDER, (int64_t)ids[i]);
        if (!c) {
            kvm_hc_call(KVM_HC_CLOSE, ids[i], 0, 0, 0, 0, 0);
            msg->flags |= PAL_MSG_CTRUNC;
            continue;
        }
        msg->handles[msg->handle_count++] = c;
    }
    /* With PAL_MSG_TRUNC r may be the datagram's real length. */
    size_t got = (uint64_t)r < want ? (size_t)r : want, off = 0;
    const uint8_t *d = kvm_hc_data() + KVM_DATA_MSG;
    for (size_t i = 0; i < msg->iov_count && off < got; i++) {
        size_t n = msg->iov[i].len < got - off ? msg->iov[i].len : got - off;
        kvm_memcpy(msg->iov[i].base, d + off, n);
        off += n;
    }
    if (msg->addr)
        kvm_memcpy(msg->addr, kvm_hc_data() + KVM_DATA_ADDR, sizeof(*msg->addr));
    return r;
}

int pal_socket_option(pal_handle_t *h, uint32_t opt, bool set, uint64_t *val) {
    if (!is_tender(h) || !val)
        return -PAL_ERR_BADHANDLE;
    volatile struct kvm_hc *hc = kvm_hc_page();
    int r = (int)kvm_hc_call(KVM_HC_SOCKOPT, (uint64_t)h->id, opt, set, *val, 0, 0);
    if (r == 0 && !set)
        *val = hc->a[3];
    return r;
}

int pal_console_get_mode(pal_handle_t *h, struct pal_term_mode *mode) {
    if (!is_tender(h))
        return h && h->kind == KH_LOG ? -PAL_ERR_NOTTY : -PAL_ERR_BADHANDLE;
    int r = (int)kvm_hc_call(KVM_HC_TERM, (uint64_t)h->id, 0, KVM_DATA_PAYLOAD, 0, 0, 0);
    if (r == 0)
        kvm_memcpy(mode, kvm_hc_data() + KVM_DATA_PAYLOAD, sizeof(*mode));
    return r;
}

int pal_console_set_mode(pal_handle_t *h, int when, const struct pal_term_mode *mode) {
    if (!is_tender(h))
        return h && h->kind == KH_LOG ? -PAL_ERR_NOTTY : -PAL_ERR_BADHANDLE;
    if (when < PAL_TERM_NOW || when > PAL_TERM_FLUSH)
        return -PAL_ERR_INVAL;
    kvm_memcpy(kvm_hc_data() + KVM_DATA_PAYLOAD, mode, sizeof(*mode));
    return (int)kvm_hc_call(KVM_HC_TERM, (uint64_t)h->id, 1 + (uint64_t)when, KVM_DATA_PAYLOAD, 0,
                            0, 0);
}
