/*
 * sqlite.c - the SQLite driver: the embedded default data source and catalog.
 *
 * Connections run in WAL mode with a busy timeout so that the daemon's readers never block
 * on a running targeting statement. A seeded hash function, sw_rand(seed, key), gives
 * repeatable random sampling (SQLite's random() cannot be seeded).
 */
#include "db/db.h"
#include "core/util.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sw_db {
    enum sw_dialect dialect;
    char *url;
    sqlite3 *h;
    int in_tx;
};

struct sw_stmt {
    struct sw_db *db;
    sqlite3_stmt *st;
    bool stepped; /* a row came back since the last reset: a failure is no longer retried */
    bool own_tx;  /* the statement runs in a transaction it opened (see schema_pinned) */
};

static int db_error(struct sw_db *db, struct sw_error *err, const char *what)
{
    const char *msg = db->h ? sqlite3_errmsg(db->h) : "no connection";
    return sw_error_set(err, SW_EDB, "%s: %s", what, msg);
}

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* sw_rand(seed, key): a 63-bit hash of the key under the seed. Integer keys are mixed
 * directly; other keys are hashed from their text (FNV-1a) first. */
static void fn_rand(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    uint64_t seed = (uint64_t)sqlite3_value_int64(argv[0]);
    uint64_t h;
    if (sqlite3_value_type(argv[1]) == SQLITE_INTEGER) {
        h = (uint64_t)sqlite3_value_int64(argv[1]);
    } else {
        const unsigned char *t = sqlite3_value_text(argv[1]);
        int n = sqlite3_value_bytes(argv[1]);
        h = 1469598103934665603ULL;
        for (int i = 0; t && i < n; i++) {
            h = (h ^ t[i]) * 1099511628211ULL;
        }
    }
    (void)argc;
    sqlite3_result_int64(ctx, (int64_t)(mix64(h ^ mix64(seed)) >> 1));
}

/* sw_fold(text): lower case for ASCII, Latin-1 and Latin Extended-A (the letters of most
 * European languages), for case-insensitive substring search; SQLite's lower() folds ASCII
 * only. Other characters pass through unchanged. */
static void fn_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    const unsigned char *t = sqlite3_value_text(argv[0]);
    int n = sqlite3_value_bytes(argv[0]);
    (void)argc;
    if (!t) {
        sqlite3_result_null(ctx);
        return;
    }
    unsigned char *o = sqlite3_malloc(n + 1);
    if (!o) {
        sqlite3_result_error_nomem(ctx);
        return;
    }
    for (int i = 0; i < n; i++) {
        unsigned char c = t[i];
        if (c >= 'A' && c <= 'Z') {
            o[i] = (unsigned char)(c + 32);
        } else if (c == 0xC3 && i + 1 < n && t[i + 1] >= 0x80 && t[i + 1] <= 0x9E &&
                   t[i + 1] != 0x97) {
            /* U+00C0..U+00DE (not U+00D7, the multiplication sign): +0x20 */
            o[i] = c;
            o[i + 1] = (unsigned char)(t[i + 1] + 0x20);
            i++;
        } else if ((c == 0xC4 || c == 0xC5) && i + 1 < n) {
            /* U+0100..U+017F: pairs, upper case on even code points (mostly) */
            unsigned cp = ((unsigned)(c & 0x1F) << 6) | (t[i + 1] & 0x3F);
            bool odd_upper = (cp >= 0x139 && cp <= 0x148) || (cp >= 0x179 && cp <= 0x17E);
            if (cp != 0x130 && cp != 0x138 && cp != 0x149 && cp != 0x178 && cp != 0x17F &&
                ((odd_upper && cp % 2 == 1) || (!odd_upper && cp % 2 == 0))) {
                cp++;
            }
            o[i] = (unsigned char)(0xC0 | (cp >> 6));
            o[i + 1] = (unsigned char)(0x80 | (cp & 0x3F));
            i++;
        } else {
            o[i] = c;
        }
    }
    o[n] = '\0';
    sqlite3_result_text(ctx, (const char *)o, n, sqlite3_free);
}

/* sw_trigram_has(q, text, ...): 1 when one of the texts contains q as the FTS5 trigram
 * tokenizer sees them, that is exactly when the phrase "q" matches that text in a trigram
 * index: both are folded by the tokenizer itself (its own case folding, whatever the
 * SQLite version), the text rebuilt from its trigrams. An ASCII text folds as the
 * tokenizer folds ASCII (A-Z to a-z), without the tokenizer. The folded q is kept as the
 * call's auxiliary data, so a statement folds it once. */
