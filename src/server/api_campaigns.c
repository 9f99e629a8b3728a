/*
 * api_campaigns.c - /campaigns: the list (filters, sort, keyset cursor), CRUD, duplicate,
 * lifecycle actions, simulate, trigger, schedule preview, run history and logs.
 */
#include "catalog/catalog.h"
#include "catalog/status.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activity.h"
#include "model/campaign.h"
#include "model/schedule.h"
#include "runs/service.h"
#include "server/api.h"

#include <stdlib.h>
#include <string.h>

/* ---- list ---- */

/* The item columns with the list's table alias. */
#define SW_CAMPAIGN_COLS_C                                                                         \
    "c.id, c.name, c.description, c.status, c.campaign, c.dimension, c.tags, c.created_at, "     \
    "c.updated_at, c.last_run_at, c.next_run_at, c.last_error_activity"

struct sort_key {
    const char *name;
    const char *expr; /* the indexed expression */
    bool is_time;
};

static const struct sort_key sorts[] = {
    {"updated_at", "c.updated_at", true},
    {"created_at", "c.created_at", true},
    {"name", "c.name", false},
    {"status", "c.status", false},
    {"last_run_at", "coalesce(c.last_run_at, 0)", true},
    {"next_run_at", "coalesce(c.next_run_at, 0)", true},
};

/* Comma-separated values as "IN (?, ?)" with bound parameters. */
static void in_list(struct sw_buf *sql, struct sw_params *p, const char *expr, const char *csv)
{
    char *copy = sw_strdup(csv);
    int n = 0;
    sw_buf_printf(sql, " AND %s IN (", expr);
    for (char *s = copy, *e; s; s = e) {
        e = strchr(s, ',');
        if (e) {
            *e++ = '\0';
        }
        if (!*s) {
            continue;
        }
        sw_buf_printf(sql, "%s?%d", n++ ? ", " : "", sw_params_add_text(p, s));
    }
    if (!n) {
        sw_buf_puts(sql, "NULL");
    }
    sw_buf_putc(sql, ')');
    free(copy);
}

static int bad_param(struct sw_api *a, const char *name, const char *msg)
{
    sw_resp_bad_param(a->resp, name, "%s", msg);
    return -1;
}

static int time_param(struct sw_api *a, const char *name, int64_t *ms)
{
    const char *v = sw_req_query(a->req, name);
    *ms = 0;
    if (v && sw_clock_parse_iso(v, ms) < 0) {
        return bad_param(a, name, "expected an ISO-8601 date or date-time");
    }
    return 0;
}

