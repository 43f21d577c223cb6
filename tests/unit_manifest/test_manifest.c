/* Unit tests for the manifest schema (libos/manifest/manifest.c), hosted. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "libos_manifest.h"
#include "libos_toml.h"

#define T_EINVAL (-22)
#define T_ERANGE (-34)

static char g_err[512];

static struct libos_manifest *parse_ok(const char *text) {
    struct libos_manifest *m = NULL;
    long rc = libos_manifest_parse(text, strlen(text), "m.toml", &m, g_err, sizeof(g_err));
    if (rc != 0)
        fail_msg("manifest rejected: %s", g_err);
    assert_non_null(m);
    return m;
}

static void parse_err(const char *text, const char *expect) {
    struct libos_manifest *m = (struct libos_manifest *)1;
    memset(g_err, 0, sizeof(g_err));
    long rc = libos_manifest_parse(text, strlen(text), "m.toml", &m, g_err, sizeof(g_err));
    if (rc == 0)
        fail_msg("manifest <<%s>> accepted, expected: %s", text, expect);
    assert_int_equal(rc, T_EINVAL);
    assert_null(m);
    assert_string_equal(g_err, expect);
}

static const char *FULL = "# every key\n"
                          "[loader]\n"
                          "entrypoint = \"/usr/bin/python3\"\n"
                          "argv = [\"python3\", \"-c\", \"print(1)\"]\n"
                          "env_passthrough = [\"TERM\", \"LANG\"]\n"
                          "[loader.env]\n"
                          "PATH = \"/usr/bin:/bin\"\n"
                          "EMPTY = \"\"\n"
                          "\n"
                          "[fs]\n"
                          "cwd = \"/work\"\n"
                          "[[fs.mounts]]\n"
                          "path = \"/\"\n"
                          "type = \"host\"\n"
                          "source = \"/\"\n"
                          "[[fs.mounts]]\n"
                          "path = \"/work/\"\n"
                          "type = \"host\"\n"
                          "source = \"/home/me/proj\"\n"
                          "readonly = false\n"
                          "[[fs.mounts]]\n"
                          "path = \"//tmp/./\"\n"
                          "type = \"tmpfs\"\n"
                          "\n"
                          "[sys]\n"
                          "memory = \"1G\"\n"
                          "stack = \"8M\"\n"
                          "brk = 65536\n"
                          "open_files = 1024\n"
                          "threads = 64\n"
                          "processes = 16\n"
                          "[pal]\n"
                          "name = \"kvm\"\n"
                          "[log]\n"
                          "level = \"trace\"\n";

static void test_full_manifest(void **state) {
    struct libos_manifest *m = parse_ok(FULL);
    assert_string_equal(m->name, "m.toml");
    assert_string_equal(m->entrypoint, "/usr/bin/python3");
    assert_non_null(m->argv);
    assert_string_equal(m->argv[0], "python3");
    assert_string_equal(m->argv[1], "-c");
    assert_string_equal(m->argv[2], "print(1)");
    assert_null(m->argv[3]);
    assert_int_equal(m->env_count, 2);
    assert_string_equal(m->env[0].name, "PATH");
    assert_string_equal(m->env[0].value, "/usr/bin:/bin");
    assert_string_equal(m->env[1].name, "EMPTY");
    assert_string_equal(m->env[1].value, "");
    assert_int_equal(m->env_passthrough_count, 2);
    assert_string_equal(m->env_passthrough[0], "TERM");
    assert_string_equal(m->env_passthrough[1], "LANG");
    assert_null(m->env_passthrough[2]);
    assert_string_equal(m->cwd, "/work");
    assert_int_equal(m->mount_count, 3);
    assert_string_equal(m->mounts[0].path, "/");
    assert_int_equal(m->mounts[0].type, LIBOS_MOUNT_HOST);
    assert_string_equal(m->mounts[0].source, "/");
    assert_true(m->mounts[0].readonly); /* host default */
    assert_int_equal(m->mounts[0].line, 12);
    assert_string_equal(m->mounts[1].path, "/work"); /* normalized */
    assert_string_equal(m->mounts[1].source, "/home/me/proj");
    assert_false(m->mounts[1].readonly);
    assert_int_equal(m->mounts[1].line, 16);
    assert_string_equal(m->mounts[2].path, "/tmp");
    assert_int_equal(m->mounts[2].type, LIBOS_MOUNT_TMPFS);
    assert_null(m->mounts[2].source);
    assert_false(m->mounts[2].readonly); /* tmpfs default */
    assert_true(m->limit_memory == 1ull << 30);
    assert_true(m->limit_stack == 8ull << 20);
    assert_true(m->limit_brk == 65536);
    assert_int_equal(m->limit_open_files, 1024);
    assert_int_equal(m->limit_threads, 64);
    assert_int_equal(m->limit_processes, 16);
    assert_string_equal(m->pal, "kvm");
    assert_int_equal(m->log_level, 5);
    /* The tree stays available for keys added later. */
    assert_non_null(m->root);
    assert_string_equal(libos_toml_str(libos_toml_get(m->root, "pal.name")), "kvm");
    libos_manifest_free(m);
}

