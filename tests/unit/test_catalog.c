/*
 * test_catalog.c - the catalog (src/catalog/) against a real SQLite file: the migrations from an
 * empty database and on re-opening, the status tables, and each group's functions (campaigns
 * and the list, runs and tasks, logs, templates, audiences, hints, auth, preferences, events,
 * scheduling), each checked against the rows it wrote, read back with plain SQL.
 */
#include "testutil.h"

#include "catalog/audiences.h"
#include "catalog/auth.h"
#include "catalog/campaigns.h"
#include "catalog/catalog.h"
#include "catalog/events.h"
#include "catalog/hints.h"
#include "catalog/logs.h"
#include "catalog/prefs.h"
#include "catalog/runs.h"
#include "catalog/scheduling.h"
#include "catalog/status.h"
#include "catalog/templates.h"
#include "core/error.h"
#include "db/db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The migrations this build knows (catalog.c's list). */
#define CATALOG_VERSION 13

static char path[64];
static struct sw_db *db;
static struct sw_catalog *cat;

static int setup(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    if (!tu_db_file(path, sizeof(path), "sw_test_catalog_")) {
        return -1;
    }
    if (sw_db_open(path, &db, &err) < 0 || sw_catalog_open(db, &cat, &err) < 0) {
        tu_print_error(&err);
        sw_error_release(&err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sw_catalog_free(cat);
    sw_db_close(db);
    cat = NULL;
    db = NULL;
    tu_db_file_remove(path);
    return 0;
}

/* A campaign with a document naming it; its id. */
static int64_t campaign(const char *name, const char *tags, const char *description)
{
    char doc[256];
    int64_t id = 0;
    snprintf(doc, sizeof(doc), "{\"name\":\"%s\",\"activities\":[]}", name);
    struct sw_campaign_fields f = {name, description, NULL, "profiles", tags, doc};
    assert_int_equal(sw_catalog_campaign_insert(cat, &f, 1000, &id, NULL), 0);
    assert_true(id > 0);
    return id;
}

static int64_t run_of(int64_t campaign_id, bool simulation)
{
    struct sw_run_new r = {campaign_id, "manual",           simulation, "{\"x\":1}",
                           42,          "{\"name\":\"r\"}", 5000};
    int64_t id = 0;
    assert_int_equal(sw_catalog_run_create(cat, &r, &id, NULL), 0);
    return id;
}

/* ---- migrations ---- */

static void test_migrations(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(tu_int(db, "SELECT version FROM sw_meta"), CATALOG_VERSION);
    /* Migration 12: the document has its own table, the list's row has no document. */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM pragma_table_info('sw_campaigns') "
                                "WHERE name = 'document'"),
                     0);
    assert_true(sw_db_table_exists(db, "sw_campaign_documents"));
    assert_true(sw_db_table_exists(db, "sw_campaign_tag_counts"));
    /* Migration 13: open and click events. */
    assert_true(sw_db_table_exists(db, "sw_tracking"));
    /* Re-opening applies nothing and keeps the rows. */
    int64_t id = campaign("kept", "[\"a\"]", NULL);
    sw_catalog_free(cat);
    cat = NULL;
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_meta"), 1);
    assert_int_equal(tu_int(db, "SELECT version FROM sw_meta"), CATALOG_VERSION);
    struct sw_campaign_row row;
    assert_int_equal(sw_catalog_campaign_get(cat, id, true, &row, NULL), 0);
    assert_string_equal(row.name, "kept");
    sw_campaign_row_release(&row);
    /* A catalog from a newer stepwise is refused, not downgraded. */
    sw_catalog_free(cat);
    cat = NULL;
    assert_int_equal(sw_db_exec(db, "UPDATE sw_meta SET version = 99", NULL), 0);
    assert_int_equal(sw_catalog_open(db, &cat, &err), SW_EUNSUPPORTED);
    assert_null(cat);
    char back[64];
    snprintf(back, sizeof(back), "UPDATE sw_meta SET version = %d", CATALOG_VERSION);
    assert_int_equal(sw_db_exec(db, back, NULL), 0);
    assert_int_equal(sw_catalog_open(db, &cat, NULL), 0);
    sw_error_release(&err);
}

static void test_status_tables(void **state)
{
    (void)state;
    enum sw_campaign_status cs;
    enum sw_run_status rs;
    enum sw_task_status ts;
    for (int i = 0; sw_campaign_status_texts[i]; i++) {
        assert_int_equal(sw_campaign_status_parse(sw_campaign_status_texts[i], &cs), 0);
        assert_int_equal(cs, i);
        assert_string_equal(sw_campaign_status_text(cs), sw_campaign_status_texts[i]);
    }
    for (int i = 0; sw_run_status_texts[i]; i++) {
        assert_int_equal(sw_run_status_parse(sw_run_status_texts[i], &rs), 0);
        assert_string_equal(sw_run_status_text(rs), sw_run_status_texts[i]);
    }
    for (int i = 0; sw_task_status_texts[i]; i++) {
        assert_int_equal(sw_task_status_parse(sw_task_status_texts[i], &ts), 0);
        assert_string_equal(sw_task_status_text(ts), sw_task_status_texts[i]);
    }
    assert_int_equal(sw_campaign_status_parse("waiting", &cs), -1);
    assert_int_equal(sw_run_status_parse(NULL, &rs), -1);
    assert_string_equal(sw_task_status_text((enum sw_task_status)99), "");
    assert_string_equal(sw_campaign_status_text(SW_CAMPAIGN_STATUS_RUNNING), "running");
    assert_true(sw_campaign_status_can(SW_CAMPAIGN_STATUS_DRAFT, SW_CAMPAIGN_STATUS_RUNNING));
    assert_false(sw_campaign_status_can(SW_CAMPAIGN_STATUS_DRAFT, SW_CAMPAIGN_STATUS_PAUSED));
    assert_true(sw_campaign_status_can(SW_CAMPAIGN_STATUS_PAUSED, SW_CAMPAIGN_STATUS_RUNNING));
    assert_true(sw_run_status_can(SW_RUN_STATUS_RUNNING, SW_RUN_STATUS_STOPPED));
    assert_false(sw_run_status_can(SW_RUN_STATUS_STOPPED, SW_RUN_STATUS_PAUSED));
    assert_true(sw_task_status_can(SW_TASK_STATUS_FAILED, SW_TASK_STATUS_PENDING));
    assert_false(sw_task_status_can(SW_TASK_STATUS_COMPLETED, SW_TASK_STATUS_PENDING));
}

