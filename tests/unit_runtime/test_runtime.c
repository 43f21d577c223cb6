/* Unit tests of the runtime's hosted half: command-line parsing, the
 * default manifest (through the real manifest parser), program lookup and
 * option resolution. No PAL involved. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "libos_manifest.h"
#include "sabot_internal.h"

static char g_err[1024];

#define ARGV(...) ((char *[]){__VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
#define PARSE(cli, ...)                                                                            \
    sabot_cli_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), cli, g_err, sizeof(g_err))

/* ---------------------------------------------------------------- CLI */

static void test_cli_run_program(void **state) {
    struct sabot_cli c;
    assert_int_equal(PARSE(&c, "sabot", "run", "--", "ls", "-l", "/"), 0);
    assert_int_equal(c.command, SABOT_CMD_RUN);
    assert_string_equal(c.opts.program, "ls");
    assert_string_equal(c.opts.argv[0], "ls");
    assert_string_equal(c.opts.argv[1], "-l");
    assert_string_equal(c.opts.argv[2], "/");
    assert_null(c.opts.argv[3]);
    assert_null(c.opts.manifest_path);
    assert_int_equal(c.opts.log_level, -1);
    assert_int_equal(c.opts.trace_fd, -1);
    assert_false(c.trace);
}

static void test_cli_program_options_untouched(void **state) {
    struct sabot_cli c;
    /* Without "--", the first non-option word starts the program; what
     * follows is the program's, even if it looks like sabot's. */
    assert_int_equal(PARSE(&c, "sabot", "run", "./prog", "--log-level", "x", "-m"), 0);
    assert_string_equal(c.opts.program, "./prog");
    assert_string_equal(c.opts.argv[1], "--log-level");
    assert_string_equal(c.opts.argv[3], "-m");
    assert_int_equal(c.opts.log_level, -1);
    assert_null(c.opts.manifest_path);
    /* After "--" even a dash-word is the program. */
    assert_int_equal(PARSE(&c, "sabot", "run", "--", "-weird"), 0);
    assert_string_equal(c.opts.program, "-weird");
}

static void test_cli_options(void **state) {
    struct sabot_cli c;
    assert_int_equal(PARSE(&c, "sabot", "run", "--log-level", "debug", "-m", "a.toml", "--trace",
                           "-C", "/srv", "--", "prog"),
                     0);
    assert_int_equal(c.opts.log_level, SABOT_LOG_DEBUG);
    assert_string_equal(c.opts.manifest_path, "a.toml");
    assert_true(c.trace);
    assert_int_equal(c.opts.trace_fd, 2);
    assert_null(c.opts.trace_path);
    assert_string_equal(c.opts.cwd, "/srv");

    assert_int_equal(PARSE(&c, "sabot", "run", "--log-level=trace", "--manifest=b.toml",
                           "--trace=/tmp/t.log", "--cwd=/x"),
                     0);
    assert_int_equal(c.opts.log_level, SABOT_LOG_TRACE);
    assert_string_equal(c.opts.manifest_path, "b.toml");
    assert_string_equal(c.opts.trace_path, "/tmp/t.log");
    assert_int_equal(c.opts.trace_fd, -1);
    assert_string_equal(c.opts.cwd, "/x");
    assert_null(c.opts.program);

    assert_int_equal(PARSE(&c, "sabot", "run", "-mc.toml", "--manifest", "d.toml"), 0);
    assert_string_equal(c.opts.manifest_path, "d.toml"); /* last one wins */
}

static void test_cli_log_levels(void **state) {
    static const char *const names[] = {"none", "error", "warning", "info", "debug", "trace"};
    for (int i = 0; i < 6; i++)
        assert_int_equal(sabot_log_level_from_name(names[i]), i);
    assert_int_equal(sabot_log_level_from_name("warn"), SABOT_LOG_WARNING);
    assert_int_equal(sabot_log_level_from_name("DEBUG"), -1);
    assert_int_equal(sabot_log_level_from_name(""), -1);
}

