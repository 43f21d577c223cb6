/* Unit tests for the TOML parser (libos/manifest/toml.c), compiled hosted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "libos_toml.h"

#define T_EINVAL (-22)

static char g_err[512];

static struct libos_toml *parse_ok(const char *text) {
    struct libos_toml *t = NULL;
    long rc = libos_toml_parse(text, strlen(text), "t.toml", &t, g_err, sizeof(g_err));
    if (rc != 0)
        fail_msg("parse failed: %s", g_err);
    assert_non_null(t);
    return t;
}

/* Asserts that text fails with exactly the message expect. */
static void parse_err(const char *text, const char *expect) {
    struct libos_toml *t = (struct libos_toml *)1;
    memset(g_err, 0, sizeof(g_err));
    long rc = libos_toml_parse(text, strlen(text), "t.toml", &t, g_err, sizeof(g_err));
    if (rc == 0)
        fail_msg("parse of <<%s>> succeeded, expected: %s", text, expect);
    assert_int_equal(rc, T_EINVAL);
    assert_null(t);
    assert_string_equal(g_err, expect);
}

static int64_t get_int(const struct libos_toml *root, const char *path) {
    int64_t v = 0x5a5a;
    struct libos_toml *n = libos_toml_get(root, path);
    if (!libos_toml_int(n, &v))
        fail_msg("%s is not an integer", path);
    return v;
}

static const char *get_str(const struct libos_toml *root, const char *path) {
    const char *s = libos_toml_str(libos_toml_get(root, path));
    if (!s)
        fail_msg("%s is not a string", path);
    return s;
}

static void test_tables_and_dotted_keys(void **state) {
    struct libos_toml *t = parse_ok("# comment\n"
                                    "top = 1\n"
                                    "a.b.c = 2   # trailing comment\n"
                                    "a . b . d = 3\n"
                                    "\n"
                                    "[x]\n"
                                    "y = 4\n"
                                    "[x.z]\n"
                                    "w = 5\n"
                                    "[ \"q.k\" . 'lit' ]\n"
                                    "v = 6\n");
    assert_int_equal(get_int(t, "top"), 1);
    assert_int_equal(get_int(t, "a.b.c"), 2);
    assert_int_equal(get_int(t, "a.b.d"), 3);
    assert_int_equal(get_int(t, "x.y"), 4);
    assert_int_equal(get_int(t, "x.z.w"), 5);
    /* A quoted key with a dot is one key. */
    struct libos_toml *qk = libos_toml_member(t, "q.k");
    assert_non_null(qk);
    assert_int_equal(get_int(libos_toml_member(qk, "lit"), "v"), 6);
    assert_null(libos_toml_get(t, "q"));
    /* Lines are remembered per node. */
    assert_int_equal(libos_toml_get(t, "top")->line, 2);
    assert_int_equal(libos_toml_get(t, "a.b.d")->line, 4);
    assert_int_equal(libos_toml_get(t, "x")->line, 6);
    assert_int_equal(libos_toml_get(t, "x.z.w")->line, 9);
    /* Members come in document order. */
    const char *order[] = {"top", "a", "x", "q.k"};
    size_t i = 0;
    struct libos_toml *it;
    libos_toml_foreach(it, t) {
        assert_true(i < 4);
        assert_string_equal(it->key, order[i++]);
    }
    assert_int_equal(i, 4);
    assert_int_equal(t->count, 4);
    char path[64];
    libos_toml_path(libos_toml_get(qk, "lit.v"), path, sizeof(path));
    assert_string_equal(path, "\"q.k\".lit.v");
    libos_toml_free(t);
}

