/*
 * secrets.c - see secrets.h.
 */
#include "catalog/secrets.h"
#include "catalog/rows.h"
#include "core/buf.h"

int sw_secrets_count(struct sw_db *db, int64_t *n, struct sw_error *err)
{
    return sw_db_query_int(db, "SELECT count(*) FROM sw_secrets", NULL, n, err);
}

int sw_secrets_add(struct sw_db *db, const char *hex, int64_t *kid, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_buf sql = SW_BUF_INIT;
    sw_params_add_text(&p, hex);
    /* created_at is the database's clock, not STEPWISE_NOW's: when the secret really came. */
    sw_buf_printf(&sql,
                  "INSERT INTO sw_secrets (kid, secret, created_at) VALUES ((SELECT "
                  "coalesce(max(kid), 0) + 1 FROM sw_secrets), ?1, %s)",
                  sw_dialect_now_ms(sw_db_dialect(db)));
    int rc = sw_db_exec_params(db, sql.data, &p, NULL, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    if (rc == 0) {
        rc = sw_db_query_int(db, "SELECT max(kid) FROM sw_secrets", NULL, kid, err);
    }
    return rc;
}

/* Where sw_secrets_newest hands each (kid, secret). */
struct secret {
    void (*fn)(void *ud, int64_t kid, const char *hex);
    void *ud;
};

static void secret_row(struct sw_stmt *st, void *ud)
{
    struct secret *s = ud;
    s->fn(s->ud, sw_stmt_column_int(st, 0), sw_stmt_column_text(st, 1));
}

int sw_secrets_newest(struct sw_db *db, int max, void (*fn)(void *ud, int64_t kid, const char *hex),
                      void *ud, struct sw_error *err)
{
    struct secret s = {fn, ud};
    return sw_rows_each(db,
                        "SELECT kid, secret FROM (SELECT kid, secret FROM sw_secrets ORDER BY "
                        "kid DESC LIMIT ?1) ORDER BY kid",
                        SW_ARGS(SW_INT(max)), secret_row, &s, err);
}
