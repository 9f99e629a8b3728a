/*
 * test_auth.c - API tokens, users, sessions and header parsing (src/server/auth.c), on an
 * in-memory catalog. In a test build (SW_TEST_HOOKS) passwords are hashed at libsodium's
 * minimum Argon2id cost except in the one test that checks the production parameters; a
 * release build has no way to lower it (test_release_cost).
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "cli/serve.h"
#include "core/clock.h"
#include "core/error.h"
#include "server/auth.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_MS  (60LL * 1000)
#define HOUR_MS (60 * MIN_MS)
/* 2026-06-15T12:00:00Z */
#define T0 (1781524800LL * 1000)

static int setup(void **state)
{
    struct sw_db *db = tu_db(NULL);
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_catalog_open(db, &cat, &err) < 0) {
        fail_msg("catalog: %s", err.message);
    }
    sw_catalog_free(cat);
    sw_error_release(&err);
#ifdef SW_TEST_HOOKS
    sw_auth_test_cheap_hash(true);
#endif
    sw_clock_set(T0);
    *state = db;
    return 0;
}

static int teardown(void **state)
{
    sw_db_close(*state);
    sw_clock_set(0);
    return 0;
}

static char *text_query(struct sw_db *db, const char *sql)
{
    struct sw_stmt *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    char *out = NULL;
    if (sw_db_prepare(db, sql, &st, &err) < 0) {
        fail_msg("prepare %s: %s", sql, err.message);
    }
    if (sw_stmt_step(st, &err) == SW_STEP_ROW && sw_stmt_column_text(st, 0)) {
        out = strdup(sw_stmt_column_text(st, 0));
    }
    sw_stmt_finalize(st);
    sw_error_release(&err);
    return out;
}

static char *make_token(struct sw_db *db, enum sw_role role, const char *name)
{
    char *t = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_auth_token_create(db, role, name, &t, NULL, &err), 0);
    assert_non_null(t);
    sw_error_release(&err);
    return t;
}

static enum sw_role token_role(struct sw_db *db, const char *t)
{
    enum sw_role r = SW_ROLE_ADMIN;
    assert_int_equal(sw_auth_token_check(db, t, &r, NULL), 0);
    return r;
}

static void add_user(struct sw_db *db, const char *name, enum sw_role role, const char *pw)
{
    struct sw_error err = SW_ERROR_INIT;
    if (sw_auth_user_add(db, name, role, pw, &err) != 0) {
        fail_msg("user add %s: %s", name, err.message);
    }
    sw_error_release(&err);
}

/* The password-hash cost through the settings layer, as `stepwise user add` resolves it:
 * STEPWISE_ARGON2_FAST lowers it in a test build only; a release build (make build) has no
 * such setting and hashes at the interactive cost whatever the environment says. */
static void test_release_cost(void **state)
{
    struct sw_db *db = *state;
    setenv("STEPWISE_ARGON2_FAST", "1", 1);
    assert_int_equal(sw_serve_test_settings("user"), 0);
    add_user(db, "env", SW_ROLE_VIEWER, "env password");
    unsetenv("STEPWISE_ARGON2_FAST");
    char *h = text_query(db, "SELECT password_hash FROM sw_users WHERE name = 'env'");
#ifdef SW_TEST_HOOKS
    assert_non_null(strstr(h, "$argon2id$v=19$m=8,t=1,"));
#else
    assert_non_null(strstr(h, "$argon2id$v=19$m=65536,t=2,"));
#endif
    free(h);
}

/* ---- roles ---- */

