/*
 * schema.c - discovery of dimensions, fields and links from the data source's own catalog
 * (the queries themselves are per dialect, in db/). A table is a dimension when it has a
 * single-column primary key; foreign keys become links in both directions (SPEC §1).
 */
#include "schema/schema.h"
#include "core/util.h"
#include "db/db.h"

#include <ctype.h>
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
    if (sw_db_dialect(db) == SW_DIALECT_POSTGRES) {
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
            if (n == 10) {
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

int sw_schema_discover(struct sw_db *db, struct sw_schema **out, struct sw_error *err)
{
    struct sw_schema *s = sw_calloc(1, sizeof(*s));
    struct sw_stmt *st = NULL;
    struct fk *fks = NULL;
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
        if ((rc = load_columns(db, &s->dims[i], err)) < 0) {
            goto out;
        }
    }
    if ((rc = load_fkeys(db, s, &fks, &nfks, err)) < 0) {
        goto out;
    }
    for (size_t i = 0; i < nfks; i++) {
        /* Two foreign keys between the same pair of tables: name links by FK column. */
        int same = 0;
        for (size_t j = 0; j < nfks; j++) {
            if ((strcmp(fks[j].from_table, fks[i].from_table) == 0 &&
                 strcmp(fks[j].to_table, fks[i].to_table) == 0) ||
                (strcmp(fks[j].from_table, fks[i].to_table) == 0 &&
                 strcmp(fks[j].to_table, fks[i].from_table) == 0)) {
                same++;
            }
        }
        bool ambiguous = same > 1;
        struct sw_dimension *from = find_dim(s, fks[i].from_table);
        struct sw_dimension *to = find_dim(s, fks[i].to_table);
        add_link(from, ambiguous ? fks[i].from_col : to->name, to->name, fks[i].from_col,
                 fks[i].to_col, false);
        add_link(to, ambiguous ? fks[i].from_col : from->name, from->name, fks[i].to_col,
                 fks[i].from_col, true);
    }
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

void sw_schema_free(struct sw_schema *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->ndims; i++) {
        struct sw_dimension *d = &s->dims[i];
        for (size_t j = 0; j < d->nfields; j++) {
            free(d->fields[j].name);
            free(d->fields[j].decl);
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
            return &d->links[i];
        }
    }
    return NULL;
}

json_t *sw_schema_to_json(const struct sw_schema *s)
{
    json_t *dims = json_array();
    for (size_t i = 0; i < s->ndims; i++) {
        const struct sw_dimension *d = &s->dims[i];
        json_t *fields = json_array(), *links = json_array();
        for (size_t j = 0; j < d->nfields; j++) {
            json_array_append_new(fields, json_pack("{s:s, s:s}", "name", d->fields[j].name,
                                                    "type", sw_type_name(d->fields[j].type)));
        }
        for (size_t j = 0; j < d->nlinks; j++) {
            const struct sw_link *l = &d->links[j];
            json_array_append_new(links,
                                  json_pack("{s:s, s:s, s:s, s:s, s:s}", "name", l->name,
                                            "target", l->target, "cardinality",
                                            l->to_many ? "1-N" : "N-1", "column", l->local_col,
                                            "target_column", l->remote_col));
        }
        json_array_append_new(dims, json_pack("{s:s, s:s?, s:o, s:o}", "name", d->name,
                                              "primary_key", d->pk, "fields", fields, "links",
                                              links));
    }
    return json_pack("{s:o, s:s?}", "dimensions", dims, "default", s->default_dim);
}
