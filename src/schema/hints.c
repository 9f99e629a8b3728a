/*
 * hints.c - schema hints: what the database does not say, declared in a small JSON file
 * (setting `schema_hints`), validated against the discovered schema and applied to it.
 *
 *   {"default_dimension": "Customer",
 *    "hide": ["AuditLog", "Customer.PasswordHash"],
 *    "dimensions": {
 *      "Customer": {"label": "Customers",
 *                   "channels": {"email": "Email", "sms": "Phone", "push": "DeviceToken"},
 *                   "fields": {"SignedUp": {"type": "date", "format": "unix_s", "label": "…"},
 *                              "Active": {"type": "boolean", "true": ["Y"], "false": ["N"]}},
 *                   "links": {"purchases": {"to": "Orders", "column": "CustomerId",
 *                                           "to_column": "CustId"}}},
 *      "ActiveCustomers": {"view": true, "key": "CustomerId"}}}
 *
 * A link whose (to, column, to_column) is a discovered link renames it (the way to settle two
 * links that share a name); another is added, N-1 when to_column is the target's key (the
 * default), else 1-N. Every problem is reported with its JSON path in the hints, all at once,
 * and the schema is then to be discarded (sw_schema_discover_hinted frees it). Identifiers in hints are only compared with the discovered
 * ones: no hint text reaches SQL except as the names the database itself gave.
 */
#include "core/buf.h"
#include "core/util.h"
#include "db/db.h"
#include "schema/internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static const char *const channels[3] = {"email", "sms", "push"};

struct hx {
    struct sw_error *err;
    struct sw_schema *s;
    struct sw_db *db;
};

static struct sw_dimension *dim_of(struct sw_schema *s, const char *name)
{
    for (size_t i = 0; name && i < s->ndims; i++) {
        if (!strcmp(s->dims[i].name, name)) {
            return &s->dims[i];
        }
    }
    return NULL;
}

static struct sw_field *field_of(struct sw_dimension *d, const char *name)
{
    for (size_t i = 0; d && name && i < d->nfields; i++) {
        if (!strcmp(d->fields[i].name, name)) {
            return &d->fields[i];
        }
    }
    return NULL;
}

/* Unknown keys of an object are errors. */
static void only_keys(struct hx *h, const json_t *o, const char *path, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        bool known = false;
        for (int i = 0; keys[i] && !known; i++) {
            known = !strcmp(keys[i], k);
        }
        if (!known) {
            char *p = sw_asprintf("%s.%s", path, k);
            sw_error_add(h->err, p, "unknown key \"%s\"", k);
            free(p);
        }
    }
}

static const char *string_at(struct hx *h, const json_t *o, const char *key, const char *path)
{
    const json_t *v = json_object_get(o, key);
    if (!v) {
        return NULL;
    }
    if (!json_is_string(v) || !*json_string_value(v)) {
        char *p = sw_asprintf("%s.%s", path, key);
        sw_error_add(h->err, p, "expected a non-empty string");
        free(p);
        return NULL;
    }
    return json_string_value(v);
}

/* A list of boolean spellings: strings, at least one. */
static bool spellings(struct hx *h, const json_t *v, const char *path)
{
    if (!json_is_array(v) || !json_array_size(v)) {
        sw_error_add(h->err, path, "expected a non-empty array of strings such as [\"Y\", \"y\"]");
        return false;
    }
    size_t i;
    json_t *x;
    json_array_foreach(v, i, x)
    {
        if (!json_is_string(x)) {
            char *p = sw_asprintf("%s[%zu]", path, i);
            sw_error_add(h->err, p, "expected a string");
            free(p);
            return false;
        }
    }
    return true;
}

/* ---- views made dimensions ---- */