struct trigram {
    fts5_tokenizer tk;
    Fts5Tokenizer *tok;
};

struct folded {
    struct sw_buf text;
    char last[16]; /* the last trigram seen (the tokenizer's buffer is its own), its length */
    int nlast;
};

static int utf8_len(unsigned char c)
{
    return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

static int fold_token(void *ctx, int flags, const char *tok, int n, int start, int end)
{
    struct folded *f = ctx;
    int first = utf8_len((unsigned char)tok[0]);
    (void)flags, (void)start, (void)end;
    sw_buf_add(&f->text, tok, (size_t)(first < n ? first : n));
    f->nlast = n < (int)sizeof(f->last) ? n : (int)sizeof(f->last);
    memcpy(f->last, tok, (size_t)f->nlast);
    return SQLITE_OK;
}

/* The folded text of t (n bytes) into out; false when it has fewer than 3 characters. */
static bool trigram_fold(struct trigram *tg, const char *t, int n, struct sw_buf *out)
{
    struct folded f = {.text = SW_BUF_INIT};
    bool ok = false;
    if (tg->tk.xTokenize(tg->tok, &f, FTS5_TOKENIZE_DOCUMENT, t, n, fold_token) == SQLITE_OK &&
        f.nlast) {
        int first = utf8_len((unsigned char)f.last[0]);
        if (first < f.nlast) {
            sw_buf_add(&f.text, f.last + first, (size_t)(f.nlast - first));
        }
        ok = !f.text.err;
        sw_buf_add(out, f.text.data, f.text.len);
    }
    sw_buf_release(&f.text);
    return ok;
}

/* Whether t (n bytes) contains the folded q, folding t's ASCII letters on the way (a text
 * the tokenizer folded has none left to fold). */
static bool ascii_has(const unsigned char *t, size_t n, const struct sw_buf *q)
{
    for (size_t i = 0; i + q->len <= n; i++) {
        size_t j = 0;
        while (j < q->len && (t[i + j] >= 'A' && t[i + j] <= 'Z' ? t[i + j] + 32 : t[i + j]) ==
                                 (unsigned char)q->data[j]) {
            j++;
        }
        if (j == q->len) {
            return true;
        }
    }
    return false;
}

static void folded_free(void *p)
{
    sw_buf_release(p);
    free(p);
}

static void fn_trigram_has(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    struct trigram *tg = sqlite3_user_data(ctx);
    struct sw_buf *q = sqlite3_get_auxdata(ctx, 0);
    struct sw_buf text = SW_BUF_INIT;
    int found = 0;
    if (!q) {
        const char *qt = (const char *)sqlite3_value_text(argv[0]);
        q = sw_calloc(1, sizeof(*q));
        if (!qt || !trigram_fold(tg, qt, sqlite3_value_bytes(argv[0]), q)) {
            sw_buf_reset(q); /* no trigram: nothing matches */
        }
        sqlite3_set_auxdata(ctx, 0, q, folded_free);
        if (!(q = sqlite3_get_auxdata(ctx, 0))) {
            sqlite3_result_error_nomem(ctx);
            return;
        }
    }
    for (int i = 1; i < argc && q->len && !found; i++) {
        const unsigned char *t = sqlite3_value_text(argv[i]);
        size_t n = (size_t)sqlite3_value_bytes(argv[i]);
        bool ascii = true;
        for (size_t k = 0; t && k < n && ascii; k++) {
            ascii = t[k] < 0x80;
        }
        if (!t) {
            continue;
        }
        if (ascii) {
            found = ascii_has(t, n, q);
        } else {
            sw_buf_reset(&text);
            found = trigram_fold(tg, (const char *)t, (int)n, &text) &&
                    ascii_has((const unsigned char *)text.data, text.len, q);
        }
    }
    sw_buf_release(&text);
    sqlite3_result_int(ctx, found);
}

static void trigram_free(void *p)
{
    struct trigram *tg = p;
    if (tg) {
        tg->tk.xDelete(tg->tok);
        free(tg);
    }
}

/* The trigram tokenizer of the connection's FTS5, or NULL. */
static struct trigram *trigram_new(sqlite3 *h)
{
    fts5_api *api = NULL;
    sqlite3_stmt *st = NULL;
    void *ud = NULL;
    struct trigram *tg = sw_calloc(1, sizeof(*tg));
    if (sqlite3_prepare_v2(h, "SELECT fts5(?1)", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL) == SQLITE_OK) {
        (void)sqlite3_step(st);
    }
    sqlite3_finalize(st);
    if (!api || api->xFindTokenizer(api, "trigram", &ud, &tg->tk) != SQLITE_OK ||
        tg->tk.xCreate(ud, NULL, 0, &tg->tok) != SQLITE_OK) {
        free(tg);
        return NULL;
    }
    return tg;
}

static const char *strip_url(const char *url)
{
    if (strncmp(url, "sqlite://", 9) == 0) {
        return url + 9;
    }
    if (strncmp(url, "sqlite:", 7) == 0) {
        return url + 7;
    }
    return url;
}

int sw_db_open(const char *url, struct sw_db **out, struct sw_error *err)
{
    struct sw_db *db = NULL;
    int rc = 0;
    *out = NULL;
    if (!url || !*url) {
        return sw_error_set(err, SW_EINVAL, "no data source given (--data)");
    }
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        return sw_error_set(err, SW_EUNSUPPORTED,
                            "PostgreSQL data sources are not supported by this build yet");
    }
    db = sw_calloc(1, sizeof(*db));
    db->dialect = SW_DIALECT_SQLITE;
    db->url = sw_strdup(url);
    const char *path = strip_url(url);
    /* A data source must exist: a mistyped path is an error, not a new empty database.
     * Only ":memory:" (tests) is created. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
    if (!strcmp(path, ":memory:")) {
        flags |= SQLITE_OPEN_CREATE;
    }
    if (sqlite3_open_v2(path, &db->h, flags, NULL) != SQLITE_OK) {
        rc = sw_error_set(err, SW_EINVAL, "cannot open data source %s: %s", path,
                          db->h ? sqlite3_errmsg(db->h) : "out of memory");
        goto out;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, 30000);
    if (sqlite3_create_function(db->h, "sw_rand", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                fn_rand, NULL, NULL) != SQLITE_OK ||
        sqlite3_create_function(db->h, "sw_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                fn_fold, NULL, NULL) != SQLITE_OK) {
        rc = db_error(db, err, "sw_rand");
        goto out;
    }
    struct trigram *tg = trigram_new(db->h);
    if (!tg || sqlite3_create_function_v2(db->h, "sw_trigram_has", -1,
                                          SQLITE_UTF8 | SQLITE_DETERMINISTIC, tg, fn_trigram_has,
                                          NULL, NULL, trigram_free) != SQLITE_OK) {
        rc = db_error(db, err, "sw_trigram_has");
        goto out;
    }
    /* Fail early with a clear message when the file is not a database. The page cache is
     * 8 MiB: SQLite's sorters (window functions, ORDER BY) take up to that much each before
     * spilling to temporary files, which keeps the engine's memory flat at any audience size
     * (the targeting target is 64 MiB peak). */
    rc = sw_db_exec(db,
                    "PRAGMA foreign_keys=OFF; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                    "PRAGMA temp_store=FILE; PRAGMA cache_size=-8000;",
                    err);
    if (rc < 0) {
        goto out;
    }
    *out = db;
    db = NULL;
out:
    sw_db_close(db);
    return rc;
}

