/* The ELF loader: static, static-PIE and dynamic executables (with their
 * PT_INTERP), mapped through the VFS so mounts and policy apply. */
#include "libos_elf.h"
#include "libos_fs.h"
#include "libos_manifest.h"
#include "libos_mm.h"

long libos_elf_check_header(const elf64_ehdr *eh, const char **why) {
    static const unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
    if (memcmp(eh->e_ident, magic, 4) != 0)
        *why = "not an ELF file";
    else if (eh->e_ident[4] != 2)
        *why = "not a 64-bit ELF file";
    else if (eh->e_ident[5] != 1)
        *why = "not little-endian";
    else if (eh->e_machine != EM_X86_64)
        *why = "not an x86-64 program";
    else if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
        *why = "not an executable or shared object";
    else if (eh->e_phentsize != sizeof(elf64_phdr))
        *why = "bad program header size";
    else if (eh->e_phnum == 0 || eh->e_phnum > ELF_MAX_PHNUM)
        *why = "bad program header count";
    else if (eh->e_phoff > UINT64_MAX - (uint64_t)eh->e_phnum * sizeof(elf64_phdr))
        *why = "program headers out of range";
    else
        return 0;
    return -ENOEXEC;
}

static long read_exact(struct libos_file *f, void *buf, size_t size, uint64_t off) {
    if (!f->ops->read)
        return -EACCES;
    size_t done = 0;
    while (done < size) {
        uint64_t pos = off + done;
        int64_t n = f->ops->read(f, (char *)buf + done, size - done, &pos);
        if (n < 0)
            return n;
        if (n == 0)
            return -ENOEXEC; /* truncated */
        done += n;
    }
    return 0;
}

static int seg_prot(uint32_t pf) {
    return ((pf & PF_R) ? PROT_READ : 0) | ((pf & PF_W) ? PROT_WRITE : 0) |
           ((pf & PF_X) ? PROT_EXEC : 0);
}

/* Checks the PT_LOAD segments and returns their page-aligned span. File
 * data must lie inside the file: a mapped page past its end would fault
 * (SIGBUS) when touched. */
static long load_span(const elf64_phdr *ph, int phnum, uint64_t file_size, uint64_t *lo,
                      uint64_t *hi) {
    *lo = UINT64_MAX;
    *hi = 0;
    for (int i = 0; i < phnum; i++) {
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        const elf64_phdr *p = &ph[i];
        if (p->p_filesz > p->p_memsz || p->p_vaddr + p->p_memsz < p->p_vaddr ||
            p->p_offset > file_size || p->p_filesz > file_size - p->p_offset ||
            (p->p_vaddr - p->p_offset) % LIBOS_PAGE_SIZE != 0)
            return -ENOEXEC;
        *lo = MIN(*lo, ALIGN_DOWN(p->p_vaddr, LIBOS_PAGE_SIZE));
        *hi = MAX(*hi, ALIGN_UP(p->p_vaddr + p->p_memsz, LIBOS_PAGE_SIZE));
    }
    return *lo < *hi ? 0 : -ENOEXEC;
}

