/*
 * filter.c - the condition tree of SPEC §2.1 compiled to a parameterized SQL boolean
 * expression (see filter.h).
 *
 * One recursive walk does both jobs: it checks the tree (every problem is recorded with its
 * JSON path and the walk goes on, so a document shows all its errors at once) and, when a
 * schema is known, writes SQL. Without a schema the SQL goes to a scratch buffer that is
 * thrown away, so the structural checks are exactly the ones made when compiling.
 *
 * Safety: every user value is a bound parameter written as a numbered placeholder; the only
 * identifiers written are names found in the schema, validated enrichment columns (both
 * quoted with sw_db_ident), aliases we generate ("l1", "l2", ...) and the caller's aliases.
 *
 * SQL shapes (A is the alias of the rows the condition speaks about, "d" at the top):
 *   field op value        (A."f" = ?1)  <> < <= > >=  IN (?1, ?2)  NOT IN (...)
 *                         BETWEEN ?1 AND ?2  LIKE ?1 ESCAPE '\'  IS NULL  IS NOT NULL
 *   all / any             (x AND y) / (x OR y); empty all is (1=1), empty any is (1=0)
 *   not                   (NOT COALESCE(x, FALSE))
 *   link exists           EXISTS (SELECT 1 FROM "orders" l1 WHERE l1."profile_id" = A."id"
 *                         AND (cond))
 *   link aggregate        ((SELECT COALESCE(sum(l1."amount"), 0) FROM "orders" l1
 *                         WHERE l1."profile_id" = A."id" AND (filter)) > ?1)
 *   in_audience           (A."id" IN (SELECT "_key" FROM "swa_3"))
 *
 * NULL semantics: a comparison with NULL is false (SPEC §2.1). SQL yields NULL there, which
 * WHERE treats as false and which AND / OR propagate consistently; only NOT would turn it
 * into "unknown" instead of true, hence the COALESCE under NOT. The compiled expression as a
 * whole may still evaluate to NULL (meaning false): a caller that needs the complement of a
 * condition must write NOT COALESCE((cond), FALSE), not NOT (cond).
 *
 * Dates are bound in the column's storage representation (ISO text with 'T' or a space,
 * date-only text, epoch seconds or milliseconds), so comparisons run on the stored values and
 * indexes stay usable. A bound instant that falls between two representable values is
 * rounded in the direction that keeps the comparison exact: `lt`/`ge` round up, `le`/`gt`
 * round down (a birth_date before "-18y" taken at noon includes the person born that day).
 * Extra (enrichment) date columns are ISO text with 'T' and 'Z'.
 *
 * contains / starts_with / ends_with match the user's text literally (LIKE metacharacters
 * are escaped) and ignore ASCII case, as SQLite's LIKE does (ILIKE on PostgreSQL).
 */
#include "model/filter.h"
#include "core/clock.h"
#include "core/util.h"
#include "schema/schema.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Deeper trees are refused rather than risking the stack on hostile input. */
#define MAX_DEPTH 64

enum op {
    OP_EQ,
    OP_NE,
    OP_LT,
    OP_LE,
    OP_GT,
    OP_GE,
    OP_IN,
    OP_NOT_IN,
    OP_BETWEEN,
    OP_CONTAINS,
    OP_STARTS_WITH,
    OP_ENDS_WITH,
    OP_IS_NULL,
    OP_NOT_NULL,
    OP_WITHIN_LAST,
    OP_BEFORE,
    OP_AFTER,
    OP_COUNT_
};

/* Longest value of contains / starts_with / ends_with. */
#define SW_FILTER_MAX_PATTERN 4096

static const char *const op_names[OP_COUNT_] = {
    "eq",      "ne",       "lt",          "le",       "gt",          "ge",
    "in",      "not_in",   "between",     "contains", "starts_with", "ends_with",
    "is_null", "not_null", "within_last", "before",   "after",
};

/* The aggregates over a link's rows (link tests, link values, grouped enrichment), one row
 * each: name, how the result's type follows from the field's, whether the field must be a
 * number, and the SQL around the argument. Of no rows, count and sum give 0; avg, min, max
 * NULL. sum over a field of unknown type is of unknown type: a field has no type only where
 * types are not checked (no schema, or under a link already reported unknown), and an
 * unchecked operand must stay unchecked rather than raise a second problem; with a schema
 * every field has a type (the enrich validator turns an unknown column type into REAL where a
 * work table needs one). */
enum agg { AGG_NONE = -1, AGG_COUNT, AGG_SUM, AGG_AVG, AGG_MIN, AGG_MAX };
enum agg_type {
    AGG_T_INT,   /* count */
    AGG_T_REAL,  /* avg */
    AGG_T_SUM,   /* REAL over REAL, unknown over unknown, INT over INT and BOOL */
    AGG_T_FIELD, /* min, max: the field's */
};
static const struct {
    const char *name;
    enum agg_type type;
    bool numeric;
    const char *open, *close; /* SQL: open <argument> close */
} aggs[] = {
    [AGG_COUNT] = {"count", AGG_T_INT, false, "count(", ")"},
    [AGG_SUM] = {"sum", AGG_T_SUM, true, "COALESCE(sum(", "), 0)"},
    [AGG_AVG] = {"avg", AGG_T_REAL, true, "avg(", ")"},
    [AGG_MIN] = {"min", AGG_T_FIELD, false, "min(", ")"},
    [AGG_MAX] = {"max", AGG_T_FIELD, false, "max(", ")"},
};
#define NAGG (sizeof(aggs) / sizeof(aggs[0]))

/* One compilation: where values go and how many problems were found. err may be NULL, so
 * problems are counted here rather than read back from err. */
struct cc {
    const struct sw_filter_ctx *ctx;
    const struct sw_schema *schema;
    struct sw_params *params;
    struct sw_error *err;
    int nerr;
    int nalias; /* last link alias handed out: l1, l2, ... */
    int depth;
};

/* The rows a condition speaks about: the population (top) or rows reached through links. */
struct scope {
    const struct sw_dimension *dim; /* NULL without a schema */
    const char *dim_name;           /* for messages; may be NULL */
    char alias[32];
    bool top; /* extra columns (cols_alias) are visible only here */
    bool lax; /* behind a link already reported unknown: accept any field, report no more */
};

/* The value expression a comparison tests, with what is needed to bind values for it. */
struct operand {
    enum sw_type type;
    enum sw_date_fmt fmt;
    bool z;
    char label[160]; /* field "amount" / sum(amount), for messages */
};

