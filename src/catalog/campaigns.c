/*
 * campaigns.c - see campaigns.h.
 *
 * The list at a million campaigns (bench/api): every filter and sort is an index range or a
 * probe of a side table kept by triggers (migration 3), and the rows it reads are small
 * because the document is in its own table (migration 12). The total comes from the cheapest
 * source that answers it exactly: the per-status counters when only statuses filter, the tag
 * or run table when it is the only filter, the FTS index for a search alone, else a count.
 * A search whose rarest trigram is in few campaigns gives the total and the page from one
 * pass over its checked candidates.
 */
#include "catalog/campaigns.h"
#include "catalog/rows.h"
#include "core/clock.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* The row's columns in the order row_read() takes them, with the list's alias. */
#define ROW_COLS                                                                                   \
    "c.id, c.name, c.description, c.status, c.campaign, c.dimension, c.tags, c.created_at, "       \
    "c.updated_at, c.last_run_at, c.next_run_at, c.last_error_activity"

/* A tag on more than 1/TAG_COMMON_RATIO of the campaigns is common: walk the sort index and
 * probe the tag table per campaign (stops after a page); a rarer one starts from its few
 * campaigns and sorts them. */
#define TAG_COMMON_RATIO 200

/* A search whose rarest trigram is in at most this many campaigns drives the list: its
 * candidates are checked once, and that one pass gives the total and the page. */
#define SEARCH_FEW 20000

static void status_read(struct sw_stmt *st, int c0, void *elem)
{
    struct sw_campaign_row *r = elem;
    if (sw_campaign_status_parse(sw_stmt_column_text(st, c0 + 3), &r->status) < 0) {
        r->status = SW_CAMPAIGN_STATUS_DRAFT;
    }
}

/* The status, and the document "null" when the campaign has none. */
static void status_document_read(struct sw_stmt *st, int c0, void *elem)
{
    struct sw_campaign_row *r = elem;
    status_read(st, c0, r);
    if (!r->document) {
        r->document = sw_strdup("null");
    }
}

/* ROW_COLS, then the document (only when asked). */
static const struct sw_col row_cols[] = {
    SW_COL(INT, struct sw_campaign_row, id),
    SW_COL(TEXT, struct sw_campaign_row, name),
    SW_COL(TEXT, struct sw_campaign_row, description),
    SW_COL(OWN, struct sw_campaign_row, status),
    SW_COL(TEXT, struct sw_campaign_row, campaign),
    SW_COL(TEXT, struct sw_campaign_row, dimension),
    SW_COL(TEXT, struct sw_campaign_row, tags),
    SW_COL(INT, struct sw_campaign_row, created_at),
    SW_COL(INT, struct sw_campaign_row, updated_at),
    SW_COL(INT, struct sw_campaign_row, last_run_at),
    SW_COL(INT, struct sw_campaign_row, next_run_at),
    SW_COL(TEXT, struct sw_campaign_row, last_error_activity),
    SW_COL(TEXT, struct sw_campaign_row, document),
};
static const struct sw_row_type row_doc =
    SW_ROW_TYPE(struct sw_campaign_row, row_cols, status_document_read);
static const struct sw_row_type row_type = {sizeof(struct sw_campaign_row), row_cols, 12,
                                            status_read};

static void row_read(struct sw_stmt *st, int c0, struct sw_campaign_row *r)
{
    sw_row_read(&row_type, st, c0, r);
}

void sw_campaign_row_release(struct sw_campaign_row *r) { sw_row_release(&row_doc, r); }

static json_t *ms_json(int64_t ms)
{
    char iso[32];
    if (!ms) {
        return json_null();
    }
    sw_clock_format_iso(ms, iso, sizeof(iso));
    return json_string(iso);
}

static json_t *text_json(const char *s) { return s ? json_string(s) : json_null(); }

