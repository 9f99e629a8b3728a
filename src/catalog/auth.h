/*
 * auth.h - who may call: API tokens (sw_tokens), UI users (sw_users) and their sessions
 * (sw_sessions). Secrets are never stored: tokens and session ids by their BLAKE2b hash (hex),
 * passwords as Argon2id strings; server/auth.c makes and checks them. A role is stored as its
 * text (viewer, editor, admin).
 */
#ifndef SW_CATALOG_AUTH_H
#define SW_CATALOG_AUTH_H

#include "catalog/catalog.h"

#include <stdbool.h>
#include <stdint.h>

struct sw_token_row {
    int64_t id;
    char *name; /* or NULL */
    char *role;
    int64_t created_at, last_used_at; /* last_used_at 0: never */
};
void sw_token_row_release(struct sw_token_row *t); /* accepts a zeroed row */
void sw_token_rows_free(struct sw_token_row *rows, size_t n);

/* *id (may be NULL) gets the new token's id. */
int sw_catalog_token_add(struct sw_catalog *cat, const char *name, const char *role,
                         const char *hash, int64_t now_ms, int64_t *id, struct sw_error *err);
/* The token with this hash: *found says whether there is one. */
int sw_catalog_token_by_hash(struct sw_catalog *cat, const char *hash, struct sw_token_row *out,
                             bool *found, struct sw_error *err);
/* Record a use at now (never moving the time backwards). */
int sw_catalog_token_used(struct sw_catalog *cat, int64_t id, int64_t now_ms,
                          struct sw_error *err);
/* SW_ENOTFOUND when there is no such token. */
int sw_catalog_token_delete(struct sw_catalog *cat, int64_t id, struct sw_error *err);
/* Every token, by id. */
int sw_catalog_tokens(struct sw_catalog *cat, struct sw_token_row **rows, size_t *n,
                      struct sw_error *err);

struct sw_user_row {
    int64_t id;
    char *name, *role, *password_hash;
};
void sw_user_row_release(struct sw_user_row *u); /* accepts a zeroed row */

bool sw_catalog_user_exists(struct sw_catalog *cat, const char *name);
/* *added is false when the name was taken meanwhile. */
int sw_catalog_user_add(struct sw_catalog *cat, const char *name, const char *role,
                        const char *password_hash, int64_t now_ms, bool *added,
                        struct sw_error *err);
int sw_catalog_user_by_name(struct sw_catalog *cat, const char *name, struct sw_user_row *out,
                            bool *found, struct sw_error *err);

/* A session: its user's row, and when it expires. */
struct sw_session_row {
    int64_t expires_at;
    struct sw_user_row user; /* without the password hash */
};
/* Sessions expired by now go first (a sweep at each sign-in). */
int sw_catalog_sessions_expire(struct sw_catalog *cat, int64_t now_ms, struct sw_error *err);
int sw_catalog_session_add(struct sw_catalog *cat, const char *hash, int64_t user_id,
                           int64_t now_ms, int64_t expires_at, struct sw_error *err);
int sw_catalog_session_by_hash(struct sw_catalog *cat, const char *hash,
                               struct sw_session_row *out, bool *found, struct sw_error *err);
int sw_catalog_session_delete(struct sw_catalog *cat, const char *hash, struct sw_error *err);

#endif