void sw_api_campaigns_list(struct sw_api *a)
{
    const char *q = sw_req_query(a->req, "q");
    const char *status = sw_req_query(a->req, "status");
    const char *parent = sw_req_query(a->req, "campaign");
    const char *dim = sw_req_query(a->req, "dimension");
    const char *tag = sw_req_query(a->req, "tag");
    const char *sort = sw_req_query(a->req, "sort");
    const char *order = sw_req_query(a->req, "order");
    const char *offset_s = sw_req_query(a->req, "offset");
    static const char *const names[] = {"q",   "status",         "campaign",     "dimension",
                                        "tag", "processed_from", "processed_to", "sort",
                                        "order", NULL};
    const struct sort_key *sk = &sorts[0];
    int64_t limit = 50, offset = 0, from = 0, to = 0;
    bool desc = true;
    struct sw_page pg = {0};
    const json_t *cursor = NULL;
    struct sw_buf where = SW_BUF_INIT, sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    json_t *items = json_array();
    struct sw_error err = SW_ERROR_INIT;
    int fts_param = 0;

    if (sort) {
        sk = NULL;
        for (size_t i = 0; i < sizeof(sorts) / sizeof(sorts[0]); i++) {
            if (!strcmp(sorts[i].name, sort)) {
                sk = &sorts[i];
            }
        }
        if (!sk) {
            bad_param(a, "sort", "expected one of name, status, last_run_at, next_run_at, "
                                 "updated_at, created_at");
            goto out;
        }
    }
    desc = order ? !strcmp(order, "desc") : (sk->is_time ? true : false);
    if (order && strcmp(order, "asc") && strcmp(order, "desc")) {
        bad_param(a, "order", "expected asc or desc");
        goto out;
    }
    if (sw_api_page_begin(a, names, 50, 500, &pg) < 0) {
        goto out;
    }
    limit = pg.limit;
    cursor = pg.after;
    if (cursor && !sw_api_page_value(&pg)) {
        bad_param(a, "cursor", "not a cursor returned by this list");
        goto out;
    }
    if (sw_api_enum_param(a, "status", sw_campaign_status_texts, true) < 0) {
        goto out;
    }
    if (offset_s && (sw_parse_int64(offset_s, &offset) < 0 || offset < 0 || offset > 100000)) {
        bad_param(a, "offset", "expected an integer between 0 and 100000 (use cursor to go deeper)");
        goto out;
    }
    if (time_param(a, "processed_from", &from) < 0 || time_param(a, "processed_to", &to) < 0) {
        goto out;
    }
    if (q && strlen(q) > 200) {
        bad_param(a, "q", "at most 200 characters");
        goto out;
    }
    /* Filters */
    sw_buf_puts(&where, "1");
    if (q && *q) {
        size_t chars = 0; /* the trigram index needs 3 characters, not bytes */
        for (const unsigned char *u = (const unsigned char *)q; *u; u++) {
            chars += (*u & 0xC0) != 0x80;
        }
        if (chars >= 3) {
            /* trigram index: the query is one quoted FTS5 string, quotes doubled */
            struct sw_buf phrase = SW_BUF_INIT;
            sw_buf_putc(&phrase, '"');
            for (const char *s = q; *s; s++) {
                if (*s == '"') {
                    sw_buf_putc(&phrase, '"');
                }
                sw_buf_putc(&phrase, *s);
            }
            sw_buf_putc(&phrase, '"');
            fts_param = sw_params_add_text(&p, phrase.data);
            sw_buf_printf(&where, " AND c.id IN (SELECT rowid FROM sw_campaigns_fts WHERE "
                                  "sw_campaigns_fts MATCH ?%d)",
                          fts_param);
            sw_buf_release(&phrase);
        } else {
            char ph[16];
            snprintf(ph, sizeof(ph), "?%d", sw_params_add_text(&p, q));
            sw_buf_puts(&where, " AND (instr(");
            sw_db_fold(a->db, &where, "c.name");
            sw_buf_puts(&where, ", ");
            sw_db_fold(a->db, &where, ph);
            sw_buf_puts(&where, ") > 0 OR instr(");
            sw_db_fold(a->db, &where, "coalesce(c.description, '')");
            sw_buf_puts(&where, ", ");
            sw_db_fold(a->db, &where, ph);
            sw_buf_puts(&where, ") > 0)");
        }
    }
    if (status) {
        in_list(&where, &p, "c.status", status);
    }
    if (parent) {
        in_list(&where, &p, "c.campaign", parent);
    }
    if (dim) {
        in_list(&where, &p, "c.dimension", dim);
    }
    /* Tag and run-range filters are subqueries of their own tables, which the total can use
     * alone when they are the only filter. */
    struct sw_buf tag_sql = SW_BUF_INIT, runs_sql = SW_BUF_INIT;
    int64_t tag_rows = 0, all = 0;
    sw_db_query_int(a->db, "SELECT coalesce(sum(n), 0) FROM sw_campaign_counts", NULL, &all, NULL);
    if (tag) {
        struct sw_buf t = SW_BUF_INIT;
        in_list(&t, &p, "tg.tag", tag);
        sw_buf_printf(&tag_sql, "SELECT tg.campaign_id FROM sw_campaign_tags tg WHERE 1%s", t.data);
        sw_buf_release(&t);
        struct sw_buf cs = SW_BUF_INIT;
        sw_buf_printf(&cs, "SELECT count(*) FROM (%s)", tag_sql.data);
        sw_db_query_int(a->db, cs.data, &p, &tag_rows, NULL);
        sw_buf_release(&cs);
        /* A common tag: walk the sort index and probe the tag table per campaign (stops after
         * a page). A rare one: start from its few campaigns and sort them. */
        if (tag_rows * 200 > all) {
            sw_buf_printf(&where, " AND EXISTS (%s AND tg.campaign_id = c.id)", tag_sql.data);
        } else {
            sw_buf_printf(&where, " AND c.id IN (%s)", tag_sql.data);
        }
    }
    if (from || to) {
        /* a run within the range (index sw_runs_processed) */
        sw_buf_puts(&runs_sql, "SELECT r.campaign_id FROM sw_runs r WHERE r.simulation = 0");
        if (from) {
            sw_buf_printf(&runs_sql, " AND coalesce(r.ended_at, r.started_at) >= ?%d",
                          sw_params_add_int(&p, from));
        }
        if (to) {
            sw_buf_printf(&runs_sql, " AND r.started_at <= ?%d", sw_params_add_int(&p, to));
        }
        sw_buf_printf(&where, " AND EXISTS (%s AND r.campaign_id = c.id)", runs_sql.data);
    }
    /* The total, from the cheapest source that answers it exactly. */
    int64_t total = 0;
    int only = (q && *q) + (status != NULL) + (parent != NULL) + (dim != NULL) + (tag != NULL) +
               (from || to);
    struct sw_buf cs = SW_BUF_INIT;
    struct sw_params sp = SW_PARAMS_INIT;
    const struct sw_params *cp = &p;
    if (only == 0 || (only == 1 && status)) {
        sw_buf_puts(&cs, "SELECT coalesce(sum(n), 0) FROM sw_campaign_counts c WHERE 1");
        if (status) {
            in_list(&cs, &sp, "c.status", status);
        }
        cp = &sp;
    } else if (only == 1 && tag) {
        sw_buf_printf(&cs, "SELECT count(DISTINCT campaign_id) FROM (%s)", tag_sql.data);
    } else if (only == 1 && (from || to)) {
        sw_buf_printf(&cs, "SELECT count(DISTINCT campaign_id) FROM (%s)", runs_sql.data);
    } else if (only == 1 && fts_param) {
        sw_buf_printf(&cs, "SELECT count(*) FROM sw_campaigns_fts WHERE sw_campaigns_fts MATCH ?%d",
                      fts_param);
    } else {
        sw_buf_printf(&cs, "SELECT count(*) FROM sw_campaigns c WHERE %s", where.data);
    }
    sw_db_query_int(a->db, cs.data, cp, &total, &err);
    sw_buf_release(&cs);
    sw_params_release(&sp);
    sw_buf_release(&tag_sql);
    sw_buf_release(&runs_sql);
    /* The page */
    sw_buf_printf(&sql, "SELECT c.id, %s, " SW_CAMPAIGN_COLS_C " FROM sw_campaigns c WHERE %s",
                  sk->expr, where.data);
    if (cursor) {
        const json_t *v = json_object_get(cursor, "v");
        int vi = json_is_integer(v) ? sw_params_add_int(&p, json_integer_value(v))
                                    : sw_params_add_text(&p, json_string_value(v));
        int ii = sw_params_add_int(&p, json_integer_value(json_object_get(cursor, "id")));
        sw_buf_printf(&sql, " AND (%s, c.id) %s (?%d, ?%d)", sk->expr, desc ? "<" : ">", vi, ii);
    }
    sw_buf_printf(&sql, " ORDER BY %s %s, c.id %s LIMIT ?%d", sk->expr, desc ? "DESC" : "ASC",
                  desc ? "DESC" : "ASC", sw_params_add_int(&p, limit + 1));
    if (offset && !cursor) {
        sw_buf_printf(&sql, " OFFSET ?%d", sw_params_add_int(&p, offset));
    }
    if (sw_db_prepare(a->db, sql.data, &st, &err) < 0 || sw_stmt_bind_params(st, &p, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    int64_t n = 0, last_id = 0;
    json_t *last_v = NULL;
    int rc;
    while ((rc = sw_stmt_step(st, &err)) == SW_STEP_ROW) {
        if (n == limit) {
            break; /* one more row than the page: there is a next page */
        }
        last_id = sw_stmt_column_int(st, 0);
        json_decref(last_v);
        last_v = sw_stmt_column_type(st, 1) == SW_V_TEXT ? json_string(sw_stmt_column_text(st, 1))
                                                        : json_integer(sw_stmt_column_int(st, 1));
        json_array_append_new(items, sw_svc_campaign_row(st, 2, false));
        n++;
    }
    if (rc < 0) {
        json_decref(last_v);
        sw_api_error(a, &err);
        goto out;
    }
    json_t *next = json_null();
    if (rc == SW_STEP_ROW && last_v) {
        json_decref(next);
        next = sw_api_page_next(&pg, last_v, last_id);
    }
    json_decref(last_v);
    sw_resp_json(a->resp, 200, json_pack("{s:O, s:I, s:o}", "items", items, "total",
                                         (json_int_t)total, "next_cursor", next));
out:
    sw_stmt_finalize(st);
    json_decref(items);
    sw_api_page_release(&pg);
    sw_buf_release(&where);
    sw_buf_release(&sql);
    sw_params_release(&p);
    sw_error_release(&err);
}

/* ---- create, read, replace, delete, duplicate ---- */

/* Validate a document against the data source; on failure the response is set. */
static struct sw_campaign *validated(struct sw_api *a, json_t *doc)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = NULL;
    struct sw_schema *schema = sw_server_schema(a->srv, a->db);
    if (sw_campaign_from_json(doc, &sw_engine_activities, schema, sw_clock_now_ms(), &c, &err) <
        0) {
        sw_api_error(a, &err);
    }
    sw_schema_free(schema); /* the campaign holds its own reference */
    sw_error_release(&err);
    return c;
}

static void respond_campaign(struct sw_api *a, int status, int64_t id)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *o = NULL;
    if (sw_svc_campaign_json(a->db, id, true, &o, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, status, o);
    }
    sw_error_release(&err);
}