json_t *sw_campaign_row_json(const struct sw_campaign_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "name", text_json(r->name));
    json_object_set_new(o, "description", text_json(r->description));
    json_object_set_new(o, "status", json_string(sw_campaign_status_text(r->status)));
    json_object_set_new(o, "campaign", text_json(r->campaign));
    json_object_set_new(o, "targeting_dimension", text_json(r->dimension));
    json_t *t = r->tags ? json_loads(r->tags, 0, NULL) : NULL;
    json_object_set_new(o, "tags", t ? t : json_array());
    json_object_set_new(o, "created_at", ms_json(r->created_at));
    json_object_set_new(o, "updated_at", ms_json(r->updated_at));
    json_object_set_new(o, "last_run_at", ms_json(r->last_run_at));
    json_object_set_new(o, "next_run_at", ms_json(r->next_run_at));
    json_object_set_new(o, "last_error_activity", text_json(r->last_error_activity));
    if (r->document) {
        json_t *doc = json_loads(r->document, 0, NULL);
        json_object_set_new(o, "document", doc ? doc : json_null());
    }
    return o;
}

int sw_catalog_campaign_get(struct sw_catalog *cat, int64_t id, bool with_document,
                            struct sw_campaign_row *out, struct sw_error *err)
{
    return sw_rows_get_id(cat->db,
                          with_document
                              ? "SELECT " ROW_COLS ", d.document FROM sw_campaigns c "
                                "LEFT JOIN sw_campaign_documents d ON d.campaign_id = c.id "
                                "WHERE c.id = ?1"
                              : "SELECT " ROW_COLS " FROM sw_campaigns c WHERE c.id = ?1",
                          id, with_document ? &row_doc : &row_type, out, "campaign with id", err);
}

static int document_put(struct sw_catalog *cat, int64_t id, const char *document,
                        struct sw_error *err)
{
    return sw_rows_upsert(cat->db,
                          "INSERT INTO sw_campaign_documents(campaign_id, document) "
                          "VALUES (?1, ?2)",
                          "campaign_id", "document = excluded.document",
                          SW_ARGS(SW_INT(id), SW_TEXT(document)), err);
}

static void fields_params(struct sw_params *p, const struct sw_campaign_fields *f)
{
    sw_params_add_text(p, f->name);
    sw_params_add_text_or_null(p, f->description);
    sw_params_add_text_or_null(p, f->campaign);
    sw_params_add_text_or_null(p, f->dimension);
    sw_params_add_text(p, f->tags ? f->tags : "[]");
}

/* A new campaign row (`insert`, with p) and its document, together or not at all; *id is 0
 * when nothing was inserted. */
static int insert_with_document(struct sw_catalog *cat, const char *insert,
                                const struct sw_params *p, const char *document, int64_t *id,
                                struct sw_error *err)
{
    bool own;
    int rc = sw_rows_begin(cat->db, &own, err);
    *id = 0;
    if (rc == 0) {
        rc = sw_db_insert_id(cat->db, insert, p, id, err);
    }
    if (rc == 0 && *id) {
        rc = document_put(cat, *id, document, err);
    }
    if ((rc = sw_rows_end(cat->db, own, rc, err)) < 0) {
        *id = 0;
    }
    return rc;
}

int sw_catalog_campaign_insert(struct sw_catalog *cat, const struct sw_campaign_fields *f,
                               int64_t now_ms, int64_t *id, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    fields_params(&p, f);
    sw_params_add_int(&p, now_ms);
    int rc = insert_with_document(cat,
                                  "INSERT INTO sw_campaigns(name, description, campaign, "
                                  "dimension, tags, status, created_at, updated_at) "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6, ?6)",
                                  &p, f->document, id, err);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_campaign_update(struct sw_catalog *cat, int64_t id,
                               const struct sw_campaign_fields *f, int64_t now_ms, bool *changed,
                               struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t n = 0;
    bool own;
    fields_params(&p, f);
    sw_params_add_int(&p, now_ms);
    sw_params_add_int(&p, id);
    int rc = sw_rows_begin(cat->db, &own, err);
    if (rc == 0) {
        rc = sw_db_exec_params(cat->db,
                               "UPDATE sw_campaigns SET name = ?1, description = ?2, "
                               "campaign = ?3, dimension = ?4, tags = ?5, updated_at = ?6, "
                               "next_run_at = NULL WHERE id = ?7 AND status <> 'running'",
                               &p, &n, err);
    }
    if (rc == 0 && n) {
        rc = document_put(cat, id, f->document, err);
    }
    rc = sw_rows_end(cat->db, own, rc, err);
    *changed = rc == 0 && n;
    sw_params_release(&p);
    return rc;
}

