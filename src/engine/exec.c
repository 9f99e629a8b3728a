/*
 * exec.c - the helpers activities use while executing (see activity.h): work-table
 * creation, port registration, SQL in the task's transaction, logging.
 */
#include "catalog/audiences.h"
#include "catalog/catalog.h"
#include "catalog/logs.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/activity.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static size_t port_index(const struct sw_activity *a, const char *port)
{
    for (size_t i = 0; i < a->nports; i++) {
        if (strcmp(a->ports[i], port) == 0) {
            return i;
        }
    }
    return a->nports; /* not declared: still a distinct, stable name */
}

char *sw_exec_table_name(const struct sw_exec *ex, const char *port)
{
    return sw_asprintf("wt_%lld_%zu_%zu", (long long)ex->run_id, ex->act->index,
                       port_index(ex->act, port));
}

static struct sw_port_result *find_port(struct sw_exec *ex, const char *port)
{
    for (size_t i = 0; i < ex->nports; i++) {
        if (strcmp(ex->ports[i].port, port) == 0) {
            return &ex->ports[i];
        }
    }
    return NULL;
}

static struct sw_port_result *add_port(struct sw_exec *ex, const char *port)
{
    struct sw_port_result *p = find_port(ex, port);
    if (p) {
        return p;
    }
    ex->ports = sw_realloc(ex->ports, (ex->nports + 1) * sizeof(*ex->ports));
    p = &ex->ports[ex->nports++];
    memset(p, 0, sizeof(*p));
    p->port = sw_strdup(port);
    p->emitted = true;
    return p;
}

const char *sw_exec_new_table_shape(struct sw_exec *ex, const char *port,
                                    const struct sw_shape *shape)
{
    struct sw_buf sql = SW_BUF_INIT;
    char *name = sw_exec_table_name(ex, port);
    const struct sw_dimension *dim = shape->dim;
    sw_buf_puts(&sql, "DROP TABLE IF EXISTS ");
    sw_db_ident(&sql, name);
    sw_buf_puts(&sql, "; CREATE TABLE ");
    sw_db_ident(&sql, name);
    sw_buf_printf(&sql, " (_key %s PRIMARY KEY",
                  sw_db_type_name(ex->db, dim ? (int)dim->pk_type : SW_T_INT));
    for (size_t i = 0; i < shape->ncols; i++) {
        sw_buf_puts(&sql, ", ");
        sw_db_ident(&sql, shape->cols[i].name);
        sw_buf_printf(&sql, " %s", sw_db_type_name(ex->db, shape->cols[i].type));
    }
    sw_buf_puts(&sql, ")");
    if (sw_buf_error(&sql) || sw_db_exec(ex->db, sql.data, ex->err) < 0) {
        sw_buf_release(&sql);
        free(name);
        return NULL;
    }
    sw_buf_release(&sql);
    struct sw_port_result *p = add_port(ex, port);
    free(p->table);
    p->table = name;
    p->owned = true;
    return p->table;
}

const char *sw_exec_new_table(struct sw_exec *ex, const char *port)
{
    return sw_exec_new_table_shape(ex, port, &ex->act->out_shape);
}

int sw_exec_insert_keys(struct sw_exec *ex, const char *port, struct sw_buf *sql)
{
    const char *table = sw_exec_new_table(ex, port);
    if (!table) {
        return SW_EDB;
    }
    sw_buf_puts(sql, "INSERT INTO ");
    sw_db_ident(sql, table);
    sw_buf_puts(sql, " (_key) ");
    return 0;
}

void sw_exec_port_alias(struct sw_exec *ex, const char *port, const char *table, int64_t count)
{
    struct sw_port_result *p = add_port(ex, port);
    free(p->table);
    p->table = table ? sw_strdup(table) : NULL;
    p->count = count;
    p->owned = false;
}

void sw_exec_port_count(struct sw_exec *ex, const char *port, int64_t count)
{
    struct sw_port_result *p = add_port(ex, port);
    p->count = count;
}

void sw_exec_set_count(struct sw_exec *ex, const char *port, int64_t count)
{
    add_port(ex, port)->count = count;
}

void sw_exec_port_not_emitted(struct sw_exec *ex, const char *port)
{
    add_port(ex, port)->emitted = false;
}

bool sw_exec_port_connected(const struct sw_exec *ex, const char *port)
{
    return sw_campaign_port_connected(ex->campaign, ex->act->index, port);
}

bool sw_exec_port_kept(const struct sw_exec *ex, const char *port)
{
    return ex->campaign->keep_interim_results || sw_exec_port_connected(ex, port);
}

int sw_exec_sql(struct sw_exec *ex, const char *sql, const struct sw_params *params,
                int64_t *changes)
{
    int64_t t0 = sw_clock_now_ms();
    int rc = sw_db_exec_params(ex->db, sql, params, changes, ex->err);
    sw_debug("%s: %lld ms: %s", ex->act->id, (long long)(sw_clock_now_ms() - t0), sql);
    return rc;
}

int sw_exec_count(struct sw_exec *ex, const char *table, int64_t *count)
{
    struct sw_buf sql = SW_BUF_INIT;
    sw_buf_puts(&sql, "SELECT count(*) FROM ");
    sw_db_ident(&sql, table);
    int rc = sw_db_query_int(ex->db, sql.data, NULL, count, ex->err);
    sw_buf_release(&sql);
    return rc;
}

