/*
 * schema.c - discovery of dimensions, fields and links from the data source's own catalog
 * (the queries themselves are per dialect, in db/). A table is a dimension when it has a
 * single-column primary key; foreign keys become links in both directions (SPEC §1).
 *
 * Types come from the declared type (SQLite's affinity rules, plus booleans and dates by
 * name); a column whose declared type says text (or nothing) is typed date when every
 * non-NULL value among the table's first SW_SCHEMA_SAMPLE_ROWS rows is ISO-8601 (one query
 * per table). Unix times and boolean spellings are never guessed.
 *
 * Link names (docs/ARCHITECTURE.md "Link names"): a foreign key F.c -> T gives F a link to T
 * named after T, and T a link to F named after F; when several foreign keys join F and T
 * (either way), both are named after the column c instead; a self-reference (F = T) names
 * the link to the referenced row c and the link to the referring rows "F_by_c". Two links of
 * one dimension that still share a name are both unusable by that name, with a warning.
 */
#include "schema/schema.h"
#include "schema/internal.h"
#include "core/buf.h"
#include "core/util.h"
#include "db/db.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_internal(const char *name)
{
    return strncmp(name, "sw_", 3) == 0 || strncmp(name, "wt_", 3) == 0 ||
           strncmp(name, "swa_", 4) == 0;
}

static bool contains_ci(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++) {
        if (strncasecmp(hay, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/* SQLite's affinity rules, plus booleans and dates recognised by their declared names. */
static enum sw_type type_from_decl(const char *decl)
{
    if (!decl || !*decl) {
        return SW_T_TEXT;
    }
    if (contains_ci(decl, "BOOL")) {
        return SW_T_BOOL;
    }
    if (contains_ci(decl, "DATE") || contains_ci(decl, "TIME")) {
        return SW_T_DATE;
    }
    if (contains_ci(decl, "INT")) {
        return SW_T_INT;
    }
    if (contains_ci(decl, "CHAR") || contains_ci(decl, "CLOB") || contains_ci(decl, "TEXT")) {
        return SW_T_TEXT;
    }
    if (contains_ci(decl, "REAL") || contains_ci(decl, "FLOA") || contains_ci(decl, "DOUB") ||
        contains_ci(decl, "NUM") || contains_ci(decl, "DEC")) {
        return SW_T_REAL;
    }
    return SW_T_TEXT;
}

const char *sw_type_name(enum sw_type t)
{
    switch (t) {
    case SW_T_INT:
        return "integer";
    case SW_T_REAL:
        return "real";
    case SW_T_TEXT:
        return "text";
    case SW_T_BOOL:
        return "boolean";
    case SW_T_DATE:
        return "date";
    default:
        return "unknown";
    }
}

static void warn(struct sw_schema *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void warn(struct sw_schema *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    s->warnings = sw_realloc(s->warnings, (s->nwarnings + 1) * sizeof(*s->warnings));
    s->warnings[s->nwarnings++] = sw_vasprintf(fmt, ap);
    va_end(ap);
}

/* The shape of an ISO-8601 text value. */
enum iso_kind { K_NONE, K_DATE, K_T, K_T_Z, K_SPACE, K_OTHER_ISO };

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i])) {
            return false;
        }
    }
    return true;
}

