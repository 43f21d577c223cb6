/* The app's address space as the libos sees it (libos/mm/). The host may
 * have other mappings (PAL, libos heap, the runtime); the app may only map,
 * unmap or change what is listed here, and app pointers passed to syscalls
 * must fall inside it. */
#ifndef SABOT_LIBOS_MM_H
#define SABOT_LIBOS_MM_H

#include "libos.h"

struct libos_file;

enum libos_vma_kind {
    VMA_ANON = 1,
    VMA_FILE,
    VMA_STACK,
    VMA_BRK,
    VMA_RESERVED, /* address space held for brk growth or below a MAP_GROWSDOWN
                   * mapping (flags MAP_GROWSDOWN): app-owned, no access */
};

struct libos_vma {
    uint64_t start, end; /* page aligned, end exclusive */
    int prot;            /* Linux PROT_* */
    int flags;           /* Linux MAP_* */
    int kind;            /* enum libos_vma_kind */
    /* VMA_FILE: the object and the file offset of start (shared futexes
     * key on these, as Linux does). */
    uint64_t file_dev, file_ino, file_off;
};

/* Record [start, end) as app memory, replacing what overlaps. */
long libos_vma_insert(uint64_t start, uint64_t end, int prot, int flags, int kind);
/* Record a file mapping: like libos_vma_insert, plus its file identity. */
long libos_vma_insert_file(uint64_t start, uint64_t end, int prot, int flags, uint64_t dev,
                           uint64_t ino, uint64_t off);
/* Change the access of [start, end) (all app memory), keeping the rest. */
void libos_vma_set_prot(uint64_t start, uint64_t end, int prot);
/* Forget [start, end), splitting VMAs at the edges. */
void libos_vma_remove(uint64_t start, uint64_t end);
/* Copy of the VMA containing addr; false if none. */
bool libos_vma_lookup(uint64_t addr, struct libos_vma *out);
/* The first VMA that ends above addr (it may start above addr, too). */
bool libos_vma_next(uint64_t addr, struct libos_vma *out);
/* True when every page of [start, end) is app memory. */
bool libos_vma_covered(uint64_t start, uint64_t end);

/* Calls fn on a copy of every VMA in address order, under the VMA lock
 * (fn must not map or unmap). For /proc/<pid>/maps. */
void libos_vma_for_each(void (*fn)(const struct libos_vma *v, void *arg), void *arg);
/* Remember the libos path of the file (dev, ino) for /proc/<pid>/maps;
 * libos_vma_file_name copies it into buf (false if unknown). */
void libos_vma_file_name_set(uint64_t dev, uint64_t ino, const char *path);
bool libos_vma_file_name(uint64_t dev, uint64_t ino, char *buf, size_t size);

/* mmap with Linux semantics; used by the syscall and the ELF loader. */
long libos_mm_map(uint64_t addr, size_t len, int prot, int flags, struct libos_file *f,
                  uint64_t off);

/* A fork (either path) happens between these: they hold the lock that
 * address-space changes (mmap, munmap, mprotect, mremap, brk) take one at
 * a time, so other threads' changes wait meanwhile. */
void libos_mm_freeze(void);
void libos_mm_thaw(void);
/* The fast fork freezes too; its child starts with the lock free. */
void libos_mm_after_fork(void);

/* A fault at addr just below a MAP_GROWSDOWN mapping: grow it; true if the
 * access can be retried. */
bool libos_mm_grow_stack(uint64_t addr);

/* A MAP_SHARED mapping of (dev, ino) was made: remember how to map it
 * again in a child made by checkpoint (takes a reference on file, or owns
 * handle). libos_shared_map_handle: that handle (the registry keeps it),
 * or NULL (libos/mm/shared.c). */
void libos_shared_map_note(uint64_t dev, uint64_t ino, struct libos_file *file,
                           pal_handle_t *handle);
pal_handle_t *libos_shared_map_handle(uint64_t dev, uint64_t ino);

/* The program break, set up by the ELF loader. */
void libos_brk_init(uint64_t start, uint64_t max_size);

#endif