static void add_views(struct hx *h, const json_t *dims)
{
    const char *name;
    json_t *dh;
    json_object_foreach((json_t *)dims, name, dh)
    {
        if (!json_is_true(json_object_get(dh, "view"))) {
            continue;
        }
        char *path = sw_asprintf("$.dimensions.%s", name);
        const char *key = string_at(h, dh, "key", path);
        if (dim_of(h->s, name)) {
            sw_error_add(h->err, path, "\"%s\" is a table, not a view: remove \"view\"", name);
        } else if (!sw_db_table_exists(h->db, name)) {
            sw_error_add(h->err, path, "no table or view \"%s\" in the data source", name);
        } else if (!key) {
            char *p = sw_asprintf("%s.key", path);
            sw_error_add(h->err, p, "a view needs \"key\": the column that identifies its rows");
            free(p);
        } else {
            h->s->dims = sw_realloc(h->s->dims, (h->s->ndims + 1) * sizeof(*h->s->dims));
            struct sw_dimension *d = &h->s->dims[h->s->ndims++];
            memset(d, 0, sizeof(*d));
            d->name = sw_strdup(name);
            d->view = true;
            struct sw_error e = SW_ERROR_INIT;
            if (sw_schema_load_table_(h->db, h->s, d, &e) < 0) {
                sw_error_add(h->err, path, "cannot read the view's columns: %s",
                             e.message ? e.message : "?");
            }
            sw_error_release(&e);
            struct sw_field *k = field_of(d, key);
            if (!k) {
                char *p = sw_asprintf("%s.key", path);
                char *hint = sw_dim_suggest_field(d, key);
                sw_error_add(h->err, p, "view \"%s\" has no column \"%s\"%s", name, key, hint);
                free(hint);
                free(p);
            } else {
                k->pk = true;
                k->indexed = false;
                free(d->pk);
                d->pk = sw_strdup(key);
                d->pk_type = k->type;
            }
        }
        free(path);
    }
}

/* ---- one dimension's hints ---- */