static enum iso_kind iso_kind(const char *s)
{
    /* YYYY-MM-DD */
    if (!s || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2)) {
        return K_NONE;
    }
    int mo = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    if (mo < 1 || mo > 12 || d < 1 || d > 31) {
        return K_NONE;
    }
    if (!s[10]) {
        return K_DATE;
    }
    char sep = s[10];
    const char *t = s + 11;
    /* HH:MM[:SS[.fff]] */
    if ((sep != 'T' && sep != 't' && sep != ' ') || !digits(t, 2) || t[2] != ':' ||
        !digits(t + 3, 2) || (t[0] - '0') * 10 + (t[1] - '0') > 24 ||
        (t[3] - '0') * 10 + (t[4] - '0') > 59) {
        return K_NONE;
    }
    const char *p = t + 5;
    bool seconds = false;
    if (*p == ':') {
        if (!digits(p + 1, 2)) {
            return K_NONE;
        }
        seconds = true;
        p += 3;
        if (*p == '.' || *p == ',') {
            p++;
            if (!isdigit((unsigned char)*p)) {
                return K_NONE;
            }
            while (isdigit((unsigned char)*p)) {
                p++;
            }
        }
    }
    bool z = false, offset = false;
    if (*p == 'Z' || *p == 'z') {
        z = true;
        p++;
    } else if (*p == '+' || *p == '-') {
        /* +HH, +HHMM, +HH:MM */
        if (!digits(p + 1, 2)) {
            return K_NONE;
        }
        p += 3;
        if (*p == ':') {
            p++;
        }
        if (digits(p, 2)) {
            p += 2;
        }
        offset = true;
    }
    if (*p) {
        return K_NONE;
    }
    if (offset || !seconds) {
        return K_OTHER_ISO; /* compared after conversion to UTC */
    }
    if (sep == ' ') {
        return z ? K_OTHER_ISO : K_SPACE;
    }
    return z ? K_T_Z : K_T;
}

/* Learn how a date column stores values from one non-NULL sample, so that filters bind
 * their comparison values in the same representation (and indexes stay usable). */
static int detect_date_fmt(struct sw_db *db, const char *table, struct sw_field *f,
                           struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_stmt *st = NULL;
    int rc;
    bool date_only = !contains_ci(f->decl, "TIME");
    f->date_fmt = date_only ? SW_DATE_ISO_DATE : SW_DATE_ISO_T;
    f->date_z = false;
    if (sw_dialect_native_dates(sw_db_dialect(db))) {
        f->date_fmt = SW_DATE_NATIVE;
        return 0;
    }
    sw_buf_puts(&sql, "SELECT ");
    sw_db_ident(&sql, f->name);
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, table);
    sw_buf_puts(&sql, " WHERE ");
    sw_db_ident(&sql, f->name);
    sw_buf_puts(&sql, " IS NOT NULL LIMIT 1");
    rc = sw_db_prepare(db, sql.data, &st, err);
    if (rc < 0) {
        goto out;
    }
    rc = sw_stmt_step(st, err);
    if (rc == SW_STEP_ROW) {
        enum sw_vtype vt = sw_stmt_column_type(st, 0);
        if (vt == SW_V_INT || vt == SW_V_REAL) {
            int64_t v = sw_stmt_column_int(st, 0);
            f->date_fmt = (v > 100000000000LL || v < -100000000000LL) ? SW_DATE_EPOCH_MS
                                                                      : SW_DATE_EPOCH_S;
        } else {
            const char *t = sw_stmt_column_text(st, 0);
            size_t n = t ? strlen(t) : 0;
            if (iso_kind(t) == K_OTHER_ISO) {
                f->date_fmt = SW_DATE_ISO_MIXED;
            } else if (n == 10) {
                f->date_fmt = SW_DATE_ISO_DATE;
            } else if (n > 10 && t[10] == ' ') {
                f->date_fmt = SW_DATE_ISO_SPACE;
            } else if (n > 10) {
                f->date_fmt = SW_DATE_ISO_T;
                f->date_z = t[n - 1] == 'Z' || t[n - 1] == 'z';
            }
        }
    }
    rc = rc < 0 ? rc : 0;
out:
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    return rc;
}