static void test_defaults(void **state) {
    struct libos_manifest *m = parse_ok("# nothing\n");
    assert_null(m->entrypoint);
    assert_null(m->argv);
    assert_int_equal(m->env_count, 0);
    assert_int_equal(m->env_passthrough_count, 0);
    assert_int_equal(m->mount_count, 0);
    assert_null(m->cwd);
    assert_true(m->limit_memory == 0 && m->limit_stack == 0 && m->limit_threads == 0);
    assert_null(m->pal);
    assert_int_equal(m->log_level, -1);
    libos_manifest_free(m);

    /* Inline-table mounts, "*" passthrough, readonly tmpfs, every log level. */
    m = parse_ok("loader.env_passthrough = [\"*\"]\n"
                 "loader.argv = []\n"
                 "fs.mounts = [ { path = \"/a\", type = \"tmpfs\", readonly = true },\n"
                 "              { path = \"/b\", type = \"host\", source = \"/srv\" } ]\n"
                 "log.level = \"none\"\n");
    assert_string_equal(m->env_passthrough[0], "*");
    assert_non_null(m->argv);
    assert_null(m->argv[0]);
    assert_int_equal(m->mount_count, 2);
    assert_true(m->mounts[0].readonly);
    assert_int_equal(m->mounts[1].type, LIBOS_MOUNT_HOST);
    assert_int_equal(m->mounts[1].line, 4);
    assert_int_equal(m->log_level, 0);
    libos_manifest_free(m);

    const char *levels[] = {"none", "error", "warning", "info", "debug", "trace"};
    for (int i = 0; i < 6; i++) {
        char text[64];
        snprintf(text, sizeof(text), "[log]\nlevel = \"%s\"\n", levels[i]);
        m = parse_ok(text);
        assert_int_equal(m->log_level, i);
        libos_manifest_free(m);
    }
    const char *pals[] = {"linux", "kvm"};
    for (int i = 0; i < 2; i++) {
        char text[64];
        snprintf(text, sizeof(text), "pal.name = \"%s\"\n", pals[i]);
        m = parse_ok(text);
        assert_string_equal(m->pal, pals[i]);
        libos_manifest_free(m);
    }
}

static void test_unknown_keys(void **state) {
    parse_err("[fs]\ncwd = \"/\"\n\n[[fs.mount]]\npath = \"/\"\n",
              "m.toml:4:6: fs.mount: unknown key (did you mean 'fs.mounts'?)");
    parse_err("[network]\nallow = []\n", "m.toml:1:2: network: unknown key");
    parse_err("[loadr]\n", "m.toml:1:2: loadr: unknown key (did you mean 'loader'?)");
    parse_err("[loader]\nentrypiont = \"/x\"\n",
              "m.toml:2:1: loader.entrypiont: unknown key (did you mean 'loader.entrypoint'?)");
    parse_err("[[fs.mounts]]\npath = \"/\"\ntype = \"host\"\nsorce = \"/\"\n",
              "m.toml:4:1: fs.mounts[0].sorce: unknown key (did you mean 'fs.mounts[0].source'?)");
    parse_err("[sys]\nmemory = \"1G\"\nfiles = 3\n", "m.toml:3:1: sys.files: unknown key");
    /* insecure__ options exist only where the schema lists them. */
    parse_err("[loader]\ninsecure__use_host_env = true\n",
              "m.toml:2:1: loader.insecure__use_host_env: unknown insecure option (known: see "
              "docs/manifest.md)");
    parse_err("insecure__x = 1\n",
              "m.toml:1:1: insecure__x: unknown insecure option (known: see docs/manifest.md)");
}