__attribute__((format(printf, 3, 4))) static void fail(struct cc *c, const char *path,
                                                       const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vadd(c->err, path, fmt, ap);
    va_end(ap);
    c->nerr++;
}

static char *idx(const char *path, const char *key, size_t i)
{
    return sw_asprintf("%s.%s[%zu]", path, key, i);
}

/* Report every key of obj that is not in allowed (NULL-terminated). */
static void check_keys(struct cc *c, const json_t *obj, const char *path,
                       const char *const *allowed)
{
    const char *key;
    const json_t *v;
    json_object_foreach ((json_t *)obj, key, v) {
        bool ok = false;
        for (size_t i = 0; allowed[i]; i++) {
            if (strcmp(allowed[i], key) == 0) {
                ok = true;
                break;
            }
        }
        if (!ok) {
            char *p = sw_path_member(path, key);
            fail(c, p, "unknown key \"%s\"", key);
            free(p);
        }
    }
}

static const char *json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

static void placeholder(struct cc *c, struct sw_buf *out, int n)
{
    sw_buf_printf(out, "?%d", n);
}

/* ---- values -------------------------------------------------------------------------- */

static const json_t *resolve(const struct sw_filter_ctx *ctx, const json_t *v, const char *path,
                             struct cc *c)
{
    if (!json_is_object(v) || !json_object_get(v, "var")) {
        return v;
    }
    const json_t *name = json_object_get(v, "var");
    if (json_object_size(v) != 1 || !json_is_string(name)) {
        fail(c, path, "a variable reference is {\"var\": \"name\"}");
        return NULL;
    }
    const json_t *val =
        ctx->variables ? json_object_get(ctx->variables, json_string_value(name)) : NULL;
    if (!val) {
        fail(c, path, "unknown variable \"%s\"", json_string_value(name));
        return NULL;
    }
    return val;
}

const json_t *sw_filter_resolve_value(const struct sw_filter_ctx *ctx, const json_t *v,
                                      const char *path, struct sw_error *err)
{
    struct cc c = {.ctx = ctx, .err = err};
    return resolve(ctx, v, path, &c);
}

static int64_t granularity(enum sw_date_fmt f)
{
    switch (f) {
    case SW_DATE_ISO_DATE:
        return 86400000LL;
    case SW_DATE_ISO_T:
    case SW_DATE_ISO_SPACE:
    case SW_DATE_ISO_MIXED:
    case SW_DATE_EPOCH_S:
        return 1000LL;
    case SW_DATE_EPOCH_MS:
    case SW_DATE_NATIVE:
        return 1;
    }
    return 1;
}

/* Bind an instant in the operand's storage representation; round_up picks the next
 * representable value when ms falls between two (see the file comment). */
static void put_date(struct cc *c, const struct operand *o, int64_t ms, bool round_up,
                     struct sw_buf *out)
{
    int64_t g = granularity(o->fmt);
    int64_t mod = ((ms % g) + g) % g;
    int64_t t = ms - mod;
    if (round_up && mod) {
        t += g;
    }
    int y, mo, d, h, mi, s, n;
    char text[48];
    sw_clock_civil(t, &y, &mo, &d, &h, &mi, &s);
    switch (o->fmt) {
    case SW_DATE_EPOCH_S:
        n = sw_params_add_int(c->params, t / 1000);
        break;
    case SW_DATE_EPOCH_MS:
        n = sw_params_add_int(c->params, t);
        break;
    case SW_DATE_ISO_DATE:
        (void)snprintf(text, sizeof(text), "%04d-%02d-%02d", y, mo, d);
        n = sw_params_add_text(c->params, text);
        break;
    case SW_DATE_ISO_SPACE:
    case SW_DATE_ISO_MIXED: /* the column is compared as the dialect's UTC text */
        (void)snprintf(text, sizeof(text), "%04d-%02d-%02d %02d:%02d:%02d", y, mo, d, h, mi, s);
        n = sw_params_add_text(c->params, text);
        break;
    case SW_DATE_NATIVE:
        (void)snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, h, mi,
                       s, (int)(((t % 1000) + 1000) % 1000));
        n = sw_params_add_text(c->params, text);
        break;
    case SW_DATE_ISO_T:
    default:
        (void)snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo, d, h, mi, s,
                       o->z ? "Z" : "");
        n = sw_params_add_text(c->params, text);
        break;
    }
    placeholder(c, out, n);
}

/* A date value: an ISO-8601 date/time, or a relative "-18y" / "+2w" from now. */
static int parse_date(struct cc *c, const json_t *v, const char *path, int64_t *ms)
{
    const char *s = json_string_value(v);
    if (s && sw_clock_parse_iso(s, ms) == 0) {
        return 0;
    }
    if (s && (*s == '-' || *s == '+') && sw_clock_relative(s, c->ctx->now_ms, ms) == 0) {
        return 0;
    }
    if (s) {
        fail(c, path, "expected an ISO-8601 date or a relative duration like \"-18y\", got \"%s\"",
             s);
    } else {
        fail(c, path, "expected an ISO-8601 date or a relative duration like \"-18y\", got %s",
             json_kind(v));
    }
    return -1;
}

/* Check one scalar value against the operand's type, bind it and write its placeholder.
 * v is already resolved. round_up matters for dates only. */