void sw_api_campaigns_create(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *body = sw_req_json(a->req, a->resp);
    struct sw_campaign *c = body ? validated(a, body) : NULL;
    if (c) {
        int64_t id = sw_svc_campaign_insert(a->db, c, &err);
        if (!id) {
            sw_api_error(a, &err);
        } else {
            respond_campaign(a, 201, id);
        }
    }
    sw_campaign_free(c);
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_campaigns_get(struct sw_api *a)
{
    int64_t id = sw_api_id(a, 0);
    if (id) {
        respond_campaign(a, 200, id);
    }
}

/* The campaign's status, or NULL with a 404 set. */
static char *status_of(struct sw_api *a, int64_t id)
{
    struct sw_stmt *st = NULL;
    char *status = NULL;
    if (sw_db_prepare(a->db, "SELECT status FROM sw_campaigns WHERE id = ?1", &st, NULL) == 0) {
        sw_stmt_bind_int(st, 1, id);
        if (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
            status = sw_strdup(sw_stmt_column_text(st, 0));
        }
    }
    sw_stmt_finalize(st);
    if (!status) {
        sw_api_not_found(a, "campaign", id);
    }
    return status;
}

static void conflict(struct sw_api *a, const char *what, const char *status)
{
    char *m = sw_asprintf("cannot %s a campaign that is %s", what, status);
    json_t *d = json_pack("[{s:s, s:s}]", "path", "status", "message", status);
    sw_resp_fail(a->resp, SW_ECONFLICT, m, d);
    free(m);
}

void sw_api_campaigns_put(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    char *status = id ? status_of(a, id) : NULL;
    json_t *body = NULL;
    struct sw_campaign *c = NULL;
    if (!status) {
        goto out;
    }
    if (!strcmp(status, "running")) {
        conflict(a, "edit", status);
        goto out;
    }
    if (!(body = sw_req_json(a->req, a->resp)) || !(c = validated(a, body))) {
        goto out;
    }
    struct sw_params p = SW_PARAMS_INIT;
    sw_svc_campaign_params(&p, c);
    sw_params_add_int(&p, sw_clock_now_ms());
    sw_params_add_int(&p, id);
    /* A schedule is armed by start/resume: an edit disarms a stale next_run_at. */
    int rc = sw_db_exec_params(a->db,
                               "UPDATE sw_campaigns SET name = ?1, description = ?2, campaign = ?3, "
                               "dimension = ?4, tags = ?5, document = ?6, updated_at = ?7, "
                               "next_run_at = NULL WHERE id = ?8 AND status <> 'running'",
                               &p, NULL, &err);
    sw_params_release(&p);
    if (rc < 0) {
        sw_api_error(a, &err);
    } else {
        respond_campaign(a, 200, id);
    }
out:
    sw_campaign_free(c);
    json_decref(body);
    free(status);
    sw_error_release(&err);
}

void sw_api_campaigns_delete(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    char *status = id ? status_of(a, id) : NULL;
    struct sw_stmt *st = NULL;
    if (!status) {
        goto out;
    }
    if (!strcmp(status, "running")) {
        conflict(a, "delete", status);
        goto out;
    }
    /* Work tables of its runs first (kept ones too), then the rows, in one transaction. */
    sw_svc_drop_campaign_tables(a->db, id, NULL, 0);
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, id);
    int rc = sw_db_begin(a->db, &err);
    static const char *const deletes[] = {
        "DELETE FROM sw_tasks WHERE run_id IN (SELECT id FROM sw_runs WHERE campaign_id = ?1)",
        "DELETE FROM sw_runs WHERE campaign_id = ?1",
        "DELETE FROM sw_logs WHERE campaign_id = ?1",
        "DELETE FROM sw_incremental WHERE campaign_id = ?1",
        "DELETE FROM sw_campaigns WHERE id = ?1 AND status <> 'running'",
    };
    for (size_t i = 0; rc == 0 && i < sizeof(deletes) / sizeof(deletes[0]); i++) {
        rc = sw_db_exec_params(a->db, deletes[i], &p, NULL, &err);
    }
    if (rc == 0) {
        rc = sw_db_commit(a->db, &err);
    }
    sw_params_release(&p);
    if (rc < 0) {
        sw_db_rollback(a->db);
        sw_api_error(a, &err);
    } else {
        a->resp->status = 204;
    }
out:
    sw_stmt_finalize(st);
    free(status);
    sw_error_release(&err);
}