static void field_hints(struct hx *h, struct sw_dimension *d, const json_t *fields,
                        const char *dpath)
{
    static const char *const keys[] = {"type", "format", "label", "true", "false", NULL};
    const char *fname;
    json_t *fh;
    json_object_foreach((json_t *)fields, fname, fh)
    {
        char *path = sw_asprintf("%s.fields.%s", dpath, fname);
        struct sw_field *f = field_of(d, fname);
        if (!f) {
            char *hint = sw_dim_suggest_field(d, fname);
            sw_error_add(h->err, path, "dimension \"%s\" has no field \"%s\"%s", d->name, fname,
                         hint);
            free(hint);
            free(path);
            continue;
        }
        if (!json_is_object(fh)) {
            sw_error_add(h->err, path, "expected an object");
            free(path);
            continue;
        }
        only_keys(h, fh, path, keys);
        const char *type = string_at(h, fh, "type", path);
        const char *format = string_at(h, fh, "format", path);
        const char *label = string_at(h, fh, "label", path);
        const json_t *yes = json_object_get(fh, "true"), *no = json_object_get(fh, "false");
        char *tp = sw_asprintf("%s.type", path), *fp = sw_asprintf("%s.format", path);
        static const struct {
            const char *name;
            enum sw_type t;
        } types[] = {{"integer", SW_T_INT}, {"real", SW_T_REAL},   {"text", SW_T_TEXT},
                     {"boolean", SW_T_BOOL}, {"date", SW_T_DATE}};
        enum sw_type t = f->type;
        bool typed = false;
        for (size_t i = 0; type && i < sizeof(types) / sizeof(types[0]); i++) {
            if (!strcmp(types[i].name, type)) {
                t = types[i].t;
                typed = true;
            }
        }
        if (type && !typed) {
            sw_error_add(h->err, tp, "unknown type \"%s\" (integer, real, text, boolean or date)",
                         type);
        }
        enum sw_date_fmt fmt = f->date_fmt;
        if (format) {
            if (t != SW_T_DATE) {
                sw_error_add(h->err, fp, "\"format\" applies to dates (\"type\": \"date\")");
            } else if (!strcmp(format, "unix_s")) {
                fmt = SW_DATE_EPOCH_S;
            } else if (!strcmp(format, "unix_ms")) {
                fmt = SW_DATE_EPOCH_MS;
            } else if (!strcmp(format, "iso")) {
                fmt = SW_DATE_ISO_MIXED;
            } else {
                sw_error_add(h->err, fp, "unknown format \"%s\" (unix_s, unix_ms or iso)", format);
            }
        } else if (typed && t == SW_T_DATE && f->type != SW_T_DATE) {
            sw_error_add(h->err, fp,
                         "say how \"%s\" stores dates: \"format\": \"unix_s\", \"unix_ms\" or "
                         "\"iso\"",
                         fname);
        }
        bool spelled = yes || no;
        if (spelled && t != SW_T_BOOL) {
            char *p = sw_asprintf("%s.%s", path, yes ? "true" : "false");
            sw_error_add(h->err, p,
                         "spellings of true and false apply to booleans (\"type\": \"boolean\")");
            free(p);
        } else if (spelled && (!yes || !no)) {
            sw_error_add(h->err, path,
                         "a boolean spelled in text needs both \"true\" and \"false\"");
        }
        char *yp = sw_asprintf("%s.true", path), *np = sw_asprintf("%s.false", path);
        bool ok_spell = spelled && t == SW_T_BOOL && yes && no && spellings(h, yes, yp) &&
                        spellings(h, no, np);
        if (ok_spell) {
            size_t i, j;
            json_t *a, *b;
            json_array_foreach(yes, i, a)
            {
                json_array_foreach(no, j, b)
                {
                    if (!strcmp(json_string_value(a), json_string_value(b))) {
                        sw_error_add(h->err, np, "\"%s\" is both true and false",
                                     json_string_value(b));
                        ok_spell = false;
                    }
                }
            }
        }
        if (h->err->ndetails == 0) {
            if (typed || format || ok_spell) {
                f->type = t;
                f->date_fmt = fmt;
                f->date_z = false;
                f->source = SW_SRC_HINTED;
            }
            if (label) {
                free(f->label);
                f->label = sw_strdup(label);
            }
            if (ok_spell) {
                size_t i;
                json_t *x;
                f->yes = sw_calloc(json_array_size(yes), sizeof(char *));
                f->no = sw_calloc(json_array_size(no), sizeof(char *));
                json_array_foreach(yes, i, x) { f->yes[f->nyes++] = sw_strdup(json_string_value(x)); }
                json_array_foreach(no, i, x) { f->no[f->nno++] = sw_strdup(json_string_value(x)); }
            }
        }
        free(yp);
        free(np);
        free(tp);
        free(fp);
        free(path);
    }
}