static void put_value(struct cc *c, const struct operand *o, const json_t *v, const char *path,
                      bool round_up, struct sw_buf *out)
{
    int n = 0;
    if (json_is_null(v)) {
        fail(c, path, "null is not a comparison value (use the is_null / not_null operators)");
        return;
    }
    if (json_is_array(v) || json_is_object(v)) {
        fail(c, path, "expected a single value, got %s", json_kind(v));
        return;
    }
    switch (o->type) {
    case SW_T_INT:
    case SW_T_REAL:
        if (json_is_integer(v)) {
            n = sw_params_add_int(c->params, json_integer_value(v));
        } else if (json_is_real(v)) {
            n = sw_params_add_real(c->params, json_real_value(v));
        } else {
            fail(c, path, "%s is %s: expected a number, got %s", o->label, sw_type_name(o->type),
                 json_kind(v));
            return;
        }
        break;
    case SW_T_TEXT:
        if (!json_is_string(v)) {
            fail(c, path, "%s is text: expected a string, got %s", o->label, json_kind(v));
            return;
        }
        n = sw_params_add_text(c->params, json_string_value(v));
        break;
    case SW_T_BOOL:
        if (json_is_boolean(v)) {
            n = sw_params_add_int(c->params, json_is_true(v) ? 1 : 0);
        } else if (json_is_integer(v) &&
                   (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
            n = sw_params_add_int(c->params, json_integer_value(v));
        } else {
            fail(c, path, "%s is boolean: expected true or false, got %s", o->label, json_kind(v));
            return;
        }
        break;
    case SW_T_DATE: {
        int64_t ms;
        if (parse_date(c, v, path, &ms) < 0) {
            return;
        }
        put_date(c, o, ms, round_up, out);
        return;
    }
    case SW_T_UNKNOWN:
    default:
        /* A column of unrecognised type (or no schema): bind the value as it is. */
        if (json_is_string(v)) {
            n = sw_params_add_text(c->params, json_string_value(v));
        } else if (json_is_integer(v)) {
            n = sw_params_add_int(c->params, json_integer_value(v));
        } else if (json_is_real(v)) {
            n = sw_params_add_real(c->params, json_real_value(v));
        } else {
            n = sw_params_add_int(c->params, json_is_true(v) ? 1 : 0);
        }
        break;
    }
    placeholder(c, out, n);
}

/* A bound instant for a date operator on an operand of unknown type (a column whose type
 * the schema could not tell): treated as ISO text, the most common SQLite storage. */
static void put_instant(struct cc *c, const struct operand *o, int64_t ms, bool round_up,
                        struct sw_buf *out)
{
    struct operand d = *o;
    if (d.type != SW_T_DATE) {
        d.fmt = SW_DATE_ISO_T;
        d.z = true;
    }
    put_date(c, &d, ms, round_up, out);
}

/* ---- comparisons --------------------------------------------------------------------- */

static bool op_applies(enum op op, enum sw_type t)
{
    if (t == SW_T_UNKNOWN) {
        return true;
    }
    switch (op) {
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
    case OP_BETWEEN:
        return t != SW_T_BOOL;
    case OP_CONTAINS:
    case OP_STARTS_WITH:
    case OP_ENDS_WITH:
        return t == SW_T_TEXT;
    case OP_WITHIN_LAST:
    case OP_BEFORE:
    case OP_AFTER:
        return t == SW_T_DATE;
    default:
        return true;
    }
}

static int parse_op(struct cc *c, const json_t *opv, const char *path, enum op *op)
{
    if (!json_is_string(opv)) {
        fail(c, path, "expected an operator name (a string), got %s", json_kind(opv));
        return -1;
    }
    const char *s = json_string_value(opv);
    for (int i = 0; i < OP_COUNT_; i++) {
        if (strcmp(s, op_names[i]) == 0) {
            *op = (enum op)i;
            return 0;
        }
    }
    struct sw_buf list = SW_BUF_INIT;
    for (int i = 0; i < OP_COUNT_; i++) {
        sw_buf_printf(&list, "%s%s", i ? ", " : "", op_names[i]);
    }
    fail(c, path, "unknown operator \"%s\" (expected one of %s)", s, list.data);
    sw_buf_release(&list);
    return -1;
}

static void put_like(struct cc *c, enum op op, const char *text, struct sw_buf *out)
{
    struct sw_buf pat = SW_BUF_INIT;
    if (op != OP_STARTS_WITH) {
        sw_buf_putc(&pat, '%');
    }
    for (const char *p = text; *p; p++) {
        if (*p == '%' || *p == '_' || *p == '\\') {
            sw_buf_putc(&pat, '\\');
        }
        sw_buf_putc(&pat, *p);
    }
    if (op != OP_ENDS_WITH) {
        sw_buf_putc(&pat, '%');
    }
    sw_buf_printf(out, " %s ", sw_dialect_like_ci(c->ctx->dialect));
    placeholder(c, out, sw_params_add_text(c->params, pat.data));
    sw_buf_puts(out, " ESCAPE '\\'");
    sw_buf_release(&pat);
}

/* Write "(<expr> <op> <value>)" for the comparison in node (keys "op" and "value", paths under
 * path). expr is the SQL of the operand. */
static void compile_test(struct cc *c, const struct operand *o, const char *expr,
                         const json_t *node, const char *path, struct sw_buf *out)
{
    char *op_path = sw_path_member(path, "op");
    char *val_path = sw_path_member(path, "value");
    const json_t *opv = json_object_get(node, "op");
    const json_t *raw = json_object_get(node, "value");
    const json_t *v = NULL;
    enum op op;

    if (!opv) {
        fail(c, op_path, "\"op\" is required");
        goto out;
    }
    if (parse_op(c, opv, op_path, &op) < 0) {
        goto out;
    }
    if (!op_applies(op, o->type)) {
        fail(c, op_path, "operator \"%s\" does not apply to %s (%s)", op_names[op], o->label,
             sw_type_name(o->type));
        goto out;
    }
    if (op == OP_IS_NULL || op == OP_NOT_NULL) {
        if (raw && !json_is_null(raw)) {
            fail(c, val_path, "%s takes no value", op_names[op]);
            goto out;
        }
        sw_buf_printf(out, "(%s IS %sNULL)", expr, op == OP_IS_NULL ? "" : "NOT ");
        goto out;
    }
    if (!raw) {
        fail(c, val_path, "\"value\" is required for %s", op_names[op]);
        goto out;
    }
    v = resolve(c->ctx, raw, val_path, c);
    if (!v) {
        goto out;
    }

    switch (op) {
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE: {
        static const char *const sym[] = {"=", "<>", "<", "<=", ">", ">="};
        sw_buf_printf(out, "(%s %s ", expr, sym[op]);
        put_value(c, o, v, val_path, op == OP_LT || op == OP_GE, out);
        sw_buf_putc(out, ')');
        break;
    }
    case OP_IN:
    case OP_NOT_IN: {
        if (!json_is_array(v)) {
            fail(c, val_path, "%s expects an array of values, got %s", op_names[op], json_kind(v));
            break;
        }
        if (json_array_size(v) == 0) {
            /* Nothing is in the empty set; everything non-NULL is outside it. */
            sw_buf_printf(out, op == OP_IN ? "(1=0)" : "(%s IS NOT NULL)", expr);
            break;
        }
        sw_buf_printf(out, "(%s %sIN (", expr, op == OP_IN ? "" : "NOT ");
        for (size_t i = 0; i < json_array_size(v); i++) {
            char *ep = sw_asprintf("%s[%zu]", val_path, i);
            const json_t *e = resolve(c->ctx, json_array_get(v, i), ep, c);
            if (i) {
                sw_buf_puts(out, ", ");
            }
            if (e) {
                put_value(c, o, e, ep, false, out);
            }
            free(ep);
        }
        sw_buf_puts(out, "))");
        break;
    }
    case OP_BETWEEN: {
        if (!json_is_array(v) || json_array_size(v) != 2) {
            fail(c, val_path, "between expects [low, high], got %s", json_kind(v));
            break;
        }
        char *lo_path = sw_asprintf("%s[0]", val_path);
        char *hi_path = sw_asprintf("%s[1]", val_path);
        const json_t *lo = resolve(c->ctx, json_array_get(v, 0), lo_path, c);
        const json_t *hi = resolve(c->ctx, json_array_get(v, 1), hi_path, c);
        sw_buf_printf(out, "(%s BETWEEN ", expr);
        if (lo) {
            put_value(c, o, lo, lo_path, true, out);
        }
        sw_buf_puts(out, " AND ");
        if (hi) {
            put_value(c, o, hi, hi_path, false, out);
        }
        sw_buf_putc(out, ')');
        free(lo_path);
        free(hi_path);
        break;
    }
    case OP_CONTAINS:
    case OP_STARTS_WITH:
    case OP_ENDS_WITH:
        if (!json_is_string(v)) {
            fail(c, val_path, "%s expects a string, got %s", op_names[op], json_kind(v));
            break;
        }
        /* Databases cap pattern lengths (SQLite: 50000 bytes); refuse it at save time. */
        if (json_string_length(v) > SW_FILTER_MAX_PATTERN) {
            fail(c, val_path, "%s takes at most %d characters", op_names[op],
                 SW_FILTER_MAX_PATTERN);
            break;
        }
        sw_buf_printf(out, "(%s", expr);
        put_like(c, op, json_string_value(v), out);
        sw_buf_putc(out, ')');
        break;
    case OP_WITHIN_LAST: {
        int64_t d;
        const char *s = json_string_value(v);
        if (!s || sw_parse_duration(s, &d) < 0 || d <= 0) {
            fail(c, val_path,
                 "within_last expects a positive duration such as \"90d\", \"12h\" "
                 "or \"2w\"");
            break;
        }
        sw_buf_printf(out, "(%s >= ", expr);
        put_instant(c, o, c->ctx->now_ms - d, true, out);
        sw_buf_putc(out, ')');
        break;
    }
    case OP_BEFORE:
    case OP_AFTER: {
        int64_t ms;
        if (parse_date(c, v, val_path, &ms) < 0) {
            break;
        }
        sw_buf_printf(out, "(%s %s ", expr, op == OP_BEFORE ? "<" : ">");
        put_instant(c, o, ms, op == OP_BEFORE, out);
        sw_buf_putc(out, ')');
        break;
    }
    default:
        break;
    }
out:
    free(op_path);
    free(val_path);
}

/* ---- fields and links ---------------------------------------------------------------- */

static void field_operand(struct operand *o, const struct sw_field *f)
{
    o->type = f->type;
    o->fmt = f->date_fmt;
    o->z = f->date_z;
    (void)snprintf(o->label, sizeof(o->label), "field \"%s\"", f->name);
}

/* Resolve a field name in a scope: an extra column (top scope only), then a column of the
 * scope's dimension. Writes its SQL to out. 0, or -1 with the problem recorded. */
static int resolve_field(struct cc *c, const struct scope *s, const char *name, const char *path,
                         struct sw_buf *out, struct operand *o)
{
    const struct sw_filter_ctx *ctx = c->ctx;
    memset(o, 0, sizeof(*o));
    (void)snprintf(o->label, sizeof(o->label), "field \"%s\"", name);
    if (!c->schema || s->lax) {
        o->type = SW_T_UNKNOWN;
        return 0;
    }
    if (s->top && ctx->cols_alias && ctx->shape) {
        const struct sw_column *col = sw_shape_col(ctx->shape, name);
        if (col) {
            o->type = col->type;
            o->fmt = SW_DATE_ISO_T;
            o->z = true;
            sw_buf_printf(out, "%s.", ctx->cols_alias);
            sw_db_ident(out, col->name);
            return 0;
        }
    }
    const struct sw_field *f = s->dim ? sw_dim_field(s->dim, name) : NULL;
    if (!f) {
        char *hint = sw_dim_suggest_field(s->dim, name);
        fail(c, path, "unknown field \"%s\" of dimension \"%s\"%s", name,
             s->dim_name ? s->dim_name : "?", hint);
        free(hint);
        return -1;
    }
    field_operand(o, f);
    if (f->type == SW_T_BOOL && f->nyes && c->params) {
        /* A boolean spelled in text (schema hints): 1 for a true spelling, 0 for a false one,
         * NULL otherwise; the spellings are bound, never SQL text. */
        for (int pass = 0; pass < 2; pass++) {
            sw_buf_puts(out, pass ? " WHEN " : "(CASE WHEN ");
            sw_buf_printf(out, "%s.", s->alias);
            sw_db_ident(out, f->name);
            sw_buf_puts(out, " IN (");
            char **list = pass ? f->no : f->yes;
            size_t n = pass ? f->nno : f->nyes;
            for (size_t i = 0; i < n; i++) {
                sw_buf_puts(out, i ? ", " : "");
                placeholder(c, out, sw_params_add_text(c->params, list[i]));
            }
            sw_buf_puts(out, pass ? ") THEN 0 END)" : ") THEN 1");
        }
        return 0;
    }
    bool utc = f->type == SW_T_DATE && f->date_fmt == SW_DATE_ISO_MIXED;
    if (utc) {
        sw_buf_printf(out, "%s(", sw_dialect_utc_fn(ctx->dialect));
    }
    sw_buf_printf(out, "%s.", s->alias);
    sw_db_ident(out, f->name);
    if (utc) {
        sw_buf_putc(out, ')');
    }
    return 0;
}

/* Resolve a link of the scope's dimension and open the scope of its rows, with a fresh
 * alias. Without a schema the new scope has no dimension (anything goes inside). */
static int open_link(struct cc *c, const struct scope *s, const char *name, const char *path,
                     const struct sw_link **lout, struct scope *ls)
{
    memset(ls, 0, sizeof(*ls));
    *lout = NULL;
    (void)snprintf(ls->alias, sizeof(ls->alias), "l%d", ++c->nalias);
    ls->lax = s->lax;
    if (!c->schema || s->lax) {
        return 0;
    }
    /* From here on, a failure makes the linked scope lax so that the conditions under it
     * are still checked for structure without a cascade of "unknown field" reports. */
    ls->lax = true;
    const struct sw_link *l = name && s->dim ? sw_dim_link(s->dim, name) : NULL;
    if (!name) {
        return -1;
    }
    if (!l) {
        char *shared = sw_dim_link_collision(s->dim, name);
        char *hint = shared ? NULL : sw_dim_suggest_link(s->dim, name);
        if (shared) {
            fail(c, path, "%s", shared);
        } else {
            fail(c, path, "unknown link \"%s\" of dimension \"%s\"%s", name,
                 s->dim_name ? s->dim_name : "?", hint);
        }
        free(shared);
        free(hint);
        return -1;
    }
    ls->dim = sw_schema_dim(c->schema, l->target);
    if (!ls->dim) {
        fail(c, path, "link \"%s\" leads to \"%s\", which is not a dimension", name, l->target);
        return -1;
    }
    ls->dim_name = ls->dim->name;
    ls->lax = false;
    *lout = l;
    return 0;
}

/* The scope's side of a link join: "d."household_id"", or, when the link starts from the
 * dimension's key and the population's work table is in the query, "w._key" (the same
 * value), so that the dimension itself need not be joined. */
static void link_local(struct cc *c, const struct scope *s, const struct sw_link *l,
                       struct sw_buf *out)
{
    if (s->top && c->ctx->cols_alias && s->dim && s->dim->pk && !strcmp(l->local_col, s->dim->pk)) {
        sw_buf_printf(out, "%s._key", c->ctx->cols_alias);
        return;
    }
    sw_buf_printf(out, "%s.", s->alias);
    sw_db_ident(out, l->local_col);
}

/* "FROM "orders" l1 WHERE l1."profile_id" = d."id"" */
static void link_from(struct cc *c, const struct scope *s, const struct sw_link *l,
                      const struct scope *ls, struct sw_buf *out)
{
    sw_buf_puts(out, " FROM ");
    sw_db_ident(out, ls->dim->name);
    sw_buf_printf(out, " %s WHERE %s.", ls->alias, ls->alias);
    sw_db_ident(out, l->remote_col);
    sw_buf_puts(out, " = ");
    link_local(c, s, l, out);
}

static void compile_cond(struct cc *c, const struct scope *s, const json_t *node, const char *path,
                         struct sw_buf *out);

static enum agg find_agg(const char *s)
{
    for (size_t i = 0; i < NAGG; i++) {
        if (strcmp(s, aggs[i].name) == 0) {
            return (enum agg)i;
        }
    }
    return AGG_NONE;
}

static enum sw_type agg_result_type(enum agg a, enum sw_type field)
{
    switch (aggs[a].type) {
    case AGG_T_INT:
        return SW_T_INT;
    case AGG_T_REAL:
        return SW_T_REAL;
    case AGG_T_SUM:
        return field == SW_T_REAL || field == SW_T_UNKNOWN ? field : SW_T_INT;
    case AGG_T_FIELD:
        break;
    }
    return field;
}

static void agg_sql(enum agg a, const char *arg, struct sw_buf *out)
{
    sw_buf_printf(out, "%s%s%s", aggs[a].open, arg, aggs[a].close);
}

/* The scalar subquery over a link: an aggregate or, through an N-1 link, the linked field
 * itself (AGG_NONE). field may be NULL for count; filter may be NULL. Paths of
 * problems are under path (".link", ".aggregate", ".field", ".filter"). */
static void link_scalar(struct cc *c, const struct scope *s, const char *link, enum agg agg,
                        const char *field, const json_t *filter, const char *path,
                        struct sw_buf *out, struct operand *o)
{
    char *link_path = sw_path_member(path, "link");
    char *agg_path = sw_path_member(path, "aggregate");
    char *field_path = sw_path_member(path, "field");
    char *filter_path = sw_path_member(path, "filter");
    struct sw_buf fexpr = SW_BUF_INIT;
    struct operand fo = {.type = SW_T_UNKNOWN};
    const struct sw_link *l = NULL;
    struct scope ls;
    bool ok = open_link(c, s, link, link_path, &l, &ls) == 0;

    memset(o, 0, sizeof(*o));
    if (ok && agg == AGG_NONE && l && l->to_many) {
        fail(c, agg_path,
             "link \"%s\" leads to many rows: an aggregate (count, sum, avg, min, max) is "
             "required",
             link);
        ok = false;
    }
    if (field) {
        if (ok && resolve_field(c, &ls, field, field_path, &fexpr, &fo) < 0) {
            ok = false;
        }
    } else if (agg != AGG_COUNT) {
        fail(c, field_path, "\"field\" is required%s%s", agg != AGG_NONE ? " for " : "",
             agg != AGG_NONE ? aggs[agg].name : "");
        ok = false;
    }
    if (ok && field && agg != AGG_NONE && aggs[agg].numeric && fo.type != SW_T_INT &&
        fo.type != SW_T_REAL && fo.type != SW_T_BOOL && fo.type != SW_T_UNKNOWN) {
        fail(c, field_path, "%s needs a numeric field; %s is %s", aggs[agg].name, fo.label,
             sw_type_name(fo.type));
        ok = false;
    }

    sw_buf_puts(out, "(SELECT ");
    if (agg == AGG_NONE || aggs[agg].type == AGG_T_FIELD) {
        *o = fo;
    }
    if (agg == AGG_NONE) {
        sw_buf_puts(out, fexpr.data);
    } else {
        o->type = agg_result_type(agg, fo.type);
        agg_sql(agg, field ? fexpr.data : "*", out);
        (void)snprintf(o->label, sizeof(o->label), "%s(%s) over \"%s\"", aggs[agg].name,
                       field ? field : "*", link ? link : "?");
    }
    if (ok && l) {
        link_from(c, s, l, &ls, out);
    }
    if (filter) {
        /* The filter is checked even when the link is unknown, to report all problems. */
        sw_buf_puts(out, " AND ");
        compile_cond(c, &ls, filter, filter_path, out);
    }
    sw_buf_putc(out, ')');
    sw_buf_release(&fexpr);
    free(link_path);
    free(agg_path);
    free(field_path);
    free(filter_path);
}

static const char *string_key(struct cc *c, const json_t *node, const char *key, const char *path,
                              bool required)
{
    const json_t *v = json_object_get(node, key);
    if (!v) {
        if (required) {
            char *p = sw_path_member(path, key);
            fail(c, p, "\"%s\" is required", key);
            free(p);
        }
        return NULL;
    }
    if (!json_is_string(v) || !*json_string_value(v)) {
        char *p = sw_path_member(path, key);
        fail(c, p, "expected a non-empty string, got %s", json_kind(v));
        free(p);
        return NULL;
    }
    return json_string_value(v);
}

/* Semi-join form: should the linked table be scanned without its indexes? Only when the
 * caller can measure, and no condition on an indexed column of the linked rows is
 * selective (see sw_filter_ctx.selective). Each such condition is compiled alone, with
 * its own parameters, for the measurement. */
static bool scan_linked(struct cc *c, const struct scope *ls, const json_t *cond)
{
    const struct sw_filter_ctx *ctx = c->ctx;
    const json_t *all = json_object_get(cond, "all");
    size_t n = json_is_array(all) ? json_array_size(all) : 1;
    bool probed = false;
    if (!ctx->selective || !ls->dim || !json_is_object(cond)) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *term = json_is_array(all) ? json_array_get(all, i) : cond;
        const char *field = json_string_value(json_object_get(term, "field"));
        const struct sw_field *f = field ? sw_dim_field(ls->dim, field) : NULL;
        if (!f || !f->indexed) {
            continue;
        }
        struct cc tc = {.ctx = ctx, .schema = c->schema, .err = NULL};
        struct sw_params params = SW_PARAMS_INIT;
        struct sw_buf where = SW_BUF_INIT;
        tc.params = &params;
        compile_cond(&tc, ls, term, "$", &where);
        bool sel = tc.nerr == 0 && !sw_buf_error(&where) &&
                   ctx->selective(ctx->ud, ls->dim->name, ls->alias, where.data, &params);
        probed = probed || tc.nerr == 0;
        sw_buf_release(&where);
        sw_params_release(&params);
        if (sel) {
            return false;
        }
    }
    return probed;
}