/* Type as dates the text columns of d whose sampled values are all ISO-8601. */
static int infer_dates(struct sw_db *db, struct sw_schema *s, struct sw_dimension *d,
                       struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_stmt *st = NULL;
    size_t *cols = sw_calloc(d->nfields, sizeof(*cols));
    size_t ncols = 0;
    int rc = 0;
    /* Text columns, to type; and declared dates stored as text, to check they parse. */
    for (size_t i = 0; i < d->nfields; i++) {
        const struct sw_field *f = &d->fields[i];
        bool text_date = f->type == SW_T_DATE && f->date_fmt != SW_DATE_EPOCH_S &&
                         f->date_fmt != SW_DATE_EPOCH_MS && f->date_fmt != SW_DATE_NATIVE;
        if ((f->type == SW_T_TEXT || text_date) && !f->pk) {
            cols[ncols++] = i;
        }
    }
    if (!ncols) {
        goto out;
    }
    sw_buf_puts(&sql, "SELECT ");
    for (size_t k = 0; k < ncols; k++) {
        sw_buf_puts(&sql, k ? ", " : "");
        sw_db_ident(&sql, d->fields[cols[k]].name);
    }
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, d->name);
    sw_buf_printf(&sql, " LIMIT %d", SW_SCHEMA_SAMPLE_ROWS);
    enum iso_kind *kind = sw_calloc(ncols, sizeof(*kind));
    int *seen = sw_calloc(ncols, sizeof(*seen));
    int *unparsed = sw_calloc(ncols, sizeof(*unparsed)), *nonnull = sw_calloc(ncols, sizeof(int));
    bool *no = sw_calloc(ncols, sizeof(*no));
    if ((rc = sw_db_prepare(db, sql.data, &st, err)) == 0) {
        while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
            for (size_t k = 0; k < ncols; k++) {
                if (sw_stmt_column_type(st, (int)k) == SW_V_NULL) {
                    continue;
                }
                if (d->fields[cols[k]].type == SW_T_DATE) {
                    /* declared: integers are epoch times SQLite converts; text must parse */
                    nonnull[k]++;
                    unparsed[k] += sw_stmt_column_type(st, (int)k) == SW_V_TEXT &&
                                   iso_kind(sw_stmt_column_text(st, (int)k)) == K_NONE;
                    continue;
                }
                if (no[k]) {
                    continue;
                }
                enum iso_kind kk = sw_stmt_column_type(st, (int)k) == SW_V_TEXT
                                       ? iso_kind(sw_stmt_column_text(st, (int)k))
                                       : K_NONE;
                if (kk == K_NONE) {
                    no[k] = true;
                    continue;
                }
                kind[k] = !seen[k] || kind[k] == kk ? kk : K_OTHER_ISO;
                seen[k]++;
            }
        }
        rc = rc < 0 ? rc : 0;
    }
    for (size_t k = 0; rc == 0 && k < ncols; k++) {
        struct sw_field *f = &d->fields[cols[k]];
        if (f->type == SW_T_DATE) {
            if (unparsed[k]) {
                warn(s,
                     "%s.%s: %d of the %d values read are not ISO-8601 dates: date "
                     "conditions compare them as text, out of date order",
                     d->name, f->name, unparsed[k], nonnull[k]);
            }
            continue;
        }
        if (no[k] || !seen[k]) {
            continue;
        }
        f->type = SW_T_DATE;
        f->source = SW_SRC_INFERRED;
        f->sampled = seen[k];
        f->date_z = kind[k] == K_T_Z;
        f->date_fmt = kind[k] == K_DATE    ? SW_DATE_ISO_DATE
                      : kind[k] == K_SPACE ? SW_DATE_ISO_SPACE
                      : kind[k] == K_T || kind[k] == K_T_Z ? SW_DATE_ISO_T
                                                            : SW_DATE_ISO_MIXED;
        if (f->date_fmt == SW_DATE_ISO_MIXED) {
            warn(s,
                 "%s.%s: its dates are written in several ISO-8601 shapes or with zone offsets; "
                 "they are compared after conversion to UTC, which no index can serve",
                 d->name, f->name);
        }
    }
    free(kind);
    free(seen);
    free(unparsed);
    free(nonnull);
    free(no);
out:
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    free(cols);
    return rc;
}