static void test_strings(void **state) {
    struct libos_toml *t = parse_ok("a = \"tab\\tnl\\nq\\\"bs\\\\\"\n"
                                    "u = \"\\u00e9\\U0001F600\\u0041\"\n"
                                    "lit = 'C:\\path\\n \"x\"'\n"
                                    "ml = \"\"\"\n"
                                    "one\n"
                                    "two \\\n"
                                    "     three\"\"\"\n"
                                    "mll = '''\n"
                                    "raw \\n\n"
                                    "end'''\n"
                                    "q5 = \"\"\"x\"\"\"\"\"\n"
                                    "empty = \"\"\n"
                                    "after = 1\n");
    assert_string_equal(get_str(t, "a"), "tab\tnl\nq\"bs\\");
    assert_string_equal(get_str(t, "u"), "\xc3\xa9\xf0\x9f\x98\x80"
                                         "A");
    assert_string_equal(get_str(t, "lit"), "C:\\path\\n \"x\"");
    assert_string_equal(get_str(t, "ml"), "one\ntwo three");
    assert_string_equal(get_str(t, "mll"), "raw \\n\nend");
    assert_string_equal(get_str(t, "q5"), "x\"\"");
    assert_string_equal(get_str(t, "empty"), "");
    /* Line counting continues correctly after multi-line strings. */
    assert_int_equal(libos_toml_get(t, "mll")->line, 8);
    assert_int_equal(libos_toml_get(t, "after")->line, 13);
    libos_toml_free(t);
}

static void test_integers_and_bools(void **state) {
    struct libos_toml *t = parse_ok("z = 0\nn = -17\np = +5\nu = 1_000_000\n"
                                    "h = 0xdead_BEEF\no = 0o755\nb = 0b1010\n"
                                    "max = 9223372036854775807\nmin = -9223372036854775808\n"
                                    "yes = true\nno = false\nmz = -0\n");
    assert_int_equal(get_int(t, "z"), 0);
    assert_int_equal(get_int(t, "n"), -17);
    assert_int_equal(get_int(t, "p"), 5);
    assert_int_equal(get_int(t, "u"), 1000000);
    assert_int_equal(get_int(t, "h"), 0xdeadbeef);
    assert_int_equal(get_int(t, "o"), 0755);
    assert_int_equal(get_int(t, "b"), 10);
    assert_true(get_int(t, "max") == INT64_MAX);
    assert_true(get_int(t, "min") == INT64_MIN);
    assert_int_equal(get_int(t, "mz"), 0);
    bool v = false;
    assert_true(libos_toml_bool(libos_toml_get(t, "yes"), &v));
    assert_true(v);
    assert_true(libos_toml_bool(libos_toml_get(t, "no"), &v));
    assert_false(v);
    /* Accessors check the type. */
    assert_false(libos_toml_bool(libos_toml_get(t, "z"), &v));
    assert_null(libos_toml_str(libos_toml_get(t, "z")));
    libos_toml_free(t);
}

static void test_arrays(void **state) {
    struct libos_toml *t = parse_ok("a = [\n"
                                    "  \"x\",  # first\n"
                                    "  # a comment line\n"
                                    "  'y',\n"
                                    "]\n"
                                    "e = []\n"
                                    "nest = [[1, 2], [3], []]\n"
                                    "mixed = [1, \"s\", true, {k = 1}]\n");
    struct libos_toml *a = libos_toml_get(t, "a");
    assert_int_equal(a->type, LIBOS_TOML_ARRAY);
    assert_int_equal(a->count, 2);
    assert_true(libos_toml_is_str_array(a));
    assert_string_equal(libos_toml_str(libos_toml_at(a, 0)), "x");
    assert_string_equal(libos_toml_str(libos_toml_at(a, 1)), "y");
    assert_int_equal(libos_toml_at(a, 1)->line, 4);
    assert_null(libos_toml_at(a, 2));
    assert_int_equal(libos_toml_get(t, "e")->count, 0);
    assert_true(libos_toml_is_str_array(libos_toml_get(t, "e")));
    struct libos_toml *nest = libos_toml_get(t, "nest");
    assert_int_equal(nest->count, 3);
    assert_int_equal(libos_toml_at(nest, 0)->count, 2);
    assert_int_equal(libos_toml_at(libos_toml_at(nest, 0), 1)->integer, 2);
    struct libos_toml *mixed = libos_toml_get(t, "mixed");
    assert_false(libos_toml_is_str_array(mixed));
    assert_int_equal(libos_toml_at(mixed, 3)->type, LIBOS_TOML_TABLE);
    char path[64];
    libos_toml_path(libos_toml_get(libos_toml_at(mixed, 3), "k"), path, sizeof(path));
    assert_string_equal(path, "mixed[3].k");
    libos_toml_free(t);
}