static void compile_link(struct cc *c, const struct scope *s, const json_t *node, const char *path,
                         struct sw_buf *out)
{
    const char *link = string_key(c, node, "link", path, true);
    const json_t *exists = json_object_get(node, "exists");

    if (exists) {
        static const char *const keys[] = {"link", "exists", NULL};
        check_keys(c, node, path, keys);
        char *link_path = sw_path_member(path, "link");
        char *ex_path = sw_path_member(path, "exists");
        const struct sw_link *l = NULL;
        struct scope ls;
        bool ok = open_link(c, s, link, link_path, &l, &ls) == 0;
        bool semi = ok && l && l->to_many && s->top && c->ctx->semijoin;
        if (semi) {
            const char *hint = sw_dialect_no_index(c->ctx->dialect);
            bool scan = hint && scan_linked(c, &ls, exists);
            sw_buf_printf(out, "(%s.", s->alias);
            sw_db_ident(out, l->local_col);
            sw_buf_printf(out, " IN (SELECT %s.", ls.alias);
            sw_db_ident(out, l->remote_col);
            sw_buf_puts(out, " FROM ");
            sw_db_ident(out, ls.dim->name);
            sw_buf_printf(out, " %s%s%s WHERE %s.", ls.alias, scan ? " " : "", scan ? hint : "",
                          ls.alias);
            sw_db_ident(out, l->remote_col);
            sw_buf_puts(out, " IS NOT NULL");
        } else {
            sw_buf_puts(out, "EXISTS (SELECT 1");
            if (ok && l) {
                link_from(c, s, l, &ls, out);
            }
        }
        if (json_is_true(exists) || (json_is_object(exists) && json_object_size(exists) == 0)) {
            /* any linked row */
        } else if (json_is_object(exists)) {
            sw_buf_puts(out, " AND ");
            compile_cond(c, &ls, exists, ex_path, out);
        } else {
            fail(c, ex_path, "expected a condition on the linked rows, {} or true, got %s",
                 json_kind(exists));
        }
        sw_buf_puts(out, semi ? "))" : ")");
        free(link_path);
        free(ex_path);
        return;
    }