/* "<name> (copy)", then "(copy 2)", ...: the first free one. */
static char *copy_name(struct sw_db *db, const char *table, const char *name)
{
    for (int n = 1; n < 10000; n++) {
        char *cand = n == 1 ? sw_asprintf("%s (copy)", name) : sw_asprintf("%s (copy %d)", name, n);
        struct sw_params p = SW_PARAMS_INIT;
        struct sw_buf sql = SW_BUF_INIT;
        int64_t used = 0;
        sw_params_add_text(&p, cand);
        sw_buf_printf(&sql, "SELECT count(*) FROM %s WHERE name = ?1", table);
        sw_db_query_int(db, sql.data, &p, &used, NULL);
        sw_buf_release(&sql);
        sw_params_release(&p);
        if (!used) {
            return cand;
        }
        free(cand);
    }
    return sw_asprintf("%s (copy %lld)", name, (long long)sw_clock_now_ms());
}

/* A stored document with its name replaced. */
static json_t *renamed(const char *document, const char *name)
{
    json_t *doc = json_loads(document, 0, NULL);
    if (doc) {
        json_object_set_new(doc, "name", json_string(name));
        json_object_del(doc, "id");
        json_object_del(doc, "status");
    }
    return doc;
}

static char *document_of(struct sw_db *db, const char *table, int64_t id, char **name)
{
    struct sw_stmt *st = NULL;
    struct sw_buf sql = SW_BUF_INIT;
    char *doc = NULL;
    sw_buf_printf(&sql, "SELECT document, name FROM %s WHERE id = ?1", table);
    if (sw_db_prepare(db, sql.data, &st, NULL) == 0) {
        sw_stmt_bind_int(st, 1, id);
        if (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
            doc = sw_strdup(sw_stmt_column_text(st, 0));
            *name = sw_strdup(sw_stmt_column_text(st, 1));
        }
    }
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    return doc;
}