int sw_catalog_campaign_copy(struct sw_catalog *cat, int64_t from, const char *name,
                             const char *document, int64_t now_ms, int64_t *id,
                             struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_text(&p, name);
    sw_params_add_int(&p, from);
    sw_params_add_int(&p, now_ms);
    int rc = insert_with_document(cat,
                                  "INSERT INTO sw_campaigns(name, description, campaign, "
                                  "dimension, tags, status, created_at, updated_at) "
                                  "SELECT ?1, description, campaign, dimension, tags, 'draft', "
                                  "?3, ?3 FROM sw_campaigns WHERE id = ?2",
                                  &p, document, id, err);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_campaign_delete(struct sw_catalog *cat, int64_t id, struct sw_error *err)
{
    static const char *const deletes[] = {
        "DELETE FROM sw_tasks WHERE run_id IN (SELECT id FROM sw_runs WHERE campaign_id = ?1)",
        "DELETE FROM sw_runs WHERE campaign_id = ?1",
        "DELETE FROM sw_logs WHERE campaign_id = ?1",
        "DELETE FROM sw_incremental WHERE campaign_id = ?1",
        "DELETE FROM sw_campaigns WHERE id = ?1 AND status <> 'running'",
    };
    return sw_rows_exec_each(cat->db, deletes, sizeof(deletes) / sizeof(deletes[0]),
                             SW_ARGS(SW_INT(id)), err);
}

bool sw_catalog_campaign_name_used(struct sw_catalog *cat, const char *name)
{
    int64_t used = 0;
    sw_rows_query_int(cat->db, "SELECT count(*) FROM sw_campaigns WHERE name = ?1",
                      SW_ARGS(SW_TEXT(name)), &used, NULL);
    return used != 0;
}

int sw_catalog_campaign_upsert(struct sw_catalog *cat, const char *name, const char *document,
                               const char *dimension, int64_t now_ms, int64_t *id,
                               struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    bool own;
    int rc = sw_rows_begin(cat->db, &own, err);
    sw_params_add_text(&p, name);
    if (rc == 0) {
        rc = sw_db_query_int(
            cat->db, "SELECT coalesce(min(id), 0) FROM sw_campaigns WHERE name = ?1", &p, id, err);
    }
    if (rc < 0) {
        goto out;
    }
    sw_params_add_text_or_null(&p, dimension);
    sw_params_add_int(&p, now_ms);
    if (*id) {
        sw_params_add_int(&p, *id);
        rc = sw_db_exec_params(cat->db,
                               "UPDATE sw_campaigns SET dimension = ?2, updated_at = ?3 "
                               "WHERE id = ?4",
                               &p, NULL, err);
    } else {
        rc = sw_db_insert_id(cat->db,
                             "INSERT INTO sw_campaigns(name, dimension, created_at, updated_at) "
                             "VALUES (?1, ?2, ?3, ?3)",
                             &p, id, err);
    }
    if (rc == 0) {
        rc = document_put(cat, *id, document, err);
    }
out:
    rc = sw_rows_end(cat->db, own, rc, err);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_campaign_after_run(struct sw_catalog *cat, int64_t campaign_id,
                                  enum sw_run_status status, int64_t last_run_at,
                                  const char *error_activity, struct sw_error *err)
{
    /* A campaign with ticks to come stays running after a successful run. */
    return sw_rows_exec(cat->db,
                        "UPDATE sw_campaigns SET status = CASE WHEN ?1 = 'failed' THEN "
                        "'failed' WHEN next_run_at IS NOT NULL AND status = 'running' "
                        "THEN 'running' ELSE ?1 END, last_run_at = ?2, "
                        "last_error_activity = ?3 WHERE id = ?4",
                        SW_ARGS(SW_TEXT(sw_run_status_text(status)), SW_INT(last_run_at),
                                SW_TEXT_OR_NULL(error_activity), SW_INT(campaign_id)),
                        NULL, err);
}

int sw_catalog_campaign_set_status(struct sw_catalog *cat, int64_t id,
                                   enum sw_campaign_status status, struct sw_error *err)
{
    return sw_rows_exec(cat->db, "UPDATE sw_campaigns SET status = ?1 WHERE id = ?2",
                        SW_ARGS(SW_TEXT(sw_campaign_status_text(status)), SW_INT(id)), NULL, err);
}

int sw_catalog_campaign_rerun(struct sw_catalog *cat, int64_t id, struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "UPDATE sw_campaigns SET status = 'running', last_error_activity = NULL "
                        "WHERE id = ?1",
                        SW_ARGS(SW_INT(id)), NULL, err);
}

int sw_catalog_campaign_set_next(struct sw_catalog *cat, int64_t id, int64_t next_ms,
                                 struct sw_error *err)
{
    return sw_rows_exec(cat->db,
                        "UPDATE sw_campaigns SET next_run_at = nullif(?2, 0) WHERE id = ?1",
                        SW_ARGS(SW_INT(id), SW_INT(next_ms)), NULL, err);
}

int64_t sw_catalog_campaign_find(struct sw_catalog *cat, const char *target)
{
    int64_t id = 0, num = 0;
    sw_rows_query_int(
        cat->db, "SELECT coalesce(min(id), 0) FROM sw_campaigns WHERE id = ?2 OR name = ?1",
        SW_ARGS(SW_TEXT(target), SW_INT(sw_parse_int64(target, &num) == 0 ? num : -1)), &id, NULL);
    return id;
}

int64_t sw_catalog_campaign_count(struct sw_catalog *cat)
{
    int64_t n = 0;
    sw_db_query_int(cat->db, "SELECT coalesce(sum(n), 0) FROM sw_campaign_counts", NULL, &n, NULL);
    return n;
}

/* ---- the list ---- */

static const char *const sort_names[] = {
#define SW_SORT_NAME(name, text) text,
    SW_CAMPAIGN_SORT_MAP(SW_SORT_NAME)
#undef SW_SORT_NAME
};

#define NSORTS (sizeof(sort_names) / sizeof(sort_names[0]))

/* Each sort's indexed expression (migration 3: never-run sorts as time 0). */
static const struct {
    const char *expr;
    bool is_time;
} sort_cols[NSORTS] = {
    [SW_CAMPAIGN_SORT_UPDATED_AT] = {"c.updated_at", true},
    [SW_CAMPAIGN_SORT_CREATED_AT] = {"c.created_at", true},
    [SW_CAMPAIGN_SORT_NAME] = {"c.name", false},
    [SW_CAMPAIGN_SORT_STATUS] = {"c.status", false},
    [SW_CAMPAIGN_SORT_LAST_RUN_AT] = {"coalesce(c.last_run_at, 0)", true},
    [SW_CAMPAIGN_SORT_NEXT_RUN_AT] = {"coalesce(c.next_run_at, 0)", true},
};

int sw_campaign_sort_parse(const char *name, enum sw_campaign_sort *out)
{
    for (size_t i = 0; name && i < NSORTS; i++) {
        if (!strcmp(sort_names[i], name)) {
            *out = (enum sw_campaign_sort)i;
            return 0;
        }
    }
    return -1;
}

bool sw_campaign_sort_is_time(enum sw_campaign_sort s)
{
    return (size_t)s < NSORTS && sort_cols[s].is_time;
}

void sw_campaign_page_release(struct sw_campaign_page *pg)
{
    for (size_t i = 0; pg && i < pg->n; i++) {
        sw_campaign_row_release(&pg->rows[i]);
    }
    if (pg) {
        free(pg->rows);
        memset(pg, 0, sizeof(*pg));
    }
}

/* q searches the names and descriptions (db/: a trigram index on SQLite). */
static const char *const search_cols[] = {"name", "description", NULL};
static const struct sw_text_search campaign_search = {"sw_campaigns", "c", search_cols};

/* The pieces of one list query: WHERE, and the filters the total can answer alone. */
struct list_sql {
    struct sw_buf where, tags, runs;
    struct sw_params p;
    struct sw_buf search_count; /* the search's count from its index alone, or empty */
    int nfilters;
    int64_t tagged; /* campaigns carrying the tags (a sum over them) */
    bool one_tag;
    bool search_drives; /* the search bounds the campaigns read (sw_db_text_search) */
};

static void list_build(struct sw_catalog *cat, const struct sw_campaign_query *q,
                       struct list_sql *l)
{
    sw_buf_puts(&l->where, "1");
    if (q->q && *q->q) {
        sw_buf_puts(&l->where, " AND ");
        l->search_drives = sw_db_text_search(cat->db, &campaign_search, q->q, SEARCH_FEW,
                                             &l->where, &l->search_count, &l->p);
        l->nfilters++;
    }
    static const struct {
        size_t field;
        const char *expr;
    } lists[] = {
        {offsetof(struct sw_campaign_query, status), "c.status"},
        {offsetof(struct sw_campaign_query, campaign), "c.campaign"},
        {offsetof(struct sw_campaign_query, dimension), "c.dimension"},
    };
    for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
        const char *csv = *(const char *const *)((const char *)q + lists[i].field);
        if (csv) {
            sw_rows_in_csv(&l->where, &l->p, lists[i].expr, csv);
            l->nfilters++;
        }
    }
    if (q->tag) {
        /* How common the tags are: their counters (migration 12), a sum over the tags given
         * (exactly the total when one tag is the only filter). */
        struct sw_buf cs = SW_BUF_INIT;
        struct sw_params cp = SW_PARAMS_INIT;
        int64_t all = 0;
        sw_buf_puts(&cs, "SELECT coalesce(sum(n), 0) FROM sw_campaign_tag_counts t WHERE 1");
        sw_rows_in_csv(&cs, &cp, "t.tag", q->tag);
        sw_db_query_int(cat->db, cs.data, &cp, &l->tagged, NULL);
        l->one_tag = cp.n == 1;
        sw_buf_release(&cs);
        sw_params_release(&cp);
        all = sw_catalog_campaign_count(cat);
        sw_buf_puts(&l->tags, "SELECT tg.campaign_id FROM sw_campaign_tags tg WHERE 1");
        sw_rows_in_csv(&l->tags, &l->p, "tg.tag", q->tag);
        if (l->tagged * TAG_COMMON_RATIO > all) {
            sw_buf_printf(&l->where, " AND EXISTS (%s AND tg.campaign_id = c.id)", l->tags.data);
        } else {
            sw_buf_printf(&l->where, " AND c.id IN (%s)", l->tags.data);
        }
        l->nfilters++;
    }
    if (q->processed_from || q->processed_to) {
        /* a run within the range (index sw_runs_processed, migration 4) */
        sw_buf_puts(&l->runs, "SELECT r.campaign_id FROM sw_runs r WHERE r.simulation = 0");
        if (q->processed_from) {
            sw_buf_printf(&l->runs, " AND coalesce(r.ended_at, r.started_at) >= ?%d",
                          sw_params_add_int(&l->p, q->processed_from));
        }
        if (q->processed_to) {
            /* A run that started by `to` ended by `to` plus the longest span (index
             * sw_runs_span, migration 12): the index range stops there. */
            int64_t span = 0;
            sw_db_query_int(cat->db,
                            "SELECT coalesce(max(coalesce(ended_at, started_at) - started_at), 0) "
                            "FROM sw_runs WHERE simulation = 0",
                            NULL, &span, NULL);
            sw_buf_printf(&l->runs,
                          " AND coalesce(r.ended_at, r.started_at) <= ?%d AND r.started_at <= ?%d",
                          sw_params_add_int(&l->p, q->processed_to + span),
                          sw_params_add_int(&l->p, q->processed_to));
        }
        sw_buf_printf(&l->where, " AND EXISTS (%s AND r.campaign_id = c.id)", l->runs.data);
        l->nfilters++;
    }
}

