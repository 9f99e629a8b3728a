/*
 * dialect.c - SQL text per dialect (see db.h): the placeholder rewrite, and each construct
 * that SQLite and PostgreSQL spell differently. Only text is written here; the drivers run
 * it. Every sw_dialect_* function has a case per dialect, so that a PostgreSQL driver needs
 * no change outside db/ and the unit tests check both spellings without a server.
 */
#include "db/db.h"

#include <stdio.h>
#include <string.h>

/* Copy sql[i..] up to and including the character `close` (a doubled close, as in 'it''s',
 * simply closes and reopens); returns the index after it (or the end of the string). */
static size_t copy_quoted(struct sw_buf *out, const char *sql, size_t i, char close)
{
    size_t j = i + 1;
    while (sql[j] && sql[j] != close) {
        j++;
    }
    if (sql[j]) {
        j++;
    }
    sw_buf_add(out, sql + i, j - i);
    return j;
}

static size_t copy_comment(struct sw_buf *out, const char *sql, size_t i)
{
    size_t j = i + 2;
    if (sql[i] == '-') {
        while (sql[j] && sql[j] != '\n') {
            j++;
        }
    } else {
        while (sql[j] && !(sql[j] == '*' && sql[j + 1] == '/')) {
            j++;
        }
        j += sql[j] ? 2 : 0;
    }
    sw_buf_add(out, sql + i, j - i);
    return j;
}

void sw_dialect_sql(enum sw_dialect d, struct sw_buf *out, const char *sql)
{
    char mark = d == SW_DIALECT_POSTGRES ? '$' : '?';
    size_t i = 0;
    while (sql[i]) {
        char c = sql[i];
        if (c == '\'' || c == '"') {
            i = copy_quoted(out, sql, i, c);
        } else if ((c == '-' && sql[i + 1] == '-') || (c == '/' && sql[i + 1] == '*')) {
            i = copy_comment(out, sql, i);
        } else if (c == '?' && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
            sw_buf_putc(out, mark);
            i++;
        } else {
            sw_buf_putc(out, c);
            i++;
        }
    }
}

void sw_db_ident(struct sw_buf *sql, const char *name)
{
    sw_buf_putc(sql, '"');
    for (const char *p = name; *p; p++) {
        if (*p == '"') {
            sw_buf_putc(sql, '"');
        }
        sw_buf_putc(sql, *p);
    }
    sw_buf_putc(sql, '"');
}

const char *sw_dialect_utc_fn(enum sw_dialect d)
{
    return d == SW_DIALECT_POSTGRES ? "" : "datetime";
}

bool sw_dialect_native_dates(enum sw_dialect d)
{
    return d == SW_DIALECT_POSTGRES;
}

const char *sw_dialect_like_ci(enum sw_dialect d)
{
    return d == SW_DIALECT_POSTGRES ? "ILIKE" : "LIKE";
}

const char *sw_dialect_no_index(enum sw_dialect d)
{
    return d == SW_DIALECT_SQLITE ? "NOT INDEXED" : NULL;
}

const char *sw_dialect_now_ms(enum sw_dialect d)
{
    return d == SW_DIALECT_POSTGRES
               ? "CAST(extract(epoch FROM clock_timestamp()) * 1000 AS bigint)"
               : "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)";
}

void sw_dialect_upsert(enum sw_dialect d, struct sw_buf *sql, const char *conflict,
                       const char *set)
{
    /* Both dialects spell it the same (SQLite since 3.24); a third one may not. */
    (void)d;
    sw_buf_puts(sql, " ON CONFLICT");
    if (conflict) {
        sw_buf_printf(sql, " (%s)", conflict);
    }
    if (conflict && set) {
        sw_buf_printf(sql, " DO UPDATE SET %s", set);
    } else {
        sw_buf_puts(sql, " DO NOTHING");
    }
}

void sw_dialect_insert_ignore_head(enum sw_dialect d, struct sw_buf *sql)
{
    sw_buf_puts(sql, d == SW_DIALECT_SQLITE ? "INSERT OR IGNORE INTO " : "INSERT INTO ");
}

void sw_dialect_insert_ignore_tail(enum sw_dialect d, struct sw_buf *sql)
{
    if (d == SW_DIALECT_POSTGRES) {
        sw_dialect_upsert(d, sql, NULL, NULL);
    }
}

void sw_db_insert_ignore_head(const struct sw_db *db, struct sw_buf *sql)
{
    sw_dialect_insert_ignore_head(sw_db_dialect(db), sql);
}