static void test_roles(void **state)
{
    (void)state;
    enum sw_role r = SW_ROLE_NONE;
    assert_int_equal(sw_role_parse("viewer", &r), 0);
    assert_int_equal(r, SW_ROLE_VIEWER);
    assert_int_equal(sw_role_parse("editor", &r), 0);
    assert_int_equal(r, SW_ROLE_EDITOR);
    assert_int_equal(sw_role_parse("admin", &r), 0);
    assert_int_equal(r, SW_ROLE_ADMIN);
    r = SW_ROLE_VIEWER;
    assert_int_equal(sw_role_parse("Admin", &r), SW_EINVAL);
    assert_int_equal(sw_role_parse("none", &r), SW_EINVAL);
    assert_int_equal(sw_role_parse("", &r), SW_EINVAL);
    assert_int_equal(sw_role_parse(NULL, &r), SW_EINVAL);
    assert_int_equal(r, SW_ROLE_VIEWER);
    assert_string_equal(sw_role_name(SW_ROLE_VIEWER), "viewer");
    assert_string_equal(sw_role_name(SW_ROLE_EDITOR), "editor");
    assert_string_equal(sw_role_name(SW_ROLE_ADMIN), "admin");
    assert_string_equal(sw_role_name(SW_ROLE_NONE), "none");
    /* ordered, so a check is one comparison */
    assert_true(SW_ROLE_VIEWER < SW_ROLE_EDITOR && SW_ROLE_EDITOR < SW_ROLE_ADMIN);
}

/* ---- tokens ---- */

static void test_token_create_check(void **state)
{
    struct sw_db *db = *state;
    char *v = make_token(db, SW_ROLE_VIEWER, "ci");
    char *e = make_token(db, SW_ROLE_EDITOR, NULL);
    char *a = make_token(db, SW_ROLE_ADMIN, "");

    /* "swt_" + 43 base64url characters */
    assert_int_equal(strlen(v), 47);
    assert_memory_equal(v, "swt_", 4);
    assert_int_equal(strspn(v + 4, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                   "0123456789-_"),
                     43);
    assert_string_not_equal(v, e);
    assert_string_not_equal(e, a);

    assert_int_equal(token_role(db, v), SW_ROLE_VIEWER);
    assert_int_equal(token_role(db, e), SW_ROLE_EDITOR);
    assert_int_equal(token_role(db, a), SW_ROLE_ADMIN);

    /* unknown, altered, truncated, empty, NULL, absurdly long: no role, no error */
    char *bad = strdup(v);
    bad[10] = bad[10] == 'A' ? 'B' : 'A';
    assert_int_equal(token_role(db, bad), SW_ROLE_NONE);
    bad[10] = v[10];
    bad[46] = '\0';
    assert_int_equal(token_role(db, bad), SW_ROLE_NONE);
    assert_int_equal(token_role(db, "swt_nope"), SW_ROLE_NONE);
    assert_int_equal(token_role(db, ""), SW_ROLE_NONE);
    assert_int_equal(token_role(db, NULL), SW_ROLE_NONE);
    char longtok[4000];
    memset(longtok, 'x', sizeof(longtok) - 1);
    longtok[sizeof(longtok) - 1] = '\0';
    assert_int_equal(token_role(db, longtok), SW_ROLE_NONE);

    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tokens"), 3);
    char *name = text_query(db, "SELECT coalesce(name, '-') FROM sw_tokens WHERE role = 'viewer'");
    assert_string_equal(name, "ci");
    free(name);
    /* an empty name is stored as NULL */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tokens WHERE name IS NULL"), 2);

    free(bad);
    free(v);
    free(e);
    free(a);
}

static void test_token_stored_hashed(void **state)
{
    struct sw_db *db = *state;
    char *t = make_token(db, SW_ROLE_EDITOR, "x");
    char *hash = text_query(db, "SELECT hash FROM sw_tokens");
    assert_non_null(hash);
    /* BLAKE2b-256 in hex */
    assert_int_equal(strlen(hash), 64);
    assert_int_equal(strspn(hash, "0123456789abcdef"), 64);
    /* ... of the whole token, prefix included */
    unsigned char h[32];
    char hex[65];
    crypto_generichash(h, sizeof(h), (const unsigned char *)t, strlen(t), NULL, 0);
    sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
    assert_string_equal(hash, hex);
    /* no column of the row holds the token or its random part */
    struct sw_params p = SW_PARAMS_INIT;
    int64_t n = -1;
    sw_params_add_text(&p, t + 4);
    assert_int_equal(sw_db_query_int(db,
                                     "SELECT count(*) FROM sw_tokens WHERE instr(hash, ?1) "
                                     "OR instr(coalesce(name, ''), ?1) OR instr(role, ?1)",
                                     &p, &n, NULL),
                     0);
    assert_int_equal(n, 0);
    sw_params_release(&p);
    free(hash);
    free(t);
}

