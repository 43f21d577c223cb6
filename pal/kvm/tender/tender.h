/* The KVM PAL's tender: the host process that creates the VM, loads the
 * guest image (guest PAL + libos + shim), and serves its hypercalls under
 * the manifest's policy. Hosted (glibc). */
#ifndef SABOT_KVM_TENDER_H
#define SABOT_KVM_TENDER_H

#include <stddef.h>
#include <stdint.h>

struct kvm_tender_config {
    const char *manifest; /* TOML text */
    size_t manifest_size;
    const char *manifest_name;
    const char *const *argv; /* NULL-ended */
    const char *exec_path;   /* or NULL */
    const char *const *envp;
    const char *host_cwd;
    int log_fd;
    int trace_fd; /* -1: off */
    int log_level;
    uint64_t mem_size; /* guest memory; 0: limits.memory or the default */
    const void *image; /* guest ELF; NULL: the one built into the tender */
    size_t image_size;
};

/* Runs the guest to its end. Returns 0 with the guest's exit status in
 * *status, or -errno with a message in err (no VM, bad image, ...). */
int kvm_tender_run(const struct kvm_tender_config *cfg, int *status, char *err, size_t err_size);

/* ------------------------------------------------ internals (tender/) */
struct kvm_vm {
    int kvm_fd, vm_fd, vcpu_fd;
    struct kvm_run *run;
    uint8_t *mem; /* guest physical memory */
    uint64_t mem_size;
    uint64_t free_start;
    uint64_t entry;
    uint64_t strings_used;
};

struct libos_manifest;
struct kvm_hc;

/* Hypercall service (hc.c). */
int kvm_hc_init(const struct kvm_tender_config *cfg, const struct libos_manifest *m);
/* Serves one request in place; returns 1 when the guest asked to exit
 * (status in *status), 0 otherwise. Never trusts anything in hc. */
int kvm_hc_serve(uint8_t *mem, uint64_t mem_size, struct kvm_hc *hc, int *status);
void kvm_hc_fini(void);

/* The embedded guest image (guest_image.S). */
extern const unsigned char g_kvm_guest_image[];
extern const unsigned char g_kvm_guest_image_end[];

#endif
