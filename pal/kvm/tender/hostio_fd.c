/* Built into kvm_hostio.o with the Linux PAL's stream code: the host fd of
 * one of its handles, for the tender's waits (ppoll). */
#include "pal_linux.h"

int kvm_hostio_fd(const pal_handle_t *h) {
    return h ? h->fd : -1;
}