    static const char *const keys[] = {"link", "aggregate", "field", "op", "value", "filter", NULL};
    check_keys(c, node, path, keys);
    if (!json_object_get(node, "aggregate")) {
        fail(c, path, "a link test needs \"exists\" or \"aggregate\"");
        return;
    }
    const char *agg = string_key(c, node, "aggregate", path, true);
    const json_t *fieldv = json_object_get(node, "field");
    const char *field = fieldv ? string_key(c, node, "field", path, false) : NULL;
    enum agg ai = agg ? find_agg(agg) : AGG_NONE;
    if (agg && ai == AGG_NONE) {
        char *p = sw_path_member(path, "aggregate");
        fail(c, p, "unknown aggregate \"%s\" (expected one of count, sum, avg, min, max)", agg);
        free(p);
    }
    if (ai == AGG_NONE || (fieldv && !field)) {
        /* Already reported: go on as a count so that the rest is still checked. */
        ai = AGG_COUNT;
    }
    struct sw_buf expr = SW_BUF_INIT;
    struct operand o;
    link_scalar(c, s, link, ai, field, json_object_get(node, "filter"), path, &expr, &o);
    compile_test(c, &o, expr.data, node, path, out);
    sw_buf_release(&expr);
}

static void compile_list(struct cc *c, const struct scope *s, const json_t *node, const char *key,
                         const char *path, struct sw_buf *out)
{
    static const char *const keys_all[] = {"all", NULL};
    static const char *const keys_any[] = {"any", NULL};
    bool is_all = strcmp(key, "all") == 0;
    const json_t *list = json_object_get(node, key);
    check_keys(c, node, path, is_all ? keys_all : keys_any);
    if (!json_is_array(list)) {
        char *p = sw_path_member(path, key);
        fail(c, p, "expected an array of conditions, got %s", json_kind(list));
        free(p);
        return;
    }
    if (json_array_size(list) == 0) {
        /* The empty conjunction holds, the empty disjunction does not (as in logic). */
        sw_buf_puts(out, is_all ? "(1=1)" : "(1=0)");
        return;
    }
    sw_buf_putc(out, '(');
    for (size_t i = 0; i < json_array_size(list); i++) {
        char *p = idx(path, key, i);
        if (i) {
            sw_buf_puts(out, is_all ? " AND " : " OR ");
        }
        compile_cond(c, s, json_array_get(list, i), p, out);
        free(p);
    }
    sw_buf_putc(out, ')');
}

