/*
 * suppress.c - see suppress.h. CSV is read with libcsv (quoting, embedded commas and line
 * ends handled there).
 */
#include "channels/suppress.h"
#include "core/util.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- CSV import ---- */

struct row {
    char *f[3];
    int nf;
    int64_t line;
};

struct reader {
    struct row *rows;
    size_t n, cap;
    struct row cur;
    int64_t line;
    bool overflow; /* a line with more than 3 fields */
    int64_t overflow_line;
};

static void on_field(void *s, size_t len, void *ud)
{
    struct reader *r = ud;
    if (r->cur.nf < 3) {
        r->cur.f[r->cur.nf] = sw_strndup(s ? s : "", len);
    } else if (!r->overflow) {
        r->overflow = true;
        r->overflow_line = r->line + 1;
    }
    r->cur.nf++;
}

static void on_row(int c, void *ud)
{
    (void)c;
    struct reader *r = ud;
    r->line++;
    bool blank = r->cur.nf == 1 && (!r->cur.f[0] || !*r->cur.f[0]);
    if (r->cur.nf == 0 || blank) {
        for (int i = 0; i < 3 && i < r->cur.nf; i++) {
            free(r->cur.f[i]);
        }
    } else {
        if (r->n == r->cap) {
            r->cap = r->cap ? r->cap * 2 : 256;
            r->rows = sw_realloc(r->rows, r->cap * sizeof(*r->rows));
        }
        r->cur.line = r->line;
        r->cur.nf = r->cur.nf > 3 ? 3 : r->cur.nf;
        r->rows[r->n++] = r->cur;
    }
    memset(&r->cur, 0, sizeof(r->cur));
}

static void reader_free(struct reader *r)
{
    for (size_t i = 0; i < r->n; i++) {
        for (int k = 0; k < r->rows[i].nf; k++) {
            free(r->rows[i].f[k]);
        }
    }
    for (int k = 0; k < 3 && k < r->cur.nf; k++) {
        free(r->cur.f[k]);
    }
    free(r->rows);
}

int sw_suppress_import_csv(struct sw_db *db, const char *path, const char *channel,
                           const char *reason, const char *by, int64_t now_ms, int64_t *added,
                           int64_t *already, struct sw_error *err)
{
    struct reader r = {0};
    struct csv_parser p;
    char buf[65536];
    int rc = 0;
    int64_t nadd = 0, nold = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        return sw_error_set(err, SW_EIO, "cannot read %s", path);
    }
    if (csv_init(&p, CSV_APPEND_NULL) != 0) {
        fclose(f);
        return sw_error_set(err, SW_ENOMEM, "csv: out of memory");
    }
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        if (csv_parse(&p, buf, n, on_field, on_row, &r) != n) {
            rc = sw_error_set(err, SW_EINVAL, "%s, line %lld: %s", path, (long long)r.line + 1,
                              csv_strerror(csv_error(&p)));
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        rc = sw_error_set(err, SW_EIO, "cannot read %s", path);
    }
    if (rc == 0 && csv_fini(&p, on_field, on_row, &r) != 0) {
        rc = sw_error_set(err, SW_EINVAL, "%s, line %lld: %s", path, (long long)r.line + 1,
                          csv_strerror(csv_error(&p)));
    }
    csv_free(&p);
    fclose(f);
    if (rc == 0 && r.overflow) {
        rc = sw_error_set(err, SW_EINVAL,
                          "%s, line %lld: more than three fields (address, channel, reason)",
                          path, (long long)r.overflow_line);
    }
    size_t first = 0;
    if (rc == 0 && r.n && r.rows[0].f[0] && !strcasecmp(r.rows[0].f[0], "address")) {
        first = 1; /* a header */
    }
    /* Every line is checked before anything is added. */
    for (size_t i = first; rc == 0 && i < r.n; i++) {
        struct row *w = &r.rows[i];
        char *key = sw_address_key(w->f[0]);
        const char *ch = w->nf > 1 && *w->f[1] ? w->f[1] : channel;
        const char *why = w->nf > 2 && *w->f[2] ? w->f[2] : reason;
        if (!key) {
            rc = sw_error_set(err, SW_EINVAL, "%s, line %lld: a blank address", path,
                              (long long)w->line);
        } else if (!sw_suppress_channel_valid(ch)) {
            rc = sw_error_set(err, SW_EINVAL, "%s, line %lld: channel \"%s\" is not email, sms or push",
                              path, (long long)w->line, ch ? ch : "");
        } else if (!sw_suppress_reason_valid(why)) {
            rc = sw_error_set(err, SW_EINVAL, "%s, line %lld: reason \"%s\" is not known", path,
                              (long long)w->line, why ? why : "");
        }
        free(key);
    }
    if (rc == 0 && (rc = sw_db_begin(db, err)) == 0) {
        for (size_t i = first; rc == 0 && i < r.n; i++) {
            struct row *w = &r.rows[i];
            struct sw_suppression s = {0,
                                       w->nf > 1 && *w->f[1] ? w->f[1] : channel,
                                       w->f[0],
                                       w->nf > 2 && *w->f[2] ? w->f[2] : reason,
                                       NULL,
                                       0,
                                       now_ms,
                                       by};
            bool a = false;
            rc = sw_suppress_add(db, &s, &a, err);
            nadd += a;
            nold += !a;
        }
        if (rc == 0) {
            rc = sw_db_commit(db, err);
        } else {
            sw_db_rollback(db);
        }
    }
    reader_free(&r);
    if (added) {
        *added = rc == 0 ? nadd : 0;
    }
    if (already) {
        *already = rc == 0 ? nold : 0;
    }
    return rc;
}
