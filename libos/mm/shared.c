/* Shared mappings the checkpoint fork must map again in a child (it cannot
 * copy them: they must stay shared). Each (dev, ino) mapped MAP_SHARED
 * keeps a way back to its pages: the open file, or the memfd of shared
 * anonymous memory. Entries go once nothing maps them. */
#include "libos_fs.h"
#include "libos_mm.h"
#include "libos_vfs.h"

/* How to map each shared (dev, ino) again: an open file, or the memfd of
 * shared anonymous memory. */
struct shared_map {
    uint64_t dev, ino;
    struct libos_file *file;
    pal_handle_t *handle;
    struct shared_map *next;
};
static struct shared_map *g_shared_maps;
static struct libos_lock g_shared_lock = LIBOS_LOCK_INIT;

struct still_mapped {
    uint64_t dev, ino;
    bool found;
};

static void find_mapping(const struct libos_vma *v, void *arg) {
    struct still_mapped *s = arg;
    s->found |= v->kind == VMA_FILE && v->file_dev == s->dev && v->file_ino == s->ino;
}

static void shared_map_free(struct shared_map *m) {
    if (m->file)
        libos_file_put(m->file);
    if (m->handle)
        pal_stream_close(m->handle);
    libos_free(m);
}

void libos_shared_map_note(uint64_t dev, uint64_t ino, struct libos_file *file,
                           pal_handle_t *handle) {
    struct shared_map *dead = NULL, *m = libos_calloc(1, sizeof(*m));
    libos_lock(&g_shared_lock);
    /* Forget what is no longer mapped (munmap does not tell us). */
    for (struct shared_map **pp = &g_shared_maps; *pp;) {
        struct still_mapped s = {(*pp)->dev, (*pp)->ino, false};
        libos_vma_for_each(find_mapping, &s);
        if (s.found && !(s.dev == dev && s.ino == ino && m)) {
            pp = &(*pp)->next;
            continue;
        }
        struct shared_map *gone = *pp;
        *pp = gone->next;
        gone->next = dead;
        dead = gone;
    }
    if (m) {
        m->dev = dev, m->ino = ino, m->handle = handle;
        if (file) {
            libos_file_get(file);
            m->file = file;
        }
        m->next = g_shared_maps;
        g_shared_maps = m;
    } else if (handle) {
        pal_stream_close(handle);
    }
    libos_unlock(&g_shared_lock);
    while (dead) {
        struct shared_map *next = dead->next;
        shared_map_free(dead);
        dead = next;
    }
}

pal_handle_t *libos_shared_map_handle(uint64_t dev, uint64_t ino) {
    pal_handle_t *h = NULL;
    libos_lock(&g_shared_lock);
    for (struct shared_map *m = g_shared_maps; m && !h; m = m->next)
        if (m->dev == dev && m->ino == ino)
            h = m->file ? m->file->handle : m->handle;
    libos_unlock(&g_shared_lock);
    return h;
}
