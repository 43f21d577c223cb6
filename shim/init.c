/* Hook the shim into the PAL's syscall event. */
#include "shim.h"

void shim_init(void) {
    pal_set_event_handler(PAL_EVENT_SYSCALL, shim_syscall_dispatch);
}