/* ---- campaigns ---- */

static void test_campaigns(void **state)
{
    (void)state;
    struct sw_campaign_row row;
    bool changed = false;
    int64_t id = campaign("Spring", "[\"vip\",\"promo\"]", "for spring"), copy = 0;
    assert_int_equal(sw_catalog_campaign_get(cat, id, false, &row, NULL), 0);
    assert_string_equal(row.name, "Spring");
    assert_string_equal(row.description, "for spring");
    assert_int_equal(row.status, SW_CAMPAIGN_STATUS_DRAFT);
    assert_null(row.document);
    json_t *j = sw_campaign_row_json(&row);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "draft");
    assert_int_equal(json_array_size(json_object_get(j, "tags")), 2);
    assert_null(json_object_get(j, "document"));
    json_decref(j);
    sw_campaign_row_release(&row);
    assert_int_equal(sw_catalog_campaign_get(cat, id + 100, false, &row, NULL), SW_ENOTFOUND);
    /* The document is read only when asked for, from its own table. */
    assert_int_equal(sw_catalog_campaign_get(cat, id, true, &row, NULL), 0);
    assert_non_null(strstr(row.document, "\"Spring\""));
    sw_campaign_row_release(&row);
    assert_int_equal(tu_int(db, "SELECT n FROM sw_campaign_tag_counts WHERE tag = 'vip'"), 1);

    struct sw_campaign_fields f = {"Summer",   NULL,        "Seasons",
                                   "profiles", "[\"vip\"]", "{\"name\":\"Summer\"}"};
    assert_int_equal(sw_catalog_campaign_update(cat, id, &f, 2000, &changed, NULL), 0);
    assert_true(changed);
    assert_int_equal(sw_catalog_campaign_get(cat, id, true, &row, NULL), 0);
    assert_string_equal(row.name, "Summer");
    assert_string_equal(row.campaign, "Seasons");
    assert_string_equal(row.document, "{\"name\":\"Summer\"}");
    assert_int_equal(row.updated_at, 2000);
    sw_campaign_row_release(&row);
    assert_int_equal(tu_int(db, "SELECT n FROM sw_campaign_tag_counts WHERE tag = 'promo'"), 0);
    /* A running campaign is not edited. */
    assert_int_equal(sw_catalog_campaign_set_status(cat, id, SW_CAMPAIGN_STATUS_RUNNING, NULL), 0);
    assert_int_equal(sw_catalog_campaign_update(cat, id, &f, 3000, &changed, NULL), 0);
    assert_false(changed);

    assert_true(sw_catalog_campaign_name_used(cat, "Summer"));
    assert_false(sw_catalog_campaign_name_used(cat, "Summer (copy)"));
    assert_int_equal(
        sw_catalog_campaign_copy(cat, id, "Summer (copy)", "{\"name\":\"c\"}", 4000, &copy, NULL),
        0);
    assert_true(copy > id);
    assert_int_equal(sw_catalog_campaign_get(cat, copy, true, &row, NULL), 0);
    assert_int_equal(row.status, SW_CAMPAIGN_STATUS_DRAFT);
    assert_string_equal(row.campaign, "Seasons");
    assert_string_equal(row.document, "{\"name\":\"c\"}");
    sw_campaign_row_release(&row);
    int64_t none = 0;
    assert_int_equal(sw_catalog_campaign_copy(cat, 999, "x", "{}", 1, &none, NULL), 0);
    assert_int_equal(none, 0);

    char num[24];
    snprintf(num, sizeof(num), "%lld", (long long)copy);
    assert_int_equal(sw_catalog_campaign_find(cat, "Summer"), id);
    assert_int_equal(sw_catalog_campaign_find(cat, num), copy);
    assert_int_equal(sw_catalog_campaign_find(cat, "nobody"), 0);
    assert_int_equal(sw_catalog_campaign_count(cat), 2);

    /* After a run: failed wins; a success keeps a campaign with ticks to come running. */
    assert_int_equal(sw_catalog_campaign_set_next(cat, id, 9000, NULL), 0);
    assert_int_equal(
        sw_catalog_campaign_after_run(cat, id, SW_RUN_STATUS_COMPLETED, 5000, NULL, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT status = 'running' AND last_run_at = 5000 FROM "
                                "sw_campaigns WHERE id = 1"),
                     1);
    assert_int_equal(
        sw_catalog_campaign_after_run(cat, id, SW_RUN_STATUS_FAILED, 6000, "send", NULL), 0);
    assert_int_equal(tu_int(db, "SELECT status = 'failed' AND last_error_activity = 'send' FROM "
                                "sw_campaigns WHERE id = 1"),
                     1);
    assert_int_equal(sw_catalog_campaign_rerun(cat, id, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT status = 'running' AND last_error_activity IS NULL FROM "
                                "sw_campaigns WHERE id = 1"),
                     1);
    assert_int_equal(sw_catalog_campaign_set_next(cat, id, 0, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT next_run_at IS NULL FROM sw_campaigns WHERE id = 1"), 1);

    /* The CLI's upsert: found by name, document replaced; else created. */
    int64_t up = 0;
    assert_int_equal(
        sw_catalog_campaign_upsert(cat, "Summer", "{\"v\":2}", "households", 7000, &up, NULL), 0);
    assert_int_equal(up, id);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_campaign_documents WHERE campaign_id = 1 "
                                "AND document = '{\"v\":2}'"),
                     1);
    assert_int_equal(sw_catalog_campaign_upsert(cat, "Fresh", "{}", NULL, 7000, &up, NULL), 0);
    assert_true(up > copy);

    /* Delete: not while running; then the runs, tasks, logs and the document go too. */
    int64_t run = run_of(copy, false), task = 0;
    assert_int_equal(sw_catalog_task_create(cat, run, "a", "build_audience", &task, NULL), 0);
    assert_int_equal(sw_catalog_log(cat, "info", copy, run, NULL, "hello"), 0);
    assert_int_equal(sw_catalog_campaign_delete(cat, id, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_campaigns WHERE id = 1"), 1);
    assert_int_equal(sw_catalog_campaign_delete(cat, copy, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_campaigns WHERE id = 2"), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_campaign_documents WHERE campaign_id = 2"),
                     0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_runs WHERE campaign_id = 2"), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tasks"), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_logs WHERE campaign_id = 2"), 0);
}

/* ---- the list ---- */

/* The ids of a page, "1,2,3". */
static void page_ids(const struct sw_campaign_page *pg, char *out, size_t size)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; i < pg->n && len < size; i++) {
        len += (size_t)snprintf(out + len, size - len, "%s%lld", i ? "," : "",
                                (long long)pg->rows[i].id);
    }
}