static void test_token_bad_role(void **state)
{
    struct sw_db *db = *state;
    char *t = (char *)"sentinel";
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_auth_token_create(db, SW_ROLE_NONE, NULL, &t, NULL, &err), SW_EINVAL);
    assert_null(t);
    sw_error_release(&err);
    assert_int_equal(sw_auth_token_create(db, (enum sw_role)7, NULL, &t, NULL, NULL), SW_EINVAL);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tokens"), 0);
}

static void test_token_revoke(void **state)
{
    struct sw_db *db = *state;
    char *a = make_token(db, SW_ROLE_EDITOR, "a");
    char *b = make_token(db, SW_ROLE_VIEWER, "b");
    int64_t id = tu_int(db, "SELECT id FROM sw_tokens WHERE name = 'a'");
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_auth_token_revoke(db, id, &err), 0);
    assert_int_equal(token_role(db, a), SW_ROLE_NONE);
    assert_int_equal(token_role(db, b), SW_ROLE_VIEWER);
    assert_int_equal(sw_auth_token_revoke(db, id, &err), SW_ENOTFOUND);
    assert_int_equal(err.code, SW_ENOTFOUND);
    sw_error_release(&err);
    free(a);
    free(b);
}

static void test_token_last_used(void **state)
{
    struct sw_db *db = *state;
    char *t = make_token(db, SW_ROLE_VIEWER, NULL);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tokens WHERE last_used_at IS NULL"), 1);
    assert_int_equal(token_role(db, t), SW_ROLE_VIEWER);
    int64_t first = tu_int(db, "SELECT last_used_at FROM sw_tokens");
    assert_true(first >= T0 && first < T0 + MIN_MS);
    /* within the minute: unchanged */
    sw_clock_set(T0 + 30 * 1000);
    assert_int_equal(token_role(db, t), SW_ROLE_VIEWER);
    assert_int_equal(tu_int(db, "SELECT last_used_at FROM sw_tokens"), first);
    /* a minute later: moved */
    sw_clock_set(first + MIN_MS + 1000);
    assert_int_equal(token_role(db, t), SW_ROLE_VIEWER);
    assert_true(tu_int(db, "SELECT last_used_at FROM sw_tokens") >= first + MIN_MS);
    free(t);
}

/* ---- users ---- */