static int load_columns(struct sw_db *db, struct sw_dimension *d, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    int rc, npk = 0;
    sw_params_add_text(&p, d->name);
    rc = sw_db_prepare(db, sw_db_introspection_sql(db, SW_INTROSPECT_COLUMNS), &st, err);
    if (rc < 0 || (rc = sw_stmt_bind_params(st, &p, err)) < 0) {
        goto out;
    }
    while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        const char *name = sw_stmt_column_text(st, 0);
        const char *decl = sw_stmt_column_text(st, 1);
        d->fields = sw_realloc(d->fields, (d->nfields + 1) * sizeof(*d->fields));
        struct sw_field *f = &d->fields[d->nfields++];
        memset(f, 0, sizeof(*f));
        f->name = sw_strdup(name ? name : "");
        f->decl = sw_strdup(decl ? decl : "");
        f->type = type_from_decl(decl);
        f->pk = sw_stmt_column_int(st, 2) > 0;
        if (f->pk) {
            npk++;
            free(d->pk);
            d->pk = sw_strdup(f->name);
            d->pk_type = f->type;
        }
    }
    if (rc < 0) {
        goto out;
    }
    rc = 0;
    if (npk != 1) {
        free(d->pk); /* composite or missing keys cannot identify a recipient */
        d->pk = NULL;
    }
    sw_stmt_finalize(st);
    st = NULL;
    rc = sw_db_prepare(db, sw_db_introspection_sql(db, SW_INTROSPECT_INDEXED), &st, err);
    if (rc < 0 || (rc = sw_stmt_bind_params(st, &p, err)) < 0) {
        goto out;
    }
    while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        const char *col = sw_stmt_column_text(st, 0);
        for (size_t i = 0; col && i < d->nfields; i++) {
            if (!strcmp(d->fields[i].name, col)) {
                d->fields[i].indexed = true;
            }
        }
    }
    if (rc < 0) {
        goto out;
    }
    rc = 0;
    for (size_t i = 0; i < d->nfields; i++) {
        d->fields[i].indexed = d->fields[i].indexed || (d->fields[i].pk && d->pk);
        if (d->fields[i].type == SW_T_DATE &&
            (rc = detect_date_fmt(db, d->name, &d->fields[i], err)) < 0) {
            goto out;
        }
    }
out:
    sw_stmt_finalize(st);
    sw_params_release(&p);
    return rc;
}

struct fk {
    char *from_table, *from_col, *to_table, *to_col;
};

static void add_link(struct sw_dimension *d, const char *name, const char *target,
                     const char *local, const char *remote, bool to_many)
{
    d->links = sw_realloc(d->links, (d->nlinks + 1) * sizeof(*d->links));
    struct sw_link *l = &d->links[d->nlinks++];
    l->name = sw_strdup(name);
    l->target = sw_strdup(target);
    l->local_col = sw_strdup(local);
    l->remote_col = sw_strdup(remote);
    l->to_many = to_many;
    l->collides = false;
}

static struct sw_dimension *find_dim(struct sw_schema *s, const char *name)
{
    for (size_t i = 0; i < s->ndims; i++) {
        if (strcmp(s->dims[i].name, name) == 0) {
            return &s->dims[i];
        }
    }
    return NULL;
}

static int load_fkeys(struct sw_db *db, struct sw_schema *s, struct fk **fks, size_t *nfks,
                      struct sw_error *err)
{
    int rc = 0;
    struct sw_stmt *st = NULL;
    for (size_t i = 0; i < s->ndims; i++) {
        rc = sw_db_prepare(db, sw_db_introspection_sql(db, SW_INTROSPECT_FKEYS), &st, err);
        if (rc < 0) {
            goto out;
        }
        sw_stmt_bind_text(st, 1, s->dims[i].name);
        while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
            const char *to_table = sw_stmt_column_text(st, 0);
            const char *from_col = sw_stmt_column_text(st, 1);
            const char *to_col = sw_stmt_column_text(st, 2);
            struct sw_dimension *target = to_table ? find_dim(s, to_table) : NULL;
            if (!target || !from_col) {
                continue;
            }
            if (!to_col) {
                to_col = target->pk;
            }
            if (!to_col) {
                continue;
            }
            *fks = sw_realloc(*fks, (*nfks + 1) * sizeof(**fks));
            struct fk *f = &(*fks)[(*nfks)++];
            f->from_table = sw_strdup(s->dims[i].name);
            f->from_col = sw_strdup(from_col);
            f->to_table = sw_strdup(target->name);
            f->to_col = sw_strdup(to_col);
        }
        sw_stmt_finalize(st);
        st = NULL;
        if (rc < 0) {
            goto out;
        }
        rc = 0;
    }
