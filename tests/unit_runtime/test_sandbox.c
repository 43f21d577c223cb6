/* The sandbox plan (runtime/sandbox.c) from a manifest: the TCP ports
 * Landlock is given (overlapping and out-of-order ranges, each port once),
 * the direction left unhandled when a rule grants every port, and the
 * seccomp allowlist compiled at build time (BPF that checks the arch first;
 * the variant with execve when sabot-pal-child is used). */
#include <linux/audit.h>
#include <linux/filter.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "libos_manifest.h"
#include "sabot_sandbox.h"

static struct sabot_sandbox plan(const char *text, const char *child_loader) {
    struct libos_manifest *m;
    char err[512];
    struct sabot_sandbox sb;
    assert_int_equal(libos_manifest_parse(text, strlen(text), "t.toml", &m, err, sizeof(err)), 0);
    assert_int_equal(sabot_sandbox_prepare(m, child_loader, &sb, err, sizeof(err)), 0);
    libos_manifest_free(m);
    return sb;
}

static void test_ports_each_once_in_order(void **state) {
    (void)state;
    if (sabot_landlock_abi() < 4)
        skip(); /* no TCP port rules in this kernel's Landlock */
    struct sabot_sandbox sb = plan("[net]\nbind = [\"127.0.0.1:8005-8020\", \"127.0.0.1:7000\", "
                                   "\"127.0.0.1:8000-8010\", \"127.0.0.1:8012-8013\"]\n",
                                   NULL);
    assert_int_equal(sb.bind_count, 22); /* 7000 and 8000-8020 */
    assert_int_equal(sb.bind_ports[0], 7000);
    for (size_t i = 1; i < sb.bind_count; i++)
        assert_int_equal(sb.bind_ports[i], 8000 + i - 1);
    assert_int_equal(sb.connect_count, 0); /* handled: no port granted */
    assert_true(sb.handled_net != 0);
    sabot_sandbox_free(&sb);
}

static void test_every_port_leaves_direction_unhandled(void **state) {
    (void)state;
    if (sabot_landlock_abi() < 4)
        skip();
    struct sabot_sandbox both = plan("[net]\nbind = [\"127.0.0.1:80\"]\n", NULL);
    struct sabot_sandbox any =
        plan("[net]\nbind = [\"127.0.0.1:80\", \"127.0.0.1:0-65535\"]\n", NULL);
    assert_true(any.handled_net != 0);
    assert_int_equal(any.bind_count, 0);
    assert_true(any.handled_net != both.handled_net); /* bind is no longer handled */
    sabot_sandbox_free(&both);
    sabot_sandbox_free(&any);
}

static void check_filter(const struct sabot_sandbox *sb) {
    assert_non_null(sb->seccomp_filter);
    assert_true(sb->seccomp_filter_len > 0);
    assert_int_equal(sb->seccomp_filter_len % sizeof(struct sock_filter), 0);
    const struct sock_filter *f = sb->seccomp_filter;
    /* ld seccomp_data.arch; jeq AUDIT_ARCH_X86_64 */
    assert_int_equal(f[0].code, BPF_LD | BPF_W | BPF_ABS);
    assert_int_equal(f[0].k, 4);
    assert_int_equal(f[1].code, BPF_JMP | BPF_JEQ | BPF_K);
    assert_int_equal(f[1].k, AUDIT_ARCH_X86_64);
}

static void test_seccomp_filter_compiled_at_build_time(void **state) {
    (void)state;
    const char *text = "[sys]\ninsecure__no_landlock = true\n";
    struct sabot_sandbox plain = plan(text, NULL),
                         exec = plan(text, "/nonexistent/sabot-pal-child");
    check_filter(&plain);
    check_filter(&exec);
    /* The execve rule makes the second one longer. */
    assert_true(exec.seccomp_filter_len > plain.seccomp_filter_len);
    sabot_sandbox_free(&plain);
    sabot_sandbox_free(&exec);
    struct sabot_sandbox off =
        plan("[sys]\ninsecure__no_landlock = true\ninsecure__no_seccomp = true\n", NULL);
    assert_null(off.seccomp_filter);
    sabot_sandbox_free(&off);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ports_each_once_in_order),
        cmocka_unit_test(test_every_port_leaves_direction_unhandled),
        cmocka_unit_test(test_seccomp_filter_compiled_at_build_time),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