static void test_cli_errors(void **state) {
    struct sabot_cli c;
    assert_int_equal(PARSE(&c, "sabot"), -1);
    assert_string_equal(g_err, "missing command (run or manifest)");
    assert_int_equal(PARSE(&c, "sabot", "start"), -1);
    assert_string_equal(g_err, "unknown command 'start' (use run or manifest)");
    assert_int_equal(PARSE(&c, "sabot", "run", "--bogus", "--", "x"), -1);
    assert_string_equal(g_err, "unknown option '--bogus'");
    assert_int_equal(PARSE(&c, "sabot", "run", "-x"), -1);
    assert_string_equal(g_err, "unknown option '-x'");
    assert_int_equal(PARSE(&c, "sabot", "run", "--log-level", "loud", "--", "x"), -1);
    assert_non_null(strstr(g_err, "unknown log level 'loud'"));
    assert_int_equal(PARSE(&c, "sabot", "run", "--log-level"), -1);
    assert_string_equal(g_err, "option --log-level needs a level");
    assert_int_equal(PARSE(&c, "sabot", "run", "-m"), -1);
    assert_string_equal(g_err, "option -m needs a file name");
    assert_int_equal(PARSE(&c, "sabot", "run", "--trace=", "x"), -1);
    assert_string_equal(g_err, "option --trace= needs a file name");
    assert_int_equal(PARSE(&c, "sabot", "run"), -1);
    assert_non_null(strstr(g_err, "nothing to run"));
    assert_int_equal(PARSE(&c, "sabot", "run", "--"), -1);
    assert_non_null(strstr(g_err, "nothing to run"));
    assert_int_equal(PARSE(&c, "sabot", "check"), -1);
    assert_non_null(strstr(g_err, "check needs a manifest"));
    assert_int_equal(PARSE(&c, "sabot", "check", "-m", "m.toml", "--", "prog"), -1);
    assert_string_equal(g_err, "check takes one manifest, not 'prog'");
    assert_int_equal(PARSE(&c, "sabot", "manifest"), -1);
    assert_string_equal(g_err, "sabot manifest needs 'check FILE' or 'show [FILE]'");
    assert_int_equal(PARSE(&c, "sabot", "manifest", "lint", "m.toml"), -1);
    assert_string_equal(g_err, "sabot manifest needs 'check FILE' or 'show [FILE]'");
    assert_int_equal(PARSE(&c, "sabot", "manifest", "check"), -1);
    assert_string_equal(g_err, "check needs a manifest: sabot manifest check FILE.toml");
    assert_int_equal(PARSE(&c, "sabot", "manifest", "show", "a.toml", "b.toml"), -1);
    assert_string_equal(g_err, "show takes one manifest, not 'a.toml'");
}

/* `sabot manifest check FILE`, `show [FILE]` and the old `check -m FILE`. */
static void test_cli_manifest_commands(void **state) {
    struct sabot_cli c;
    assert_int_equal(PARSE(&c, "sabot", "manifest", "check", "m.toml"), 0);
    assert_int_equal(c.command, SABOT_CMD_CHECK);
    assert_string_equal(c.opts.manifest_path, "m.toml");
    assert_null(c.opts.program);
    assert_int_equal(PARSE(&c, "sabot", "check", "-m", "n.toml"), 0);
    assert_int_equal(c.command, SABOT_CMD_CHECK);
    assert_string_equal(c.opts.manifest_path, "n.toml");
    assert_int_equal(PARSE(&c, "sabot", "check", "o.toml"), 0);
    assert_string_equal(c.opts.manifest_path, "o.toml");
    assert_int_equal(PARSE(&c, "sabot", "manifest", "show"), 0);
    assert_int_equal(c.command, SABOT_CMD_SHOW);
    assert_null(c.opts.manifest_path);
    assert_int_equal(PARSE(&c, "sabot", "manifest", "show", "-C", "/tmp", "s.toml"), 0);
    assert_int_equal(c.command, SABOT_CMD_SHOW);
    assert_string_equal(c.opts.manifest_path, "s.toml");
    assert_string_equal(c.opts.cwd, "/tmp");
}