static void link_hints(struct hx *h, struct sw_dimension *d, const json_t *links,
                       const char *dpath)
{
    static const char *const keys[] = {"to", "column", "to_column", NULL};
    const char *lname;
    json_t *lh;
    json_object_foreach((json_t *)links, lname, lh)
    {
        char *path = sw_asprintf("%s.links.%s", dpath, lname);
        if (!json_is_object(lh)) {
            sw_error_add(h->err, path, "expected an object {\"to\", \"column\", \"to_column\"}");
            free(path);
            continue;
        }
        only_keys(h, lh, path, keys);
        const char *to = string_at(h, lh, "to", path);
        const char *col = string_at(h, lh, "column", path);
        const char *tcol = string_at(h, lh, "to_column", path);
        struct sw_dimension *target = dim_of(h->s, to);
        char *p = NULL;
        if (!to || !col) {
            sw_error_add(h->err, path, "a link needs \"to\" (a table) and \"column\" (of \"%s\")",
                         d->name);
        } else if (!target) {
            char *hint = sw_schema_suggest_dim(h->s, to);
            p = sw_asprintf("%s.to", path);
            sw_error_add(h->err, p, "no table \"%s\"%s", to, hint);
            free(hint);
        } else if (!field_of(d, col)) {
            char *hint = sw_dim_suggest_field(d, col);
            p = sw_asprintf("%s.column", path);
            sw_error_add(h->err, p, "dimension \"%s\" has no field \"%s\"%s", d->name, col, hint);
            free(hint);
        } else if (!(tcol = tcol ? tcol : target->pk)) {
            p = sw_asprintf("%s.to_column", path);
            sw_error_add(h->err, p,
                         "\"%s\" has no single-column key: say which column the link reaches", to);
        } else if (!field_of(target, tcol)) {
            char *hint = sw_dim_suggest_field(target, tcol);
            p = sw_asprintf("%s.to_column", path);
            sw_error_add(h->err, p, "table \"%s\" has no field \"%s\"%s", to, tcol, hint);
            free(hint);
        } else if (h->err->ndetails == 0) {
            struct sw_link *found = NULL;
            for (size_t i = 0; i < d->nlinks && !found; i++) {
                struct sw_link *l = &d->links[i];
                if (!strcmp(l->target, target->name) && !strcmp(l->local_col, col) &&
                    !strcmp(l->remote_col, tcol)) {
                    found = l;
                }
            }
            if (found) {
                free(found->name);
                found->name = sw_strdup(lname);
            } else {
                bool to_many = !target->pk || strcmp(target->pk, tcol) != 0;
                sw_schema_add_link_(d, lname, target->name, col, tcol, to_many);
            }
        }
        free(p);
        free(path);
    }
}

static void dim_hints(struct hx *h, const char *name, const json_t *dh)
{
    static const char *const keys[] = {"view", "key", "label", "channels", "fields", "links", NULL};
    char *path = sw_asprintf("$.dimensions.%s", name);
    struct sw_dimension *d = dim_of(h->s, name);
    if (!json_is_object(dh)) {
        sw_error_add(h->err, path, "expected an object");
    } else if (!d) {
        if (!json_is_true(json_object_get(dh, "view"))) { /* views: reported by add_views */
            char *hint = sw_schema_suggest_dim(h->s, name);
            sw_error_add(
                h->err, path, "no table \"%s\" in the data source%s%s", name, hint,
                sw_db_table_exists(h->db, name) ? " (a view: add \"view\": true and \"key\")" : "");
            free(hint);
        }
    } else {
        only_keys(h, dh, path, keys);
        if (json_object_get(dh, "key") && !d->view) {
            char *p = sw_asprintf("%s.key", path);
            sw_error_add(h->err, p, "\"key\" is for views; a table's key is its primary key");
            free(p);
        }
        const char *label = string_at(h, dh, "label", path);
        const json_t *ch = json_object_get(dh, "channels");
        if (ch) {
            char *cp = sw_asprintf("%s.channels", path);
            static const char *const ckeys[] = {"email", "sms", "push", NULL};
            if (!json_is_object(ch)) {
                sw_error_add(h->err, cp,
                             "expected {\"email\": FIELD, \"sms\": FIELD, \"push\": FIELD}");
            } else {
                only_keys(h, ch, cp, ckeys);
                for (int c = 0; c < 3; c++) {
                    const char *f = string_at(h, ch, channels[c], cp);
                    if (f && !field_of(d, f)) {
                        char *p = sw_asprintf("%s.%s", cp, channels[c]);
                        char *hint = sw_dim_suggest_field(d, f);
                        sw_error_add(h->err, p, "dimension \"%s\" has no field \"%s\"%s", name, f,
                                     hint);
                        free(hint);
                        free(p);
                    } else if (f && h->err->ndetails == 0) {
                        free(d->address[c]);
                        d->address[c] = sw_strdup(f);
                    }
                }
            }
            free(cp);
        }
        const json_t *fields = json_object_get(dh, "fields");
        if (fields && !json_is_object(fields)) {
            char *p = sw_asprintf("%s.fields", path);
            sw_error_add(h->err, p, "expected an object of field name -> hints");
            free(p);
        } else if (fields) {
            field_hints(h, d, fields, path);
        }
        const json_t *links = json_object_get(dh, "links");
        if (links && !json_is_object(links)) {
            char *p = sw_asprintf("%s.links", path);
            sw_error_add(h->err, p,
                         "expected an object of link name -> {\"to\", \"column\", \"to_column\"}");
            free(p);
        } else if (links) {
            link_hints(h, d, links, path);
        }
        if (label && h->err->ndetails == 0) {
            free(d->label);
            d->label = sw_strdup(label);
        }
    }
    free(path);
}