static void test_inline_tables(void **state) {
    struct libos_toml *t = parse_ok("p = { x = 1, y = { z = \"deep\" }, d.e = true }\n"
                                    "empty = {}\n");
    assert_int_equal(get_int(t, "p.x"), 1);
    assert_string_equal(get_str(t, "p.y.z"), "deep");
    assert_int_equal(libos_toml_get(t, "p.d.e")->type, LIBOS_TOML_BOOL);
    assert_int_equal(libos_toml_get(t, "empty")->type, LIBOS_TOML_TABLE);
    assert_int_equal(libos_toml_get(t, "empty")->count, 0);
    libos_toml_free(t);
}

static void test_array_of_tables(void **state) {
    struct libos_toml *t = parse_ok("[[m]]\n"
                                    "path = \"/a\"\n"
                                    "[m.opt]\n"
                                    "k = 1\n"
                                    "[[m]]\n"
                                    "path = \"/b\"\n"
                                    "[[m.sub]]\n"
                                    "v = 1\n"
                                    "[[m.sub]]\n"
                                    "v = 2\n"
                                    "[a.b.c]\n"
                                    "[a]\n"
                                    "x = 1\n");
    struct libos_toml *m = libos_toml_get(t, "m");
    assert_int_equal(m->type, LIBOS_TOML_ARRAY);
    assert_int_equal(m->count, 2);
    assert_string_equal(get_str(libos_toml_at(m, 0), "path"), "/a");
    assert_int_equal(get_int(libos_toml_at(m, 0), "opt.k"), 1);
    assert_string_equal(get_str(libos_toml_at(m, 1), "path"), "/b");
    assert_null(libos_toml_get(libos_toml_at(m, 1), "opt"));
    struct libos_toml *sub = libos_toml_get(libos_toml_at(m, 1), "sub");
    assert_int_equal(sub->count, 2);
    assert_int_equal(get_int(libos_toml_at(sub, 1), "v"), 2);
    assert_int_equal(libos_toml_at(m, 1)->line, 5);
    char path[64];
    libos_toml_path(libos_toml_get(libos_toml_at(sub, 1), "v"), path, sizeof(path));
    assert_string_equal(path, "m[1].sub[1].v");
    /* A table created implicitly by [a.b.c] may be defined later. */
    assert_int_equal(get_int(t, "a.x"), 1);
    assert_int_equal(libos_toml_get(t, "a")->line, 12);
    libos_toml_free(t);
}

static void test_crlf_bom_empty(void **state) {
    struct libos_toml *t = parse_ok("\xef\xbb\xbf"
                                    "a = 1\r\n[t]\r\nb = \"x\"\r\n\r\nc = 3");
    assert_int_equal(get_int(t, "a"), 1);
    assert_string_equal(get_str(t, "t.b"), "x");
    assert_int_equal(libos_toml_get(t, "t.c")->line, 5);
    libos_toml_free(t);
    t = parse_ok("");
    assert_int_equal(t->type, LIBOS_TOML_TABLE);
    assert_int_equal(t->count, 0);
    libos_toml_free(t);
    t = parse_ok("\n# only a comment");
    assert_int_equal(t->count, 0);
    libos_toml_free(t);
}