static long map_segment(struct libos_file *f, const elf64_phdr *p, uint64_t bias) {
    int prot = seg_prot(p->p_flags);
    uint64_t start = ALIGN_DOWN(p->p_vaddr, LIBOS_PAGE_SIZE) + bias;
    uint64_t file_end = p->p_vaddr + p->p_filesz + bias;
    uint64_t mem_end = ALIGN_UP(p->p_vaddr + p->p_memsz, LIBOS_PAGE_SIZE) + bias;
    uint64_t off = ALIGN_DOWN(p->p_offset, LIBOS_PAGE_SIZE);
    uint64_t file_pages_end = ALIGN_UP(file_end, LIBOS_PAGE_SIZE);
    bool zero_tail = p->p_memsz > p->p_filesz && (file_end & (LIBOS_PAGE_SIZE - 1));
    /* Writable for a moment if the partial page after the file data must
     * be zeroed (bss sharing a page with data). */
    int map_prot = zero_tail ? prot | PROT_WRITE : prot;
    long r;
    if (p->p_filesz) {
        r = libos_mm_map(start, file_pages_end - start, map_prot, MAP_PRIVATE | MAP_FIXED, f, off);
        if (r < 0)
            return r;
        if (zero_tail)
            memset((void *)file_end, 0, file_pages_end - file_end);
        if (map_prot != prot) {
            pal_mem_protect((void *)start, file_pages_end - start, libos_pal_prot(prot));
            libos_vma_set_prot(start, file_pages_end, prot);
        }
    } else {
        file_pages_end = start;
    }
    if (mem_end > file_pages_end) {
        r = libos_mm_map(file_pages_end, mem_end - file_pages_end, prot,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
        if (r < 0)
            return r;
    }
    return 0;
}

static long read_interp(struct libos_file *f, const elf64_phdr *p, char **out) {
    if (p->p_filesz < 2 || p->p_filesz > LIBOS_PATH_MAX)
        return -ENOEXEC;
    char *s = libos_malloc(p->p_filesz + 1);
    if (!s)
        return -ENOMEM;
    long r = read_exact(f, s, p->p_filesz, p->p_offset);
    s[p->p_filesz] = '\0';
    if (r < 0 || strlen(s) != p->p_filesz - 1) {
        libos_free(s);
        return r < 0 ? r : -ENOEXEC;
    }
    *out = s;
    return 0;
}

static void register_with_debugger(struct libos_file *f, uint64_t bias, uint64_t dynamic) {
    char host[LIBOS_PATH_MAX];
    if (libos_vfs_host_path(f, host, sizeof(host)) >= 0)
        pal_debug_map_add(host, bias, dynamic);
}

long libos_elf_load_program(const char *exec, struct libos_elf_image *exe,
                            struct libos_elf_image *interp, bool *has_interp) {
    *has_interp = false;
    long r = libos_elf_load(exec, exe);
    if (r < 0)
        return r;
    if (exe->interp) {
        r = libos_elf_load(exe->interp, interp);
        if (r < 0) {
            log_warn("cannot load the program interpreter %s of %s (error %ld)", exe->interp, exec,
                     -r);
            return r;
        }
        *has_interp = true;
    }
    uint64_t brk_max = g_manifest->limit_brk ? g_manifest->limit_brk : 1ULL << 30;
    libos_brk_init(exe->end, brk_max);
    return 0;
}

long libos_elf_open(const char *path, struct libos_file **out, elf64_ehdr *eh, uint64_t *size) {
    struct libos_file *f;
    long r = libos_vfs_open(AT_FDCWD, path, O_RDONLY, 0, &f);
    if (r < 0)
        return r;
    struct linux_stat st;
    r = libos_file_stat(f, &st);
    /* Like execve: only regular files with an execute bit. */
    if (r == 0 && (!S_ISREG(st.st_mode) || !(st.st_mode & 0111)))
        r = -EACCES;
    const char *why = "truncated";
    if (r == 0)
        r = read_exact(f, eh, sizeof(*eh), 0);
    if (r == 0)
        r = libos_elf_check_header(eh, &why);
    if (r == -ENOEXEC)
        log_warn("cannot run %s: %s", path, why);
    if (r < 0) {
        libos_file_put(f);
        return r;
    }
    *size = (uint64_t)st.st_size;
    *out = f;
    return 0;
}

long libos_elf_load(const char *path, struct libos_elf_image *img) {
    struct libos_file *f;
    elf64_ehdr eh;
    uint64_t file_size;
    long r = libos_elf_open(path, &f, &eh, &file_size);
    if (r < 0)
        return r;
    elf64_phdr ph[ELF_MAX_PHNUM];
    r = read_exact(f, ph, eh.e_phnum * sizeof(elf64_phdr), eh.e_phoff);
    if (r < 0)
        goto out;
    uint64_t lo, hi;
    r = load_span(ph, eh.e_phnum, file_size, &lo, &hi);
    if (r < 0) {
        log_warn("cannot run %s: bad PT_LOAD segments", path);
        goto out;
    }
    uint64_t bias = 0;
    if (eh.e_type == ET_DYN) {
        /* Position independent: reserve the whole span where the PAL finds
         * room, then place the segments inside it. */
        void *base = NULL;
        r = libos_errno_from_pal(pal_mem_alloc(&base, hi - lo, PAL_PROT_NONE, 0));
        if (r < 0)
            goto out;
        bias = (uint64_t)base - lo;
        libos_vma_insert((uint64_t)base, (uint64_t)base + (hi - lo), PROT_NONE,
                         MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON);
    }
    memset(img, 0, sizeof(*img));
    img->bias = bias;
    img->entry = eh.e_entry + bias;
    img->phnum = eh.e_phnum;
    img->end = hi + bias;
    for (int i = 0; i < eh.e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && ph[i].p_memsz) {
            r = map_segment(f, &ph[i], bias);
            if (r < 0) {
                log_warn("cannot map %s: error %ld", path, -r);
                goto out;
            }
        } else if (ph[i].p_type == PT_INTERP && !img->interp) {
            r = read_interp(f, &ph[i], &img->interp);
            if (r < 0)
                goto out;
        }
    }
    /* AT_PHDR: where the headers are in the first loaded segment holding
     * them, as Linux computes it (a PT_PHDR's own p_vaddr may point
     * anywhere; fuzz_elf found one outside every segment), and only in a
     * segment that was mapped (memsz 0 ones are not). */
    for (int i = 0; i < eh.e_phnum && !img->phdr; i++)
        if (ph[i].p_type == PT_LOAD && ph[i].p_memsz && ph[i].p_filesz <= ph[i].p_memsz &&
            ph[i].p_offset <= eh.e_phoff &&
            eh.e_phoff + eh.e_phnum * sizeof(elf64_phdr) <= ph[i].p_offset + ph[i].p_filesz)
            img->phdr = ph[i].p_vaddr + (eh.e_phoff - ph[i].p_offset) + bias;
    uint64_t dynamic = 0;
    for (int i = 0; i < eh.e_phnum; i++)
        if (ph[i].p_type == PT_DYNAMIC)
            dynamic = ph[i].p_vaddr + bias;
    register_with_debugger(f, bias, dynamic);
    r = 0;
out:
    libos_file_put(f);
    return r;
}