static void test_wrong_types(void **state) {
    parse_err("fs = 1\n", "m.toml:1:6: fs: must be a table, not an integer");
    parse_err("[loader]\nentrypoint = \"/bin/sh\"\nargv = \"sh\"\n",
              "m.toml:3:8: loader.argv: must be an array of strings, not a string");
    parse_err("[loader]\nargv = [\n  \"sh\",\n  1,\n]\n",
              "m.toml:4:3: loader.argv[1]: must be a string, not an integer");
    parse_err("[loader]\nentrypoint = \"bin/sh\"\n",
              "m.toml:2:14: loader.entrypoint: must be an absolute path (starting with '/'), not "
              "\"bin/sh\"");
    parse_err("[loader]\nentrypoint = 1\n", "m.toml:2:14: loader.entrypoint: must be an absolute "
                                            "path (a string starting with '/'), not an integer");
    parse_err("[loader]\nenv = [\"A=1\"]\n",
              "m.toml:2:7: loader.env: must be a table of strings, not an array");
    parse_err("[loader.env]\nA = \"1\"\nB = 2\n",
              "m.toml:3:5: loader.env.B: must be a string, not an integer");
    parse_err("[loader.env]\nA.B = \"1\"\n",
              "m.toml:2:1: loader.env.A: must be a string, not a table");
    parse_err("[loader]\nenv_passthrough = \"*\"\n",
              "m.toml:2:19: loader.env_passthrough: must be an array of strings, not a string");
    parse_err("[fs]\ncwd = \"work\"\n",
              "m.toml:2:7: fs.cwd: must be an absolute path (starting with '/'), not \"work\"");
    parse_err("[fs]\nmounts = [\"/\"]\n",
              "m.toml:2:11: fs.mounts[0]: must be a table, not a string");
    parse_err("[fs.mounts]\npath = \"/\"\n",
              "m.toml:1:5: fs.mounts: must be an array of tables ([[fs.mounts]]), not a table");
    parse_err("[[fs.mounts]]\npath = \"/t\"\ntype = \"tmpfs\"\nreadonly = \"yes\"\n",
              "m.toml:4:12: fs.mounts[0].readonly: must be true or false, not a string");
    parse_err("[sys]\nmemory = true\n", "m.toml:2:10: sys.memory: must be a size such as \"64M\", "
                                        "an integer or \"unlimited\", not a boolean");
    parse_err("[sys]\nthreads = 0\n",
              "m.toml:2:11: sys.threads: must be an integer > 0 or \"unlimited\", not 0");
    parse_err("[sys]\nprocesses = -1\n",
              "m.toml:2:13: sys.processes: must be an integer > 0 or \"unlimited\", not -1");
    parse_err("[sys]\nopen_files = \"64\"\n",
              "m.toml:2:14: sys.open_files: must be an integer > 0 or \"unlimited\", not a string");
    parse_err("[pal]\nname = 3\n", "m.toml:2:8: pal.name: must be a string, not an integer");
    parse_err("log = { level = 4 }\n", "m.toml:1:17: log.level: must be a string, not an integer");
}

static void test_bad_values(void **state) {
    parse_err("[sys]\nmemory = \"64X\"\n", "m.toml:2:10: sys.memory: invalid size \"64X\" (use "
                                           "e.g. \"4096\", \"64K\", \"8M\", \"1G\")");
    parse_err("[sys]\nstack = \"99999999999T\"\n",
              "m.toml:2:9: sys.stack: size \"99999999999T\" is too large");
    parse_err("[sys]\nbrk = \"0K\"\n", "m.toml:2:7: sys.brk: must be > 0");
    parse_err("[sys]\nbrk = 0\n", "m.toml:2:7: sys.brk: must be > 0");
    parse_err("[pal]\nname = \"xen\"\n",
              "m.toml:2:8: pal.name: must be \"linux\" or \"kvm\", not \"xen\"");
    parse_err("[log]\nlevel = \"verbose\"\n",
              "m.toml:2:9: log.level: must be \"none\", \"error\", \"warning\", \"info\", "
              "\"debug\" or \"trace\", not \"verbose\"");
    parse_err("[loader.env]\n\"A=B\" = \"x\"\n",
              "m.toml:2:1: loader.env.\"A=B\": invalid variable name");
    parse_err("[loader]\nenv_passthrough = [\"HOME\", \"\"]\n",
              "m.toml:2:28: loader.env_passthrough[1]: invalid variable name \"\"");
}