static void test_user_add(void **state)
{
    struct sw_db *db = *state;
    struct sw_error err = SW_ERROR_INIT;
    add_user(db, "alice", SW_ROLE_ADMIN, "correct horse");
    char *h = text_query(db, "SELECT password_hash FROM sw_users WHERE name = 'alice'");
    assert_non_null(h);
    assert_memory_equal(h, "$argon2id$", 10);
    assert_null(strstr(h, "correct horse"));
    free(h);
    char *role = text_query(db, "SELECT role FROM sw_users WHERE name = 'alice'");
    assert_string_equal(role, "admin");
    free(role);

    /* duplicate → conflict, whatever the role or password */
    assert_int_equal(sw_auth_user_add(db, "alice", SW_ROLE_VIEWER, "other password", &err),
                     SW_ECONFLICT);
    assert_int_equal(err.code, SW_ECONFLICT);
    assert_non_null(strstr(err.message, "exists"));
    sw_error_release(&err);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_users"), 1);

    /* names are case-sensitive: another user */
    add_user(db, "Alice", SW_ROLE_VIEWER, "12345678");

    /* password length 8..1024 */
    assert_int_equal(sw_auth_user_add(db, "bob", SW_ROLE_EDITOR, "1234567", NULL), SW_EINVAL);
    assert_int_equal(sw_auth_user_add(db, "bob", SW_ROLE_EDITOR, "", NULL), SW_EINVAL);
    assert_int_equal(sw_auth_user_add(db, "bob", SW_ROLE_EDITOR, NULL, NULL), SW_EINVAL);
    char big[1026];
    memset(big, 'p', 1025);
    big[1025] = '\0';
    assert_int_equal(sw_auth_user_add(db, "bob", SW_ROLE_EDITOR, big, NULL), SW_EINVAL);
    big[1024] = '\0';
    add_user(db, "bob", SW_ROLE_EDITOR, big);

    /* names: no spaces or control characters, 1..64 bytes; no role */
    assert_int_equal(sw_auth_user_add(db, "", SW_ROLE_EDITOR, "12345678", NULL), SW_EINVAL);
    assert_int_equal(sw_auth_user_add(db, "a b", SW_ROLE_EDITOR, "12345678", NULL), SW_EINVAL);
    assert_int_equal(sw_auth_user_add(db, "a\tb", SW_ROLE_EDITOR, "12345678", NULL), SW_EINVAL);
    assert_int_equal(sw_auth_user_add(db, NULL, SW_ROLE_EDITOR, "12345678", NULL), SW_EINVAL);
    char longname[66];
    memset(longname, 'n', 65);
    longname[65] = '\0';
    assert_int_equal(sw_auth_user_add(db, longname, SW_ROLE_EDITOR, "12345678", NULL), SW_EINVAL);
    longname[64] = '\0';
    add_user(db, longname, SW_ROLE_VIEWER, "12345678");
    add_user(db, "chloé@example.com", SW_ROLE_VIEWER, "12345678");
    assert_int_equal(sw_auth_user_add(db, "carol", SW_ROLE_NONE, "12345678", NULL), SW_EINVAL);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_users"), 5);
}

/* The production cost, recorded in the stored string (m = 64 MiB, t = 2). */
static void test_user_add_interactive_params(void **state)
{
    struct sw_db *db = *state;
#ifdef SW_TEST_HOOKS
    sw_auth_test_cheap_hash(false);
#endif
    add_user(db, "slow", SW_ROLE_VIEWER, "slow password");
#ifdef SW_TEST_HOOKS
    sw_auth_test_cheap_hash(true);
#endif
    char *h = text_query(db, "SELECT password_hash FROM sw_users WHERE name = 'slow'");
    assert_non_null(strstr(h, "$argon2id$v=19$m=65536,t=2,"));
    free(h);
    /* and it verifies although new hashes are now cheap */
    char *sid = NULL;
    assert_int_equal(sw_auth_login(db, "slow", "slow password", &sid, NULL, NULL), 0);
    free(sid);
}

/* ---- sign-in and sessions ---- */