out:
    sw_stmt_finalize(st);
    return rc;
}

/* Names that two links of one dimension share are unusable: say which (once per name). */
static void mark_collisions(struct sw_schema *s)
{
    for (size_t i = 0; i < s->ndims; i++) {
        struct sw_dimension *d = &s->dims[i];
        for (size_t j = 0; j < d->nlinks; j++) {
            d->links[j].collides = false;
        }
        for (size_t j = 0; j < d->nlinks; j++) {
            for (size_t k = j + 1; k < d->nlinks; k++) {
                if (!strcmp(d->links[j].name, d->links[k].name) && !d->links[k].collides) {
                    bool first = !d->links[j].collides;
                    d->links[j].collides = d->links[k].collides = true;
                    if (first) {
                        char *m = sw_dim_link_collision(d, d->links[j].name);
                        warn(s, "%s", m);
                        free(m);
                    }
                }
            }
        }
    }
}

int sw_schema_discover(struct sw_db *db, struct sw_schema **out, struct sw_error *err)
{
    struct sw_schema *s = sw_calloc(1, sizeof(*s));
    struct sw_stmt *st = NULL;
    struct fk *fks = NULL;
    atomic_init(&s->refs, 1);
    s->db_version = sw_db_schema_version(db);
    size_t nfks = 0;
    int rc;
    *out = NULL;
    rc = sw_db_prepare(db, sw_db_introspection_sql(db, SW_INTROSPECT_TABLES), &st, err);
    if (rc < 0) {
        goto out;
    }
    while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        const char *name = sw_stmt_column_text(st, 0);
        if (!name || is_internal(name)) {
            continue;
        }
        s->dims = sw_realloc(s->dims, (s->ndims + 1) * sizeof(*s->dims));
        struct sw_dimension *d = &s->dims[s->ndims++];
        memset(d, 0, sizeof(*d));
        d->name = sw_strdup(name);
    }
    sw_stmt_finalize(st);
    st = NULL;
    if (rc < 0) {
        goto out;
    }
    for (size_t i = 0; i < s->ndims; i++) {
        if ((rc = load_columns(db, &s->dims[i], err)) < 0 ||
            (rc = infer_dates(db, s, &s->dims[i], err)) < 0) {
            goto out;
        }
        if (!s->dims[i].pk) {
            warn(s, "%s: not a dimension (it has no single-column primary key); its rows can "
                    "be reached only through links",
                 s->dims[i].name);
        }
    }
    if ((rc = load_fkeys(db, s, &fks, &nfks, err)) < 0) {
        goto out;
    }
    for (size_t i = 0; i < nfks; i++) {
        /* Several foreign keys between the same pair of tables: name links by FK column. */
        int same = 0;
        for (size_t j = 0; j < nfks; j++) {
            if ((strcmp(fks[j].from_table, fks[i].from_table) == 0 &&
                 strcmp(fks[j].to_table, fks[i].to_table) == 0) ||
                (strcmp(fks[j].from_table, fks[i].to_table) == 0 &&
                 strcmp(fks[j].to_table, fks[i].from_table) == 0)) {
                same++;
            }
        }
        struct sw_dimension *from = find_dim(s, fks[i].from_table);
        struct sw_dimension *to = find_dim(s, fks[i].to_table);
        if (from == to) {
            /* A self-reference: the row it names, and the rows that name this one. */
            char *back = sw_asprintf("%s_by_%s", from->name, fks[i].from_col);
            add_link(from, fks[i].from_col, to->name, fks[i].from_col, fks[i].to_col, false);
            add_link(to, back, from->name, fks[i].to_col, fks[i].from_col, true);
            free(back);
            continue;
        }
        bool ambiguous = same > 1;
        add_link(from, ambiguous ? fks[i].from_col : to->name, to->name, fks[i].from_col,
                 fks[i].to_col, false);
        add_link(to, ambiguous ? fks[i].from_col : from->name, from->name, fks[i].to_col,
                 fks[i].from_col, true);
    }
    mark_collisions(s);
    if (find_dim(s, "profiles") && find_dim(s, "profiles")->pk) {
        s->default_dim = sw_strdup("profiles");
    } else {
        for (size_t i = 0; i < s->ndims; i++) {
            if (s->dims[i].pk) {
                s->default_dim = sw_strdup(s->dims[i].name);
                break;
            }
        }
    }
    rc = 0;
    *out = s;
    s = NULL;
