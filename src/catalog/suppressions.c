/*
 * suppressions.c - see suppressions.h.
 */
#include "catalog/suppressions.h"
#include "catalog/rows.h"
#include "core/buf.h"
#include "core/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

const char *const sw_suppress_reasons[] = {
    "unsubscribe", "hard_bounce", "complaint", "soft_bounces", "manual", "import", NULL};
const char *const sw_suppress_channels[] = {"email", "sms", "push", NULL};

static bool one_of(const char *s, const char *const *list)
{
    for (int i = 0; s && list[i]; i++) {
        if (!strcmp(s, list[i])) {
            return true;
        }
    }
    return false;
}

bool sw_suppress_reason_valid(const char *reason) { return one_of(reason, sw_suppress_reasons); }

bool sw_suppress_channel_valid(const char *channel)
{
    return one_of(channel, sw_suppress_channels);
}

char *sw_address_key(const char *address)
{
    const char *b = address ? address : "";
    while (isspace((unsigned char)*b)) {
        b++;
    }
    size_t n = strlen(b);
    while (n && isspace((unsigned char)b[n - 1])) {
        n--;
    }
    if (!n) {
        return NULL;
    }
    char *k = sw_strndup(b, n);
    for (char *p = k; *p; p++) {
        *p = (char)tolower((unsigned char)*p);
    }
    return k;
}

int sw_suppress_add(struct sw_db *db, const struct sw_suppression *s, bool *added,
                    struct sw_error *err)
{
    char *key = sw_address_key(s->address);
    if (added) {
        *added = false;
    }
    if (!key) {
        return sw_error_set(err, SW_EINVAL, "address: a blank address cannot be suppressed");
    }
    if (!sw_suppress_channel_valid(s->channel)) {
        free(key);
        return sw_error_set(err, SW_EINVAL, "channel: \"%s\" is not email, sms or push",
                            s->channel ? s->channel : "");
    }
    if (!sw_suppress_reason_valid(s->reason)) {
        free(key);
        return sw_error_set(err, SW_EINVAL,
                            "reason: \"%s\" is not unsubscribe, hard_bounce, complaint, "
                            "soft_bounces, manual or import",
                            s->reason ? s->reason : "");
    }
    char *trimmed = sw_strdup(s->address);
    size_t n = strlen(trimmed);
    while (n && isspace((unsigned char)trimmed[n - 1])) {
        trimmed[--n] = '\0';
    }
    const char *addr = trimmed;
    while (isspace((unsigned char)*addr)) {
        addr++;
    }
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, s->channel);
    sw_params_add_text(&p, key);
    sw_params_add_text(&p, addr);
    sw_params_add_text(&p, s->reason);
    sw_params_add_text_or_null(&p, s->detail);
    sw_params_add_int_or_null(&p, s->delivery_id);
    sw_params_add_int(&p, s->created_at);
    sw_params_add_text_or_null(&p, s->created_by);
    struct sw_buf sql = SW_BUF_INIT;
    sw_db_insert_ignore_head(db, &sql);
    sw_buf_puts(&sql, "sw_suppressions (channel, address_key, address, reason, detail, "
                      "delivery_id, created_at, created_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
                      "?8)");
    sw_db_insert_ignore_tail(db, &sql);
    int rc = sw_db_exec_params(db, sql.data, &p, NULL, err);
    if (rc == 0 && added) {
        *added = sw_db_changes(db) > 0;
    }
    sw_buf_release(&sql);
    sw_params_release(&p);
    free(trimmed);
    free(key);
    return rc;
}

int sw_suppress_remove(struct sw_db *db, const char *channel, const char *address, int64_t *removed,
                       struct sw_error *err)
{
    char *key = sw_address_key(address);
    *removed = 0;
    if (!key) {
        return sw_error_set(err, SW_EINVAL, "address: blank");
    }
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, key);
    sw_params_add_text_or_null(&p, channel);
    int rc = sw_db_exec_params(db,
                               "DELETE FROM sw_suppressions WHERE address_key = ?1 AND (?2 IS "
                               "NULL OR channel = ?2)",
                               &p, NULL, err);
    if (rc == 0) {
        *removed = sw_db_changes(db);
    }
    sw_params_release(&p);
    free(key);
    return rc;
}