static void test_login(void **state)
{
    struct sw_db *db = *state;
    struct sw_error err = SW_ERROR_INIT;
    char *sid = NULL, *user = NULL;
    enum sw_role role = SW_ROLE_NONE;
    add_user(db, "eve", SW_ROLE_EDITOR, "s3cret-pass");

    assert_int_equal(sw_auth_login(db, "eve", "s3cret-pass", &sid, &role, &err), 0);
    assert_non_null(sid);
    assert_int_equal(role, SW_ROLE_EDITOR);
    assert_int_equal(strlen(sid), 47);
    assert_memory_equal(sid, "sws_", 4);
    /* the session is stored as a hash only */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_sessions"), 1);
    char *hash = text_query(db, "SELECT hash FROM sw_sessions");
    assert_int_equal(strlen(hash), 64);
    assert_null(strstr(hash, sid + 4));
    free(hash);
    assert_int_equal(tu_int(db, "SELECT expires_at - created_at FROM sw_sessions"), 12 * HOUR_MS);

    role = SW_ROLE_NONE;
    assert_int_equal(sw_auth_session_check(db, sid, &role, &user, &err), 0);
    assert_int_equal(role, SW_ROLE_EDITOR);
    assert_string_equal(user, "eve");
    free(user);
    /* a session id is not a token, nor the other way round */
    assert_int_equal(token_role(db, sid), SW_ROLE_NONE);

    /* a second sign-in is another session; both work */
    char *sid2 = NULL;
    assert_int_equal(sw_auth_login(db, "eve", "s3cret-pass", &sid2, NULL, &err), 0);
    assert_string_not_equal(sid, sid2);
    assert_int_equal(sw_auth_session_check(db, sid2, &role, NULL, &err), 0);
    assert_int_equal(role, SW_ROLE_EDITOR);
    free(sid2);
    free(sid);
    sw_error_release(&err);
}

static void test_login_failures_alike(void **state)
{
    struct sw_db *db = *state;
    struct sw_error e1 = SW_ERROR_INIT, e2 = SW_ERROR_INIT, e3 = SW_ERROR_INIT;
    struct sw_error e4 = SW_ERROR_INIT;
    char *sid = (char *)"sentinel";
    enum sw_role role = SW_ROLE_ADMIN;
    add_user(db, "frank", SW_ROLE_VIEWER, "right password");

    assert_int_equal(sw_auth_login(db, "frank", "wrong password", &sid, &role, &e1), SW_EINVAL);
    assert_null(sid);
    assert_int_equal(role, SW_ROLE_NONE);
    assert_int_equal(sw_auth_login(db, "nobody", "right password", &sid, &role, &e2), SW_EINVAL);
    assert_null(sid);
    assert_int_equal(sw_auth_login(db, "frank", "short", &sid, &role, &e3), SW_EINVAL);
    assert_int_equal(sw_auth_login(db, "", "", &sid, &role, &e4), SW_EINVAL);
    assert_null(sid);
    /* one message: no telling which part was wrong */
    assert_non_null(e1.message);
    assert_string_equal(e1.message, e2.message);
    assert_string_equal(e1.message, e3.message);
    assert_string_equal(e1.message, e4.message);
    assert_null(strstr(e1.message, "frank"));
    assert_int_equal(sw_auth_login(db, "FRANK", "right password", &sid, &role, NULL), SW_EINVAL);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_sessions"), 0);
    sw_error_release(&e1);
    sw_error_release(&e2);
    sw_error_release(&e3);
    sw_error_release(&e4);
}