out:
    for (size_t i = 0; i < nfks; i++) {
        free(fks[i].from_table);
        free(fks[i].from_col);
        free(fks[i].to_table);
        free(fks[i].to_col);
    }
    free(fks);
    sw_stmt_finalize(st);
    sw_schema_free(s);
    return rc;
}

void sw_field_release(struct sw_field *f)
{
    free(f->name);
    free(f->decl);
    free(f->label);
    for (size_t i = 0; i < f->nyes; i++) {
        free(f->yes[i]);
    }
    for (size_t i = 0; i < f->nno; i++) {
        free(f->no[i]);
    }
    free(f->yes);
    free(f->no);
}

struct sw_schema *sw_schema_ref(struct sw_schema *s)
{
    if (s) {
        atomic_fetch_add(&s->refs, 1);
    }
    return s;
}

void sw_schema_free(struct sw_schema *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) > 1) {
        return;
    }
    for (size_t i = 0; i < s->ndims; i++) {
        struct sw_dimension *d = &s->dims[i];
        for (size_t j = 0; j < d->nfields; j++) {
            sw_field_release(&d->fields[j]);
        }
        free(d->label);
        for (int c = 0; c < 3; c++) {
            free(d->address[c]);
        }
        for (size_t j = 0; j < d->nlinks; j++) {
            free(d->links[j].name);
            free(d->links[j].target);
            free(d->links[j].local_col);
            free(d->links[j].remote_col);
        }
        free(d->fields);
        free(d->links);
        free(d->name);
        free(d->pk);
    }
    for (size_t i = 0; i < s->nwarnings; i++) {
        free(s->warnings[i]);
    }
    free(s->warnings);
    free(s->dims);
    free(s->default_dim);
    free(s);
}

const struct sw_dimension *sw_schema_dim(const struct sw_schema *s, const char *name)
{
    if (!s || !name) {
        return NULL;
    }
    for (size_t i = 0; i < s->ndims; i++) {
        if (strcmp(s->dims[i].name, name) == 0) {
            return &s->dims[i];
        }
    }
    return NULL;
}

const struct sw_field *sw_dim_field(const struct sw_dimension *d, const char *name)
{
    if (!d || !name) {
        return NULL;
    }
    for (size_t i = 0; i < d->nfields; i++) {
        if (strcmp(d->fields[i].name, name) == 0) {
            return &d->fields[i];
        }
    }
    return NULL;
}

const struct sw_link *sw_dim_link(const struct sw_dimension *d, const char *name)
{
    if (!d || !name) {
        return NULL;
    }
    for (size_t i = 0; i < d->nlinks; i++) {
        if (strcmp(d->links[i].name, name) == 0) {
            return d->links[i].collides ? NULL : &d->links[i];
        }
    }
    return NULL;
}