static void test_redefinitions(void **state) {
    parse_err("a = 1\na = 2\n", "t.toml:2:1: 'a' is already defined (line 1)");
    parse_err("[a]\nx = 1\n[b]\n[a]\n", "t.toml:4:2: 'a' is already defined (line 1)");
    parse_err("[t]\nx = 1\nx = 2\n", "t.toml:3:1: 't.x' is already defined (line 2)");
    /* Tables made by dotted keys cannot be reopened with a header... */
    parse_err("a.b = 1\n[a]\n", "t.toml:2:2: 'a' is already defined (line 1)");
    /* ...and header tables cannot be extended with dotted keys. */
    parse_err("[a.b]\n[a]\nb.c = 1\n", "t.toml:3:1: 'a.b' is already defined (line 1)");
    parse_err("a = 1\na.b = 2\n", "t.toml:2:1: 'a' is already defined (line 1)");
    parse_err("a.b = 1\na.b.c = 2\n", "t.toml:2:3: 'a.b' is already defined (line 1)");
    /* Inline tables are closed. */
    parse_err("a = {b = 1}\n[a.c]\n", "t.toml:2:2: 'a' is already defined (line 1)");
    parse_err("a = {b = 1}\na.c = 2\n", "t.toml:2:1: 'a' is already defined (line 1)");
    parse_err("a = {b = 1, b = 2}\n", "t.toml:1:13: 'a.b' is already defined (line 1)");
    /* Static arrays cannot be appended to with [[ ]], nor tables turned into arrays. */
    parse_err("a = [1]\n[[a]]\n", "t.toml:2:3: 'a' is already defined (line 1)");
    parse_err("[a]\n[[a]]\n", "t.toml:2:3: 'a' is already defined (line 1)");
    parse_err("[[a]]\n[a]\n", "t.toml:2:2: 'a' is already defined (line 1)");
    parse_err("[[a]]\nx = 1\n[a.x]\n", "t.toml:3:4: 'a[0].x' is already defined (line 2)");
}

static void test_syntax_errors(void **state) {
    parse_err("a = \"abc\n", "t.toml:1:5: unterminated string");
    parse_err("\n\na = '''abc\n", "t.toml:3:5: unterminated string");
    parse_err("a = \"\\q\"\n", "t.toml:1:6: invalid escape '\\q'");
    parse_err("a = \"\\u12\"\n", "t.toml:1:6: \\u needs 4 hex digits");
    parse_err("a = \"\\uD800\"\n", "t.toml:1:6: invalid unicode escape (U+D800)");
    parse_err("a = \"\\U00110000\"\n", "t.toml:1:6: invalid unicode escape (U+110000)");
    parse_err("a = \"\\u0000\"\n", "t.toml:1:6: NUL character is not allowed in strings");
    parse_err("a = \"x\x01\"\n", "t.toml:1:7: control character in string");
    parse_err("a = 1 # \x7f\n", "t.toml:1:9: control character in comment");
    parse_err("a = 1.5\n", "t.toml:1:5: floats are not supported");
    parse_err("a = 1e3\n", "t.toml:1:5: floats are not supported");
    parse_err("a = inf\n", "t.toml:1:5: floats are not supported");
    parse_err("a = 1979-05-27\n", "t.toml:1:5: dates and times are not supported");
    parse_err("a = 07:32:00\n", "t.toml:1:5: dates and times are not supported");
    parse_err("a = 012\n", "t.toml:1:5: leading zeros are not allowed in '012'");
    parse_err("a = 1__0\n", "t.toml:1:5: invalid integer '1__0'");
    parse_err("a = 1_\n", "t.toml:1:5: invalid integer '1_'");
    parse_err("a = 0x\n", "t.toml:1:5: invalid integer '0x'");
    parse_err("a = 0b102\n", "t.toml:1:5: invalid integer '0b102'");
    parse_err("a = 9223372036854775808\n",
              "t.toml:1:5: integer '9223372036854775808' is out of range");
    parse_err("a = -9223372036854775809\n",
              "t.toml:1:5: integer '-9223372036854775809' is out of range");
    parse_err("a = 0x8000000000000000\n",
              "t.toml:1:5: integer '0x8000000000000000' is out of range");
    parse_err("a 1\n", "t.toml:1:3: expected '=' after key, found '1'");
    parse_err("a\n", "t.toml:1:2: expected '=' after key");
    parse_err("= 1\n", "t.toml:1:1: expected a key, found '='");
    parse_err("a =\n", "t.toml:1:4: expected a value");
    parse_err("a = hello\n", "t.toml:1:5: invalid value 'hello' (strings need quotes)");
    parse_err("a = truex\n", "t.toml:1:5: invalid value 'truex' (strings need quotes)");
    parse_err("a = 1 b = 2\n", "t.toml:1:7: expected a new line after value");
    parse_err("[a] x = 1\n", "t.toml:1:5: expected a new line after table header");
    parse_err("[a\n", "t.toml:1:3: expected ']' after table name");
    parse_err("[[a]\n", "t.toml:1:4: expected ']]' after table name");
    parse_err("[]\n", "t.toml:1:2: expected a key, found ']'");
    parse_err("x = 1\na = [1,\n 2\n", "t.toml:2:5: unterminated array");
    parse_err("a = [1 2]\n", "t.toml:1:8: expected ',' or ']' in array");
    parse_err("a = [,]\n", "t.toml:1:6: expected a value");
    parse_err("a = {b = 1,\n c = 2}\n", "t.toml:1:12: inline tables must be on one line");
    parse_err("a = {b = 1,}\n", "t.toml:1:12: trailing comma in inline table");
    parse_err("a = {b = 1 c = 2}\n", "t.toml:1:12: expected ',' or '}' in inline table");
    parse_err("a = \"\"\"x\"\"\"\"\"\"\n", "t.toml:1:9: too many quotes at the end of a string");
    parse_err("a = 1\r\nb = 2\rc = 3\n", "t.toml:2:6: expected a new line after value");
    parse_err("\"\"\"k\"\"\" = 1\n", "t.toml:1:1: multi-line strings cannot be keys");
}