void sw_db_close(struct sw_db *db)
{
    if (!db) {
        return;
    }
    sqlite3_close_v2(db->h);
    free(db->url);
    free(db);
}

enum sw_dialect sw_db_dialect(const struct sw_db *db)
{
    return db->dialect;
}

int sw_db_exec(struct sw_db *db, const char *sql, struct sw_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db->h, sql, NULL, NULL, &msg) != SQLITE_OK) {
        int rc = sw_error_set(err, SW_EDB, "%s", msg ? msg : sqlite3_errmsg(db->h));
        sqlite3_free(msg);
        return rc;
    }
    return 0;
}

/* A statement that touches an FTS5 table can fail with SQLITE_SCHEMA ("vtable constructor
 * failed") while another connection changes the schema, as a run does when it creates and
 * drops its work tables: SQLite connects FTS5 when it prepares the statement, FTS5 then reads
 * its configuration from its own tables, and that read fails when the schema this connection
 * knows is older than the file's. SQLite cannot reload the schema while it is connecting the
 * table, and its one retry after reloading races with the next change. So such a statement is
 * tried again with the schema pinned: in a transaction (IMMEDIATE for a statement that
 * writes, which keeps every other writer out; a read snapshot otherwise) opened only for it,
 * after a read of sqlite_master that reloads the schema, so that the schema cannot change
 * between the reload and the statement's start. A write's transaction ends with the
 * statement (its last step, reset or finalization); a read's right after its first step (the
 * statement keeps its snapshot to its end). Only outside a transaction of the caller's: in a
 * write transaction, SQLite's own retry runs with every other writer already kept out. */
