/*
 * split.c - one population into segments, in order: a record goes to the first segment
 * whose filter it matches and the next segment sees what is left (all of the input with
 * "overlap": true). A segment may keep only part of its matches: `percent` keeps
 * floor(N x p / 100) of its N matching records and `limit` at most that many, chosen at
 * random with the run's seed, or the top ones by `order_by` (ties by ascending key).
 * `complement` receives what no segment took; `skip_empty` emits no transition for an
 * empty segment.
 */
#include "core/util.h"
#include "engine/activities/common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"segments", "complement", "overlap", "skip_empty", NULL};
    static const char *const skeys[] = {"port",     "filter",    "percent", "limit",
                                        "order_by", "direction", "label",   NULL};
    const json_t *def = v->act->def;
    sw_vctx_check_keys(v, def, "", keys);
    sw_vctx_bool(v, def, "overlap", "", false);
    sw_vctx_bool(v, def, "skip_empty", "", false);
    const char *comp = sw_vctx_string(v, def, "complement", "", false);
    if (comp && !sw_valid_id(comp)) {
        sw_vctx_error(v, ".complement", "must be a port name ([A-Za-z0-9_-]{1,64})");
    }
    const json_t *segs = sw_vctx_list(v, def, "segments", "", "segment");
    size_t i;
    json_t *s;
    json_array_foreach(segs, i, s)
    {
        char suffix[64];
        if (!sw_vctx_element(v, "segments", i, s, skeys, suffix, sizeof(suffix))) {
            continue;
        }
        const char *port = sw_vctx_string(v, s, "port", suffix, true);
        char sub[96];
        snprintf(sub, sizeof(sub), "%s.port", suffix);
        if (port && !sw_valid_id(port)) {
            sw_vctx_error(v, sub, "must match [A-Za-z0-9_-]{1,64}");
        }
        for (size_t j = 0; port && j < i; j++) {
            if (sw_streq(port, json_string_value(json_object_get(json_array_get(segs, j), "port")))) {
                sw_vctx_error(v, sub, "port \"%s\" is already used by segment %zu", port, j);
            }
        }
        if (port && sw_streq(port, comp)) {
            sw_vctx_error(v, sub, "port \"%s\" is also the complement", port);
        }
        const json_t *filter = json_object_get(s, "filter");
        if (filter && !json_is_null(filter)) {
            snprintf(sub, sizeof(sub), "%s.filter", suffix);
            sw_vctx_filter(v, filter, sub, v->out);
        }
        const json_t *pct = json_object_get(s, "percent");
        if (pct && (!json_is_number(pct) || json_number_value(pct) < 0 ||
                    json_number_value(pct) > 100)) {
            snprintf(sub, sizeof(sub), "%s.percent", suffix);
            sw_vctx_error(v, sub, "must be a number between 0 and 100");
        }
        sw_vctx_int(v, s, "limit", suffix, 0, INT64_MAX / 2, 0, NULL);
        const char *ob = sw_vctx_string(v, s, "order_by", suffix, false);
        if (ob) {
            snprintf(sub, sizeof(sub), "%s.order_by", suffix);
            sw_vctx_field(v, v->out, ob, sub);
        }
        const char *dir = sw_vctx_string(v, s, "direction", suffix, false);
        if (dir && strcmp(dir, "asc") && strcmp(dir, "desc")) {
            snprintf(sub, sizeof(sub), "%s.direction", suffix);
            sw_vctx_error(v, sub, "must be \"asc\" or \"desc\"");
        }
        if (!filter && !pct && !json_object_get(s, "limit")) {
            sw_vctx_error(v, suffix, "a segment needs a filter, a percent or a limit");
        }
    }
}

static char **ports(const struct sw_activity *a)
{
    char **p = sw_ports_make(NULL);
    sw_ports_push_each(&p, a->def, "segments");
    const char *comp = json_string_value(json_object_get(a->def, "complement"));
    if (comp) {
        sw_ports_push(&p, comp);
    }
    return p;
}

/* " FROM <in> w [JOIN <dim> d ON ...] WHERE <filter> AND NOT EXISTS (earlier segments)".
 * The dimension is joined only when the filter or the ordering (need_dim) reads it: a
 * filter on enrichment columns alone reads the work table only. */
static int candidates(struct sw_exec *ex, const struct sw_input *in, const json_t *seg,
                      size_t idx, char **taken, size_t ntaken, bool need_dim, struct sw_buf *sql,
                      struct sw_params *params)
{
    char suffix[64];
    struct sw_buf where = SW_BUF_INIT;
    snprintf(suffix, sizeof(suffix), ".segments[%zu].filter", idx);
    char *path = sw_act_path(ex, suffix);
    int rc = sw_act_compile_filter(ex, seg ? json_object_get(seg, "filter") : NULL, path,
                                   in->shape, "w", &where, params);
    sw_buf_puts(sql, " FROM ");
    if (need_dim || sw_act_uses_dim(where.data)) {
        sw_exec_from_input(ex, sql, in, "w", "d");
    } else {
        sw_db_ident(sql, in->table);
        sw_buf_puts(sql, " w");
    }
    sw_buf_puts(sql, " WHERE ");
    sw_buf_add(sql, where.data, where.len);
    for (size_t j = 0; j < ntaken; j++) {
        sw_buf_puts(sql, " AND ");
        sw_exec_key_in(sql, true, taken[j]);
    }
    sw_buf_release(&where);
    free(path);
    return rc;
}