void sw_api_campaigns_duplicate(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    char *name = NULL, *copy = NULL;
    char *document = id ? document_of(a->db, "sw_campaigns", id, &name) : NULL;
    json_t *doc = NULL;
    if (!document) {
        if (id) {
            sw_api_not_found(a, "campaign", id);
        }
        goto out;
    }
    copy = copy_name(a->db, "sw_campaigns", name);
    doc = renamed(document, copy);
    /* The copy is a draft of the same definition: stored as it is, even if the data source
     * changed since (it is validated again when it is started). */
    struct sw_params p = SW_PARAMS_INIT;
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int64_t now = sw_clock_now_ms(), nid = 0;
    sw_params_add_text(&p, copy);
    sw_params_add_text(&p, text);
    sw_params_add_int(&p, id);
    sw_params_add_int(&p, now);
    int rc = sw_db_exec_params(a->db,
                               "INSERT INTO sw_campaigns(name, description, campaign, dimension, "
                               "tags, document, status, created_at, updated_at) "
                               "SELECT ?1, description, campaign, dimension, tags, ?2, 'draft', "
                               "?4, ?4 FROM sw_campaigns WHERE id = ?3",
                               &p, NULL, &err);
    if (rc == 0) {
        sw_db_query_int(a->db, "SELECT last_insert_rowid()", NULL, &nid, &err);
    }
    sw_params_release(&p);
    free(text);
    if (rc < 0 || !nid) {
        sw_api_error(a, &err);
    } else {
        respond_campaign(a, 201, nid);
    }
out:
    json_decref(doc);
    free(document);
    free(name);
    free(copy);
    sw_error_release(&err);
}