static void test_ml_string_lines(void **state) {
    /* The error after a multi-line string must name the right line. */
    parse_err("a = \"\"\"\n1\n2\n\"\"\"\nb = ?\n", "t.toml:5:5: expected a value");
    parse_err("a = [\n  1,\n  2,\n  \"x\" \"y\"\n]\n", "t.toml:4:7: expected ',' or ']' in array");
}

static void test_utf8_and_nul(void **state) {
    struct libos_toml *t = parse_ok("k = \"h\xc3\xa9llo\"\n\"\xe2\x82\xac\" = 'euro'\n");
    assert_string_equal(get_str(t, "k"), "h\xc3\xa9llo");
    assert_string_equal(libos_toml_str(libos_toml_member(t, "\xe2\x82\xac")), "euro");
    libos_toml_free(t);
    parse_err("a = 1\nb = 2\nc = \"\xc3\x28\"\n", "t.toml:3:6: invalid UTF-8");
    parse_err("c = \"\xc0\xaf\"\n", "t.toml:1:6: invalid UTF-8");     /* overlong */
    parse_err("c = \"\xed\xa0\x80\"\n", "t.toml:1:6: invalid UTF-8"); /* surrogate */
    /* An embedded NUL byte is an error, not an early end of text. */
    const char text[] = "a = 1\nb = \"x\0y\"\n";
    struct libos_toml *r = NULL;
    long rc = libos_toml_parse(text, sizeof(text) - 1, "t.toml", &r, g_err, sizeof(g_err));
    assert_int_equal(rc, T_EINVAL);
    assert_string_equal(g_err, "t.toml:2:7: NUL byte in file");
    /* Only len bytes are read: text after it does not count. */
    rc = libos_toml_parse("a = 1\n[[[", 6, "t.toml", &r, g_err, sizeof(g_err));
    assert_int_equal(rc, 0);
    libos_toml_free(r);
}