void sw_db_insert_ignore_tail(const struct sw_db *db, struct sw_buf *sql)
{
    sw_dialect_insert_ignore_tail(sw_db_dialect(db), sql);
}

void sw_dialect_json_get(enum sw_dialect d, struct sw_buf *sql, const char *expr, const char *path,
                         enum sw_vtype type)
{
    if (d == SW_DIALECT_SQLITE) {
        sw_buf_printf(sql, "json_extract(%s, '$.%s')", expr, path);
        return;
    }
    const char *cast = type == SW_V_INT ? "bigint" : type == SW_V_REAL ? "double precision" : NULL;
    sw_buf_printf(sql, "%sCAST(%s AS jsonb) ", cast ? "CAST(" : "(", expr);
    if (strchr(path, '.')) {
        sw_buf_puts(sql, "#>> '{");
        for (const char *p = path; *p; p++) {
            sw_buf_putc(sql, *p == '.' ? ',' : *p);
        }
        sw_buf_puts(sql, "}'");
    } else {
        sw_buf_printf(sql, "->> '%s'", path);
    }
    if (cast) {
        sw_buf_printf(sql, " AS %s)", cast);
    } else {
        sw_buf_putc(sql, ')');
    }
}

void sw_db_json_get(const struct sw_db *db, struct sw_buf *sql, const char *expr, const char *path,
                    enum sw_vtype type)
{
    sw_dialect_json_get(sw_db_dialect(db), sql, expr, path, type);
}

void sw_dialect_json_each(enum sw_dialect d, struct sw_buf *sql, const char *expr,
                          const char *alias)
{
    if (d == SW_DIALECT_SQLITE) {
        /* json_each fails on malformed text; NULL gives no rows */
        sw_buf_printf(sql, "json_each(CASE WHEN json_valid(%s) THEN %s END) %s", expr, expr,
                      alias);
    } else {
        sw_buf_printf(sql, "jsonb_each(CASE WHEN %s IS JSON OBJECT THEN CAST(%s AS jsonb) END) %s",
                      expr, expr, alias);
    }
}

void sw_db_json_each(const struct sw_db *db, struct sw_buf *sql, const char *expr,
                     const char *alias)
{
    sw_dialect_json_each(sw_db_dialect(db), sql, expr, alias);
}

const char *sw_dialect_json_object_fn(enum sw_dialect d)
{
    return d == SW_DIALECT_POSTGRES ? "json_build_object" : "json_object";
}

const char *sw_db_json_object_fn(const struct sw_db *db)
{
    return sw_dialect_json_object_fn(sw_db_dialect(db));
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;
    for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
        n += (*u & 0xC0) != 0x80;
    }
    return n;
}

/* Whether every continuation byte of s follows a lead byte (or another continuation): then
 * s splits into characters here as the trigram tokenizer splits it. */
static bool utf8_split_alike(const char *s)
{
    unsigned char prev = 0;
    for (const unsigned char *u = (const unsigned char *)s; *u; prev = *u++) {
        if ((*u & 0xC0) == 0x80 && prev < 0x80) {
            return false;
        }
    }
    return true;
}

/* The bytes of the first `chars` UTF-8 characters of s (fewer when s ends first). */
static size_t utf8_span(const char *s, size_t chars)
{
    size_t len = 0;
    for (size_t c = 0; s[len] && c < chars; c++) {
        do {
            len++;
        } while ((s[len] & 0xC0) == 0x80);
    }
    return len;
}

/* s (len bytes) as one quoted FTS5 string: a phrase of its trigrams. */
static void fts_string(struct sw_buf *out, const char *s, size_t len)
{
    sw_buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') {
            sw_buf_putc(out, '"');
        }
        sw_buf_putc(out, s[i]);
    }
    sw_buf_putc(out, '"');
}