/* ---- hiding ---- */

static void drop_field(struct sw_dimension *d, struct sw_field *f)
{
    size_t i = (size_t)(f - d->fields);
    sw_field_release(f);
    memmove(&d->fields[i], &d->fields[i + 1], (d->nfields - i - 1) * sizeof(*f));
    d->nfields--;
}

static void drop_dim(struct sw_schema *s, struct sw_dimension *d)
{
    /* Links to it go too. */
    for (size_t i = 0; i < s->ndims; i++) {
        struct sw_dimension *o = &s->dims[i];
        for (size_t j = 0; j < o->nlinks;) {
            if (!strcmp(o->links[j].target, d->name)) {
                free(o->links[j].name);
                free(o->links[j].target);
                free(o->links[j].local_col);
                free(o->links[j].remote_col);
                memmove(&o->links[j], &o->links[j + 1], (o->nlinks - j - 1) * sizeof(*o->links));
                o->nlinks--;
            } else {
                j++;
            }
        }
    }
    /* A one-dimension schema to free it with the schema's own code. */
    struct sw_schema *one = sw_calloc(1, sizeof(*one));
    atomic_init(&one->refs, 1);
    one->dims = sw_calloc(1, sizeof(*one->dims));
    one->dims[0] = *d;
    one->ndims = 1;
    size_t i = (size_t)(d - s->dims);
    memmove(&s->dims[i], &s->dims[i + 1], (s->ndims - i - 1) * sizeof(*d));
    s->ndims--;
    sw_schema_free(one);
}

static void hide(struct hx *h, const json_t *list, bool apply)
{
    size_t i;
    json_t *x;
    json_array_foreach(list, i, x)
    {
        char *path = sw_asprintf("$.hide[%zu]", i);
        const char *item = json_string_value(x);
        const char *dot = item ? strchr(item, '.') : NULL;
        char *table = item ? (dot ? sw_strndup(item, (size_t)(dot - item)) : sw_strdup(item))
                           : NULL;
        struct sw_dimension *d = dim_of(h->s, table);
        struct sw_field *f = d && dot ? field_of(d, dot + 1) : NULL;
        if (!item) {
            sw_error_add(h->err, path, "expected \"Table\" or \"Table.field\"");
        } else if (!d) {
            char *hint = sw_schema_suggest_dim(h->s, table);
            sw_error_add(h->err, path, "no table \"%s\"%s", table, hint);
            free(hint);
        } else if (dot && !f) {
            char *hint = sw_dim_suggest_field(d, dot + 1);
            sw_error_add(h->err, path, "dimension \"%s\" has no field \"%s\"%s", table, dot + 1,
                         hint);
            free(hint);
        } else if (f && f->pk) {
            sw_error_add(h->err, path, "\"%s\" is the key of \"%s\": hide the table instead",
                         dot + 1, table);
        } else if (apply && f) {
            drop_field(d, f);
        } else if (apply) {
            drop_dim(h->s, d);
        }
        free(table);
        free(path);
    }
}

static int apply(struct sw_db *db, struct sw_schema *s, const json_t *hints,
                 struct sw_error *err);

