/*
 * auth.h - who may call the API: API tokens, UI users and their sign-in sessions, and the
 * parsing of the HTTP header values that carry them (RFC 6750 bearer tokens, RFC 6265
 * cookies).
 *
 * Nothing secret is stored or logged in clear. A token or session id is 32 random bytes
 * shown once to its owner; the catalog keeps only its BLAKE2b-256 hash (sw_tokens.hash,
 * sw_sessions.hash), so a lookup is an equality match on the hash and a stolen catalog
 * yields no usable credential. Passwords are stored as Argon2id strings (crypto_pwhash_str),
 * which record their own parameters.
 *
 * Roles are ordered: a caller with role R may do what any role <= R may do.
 *
 * New passwords are hashed at libsodium's interactive Argon2id cost. Only a test build
 * (SW_TEST_HOOKS) can lower it, through the test-only setting argon2_fast; verification reads
 * the cost from the stored string either way.
 */
#ifndef SW_AUTH_H
#define SW_AUTH_H

#include "core/error.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

enum sw_role { SW_ROLE_NONE = 0, SW_ROLE_VIEWER = 1, SW_ROLE_EDITOR = 2, SW_ROLE_ADMIN = 3 };

#define SW_AUTH_SESSION_TTL_MS (12LL * 3600 * 1000)
#define SW_AUTH_COOKIE_NAME    "sw_session"
#define SW_AUTH_PASSWORD_MIN   8
#define SW_AUTH_PASSWORD_MAX   1024

#ifdef SW_TEST_HOOKS
/* Test builds only: hash new passwords at libsodium's minimum Argon2id cost (the setting
 * argon2_fast), so that tests creating users do not spend 64 MiB and a tenth of a second on
 * each. A release build has neither this function nor the setting. */
void sw_auth_test_cheap_hash(bool on);
#endif
#define SW_AUTH_USER_NAME_MAX  64

/* "viewer", "editor", "admin", or "none". */
const char *sw_role_name(enum sw_role r);
/* "viewer" | "editor" | "admin" (exactly) → 0; anything else → SW_EINVAL, *out untouched. */
int sw_role_parse(const char *s, enum sw_role *out);

/* Zero a secret (a token, a session id) and free it; accepts NULL. */
void sw_auth_secret_free(char *secret);

/* A new API token: returns the clear token once (malloc'd, "swt_" + 43 base64url characters
 * of 32 random bytes); only its hash is stored. name may be NULL; *id (may be NULL) gets the
 * token's id. The caller frees the token with sw_auth_secret_free. */
int sw_auth_token_create(struct sw_db *db, enum sw_role role, const char *name, char **token,
                         int64_t *id, struct sw_error *err);
/* Check a bearer token: *role = its role, or SW_ROLE_NONE when unknown (that is not an error;
 * errors are database failures). Updates last_used_at at most once a minute. */
int sw_auth_token_check(struct sw_db *db, const char *token, enum sw_role *role,
                        struct sw_error *err);
/* Delete a token by its row id; SW_ENOTFOUND when there is none. */
int sw_auth_token_revoke(struct sw_db *db, int64_t id, struct sw_error *err);

/* A UI user. name: 1..64 bytes without spaces or control characters; password:
 * 8..1024 bytes. An existing name → SW_ECONFLICT. */
int sw_auth_user_add(struct sw_db *db, const char *name, enum sw_role role, const char *password,
                     struct sw_error *err);
/* Sign in: on success *session is a new session id (malloc'd clear value for the cookie; its
 * hash is stored) valid SW_AUTH_SESSION_TTL_MS, and *role (may be NULL) the user's role.
 * A wrong user or password → SW_EINVAL with one generic message and about the same time
 * either way (a dummy hash is verified when the user does not exist). Expired sessions are
 * swept here. */
int sw_auth_login(struct sw_db *db, const char *name, const char *password, char **session,
                  enum sw_role *role, struct sw_error *err);
/* Check a session id: *role = the user's role, or SW_ROLE_NONE when unknown or expired (an
 * expired row is deleted). *user (user may be NULL) gets the malloc'd user name, or NULL. */
int sw_auth_session_check(struct sw_db *db, const char *session, enum sw_role *role, char **user,
                          struct sw_error *err);
/* Delete the session; an unknown one is not an error (signing out twice is fine). */
int sw_auth_logout(struct sw_db *db, const char *session, struct sw_error *err);

/* Who a request comes from: a token (token_id > 0) or a signed-in user (user_id > 0). */
struct sw_principal {
    enum sw_role role;    /* SW_ROLE_NONE: nobody */
    int64_t token_id;
    char token_name[201]; /* "" when it has none */
    int64_t user_id;
    char user[SW_AUTH_USER_NAME_MAX + 1]; /* sessions */
    int64_t expires_at;   /* the session's end (ms); 0 for tokens */
};
/* sw_auth_token_check / sw_auth_session_check that say who: *who is filled (role NONE when
 * unknown, which is not an error). */
int sw_auth_token_lookup(struct sw_db *db, const char *token, struct sw_principal *who,
                         struct sw_error *err);
int sw_auth_session_lookup(struct sw_db *db, const char *session, struct sw_principal *who,
                           struct sw_error *err);

/* Sign-in throttling, in the memory of this process (one daemon; a fixed-size table behind a
 * mutex, so a flood of names cannot grow it). Failures in a row are counted per user name
 * and per client address; past SW_AUTH_THROTTLE_USER_FREE failures for a name (or
 * SW_AUTH_THROTTLE_ADDR_FREE for an address) every further attempt must wait, 1 s doubling
 * with each failure up to SW_AUTH_THROTTLE_MAX_S. A success resets the name's count and takes
 * back its own attempt from the address's (an address counts failures only); a name or
 * address quiet for an hour is forgotten. Attempts are counted when they begin (before the
 * password is checked), so parallel attempts cannot slip past the count.
 *
 * sw_auth_throttle_begin: 0 when this attempt may go on (it is counted), else the seconds to
 * wait (nothing is counted: the caller answers 429 with Retry-After). user or addr may be
 * NULL. now_ms: a monotonic clock. */
#define SW_AUTH_THROTTLE_USER_FREE 5
#define SW_AUTH_THROTTLE_ADDR_FREE 30
#define SW_AUTH_THROTTLE_MAX_S     900
int64_t sw_auth_throttle_begin(const char *user, const char *addr, int64_t now_ms);
void sw_auth_throttle_success(const char *user, const char *addr);
void sw_auth_throttle_clear(void); /* forget everything (tests) */

/* The credentials of "Authorization: Bearer X" (scheme case-insensitive, RFC 7235): a
 * pointer into the input, or NULL when the value is missing, another scheme, or X is not
 * token68 syntax (RFC 7235 §2.1; so no embedded or trailing spaces). */
const char *sw_auth_bearer(const char *authorization);
/* The value of cookie `name` in a Cookie header value "a=1; sw_session=Y; b=2" (malloc'd,
 * surrounding double quotes removed), or NULL when absent or empty. */
char *sw_auth_cookie(const char *cookie_header, const char *name);
/* Set-Cookie values: "sw_session=...; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200",
 * and one that clears it (Max-Age=0). sw_auth_set_cookie returns NULL when session holds
 * characters a cookie value may not (it never does for ids from sw_auth_login). */
char *sw_auth_set_cookie(const char *session);
char *sw_auth_clear_cookie(void);

#endif