static void describe_link(struct sw_buf *b, const struct sw_dimension *d, const struct sw_link *l)
{
    if (l->to_many) {
        sw_buf_printf(b, "%s.%s <- %s.%s (1-N)", d->name, l->local_col, l->target, l->remote_col);
    } else {
        sw_buf_printf(b, "%s.%s -> %s.%s (N-1)", d->name, l->local_col, l->target, l->remote_col);
    }
}

char *sw_dim_link_collision(const struct sw_dimension *d, const char *name)
{
    struct sw_buf b = SW_BUF_INIT;
    int n = 0;
    for (size_t i = 0; d && name && i < d->nlinks; i++) {
        if (d->links[i].collides && !strcmp(d->links[i].name, name)) {
            sw_buf_puts(&b, n++ ? " and " : "");
            describe_link(&b, d, &d->links[i]);
        }
    }
    if (!n) {
        sw_buf_release(&b);
        return NULL;
    }
    char *links = sw_buf_detach(&b);
    char *m = sw_asprintf("links %s of dimension \"%s\" are both named \"%s\": name one of them "
                          "in the schema hints",
                          links, d->name, name);
    free(links);
    return m;
}

json_t *sw_schema_to_json(const struct sw_schema *s)
{
    json_t *dims = json_array();
    for (size_t i = 0; i < s->ndims; i++) {
        const struct sw_dimension *d = &s->dims[i];
        json_t *fields = json_array(), *links = json_array();
        static const char *const sources[] = {"declared", "inferred", "hinted"};
        for (size_t j = 0; j < d->nfields; j++) {
            const struct sw_field *f = &d->fields[j];
            json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "name", f->name, "type",
                                  sw_type_name(f->type), "declared_type", f->decl ? f->decl : "",
                                  "type_source", sources[f->source]);
            if (f->source == SW_SRC_INFERRED) {
                json_object_set_new(o, "inferred_from", json_integer(f->sampled));
            }
            if (f->type == SW_T_DATE) {
                static const char *const fmts[] = {"iso_t",   "iso_space", "iso_date", "unix_s",
                                                   "unix_ms", "native",    "iso_mixed"};
                json_object_set_new(o, "format", json_string(fmts[f->date_fmt]));
            }
            if (f->label) {
                json_object_set_new(o, "label", json_string(f->label));
            }
            if (f->nyes) {
                json_t *y = json_array(), *n = json_array();
                for (size_t k = 0; k < f->nyes; k++) {
                    json_array_append_new(y, json_string(f->yes[k]));
                }
                for (size_t k = 0; k < f->nno; k++) {
                    json_array_append_new(n, json_string(f->no[k]));
                }
                json_object_set_new(o, "true", y);
                json_object_set_new(o, "false", n);
            }
            json_array_append_new(fields, o);
        }
        for (size_t j = 0; j < d->nlinks; j++) {
            const struct sw_link *l = &d->links[j];
            json_array_append_new(links,
                                  json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", l->name,
                                            "target", l->target, "cardinality",
                                            l->to_many ? "1-N" : "N-1", "column", l->local_col,
                                            "target_column", l->remote_col));
        }
        json_t *dj = json_pack("{s:s, s:s?, s:o, s:o}", "name", d->name, "primary_key", d->pk,
                               "fields", fields, "links", links);
        if (d->view) {
            json_object_set_new(dj, "view", json_true());
        }
        if (d->label) {
            json_object_set_new(dj, "label", json_string(d->label));
        }
        static const char *const chn[3] = {"email", "sms", "push"};
        json_t *ch = json_object();
        for (int c = 0; c < 3; c++) {
            if (d->address[c]) {
                json_object_set_new(ch, chn[c], json_string(d->address[c]));
            }
        }
        if (json_object_size(ch)) {
            json_object_set_new(dj, "channels", ch);
        } else {
            json_decref(ch);
        }
        json_array_append_new(dims, dj);
    }
    json_t *warnings = json_array();
    for (size_t i = 0; i < s->nwarnings; i++) {
        json_array_append_new(warnings, json_string(s->warnings[i]));
    }
    return json_pack("{s:o, s:s?, s:o}", "dimensions", dims, "default", s->default_dim,
                     "warnings", warnings);
}