static void test_mount_errors(void **state) {
    parse_err("[[fs.mounts]]\ntype = \"tmpfs\"\n",
              "m.toml:1:1: fs.mounts[0]: needs a 'path' (where the mount appears, e.g. \"/data\")");
    parse_err("[[fs.mounts]]\npath = \"/x\"\n",
              "m.toml:1:1: fs.mounts[0]: needs a 'type' (\"host\" or \"tmpfs\")");
    parse_err("[[fs.mounts]]\npath = \"/\"\ntype = \"tmpfs\"\n[[fs.mounts]]\npath = \"/h\"\n"
              "type = \"host\"\n",
              "m.toml:4:1: fs.mounts[1]: needs a 'source' (host directory) for type \"host\"");
    parse_err("[[fs.mounts]]\npath = \"/t\"\ntype = \"tmpfs\"\nsource = \"/tmp\"\n",
              "m.toml:4:1: fs.mounts[0].source: is not allowed for type \"tmpfs\"");
    parse_err("[[fs.mounts]]\npath = \"/t\"\ntype = \"nfs\"\n",
              "m.toml:3:8: fs.mounts[0].type: must be \"host\" or \"tmpfs\", not \"nfs\"");
    parse_err("[[fs.mounts]]\npath = \"/t\"\ntype = \"host\"\nsource = \"rel/dir\"\n",
              "m.toml:4:10: fs.mounts[0].source: must be an absolute path (starting with '/'), not "
              "\"rel/dir\"");
    parse_err("[[fs.mounts]]\npath = \"/a/../b\"\ntype = \"tmpfs\"\n",
              "m.toml:2:8: fs.mounts[0].path: must not contain '..'");
    parse_err(
        "[[fs.mounts]]\n"
        "path = \"/data\"\n"
        "type = \"tmpfs\"\n"
        "[[fs.mounts]]\n"
        "path = \"/x\"\n"
        "type = \"tmpfs\"\n"
        "[[fs.mounts]]\n"
        "path = \"//data/\"\n"
        "type = \"host\"\n"
        "source = \"/srv\"\n",
        "m.toml:8:8: fs.mounts[2].path: \"/data\" is already mounted by fs.mounts[0] (line 1)");
}

static void test_toml_errors_pass_through(void **state) {
    parse_err("[loader]\nargv = [\"a\",\n", "m.toml:2:8: unterminated array");
    parse_err("[fs]\n[fs]\n", "m.toml:2:2: 'fs' is already defined (line 1)");
    /* NULL name falls back to "manifest". */
    struct libos_manifest *m = NULL;
    long rc = libos_manifest_parse("x = 1\n", 6, NULL, &m, g_err, sizeof(g_err));
    assert_int_equal(rc, T_EINVAL);
    assert_string_equal(g_err, "manifest:1:1: x: unknown key");
}

static void test_parse_size(void **state) {
    static const struct {
        const char *s;
        uint64_t v;
    } good[] = {
        {"0", 0},
        {"4096", 4096},
        {"64K", 64ull << 10},
        {"64k", 64ull << 10},
        {"8M", 8ull << 20},
        {"8MB", 8ull << 20},
        {"8MiB", 8ull << 20},
        {"1G", 1ull << 30},
        {"3g", 3ull << 30},
        {"2T", 2ull << 40},
        {"512B", 512},
        {"18446744073709551615", UINT64_MAX},
        {"16777215T", 16777215ull << 40},
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        uint64_t v = 1234;
        long rc = libos_parse_size(good[i].s, &v);
        if (rc != 0 || v != good[i].v)
            fail_msg("libos_parse_size(\"%s\") = %ld, %llu", good[i].s, rc, (unsigned long long)v);
    }
    static const char *bad[] = {"",    "M",   "8X",   "8 M",  " 8",   "-1", "+1",
                                "8Mi", "8iB", "8MBB", "1.5G", "0x10", "8KM"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t v = 1234;
        long rc = libos_parse_size(bad[i], &v);
        if (rc != T_EINVAL || v != 1234)
            fail_msg("libos_parse_size(\"%s\") = %ld, want -EINVAL", bad[i], rc);
    }
    uint64_t v;
    assert_int_equal(libos_parse_size("18446744073709551616", &v), T_ERANGE);
    assert_int_equal(libos_parse_size("99999999999999999999999", &v), T_ERANGE);
    assert_int_equal(libos_parse_size("16777216T", &v), T_ERANGE);
    assert_int_equal(libos_parse_size(NULL, &v), T_EINVAL);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 20);
    *len = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    return buf;
}