static void test_cli_help_version(void **state) {
    struct sabot_cli c;
    assert_int_equal(PARSE(&c, "sabot", "--help"), 0);
    assert_int_equal(c.command, SABOT_CMD_HELP);
    assert_int_equal(PARSE(&c, "sabot", "-h"), 0);
    assert_int_equal(c.command, SABOT_CMD_HELP);
    assert_int_equal(PARSE(&c, "sabot", "run", "--help"), 0);
    assert_int_equal(c.command, SABOT_CMD_HELP);
    assert_int_equal(PARSE(&c, "sabot", "--version"), 0);
    assert_int_equal(c.command, SABOT_CMD_VERSION);
    assert_int_equal(PARSE(&c, "sabot", "check", "-m", "m.toml"), 0);
    assert_int_equal(c.command, SABOT_CMD_CHECK);
    assert_string_equal(c.opts.manifest_path, "m.toml");
}

/* ------------------------------------------------------ default manifest */

static struct libos_manifest *parse_default(const char *cwd) {
    char *text = sabot_default_manifest(cwd);
    assert_non_null(text);
    struct libos_manifest *m = NULL;
    long r = libos_manifest_parse(text, strlen(text), "<default>", &m, g_err, sizeof(g_err));
    if (r < 0)
        fail_msg("default manifest for cwd %s does not parse: %s\n%s", cwd, g_err, text);
    free(text);
    return m;
}

static void check_default(const char *cwd) {
    struct libos_manifest *m = parse_default(cwd);
    assert_string_equal(m->cwd, cwd);
    assert_null(m->entrypoint);
    assert_int_equal(m->env_passthrough_count, 1);
    assert_string_equal(m->env_passthrough[0], "*");
    assert_int_equal(m->mount_count, 3);
    assert_string_equal(m->mounts[0].path, "/");
    assert_int_equal(m->mounts[0].type, LIBOS_MOUNT_HOST);
    assert_string_equal(m->mounts[0].source, "/");
    assert_true(m->mounts[0].readonly);
    assert_string_equal(m->mounts[1].path, cwd);
    assert_int_equal(m->mounts[1].type, LIBOS_MOUNT_HOST);
    assert_string_equal(m->mounts[1].source, cwd);
    assert_false(m->mounts[1].readonly);
    assert_string_equal(m->mounts[2].path, "/tmp");
    assert_int_equal(m->mounts[2].type, LIBOS_MOUNT_TMPFS);
    assert_false(m->mounts[2].readonly);
    libos_manifest_free(m);
}

static void test_default_manifest_plain(void **state) {
    check_default("/home/user/project");
}

static void test_default_manifest_escapes(void **state) {
    /* Quotes, backslashes, TOML-looking text and control characters must
     * come back byte for byte. */
    check_default("/home/a \"quoted\" dir");
    check_default("/back\\slash\\\\double\\");
    check_default("/x\"]\n[[fs.mounts]]\npath = \"/evil");
    check_default("/tab\there/nl\nthere/cr\rand\x01\x1f\x7f");
    check_default("/it's 'single' # not a comment");
    check_default("/unicode/caf\xc3\xa9/\xe2\x82\xac");
}

static void test_default_manifest_root_and_tmp(void **state) {
    struct libos_manifest *m = parse_default("/");
    assert_int_equal(m->mount_count, 2); /* / stays read-only */
    assert_string_equal(m->mounts[0].path, "/");
    assert_true(m->mounts[0].readonly);
    assert_string_equal(m->mounts[1].path, "/tmp");
    assert_int_equal(m->mounts[1].type, LIBOS_MOUNT_TMPFS);
    libos_manifest_free(m);

    m = parse_default("/tmp");
    assert_int_equal(m->mount_count, 2); /* the host /tmp, shared */
    assert_string_equal(m->mounts[1].path, "/tmp");
    assert_int_equal(m->mounts[1].type, LIBOS_MOUNT_HOST);
    assert_false(m->mounts[1].readonly);
    libos_manifest_free(m);

    assert_null(sabot_default_manifest("relative/dir"));
    assert_null(sabot_default_manifest(NULL));
}

