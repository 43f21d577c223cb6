/* ELF64 structures the loader reads, and the loader's interface. */
#ifndef SABOT_LIBOS_ELF_H
#define SABOT_LIBOS_ELF_H

#include "libos.h"

typedef struct {
    unsigned char e_ident[16];
    uint16_t e_type, e_machine;
    uint32_t e_version;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
} elf64_ehdr;

typedef struct {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
} elf64_phdr;

#define ET_EXEC 2
#define ET_DYN 3
#define EM_X86_64 62
#define PT_LOAD 1
#define PT_DYNAMIC 2
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551
#define PF_X 1
#define PF_W 2
#define PF_R 4
#define ELF_MAX_PHNUM 128

/* One loaded ELF object. */
struct libos_elf_image {
    uint64_t bias;  /* load bias: runtime address - p_vaddr */
    uint64_t entry; /* runtime entry point */
    uint64_t phdr;  /* runtime address of the program headers */
    uint16_t phnum;
    uint64_t end; /* highest runtime address used, page aligned */
    char *interp; /* PT_INTERP path or NULL (heap) */
};

/* Checks a header; returns 0 or -ENOEXEC with why in *why. */
long libos_elf_check_header(const elf64_ehdr *eh, const char **why);
struct libos_file;
/* Open path for running it: a regular file with an execute bit and a valid
 * ELF header (-EACCES, -ENOEXEC otherwise). */
long libos_elf_open(const char *path, struct libos_file **out, elf64_ehdr *eh, uint64_t *size);
/* Map an ELF file opened at path into app memory. */
long libos_elf_load(const char *path, struct libos_elf_image *img);

/* Build the initial stack (argv, envp, auxv); returns the stack pointer. */
uint64_t libos_elf_setup_stack(const struct libos_elf_image *exe,
                               const struct libos_elf_image *interp, const char *execfn,
                               char *const *argv, char *const *envp);
/* Load exec and its interpreter and set up brk (the app's old memory must
 * be gone). interp is filled if the program has one. */
long libos_elf_load_program(const char *exec, struct libos_elf_image *exe,
                            struct libos_elf_image *interp, bool *has_interp);
/* Build the initial stack (argv, envp, auxv) and jump to the program. */
__attribute__((noreturn)) void libos_elf_start(const struct libos_elf_image *exe,
                                               const struct libos_elf_image *interp,
                                               const char *execfn, char *const *argv,
                                               char *const *envp);

#endif
