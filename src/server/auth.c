/*
 * auth.c - API tokens, UI users and sessions (see auth.h), on libsodium: randombytes for
 * new secrets, BLAKE2b-256 (crypto_generichash) for the stored hashes of tokens and session
 * ids, Argon2id (crypto_pwhash_str) for passwords.
 *
 * A token or session id has 256 random bits, so a fast unsalted hash is enough to store it:
 * nobody can guess a preimage, and an indexed equality lookup on the hash reveals nothing
 * useful through timing. Passwords are low-entropy and get the slow, salted Argon2id.
 *
 * The SQL here is plain and portable (numbered "?N" placeholders, as in the catalog).
 */
#include "server/auth.h"
#include "catalog/auth.h"

#include "core/clock.h"
#include "core/util.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SECRET_BYTES   32
#define HASH_BYTES     32
#define HASH_HEX_LEN   (2 * HASH_BYTES + 1)
#define TOKEN_PREFIX   "swt_"
#define SESSION_PREFIX "sws_"
/* Longer presented credentials cannot be ours; refusing them early bounds the hashing work. */
#define SECRET_MAX_LEN    256
#define LAST_USED_STEP_MS (60LL * 1000)

static const char bad_login[] = "invalid username or password";

/* ---- one-time initialisation ---------------------------------------------------------- */

static pthread_once_t sodium_once = PTHREAD_ONCE_INIT;
static int sodium_ok;

static void sodium_setup(void) { sodium_ok = sodium_init() >= 0; }

static int ensure_sodium(struct sw_error *err)
{
    pthread_once(&sodium_once, sodium_setup);
    if (!sodium_ok) {
        return sw_error_set(err, SW_EIO, "cannot initialise libsodium");
    }
    return 0;
}

#ifdef SW_TEST_HOOKS
static atomic_bool cheap_hash;

void sw_auth_test_cheap_hash(bool on)
{
    atomic_store(&cheap_hash, on);
}
#endif

static void pwhash_limits(unsigned long long *ops, size_t *mem)
{
    *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
#ifdef SW_TEST_HOOKS
    if (atomic_load(&cheap_hash)) {
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
    }
#endif
}

/* A hash of a random password, verified in place of a missing user's so that a sign-in
 * for an unknown name costs about as much as one with a wrong password. */
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[crypto_pwhash_STRBYTES];
static int dummy_ok;

static void dummy_setup(void)
{
    unsigned char pw[16];
    unsigned long long ops;
    size_t mem;
    randombytes_buf(pw, sizeof(pw));
    pwhash_limits(&ops, &mem);
    dummy_ok = crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof(pw), ops, mem) == 0;
    sodium_memzero(pw, sizeof(pw));
}

/* Always fails (nobody knows the dummy password); returns the verify result only because
 * libsodium insists that it be used. */
static int burn_dummy_verify(const char *password)
{
    pthread_once(&dummy_once, dummy_setup);
    if (!dummy_ok) {
        return -1;
    }
    size_t n = password ? strnlen(password, SW_AUTH_PASSWORD_MAX + 1) : 0;
    return crypto_pwhash_str_verify(dummy_hash, password ? password : "", n);
}

/* ---- roles ---------------------------------------------------------------------------- */

const char *sw_role_name(enum sw_role r)
{
    switch (r) {
    case SW_ROLE_VIEWER:
        return "viewer";
    case SW_ROLE_EDITOR:
        return "editor";
    case SW_ROLE_ADMIN:
        return "admin";
    case SW_ROLE_NONE:
        break;
    }
    return "none";
}

int sw_role_parse(const char *s, enum sw_role *out)
{
    static const enum sw_role roles[] = {SW_ROLE_VIEWER, SW_ROLE_EDITOR, SW_ROLE_ADMIN};
    for (size_t i = 0; s && i < sizeof(roles) / sizeof(roles[0]); i++) {
        if (!strcmp(s, sw_role_name(roles[i]))) {
            *out = roles[i];
            return 0;
        }
    }
    return SW_EINVAL;
}