static void test_toml_quote(void **state) {
    char *q = sabot_toml_quote("a\"b\\c\nd\te\x01");
    assert_string_equal(q, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
    free(q);
    q = sabot_toml_quote("");
    assert_string_equal(q, "\"\"");
    free(q);
}

/* ------------------------------------------------------------ paths */

static void clean(const char *in, const char *want) {
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", in);
    sabot_clean_path(buf);
    assert_string_equal(buf, want);
}

static void test_clean_path(void **state) {
    clean("/", "/");
    clean("//", "/");
    clean("/a//b/", "/a/b");
    clean("/a/./b/.", "/a/b");
    clean("/./", "/");
    clean("/a/../b", "/a/../b");
    clean("/a/.hidden/..x", "/a/.hidden/..x");
}

/* A temporary host tree: DIR/bin/tool (executable), DIR/bin/plain (not
 * executable), DIR/sub/ */
static char g_dir[64];

static int setup_tree(void **state) {
    snprintf(g_dir, sizeof(g_dir), "/tmp/sabot-rt-XXXXXX");
    if (!mkdtemp(g_dir))
        return -1;
    char p[256];
    snprintf(p, sizeof(p), "%s/bin", g_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/sub", g_dir);
    mkdir(p, 0755);
    snprintf(p, sizeof(p), "%s/bin/tool", g_dir);
    FILE *f = fopen(p, "w");
    fputs("#!/bin/sh\n", f);
    fclose(f);
    chmod(p, 0755);
    snprintf(p, sizeof(p), "%s/bin/plain", g_dir);
    f = fopen(p, "w");
    fclose(f);
    chmod(p, 0644);
    return 0;
}

static int teardown_tree(void **state) {
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct libos_manifest *parse_text(const char *text) {
    struct libos_manifest *m = NULL;
    if (libos_manifest_parse(text, strlen(text), "t.toml", &m, g_err, sizeof(g_err)) < 0)
        fail_msg("manifest does not parse: %s", g_err);
    return m;
}

static void test_resolve_default_policy(void **state) {
    /* The default policy of a shell sitting in the temporary tree. */
    struct libos_manifest *m = parse_default(g_dir);
    char *out = NULL, want[256], path_env[256], sub[256];
    snprintf(path_env, sizeof(path_env), "/nonexistent:%s/bin", g_dir);
    snprintf(sub, sizeof(sub), "%s/sub", g_dir);

    /* PATH lookup like execvp, and the result is absolute. */
    assert_int_equal(sabot_resolve_program("tool", "/", path_env, m, &out, g_err, sizeof(g_err)),
                     0);
    snprintf(want, sizeof(want), "%s/bin/tool", g_dir);
    assert_string_equal(out, want);
    free(out);
    /* Relative names are the host cwd's, cleaned. */
    assert_int_equal(
        sabot_resolve_program("./../bin//tool", sub, NULL, m, &out, g_err, sizeof(g_err)), 0);
    snprintf(want, sizeof(want), "%s/sub/../bin/tool", g_dir);
    assert_string_equal(out, want);
    free(out);
    /* An empty PATH element means the current directory. */
    assert_int_equal(
        sabot_resolve_program("tool", g_dir, "/nonexistent::", m, &out, g_err, sizeof(g_err)),
        -ENOENT);
    snprintf(path_env, sizeof(path_env), "/nonexistent:");
    snprintf(want, sizeof(want), "%s/bin", g_dir);
    assert_int_equal(sabot_resolve_program("tool", want, path_env, m, &out, g_err, sizeof(g_err)),
                     0);
    snprintf(want, sizeof(want), "%s/bin/tool", g_dir);
    assert_string_equal(out, want);
    free(out);
    /* Absolute paths are the app's own and pass unchanged. */
    assert_int_equal(
        sabot_resolve_program("/no/such/prog", "/", NULL, m, &out, g_err, sizeof(g_err)), 0);
    assert_string_equal(out, "/no/such/prog");
    free(out);
    libos_manifest_free(m);

    /* From elsewhere, the host's /tmp is hidden by the private tmpfs. */
    m = parse_default("/home/u");
    snprintf(path_env, sizeof(path_env), "%s/bin", g_dir);
    assert_int_equal(sabot_resolve_program("tool", "/", path_env, m, &out, g_err, sizeof(g_err)),
                     -ENOENT);
    assert_non_null(strstr(g_err, "is hidden inside the sandbox by the mount at /tmp"));
    libos_manifest_free(m);
}

static void test_resolve_errors(void **state) {
    struct libos_manifest *m = parse_default("/home/u");
    char *out = NULL, path_env[256];
    snprintf(path_env, sizeof(path_env), "%s/bin", g_dir);
    assert_int_equal(sabot_resolve_program("nope", "/", path_env, m, &out, g_err, sizeof(g_err)),
                     -ENOENT);
    assert_string_equal(g_err, "nope: command not found in PATH");
    /* Found but not executable: EACCES, as execvp reports. */
    assert_int_equal(sabot_resolve_program("plain", "/", path_env, m, &out, g_err, sizeof(g_err)),
                     -EACCES);
    assert_string_equal(g_err, "plain: Permission denied");
    assert_int_equal(sabot_resolve_program("bin/plain", g_dir, NULL, m, &out, g_err, sizeof(g_err)),
                     -EACCES);
    assert_int_equal(sabot_resolve_program("./missing", g_dir, NULL, m, &out, g_err, sizeof(g_err)),
                     -ENOENT);
    assert_string_equal(g_err, "./missing: No such file or directory");
    assert_int_equal(sabot_resolve_program("", g_dir, NULL, m, &out, g_err, sizeof(g_err)),
                     -ENOENT);
    libos_manifest_free(m);
}

static void test_resolve_through_mounts(void **state) {
    char text[1024], *out = NULL, want[256];
    snprintf(text, sizeof(text),
             "[[fs.mounts]]\npath = \"/\"\ntype = \"tmpfs\"\n"
             "[[fs.mounts]]\npath = \"/app\"\ntype = \"host\"\nsource = \"%s\"\n"
             "[[fs.mounts]]\npath = \"/app/sub\"\ntype = \"tmpfs\"\n",
             g_dir);
    struct libos_manifest *m = parse_text(text);
    /* Host DIR/bin/tool is /app/bin/tool inside. */
    assert_int_equal(sabot_resolve_program("bin/tool", g_dir, NULL, m, &out, g_err, sizeof(g_err)),
                     0);
    assert_string_equal(out, "/app/bin/tool");
    free(out);
    /* Host files outside every host mount are not visible. */
    assert_int_equal(sabot_resolve_program("sh", "/", "/bin", m, &out, g_err, sizeof(g_err)),
                     -ENOENT);
    assert_non_null(strstr(g_err, "is not visible inside the sandbox"));
    libos_manifest_free(m);

    /* A host file under a tmpfs mount point is hidden by it. */
    snprintf(want, sizeof(want), "%s/sub/x", g_dir);
    FILE *f = fopen(want, "w");
    fclose(f);
    chmod(want, 0755);
    m = parse_text(text);
    assert_int_equal(sabot_resolve_program("sub/x", g_dir, NULL, m, &out, g_err, sizeof(g_err)),
                     -ENOENT);
    assert_non_null(strstr(g_err, "hidden inside the sandbox by the mount at /app/sub"));
    libos_manifest_free(m);
    unlink(want);
}

/* ------------------------------------------------------------ prepare */

static void test_prepare_manifest_text(void **state) {
    struct sabot_options o;
    struct sabot_prepared p;
    char err[512];
    sabot_options_init(&o);
    o.err = err;
    o.err_size = sizeof(err);
    o.cwd = g_dir;
    o.manifest_text = "[loader]\nentrypoint = \"/bin/true\"\n[log]\nlevel = \"debug\"\n";
    o.manifest_name = "inline.toml";
    assert_int_equal(sabot_prepare(&o, &p), 0);
    assert_string_equal(p.argv[0], "/bin/true"); /* argv defaults to {entrypoint} */
    assert_null(p.argv[1]);
    assert_int_equal(p.log_level, SABOT_LOG_DEBUG);
    assert_string_equal(p.manifest_name, "inline.toml");
    assert_int_equal(p.trace_fd, -1);
    assert_true(p.chdir_needed);
    sabot_prepared_free(&p);

    o.log_level = SABOT_LOG_ERROR; /* the command line wins */
    /* The entrypoint is pinned: the words are only its argv, not looked up. */
    o.program = "no-such-name";
    o.argv = (const char *const[]){"no-such-name", "hi", NULL};
    assert_int_equal(sabot_prepare(&o, &p), 0);
    assert_int_equal(p.log_level, SABOT_LOG_ERROR);
    assert_string_equal(p.argv[0], "no-such-name");
    assert_string_equal(p.argv[1], "hi");
    assert_null(p.argv[2]);
    sabot_prepared_free(&p);

    /* Without an entrypoint the program is resolved into exec_path and
     * argv[0] stays as given. */
    o.manifest_text = "[[fs.mounts]]\npath = \"/\"\ntype = \"host\"\nsource = \"/\"\n";
    o.program = "/bin/echo";
    o.argv = (const char *const[]){"echo", "hi", NULL};
    assert_int_equal(sabot_prepare(&o, &p), 0);
    assert_string_equal(p.exec_path, "/bin/echo");
    assert_string_equal(p.argv[0], "echo");
    assert_string_equal(p.argv[1], "hi");
    assert_null(p.argv[2]);
    sabot_prepared_free(&p);

    o.manifest_text = "[loader]\nargv = [\"x\"]\n";
    o.program = NULL;
    o.argv = NULL;
    assert_int_equal(sabot_prepare(&o, &p), -EINVAL);
    assert_string_equal(err, "no program to run: give one after '--' or set "
                             "loader.entrypoint in inline.toml");

    o.manifest_text = "[loader]\nentrypoint = 5\n";
    assert_true(sabot_prepare(&o, &p) < 0);
    assert_true(strncmp(err, "inline.toml:2:", 14) == 0);
}

static void test_prepare_default_and_files(void **state) {
    struct sabot_options o;
    struct sabot_prepared p;
    char err[512], path[256];
    sabot_options_init(&o);
    o.err = err;
    o.err_size = sizeof(err);
    o.cwd = g_dir;
    o.program = "bin/tool";
    o.argv = (const char *const[]){"tool", NULL};
    assert_int_equal(sabot_prepare(&o, &p), 0);
    snprintf(path, sizeof(path), "%s/bin/tool", g_dir);
    assert_string_equal(p.exec_path, path);
    assert_string_equal(p.argv[0], "tool");
    assert_string_equal(p.manifest_name, "<default manifest>");
    assert_string_equal(p.host_cwd, g_dir);
    assert_int_equal(p.log_level, SABOT_LOG_WARNING);
    assert_non_null(strstr(p.manifest, "cwd = \"/tmp/sabot-rt-"));
    sabot_prepared_free(&p);

    /* Manifest files: missing, a directory, and good. */
    o.manifest_path = "/nonexistent/m.toml";
    assert_int_equal(sabot_prepare(&o, &p), -ENOENT);
    assert_string_equal(err,
                        "cannot read manifest '/nonexistent/m.toml': No such file or directory");
    o.manifest_path = g_dir;
    assert_int_equal(sabot_prepare(&o, &p), -EISDIR);
    snprintf(path, sizeof(path), "%s/m.toml", g_dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "[[fs.mounts]]\npath = \"/\"\ntype = \"host\"\nsource = \"/\"\n");
    fclose(f);
    o.manifest_path = path;
    o.trace_path = "/nonexistent/trace";
    assert_int_equal(sabot_prepare(&o, &p), -ENOENT);
    assert_string_equal(err, "cannot open trace file '/nonexistent/trace': No such file or "
                             "directory");
    snprintf(path + strlen(path), 32, ".trace");
    o.trace_path = path;
    o.manifest_path = NULL;
    assert_int_equal(sabot_prepare(&o, &p), 0);
    assert_true(p.trace_fd > 2);
    assert_true(p.trace_fd_owned);
    sabot_prepared_free(&p);
    assert_int_equal(access(path, F_OK), 0);

    o.cwd = "/nonexistent/dir";
    assert_int_equal(sabot_prepare(&o, &p), -ENOENT);
    assert_non_null(strstr(err, "cannot use working directory '/nonexistent/dir'"));
}

static void test_manifest_check(void **state) {
    char err[256];
    const char *good = "[loader]\nentrypoint = \"/bin/true\"\n";
    assert_int_equal(sabot_manifest_check(good, strlen(good), "g.toml", err, sizeof(err)), 0);
    const char *bad = "[loader]\n\nentrypoint = \n";
    assert_true(sabot_manifest_check(bad, strlen(bad), "b.toml", err, sizeof(err)) < 0);
    assert_true(strncmp(err, "b.toml:3:", 9) == 0);
}

/* Host mounts are checked by the runtime: missing or not a directory. */
static void test_manifest_host_paths(void **state) {
    char err[512];
    const char *missing = "[[fs.mounts]]\npath = \"/\"\ntype = \"tmpfs\"\n"
                          "[[fs.mounts]]\npath = \"/data\"\ntype = \"host\"\n"
                          "source = \"/nonexistent/sabot-dir\"\n";
    assert_int_equal(sabot_manifest_check(missing, strlen(missing), "h.toml", err, sizeof(err)),
                     -ENOENT);
    assert_string_equal(err, "h.toml:7:10: fs.mounts[1].source: host directory "
                             "/nonexistent/sabot-dir does not exist");
    const char *file = "[fs.root]\ntype = \"host\"\nsource = \"/etc/passwd\"\n";
    assert_int_equal(sabot_manifest_check(file, strlen(file), "f.toml", err, sizeof(err)), -ENOENT);
    assert_string_equal(err, "f.toml:3:10: fs.root.source: host directory /etc/passwd is not a "
                             "directory");
    const char *ok = "[fs.root]\ntype = \"host\"\nsource = \"/\"\n";
    assert_int_equal(sabot_manifest_check(ok, strlen(ok), "o.toml", err, sizeof(err)), 0);
}

static char *show_text(const char *text) {
    char err[512];
    struct libos_manifest *m = NULL;
    if (sabot_manifest_load(text, strlen(text), "s.toml", &m, err, sizeof(err)) < 0)
        fail_msg("%s\n--- in ---\n%s", err, text);
    char *out = sabot_manifest_show(m);
    assert_non_null(out);
    libos_manifest_free(m);
    return out;
}

/* show prints valid TOML that check accepts and that shows the same again;
 * every default is filled in. */
static void test_manifest_show_round_trip(void **state) {
    const char *inputs[] = {
        "",
        "[loader]\nentrypoint = \"/bin/sh\"\nargv = [\"sh\", \"-c\", \"echo \\\"q\\\"\"]\n"
        "env_passthrough = [\"*\"]\nuid = 0\ngid = 42\n"
        "[loader.env]\nA = \"1\"\n\"B.C\" = \"tab\\there\"\n"
        "[fs]\ncwd = \"/w\"\n[fs.root]\ntype = \"tmpfs\"\nsize = \"64M\"\n"
        "[[fs.mounts]]\npath = \"/w/\"\ntype = \"host\"\nsource = \"/tmp\"\nreadonly = false\n"
        "[sys]\nmemory = \"1G\"\nstack = 123\nthreads = 4\nprocesses = \"unlimited\"\n"
        "fork = \"checkpoint\"\ninsecure__no_seccomp = true\n"
        "[pal]\nname = \"kvm\"\nsyscall_rewrite = false\n[log]\nlevel = \"debug\"\n"
        "[net]\nconnect = [\"localhost:80\", \"[::1]:1-2\"]\nbind = [\"*:*\"]\n",
    };
    for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        char *once = show_text(inputs[i]);
        char *twice = show_text(once);
        if (strcmp(once, twice) != 0)
            fail_msg("show is not stable:\n%s\n--- shown again ---\n%s", once, twice);
        free(twice);
        if (i == 0) {
            /* Defaults, spelled out. */
            assert_non_null(strstr(once, "\n[sys]\nmemory = \"unlimited\"\nstack = \"8M\"\n"
                                         "brk = \"1G\"\nopen_files = 1024\n"
                                         "threads = \"unlimited\"\nprocesses = \"unlimited\"\n"
                                         "fork = \"fast\"\ninsecure__no_seccomp = false\n"));
            assert_non_null(strstr(once, "\n[pal]\nname = \"linux\"\nsyscall_rewrite = true\n"));
            assert_non_null(strstr(once, "\n[log]\nlevel = \"warning\"\n"));
            assert_non_null(strstr(once, "argv_from_cli = true\n"));
            assert_non_null(strstr(once, "\n[net]\nconnect = []\nbind = []\n"));
        } else {
            assert_non_null(strstr(once, "argv = [\"sh\", \"-c\", \"echo \\\"q\\\"\"]\n"
                                         "argv_from_cli = false\n"));
            assert_non_null(strstr(once, "uid = 0\ngid = 42\n"));
            assert_non_null(strstr(once, "\"B.C\" = \"tab\\there\"\n"));
            assert_non_null(strstr(once, "path = \"/\"\ntype = \"tmpfs\"\nreadonly = false\n"
                                         "size = \"64M\"\n"));
            assert_non_null(strstr(once, "path = \"/w\"\ntype = \"host\"\nsource = \"/tmp\"\n"));
            assert_non_null(strstr(once, "stack = 123\nbrk = \"1G\"\n"));
            assert_non_null(strstr(once, "processes = \"unlimited\"\nfork = \"checkpoint\"\n"
                                         "insecure__no_seccomp = true\n"));
            assert_non_null(strstr(once, "connect = [\"localhost:80\", \"[::1]:1-2\"]\n"));
        }
        free(once);
    }
}

static void test_manifest_warnings(void **state) {
    char err[256];
    struct libos_manifest *m = NULL;
    const char *t = "[sys]\ninsecure__no_landlock = true\ninsecure__no_seccomp = false\n";
    assert_int_equal(sabot_manifest_load(t, strlen(t), "w.toml", &m, err, sizeof(err)), 0);
    assert_int_equal(m->warning_count, 1);
    assert_string_equal(m->warnings[0], "w.toml:2:1: sys.insecure__no_landlock: no Landlock: host "
                                        "files and TCP ports are confined only by the libos");
    assert_true(m->insecure_no_landlock);
    assert_false(m->insecure_no_seccomp);
    libos_manifest_free(m);
}

static void test_prepare_argv_from_cli(void **state) {
    struct sabot_options o;
    struct sabot_prepared p;
    char err[512];
    sabot_options_init(&o);
    o.err = err;
    o.err_size = sizeof(err);
    o.cwd = g_dir;
    o.manifest_name = "a.toml";
    o.manifest_text = "[loader]\nentrypoint = \"/bin/true\"\nargv = [\"t\", \"1\"]\n";
    o.program = "x";
    o.argv = (const char *const[]){"x", "y", NULL};
    assert_int_equal(sabot_prepare(&o, &p), -EINVAL);
    assert_string_equal(err, "a.toml: the manifest fixes argv (loader.argv or "
                             "loader.argv_from_cli = false): give no arguments after '--'");
    o.manifest_text = "[loader]\nentrypoint = \"/bin/true\"\nargv_from_cli = false\n";
    assert_int_equal(sabot_prepare(&o, &p), -EINVAL);
    o.program = NULL;
    o.argv = NULL;
    assert_int_equal(sabot_prepare(&o, &p), 0);
    assert_string_equal(p.argv[0], "/bin/true");
    sabot_prepared_free(&p);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cli_run_program),
        cmocka_unit_test(test_cli_program_options_untouched),
        cmocka_unit_test(test_cli_options),
        cmocka_unit_test(test_cli_log_levels),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_help_version),
        cmocka_unit_test(test_cli_manifest_commands),
        cmocka_unit_test(test_manifest_host_paths),
        cmocka_unit_test(test_manifest_show_round_trip),
        cmocka_unit_test(test_manifest_warnings),
        cmocka_unit_test(test_prepare_argv_from_cli),
        cmocka_unit_test(test_default_manifest_plain),
        cmocka_unit_test(test_default_manifest_escapes),
        cmocka_unit_test(test_default_manifest_root_and_tmp),
        cmocka_unit_test(test_toml_quote),
        cmocka_unit_test(test_clean_path),
        cmocka_unit_test(test_resolve_default_policy),
        cmocka_unit_test(test_resolve_errors),
        cmocka_unit_test(test_resolve_through_mounts),
        cmocka_unit_test(test_prepare_manifest_text),
        cmocka_unit_test(test_prepare_default_and_files),
        cmocka_unit_test(test_manifest_check),
    };
    return cmocka_run_group_tests(tests, setup_tree, teardown_tree);
}