static void list_is(const struct sw_campaign_query *q, const char *ids, int64_t total, bool more)
{
    struct sw_campaign_page pg;
    char got[256];
    assert_int_equal(sw_catalog_campaign_list(cat, q, &pg, NULL), 0);
    page_ids(&pg, got, sizeof(got));
    assert_string_equal(got, ids);
    assert_int_equal(pg.total, total);
    assert_int_equal(pg.more, more);
    sw_campaign_page_release(&pg);
}

/* One row a page: the page at offset 1, the empty page past the end (the total stays), and
 * the page after the cursor (after_int, after_id). */
static void paged_is(struct sw_campaign_query q, const char *at1, int64_t total, bool more,
                     int64_t after_int, int64_t after_id, const char *after)
{
    q.limit = 1;
    q.offset = 1;
    list_is(&q, at1, total, more);
    q.offset = total;
    list_is(&q, "", total, false);
    q.offset = 0;
    q.after = true;
    q.after_int = after_int;
    q.after_id = after_id;
    list_is(&q, after, total, false);
}

static void test_list(void **state)
{
    (void)state;
    /* ids 1..6, updated_at 1000 + 10 * id */
    static const char *const names[] = {"Alpha sneakers", "beta boots", "Gamma sneakers",
                                        "Delta",          "Epsilon",    "Zeta"};
    static const char *const tags[] = {"[\"vip\"]", "[]", "[\"vip\",\"b2b\"]",
                                       "[\"b2b\"]", "[]", "[]"};
    for (int i = 0; i < 6; i++) {
        campaign(names[i], tags[i], i == 3 ? "has SNEAKERS inside" : NULL);
    }
    assert_int_equal(sw_db_exec(db,
                                "UPDATE sw_campaigns SET updated_at = 1000 + 10 * id;"
                                "UPDATE sw_campaigns SET status = 'running' WHERE id IN (2, 4);"
                                "UPDATE sw_campaigns SET last_run_at = 500 * id WHERE id > 3",
                                NULL),
                     0);
    struct sw_campaign_query q = {.sort = SW_CAMPAIGN_SORT_UPDATED_AT, .desc = true, .limit = 50};
    list_is(&q, "6,5,4,3,2,1", 6, false);
    /* Keyset paging: two rows, then from the last one. */
    q.limit = 2;
    list_is(&q, "6,5", 6, true);
    q.after = true;
    q.after_int = 1050;
    q.after_id = 5;
    list_is(&q, "4,3", 6, true);
    q.after = false;
    q.offset = 4;
    list_is(&q, "2,1", 6, false);
    q.offset = 0;
    q.limit = 50;
    /* Filters, each total from its own source. */
    q.status = "running";
    list_is(&q, "4,2", 2, false);
    q.status = "draft,,running";
    list_is(&q, "6,5,4,3,2,1", 6, false);
    q.status = "";
    list_is(&q, "", 0, false);
    q.status = NULL;
    q.tag = "vip";
    list_is(&q, "3,1", 2, false);
    q.tag = "vip,b2b";
    list_is(&q, "4,3,1", 3, false);
    q.tag = NULL;
    q.q = "sneakers"; /* the trigram index: names and descriptions, any case */
    list_is(&q, "4,3,1", 3, false);
    paged_is(q, "3", 3, true, 1030, 3, "1"); /* its one pass, paged */
    q.q = "ta"; /* too short for trigrams: a scan */
    list_is(&q, "6,4,2", 3, false);
    q.q = "\"quoted";
    list_is(&q, "", 0, false);
    q.q = "sneakers";
    q.status = "running";
    list_is(&q, "4", 1, false);
    q.q = NULL;
    q.status = NULL;
    q.dimension = "profiles";
    q.sort = SW_CAMPAIGN_SORT_NAME;
    q.desc = false;
    list_is(&q, "1,4,5,3,6,2", 6, false); /* binary order: lower case after upper */
    q.dimension = NULL;
    q.sort = SW_CAMPAIGN_SORT_LAST_RUN_AT;
    q.desc = true;
    list_is(&q, "6,5,4,3,2,1", 6, false); /* never run sorts as 0 */
    q.limit = 3;
    q.after = true;
    q.after_int = 0;
    q.after_id = 3;
    list_is(&q, "2,1", 6, false);
    q.after = false;
    q.limit = 50;
    /* Runs within a range (non-simulated): start 100, end 200 for campaign 2; 300-900 for 3. */
    run_of(2, false);
    run_of(3, false);
    run_of(5, true);
    assert_int_equal(sw_db_exec(db,
                                "UPDATE sw_runs SET started_at = 100, ended_at = 200 WHERE id = 1;"
                                "UPDATE sw_runs SET started_at = 300, ended_at = 900 WHERE id = 2;"
                                "UPDATE sw_runs SET started_at = 150, ended_at = 150 WHERE id = 3",
                                NULL),
                     0);
    q.sort = SW_CAMPAIGN_SORT_UPDATED_AT;
    q.processed_from = 150;
    q.processed_to = 400;
    list_is(&q, "3,2", 2, false);
    q.processed_from = 0;
    q.processed_to = 250;
    list_is(&q, "2", 1, false);
    q.processed_from = 800;
    q.processed_to = 0;
    list_is(&q, "3", 1, false);
    q.processed_from = 950;
    list_is(&q, "", 0, false);
    /* A second run of campaign 3 in the range counts it once; pages by cursor and offset. */
    run_of(3, false);
    assert_int_equal(
        sw_db_exec(db, "UPDATE sw_runs SET started_at = 310, ended_at = 320 WHERE id = 4", NULL),
        0);
    q.processed_from = 150;
    q.processed_to = 400;
    list_is(&q, "3,2", 2, false);
    paged_is(q, "2", 2, false, 1030, 3, "2");
    q.processed_to = 0;
    q.processed_from = 0;
    /* Sort names and their kind. */
    enum sw_campaign_sort s;
    assert_int_equal(sw_campaign_sort_parse("next_run_at", &s), 0);
    assert_int_equal(s, SW_CAMPAIGN_SORT_NEXT_RUN_AT);
    assert_true(sw_campaign_sort_is_time(s));
    assert_int_equal(sw_campaign_sort_parse("status", &s), 0);
    assert_false(sw_campaign_sort_is_time(s));
    assert_int_equal(sw_campaign_sort_parse("document", &s), -1);
}

