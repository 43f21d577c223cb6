/* Directory semantics in argv[1] (inside the read-write mount): build a
 * tree, walk it with readdir (getdents64) and nftw, compare with what was
 * created, check rmdir/mkdir errors, then remove everything. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"

#define MANY 300 /* enough entries to need several getdents64 calls */

static const char *g_dirs[] = {"a", "a/b", "a/b/c", "a/d", "e"};
static const char *g_files[] = {"f0", "a/f1", "a/b/f2", "a/b/c/f3", "a/b/c/f4", "a/d/f5"};
#define NDIRS (int)(sizeof(g_dirs) / sizeof(g_dirs[0]))
#define NFILES (int)(sizeof(g_files) / sizeof(g_files[0]))

static int g_nftw_dirs, g_nftw_files, g_nftw_other, g_rm_fail;

static void mkfile(const char *path, const char *text) {
    int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0, "create %s", path);
    if (fd >= 0) {
        CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text), "write %s", path);
        close(fd);
    }
}

/* Recursive readdir walk; checks . and .. appear once and d_type agrees
 * with lstat (DT_UNKNOWN is allowed by Linux for some file systems). */
static void walk(const char *path, int *ndirs, int *nfiles) {
    DIR *d = opendir(path);
    CHECK(d != NULL, "opendir %s", path);
    if (!d)
        return;
    int dot = 0, dotdot = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0) {
            dot++;
            continue;
        }
        if (strcmp(e->d_name, "..") == 0) {
            dotdot++;
            continue;
        }
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(child, &st) != 0) {
            CHECK(0, "lstat %s errno %s", child, errname(errno));
            continue;
        }
        int want = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : -1;
        if (e->d_type != DT_UNKNOWN && e->d_type != want)
            CHECK(0, "d_type of %s is %d, lstat says %d", child, e->d_type, want);
        if (S_ISDIR(st.st_mode)) {
            (*ndirs)++;
            walk(child, ndirs, nfiles);
        } else {
            (*nfiles)++;
        }
    }
    CHECK(errno == 0, "readdir %s ended without error (%s)", path, errname(errno));
    CHECK(dot == 1 && dotdot == 1, "%s lists . %d time(s) and .. %d time(s)", path, dot, dotdot);
    closedir(d);
}

static int count_cb(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    if (type == FTW_D || type == FTW_DP)
        g_nftw_dirs++;
    else if (type == FTW_F)
        g_nftw_files++;
    else
        g_nftw_other++;
    return 0;
}

static int rm_cb(const char *path, const struct stat *st, int type, struct FTW *ftw) {
    int r = (type == FTW_DP) ? rmdir(path) : unlink(path);
    if (r != 0) {
        printf("FAIL remove %s: %s\n", path, errname(errno));
        g_rm_fail++;
    }
    return 0;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A flat directory with MANY files: the names read back, sorted, must be
 * exactly the names created. */
static void test_many(const char *root) {
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s/many", root);
    CHECK_OK(mkdir(dir, 0755));
    for (int i = 0; i < MANY; i++) {
        char f[4200];
        snprintf(f, sizeof(f), "%s/file-with-a-longish-name-%04d", dir, i);
        int fd = open(f, O_CREAT | O_WRONLY, 0644);
        if (fd < 0)
            CHECK(0, "create %s: %s", f, errname(errno));
        else
            close(fd);
    }
    static char *names[MANY + 8];
    int n = 0, extra = 0;
    DIR *d = opendir(dir);
    CHECK(d != NULL, "opendir many");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (n < MANY + 8)
            names[n++] = strdup(e->d_name);
        else
            extra++;
    }
    if (d)
        closedir(d);
    CHECK(n == MANY && extra == 0, "readdir of many: %d entries, want %d", n + extra, MANY);
    qsort(names, n, sizeof(names[0]), cmp_str);
    int bad = 0;
    for (int i = 0; i < n && i < MANY; i++) {
        char want[64];
        snprintf(want, sizeof(want), "file-with-a-longish-name-%04d", i);
        if (strcmp(names[i], want) != 0 && bad++ < 5)
            printf("  entry %d is '%s', want '%s'\n", i, names[i], want);
    }
    CHECK(bad == 0, "names read back match names created (%d mismatches)", bad);
    for (int i = 0; i < n; i++)
        free(names[i]);
}

int main(int argc, char **argv) {
    check_init("dirwalk");
    if (argc != 2) {
        fprintf(stderr, "usage: dirwalk DIR\n");
        return 2;
    }
    umask(022);
    char root[4096], path[4200];
    snprintf(root, sizeof(root), "%s/dirwalk.d", argv[1]);
    CHECK_OK(mkdir(root, 0755));
    for (int i = 0; i < NDIRS; i++) {
        snprintf(path, sizeof(path), "%s/%s", root, g_dirs[i]);
        CHECK_OK(mkdir(path, 0755));
    }
    for (int i = 0; i < NFILES; i++) {
        snprintf(path, sizeof(path), "%s/%s", root, g_files[i]);
        mkfile(path, g_files[i]);
    }

    int ndirs = 0, nfiles = 0;
    walk(root, &ndirs, &nfiles);
    CHECK(ndirs == NDIRS && nfiles == NFILES, "readdir walk: %d dirs %d files, want %d %d", ndirs,
          nfiles, NDIRS, NFILES);

    CHECK_OK(nftw(root, count_cb, 16, FTW_PHYS));
    /* nftw also reports the root itself. */
    CHECK(g_nftw_dirs == NDIRS + 1 && g_nftw_files == NFILES && g_nftw_other == 0,
          "nftw: %d dirs %d files %d other, want %d %d 0", g_nftw_dirs, g_nftw_files, g_nftw_other,
          NDIRS + 1, NFILES);

    struct stat st;
    snprintf(path, sizeof(path), "%s/a/b", root);
    CHECK_OK(stat(path, &st));
    CHECK(S_ISDIR(st.st_mode), "a/b is a directory");
    CHECK_ERR(rmdir(path), ENOTEMPTY);
    CHECK_ERR(mkdir(path, 0755), EEXIST);
    snprintf(path, sizeof(path), "%s/nonexistent", root);
    CHECK_ERR(rmdir(path), ENOENT);
    CHECK_ERR(opendir(path) ? 0 : -1, ENOENT);
    snprintf(path, sizeof(path), "%s/nonexistent/sub", root);
    CHECK_ERR(mkdir(path, 0755), ENOENT);
    snprintf(path, sizeof(path), "%s/f0", root);
    CHECK_ERR(opendir(path) ? 0 : -1, ENOTDIR);
    snprintf(path, sizeof(path), "%s/f0/sub", root);
    CHECK_ERR(mkdir(path, 0755), ENOTDIR);
    snprintf(path, sizeof(path), "%s/e", root);
    CHECK_OK(rmdir(path)); /* empty: must succeed */
    CHECK_ERR(rmdir(path), ENOENT);

    test_many(root);

    CHECK_OK(nftw(root, rm_cb, 16, FTW_DEPTH | FTW_PHYS));
    CHECK(g_rm_fail == 0, "cleanup removed everything");
    CHECK_ERR(stat(root, &st), ENOENT);
    return check_done();
}