/* ---- lifecycle ---- */

static void action(struct sw_api *a, const char *what)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    json_t *out = NULL;
    if (!id) {
        return;
    }
    if (sw_svc_action(&a->srv->svc, a->db, id, what, &out, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 200, out);
    }
    sw_error_release(&err);
}

void sw_api_campaigns_start(struct sw_api *a)
{
    action(a, "start");
}

void sw_api_campaigns_run_now(struct sw_api *a)
{
    action(a, "run-now");
}

void sw_api_campaigns_pause(struct sw_api *a)
{
    action(a, "pause");
}

void sw_api_campaigns_resume(struct sw_api *a)
{
    action(a, "resume");
}

void sw_api_campaigns_stop(struct sw_api *a)
{
    action(a, "stop");
}

void sw_api_campaigns_retry(struct sw_api *a)
{
    action(a, "retry");
}

/* {"variables": {...}} from an optional body; NULL with the response set on error. */
static bool body_variables(struct sw_api *a, json_t **body, const json_t **vars)
{
    *body = NULL;
    *vars = NULL;
    if (a->req->body.len == 0) {
        return true;
    }
    if (!(*body = sw_req_json(a->req, a->resp))) {
        return false;
    }
    *vars = json_object_get(*body, "variables");
    if (*vars && !json_is_object(*vars)) {
        json_t *d = json_pack("[{s:s, s:s}]", "path", "$.variables", "message", "must be an object");
        sw_resp_fail(a->resp, SW_EVALIDATION, "variables must be an object", d);
        return false;
    }
    return true;
}

void sw_api_campaigns_simulate(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    json_t *body = NULL, *result = NULL;
    const json_t *vars = NULL;
    if (id && body_variables(a, &body, &vars)) {
        if (sw_svc_simulate(&a->srv->svc, a->db, id, vars, &result, &err) < 0) {
            sw_api_error(a, &err);
        } else {
            sw_resp_json(a->resp, 200, result);
        }
    }
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_campaigns_trigger(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0), run_id = 0;
    json_t *body = NULL;
    const json_t *vars = NULL;
    if (id && body_variables(a, &body, &vars)) {
        if (sw_svc_start_run(&a->srv->svc, a->db, id, "signal", vars, &run_id, &err) < 0) {
            sw_api_error(a, &err);
        } else {
            sw_resp_json(a->resp, 202, json_pack("{s:I, s:s}", "run_id", (json_int_t)run_id,
                                                 "status", "running"));
        }
    }
    json_decref(body);
    sw_error_release(&err);
}