static void compile_audience(struct cc *c, const struct scope *s, const json_t *node,
                             const char *path, struct sw_buf *out)
{
    static const char *const keys[] = {"in_audience", NULL};
    const char *name = string_key(c, node, "in_audience", path, true);
    check_keys(c, node, path, keys);
    /* Without a lookup (saving a campaign) any name is accepted: audiences are resolved
     * when the run starts, since another campaign may save this one first. */
    if (!name || !c->schema || s->lax || !c->ctx->audience_table) {
        return;
    }
    const char *table = c->ctx->audience_table(c->ctx->ud, name);
    if (!table) {
        char *p = sw_path_member(path, "in_audience");
        fail(c, p, "unknown audience \"%s\"", name);
        free(p);
        return;
    }
    if (!s->dim || !s->dim->pk) {
        fail(c, path, "dimension \"%s\" has no primary key", s->dim_name ? s->dim_name : "?");
        return;
    }
    sw_buf_printf(out, "(%s.", s->alias);
    sw_db_ident(out, s->dim->pk);
    sw_buf_puts(out, " IN (SELECT ");
    sw_db_ident(out, "_key");
    sw_buf_puts(out, " FROM ");
    sw_db_ident(out, table);
    sw_buf_puts(out, "))");
}

static void compile_compare(struct cc *c, const struct scope *s, const json_t *node,
                            const char *path, struct sw_buf *out)
{
    static const char *const keys[] = {"field", "op", "value", NULL};
    check_keys(c, node, path, keys);
    const char *field = string_key(c, node, "field", path, true);
    struct sw_buf expr = SW_BUF_INIT;
    struct operand o;
    char *fpath = sw_path_member(path, "field");
    if (!field || resolve_field(c, s, field, fpath, &expr, &o) < 0) {
        /* Unknown field: still check the operator and the value's shape. */
        memset(&o, 0, sizeof(o));
        o.type = SW_T_UNKNOWN;
        (void)snprintf(o.label, sizeof(o.label), "the field");
    }
    compile_test(c, &o, expr.data, node, path, out);
    sw_buf_release(&expr);
    free(fpath);
}