static int list_total(struct sw_catalog *cat, const struct sw_campaign_query *q,
                      const struct list_sql *l, int64_t *total, struct sw_error *err)
{
    struct sw_buf cs = SW_BUF_INIT;
    struct sw_params sp = SW_PARAMS_INIT;
    const struct sw_params *cp = &l->p;
    if (l->nfilters == 0 || (l->nfilters == 1 && q->status)) {
        sw_buf_puts(&cs, "SELECT coalesce(sum(n), 0) FROM sw_campaign_counts c WHERE 1");
        if (q->status) {
            sw_rows_in_csv(&cs, &sp, "c.status", q->status);
        }
        cp = &sp;
    } else if (l->nfilters == 1 && q->tag && l->one_tag) {
        *total = l->tagged;
        return 0;
    } else if (l->nfilters == 1 && q->tag) {
        sw_buf_printf(&cs, "SELECT count(DISTINCT campaign_id) FROM (%s)", l->tags.data);
    } else if (l->nfilters == 1 && l->search_count.len) {
        sw_buf_puts(&cs, l->search_count.data);
    } else {
        sw_buf_printf(&cs, "SELECT count(*) FROM sw_campaigns c WHERE %s", l->where.data);
    }
    int rc = sw_db_query_int(cat->db, cs.data, cp, total, err);
    sw_buf_release(&cs);
    sw_params_release(&sp);
    return rc;
}