static bool schema_retry(struct sw_db *db, int rc)
{
    return (rc & 0xff) == SQLITE_SCHEMA && sqlite3_get_autocommit(db->h);
}

static int schema_pin(struct sw_db *db, bool writes)
{
    int rc = sqlite3_exec(db->h, writes ? "BEGIN IMMEDIATE" : "BEGIN", NULL, NULL, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_exec(db->h, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
        if (rc != SQLITE_OK) {
            sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    return rc;
}

/* Ends the transaction a statement opened for itself: COMMIT when it ran to its end. */
static int schema_unpin(struct sw_stmt *st, bool done)
{
    int rc = SQLITE_OK;
    if (st->own_tx) {
        st->own_tx = false;
        rc = sqlite3_exec(st->db->h, done ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
        if (rc != SQLITE_OK && done) {
            sqlite3_exec(st->db->h, "ROLLBACK", NULL, NULL, NULL);
        }
    }
    return rc;
}

int sw_db_prepare(struct sw_db *db, const char *sql, struct sw_stmt **out, struct sw_error *err)
{
    sqlite3_stmt *st = NULL;
    *out = NULL;
    int rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
    if (schema_retry(db, rc) && schema_pin(db, false) == SQLITE_OK) {
        /* a read snapshot is enough to prepare: the statement's first step pins again if
         * the schema has changed by then */
        rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
        int e = rc != SQLITE_OK ? db_error(db, err, "prepare") : 0; /* before COMMIT's message */
        sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);            /* ends the read snapshot */
        if (e < 0) {
            return e;
        }
    }
    if (rc != SQLITE_OK) {
        return db_error(db, err, "prepare");
    }
    struct sw_stmt *s = sw_calloc(1, sizeof(*s));
    s->db = db;
    s->st = st;
    *out = s;
    return 0;
}

int sw_stmt_bind_int(struct sw_stmt *st, int idx, int64_t v)
{
    return sqlite3_bind_int64(st->st, idx, v) == SQLITE_OK ? 0 : SW_EDB;
}

int sw_stmt_bind_real(struct sw_stmt *st, int idx, double v)
{
    return sqlite3_bind_double(st->st, idx, v) == SQLITE_OK ? 0 : SW_EDB;
}

int sw_stmt_bind_text(struct sw_stmt *st, int idx, const char *s)
{
    if (!s) {
        return sw_stmt_bind_null(st, idx);
    }
    return sqlite3_bind_text(st->st, idx, s, -1, SQLITE_TRANSIENT) == SQLITE_OK ? 0 : SW_EDB;
}

int sw_stmt_bind_null(struct sw_stmt *st, int idx)
{
    return sqlite3_bind_null(st->st, idx) == SQLITE_OK ? 0 : SW_EDB;
}

int sw_stmt_bind_params(struct sw_stmt *st, const struct sw_params *params, struct sw_error *err)
{
    if (!params) {
        return 0;
    }
    for (size_t i = 0; i < params->n; i++) {
        const struct sw_value *v = &params->v[i];
        int idx = (int)i + 1, rc = 0;
        if (idx > sqlite3_bind_parameter_count(st->st)) {
            break; /* a parameter the statement does not use */
        }
        switch (v->type) {
        case SW_V_NULL:
            rc = sw_stmt_bind_null(st, idx);
            break;
        case SW_V_INT:
            rc = sw_stmt_bind_int(st, idx, v->i);
            break;
        case SW_V_REAL:
            rc = sw_stmt_bind_real(st, idx, v->d);
            break;
        case SW_V_TEXT:
            rc = sw_stmt_bind_text(st, idx, v->s);
            break;
        }
        if (rc < 0) {
            return db_error(st->db, err, "bind");
        }
    }
    return 0;
}

int sw_stmt_step(struct sw_stmt *st, struct sw_error *err)
{
    int rc = sqlite3_step(st->st);
    if (!st->stepped && schema_retry(st->db, rc)) {
        /* nothing ran yet: SQLITE_SCHEMA stops a statement before its first effect */
        sqlite3_reset(st->st);
        bool writes = !sqlite3_stmt_readonly(st->st);
        if (schema_pin(st->db, writes) == SQLITE_OK) {
            rc = sqlite3_step(st->st);
            if (writes) {
                st->own_tx = true; /* committed when the statement ends */
            } else {
                /* a read keeps its snapshot to its end without the transaction, which would
                 * otherwise hold the caller's statements between two steps */
                sqlite3_exec(st->db->h, "COMMIT", NULL, NULL, NULL);
            }
        }
    }
    if (rc == SQLITE_ROW) {
        st->stepped = true;
        return SW_STEP_ROW;
    }
    int out = rc == SQLITE_DONE        ? SW_STEP_DONE
              : rc == SQLITE_INTERRUPT ? sw_error_set(err, SW_EINTERRUPTED, "statement interrupted")
                                       : db_error(st->db, err, "step");
    if (st->own_tx) {
        /* the statement's end: its changes are committed before the caller sees DONE */
        sqlite3_reset(st->st);
        if (schema_unpin(st, rc == SQLITE_DONE) != SQLITE_OK && rc == SQLITE_DONE) {
            out = db_error(st->db, err, "commit");
        }
    }
    return out;
}

int sw_stmt_reset(struct sw_stmt *st)
{
    sqlite3_clear_bindings(st->st);
    int rc = sqlite3_reset(st->st);
    st->stepped = false;
    /* a write stopped before its last returned row: its changes were all made at its first
     * step, and commit now */
    int urc = schema_unpin(st, true);
    return rc == SQLITE_OK && urc == SQLITE_OK ? 0 : SW_EDB;
}

void sw_stmt_finalize(struct sw_stmt *st)
{
    if (!st) {
        return;
    }
    sqlite3_reset(st->st);
    schema_unpin(st, true); /* as in sw_stmt_reset */
    sqlite3_finalize(st->st);
    free(st);
}

int sw_stmt_column_count(struct sw_stmt *st)
{
    return sqlite3_column_count(st->st);
}

const char *sw_stmt_column_name(struct sw_stmt *st, int col)
{
    return sqlite3_column_name(st->st, col);
}

enum sw_vtype sw_stmt_column_type(struct sw_stmt *st, int col)
{
    switch (sqlite3_column_type(st->st, col)) {
    case SQLITE_INTEGER:
        return SW_V_INT;
    case SQLITE_FLOAT:
        return SW_V_REAL;
    case SQLITE_NULL:
        return SW_V_NULL;
    default:
        return SW_V_TEXT;
    }
}

int64_t sw_stmt_column_int(struct sw_stmt *st, int col)
{
    return sqlite3_column_int64(st->st, col);
}

double sw_stmt_column_real(struct sw_stmt *st, int col)
{
    return sqlite3_column_double(st->st, col);
}

const char *sw_stmt_column_text(struct sw_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st->st, col);
}

int64_t sw_db_changes(struct sw_db *db)
{
    return sqlite3_changes64(db->h);
}

/* sql prepared with params bound, and its first step: SW_STEP_ROW or SW_STEP_DONE with *out
 * set (finalize it), or an error with *out NULL. */
static int first_step(struct sw_db *db, const char *sql, const struct sw_params *params,
                      struct sw_stmt **out, struct sw_error *err)
{
    int rc = sw_db_prepare(db, sql, out, err);
    if (rc == 0 && (rc = sw_stmt_bind_params(*out, params, err)) == 0) {
        rc = sw_stmt_step(*out, err);
    }
    if (rc < 0) {
        sw_stmt_finalize(*out);
        *out = NULL;
    }
    return rc;
}

int sw_db_exec_params(struct sw_db *db, const char *sql, const struct sw_params *params,
                      int64_t *changes, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    int rc = first_step(db, sql, params, &st, err);
    while (rc == SW_STEP_ROW) {
        rc = sw_stmt_step(st, err);
    }
    if (rc == 0 && changes) {
        *changes = sqlite3_changes64(db->h);
    }
    sw_stmt_finalize(st);
    return rc;
}

int sw_db_query_int(struct sw_db *db, const char *sql, const struct sw_params *params,
                    int64_t *out, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    int rc = first_step(db, sql, params, &st, err);
    *out = rc == SW_STEP_ROW ? sw_stmt_column_int(st, 0) : 0;
    sw_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

int sw_db_begin(struct sw_db *db, struct sw_error *err)
{
    /* IMMEDIATE takes the write lock now, so a busy database waits here (busy timeout)
     * instead of failing half-way through a task. */
    int rc = sw_db_exec(db, "BEGIN IMMEDIATE", err);
    if (rc == 0) {
        db->in_tx = 1;
    }
    return rc;
}

int sw_db_commit(struct sw_db *db, struct sw_error *err)
{
    int rc = sw_db_exec(db, "COMMIT", err);
    if (rc == 0) {
        db->in_tx = 0;
    }
    return rc;
}

int sw_db_durable(struct sw_db *db, bool on, struct sw_error *err)
{
    return sw_db_exec(db, on ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL", err);
}

int sw_db_map_reads(struct sw_db *db, struct sw_error *err)
{
    return sw_db_exec(db, "PRAGMA mmap_size = 1073741824", err);
}

int sw_db_rollback(struct sw_db *db)
{
    if (sqlite3_get_autocommit(db->h)) {
        db->in_tx = 0;
        return 0;
    }
    db->in_tx = 0;
    return sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL) == SQLITE_OK ? 0 : SW_EDB;
}

bool sw_db_in_tx(struct sw_db *db)
{
    return !sqlite3_get_autocommit(db->h);
}

bool sw_db_table_exists(struct sw_db *db, const char *name)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t n = 0;
    sw_params_add_text(&p, name);
    sw_db_query_int(db, "SELECT count(*) FROM sqlite_master WHERE type IN ('table','view') AND name = ?1",
                    &p, &n, NULL);
    sw_params_release(&p);
    return n > 0;
}

const char *sw_db_introspection_sql(const struct sw_db *db, enum sw_introspect what)
{
    (void)db;
    switch (what) {
    case SW_INTROSPECT_TABLES:
        return "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
               "ORDER BY name";
    case SW_INTROSPECT_COLUMNS:
        return "SELECT name, type, pk FROM pragma_table_info(?1) ORDER BY cid";
    case SW_INTROSPECT_FKEYS:
        return "SELECT \"table\", \"from\", \"to\" FROM pragma_foreign_key_list(?1) ORDER BY id, seq";
    case SW_INTROSPECT_INDEXED:
        return "SELECT DISTINCT ii.name FROM pragma_index_list(?1) il, pragma_index_info(il.name) ii "
               "WHERE ii.seqno = 0 AND ii.name IS NOT NULL";
    }
    return "";
}

int64_t sw_db_schema_cookie(struct sw_db *db)
{
    int64_t v = 0;
    if (sw_db_query_int(db, "PRAGMA schema_version", NULL, &v, NULL) < 0) {
        v = 0;
    }
    return v;
}

int64_t sw_db_schema_version(struct sw_db *db)
{
    /* FNV-1a over the definitions, in name order. */
    struct sw_stmt *st = NULL;
    uint64_t h = 1469598103934665603ULL;
    if (sw_db_prepare(db,
                      "SELECT type, name, coalesce(sql, '') FROM sqlite_master WHERE "
                      "substr(tbl_name, 1, 3) NOT IN ('sw_', 'wt_') AND substr(tbl_name, 1, 4) "
                      "<> 'swa_' ORDER BY type, name",
                      &st, NULL) < 0) {
        return 0;
    }
    while (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        for (int c = 0; c < 3; c++) {
            const char *t = sw_stmt_column_text(st, c);
            for (const unsigned char *p = (const unsigned char *)(t ? t : ""); ; p++) {
                h ^= *p;
                h *= 1099511628211ULL;
                if (!*p) {
                    break;
                }
            }
        }
    }
    sw_stmt_finalize(st);
    return (int64_t)(h >> 1);
}

int64_t sw_db_estimate_rows(struct sw_db *db, const char *table)
{
    /* max(rowid) is one b-tree descent; ANALYZE's figure, when present, is better. */
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    int64_t n = 0;
    sw_params_add_text(&p, table);
    if (sw_db_query_int(db,
                        "SELECT CAST(stat AS INTEGER) FROM sqlite_stat1 WHERE tbl = ?1 "
                        "ORDER BY idx IS NULL DESC LIMIT 1",
                        &p, &n, NULL) < 0 ||
        n <= 0) {
        sw_buf_puts(&sql, "SELECT max(rowid) FROM ");
        sw_db_ident(&sql, table);
        if (sw_db_query_int(db, sql.data, NULL, &n, NULL) < 0) {
            n = 0;
        }
    }
    sw_params_release(&p);
    sw_buf_release(&sql);
    return n;
}