static void compile_cond(struct cc *c, const struct scope *s, const json_t *node, const char *path,
                         struct sw_buf *out)
{
    if (!json_is_object(node)) {
        fail(c, path, "expected a condition (an object), got %s", json_kind(node));
        return;
    }
    if (c->depth >= MAX_DEPTH) {
        fail(c, path, "condition nested too deeply (more than %d levels)", MAX_DEPTH);
        return;
    }
    c->depth++;
    if (json_object_get(node, "all")) {
        compile_list(c, s, node, "all", path, out);
    } else if (json_object_get(node, "any")) {
        compile_list(c, s, node, "any", path, out);
    } else if (json_object_get(node, "not")) {
        static const char *const keys[] = {"not", NULL};
        check_keys(c, node, path, keys);
        char *p = sw_path_member(path, "not");
        sw_buf_puts(out, "(NOT COALESCE(");
        compile_cond(c, s, json_object_get(node, "not"), p, out);
        sw_buf_puts(out, ", FALSE))");
        free(p);
    } else if (json_object_get(node, "link")) {
        compile_link(c, s, node, path, out);
    } else if (json_object_get(node, "in_audience")) {
        compile_audience(c, s, node, path, out);
    } else if (json_object_get(node, "field") || json_object_get(node, "op")) {
        compile_compare(c, s, node, path, out);
    } else {
        fail(c, path,
             "expected a condition: all, any, not, field/op/value, link or "
             "in_audience");
    }
    c->depth--;
}

/* ---- entry points -------------------------------------------------------------------- */

/* The top scope: the population's dimension. With a schema, it must be known. */
static int top_scope(struct cc *c, const char *path, struct scope *s)
{
    const struct sw_filter_ctx *ctx = c->ctx;
    memset(s, 0, sizeof(*s));
    s->top = true;
    (void)snprintf(s->alias, sizeof(s->alias), "%s", ctx->dim_alias ? ctx->dim_alias : "d");
    if (ctx->shape) {
        s->dim = ctx->shape->dim;
        s->dim_name = ctx->shape->dim_name;
    }
    if (!c->schema) {
        return 0;
    }
    if (!s->dim && s->dim_name) {
        s->dim = sw_schema_dim(c->schema, s->dim_name);
    }
    if (!s->dim) {
        char *hint = sw_schema_suggest_dim(c->schema, s->dim_name);
        fail(c, path, "unknown dimension \"%s\"%s", s->dim_name ? s->dim_name : "", hint);
        free(hint);
        return -1;
    }
    s->dim_name = s->dim->name;
    return 0;
}

/* Undo the parameters a failed compilation added, so the caller's list is as it was. */
static void params_truncate(struct sw_params *p, size_t n)
{
    while (p->n > n) {
        p->n--;
        free(p->v[p->n].s);
        p->v[p->n].s = NULL;
    }
}

/* Common ending: on problems, drop the parameters added and report SW_EVALIDATION; else
 * hand the SQL over (only with a schema). */
static int finish(struct cc *c, struct sw_params *params, size_t n0, struct sw_buf *expr,
                  struct sw_buf *sql)
{
    if (c->nerr) {
        if (params) {
            params_truncate(params, n0);
        }
        if (c->err && !c->err->message) {
            sw_error_set(c->err, SW_EVALIDATION, "invalid condition");
        } else if (c->err) {
            c->err->code = SW_EVALIDATION;
        }
        return SW_EVALIDATION;
    }
    if (sw_buf_error(expr)) {
        if (params) {
            params_truncate(params, n0);
        }
        return sw_error_set(c->err, SW_ENOMEM, "out of memory");
    }
    if (c->schema && sql) {
        sw_buf_add(sql, expr->data, expr->len);
    }
    return 0;
}

int sw_filter_compile(const json_t *cond, const char *path, const struct sw_filter_ctx *ctx,
                      struct sw_buf *sql, struct sw_params *params, struct sw_error *err)
{
    struct cc c = {.ctx = ctx, .schema = ctx->schema, .err = err};
    struct sw_params scratch = SW_PARAMS_INIT;
    struct sw_buf expr = SW_BUF_INIT;
    struct scope top;
    size_t n0 = params ? params->n : 0;
    int rc;

    /* Without a schema (or a place to put values) everything goes to scratch storage. */
    c.params = c.schema && params ? params : &scratch;
    if (!path) {
        path = "$";
    }
    if (top_scope(&c, path, &top) == 0) {
        compile_cond(&c, &top, cond, path, &expr);
    }
    rc = finish(&c, c.params == params ? params : NULL, n0, &expr, sql);
    sw_buf_release(&expr);
    sw_params_release(&scratch);
    return rc;
}

int sw_filter_field(const struct sw_filter_ctx *ctx, const char *field, const char *path,
                    struct sw_buf *sql, enum sw_type *type, struct sw_error *err)
{
    struct cc c = {.ctx = ctx, .schema = ctx->schema, .err = err};
    struct sw_buf expr = SW_BUF_INIT;
    struct scope top;
    struct operand o = {.type = SW_T_UNKNOWN};
    int rc;

