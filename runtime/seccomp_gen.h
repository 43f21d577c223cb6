/* Rule sets that runtime/seccomp_gen.c compiles into BPF at build time. */
#ifndef SABOT_SECCOMP_GEN_H
#define SABOT_SECCOMP_GEN_H

#include <seccomp.h>
#include <stdbool.h>

/* The Linux PAL's allowlist (runtime/seccomp_rules.c); exec_child adds
 * execve (of sabot-pal-child: Landlock allows executing nothing else). */
int sabot_seccomp_pal_rules(scmp_filter_ctx ctx, bool exec_child);
/* The KVM tender's allowlist (pal/kvm/tender/confine_rules.c). */
int kvm_tender_seccomp_rules(scmp_filter_ctx ctx);

#endif