void sw_api_campaigns_preview(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    char *name = NULL;
    char *document = id ? document_of(a->db, "sw_campaigns", id, &name) : NULL;
    json_t *doc = document ? json_loads(document, 0, NULL) : NULL;
    struct sw_schedule *s = NULL;
    if (!doc) {
        if (id) {
            sw_api_not_found(a, "campaign", id);
        }
        goto out;
    }
    const char *tz = json_string_value(json_object_get(doc, "timezone"));
    if (sw_schedule_parse(json_object_get(doc, "schedule"), tz, &s, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    const char *from_s = sw_req_query(a->req, "from");
    int64_t from = sw_clock_now_ms();
    if (from_s && sw_clock_parse_iso(from_s, &from) < 0) {
        bad_param(a, "from", "expected an ISO-8601 date-time");
        goto out;
    }
    sw_resp_json(a->resp, 200,
                 json_pack("{s:s, s:o}", "timezone", tz ? tz : "UTC", "next",
                           sw_schedule_preview(s, from, 10)));
out:
    sw_schedule_free(s);
    json_decref(doc);
    free(document);
    free(name);
    sw_error_release(&err);
}

/* ---- history ---- */

json_t *sw_api_run_json(struct sw_stmt *st)
{
    const char *vars = sw_stmt_column_text(st, 7);
    json_t *v = vars ? json_loads(vars, 0, NULL) : NULL;
    /* The seed is a 63-bit integer: a string, so that a JavaScript client reads it exactly. */
    char seed[24];
    snprintf(seed, sizeof(seed), "%lld", (long long)sw_stmt_column_int(st, 9));
    return json_pack("{s:I, s:I, s:s, s:s, s:b, s:o, s:o, s:s?, s:o, s:s}", "id",
                     (json_int_t)sw_stmt_column_int(st, 0), "campaign_id",
                     (json_int_t)sw_stmt_column_int(st, 1), "status", sw_stmt_column_text(st, 2),
                     "trigger", sw_stmt_column_text(st, 3), "simulation",
                     (int)sw_stmt_column_int(st, 4), "started_at",
                     sw_api_ms(sw_stmt_column_int(st, 5)), "ended_at",
                     sw_api_ms(sw_stmt_column_int(st, 6)), "error", sw_stmt_column_text(st, 8),
                     "variables", v ? v : json_object(), "seed", seed);
}

#define RUN_COLS "id, campaign_id, status, trigger, simulation, started_at, ended_at, variables, error, seed"

/* Rows of a statement newest first by id (column 0), one page: the items made by row() and
 * the next cursor. The response is set (200, or the error). */
static void id_page(struct sw_api *a, struct sw_stmt *st, const struct sw_page *pg,
                    json_t *(*row)(struct sw_stmt *st))
{
    struct sw_error err = SW_ERROR_INIT;
    json_t *items = json_array(), *next = NULL;
    int64_t n = 0, last = 0;
    int rc;
    while ((rc = sw_stmt_step(st, &err)) == SW_STEP_ROW) {
        if (n == pg->limit) {
            next = sw_api_page_next(pg, NULL, last);
            break;
        }
        last = sw_stmt_column_int(st, 0);
        json_array_append_new(items, row(st));
        n++;
    }
    if (rc < 0) {
        json_decref(items);
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 200, sw_api_page_json(items, next));
    }
    sw_error_release(&err);
}

void sw_api_campaigns_runs(struct sw_api *a)
{
    static const char *const names[] = {"status", NULL};
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    struct sw_stmt *st = NULL;
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_page pg = {0};
    const char *status_q = sw_req_query(a->req, "status");
    char *status = id ? status_of(a, id) : NULL;
    if (!status || sw_api_enum_param(a, "status", sw_run_status_texts, true) < 0 ||
        sw_api_page_begin(a, names, 50, 500, &pg) < 0) {
        goto out;
    }
    sw_buf_printf(&sql, "SELECT " RUN_COLS " FROM sw_runs WHERE campaign_id = ?%d",
                  sw_params_add_int(&p, id));
    if (pg.after) {
        sw_buf_printf(&sql, " AND id < ?%d", sw_params_add_int(&p, sw_api_page_id(&pg)));
    }
    if (status_q) {
        in_list(&sql, &p, "status", status_q);
    }
    sw_buf_printf(&sql, " ORDER BY id DESC LIMIT ?%d", sw_params_add_int(&p, pg.limit + 1));
    if (sw_db_prepare(a->db, sql.data, &st, &err) < 0 || sw_stmt_bind_params(st, &p, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    id_page(a, st, &pg, sw_api_run_json);
out:
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    sw_params_release(&p);
    sw_api_page_release(&pg);
    sw_error_release(&err);
    free(status);
}

static json_t *log_json(struct sw_stmt *st)
{
    return json_pack("{s:I, s:o, s:s, s:o, s:s?, s:s}", "id", (json_int_t)sw_stmt_column_int(st, 0),
                     "time", sw_api_ms(sw_stmt_column_int(st, 1)), "level",
                     sw_stmt_column_text(st, 2), "run_id",
                     sw_stmt_column_type(st, 3) == SW_V_NULL
                         ? json_null()
                         : json_integer(sw_stmt_column_int(st, 3)),
                     "activity", sw_stmt_column_text(st, 4), "message", sw_stmt_column_text(st, 5));
}

void sw_api_campaigns_logs(struct sw_api *a)
{
    static const char *const names[] = {"run", "level", "activity", NULL};
    static const char *const levels[] = {"debug", "info", "warn", "error", NULL};
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0), run = 0;
    const char *run_s = sw_req_query(a->req, "run");
    const char *level = sw_req_query(a->req, "level");
    const char *activity = sw_req_query(a->req, "activity");
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    struct sw_page pg = {0};
    char *status = id ? status_of(a, id) : NULL;
    if (!status) {
        goto out;
    }
    if (run_s && (sw_parse_int64(run_s, &run) < 0 || run <= 0)) {
        bad_param(a, "run", "expected a run id");
        goto out;
    }
    if (activity && !sw_valid_id(activity)) {
        bad_param(a, "activity", "expected an activity id ([A-Za-z0-9_-]{1,64})");
        goto out;
    }
    if (sw_api_enum_param(a, "level", levels, true) < 0 ||
        sw_api_page_begin(a, names, 200, 1000, &pg) < 0) {
        goto out;
    }
    sw_buf_printf(&sql, "SELECT id, ts, level, run_id, activity, message FROM sw_logs "
                        "WHERE campaign_id = ?%d",
                  sw_params_add_int(&p, id));
    if (pg.after) {
        sw_buf_printf(&sql, " AND id < ?%d", sw_params_add_int(&p, sw_api_page_id(&pg)));
    }
    if (run) {
        sw_buf_printf(&sql, " AND run_id = ?%d", sw_params_add_int(&p, run));
    }
    if (level) {
        in_list(&sql, &p, "level", level);
    }
    if (activity) {
        sw_buf_printf(&sql, " AND activity = ?%d", sw_params_add_text(&p, activity));
    }
    sw_buf_printf(&sql, " ORDER BY id DESC LIMIT ?%d", sw_params_add_int(&p, pg.limit + 1));
    if (sw_db_prepare(a->db, sql.data, &st, &err) < 0 || sw_stmt_bind_params(st, &p, &err) < 0) {
        sw_api_error(a, &err);
        goto out;
    }
    id_page(a, st, &pg, log_json);
out:
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    sw_params_release(&p);
    sw_api_page_release(&pg);
    sw_error_release(&err);
    free(status);
}

/* ---- templates from campaigns ---- */

void sw_api_campaigns_save_template(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0), tid = 0;
    char *name = NULL;
    char *document = id ? document_of(a->db, "sw_campaigns", id, &name) : NULL;
    json_t *body = NULL, *doc = NULL;
    if (!document) {
        if (id) {
            sw_api_not_found(a, "campaign", id);
        }
        goto out;
    }
    if (a->req->body.len && !(body = sw_req_json(a->req, a->resp))) {
        goto out;
    }
    const char *tname = json_string_value(json_object_get(body, "name"));
    doc = renamed(document, tname ? tname : name);
    char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct sw_params p = SW_PARAMS_INIT;
    int64_t now = sw_clock_now_ms();
    sw_params_add_text(&p, tname ? tname : name);
    const char *desc = json_string_value(json_object_get(doc, "description"));
    sw_params_add_text_or_null(&p, desc);
    sw_params_add_text(&p, text);
    sw_params_add_int(&p, now);
    int rc = sw_db_exec_params(a->db,
                               "INSERT INTO sw_templates(name, description, document, created_at, "
                               "updated_at) VALUES (?1, ?2, ?3, ?4, ?4)",
                               &p, NULL, &err);
    if (rc == 0) {
        sw_db_query_int(a->db, "SELECT last_insert_rowid()", NULL, &tid, &err);
    }
    sw_params_release(&p);
    free(text);
    if (rc < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 201, json_pack("{s:I, s:s, s:O}", "id", (json_int_t)tid, "name",
                                             tname ? tname : name, "document", doc));
    }
out:
    json_decref(doc);
    json_decref(body);
    free(document);
    free(name);
    sw_error_release(&err);
}