    if (!path) {
        path = "$";
    }
    if (top_scope(&c, path, &top) == 0 && field) {
        resolve_field(&c, &top, field, path, &expr, &o);
    } else if (!field) {
        fail(&c, path, "\"field\" is required");
    }
    rc = finish(&c, NULL, 0, &expr, sql);
    if (type) {
        *type = rc == 0 ? o.type : SW_T_UNKNOWN;
    }
    sw_buf_release(&expr);
    return rc;
}

int sw_filter_link_value(const struct sw_filter_ctx *ctx, const char *link, const char *aggregate,
                         const char *field, const json_t *filter, const char *path,
                         struct sw_buf *sql, struct sw_params *params, enum sw_type *type,
                         struct sw_error *err)
{
    struct cc c = {.ctx = ctx, .schema = ctx->schema, .err = err};
    struct sw_params scratch = SW_PARAMS_INIT;
    struct sw_buf expr = SW_BUF_INIT;
    struct scope top;
    struct operand o = {.type = SW_T_UNKNOWN};
    size_t n0 = params ? params->n : 0;
    enum agg ai = AGG_NONE;
    int rc;

    c.params = c.schema && params ? params : &scratch;
    if (!path) {
        path = "$";
    }
    if (!link || !*link) {
        char *p = sw_path_member(path, "link");
        fail(&c, p, "\"link\" is required");
        free(p);
    }
    if (aggregate) {
        ai = find_agg(aggregate);
        if (ai == AGG_NONE) {
            char *p = sw_path_member(path, "aggregate");
            fail(&c, p, "unknown aggregate \"%s\" (expected one of count, sum, avg, min, max)",
                 aggregate);
            free(p);
        }
    }
    if (top_scope(&c, path, &top) == 0) {
        /* An unknown aggregate was reported: go on as a count to check the rest. */
        link_scalar(&c, &top, link, aggregate && ai == AGG_NONE ? AGG_COUNT : ai, field, filter,
                    path, &expr, &o);
    }
    rc = finish(&c, c.params == params ? params : NULL, n0, &expr, sql);
    if (type) {
        *type = rc == 0 ? o.type : SW_T_UNKNOWN;
    }
    sw_buf_release(&expr);
    sw_params_release(&scratch);
    return rc;
}

/* ---- grouped enrichment ---------------------------------------------------------------- */

/* The top scope and the link's scope with the caller's alias. 0, or -1 with problems. */
static int grouped_scopes(struct cc *c, const char *link, const char *alias, const char *path,
                          struct scope *top, struct scope *ls, const struct sw_link **l)
{
    if (!c->schema || top_scope(c, path, top) < 0 ||
        open_link(c, top, link, path, l, ls) < 0 || !*l) {
        if (!c->nerr) {
            fail(c, path, "link \"%s\" cannot be joined", link ? link : "");
        }
        return -1;
    }
    if (!(*l)->to_many) {
        fail(c, path, "link \"%s\" is not a 1-N link", link);
        return -1;
    }
    (void)snprintf(ls->alias, sizeof(ls->alias), "%s", alias);
    return 0;
}

int sw_filter_link_join(const struct sw_filter_ctx *ctx, const char *link, const char *alias,
                        struct sw_buf *sql, struct sw_error *err)
{
    struct cc c = {.ctx = ctx, .schema = ctx->schema, .err = err};
    struct sw_buf expr = SW_BUF_INIT;
    struct scope top, ls;
    const struct sw_link *l = NULL;
    if (grouped_scopes(&c, link, alias, "$", &top, &ls, &l) == 0) {
        sw_db_ident(&expr, ls.dim->name);
        sw_buf_printf(&expr, " %s ON %s.", ls.alias, ls.alias);
        sw_db_ident(&expr, l->remote_col);
        sw_buf_puts(&expr, " = ");
        link_local(&c, &top, l, &expr);
    }
    int rc = finish(&c, NULL, 0, &expr, sql);
    sw_buf_release(&expr);
    return rc;
}

int sw_filter_link_aggregate(const struct sw_filter_ctx *ctx, const char *link, const char *alias,
                             const char *aggregate, const char *field, const json_t *filter,
                             const char *path, struct sw_buf *sql, struct sw_params *params,
                             enum sw_type *type, struct sw_error *err)
{
    struct cc c = {.ctx = ctx, .schema = ctx->schema, .err = err};
    struct sw_buf expr = SW_BUF_INIT, fexpr = SW_BUF_INIT, cond = SW_BUF_INIT;
    struct scope top, ls;
    struct operand fo = {.type = SW_T_UNKNOWN};
    const struct sw_link *l = NULL;
    size_t n0 = params ? params->n : 0;
    enum agg ai = aggregate ? find_agg(aggregate) : AGG_NONE;
    enum sw_type t = SW_T_UNKNOWN;
    c.params = params;
    if (!path) {
        path = "$";
    }
    if (ai == AGG_NONE || !params) {
        fail(&c, path, "unknown aggregate \"%s\"", aggregate ? aggregate : "");
    } else if (grouped_scopes(&c, link, alias, path, &top, &ls, &l) == 0) {
        if (field) {
            char *fp = sw_path_member(path, "field");
            resolve_field(&c, &ls, field, fp, &fexpr, &fo);
            free(fp);
        } else {
            sw_buf_puts(&fexpr, "1"); /* count(*) over the joined rows that exist */
            sw_buf_printf(&cond, "%s.", ls.alias);
            sw_db_ident(&cond, l->remote_col);
            sw_buf_puts(&cond, " IS NOT NULL");
        }
        if (filter) {
            char *fp = sw_path_member(path, "filter");
            if (cond.len) {
                sw_buf_puts(&cond, " AND ");
            }
            compile_cond(&c, &ls, filter, fp, &cond);
            free(fp);
        }
        /* A row the filter rejects (or a missing row of the LEFT JOIN) gives NULL, which
         * every aggregate ignores. */
        struct sw_buf arg = SW_BUF_INIT;
        if (cond.len) {
            sw_buf_printf(&arg, "CASE WHEN %s THEN %s END", cond.data, fexpr.data);
        } else {
            sw_buf_add(&arg, fexpr.data, fexpr.len);
        }
        t = agg_result_type(ai, fo.type);
        agg_sql(ai, arg.data, &expr);
        sw_buf_release(&arg);
    }
    int rc = finish(&c, params, n0, &expr, sql);
    if (type) {
        *type = rc == 0 ? t : SW_T_UNKNOWN;
    }
    sw_buf_release(&expr);
    sw_buf_release(&fexpr);
    sw_buf_release(&cond);
    return rc;
}