/* The page's bounds on a query over (sort value `k`, id `id`): after the cursor, in order,
 * and, when `limited`, limit + 1 rows (the one past tells that a next page exists) or the
 * offset. */
static void page_bounds(const struct sw_campaign_query *q, const char *k, const char *id,
                        bool limited, struct sw_buf *sql, struct sw_params *p)
{
    const char *dir = q->desc ? "DESC" : "ASC";
    if (q->after) {
        int vi = q->after_text ? sw_params_add_text(p, q->after_text)
                               : sw_params_add_int(p, q->after_int);
        int ii = sw_params_add_int(p, q->after_id);
        sw_buf_printf(sql, " AND (%s, %s) %s (?%d, ?%d)", k, id, q->desc ? "<" : ">", vi, ii);
    }
    sw_buf_printf(sql, " ORDER BY %s %s, %s %s", k, dir, id, dir);
    if (!limited) {
        return;
    }
    sw_buf_printf(sql, " LIMIT ?%d", sw_params_add_int(p, q->limit + 1));
    if (q->offset && !q->after) {
        sw_buf_printf(sql, " OFFSET ?%d", sw_params_add_int(p, q->offset));
    }
}

static int id_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The campaigns with a run in the range (l->runs, its parameters the only ones in l->p),
 * sorted, each once. */