static void test_session_expiry(void **state)
{
    struct sw_db *db = *state;
    char *sid = NULL, *old = NULL, *user = NULL;
    enum sw_role role = SW_ROLE_NONE;
    add_user(db, "gina", SW_ROLE_ADMIN, "password1");
    assert_int_equal(sw_auth_login(db, "gina", "password1", &old, NULL, NULL), 0);
    sw_clock_set(T0 + 6 * HOUR_MS);
    assert_int_equal(sw_auth_login(db, "gina", "password1", &sid, NULL, NULL), 0);

    /* just before the 12 h are up: still valid */
    sw_clock_set(T0 + 12 * HOUR_MS - MIN_MS);
    assert_int_equal(sw_auth_session_check(db, old, &role, NULL, NULL), 0);
    assert_int_equal(role, SW_ROLE_ADMIN);

    /* after: unknown, and the row is gone; the later session lives on */
    sw_clock_set(T0 + 12 * HOUR_MS + MIN_MS);
    assert_int_equal(sw_auth_session_check(db, old, &role, &user, NULL), 0);
    assert_int_equal(role, SW_ROLE_NONE);
    assert_null(user);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_sessions"), 1);
    assert_int_equal(sw_auth_session_check(db, sid, &role, NULL, NULL), 0);
    assert_int_equal(role, SW_ROLE_ADMIN);

    /* a sign-in sweeps expired sessions of everyone */
    sw_clock_set(T0 + 19 * HOUR_MS);
    char *sid3 = NULL;
    assert_int_equal(sw_auth_login(db, "gina", "password1", &sid3, NULL, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_sessions"), 1);
    assert_int_equal(sw_auth_session_check(db, sid, &role, NULL, NULL), 0);
    assert_int_equal(role, SW_ROLE_NONE);
    free(sid3);
    free(sid);
    free(old);
}

static void test_logout(void **state)
{
    struct sw_db *db = *state;
    char *a = NULL, *b = NULL;
    enum sw_role role = SW_ROLE_NONE;
    add_user(db, "hal", SW_ROLE_VIEWER, "password2");
    assert_int_equal(sw_auth_login(db, "hal", "password2", &a, NULL, NULL), 0);
    assert_int_equal(sw_auth_login(db, "hal", "password2", &b, NULL, NULL), 0);
    assert_int_equal(sw_auth_logout(db, a, NULL), 0);
    assert_int_equal(sw_auth_session_check(db, a, &role, NULL, NULL), 0);
    assert_int_equal(role, SW_ROLE_NONE);
    /* only that session ends */
    assert_int_equal(sw_auth_session_check(db, b, &role, NULL, NULL), 0);
    assert_int_equal(role, SW_ROLE_VIEWER);
    /* twice, unknown, empty, NULL: fine */
    assert_int_equal(sw_auth_logout(db, a, NULL), 0);
    assert_int_equal(sw_auth_logout(db, "sws_unknown", NULL), 0);
    assert_int_equal(sw_auth_logout(db, "", NULL), 0);
    assert_int_equal(sw_auth_logout(db, NULL, NULL), 0);
    assert_int_equal(sw_auth_session_check(db, "", &role, NULL, NULL), 0);
    assert_int_equal(role, SW_ROLE_NONE);
    assert_int_equal(sw_auth_session_check(db, NULL, &role, NULL, NULL), 0);
    free(a);
    free(b);
}

/* ---- header values ---- */

static void test_bearer(void **state)
{
    (void)state;
    const char *h = "Bearer swt_abc-_DEF123";
    assert_ptr_equal(sw_auth_bearer(h), h + 7);
    assert_string_equal(sw_auth_bearer("bearer swt_x"), "swt_x");
    assert_string_equal(sw_auth_bearer("BEARER   swt_x"), "swt_x");
    assert_string_equal(sw_auth_bearer("  Bearer\tswt_x"), "swt_x");
    assert_string_equal(sw_auth_bearer("Bearer abc+/=="), "abc+/==");
    assert_null(sw_auth_bearer(NULL));
    assert_null(sw_auth_bearer(""));
    assert_null(sw_auth_bearer("Bearer"));
    assert_null(sw_auth_bearer("Bearer "));
    assert_null(sw_auth_bearer("Bearer    "));
    assert_null(sw_auth_bearer("Bearerswt_x"));
    assert_null(sw_auth_bearer("Basic dXNlcjpwYXNz"));
    assert_null(sw_auth_bearer("Bearer a b"));
    assert_null(sw_auth_bearer("Bearer swt_x "));
    assert_null(sw_auth_bearer("Bearer ==abc"));
    assert_null(sw_auth_bearer("Bearer abc=d"));
    assert_null(sw_auth_bearer("Bearer swt_x\r\nX-Evil: 1"));
    assert_null(sw_auth_bearer("Bearer \"swt_x\""));
}

static void cookie_is(const char *header, const char *name, const char *want)
{
    char *v = sw_auth_cookie(header, name);
    if (!want) {
        if (v) {
            fail_msg("cookie %s in [%s]: got \"%s\", want none", name ? name : "NULL", header ? header : "NULL", v);
        }
        return;
    }
    if (!v || strcmp(v, want) != 0) {
        fail_msg("cookie %s in [%s]: got \"%s\", want \"%s\"", name ? name : "NULL", header ? header : "NULL",
                 v ? v : "(none)", want);
    }
    free(v);
}

static void test_cookie(void **state)
{
    (void)state;
    const char *n = "sw_session";
    cookie_is("sw_session=abc", n, "abc");
    cookie_is("a=1; sw_session=abc; b=2", n, "abc");
    cookie_is("a=1;sw_session=abc;b=2", n, "abc");
    cookie_is("  a=1 ;  sw_session = abc  ; b=2", n, "abc");
    cookie_is("a=1; b=2; sw_session=last", n, "last");
    cookie_is("sw_session=\"quoted\"", n, "quoted");
    cookie_is("sw_session=has=equals", n, "has=equals");
    /* the first non-empty one wins */
    cookie_is("sw_session=one; sw_session=two", n, "one");
    cookie_is("sw_session=; sw_session=two", n, "two");
    /* names match exactly */
    cookie_is("xsw_session=no; sw_session_old=no", n, NULL);
    cookie_is("SW_SESSION=no", n, NULL);
    cookie_is("a=1; xsw_session=no; sw_session=yes", n, "yes");
    /* missing, empty, malformed */
    cookie_is(NULL, n, NULL);
    cookie_is("", n, NULL);
    cookie_is(";;;", n, NULL);
    cookie_is("a=1; b=2", n, NULL);
    cookie_is("sw_session", n, NULL);
    cookie_is("sw_session=", n, NULL);
    cookie_is("sw_session=   ", n, NULL);
    cookie_is("sw_session=\"\"", n, NULL);
    cookie_is("garbage; sw_session=ok", n, "ok");
    cookie_is("a=1", NULL, NULL);
    cookie_is("a=1", "", NULL);
    cookie_is("=v; a=1", n, NULL);
}

static void test_set_cookie(void **state)
{
    char *c = sw_auth_set_cookie("sws_abc-_XYZ");
    assert_string_equal(c, "sw_session=sws_abc-_XYZ; Path=/; HttpOnly; SameSite=Strict; "
                           "Max-Age=43200");
    free(c);
    c = sw_auth_clear_cookie();
    assert_string_equal(c, "sw_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    free(c);
    /* nothing that could break out of the header value */
    assert_null(sw_auth_set_cookie("a; Domain=evil"));
    assert_null(sw_auth_set_cookie("a\r\nSet-Cookie: x=1"));
    assert_null(sw_auth_set_cookie(""));
    assert_null(sw_auth_set_cookie(NULL));
    /* a real session id round-trips through Set-Cookie and Cookie */
    struct sw_db *db = *state;
    add_user(db, "ivy", SW_ROLE_VIEWER, "password3");
    char *sid = NULL;
    assert_int_equal(sw_auth_login(db, "ivy", "password3", &sid, NULL, NULL), 0);
    c = sw_auth_set_cookie(sid);
    assert_non_null(c);
    char header[200];
    snprintf(header, sizeof(header), "theme=dark; %.*s; lang=en", (int)strcspn(c, ";"), c);
    char *back = sw_auth_cookie(header, "sw_session");
    assert_string_equal(back, sid);
    enum sw_role role = SW_ROLE_NONE;
    assert_int_equal(sw_auth_session_check(db, back, &role, NULL, NULL), 0);
    assert_int_equal(role, SW_ROLE_VIEWER);
    free(back);
    free(c);
    free(sid);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles),
        cmocka_unit_test_setup_teardown(test_release_cost, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_create_check, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_stored_hashed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_bad_role, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_revoke, setup, teardown),
        cmocka_unit_test_setup_teardown(test_token_last_used, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_add, setup, teardown),
        cmocka_unit_test_setup_teardown(test_user_add_interactive_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_login_failures_alike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_expiry, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logout, setup, teardown),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_cookie),
        cmocka_unit_test_setup_teardown(test_set_cookie, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
