/*
 * workers.c - a pool of threads that execute runs. A worker claims a run the catalog says is
 * running and due (not waiting, not held by another worker), steps it (every ready task, one
 * transaction each) and lets it go: a run that waits records when to come back and holds no
 * worker meanwhile. Each worker has its own database connection.
 */
#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "engine/engine.h"
#include "model/campaign.h"
#include "scheduler/scheduler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct worker {
    struct sw_scheduler *s;
    int index;
};

static bool busy(struct sw_scheduler *s, int64_t run_id)
{
    for (int i = 0; i < s->nbusy; i++) {
        if (s->busy_runs[i] == run_id) {
            return true;
        }
    }
    return false;
}

static void release(struct sw_scheduler *s, int64_t run_id)
{
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < s->nbusy; i++) {
        if (s->busy_runs[i] == run_id) {
            s->busy_runs[i] = s->busy_runs[--s->nbusy];
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    sw_svc_wake(s->svc);
}

/* A due run nobody holds, or 0; *next_ms gets the earliest wake-up of a waiting run. */
static int64_t claim(struct sw_scheduler *s, struct sw_db *db, int64_t *next_ms)
{
    struct sw_stmt *st = NULL;
    int64_t now = sw_clock_now_ms(), found = 0;
    *next_ms = 0;
    if (sw_db_prepare(db, "SELECT id, coalesce(wake_at, 0) FROM sw_runs WHERE status = 'running' "
                          "AND simulation = 0 ORDER BY coalesce(wake_at, 0), id LIMIT 64",
                      &st, NULL) < 0) {
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    while (!found && sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        int64_t id = sw_stmt_column_int(st, 0), wake = sw_stmt_column_int(st, 1);
        if (busy(s, id)) {
            continue;
        }
        if (wake > now) {
            if (!*next_ms || wake < *next_ms) {
                *next_ms = wake;
            }
            continue;
        }
        s->busy_runs = sw_realloc(s->busy_runs, (size_t)(s->nbusy + 1) * sizeof(int64_t));
        s->busy_runs[s->nbusy++] = id;
        found = id;
    }
    pthread_mutex_unlock(&s->lock);
    sw_stmt_finalize(st);
    return found;
}

static void set_wake(struct sw_db *db, int64_t run_id, int64_t wake)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int_or_null(&p, wake);
    sw_params_add_int(&p, run_id);
    sw_db_exec_params(db, "UPDATE sw_runs SET wake_at = ?1 WHERE id = ?2", &p, NULL, NULL);
    sw_params_release(&p);
}

static void fail_run(struct sw_db *db, int64_t run_id, int64_t campaign_id, const char *msg)
{
    struct sw_catalog cat = {db};
    sw_catalog_run_finish(&cat, run_id, "failed", msg, sw_clock_now_ms(), NULL);
    sw_catalog_campaign_after_run(&cat, campaign_id, "failed", sw_clock_now_ms(), NULL, NULL);
    sw_catalog_log(&cat, "error", campaign_id, run_id, NULL, msg);
}

static void work(struct sw_scheduler *s, struct sw_db *db, int64_t run_id)
{
    struct sw_stmt *st = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = NULL;
    char *doc = NULL, *vars = NULL;
    int64_t campaign_id = 0, wake = 0;
    json_t *variables = NULL;
    if (sw_db_prepare(db, "SELECT campaign_id, document, variables FROM sw_runs WHERE id = ?1",
                      &st, NULL) == 0) {
        sw_stmt_bind_int(st, 1, run_id);
        if (sw_stmt_step(st, NULL) == SW_STEP_ROW) {
            campaign_id = sw_stmt_column_int(st, 0);
            doc = sw_stmt_column_text(st, 1) ? sw_strdup(sw_stmt_column_text(st, 1)) : NULL;
            vars = sw_stmt_column_text(st, 2) ? sw_strdup(sw_stmt_column_text(st, 2)) : NULL;
        }
    }
    sw_stmt_finalize(st);
    if (!doc) {
        goto out;
    }
    /* A schema changed under the daemon is discovered again before the run goes on: a field
     * that has gone fails the run with its path in the document, never an SQL error. */
    sw_svc_refresh(s->svc, db);
    if (sw_svc_load(s->svc, doc, &c, &err) < 0) {
        char *msg = sw_error_format(&err);
        char *full = sw_asprintf("the run's campaign no longer validates against the data "
                                 "source: %s",
                                 msg);
        fail_run(db, run_id, campaign_id, full);
        free(full);
        free(msg);
        goto out;
    }
    variables = vars ? json_loads(vars, 0, NULL) : json_object();
    struct sw_catalog cat = {db};
    struct sw_engine eng = {db, &cat, c->schema, s->svc->config};
    struct sw_run_opts opts = {.trigger = "worker", .variables = variables};
    int state = sw_engine_step(&eng, c, campaign_id, run_id, &opts, &wake, &err);
    if (state == SW_RUN_WAITING) {
        set_wake(db, run_id, wake);
    } else if (state == SW_RUN_ACTIVE) {
        fail_run(db, run_id, campaign_id, "the run cannot progress (no task is ready)");
    } else if (state < 0) {
        /* The catalog itself failed (busy, disk): leave the run as it is and retry later. */
        char *msg = sw_error_format(&err);
        sw_warn("run %lld: %s", (long long)run_id, msg);
        free(msg);
        set_wake(db, run_id, sw_clock_now_ms() + 1000);
    }
    atomic_fetch_add(&s->svc->tasks_executed, 1);
out:
    json_decref(variables);
    sw_campaign_free(c);
    free(doc);
    free(vars);
    sw_error_release(&err);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct sw_scheduler *s = w->s;
    struct sw_db *db = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_db_open(s->opts.data, &db, &err) < 0) {
        char *msg = sw_error_format(&err);
        sw_log(SW_LOG_ERROR, "worker %d: %s", w->index, msg);
        free(msg);
        sw_error_release(&err);
        free(w);
        return NULL;
    }
    while (!atomic_load(&s->svc->stopping)) {
        int64_t next = 0;
        int64_t run_id = claim(s, db, &next);
        if (run_id) {
            work(s, db, run_id);
            release(s, run_id);
            continue;
        }
        /* Nothing due: sleep until kicked, the next wake-up, or a second at most. */
        int64_t now = sw_clock_now_ms();
        int64_t ms = next && next - now < 1000 ? (next > now ? next - now : 1) : 1000;
        sw_svc_sleep(s->svc, ms);
    }
    sw_db_close(db);
    free(w);
    return NULL;
}

int sw_workers_start(struct sw_scheduler *s, struct sw_error *err)
{
    int n = s->opts.workers > 0 ? s->opts.workers : 2;
    s->worker_threads = sw_calloc((size_t)n, sizeof(pthread_t));
    for (int i = 0; i < n; i++) {
        struct worker *w = sw_malloc(sizeof(*w));
        w->s = s;
        w->index = i;
        if (pthread_create(&s->worker_threads[i], NULL, worker_main, w) != 0) {
            free(w);
            return sw_error_set(err, SW_EIO, "cannot start worker %d: %s", i, strerror(errno));
        }
        s->nworkers++;
    }
    return 0;
}

void sw_workers_join(struct sw_scheduler *s)
{
    for (int i = 0; i < s->nworkers; i++) {
        pthread_join(s->worker_threads[i], NULL);
    }
    free(s->worker_threads);
    s->worker_threads = NULL;
    s->nworkers = 0;
}