int sw_schema_apply_hints(struct sw_db *db, struct sw_schema *s, const json_t *hints,
                          struct sw_error *err)
{
    if (err) {
        return apply(db, s, hints, err);
    }
    struct sw_error local = SW_ERROR_INIT; /* the checks count the problems found so far */
    int rc = apply(db, s, hints, &local);
    sw_error_release(&local);
    return rc;
}

static int apply(struct sw_db *db, struct sw_schema *s, const json_t *hints,
                 struct sw_error *err)
{
    static const char *const keys[] = {"default_dimension", "hide", "dimensions", NULL};
    struct hx h = {err, s, db};
    if (!hints) {
        return 0;
    }
    if (!json_is_object(hints)) {
        sw_error_add(err, "$", "schema hints: expected a JSON object");
        return sw_error_set(err, SW_EVALIDATION, "schema hints are not valid");
    }
    only_keys(&h, hints, "$", keys);
    const json_t *dims = json_object_get(hints, "dimensions");
    const json_t *list = json_object_get(hints, "hide");
    if (dims && !json_is_object(dims)) {
        sw_error_add(h.err, "$.dimensions", "expected an object of dimension name -> hints");
        dims = NULL;
    }
    if (list && !json_is_array(list)) {
        sw_error_add(h.err, "$.hide", "expected an array of \"Table\" or \"Table.field\"");
        list = NULL;
    }
    if (dims) {
        add_views(&h, dims);
    }
    /* Check everything first: a hint applies only when none has a problem. */
    if (list) {
        hide(&h, list, false);
    }
    if (dims) {
        const char *name;
        json_t *dh;
        json_object_foreach((json_t *)dims, name, dh) { dim_hints(&h, name, dh); }
    }
    const char *dflt = string_at(&h, hints, "default_dimension", "$");
    struct sw_dimension *dd = dim_of(s, dflt);
    if (dflt && (!dd || !dd->pk)) {
        char *hint = sw_schema_suggest_dim(s, dflt);
        sw_error_add(h.err, "$.default_dimension", "no dimension \"%s\"%s", dflt, hint);
        free(hint);
    }
    if (err->ndetails) {
        return sw_error_set(err, SW_EVALIDATION, "schema hints are not valid (%zu problem%s)",
                            err->ndetails, err->ndetails == 1 ? "" : "s");
    }
    if (dflt) {
        free(s->default_dim);
        s->default_dim = sw_strdup(dflt);
    }
    if (list) {
        hide(&h, list, true);
        if (s->default_dim && !dim_of(s, s->default_dim)) {
            free(s->default_dim);
            s->default_dim = NULL;
            for (size_t i = 0; i < s->ndims && !s->default_dim; i++) {
                if (s->dims[i].pk) {
                    s->default_dim = sw_strdup(s->dims[i].name);
                }
            }
        }
    }
    sw_schema_mark_collisions_(s);
    return 0;
}

int sw_schema_discover_hinted(struct sw_db *db, const char *hints_path, struct sw_schema **out,
                              struct sw_error *err)
{
    int rc = sw_schema_discover(db, out, err);
    if (rc < 0 || !hints_path || !*hints_path) {
        return rc;
    }
    json_error_t je;
    json_t *hints = json_load_file(hints_path, JSON_REJECT_DUPLICATES, &je);
    if (!hints) {
        rc = sw_error_set(err, SW_EINVAL, "schema hints %s: %s (line %d, column %d)", hints_path,
                          je.text, je.line, je.column);
    } else if ((rc = sw_schema_apply_hints(db, *out, hints, err)) < 0) {
        char *m = sw_asprintf("schema hints %s are not valid", hints_path);
        sw_error_set(err, SW_EVALIDATION, "%s", m);
        free(m);
    }
    json_decref(hints);
    if (rc < 0) {
        sw_schema_free(*out);
        *out = NULL;
    }
    return rc;
}