static int runs_campaigns(struct sw_catalog *cat, const struct list_sql *l, int64_t **ids,
                          size_t *n, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    size_t cap = 0, m = 0;
    int rc;
    *ids = NULL;
    *n = 0;
    if ((rc = sw_db_prepare(cat->db, l->runs.data, &st, err)) < 0 ||
        (rc = sw_stmt_bind_params(st, &l->p, err)) < 0) {
        goto out;
    }
    while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        if (m == cap) {
            cap = cap ? cap * 2 : 1024;
            *ids = sw_realloc(*ids, cap * sizeof(**ids));
        }
        (*ids)[m++] = sw_stmt_column_int(st, 0);
    }
    rc = rc < 0 ? rc : 0;
    if (m) {
        qsort(*ids, m, sizeof(**ids), id_cmp);
        *n = 1;
        for (size_t i = 1; i < m; i++) {
            if ((*ids)[i] != (*ids)[*n - 1]) {
                (*ids)[(*n)++] = (*ids)[i];
            }
        }
    }
out:
    sw_stmt_finalize(st);
    return rc;
}

/* The page when the run range is the only filter and common: walk the sort index (ids
 * only), keep the campaigns in `ids`, stop one past the page; then sql reads those rows. */
static int runs_page(struct sw_catalog *cat, const struct sw_campaign_query *q,
                     const char *expr, const int64_t *ids, size_t n, struct sw_buf *sql,
                     struct sw_params *p, struct sw_error *err)
{
    struct sw_buf walk = SW_BUF_INIT;
    struct sw_params wp = SW_PARAMS_INIT;
    struct sw_stmt *st = NULL;
    int64_t skip = q->after ? 0 : q->offset, found = 0;
    int rc;
    sw_buf_puts(&walk, "SELECT c.id FROM sw_campaigns c WHERE 1");
    page_bounds(q, expr, "c.id", false, &walk, &wp);
    sw_buf_puts(sql, "SELECT " ROW_COLS " FROM sw_campaigns c WHERE c.id IN (NULL");
    if ((rc = sw_db_prepare(cat->db, walk.data, &st, err)) < 0 ||
        (rc = sw_stmt_bind_params(st, &wp, err)) < 0) {
        goto out;
    }
    while (found <= q->limit && (rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        int64_t id = sw_stmt_column_int(st, 0);
        if (!bsearch(&id, ids, n, sizeof(*ids), id_cmp)) {
            continue;
        }
        if (skip) {
            skip--;
            continue;
        }
        sw_buf_printf(sql, ", ?%d", sw_params_add_int(p, id));
        found++;
    }
    rc = rc < 0 ? rc : 0;
    sw_buf_printf(sql, ") ORDER BY %s %s, c.id %s", expr, q->desc ? "DESC" : "ASC",
                  q->desc ? "DESC" : "ASC");
out:
    sw_stmt_finalize(st);
    sw_buf_release(&walk);
    sw_params_release(&wp);
    return rc;
}

int sw_catalog_campaign_list(struct sw_catalog *cat, const struct sw_campaign_query *q,
                             struct sw_campaign_page *out, struct sw_error *err)
{
    struct list_sql l = {.where = SW_BUF_INIT, .tags = SW_BUF_INIT, .runs = SW_BUF_INIT,
                         .p = SW_PARAMS_INIT, .search_count = SW_BUF_INIT};
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params pp = SW_PARAMS_INIT;
    const struct sw_params *page_p = &l.p;
    int64_t *ids = NULL;
    size_t nids = 0;
    struct sw_stmt *st = NULL;
    const char *expr = sort_cols[(size_t)q->sort < NSORTS ? q->sort : 0].expr;
    const char *dir = q->desc ? "DESC" : "ASC";
    int rc = 0;
    memset(out, 0, sizeof(*out));
    list_build(cat, q, &l);
    if (l.search_drives) {
        /* One pass over the search's few candidates, kept with their sort value: their
         * count is the total, the page is sorted from them; a row with the total and no
         * campaign when the page is empty. */
        sw_buf_printf(&sql,
                      "WITH m AS MATERIALIZED (SELECT c.id AS id, %s AS k FROM sw_campaigns c "
                      "WHERE %s) SELECT " ROW_COLS ", t.n FROM (SELECT count(*) AS n FROM m) t "
                      "LEFT JOIN sw_campaigns c ON c.id IN (SELECT id FROM m WHERE 1",
                      expr, l.where.data);
        page_bounds(q, "k", "id", true, &sql, &l.p);
        sw_buf_printf(&sql, ") ORDER BY %s %s, c.id %s", expr, dir, dir);
    } else if (l.nfilters == 1 && l.runs.len) {
        /* The run range alone: its campaigns, once each, are the total; when they are
         * common, the page walks the sort index and keeps them (no probe of the runs per
         * campaign). */
        if ((rc = runs_campaigns(cat, &l, &ids, &nids, err)) < 0) {
            goto out;
        }
        out->total = (int64_t)nids;
        if (out->total * TAG_COMMON_RATIO > sw_catalog_campaign_count(cat)) {
            rc = runs_page(cat, q, expr, ids, nids, &sql, &pp, err);
            page_p = &pp;
        } else {
            sw_buf_printf(&sql, "SELECT " ROW_COLS " FROM sw_campaigns c WHERE %s",
                          l.where.data);
            page_bounds(q, expr, "c.id", true, &sql, &l.p);
        }
        if (rc < 0) {
            goto out;
        }
    } else if ((rc = list_total(cat, q, &l, &out->total, err)) < 0) {
        goto out;
    } else {
        sw_buf_printf(&sql, "SELECT " ROW_COLS " FROM sw_campaigns c WHERE %s", l.where.data);
        page_bounds(q, expr, "c.id", true, &sql, &l.p);
    }
    if ((rc = sw_db_prepare(cat->db, sql.data, &st, err)) < 0 ||
        (rc = sw_stmt_bind_params(st, page_p, err)) < 0) {
        goto out;
    }
    out->rows = sw_calloc((size_t)q->limit + 1, sizeof(*out->rows));
    while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
        if (l.search_drives) {
            out->total = sw_stmt_column_int(st, 12);
            if (sw_stmt_column_type(st, 0) == SW_V_NULL) {
                continue;
            }
        }
        if ((int64_t)out->n == q->limit) {
            out->more = true; /* one row past the page: there is a next one */
            break;
        }
        memset(&out->rows[out->n], 0, sizeof(out->rows[0]));
        row_read(st, 0, &out->rows[out->n++]);
    }
    rc = rc < 0 ? rc : 0;
out:
    if (rc < 0) {
        sw_campaign_page_release(out);
    }
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    sw_buf_release(&l.where);
    sw_buf_release(&l.tags);
    sw_buf_release(&l.runs);
    sw_buf_release(&l.search_count);
    sw_params_release(&l.p);
    sw_params_release(&pp);
    free(ids);
    return rc;
}