/* Every example in manifests/ must be accepted; they are what users copy. */
static void test_example_manifests(void **state) {
    DIR *d = opendir(SABOT_MANIFEST_DIR);
    assert_non_null(d);
    int count = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 6 || strcmp(de->d_name + n - 5, ".toml") != 0)
            continue;
        char path[1024];
        snprintf(path, sizeof(path), "%s/%s", SABOT_MANIFEST_DIR, de->d_name);
        size_t len = 0;
        char *text = read_file(path, &len);
        assert_non_null(text);
        struct libos_manifest *m = NULL;
        long rc = libos_manifest_parse(text, len, de->d_name, &m, g_err, sizeof(g_err));
        if (rc != 0)
            fail_msg("%s", g_err);
        if (strcmp(de->d_name, "default.toml") == 0) {
            /* The default policy: host / read-only, cwd read-write, private /tmp. */
            assert_true(m->mount_count >= 3);
            assert_string_equal(m->mounts[0].path, "/");
            assert_true(m->mounts[0].readonly);
            int tmp = 0, rw_host = 0;
            for (size_t i = 0; i < m->mount_count; i++) {
                tmp += strcmp(m->mounts[i].path, "/tmp") == 0 &&
                       m->mounts[i].type == LIBOS_MOUNT_TMPFS;
                rw_host += m->mounts[i].type == LIBOS_MOUNT_HOST && !m->mounts[i].readonly &&
                           m->cwd && strcmp(m->mounts[i].path, m->cwd) == 0;
            }
            assert_int_equal(tmp, 1);
            assert_int_equal(rw_host, 1);
        }
        libos_manifest_free(m);
        free(text);
        count++;
    }
    closedir(d);
    assert_true(count >= 2);
}

/* tests/unit_manifest/bad.toml: a realistic broken manifest. */
static void test_bad_example(void **state) {
    size_t len = 0;
    char *text = read_file(SABOT_UNIT_MANIFEST_DIR "/bad.toml", &len);
    assert_non_null(text);
    struct libos_manifest *m = NULL;
    long rc = libos_manifest_parse(text, len, "bad.toml", &m, g_err, sizeof(g_err));
    assert_int_equal(rc, T_EINVAL);
    assert_null(m);
    assert_string_equal(g_err, "bad.toml:13:1: fs.mounts[1].read_only: unknown key (did you mean "
                               "'fs.mounts[1].readonly'?)");
    free(text);
}

static void test_net_rules(void **state) {
    (void)state;
    struct libos_manifest *m =
        parse_ok("[net]\n"
                 "connect = [\"127.0.0.1:8080\", \"localhost:*\",\n"
                 "           \"[::1]:443\", \"10.0.0.0/8:80\"]\n"
                 "bind = [\"127.0.0.1:1000-2000\", \"0.0.0.0:8080\", \"*:53\"]\n");
    assert_int_equal(m->net_connect_count, 5); /* localhost gives two */
    assert_int_equal(m->net_bind_count, 3);
    assert_int_equal(m->net_connect[0].line, 2);
    assert_int_equal(m->net_connect[3].line, 3);
    const uint8_t lo[4] = {127, 0, 0, 1}, lo2[4] = {127, 1, 2, 3}, ten[4] = {10, 9, 8, 7},
                  other[4] = {192, 168, 1, 1}, any4[4] = {0, 0, 0, 0};
    uint8_t v6lo[16] = {0}, v6other[16] = {0x20, 0x01, 0x0d, 0xb8}, mapped[16] = {0};
    v6lo[15] = 1;
    v6other[15] = 1;
    mapped[10] = mapped[11] = 0xff;
    memcpy(mapped + 12, ten, 4);
    const struct libos_net_rule *c = m->net_connect;
    size_t n = m->net_connect_count;
    assert_true(libos_net_rules_allow(c, n, 4, lo, 8080));
    assert_true(libos_net_rules_allow(c, n, 4, lo2, 1)); /* localhost = 127/8 */
    assert_true(libos_net_rules_allow(c, n, 6, v6lo, 9));
    assert_true(libos_net_rules_allow(c, n, 4, ten, 80));
    assert_false(libos_net_rules_allow(c, n, 4, ten, 81));
    assert_true(libos_net_rules_allow(c, n, 6, mapped, 80)); /* ::ffff:10.9.8.7 */
    assert_false(libos_net_rules_allow(c, n, 4, other, 8080));
    assert_false(libos_net_rules_allow(c, n, 6, v6other, 443));
    const struct libos_net_rule *b = m->net_bind;
    n = m->net_bind_count;
    assert_true(libos_net_rules_allow(b, n, 4, lo, 1500));
    assert_false(libos_net_rules_allow(b, n, 4, lo, 2001));
    assert_true(libos_net_rules_allow(b, n, 4, any4, 8080));
    assert_false(libos_net_rules_allow(b, n, 4, any4, 8081)); /* a literal is exact */
    assert_true(libos_net_rules_allow(b, n, 6, v6other, 53)); /* "*" any family */
    libos_manifest_free(m);

    /* Nothing is granted without [net]. */
    m = parse_ok("[loader]\nargv = [\"x\"]\n");
    assert_int_equal(m->net_connect_count + m->net_bind_count, 0);
    assert_false(libos_net_rules_allow(m->net_connect, 0, 4, lo, 80));
    libos_manifest_free(m);
}