/* ---- runs and tasks ---- */

static void test_runs(void **state)
{
    (void)state;
    int64_t c = campaign("Runs", "[]", NULL), r = run_of(c, false), t1 = 0, t2 = 0;
    struct sw_run_row run;
    assert_int_equal(sw_catalog_run_get(cat, r, true, &run, NULL), 0);
    assert_int_equal(run.status, SW_RUN_STATUS_RUNNING);
    assert_int_equal(run.campaign_id, c);
    assert_int_equal(run.seed, 42);
    assert_string_equal(run.trigger, "manual");
    assert_string_equal(run.variables, "{\"x\":1}");
    assert_string_equal(run.document, "{\"name\":\"r\"}");
    sw_run_row_release(&run);
    assert_int_equal(sw_catalog_run_get(cat, r + 9, false, &run, NULL), SW_ENOTFOUND);

    assert_int_equal(sw_catalog_task_create(cat, r, "a", "build_audience", &t1, NULL), 0);
    assert_int_equal(sw_catalog_task_create(cat, r, "send", "email", &t2, NULL), 0);
    struct sw_task_state ts = {.status = SW_TASK_STATUS_COMPLETED,
                               .started_at = 10,
                               .ended_at = 20,
                               .counted = true,
                               .input_count = 0,
                               .outputs = "{\"out\":{\"table\":\"wt_1_a_out\",\"count\":3,"
                                          "\"emitted\":true,\"owned\":true}}"};
    assert_int_equal(sw_catalog_task_set(cat, t1, &ts, NULL), 0);
    struct sw_task_state waiting = {.status = SW_TASK_STATUS_RUNNING, .wake_at = 777};
    assert_int_equal(sw_catalog_task_set(cat, t2, &waiting, NULL), 0);
    struct sw_task_row *tasks = NULL;
    size_t n = 0;
    assert_int_equal(sw_catalog_tasks(cat, r, &tasks, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(tasks[0].activity, "a");
    assert_int_equal(tasks[0].status, SW_TASK_STATUS_COMPLETED);
    assert_true(tasks[0].counted);
    assert_int_equal(tasks[0].input_count, 0);
    assert_false(tasks[1].counted); /* an unknown input count is NULL, not 0 */
    assert_int_equal(tasks[1].wake_at, 777);
    sw_task_rows_free(tasks, n);
    assert_int_equal(tu_int(db, "SELECT input_count IS NULL FROM sw_tasks WHERE activity = 'send'"),
                     1);
    json_t *tj = sw_catalog_tasks_json(cat, r);
    assert_int_equal(json_array_size(tj), 2);
    assert_int_equal(json_integer_value(
                         json_object_get(json_object_get(json_array_get(tj, 0), "counts"), "out")),
                     3);
    assert_non_null(json_object_get(json_array_get(tj, 1), "delivery")); /* a channel task */
    json_decref(tj);

    char **tables = NULL;
    assert_int_equal(sw_catalog_run_work_tables(cat, r, &tables, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(tables[0], "wt_1_a_out");
    free(tables[0]);
    free(tables);

    /* The workers' view: running runs by due time. */
    struct sw_run_wake *due = NULL;
    assert_int_equal(sw_catalog_run_set_wake(cat, r, 4444, NULL), 0);
    assert_int_equal(sw_catalog_runs_running(cat, 10, &due, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(due[0].wake_at, 4444);
    free(due);
    assert_int_equal(sw_catalog_active_runs(cat, c), 1);

    /* A held task is released once, with its run. */
    bool woke = false;
    assert_int_equal(sw_catalog_task_wake(cat, r, "send", 999, NULL), 0);
    assert_int_equal(sw_catalog_task_release(cat, r, "send", 999, 6000, &woke, NULL), 0);
    assert_true(woke);
    assert_int_equal(tu_int(db, "SELECT wake_at FROM sw_runs WHERE id = 1"), 6000);
    assert_int_equal(sw_catalog_task_release(cat, r, "send", 999, 7000, &woke, NULL), 0);
    assert_false(woke);

    /* Pause and resume, stop. */
    assert_int_equal(
        sw_catalog_campaign_runs_move(cat, c, SW_RUN_STATUS_RUNNING, SW_RUN_STATUS_PAUSED, NULL),
        0);
    assert_int_equal(tu_int(db, "SELECT status = 'paused' FROM sw_runs WHERE id = 1"), 1);
    assert_int_equal(sw_catalog_campaign_runs_stop(cat, c, 8000, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT status = 'stopped' AND ended_at = 8000 FROM sw_runs"), 1);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tasks WHERE status = 'skipped'"), 1);
    int64_t *ids = NULL;
    assert_int_equal(sw_catalog_run_ids(cat, c, 8000, &ids, &n, NULL), 0);
    assert_int_equal(n, 1);
    free(ids);
    assert_int_equal(sw_catalog_run_ids(cat, c, 8001, &ids, &n, NULL), 0);
    assert_int_equal(n, 0);
    free(ids);
    assert_int_equal(sw_catalog_active_runs(cat, c), 0);

    /* A failed run is retried: its failed and skipped tasks go back to pending. */
    int64_t r2 = run_of(c, false), t3 = 0, t4 = 0;
    assert_int_equal(sw_catalog_task_create(cat, r2, "a", "build_audience", &t3, NULL), 0);
    assert_int_equal(sw_catalog_task_create(cat, r2, "b", "split", &t4, NULL), 0);
    struct sw_task_state failed = {.status = SW_TASK_STATUS_FAILED, .error = "boom"};
    assert_int_equal(sw_catalog_task_set(cat, t3, &ts, NULL), 0);
    assert_int_equal(sw_catalog_task_set(cat, t4, &failed, NULL), 0);
    assert_int_equal(sw_catalog_run_finish(cat, r2, SW_RUN_STATUS_FAILED, "b failed", 9000, NULL),
                     0);
    assert_int_equal(sw_catalog_last_failed_run(cat, c), r2);
    assert_int_equal(sw_catalog_run_retry(cat, r2, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tasks WHERE run_id = 2 AND status = "
                                "'pending' AND error IS NULL"),
                     1);
    assert_int_equal(tu_int(db, "SELECT status = 'running' AND ended_at IS NULL FROM sw_runs "
                                "WHERE id = 2"),
                     1);
    assert_int_equal(sw_catalog_run_finish(cat, r2, SW_RUN_STATUS_COMPLETED, NULL, 9500, NULL), 0);
    assert_int_equal(sw_catalog_prev_run_started(cat, c, r2 + 1), 5000);
    assert_int_equal(sw_catalog_prev_run_started(cat, c, r2), 0);
    /* Reopening a channel task re-opens its run and its finished campaign. */
    assert_int_equal(sw_catalog_campaign_set_status(cat, c, SW_CAMPAIGN_STATUS_COMPLETED, NULL), 0);
    assert_int_equal(sw_catalog_task_reopen(cat, r2, "a", 9900, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT status = 'running' AND wake_at = 9900 FROM sw_runs WHERE "
                                "id = 2"),
                     1);
    assert_int_equal(tu_int(db, "SELECT status = 'running' FROM sw_campaigns"), 1);

    /* A campaign's runs newest first, paged by id, filtered by status. */
    struct sw_run_row *runs = NULL;
    assert_int_equal(sw_catalog_runs_of_campaign(cat, c, NULL, 0, 10, &runs, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(runs[0].id, r2);
    sw_run_rows_free(runs, n);
    assert_int_equal(sw_catalog_runs_of_campaign(cat, c, "stopped", 0, 10, &runs, &n, NULL), 0);
    assert_int_equal(n, 1);
    sw_run_rows_free(runs, n);
    assert_int_equal(sw_catalog_runs_of_campaign(cat, c, NULL, r2, 10, &runs, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(runs[0].id, r);
    sw_run_rows_free(runs, n);

    /* A simulation a crash cut short is failed at startup. */
    int64_t sim = run_of(c, true);
    assert_int_equal(sw_catalog_runs_fail_interrupted_simulations(cat, NULL), 0);
    assert_int_equal(sw_catalog_run_get(cat, sim, false, &run, NULL), 0);
    assert_int_equal(run.status, SW_RUN_STATUS_FAILED);
    assert_string_equal(run.error, "interrupted by a restart");
    sw_run_row_release(&run);
    assert_int_equal(sw_catalog_run_set_status(cat, r2, SW_RUN_STATUS_PAUSED, NULL), 0);

    struct sw_status_count *counts = NULL;
    assert_int_equal(sw_catalog_status_counts(cat, SW_COUNT_RUNS, &counts, &n, NULL), 0);
    assert_int_equal(n, 3); /* failed, paused, stopped */
    sw_status_counts_free(counts, n);
    assert_int_equal(sw_catalog_status_counts(cat, SW_COUNT_CAMPAIGNS, &counts, &n, NULL), 0);
    assert_true(n >= 1);
    sw_status_counts_free(counts, n);
}

/* ---- logs, templates, audiences, hints, preferences ---- */

static void test_logs(void **state)
{
    (void)state;
    int64_t c = campaign("Logged", "[]", NULL);
    sw_catalog_log(cat, "info", c, 1, NULL, "one");
    sw_catalog_log(cat, "warn", c, 2, "a", "two");
    sw_catalog_log(cat, "error", c, 2, "b", "three");
    sw_catalog_log(cat, "info", 0, 0, NULL, "elsewhere");
    struct sw_log_row *rows = NULL;
    size_t n = 0;
    struct sw_log_query q = {.campaign_id = c, .limit = 10};
    assert_int_equal(sw_catalog_logs(cat, &q, &rows, &n, NULL), 0);
    assert_int_equal(n, 3);
    assert_string_equal(rows[0].message, "three"); /* newest first */
    assert_int_equal(rows[2].run_id, 1);
    assert_null(rows[2].activity);
    int64_t before = rows[1].id;
    sw_log_rows_free(rows, n);
    q.before_id = before;
    assert_int_equal(sw_catalog_logs(cat, &q, &rows, &n, NULL), 0);
    assert_int_equal(n, 1);
    sw_log_rows_free(rows, n);
    struct sw_log_query q2 = {
        .campaign_id = c, .run_id = 2, .levels = "warn,error", .activity = "a", .limit = 10};
    assert_int_equal(sw_catalog_logs(cat, &q2, &rows, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_string_equal(rows[0].level, "warn");
    sw_log_rows_free(rows, n);
}

static void test_templates(void **state)
{
    (void)state;
    int64_t a = 0, b = 0, c = 0;
    assert_int_equal(sw_catalog_template_save(cat, &b, "B", NULL, "{\"name\":\"B\"}", 10, NULL), 0);
    assert_int_equal(sw_catalog_template_save(cat, &a, "A", "first", "{}", 20, NULL), 0);
    assert_int_equal(sw_catalog_template_save(cat, &c, "A", NULL, "{}", 30, NULL), 0);
    struct sw_template_row t;
    assert_int_equal(sw_catalog_template_get(cat, b, &t, NULL), 0);
    assert_string_equal(t.document, "{\"name\":\"B\"}");
    sw_template_row_release(&t);
    assert_int_equal(sw_catalog_template_save(cat, &b, "B2", "d", "{\"v\":2}", 40, NULL), 0);
    assert_int_equal(sw_catalog_template_get(cat, b, &t, NULL), 0);
    assert_string_equal(t.name, "B2");
    assert_int_equal(t.created_at, 10);
    assert_int_equal(t.updated_at, 40);
    sw_template_row_release(&t);
    struct sw_template_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(sw_catalog_templates(cat, NULL, 0, 2, &rows, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_int_equal(rows[0].id, a); /* by name, then id */
    assert_int_equal(rows[1].id, c);
    assert_null(rows[0].document);
    sw_template_rows_free(rows, n);
    assert_int_equal(sw_catalog_templates(cat, "A", c, 10, &rows, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].id, b);
    sw_template_rows_free(rows, n);
    assert_int_equal(sw_catalog_template_delete(cat, b, NULL), 0);
    assert_int_equal(sw_catalog_template_get(cat, b, &t, NULL), SW_ENOTFOUND);
}

static void test_audiences_hints_prefs(void **state)
{
    (void)state;
    char *table = NULL;
    int created = 0;
    assert_null(sw_catalog_audience_table(cat, "buyers"));
    assert_int_equal(sw_catalog_audience_ensure(cat, "buyers", "profiles", &table, &created, NULL),
                     0);
    assert_true(created);
    assert_string_equal(table, "swa_1"); /* named after the row, never after user text */
    free(table);
    assert_int_equal(sw_catalog_audience_ensure(cat, "buyers", "profiles", &table, &created, NULL),
                     0);
    assert_false(created);
    free(table);
    char *dim = sw_catalog_audience_dimension(cat, "buyers");
    assert_string_equal(dim, "profiles");
    free(dim);
    assert_int_equal(sw_catalog_audience_set_count(cat, "buyers", 12, 99, NULL), 0);
    struct sw_audience_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(sw_catalog_audiences(cat, NULL, 0, 10, &rows, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(rows[0].count, 12);
    assert_int_equal(rows[0].updated_at, 99);
    sw_audience_rows_free(rows, n);

    char *doc = NULL, *by = NULL;
    int64_t at = 0;
    assert_int_equal(sw_catalog_hints_get(cat, &doc, &at, &by, NULL), 0);
    assert_null(doc);
    assert_int_equal(sw_catalog_hints_put(cat, "{\"a\":1}", 5, "admin", NULL), 0);
    assert_int_equal(sw_catalog_hints_put(cat, "{\"a\":2}", 6, NULL, NULL), 0);
    assert_int_equal(sw_catalog_hints_get(cat, &doc, &at, &by, NULL), 0);
    assert_string_equal(doc, "{\"a\":2}");
    assert_int_equal(at, 6);
    assert_null(by);
    free(doc);
    assert_int_equal(sw_catalog_hints_delete(cat, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_schema_hints"), 0);

    char *v = NULL;
    assert_int_equal(sw_catalog_prefs_get(cat, SW_PREFS_USER, 7, &v, NULL), 0);
    assert_null(v);
    assert_int_equal(sw_catalog_prefs_put(cat, SW_PREFS_USER, 7, "{\"u\":1}", 1, NULL), 0);
    assert_int_equal(sw_catalog_prefs_put(cat, SW_PREFS_USER, 7, "{\"u\":2}", 2, NULL), 0);
    assert_int_equal(sw_catalog_prefs_put(cat, SW_PREFS_TOKEN, 7, "{\"t\":1}", 3, NULL), 0);
    assert_int_equal(sw_catalog_prefs_get(cat, SW_PREFS_USER, 7, &v, NULL), 0);
    assert_string_equal(v, "{\"u\":2}");
    free(v);
    assert_int_equal(sw_catalog_prefs_get(cat, SW_PREFS_TOKEN, 7, &v, NULL), 0);
    assert_string_equal(v, "{\"t\":1}");
    free(v);
}

/* ---- auth ---- */

static void test_auth(void **state)
{
    (void)state;
    struct sw_token_row t;
    bool found = false, added = false;
    assert_int_equal(sw_catalog_token_add(cat, "", "viewer", "h1", 100, NULL, NULL), 0);
    int64_t id2 = 0;
    assert_int_equal(sw_catalog_token_add(cat, "ci", "admin", "h2", 200, &id2, NULL), 0);
    assert_int_equal(id2, tu_int(db, "SELECT id FROM sw_tokens WHERE hash = 'h2'"));
    assert_int_equal(sw_catalog_token_by_hash(cat, "h1", &t, &found, NULL), 0);
    assert_true(found);
    assert_null(t.name); /* an empty name is stored as none */
    assert_string_equal(t.role, "viewer");
    assert_int_equal(t.last_used_at, 0);
    int64_t id = t.id;
    sw_token_row_release(&t);
    assert_int_equal(sw_catalog_token_used(cat, id, 500, NULL), 0);
    assert_int_equal(sw_catalog_token_used(cat, id, 400, NULL), 0); /* never backwards */
    assert_int_equal(tu_int(db, "SELECT last_used_at FROM sw_tokens WHERE hash = 'h1'"), 500);
    assert_int_equal(sw_catalog_token_by_hash(cat, "nope", &t, &found, NULL), 0);
    assert_false(found);
    struct sw_token_row *rows = NULL;
    size_t n = 0;
    assert_int_equal(sw_catalog_tokens(cat, &rows, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(rows[1].name, "ci");
    sw_token_rows_free(rows, n);
    assert_int_equal(sw_catalog_token_delete(cat, id, NULL), 0);
    assert_int_equal(sw_catalog_token_delete(cat, id, NULL), SW_ENOTFOUND);

    assert_false(sw_catalog_user_exists(cat, "ann"));
    assert_int_equal(sw_catalog_user_add(cat, "ann", "editor", "$argon2id$x", 1, &added, NULL), 0);
    assert_true(added);
    assert_int_equal(sw_catalog_user_add(cat, "ann", "admin", "$argon2id$y", 2, &added, NULL), 0);
    assert_false(added);
    assert_true(sw_catalog_user_exists(cat, "ann"));
    struct sw_user_row u;
    assert_int_equal(sw_catalog_user_by_name(cat, "ann", &u, &found, NULL), 0);
    assert_true(found);
    assert_string_equal(u.role, "editor");
    assert_string_equal(u.password_hash, "$argon2id$x");
    int64_t uid = u.id;
    sw_user_row_release(&u);

    struct sw_session_row s;
    assert_int_equal(sw_catalog_session_add(cat, "s1", uid, 10, 100, NULL), 0);
    assert_int_equal(sw_catalog_session_add(cat, "s2", uid, 10, 1000, NULL), 0);
    assert_int_equal(sw_catalog_session_by_hash(cat, "s1", &s, &found, NULL), 0);
    assert_true(found);
    assert_int_equal(s.expires_at, 100);
    assert_string_equal(s.user.name, "ann");
    assert_string_equal(s.user.role, "editor");
    sw_user_row_release(&s.user);
    assert_int_equal(sw_catalog_sessions_expire(cat, 100, NULL), 0);
    assert_int_equal(sw_catalog_session_by_hash(cat, "s1", &s, &found, NULL), 0);
    assert_false(found);
    assert_int_equal(sw_catalog_session_delete(cat, "s2", NULL), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_sessions"), 0);
}

/* ---- events and scheduling ---- */

static void test_events(void **state)
{
    (void)state;
    int64_t c = campaign("Feed", "[]", NULL), min_id = 0, max_id = 0;
    /* Triggers journal the status changes: a run created, a task status. */
    int64_t r = run_of(c, false), t = 0;
    assert_int_equal(sw_catalog_task_create(cat, r, "send", "email", &t, NULL), 0);
    struct sw_task_state running = {.status = SW_TASK_STATUS_RUNNING};
    assert_int_equal(sw_catalog_task_set(cat, t, &running, NULL), 0);
    assert_int_equal(sw_catalog_events_bounds(cat, &min_id, &max_id, NULL), 0);
    assert_true(max_id >= 2);
    struct sw_channel_task *tasks = NULL;
    size_t n = 0;
    assert_int_equal(sw_catalog_channel_tasks_running(cat, &tasks, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(tasks[0].task_id, t);
    assert_int_equal(tasks[0].campaign_id, c);
    assert_string_equal(tasks[0].activity, "send");
    sw_channel_tasks_free(tasks, n);
    struct sw_task_state done = {.status = SW_TASK_STATUS_COMPLETED};
    assert_int_equal(sw_catalog_task_set(cat, t, &done, NULL), 0);
    assert_int_equal(sw_catalog_channel_tasks_stopped(cat, max_id, &tasks, &n, NULL), 0);
    assert_int_equal(n, 1);
    sw_channel_tasks_free(tasks, n);

    assert_null(sw_catalog_event_last_delivery(cat, r, t));
    assert_int_equal(sw_catalog_event_add(cat, 5, "delivery", c, r,
                                          "{\"task_id\":1,\"delivery\":{\"sent\":3}}", NULL),
                     0);
    char *last = sw_catalog_event_last_delivery(cat, r, t);
    assert_string_equal(last, "{\"sent\":3}");
    free(last);
    struct sw_event_row *rows = NULL;
    struct sw_event_query q = {.after = 0, .campaign_id = c, .limit = 100};
    assert_int_equal(sw_catalog_events(cat, &q, &rows, &n, NULL), 0);
    assert_true(n >= 4);
    assert_string_equal(rows[n - 1].type, "delivery");
    assert_int_equal(rows[n - 1].run_id, r);
    int64_t newest = rows[n - 1].id;
    sw_event_rows_free(rows, n);
    q.campaign_id = c + 1;
    assert_int_equal(sw_catalog_events(cat, &q, &rows, &n, NULL), 0);
    assert_int_equal(n, 0);
    sw_event_rows_free(rows, n);
    /* The purge keeps the newest event (ids are never reused). */
    assert_int_equal(sw_catalog_events_purge(cat, INT64_MAX, NULL), 0);
    assert_int_equal(sw_catalog_events_bounds(cat, &min_id, &max_id, NULL), 0);
    assert_int_equal(min_id, newest);
    assert_int_equal(max_id, newest);
}

static void test_scheduling(void **state)
{
    (void)state;
    int64_t a = campaign("Ticking", "[]", NULL), b = campaign("Later", "[]", NULL);
    sw_catalog_campaign_set_status(cat, a, SW_CAMPAIGN_STATUS_RUNNING, NULL);
    sw_catalog_campaign_set_status(cat, b, SW_CAMPAIGN_STATUS_RUNNING, NULL);
    sw_catalog_campaign_set_next(cat, a, 100, NULL);
    sw_catalog_campaign_set_next(cat, b, 900, NULL);
    struct sw_due_campaign *due = NULL;
    size_t n = 0;
    assert_int_equal(sw_catalog_due_campaigns(cat, 500, 10, &due, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(due[0].id, a);
    assert_int_equal(due[0].next_run_at, 100);
    assert_non_null(strstr(due[0].document, "Ticking"));
    sw_due_campaigns_free(due, n);
    assert_int_equal(sw_catalog_campaign_tick_done(cat, a, 0, true, NULL), 0);
    assert_int_equal(tu_int(db, "SELECT status = 'completed' AND next_run_at IS NULL FROM "
                                "sw_campaigns WHERE id = 1"),
                     1);

    struct sw_signal_row *sig = NULL;
    assert_int_equal(sw_catalog_signal_add(cat, "Later", "{\"v\":1}", 0, 10, NULL), 0);
    assert_int_equal(sw_catalog_signal_add(cat, "2", NULL, 0, 11, NULL), 0);
    assert_int_equal(sw_catalog_signals_pending(cat, 10, &sig, &n, NULL), 0);
    assert_int_equal(n, 2);
    assert_string_equal(sig[0].variables, "{\"v\":1}");
    assert_null(sig[1].variables);
    assert_int_equal(sw_catalog_signal_consumed(cat, sig[0].id, 12, NULL), 0);
    sw_signal_rows_free(sig, n);
    assert_int_equal(sw_catalog_signals_pending(cat, 10, &sig, &n, NULL), 0);
    assert_int_equal(n, 1);
    sw_signal_rows_free(sig, n);

    /* Incremental memory: the keys of a work table are remembered and then excluded. */
    assert_int_equal(sw_db_exec(db,
                                "CREATE TABLE wt_keys (_key INTEGER PRIMARY KEY);"
                                "INSERT INTO wt_keys VALUES (1), (2);"
                                "CREATE TABLE people (id INTEGER PRIMARY KEY);"
                                "INSERT INTO people VALUES (1), (2), (3)",
                                NULL),
                     0);
    assert_int_equal(sw_catalog_incremental_remember(cat, a, "aud", "wt_keys", NULL), 0);
    assert_int_equal(sw_catalog_incremental_remember(cat, a, "aud", "wt_keys", NULL), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_incremental"), 2);
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    int64_t left = 0;
    sw_buf_puts(&sql, "SELECT count(*) FROM people d WHERE 1");
    sw_catalog_incremental_exclude(&sql, &p, a, "aud", "d.id");
    assert_int_equal(sw_db_query_int(db, sql.data, &p, &left, NULL), 0);
    assert_int_equal(left, 1);
    sw_buf_release(&sql);
    sw_params_release(&p);

    /* History: finished runs past their campaign's days (or the default) go. */
    int64_t old = run_of(b, false), fresh = run_of(b, false), t = 0;
    run_of(b, false); /* still running: never purged */
    sw_catalog_run_finish(cat, old, SW_RUN_STATUS_COMPLETED, NULL, 1000, NULL);
    sw_catalog_run_finish(cat, fresh, SW_RUN_STATUS_COMPLETED, NULL, 5LL * 86400000, NULL);
    sw_catalog_task_create(cat, old, "a", "build_audience", &t, NULL);
    sw_catalog_log(cat, "info", b, old, NULL, "old");
    int64_t *ids = NULL;
    assert_int_equal(sw_catalog_runs_expired(cat, 3LL * 86400000, 1, 10, &ids, &n, NULL), 0);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], old);
    assert_int_equal(sw_catalog_run_delete(cat, ids[0], NULL), 0);
    free(ids);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_runs"), 2);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_tasks"), 0);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_logs WHERE run_id = 1"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrations, setup, teardown),
        cmocka_unit_test(test_status_tables),
        cmocka_unit_test_setup_teardown(test_campaigns, setup, teardown),
        cmocka_unit_test_setup_teardown(test_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_templates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_audiences_hints_prefs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_auth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scheduling, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