/* ---- did you mean ---- */

struct near {
    const char *name;
    size_t dist;
};

static void consider(struct near best[3], const char *wrong, const char *cand)
{
    size_t len = strlen(wrong), clen = strlen(cand);
    size_t dist = sw_edit_distance(wrong, cand);
    /* Close enough: a third of the longer name (at least 1, 2 from 5 letters), or the one
     * contains the other ("mail" for "email", "first" for "first_name"). */
    size_t longer = len > clen ? len : clen;
    size_t limit = longer / 3 < 1 ? 1 : longer / 3;
    bool contains = len >= 3 && clen >= 3 && (contains_ci(cand, wrong) || contains_ci(wrong, cand));
    if (dist > limit && !contains) {
        return;
    }
    if (contains && dist > limit) {
        dist = limit + 1; /* after the close spellings */
    }
    for (int i = 0; i < 3; i++) {
        if (!best[i].name || dist < best[i].dist) {
            for (int j = 2; j > i; j--) {
                best[j] = best[j - 1];
            }
            best[i].name = cand;
            best[i].dist = dist;
            return;
        }
    }
}

static char *suggestion(const struct near best[3])
{
    struct sw_buf b = SW_BUF_INIT;
    int n = 0;
    while (n < 3 && best[n].name) {
        n++;
    }
    if (!n) {
        return sw_strdup("");
    }
    sw_buf_puts(&b, " (did you mean ");
    for (int i = 0; i < n; i++) {
        sw_buf_printf(&b, "%s\"%s\"", i == 0 ? "" : i == n - 1 ? " or " : ", ", best[i].name);
    }
    sw_buf_puts(&b, "?)");
    return sw_buf_detach(&b);
}

char *sw_dim_suggest_field(const struct sw_dimension *d, const char *name)
{
    struct near best[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    for (size_t i = 0; d && name && i < d->nfields; i++) {
        consider(best, name, d->fields[i].name);
    }
    return suggestion(best);
}

char *sw_dim_suggest_link(const struct sw_dimension *d, const char *name)
{
    struct near best[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    for (size_t i = 0; d && name && i < d->nlinks; i++) {
        consider(best, name, d->links[i].name);
    }
    return suggestion(best);
}

char *sw_schema_suggest_dim(const struct sw_schema *s, const char *name)
{
    struct near best[3] = {{NULL, 0}, {NULL, 0}, {NULL, 0}};
    for (size_t i = 0; s && name && i < s->ndims; i++) {
        if (s->dims[i].pk) {
            consider(best, name, s->dims[i].name);
        }
    }
    return suggestion(best);
}

/* ---- for hints.c (schema/internal.h) ---- */

void sw_schema_warn_(struct sw_schema *s, const char *msg)
{
    warn(s, "%s", msg);
}

int sw_schema_load_table_(struct sw_db *db, struct sw_schema *s, struct sw_dimension *d,
                          struct sw_error *err)
{
    int rc = load_columns(db, d, err);
    return rc < 0 ? rc : infer_dates(db, s, d, err);
}

void sw_schema_add_link_(struct sw_dimension *d, const char *name, const char *target,
                         const char *local, const char *remote, bool to_many)
{
    add_link(d, name, target, local, remote, to_many);
}

void sw_schema_mark_collisions_(struct sw_schema *s)
{
    for (size_t i = 0; i < s->nwarnings; i++) {
        if (strstr(s->warnings[i], "are both named")) {
            free(s->warnings[i]);
            s->warnings[i--] = s->warnings[--s->nwarnings];
        }
    }
    mark_collisions(s);
}
