/*
 * auth.c - see auth.h.
 */
#include "catalog/auth.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* id, name, role, created_at, last_used_at */
static const struct sw_col token_cols[] = {
    SW_COL(INT, struct sw_token_row, id),           SW_COL(TEXT, struct sw_token_row, name),
    SW_COL(TEXT, struct sw_token_row, role),        SW_COL(INT, struct sw_token_row, created_at),
    SW_COL(INT, struct sw_token_row, last_used_at),
};
static const struct sw_row_type token_row = SW_ROW_TYPE(struct sw_token_row, token_cols, NULL);

/* id, name, role, password_hash */
static const struct sw_col user_cols[] = {
    SW_COL(INT, struct sw_user_row, id),
    SW_COL(TEXT, struct sw_user_row, name),
    SW_COL(TEXT, struct sw_user_row, role),
    SW_COL(TEXT, struct sw_user_row, password_hash),
};
static const struct sw_row_type user_row = SW_ROW_TYPE(struct sw_user_row, user_cols, NULL);

/* s.expires_at, then the user: id, name, role */
static const struct sw_col session_cols[] = {
    SW_COL(INT, struct sw_session_row, expires_at),
    SW_COL(INT, struct sw_session_row, user.id),
    SW_COL(TEXT, struct sw_session_row, user.name),
    SW_COL(TEXT, struct sw_session_row, user.role),
};
static const struct sw_row_type session_row =
    SW_ROW_TYPE(struct sw_session_row, session_cols, NULL);

void sw_token_row_release(struct sw_token_row *t) { sw_row_release(&token_row, t); }

void sw_token_rows_free(struct sw_token_row *rows, size_t n) { sw_rows_free(&token_row, rows, n); }

void sw_user_row_release(struct sw_user_row *u) { sw_row_release(&user_row, u); }

int sw_catalog_token_add(struct sw_catalog *cat, const char *name, const char *role,
                         const char *hash, int64_t now_ms, int64_t *id, struct sw_error *err)
{
    int64_t new_id = 0;
    int rc = sw_rows_insert(cat->db,
                            "INSERT INTO sw_tokens(name, role, hash, created_at) "
                            "VALUES (?1, ?2, ?3, ?4)",
                            SW_ARGS(SW_TEXT_OR_NULL(name && *name ? name : NULL), SW_TEXT(role),
                                    SW_TEXT(hash), SW_INT(now_ms)),
                            &new_id, err);
    if (id) {
        *id = new_id;
    }
    return rc;
}

int sw_catalog_token_by_hash(struct sw_catalog *cat, const char *hash, struct sw_token_row *out,
                             bool *found, struct sw_error *err)
{
    return sw_rows_get(cat->db,
                       "SELECT id, name, role, created_at, last_used_at FROM sw_tokens "
                       "WHERE hash = ?1",
                       SW_ARGS(SW_TEXT(hash)), &token_row, out, found, err);
}

int sw_catalog_token_used(struct sw_catalog *cat, int64_t id, int64_t now_ms, struct sw_error *err)
{
    /* The WHERE keeps concurrent checks from moving the value backwards. */
    return sw_rows_exec(cat->db,
                        "UPDATE sw_tokens SET last_used_at = ?2 WHERE id = ?1 "
                        "AND (last_used_at IS NULL OR last_used_at < ?2)",
                        SW_ARGS(SW_INT(id), SW_INT(now_ms)), NULL, err);
}

int sw_catalog_token_delete(struct sw_catalog *cat, int64_t id, struct sw_error *err)
{
    int64_t changes = 0;
    int rc = sw_rows_exec(cat->db, "DELETE FROM sw_tokens WHERE id = ?1", SW_ARGS(SW_INT(id)),
                          &changes, err);
    if (rc == 0 && changes == 0) {
        rc = sw_error_set(err, SW_ENOTFOUND, "no token with id %lld", (long long)id);
    }
    return rc;
}

int sw_catalog_tokens(struct sw_catalog *cat, struct sw_token_row **rows, size_t *n,
                      struct sw_error *err)
{
    return sw_rows_all(cat->db,
                       "SELECT id, name, role, created_at, last_used_at FROM sw_tokens ORDER BY id",
                       NULL, &token_row, rows, n, err);
}

bool sw_catalog_user_exists(struct sw_catalog *cat, const char *name)
{
    int64_t n = 0;
    sw_rows_query_int(cat->db, "SELECT count(*) FROM sw_users WHERE name = ?1",
                      SW_ARGS(SW_TEXT(name)), &n, NULL);
    return n > 0;
}

int sw_catalog_user_add(struct sw_catalog *cat, const char *name, const char *role,
                        const char *password_hash, int64_t now_ms, bool *added,
                        struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_buf sql = SW_BUF_INIT;
    int64_t n = 0;
    int rc;
    *added = false;
    sw_params_add_text(&p, name);
    sw_params_add_text(&p, role);
    sw_params_add_text(&p, password_hash);
    sw_params_add_int(&p, now_ms);
    sw_db_insert_ignore_head(cat->db, &sql);
    sw_buf_puts(&sql, "sw_users(name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)");
    sw_db_insert_ignore_tail(cat->db, &sql);
    if ((rc = sw_buf_error(&sql)) < 0) {
        rc = sw_error_set(err, rc, "out of memory");
    } else if ((rc = sw_db_exec_params(cat->db, sql.data, &p, &n, err)) == 0) {
        *added = n > 0;
    }
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_user_by_name(struct sw_catalog *cat, const char *name, struct sw_user_row *out,
                            bool *found, struct sw_error *err)
{
    return sw_rows_get(cat->db,
                       "SELECT id, name, role, password_hash FROM sw_users WHERE name = ?1",
                       SW_ARGS(SW_TEXT(name)), &user_row, out, found, err);
}

int sw_catalog_sessions_expire(struct sw_catalog *cat, int64_t now_ms, struct sw_error *err)
{
    return sw_rows_exec(cat->db, "DELETE FROM sw_sessions WHERE expires_at <= ?1",
                        SW_ARGS(SW_INT(now_ms)), NULL, err);
}

int sw_catalog_session_add(struct sw_catalog *cat, const char *hash, int64_t user_id,
                           int64_t now_ms, int64_t expires_at, struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "INSERT INTO sw_sessions(hash, user_id, created_at, expires_at) "
                        "VALUES (?1, ?2, ?3, ?4)",
                        SW_ARGS(SW_TEXT(hash), SW_INT(user_id), SW_INT(now_ms), SW_INT(expires_at)),
                        NULL, err);
}

int sw_catalog_session_by_hash(struct sw_catalog *cat, const char *hash, struct sw_session_row *out,
                               bool *found, struct sw_error *err)
{
    return sw_rows_get(cat->db,
                       "SELECT s.expires_at, u.id, u.name, u.role FROM sw_sessions s "
                       "JOIN sw_users u ON u.id = s.user_id WHERE s.hash = ?1",
                       SW_ARGS(SW_TEXT(hash)), &session_row, out, found, err);
}

int sw_catalog_session_delete(struct sw_catalog *cat, const char *hash, struct sw_error *err)
{
    return sw_rows_exec(cat->db, "DELETE FROM sw_sessions WHERE hash = ?1", SW_ARGS(SW_TEXT(hash)),
                        NULL, err);
}