static void test_depth_limit(void **state) {
    char buf[512];
    /* Root is depth 0 and the outermost array (key a) depth 1, so 32 fit. */
    int n = LIBOS_TOML_MAX_DEPTH;
    int len =
        snprintf(buf, sizeof(buf), "a = %.*s%.*s\n", n, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
                 n, "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    assert_true(len > 0);
    struct libos_toml *t = parse_ok(buf);
    libos_toml_free(t);
    n = LIBOS_TOML_MAX_DEPTH + 1;
    snprintf(buf, sizeof(buf), "a = %.*s%.*s\n", n, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", n,
             "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]");
    parse_err(buf, "t.toml:1:37: nesting deeper than 32 levels");
    /* Dotted keys going through existing tables past the limit (the key parts
     * of the existing tables must be freed too: the ASan build checks). */
    int o = snprintf(buf, sizeof(buf), "[[a.b]]\n");
    for (int i = 0; i < 20; i++)
        o += snprintf(buf + o, sizeof(buf) - o, "k%d.", i);
    o += snprintf(buf + o, sizeof(buf) - o, "x = 1\n");
    for (int i = 0; i < 31; i++)
        o += snprintf(buf + o, sizeof(buf) - o, "k%d.", i);
    snprintf(buf + o, sizeof(buf) - o, "y = 1\n");
    parse_err(buf, "t.toml:3:107: nesting deeper than 32 levels");
}

static void test_error_buffer(void **state) {
    /* A small buffer truncates but stays terminated; size 0 is allowed. */
    char small[12];
    struct libos_toml *t = NULL;
    long rc = libos_toml_parse("a = 1\na = 2\n", 12, "t.toml", &t, small, sizeof(small));
    assert_int_equal(rc, T_EINVAL);
    assert_string_equal(small, "t.toml:2:1:");
    rc = libos_toml_parse("a = 1\na = 2\n", 12, "t.toml", &t, NULL, 0);
    assert_int_equal(rc, T_EINVAL);
    rc = libos_toml_parse("x = [\n", 6, NULL, &t, g_err, sizeof(g_err));
    assert_string_equal(g_err, "manifest:1:5: unterminated array");
}

/* Nodes remember the column of their key and of their value; columns count
 * characters (é is one), tabs count one. */
static void test_columns(void **state) {
    struct libos_toml *t = parse_ok("a = 1\n  [t]\n\t\"\u00e9\".b  =  [ 7,\n   \"x\" ]\n");
    struct libos_toml *a = libos_toml_get(t, "a");
    assert_int_equal(a->key_col, 1);
    assert_int_equal(a->col, 5);
    struct libos_toml *tt = libos_toml_get(t, "t");
    assert_int_equal(tt->line, 2);
    assert_int_equal(tt->key_col, 4);
    struct libos_toml *e = libos_toml_member(tt, "\u00e9");
    assert_non_null(e);
    assert_int_equal(e->key_col, 2);
    struct libos_toml *b = libos_toml_member(e, "b");
    assert_int_equal(b->key_col, 6);
    assert_int_equal(b->col, 12);
    assert_int_equal(libos_toml_at(b, 0)->col, 14);
    assert_int_equal(libos_toml_at(b, 1)->line, 4);
    assert_int_equal(libos_toml_at(b, 1)->col, 4);
    libos_toml_free(t);
    parse_err("x = \"\u00e9\u00e9\" y\n", "t.toml:1:10: expected a new line after value");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tables_and_dotted_keys), cmocka_unit_test(test_strings),
        cmocka_unit_test(test_integers_and_bools),     cmocka_unit_test(test_arrays),
        cmocka_unit_test(test_inline_tables),          cmocka_unit_test(test_array_of_tables),
        cmocka_unit_test(test_crlf_bom_empty),         cmocka_unit_test(test_redefinitions),
        cmocka_unit_test(test_syntax_errors),          cmocka_unit_test(test_ml_string_lines),
        cmocka_unit_test(test_utf8_and_nul),           cmocka_unit_test(test_depth_limit),
        cmocka_unit_test(test_error_buffer),           cmocka_unit_test(test_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