static const char *audience_lookup(void *ud, const char *name)
{
    struct sw_exec *ex = ud;
    /* The result must outlive the compile call: the exec owns it until the task ends. */
    char *t = sw_catalog_audience_table(ex->cat, name);
    if (t) {
        ex->aud_tables = sw_realloc(ex->aud_tables, (ex->naud + 1) * sizeof(char *));
        ex->aud_tables[ex->naud++] = t;
    }
    return t;
}

/* Does `where` select less than 2% of `table`? Measured with a count bounded by that 2%,
 * so the probe itself reads at most that many index entries. */
static bool selective(void *ud, const char *table, const char *alias, const char *where,
                      const struct sw_params *params)
{
    struct sw_exec *ex = ud;
    struct sw_buf sql = SW_BUF_INIT;
    int64_t rows = sw_db_estimate_rows(ex->db, table), n = 0;
    int64_t cap = rows / 50 > 1000 ? rows / 50 : 1000;
    if (rows <= 0) {
        return true; /* unknown size: keep the database's own plan */
    }
    sw_buf_puts(&sql, "SELECT count(*) FROM (SELECT 1 FROM ");
    sw_db_ident(&sql, table);
    sw_buf_printf(&sql, " %s WHERE %s LIMIT %lld)", alias, where, (long long)cap);
    int rc = sw_db_query_int(ex->db, sql.data, params, &n, NULL);
    sw_debug("%s: selectivity probe: %lld of ~%lld rows (cap %lld): %s", ex->act->id,
             (long long)n, (long long)rows, (long long)cap, sql.data);
    sw_buf_release(&sql);
    return rc < 0 || n < cap;
}

void sw_exec_filter_ctx(const struct sw_exec *ex, const struct sw_shape *shape,
                        const char *dim_alias, const char *cols_alias,
                        struct sw_filter_ctx *fc)
{
    memset(fc, 0, sizeof(*fc));
    fc->dialect = sw_db_dialect(ex->db);
    fc->schema = ex->schema;
    fc->shape = shape;
    fc->dim_alias = dim_alias;
    fc->cols_alias = cols_alias;
    fc->variables = ex->variables;
    fc->now_ms = ex->now_ms;
    fc->audience_table = audience_lookup;
    fc->selective = selective;
    fc->ud = (void *)ex;
}

void sw_exec_select_cols(struct sw_buf *sql, const struct sw_shape *shape, const char *alias)
{
    sw_buf_printf(sql, "%s._key", alias);
    for (size_t i = 0; i < shape->ncols; i++) {
        sw_buf_printf(sql, ", %s.", alias);
        sw_db_ident(sql, shape->cols[i].name);
    }
}

void sw_exec_insert_cols(struct sw_buf *sql, const struct sw_shape *shape)
{
    sw_buf_puts(sql, "_key");
    for (size_t i = 0; i < shape->ncols; i++) {
        sw_buf_puts(sql, ", ");
        sw_db_ident(sql, shape->cols[i].name);
    }
}

void sw_exec_insert_select(const struct sw_exec *ex, struct sw_buf *sql, const char *table,
                           const struct sw_shape *shape, const char *alias)
{
    (void)ex;
    sw_buf_puts(sql, "INSERT INTO ");
    sw_db_ident(sql, table);
    sw_buf_puts(sql, " (");
    sw_exec_insert_cols(sql, shape);
    sw_buf_puts(sql, ") SELECT ");
    sw_exec_select_cols(sql, shape, alias);
}

void sw_exec_key_in(struct sw_buf *sql, bool negate, const char *table)
{
    sw_buf_printf(sql, "%sEXISTS (SELECT 1 FROM ", negate ? "NOT " : "");
    sw_db_ident(sql, table);
    sw_buf_puts(sql, " x WHERE x._key = w._key)");
}

void sw_exec_from_input(const struct sw_exec *ex, struct sw_buf *sql, const struct sw_input *in,
                        const char *walias, const char *dalias)
{
    sw_db_ident(sql, in->table);
    sw_buf_printf(sql, " %s %s ", walias, sw_db_lookup_join(ex->db));
    sw_db_ident(sql, in->shape->dim->name);
    sw_buf_printf(sql, " %s ON %s.", dalias, dalias);
    sw_db_ident(sql, in->shape->dim->pk);
    sw_buf_printf(sql, " = %s._key", walias);
}

int sw_exec_checkpoint(struct sw_exec *ex, int (*progress)(void *ud), void *ud)
{
    if (ex->act->type->kind != SW_ACT_CHANNEL) {
        return sw_error_set(ex->err, SW_EINVAL,
                            "%s: only a long-running activity commits before its task ends",
                            ex->act->id);
    }
    int rc = sw_db_commit(ex->db, ex->err);
    if (rc < 0) {
        return rc;
    }
    rc = progress ? progress(ud) : 0;
    /* The engine completes the task in a transaction of its own. */
    if (sw_db_begin(ex->db, rc < 0 ? NULL : ex->err) < 0 && rc == 0) {
        rc = SW_EDB;
    }
    return rc;
}

void sw_exec_log(struct sw_exec *ex, const char *level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = sw_vasprintf(fmt, ap);
    va_end(ap);
    sw_catalog_log(ex->cat, level, ex->campaign_id, ex->run_id, ex->act->id, msg);
    free(msg);
}

int sw_exec_fail(struct sw_exec *ex, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vset(ex->err, SW_ERUNTIME, fmt, ap);
    va_end(ap);
    return SW_ERUNTIME;
}