static void test_net_rule_syntax(void **state) {
    (void)state;
    struct libos_net_rule r[2];
    assert_int_equal(libos_net_rule_parse("[fe80::]/10:*", r), 1);
    assert_int_equal(r[0].family, 6);
    assert_int_equal(r[0].prefix, 10);
    assert_int_equal(r[0].addr[0], 0xfe);
    assert_int_equal(r[0].addr[1], 0x80);
    assert_int_equal(r[0].port_hi, 65535);
    assert_int_equal(libos_net_rule_parse("[1:2:3:4:5:6:7:8]:1", r), 1);
    assert_int_equal(r[0].addr[15], 8);
    assert_int_equal(libos_net_rule_parse("[2001:db8::ff00:42]:1", r), 1);
    assert_int_equal(r[0].addr[14], 0x00);
    assert_int_equal(r[0].addr[15], 0x42);
    assert_int_equal(r[0].addr[12], 0xff);
    static const char *const bad[] = {
        "127.0.0.1",
        "127.0.0.1:",
        "127.0.0.256:80",
        "1.2.3:80",
        "[::1:80",
        "::1:80",
        "[1::2::3]:80",
        "1.2.3.4/33:80",
        "1.2.3.4:70000",
        "1.2.3.4:90-80",
        "localhost",
        "host.com:80",
        "1.2.3.4:80x",
        "[1:2:3:4:5:6:7:8:9]:1",
        "*:",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (libos_net_rule_parse(bad[i], r) >= 0)
            fail_msg("accepted bad rule \"%s\"", bad[i]);
    }
    parse_err("[net]\nconnect = [\"localhost\"]\n",
              "m.toml:2:12: net.connect[0]: invalid entry \"localhost\" (use ADDRESS:PORTS, e.g. "
              "\"127.0.0.1:8080\", \"[::1]:443\", \"10.0.0.0/8:1000-2000\", \"localhost:*\")");
    parse_err("[net]\nlisten = []\n", "m.toml:2:1: net.listen: unknown key");
    parse_err("[net]\nbind = \"127.0.0.1:80\"\n",
              "m.toml:2:8: net.bind: must be an array of strings, not a string");
}

/* Bad manifests and the exact message each gives: FILE:LINE:COLUMN: KEY:
 * message (docs/manifest.md). One row per rule of the schema. */