void sw_auth_secret_free(char *secret)
{
    if (secret) {
        sodium_memzero(secret, strlen(secret));
        free(secret);
    }
}

/* ---- secrets and their hashes --------------------------------------------------------- */

/* prefix + base64url (no padding) of 32 random bytes: 43 characters, cookie- and
 * header-safe. */
static char *new_secret(const char *prefix)
{
    unsigned char raw[SECRET_BYTES];
    char b64[sodium_base64_ENCODED_LEN(SECRET_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(b64, sizeof(b64), raw, sizeof(raw), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = sw_asprintf("%s%s", prefix, b64);
    sodium_memzero(raw, sizeof(raw));
    sodium_memzero(b64, sizeof(b64));
    return s;
}

static void secret_hash(const char *secret, char hex[HASH_HEX_LEN])
{
    unsigned char h[HASH_BYTES];
    crypto_generichash(h, sizeof(h), (const unsigned char *)secret, strlen(secret), NULL, 0);
    sodium_bin2hex(hex, HASH_HEX_LEN, h, sizeof(h));
}

/* A presented credential worth looking up: present and not absurdly long. */
static int plausible_secret(const char *s)
{
    return s && *s && strnlen(s, SECRET_MAX_LEN + 1) <= SECRET_MAX_LEN;
}

/* The catalog key of a secret a client presents (a token, a session cookie): its hash in
 * hex, and 1; 0 when it cannot be one of ours (nothing to look up); or an error. */
static int presented_key(const char *secret, char hex[HASH_HEX_LEN], struct sw_error *err)
{
    int rc = ensure_sodium(err);
    if (rc < 0 || !plausible_secret(secret)) {
        return rc;
    }
    secret_hash(secret, hex);
    return 1;
}

/* ---- tokens --------------------------------------------------------------------------- */

int sw_auth_token_create(struct sw_db *db, enum sw_role role, const char *name, char **token,
                         int64_t *id, struct sw_error *err)
{
    int rc;
    char hex[HASH_HEX_LEN];
    char *t = NULL;
    struct sw_catalog cat = {db};
    *token = NULL;
    if ((rc = ensure_sodium(err)) < 0) {
        goto out;
    }
    if (role < SW_ROLE_VIEWER || role > SW_ROLE_ADMIN) {
        rc = sw_error_set(err, SW_EINVAL, "a token needs a role: viewer, editor or admin");
        goto out;
    }
    if (name && strnlen(name, 201) > 200) {
        rc = sw_error_set(err, SW_EINVAL, "token name is longer than 200 bytes");
        goto out;
    }
    t = new_secret(TOKEN_PREFIX);
    secret_hash(t, hex);
    rc = sw_catalog_token_add(&cat, name, sw_role_name(role), hex, sw_clock_now_ms(), id, err);
    if (rc < 0) {
        goto out;
    }
    *token = t;
    t = NULL; /* the caller owns it now */
out:
    sw_auth_secret_free(t);
    return rc;
}

int sw_auth_token_check(struct sw_db *db, const char *token, enum sw_role *role,
                        struct sw_error *err)
{
    struct sw_principal who;
    int rc = sw_auth_token_lookup(db, token, &who, err);
    *role = who.role;
    return rc;
}

int sw_auth_token_lookup(struct sw_db *db, const char *token, struct sw_principal *who,
                         struct sw_error *err)
{
    int rc;
    char hex[HASH_HEX_LEN];
    struct sw_catalog cat = {db};
    struct sw_token_row t = {0};
    bool found = false;
    memset(who, 0, sizeof(*who));
    if ((rc = presented_key(token, hex, err)) <= 0 ||
        (rc = sw_catalog_token_by_hash(&cat, hex, &t, &found, err)) < 0) {
        goto out;
    }
    enum sw_role r = SW_ROLE_NONE;
    if (found && sw_role_parse(t.role, &r) == 0) {
        who->role = r;
        who->token_id = t.id;
        snprintf(who->token_name, sizeof(who->token_name), "%s", t.name ? t.name : "");
    }
    int64_t now = sw_clock_now_ms();
    if (who->role != SW_ROLE_NONE && (!t.last_used_at || now - t.last_used_at >= LAST_USED_STEP_MS)) {
        /* Bookkeeping, not access control: a failed write (a busy database) must not turn
         * a valid token away, so its error is dropped. */
        (void)sw_catalog_token_used(&cat, t.id, now, NULL);
    }
out:
    sw_token_row_release(&t);
    return rc;
}

int sw_auth_token_revoke(struct sw_db *db, int64_t id, struct sw_error *err)
{
    struct sw_catalog cat = {db};
    return sw_catalog_token_delete(&cat, id, err);
}

/* ---- users and sessions --------------------------------------------------------------- */

/* 1..64 bytes, no spaces or control characters (UTF-8 letters are fine). */
static int valid_user_name(const char *s)
{
    size_t n = s ? strnlen(s, SW_AUTH_USER_NAME_MAX + 1) : 0;
    if (n == 0 || n > SW_AUTH_USER_NAME_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c == 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int password_length_ok(const char *pw, size_t *len)
{
    *len = pw ? strnlen(pw, SW_AUTH_PASSWORD_MAX + 1) : 0;
    return *len >= SW_AUTH_PASSWORD_MIN && *len <= SW_AUTH_PASSWORD_MAX;
}

int sw_auth_user_add(struct sw_db *db, const char *name, enum sw_role role, const char *password,
                     struct sw_error *err)
{
    int rc;
    size_t pwlen;
    unsigned long long ops;
    size_t mem;
    bool added = false;
    char hash[crypto_pwhash_STRBYTES];
    struct sw_catalog cat = {db};
    if ((rc = ensure_sodium(err)) < 0) {
        goto out;
    }
    if (!valid_user_name(name)) {
        rc = sw_error_set(err, SW_EINVAL,
                          "a user name has 1 to %d characters, without spaces or control "
                          "characters",
                          SW_AUTH_USER_NAME_MAX);
        goto out;
    }
    if (role < SW_ROLE_VIEWER || role > SW_ROLE_ADMIN) {
        rc = sw_error_set(err, SW_EINVAL, "a user needs a role: viewer, editor or admin");
        goto out;
    }
    if (!password_length_ok(password, &pwlen)) {
        rc = sw_error_set(err, SW_EINVAL, "a password has %d to %d bytes", SW_AUTH_PASSWORD_MIN,
                          SW_AUTH_PASSWORD_MAX);
        goto out;
    }
    /* Checked first so that a duplicate costs no Argon2 run; the insert below still settles
     * a race between two adds of the same name. */
    if (sw_catalog_user_exists(&cat, name)) {
        rc = sw_error_set(err, SW_ECONFLICT, "user \"%s\" already exists", name);
        goto out;
    }
    pwhash_limits(&ops, &mem);
    if (crypto_pwhash_str(hash, password, pwlen, ops, mem) != 0) {
        rc = sw_error_set(err, SW_ENOMEM, "cannot hash the password: out of memory");
        goto out;
    }
    if ((rc = sw_catalog_user_add(&cat, name, sw_role_name(role), hash, sw_clock_now_ms(), &added,
                                  err)) < 0) {
        goto out;
    }
    if (!added) {
        rc = sw_error_set(err, SW_ECONFLICT, "user \"%s\" already exists", name);
    }
out:
    return rc;
}

int sw_auth_login(struct sw_db *db, const char *name, const char *password, char **session,
                  enum sw_role *role, struct sw_error *err)
{
    int rc;
    size_t pwlen = 0;
    int64_t user_id = 0;
    int found = 0, ok = 0;
    enum sw_role r = SW_ROLE_NONE;
    char hash[crypto_pwhash_STRBYTES];
    char hex[HASH_HEX_LEN];
    char *sid = NULL;
    struct sw_catalog cat = {db};
    *session = NULL;
    if (role) {
        *role = SW_ROLE_NONE;
    }
    if ((rc = ensure_sodium(err)) < 0) {
        goto out;
    }
    memset(hash, 0, sizeof(hash));
    if (valid_user_name(name) && password_length_ok(password, &pwlen)) {
        struct sw_user_row u;
        bool exists = false;
        if ((rc = sw_catalog_user_by_name(&cat, name, &u, &exists, err)) < 0) {
            goto out;
        }
        const char *stored = exists ? u.password_hash : NULL;
        if (stored && strlen(stored) < sizeof(hash) && sw_role_parse(u.role, &r) == 0) {
            found = 1;
            user_id = u.id;
            memcpy(hash, stored, strlen(stored));
        }
        if (u.password_hash) {
            sodium_memzero(u.password_hash, strlen(u.password_hash));
        }
        sw_user_row_release(&u);
    }
    if (found) {
        ok = crypto_pwhash_str_verify(hash, password, pwlen) == 0;
    } else {
        (void)burn_dummy_verify(password);
    }
    if (!ok) {
        rc = sw_error_set(err, SW_EINVAL, "%s", bad_login);
        goto out;
    }
    int64_t now = sw_clock_now_ms();
    if ((rc = sw_catalog_sessions_expire(&cat, now, err)) < 0) {
        goto out;
    }
    sid = new_secret(SESSION_PREFIX);
    secret_hash(sid, hex);
    if ((rc = sw_catalog_session_add(&cat, hex, user_id, now, now + SW_AUTH_SESSION_TTL_MS, err)) <
        0) {
        goto out;
    }
    *session = sid;
    sid = NULL; /* the caller owns it now */
    if (role) {
        *role = r;
    }
out:
    sw_auth_secret_free(sid);
    return rc;
}

int sw_auth_session_check(struct sw_db *db, const char *session, enum sw_role *role, char **user,
                          struct sw_error *err)
{
    struct sw_principal who;
    int rc = sw_auth_session_lookup(db, session, &who, err);
    *role = who.role;
    if (user) {
        *user = who.role != SW_ROLE_NONE ? sw_strdup(who.user) : NULL;
    }
    return rc;
}

int sw_auth_session_lookup(struct sw_db *db, const char *session, struct sw_principal *who,
                           struct sw_error *err)
{
    int rc;
    char hex[HASH_HEX_LEN];
    struct sw_catalog cat = {db};
    struct sw_session_row s = {0};
    bool found = false;
    memset(who, 0, sizeof(*who));
    if ((rc = presented_key(session, hex, err)) <= 0 ||
        (rc = sw_catalog_session_by_hash(&cat, hex, &s, &found, err)) < 0 || !found) {
        goto out;
    }
    enum sw_role r = SW_ROLE_NONE;
    if (s.expires_at <= sw_clock_now_ms()) {
        /* Best effort, like the sweep at sign-in: the answer is "not signed in" either way. */
        (void)sw_catalog_session_delete(&cat, hex, NULL);
    } else if (sw_role_parse(s.user.role, &r) == 0) {
        who->role = r;
        snprintf(who->user, sizeof(who->user), "%s", s.user.name ? s.user.name : "");
        who->user_id = s.user.id;
        who->expires_at = s.expires_at;
    }
out:
    sw_user_row_release(&s.user);
    return rc;
}

int sw_auth_logout(struct sw_db *db, const char *session, struct sw_error *err)
{
    int rc;
    char hex[HASH_HEX_LEN];
    struct sw_catalog cat = {db};
    if ((rc = presented_key(session, hex, err)) <= 0) {
        return rc;
    }
    return sw_catalog_session_delete(&cat, hex, err);
}

/* ---- sign-in throttling -------------------------------------------------------------- */

#define THROTTLE_SLOTS   4096
#define THROTTLE_KEY_MAX 80
#define THROTTLE_IDLE_MS (3600LL * 1000)

struct throttle_slot {
    char key[THROTTLE_KEY_MAX]; /* "u:NAME" or "a:ADDRESS"; "" = free */
    int64_t failures;           /* attempts in a row not followed by a success */
    int64_t until_ms;           /* no attempt before this */
    int64_t last_ms;            /* the last attempt */
};

static pthread_mutex_t throttle_mu = PTHREAD_MUTEX_INITIALIZER;
static struct throttle_slot throttle[THROTTLE_SLOTS];

/* The slot of key; with create, a new one in a free slot, else in the slot of the entry least
 * recently used among those not waiting, else of the least recently used (so a flood of
 * names evicts idle entries first). Entries quiet for an hour are forgotten on the way.
 * Called with the mutex held. */
static struct throttle_slot *throttle_slot(const char *kind, const char *name, int64_t now,
                                           int create)
{
    char key[THROTTLE_KEY_MAX];
    struct throttle_slot *free_slot = NULL, *idle = NULL, *oldest = NULL;
    snprintf(key, sizeof(key), "%s%s", kind, name);
    for (size_t i = 0; i < THROTTLE_SLOTS; i++) {
        struct throttle_slot *t = &throttle[i];
        if (t->key[0] && create && now - t->last_ms > THROTTLE_IDLE_MS && t->until_ms <= now) {
            t->key[0] = '\0';
        }
        if (!t->key[0]) {
            free_slot = free_slot ? free_slot : t;
            continue;
        }
        if (!strcmp(t->key, key)) {
            return t;
        }
        if (t->until_ms <= now && (!idle || t->last_ms < idle->last_ms)) {
            idle = t;
        }
        if (!oldest || t->last_ms < oldest->last_ms) {
            oldest = t;
        }
    }
    if (!create) {
        return NULL;
    }
    struct throttle_slot *t = free_slot ? free_slot : idle ? idle : oldest;
    memset(t, 0, sizeof(*t));
    snprintf(t->key, sizeof(t->key), "%s", key);
    return t;
}

static int64_t wait_ms(const struct throttle_slot *t, int64_t now)
{
    return t && t->until_ms > now ? t->until_ms - now : 0;
}

/* One more attempt counted; past `free` failures the next attempt waits 1 s, doubling. */
static void throttle_count(struct throttle_slot *t, int64_t free_failures, int64_t now)
{
    t->failures++;
    t->last_ms = now;
    if (t->failures >= free_failures) {
        int64_t shift = t->failures - free_failures;
        int64_t s = shift >= 10 ? SW_AUTH_THROTTLE_MAX_S : (int64_t)1 << shift;
        t->until_ms = now + (s < SW_AUTH_THROTTLE_MAX_S ? s : SW_AUTH_THROTTLE_MAX_S) * 1000;
    }
}

int64_t sw_auth_throttle_begin(const char *user, const char *addr, int64_t now_ms)
{
    pthread_mutex_lock(&throttle_mu);
    struct throttle_slot *u = user ? throttle_slot("u:", user, now_ms, 1) : NULL;
    struct throttle_slot *a = addr ? throttle_slot("a:", addr, now_ms, 1) : NULL;
    int64_t w = wait_ms(u, now_ms), wa = wait_ms(a, now_ms);
    if (wa > w) {
        w = wa;
    }
    if (w == 0) {
        if (u) {
            throttle_count(u, SW_AUTH_THROTTLE_USER_FREE, now_ms);
        }
        if (a) {
            throttle_count(a, SW_AUTH_THROTTLE_ADDR_FREE, now_ms);
        }
    }
    pthread_mutex_unlock(&throttle_mu);
    return w ? (w + 999) / 1000 : 0;
}

void sw_auth_throttle_success(const char *user, const char *addr)
{
    pthread_mutex_lock(&throttle_mu);
    struct throttle_slot *u = user ? throttle_slot("u:", user, 0, 0) : NULL;
    struct throttle_slot *a = addr ? throttle_slot("a:", addr, 0, 0) : NULL;
    if (u) {
        u->failures = 0;
        u->until_ms = 0;
    }
    if (a && a->failures > 0) {
        a->failures--; /* this attempt was counted when it began; it did not fail */
        if (a->failures < SW_AUTH_THROTTLE_ADDR_FREE) {
            a->until_ms = 0;
        }
    }
    pthread_mutex_unlock(&throttle_mu);
}

void sw_auth_throttle_clear(void)
{
    pthread_mutex_lock(&throttle_mu);
    memset(throttle, 0, sizeof(throttle));
    pthread_mutex_unlock(&throttle_mu);
}

/* ---- header values -------------------------------------------------------------------- */

static int is_ows(char c) { return c == ' ' || c == '\t'; }

/* token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=" */
static int is_token68(const char *s)
{
    const char *p = s;
    while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
           (*p && strchr("-._~+/", *p))) {
        p++;
    }
    if (p == s) {
        return 0;
    }
    while (*p == '=') {
        p++;
    }
    return *p == '\0';
}

const char *sw_auth_bearer(const char *authorization)
{
    const char *p = authorization;
    if (!p) {
        return NULL;
    }
    while (is_ows(*p)) {
        p++;
    }
    if (strncasecmp(p, "Bearer", 6) != 0 || !is_ows(p[6])) {
        return NULL;
    }
    p += 6;
    while (is_ows(*p)) {
        p++;
    }
    return is_token68(p) ? p : NULL;
}

char *sw_auth_cookie(const char *cookie_header, const char *name)
{
    const char *p = cookie_header;
    size_t nlen = name ? strlen(name) : 0;
    if (!p || nlen == 0) {
        return NULL;
    }
    while (*p) {
        while (is_ows(*p) || *p == ';') {
            p++;
        }
        const char *pair = p, *end = strchr(p, ';');
        if (!end) {
            end = p + strlen(p);
        }
        p = end;
        const char *eq = memchr(pair, '=', (size_t)(end - pair));
        if (!eq) {
            continue;
        }
        const char *ne = eq;
        while (ne > pair && is_ows(ne[-1])) {
            ne--;
        }
        if ((size_t)(ne - pair) != nlen || memcmp(pair, name, nlen) != 0) {
            continue;
        }
        const char *v = eq + 1, *ve = end;
        while (v < ve && is_ows(*v)) {
            v++;
        }
        while (ve > v && is_ows(ve[-1])) {
            ve--;
        }
        if (ve - v >= 2 && *v == '"' && ve[-1] == '"') {
            v++;
            ve--;
        }
        /* An empty value (a cleared cookie) is as good as none; a later pair may still
         * carry one. */
        if (ve > v) {
            return sw_strndup(v, (size_t)(ve - v));
        }
    }
    return NULL;
}

/* cookie-octet (RFC 6265 §4.1.1): visible ASCII except DQUOTE, comma, semicolon, backslash. */
static int is_cookie_value(const char *s)
{
    if (!s || !*s) {
        return 0;
    }
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x21 || c > 0x7e || c == '"' || c == ',' || c == ';' || c == '\\') {
            return 0;
        }
    }
    return 1;
}

/* No "Secure": the daemon also serves plain HTTP on localhost, where a Secure cookie would
 * never be sent back. Deployments behind TLS get it from the proxy or a later option. */
#define COOKIE_ATTRS "; Path=/; HttpOnly; SameSite=Strict"

char *sw_auth_set_cookie(const char *session)
{
    if (!is_cookie_value(session)) {
        return NULL;
    }
    return sw_asprintf(SW_AUTH_COOKIE_NAME "=%s" COOKIE_ATTRS "; Max-Age=%lld", session,
                       (long long)(SW_AUTH_SESSION_TTL_MS / 1000));
}

char *sw_auth_clear_cookie(void)
{
    return sw_strdup(SW_AUTH_COOKIE_NAME "=" COOKIE_ATTRS "; Max-Age=0");
}