void sw_dialect_text_search(enum sw_dialect d, const struct sw_text_search *ts, const char *q,
                            struct sw_buf *cond, struct sw_buf *count, struct sw_params *params)
{
    struct sw_buf arg = SW_BUF_INIT;
    int n;
    if (d == SW_DIALECT_SQLITE && utf8_chars(q) >= 3) {
        /* The trigram index needs 3 characters; the query is one quoted FTS5 string. */
        fts_string(&arg, q, strlen(q));
        n = sw_params_add_text(params, arg.data);
        sw_buf_printf(cond, "%s.id IN (SELECT rowid FROM %s_fts WHERE %s_fts MATCH ?%d)",
                      ts->alias, ts->table, ts->table, n);
        if (count) {
            sw_buf_printf(count, "SELECT count(*) FROM %s_fts WHERE %s_fts MATCH ?%d", ts->table,
                          ts->table, n);
        }
    } else if (d == SW_DIALECT_SQLITE) {
        char ph[16];
        (void)snprintf(ph, sizeof(ph), "?%d", sw_params_add_text(params, q));
        sw_buf_putc(cond, '(');
        for (size_t i = 0; ts->columns[i]; i++) {
            sw_buf_printf(&arg, "coalesce(%s.%s, '')", ts->alias, ts->columns[i]);
            sw_buf_printf(cond, "%sinstr(", i ? " OR " : "");
            sw_dialect_fold(d, cond, arg.data);
            sw_buf_puts(cond, ", ");
            sw_dialect_fold(d, cond, ph);
            sw_buf_puts(cond, ") > 0");
            sw_buf_reset(&arg);
        }
        sw_buf_putc(cond, ')');
    } else {
        /* ILIKE with the user's text taken literally */
        sw_buf_putc(&arg, '%');
        for (const char *s = q; *s; s++) {
            if (*s == '%' || *s == '_' || *s == '\\') {
                sw_buf_putc(&arg, '\\');
            }
            sw_buf_putc(&arg, *s);
        }
        sw_buf_putc(&arg, '%');
        n = sw_params_add_text(params, arg.data);
        sw_buf_putc(cond, '(');
        for (size_t i = 0; ts->columns[i]; i++) {
            sw_buf_printf(cond, "%s%s.%s ILIKE ?%d ESCAPE '\\'", i ? " OR " : "", ts->alias,
                          ts->columns[i], n);
        }
        sw_buf_putc(cond, ')');
    }
    sw_buf_release(&arg);
}

/* The probe of one trigram reads at most this many of its rows (their rowids). */
#define TRIGRAM_PROBE 64
/* At most this many of q's trigrams are probed. */
#define TRIGRAM_PROBES 12

/* About how many rows hold the trigram starting at s (its 3 characters), from the rowid
 * span of its first TRIGRAM_PROBE rows (exact when it has fewer). */
static int64_t trigram_rows(struct sw_db *db, const struct sw_text_search *ts, const char *s,
                            int64_t max_id)
{
    struct sw_buf sql = SW_BUF_INIT, arg = SW_BUF_INIT;
    struct sw_stmt *st = NULL;
    int64_t n = 0, first = 0, last = 0, est = INT64_MAX;
    fts_string(&arg, s, utf8_span(s, 3));
    sw_buf_printf(&sql, "SELECT rowid FROM %s_fts WHERE %s_fts MATCH ?1 LIMIT %d", ts->table,
                  ts->table, TRIGRAM_PROBE);
    if (sw_db_prepare(db, sql.data, &st, NULL) == 0 &&
        sw_stmt_bind_text(st, 1, arg.data) == 0) {
        while (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
            last = sw_stmt_column_int(st, 0);
            first = n++ ? first : last;
        }
        est = n < TRIGRAM_PROBE ? n : n * max_id / (last > first ? last - first + 1 : 1);
    }
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    sw_buf_release(&arg);
    return est;
}

bool sw_db_text_search(struct sw_db *db, const struct sw_text_search *ts, const char *q,
                       int64_t few, struct sw_buf *cond, struct sw_buf *count,
                       struct sw_params *params)
{
    struct sw_buf sql = SW_BUF_INIT;
    const char *rare = NULL;
    int64_t max_id = 0, best = INT64_MAX;
    size_t chars = utf8_chars(q);
    if (sw_db_dialect(db) != SW_DIALECT_SQLITE || chars < 3 || !utf8_split_alike(q)) {
        sw_dialect_text_search(sw_db_dialect(db), ts, q, cond, count, params);
        return false;
    }
    /* The rarest of q's trigrams: a row holding q holds each of them. */
    sw_buf_printf(&sql, "SELECT coalesce(max(id), 0) FROM %s", ts->table);
    sw_db_query_int(db, sql.data, NULL, &max_id, NULL);
    const char *s = q;
    for (size_t i = 0; i + 3 <= chars && i < TRIGRAM_PROBES; i++) {
        int64_t n = trigram_rows(db, ts, s, max_id);
        if (n < best) {
            best = n;
            rare = s;
        }
        s += utf8_span(s, 1);
    }
    sw_buf_release(&sql);
    if (!rare || best > few) {
        sw_dialect_text_search(sw_db_dialect(db), ts, q, cond, count, params);
        return false;
    }
    /* The rare trigram's rows are the candidates, each checked exactly (sqlite.c). */
    struct sw_buf tri = SW_BUF_INIT;
    fts_string(&tri, rare, utf8_span(rare, 3));
    int nt = sw_params_add_text(params, tri.data);
    int nq = sw_params_add_text(params, q);
    sw_buf_printf(cond, "(%s.id IN (SELECT rowid FROM %s_fts WHERE %s_fts MATCH ?%d) AND "
                        "sw_trigram_has(?%d",
                  ts->alias, ts->table, ts->table, nt, nq);
    for (size_t i = 0; ts->columns[i]; i++) {
        sw_buf_printf(cond, ", %s.%s", ts->alias, ts->columns[i]);
    }
    sw_buf_puts(cond, "))");
    sw_buf_release(&tri);
    return true;
}