/* Columns in the order row_cols lists them. */
#define ROW_COLUMNS                                                                                \
    "id, channel, address, address_key, reason, detail, delivery_id, created_at, created_by"

static const struct sw_col row_cols[] = {
    SW_COL(INT, struct sw_suppression_row, id),
    SW_COL(TEXT, struct sw_suppression_row, channel),
    SW_COL(TEXT, struct sw_suppression_row, address),
    SW_COL(TEXT, struct sw_suppression_row, address_key),
    SW_COL(TEXT, struct sw_suppression_row, reason),
    SW_COL(TEXT, struct sw_suppression_row, detail),
    SW_COL(INT, struct sw_suppression_row, delivery_id),
    SW_COL(INT, struct sw_suppression_row, created_at),
    SW_COL(TEXT, struct sw_suppression_row, created_by),
};
static const struct sw_row_type suppression_row =
    SW_ROW_TYPE(struct sw_suppression_row, row_cols, NULL);

void sw_suppression_rows_free(struct sw_suppression_row *rows, size_t n)
{
    sw_rows_free(&suppression_row, rows, n);
}

int sw_suppress_get(struct sw_db *db, const char *channel, const char *address,
                    struct sw_suppression_row *row, struct sw_error *err)
{
    bool found = false;
    int rc = sw_rows_get(db,
                         "SELECT " ROW_COLUMNS " FROM sw_suppressions WHERE channel = ?1 AND "
                         "address_key = lower(trim(?2))",
                         SW_ARGS(SW_TEXT(channel), SW_TEXT(address)), &suppression_row, row, &found,
                         err);
    if (rc == 0 && !found) {
        rc = sw_error_set(err, SW_ENOTFOUND, "%s is not suppressed on %s", address, channel);
    }
    return rc;
}

void sw_suppression_row_release(struct sw_suppression_row *row)
{
    sw_row_release(&suppression_row, row);
}

int sw_suppress_page(struct sw_db *db, const struct sw_suppression_query *q,
                     struct sw_suppression_row **rows, size_t *n, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text_or_null(&p, q->after_key); /* ?1 */
    sw_params_add_int(&p, q->after_id);           /* ?2 */
    sw_params_add_int(&p, q->limit);              /* ?3 */
    sw_params_add_text_or_null(&p, q->prefix);    /* ?4 */
    sw_params_add_text_or_null(&p, q->channel);   /* ?5 */
    sw_params_add_text_or_null(&p, q->reason);    /* ?6 */
    /* A prefix is a range of the address index: address_key >= q AND < q || U+10FFFF. */
    int rc = sw_rows_all(db,
                         "SELECT " ROW_COLUMNS " FROM sw_suppressions WHERE (?1 IS NULL OR "
                         "(address_key, id) > (?1, ?2)) AND (?4 IS NULL OR (address_key >= ?4 "
                         "AND address_key < ?4 || char(1114111))) AND (?5 IS NULL OR channel = "
                         "?5) AND (?6 IS NULL OR reason = ?6) ORDER BY address_key, id LIMIT ?3",
                         &p, &suppression_row, rows, n, err);
    sw_params_release(&p);
    return rc;
}

int sw_suppress_all(struct sw_db *db, const char *channel, struct sw_suppression_row **rows,
                    size_t *n, struct sw_error *err)
{
    return sw_rows_select(db,
                          "SELECT " ROW_COLUMNS " FROM sw_suppressions WHERE ?1 IS NULL OR "
                          "channel = ?1 ORDER BY address_key, channel",
                          SW_ARGS(SW_TEXT_OR_NULL(channel)), &suppression_row, rows, n, err);
}
