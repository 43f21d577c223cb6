/* Linux PAL pipes and sockets (pal_net.c): the entry points pal_streams.c
 * routes to for "pipe"/socket handles and network URIs. */
#ifndef SABOT_PAL_NET_H
#define SABOT_PAL_NET_H

#include "pal_linux.h"

static inline bool pal_net_handle(const pal_handle_t *h) {
    return h && (h->kind == HANDLE_PIPE || h->kind == HANDLE_SOCKET);
}
/* "tcp:", "tcp.srv:", "udp:", "udp.srv:", "unix:", "unix.srv:" URIs (rest
 * is the text after the scheme). */
int pal_net_open(const char *scheme, const char *rest, uint32_t options, pal_handle_t **out);
int64_t pal_net_read(pal_handle_t *h, void *buf, size_t size);
int64_t pal_net_write(pal_handle_t *h, const void *buf, size_t size);
int pal_net_shutdown(pal_handle_t *h, uint32_t how);
int pal_net_attr(pal_handle_t *h, struct pal_stream_attr *attr);
int pal_net_accept(pal_handle_t *h, uint32_t options, pal_handle_t **client);
int pal_net_send_handle(pal_handle_t *h, pal_handle_t *cargo);
int pal_net_recv_handle(pal_handle_t *h, pal_handle_t **cargo);

#endif
