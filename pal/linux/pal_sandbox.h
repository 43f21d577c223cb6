/* The Linux PAL as a picoprocess (sandbox.c): no_new_privs, the Landlock
 * domain the runtime prepared, and two seccomp layers, installed once the
 * PAL is set up and just before libos_start(). */
#ifndef SABOT_PAL_SANDBOX_H
#define SABOT_PAL_SANDBOX_H

#include "pal_linux.h"

struct pal_linux_config;

/* si_code of a SIGSYS raised by SECCOMP_RET_TRAP. */
#define HOST_SYS_SECCOMP 1

/* Confines the process as cfg says; returns 0 or -PAL_ERR_* with *what
 * naming the step that failed. In an instance started by sabot-pal-child
 * (filters inherited over execve) it narrows the IP filter to this image's
 * own syscall region. */
int pal_linux_sandbox_install(const struct pal_linux_config *cfg, const char **what);

/* SIGSYS raised by a seccomp filter (si_code SYS_SECCOMP): says which host
 * syscall was stopped and why, then ends the process as the kernel's
 * SIGSYS would (status 128 + 31). */
__attribute__((noreturn)) void pal_linux_sandbox_violation(const struct host_siginfo *si);

#endif