static int execute(struct sw_exec *ex)
{
    const json_t *def = ex->act->def;
    const json_t *segs = json_object_get(def, "segments");
    const char *comp = json_string_value(json_object_get(def, "complement"));
    bool overlap = json_is_true(json_object_get(def, "overlap"));
    bool skip_empty = json_is_true(json_object_get(def, "skip_empty"));
    const struct sw_input *in = sw_act_input(ex);
    const struct sw_shape *shape = &ex->act->out_shape;
    size_t nseg = json_array_size(segs);
    char **taken = sw_calloc(nseg + 1, sizeof(char *));
    size_t ntaken = 0;
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params params = SW_PARAMS_INIT;
    int64_t sum = 0;
    int rc = 0;
    for (size_t i = 0; i < nseg && rc == 0; i++) {
        const json_t *seg = json_array_get(segs, i);
        const char *port = json_string_value(json_object_get(seg, "port"));
        const json_t *pct = json_object_get(seg, "percent");
        const json_t *lim = json_object_get(seg, "limit");
        const char *ob = json_string_value(json_object_get(seg, "order_by"));
        bool desc = sw_streq(json_string_value(json_object_get(seg, "direction")), "desc");
        int64_t n = 0, keep = -1;
        const char *table = sw_exec_new_table(ex, port);
        if (!table) {
            rc = SW_EDB;
            break;
        }
        sw_buf_reset(&sql);
        sw_params_release(&params);
        struct sw_buf order = SW_BUF_INIT;
        if (ob) {
            struct sw_filter_ctx fc;
            enum sw_type t;
            sw_exec_filter_ctx(ex, in->shape, "d", "w", &fc);
            if ((rc = sw_filter_field(&fc, ob, "order_by", &order, &t, ex->err)) < 0) {
                sw_buf_release(&order);
                break;
            }
        }
        bool need_dim = ob && sw_act_uses_dim(order.data);
        if (pct) {
            /* floor(N x p / 100) of the N records this segment matches */
            int64_t matches = 0;
            sw_buf_puts(&sql, "SELECT count(*)");
            rc = candidates(ex, in, seg, i, taken, overlap ? 0 : ntaken, false, &sql, &params);
            if (rc < 0 || (rc = sw_db_query_int(ex->db, sql.data, &params, &matches, ex->err)) < 0) {
                sw_buf_release(&order);
                break;
            }
            keep = (int64_t)floor((double)matches * json_number_value(pct) / 100.0 + 1e-9);
            sw_buf_reset(&sql);
            sw_params_release(&params);
        }
        if (lim && (keep < 0 || json_integer_value(lim) < keep)) {
            keep = json_integer_value(lim);
        }
        sw_exec_insert_select(ex, &sql, table, shape, "w");
        rc = candidates(ex, in, seg, i, taken, overlap ? 0 : ntaken, keep >= 0 && need_dim,
                        &sql, &params);
        if (rc < 0) {
            sw_buf_release(&order);
            break;
        }
        if (keep >= 0) {
            sw_buf_puts(&sql, " ORDER BY ");
            if (ob) {
                sw_buf_add(&sql, order.data, order.len);
                sw_buf_puts(&sql, desc ? " DESC, w._key" : " ASC, w._key");
            } else {
                int sp = sw_params_add_int(&params, (int64_t)((ex->seed ^ (i * 0x9e3779b97f4a7c15ULL)) &
                                                              0x7fffffffffffffffULL));
                sw_db_seeded_random(ex->db, &sql, sp, "w._key");
                sw_buf_puts(&sql, ", w._key");
            }
            sw_buf_puts(&sql, " LIMIT ");
            sw_buf_printf(&sql, "?%d", sw_params_add_int(&params, keep));
        }
        sw_buf_release(&order);
        if ((rc = sw_exec_sql(ex, sql.data, &params, &n)) < 0) {
            break;
        }
        sw_exec_set_count(ex, port, n);
        if (n == 0 && skip_empty) {
            sw_exec_port_not_emitted(ex, port);
        }
        sum += n;
        taken[ntaken++] = sw_strdup(table);
    }
    if (rc == 0 && comp) {
        int64_t n = 0;
        if (sw_exec_port_kept(ex, comp) || overlap) {
            const char *table = sw_exec_new_table(ex, comp);
            if (!table) {
                rc = SW_EDB;
                goto out;
            }
            sw_buf_reset(&sql);
            sw_params_release(&params);
            sw_exec_insert_select(ex, &sql, table, shape, "w");
            sw_buf_puts(&sql, " FROM ");
            sw_db_ident(&sql, in->table);
            sw_buf_puts(&sql, " w WHERE 1");
            for (size_t j = 0; j < ntaken; j++) {
                sw_buf_puts(&sql, " AND ");
                sw_exec_key_in(&sql, true, taken[j]);
            }
            rc = sw_exec_sql(ex, sql.data, NULL, &n);
        } else {
            /* Not connected: the count is what the segments left, no table needed. */
            n = in->count - sum;
            sw_exec_port_count(ex, comp, n);
        }
        sw_exec_set_count(ex, comp, n);
        if (n == 0 && skip_empty) {
            sw_exec_port_not_emitted(ex, comp);
        }
    }
out:
    for (size_t j = 0; j < ntaken; j++) {
        free(taken[j]);
    }
    free(taken);
    sw_buf_release(&sql);
    sw_params_release(&params);
    return rc;
}

const struct sw_activity_type sw_act_split = {
    "split", SW_ACT_TARGETING, 1, 1, validate, ports, execute, NULL,
};