void sw_dialect_seeded_random(enum sw_dialect d, struct sw_buf *sql, int seed_param,
                              const char *key_expr)
{
    /* sw_rand is the driver's own function on every dialect (sqlite.c registers it). */
    (void)d;
    sw_buf_printf(sql, "sw_rand(?%d, %s)", seed_param, key_expr);
}

void sw_db_seeded_random(const struct sw_db *db, struct sw_buf *sql, int seed_param,
                         const char *key_expr)
{
    sw_dialect_seeded_random(sw_db_dialect(db), sql, seed_param, key_expr);
}

void sw_dialect_date_iso(enum sw_dialect d, struct sw_buf *sql, const char *expr,
                         enum sw_date_fmt date_fmt)
{
    if (d == SW_DIALECT_POSTGRES) {
        sw_buf_puts(sql, "to_char(");
        if (date_fmt == SW_DATE_EPOCH_S) {
            sw_buf_printf(sql, "to_timestamp(%s)", expr);
        } else if (date_fmt == SW_DATE_EPOCH_MS) {
            sw_buf_printf(sql, "to_timestamp((%s) / 1000.0)", expr);
        } else {
            sw_buf_printf(sql, "CAST(%s AS timestamptz)", expr);
        }
        sw_buf_puts(sql, " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')");
        return;
    }
    switch (date_fmt) {
    case SW_DATE_EPOCH_S:
        sw_buf_printf(sql, "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %s, 'unixepoch')", expr);
        break;
    case SW_DATE_EPOCH_MS:
        sw_buf_printf(sql, "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', (%s) / 1000, 'unixepoch')", expr);
        break;
    default:
        sw_buf_printf(sql, "strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', %s)", expr);
        break;
    }
}

void sw_db_date_iso(const struct sw_db *db, struct sw_buf *sql, const char *expr,
                    enum sw_date_fmt date_fmt)
{
    sw_dialect_date_iso(sw_db_dialect(db), sql, expr, date_fmt);
}

const char *sw_dialect_lookup_join(enum sw_dialect d)
{
    return d == SW_DIALECT_SQLITE ? "CROSS JOIN" : "JOIN";
}

const char *sw_db_lookup_join(const struct sw_db *db)
{
    return sw_dialect_lookup_join(sw_db_dialect(db));
}

void sw_dialect_fold(enum sw_dialect d, struct sw_buf *sql, const char *expr)
{
    sw_buf_printf(sql, d == SW_DIALECT_POSTGRES ? "lower(%s)" : "sw_fold(%s)", expr);
}

const char *sw_dialect_type_name(enum sw_dialect d, enum sw_type t)
{
    bool pg = d == SW_DIALECT_POSTGRES;
    switch (t) {
    case SW_T_INT:
    case SW_T_BOOL:
        return pg ? "bigint" : "INTEGER";
    case SW_T_REAL:
        return pg ? "double precision" : "REAL";
    case SW_T_TEXT:
    case SW_T_DATE: /* ISO-8601 text in work tables */
        return "TEXT";
    case SW_T_UNKNOWN:
        break;
    }
    return "";
}

const char *sw_db_type_name(const struct sw_db *db, enum sw_type t)
{
    return sw_dialect_type_name(sw_db_dialect(db), t);
}

int sw_db_insert_id(struct sw_db *db, const char *insert, const struct sw_params *params,
                    int64_t *id, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_stmt *st = NULL;
    int rc;
    *id = 0;
    sw_buf_printf(&sql, "%s RETURNING id", insert);
    if ((rc = sw_buf_error(&sql)) < 0) {
        rc = sw_error_set(err, rc, "out of memory");
        goto out;
    }
    if ((rc = sw_db_prepare(db, sql.data, &st, err)) < 0 ||
        (rc = sw_stmt_bind_params(st, params, err)) < 0) {
        goto out;
    }
    /* Step to the end: the statement is complete only then on every driver. */
    while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        *id = sw_stmt_column_int(st, 0);
    }
out:
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    return rc < 0 ? rc : 0;
}