static void test_bad_manifest_table(void **state) {
    static const struct {
        const char *text, *expect;
    } cases[] = {
        {"[loader]\nargv = [\"a\"]\nargv_from_cli = true\n",
         "m.toml:3:17: loader.argv_from_cli: cannot be true when loader.argv is set"},
        {"[loader]\nargv_from_cli = false\n",
         "m.toml:2:17: loader.argv_from_cli: false needs loader.entrypoint (else the command line "
         "names the program)"},
        {"[loader]\nuid = -1\n", "m.toml:2:7: loader.uid: must be from 0 to 4294967294, not -1"},
        {"[loader]\ngid = 4294967295\n",
         "m.toml:2:7: loader.gid: must be from 0 to 4294967294, not 4294967295"},
        {"[loader]\nuid = \"0\"\n", "m.toml:2:7: loader.uid: must be an integer, not a string"},
        {"[loader]\nentrypiont = \"/x\"\n",
         "m.toml:2:1: loader.entrypiont: unknown key (did you mean 'loader.entrypoint'?)"},
        {"loader.env.X = 1\n", "m.toml:1:16: loader.env.X: must be a string, not an integer"},
        {"[fs]\ntrusted_files = []\n", "m.toml:2:1: fs.trusted_files: not supported yet (reserved "
                                       "for a later version; see docs/manifest.md)"},
        {"[fs]\ncwd = \"rel\"\n",
         "m.toml:2:7: fs.cwd: must be an absolute path (starting with '/'), not \"rel\""},
        {"[[fs.mounts]]\npath = \"/e\"\ntype = \"encrypted\"\n",
         "m.toml:3:8: fs.mounts[0].type: type \"encrypted\" is not supported yet"},
        {"[[fs.mounts]]\npath = \"/e\"\ntype = \"tmpfs\"\nkey = \"x\"\n",
         "m.toml:4:1: fs.mounts[0].key: not supported yet (reserved for a later version; see "
         "docs/manifest.md)"},
        {"[fs.root]\ntype = \"tmpfs\"\n[[fs.mounts]]\npath = \"/\"\ntype = \"tmpfs\"\n",
         "m.toml:4:8: fs.mounts[0].path: \"/\" is already mounted by fs.root (line 1)"},
        {"[fs.root]\npath = \"/x\"\ntype = \"tmpfs\"\n", "m.toml:2:1: fs.root.path: unknown key"},
        {"[fs.root]\ntype = \"host\"\n",
         "m.toml:1:5: fs.root: needs a 'source' (host directory) for type \"host\""},
        {"[[fs.mounts]]\npath = \"data\"\ntype = \"tmpfs\"\n",
         "m.toml:2:8: fs.mounts[0].path: must be an absolute path (starting with '/'), not "
         "\"data\""},
        {"[[fs.mounts]]\npath = \"/a\"\ntype = \"tmpfs\"\n[[fs.mounts]]\npath = \"/a/b\"\ntype = "
         "\"tmpfs\"\n[[fs.mounts]]\npath = \"/a/\"\ntype = \"tmpfs\"\n",
         "m.toml:8:8: fs.mounts[2].path: \"/a\" is already mounted by fs.mounts[0] (line 1)"},
        {"[[fs.mounts]]\npath = \"/h\"\ntype = \"host\"\nsource = \"/h\"\nsize = \"1M\"\n",
         "m.toml:5:1: fs.mounts[0].size: is only for type \"tmpfs\""},
        {"[[fs.mounts]]\npath = \"/t\"\ntype = \"tmpfs\"\nsize = \"0\"\n",
         "m.toml:4:8: fs.mounts[0].size: must be > 0"},
        {"[fs]\nmounts = [{ path = \"/é\", type = \"nfs\" }]\n",
         "m.toml:2:33: fs.mounts[0].type: must be \"host\" or \"tmpfs\", not \"nfs\""},
        {"[sys]\nfork = \"slow\"\n",
         "m.toml:2:8: sys.fork: must be \"fast\" or \"checkpoint\", not \"slow\""},
        {"[sys]\nthreads = \"many\"\n",
         "m.toml:2:11: sys.threads: must be an integer > 0 or \"unlimited\", not a string"},
        {"[sys]\nopen_files = 0\n",
         "m.toml:2:14: sys.open_files: must be an integer > 0 or \"unlimited\", not 0"},
        {"[sys]\nstack = \"unlimited\"\n",
         "m.toml:2:9: sys.stack: must be a size such as \"64M\" or an integer (not \"unlimited\")"},
        {"[sys]\nmemory = \"12Q\"\n", "m.toml:2:10: sys.memory: invalid size \"12Q\" (use e.g. "
                                      "\"4096\", \"64K\", \"8M\", \"1G\")"},
        {"[sys]\nbrk = \"99999999999T\"\n",
         "m.toml:2:7: sys.brk: size \"99999999999T\" is too large"},
        {"[sys]\ninsecure__no_seccomp = 1\n",
         "m.toml:2:24: sys.insecure__no_seccomp: must be true or false, not an integer"},
        {"[sys]\ninsecure__no_apparmor = true\n", "m.toml:2:1: sys.insecure__no_apparmor: unknown "
                                                  "insecure option (known: see docs/manifest.md)"},
        {"[loader]\ninsecure__no_seccomp = true\n",
         "m.toml:2:1: loader.insecure__no_seccomp: unknown insecure option (known: see "
         "docs/manifest.md)"},
        {"[pal]\nsyscall_rewrite = \"yes\"\n",
         "m.toml:2:19: pal.syscall_rewrite: must be true or false, not a string"},
        {"[pal]\nname = \"enclave\"\n",
         "m.toml:2:8: pal.name: must be \"linux\" or \"kvm\", not \"enclave\""},
        {"[pal]\nvcpus = 4\n", "m.toml:2:1: pal.vcpus: unknown key"},
        {"[log]\nlevel = \"loud\"\n",
         "m.toml:2:9: log.level: must be \"none\", \"error\", \"warning\", \"info\", \"debug\" or "
         "\"trace\", not \"loud\""},
        {"[limits]\nmemory = \"1G\"\n", "m.toml:1:2: limits: unknown key ([limits] is now [sys])"},
        {"[net]\nconnect = [\"1.2.3.4/33:80\"]\n",
         "m.toml:2:12: net.connect[0]: invalid entry \"1.2.3.4/33:80\" (use ADDRESS:PORTS, e.g. "
         "\"127.0.0.1:8080\", \"[::1]:443\", \"10.0.0.0/8:1000-2000\", \"localhost:*\")"},
        {"[net]\nbind = [\"[::1]:70000\"]\n",
         "m.toml:2:9: net.bind[0]: invalid entry \"[::1]:70000\" (use ADDRESS:PORTS, e.g. "
         "\"127.0.0.1:8080\", \"[::1]:443\", \"10.0.0.0/8:1000-2000\", \"localhost:*\")"},
        {"[net]\nbind = [\"127.0.0.1:90-80\"]\n",
         "m.toml:2:9: net.bind[0]: invalid entry \"127.0.0.1:90-80\" (use ADDRESS:PORTS, e.g. "
         "\"127.0.0.1:8080\", \"[::1]:443\", \"10.0.0.0/8:1000-2000\", \"localhost:*\")"},
        {"[net]\nconnect = \"localhost:80\"\n",
         "m.toml:2:11: net.connect: must be an array of strings, not a string"},
        {"[fs]\ncwd = \"/a\n", "m.toml:2:7: unterminated string"},
        {"a = 1\n\t\tb = 2 3\n", "m.toml:2:9: expected a new line after value"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        parse_err(cases[i].text, cases[i].expect);
}

/* The keys of issue 6 read into struct libos_manifest. */
static void test_sys_loader_pal_keys(void **state) {
    struct libos_manifest *m =
        parse_ok("[loader]\nentrypoint = \"/bin/sh\"\nargv_from_cli = false\n"
                 "uid = 0\ngid = 4294967294\n"
                 "[fs.root]\ntype = \"tmpfs\"\nsize = \"16M\"\n"
                 "[[fs.mounts]]\npath = \"/w\"\ntype = \"host\"\n"
                 "source = \"/srv\"\n"
                 "[sys]\nmemory = \"unlimited\"\nthreads = \"unlimited\"\n"
                 "processes = 3\nfork = \"checkpoint\"\n"
                 "insecure__weak_landlock = true\n"
                 "insecure__no_seccomp = false\n"
                 "[pal]\nsyscall_rewrite = false\n");
    assert_false(m->argv_from_cli);
    assert_int_equal(m->uid, 0);
    assert_int_equal(m->gid, 4294967294LL);
    assert_int_equal(m->mount_count, 2);
    assert_string_equal(m->mounts[0].path, "/"); /* fs.root comes first */
    assert_string_equal(m->mounts[0].key, "fs.root");
    assert_int_equal(m->mounts[0].type, LIBOS_MOUNT_TMPFS);
    assert_true(m->mounts[0].size == 16ull << 20);
    assert_string_equal(m->mounts[1].key, "fs.mounts[0]");
    assert_int_equal(m->mounts[1].source_line, 12);
    assert_int_equal(m->mounts[1].source_col, 10);
    assert_true(m->limit_memory == 0 && m->limit_threads == 0);
    assert_int_equal(m->limit_processes, 3);
    assert_true(m->fork_checkpoint);
    assert_true(m->insecure_weak_landlock);
    assert_false(m->insecure_no_seccomp);
    assert_false(m->insecure_no_landlock);
    assert_false(m->syscall_rewrite);
    assert_int_equal(m->warning_count, 1);
    assert_string_equal(m->warnings[0],
                        "m.toml:18:1: sys.insecure__weak_landlock: starts even where the kernel's "
                        "Landlock cannot enforce every rule");
    bool v;
    assert_string_equal(libos_manifest_insecure(m, 2, &v), "sys.insecure__weak_landlock");
    assert_true(v);
    assert_null(libos_manifest_insecure(m, 3, &v));
    libos_manifest_free(m);

    /* Defaults of the new keys. */
    m = parse_ok("");
    assert_true(m->argv_from_cli);
    assert_true(m->uid == -1 && m->gid == -1);
    assert_false(m->fork_checkpoint);
    assert_true(m->syscall_rewrite);
    assert_int_equal(m->warning_count, 0);
    libos_manifest_free(m);
    m = parse_ok("loader.argv = [\"x\"]\n");
    assert_false(m->argv_from_cli); /* a fixed argv pins it */
    libos_manifest_free(m);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_manifest),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_bad_values),
        cmocka_unit_test(test_mount_errors),
        cmocka_unit_test(test_toml_errors_pass_through),
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_example_manifests),
        cmocka_unit_test(test_bad_example),
        cmocka_unit_test(test_net_rules),
        cmocka_unit_test(test_bad_manifest_table),
        cmocka_unit_test(test_sys_loader_pal_keys),
        cmocka_unit_test(test_net_rule_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
