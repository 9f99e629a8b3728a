/*
 * workers.c - a pool of threads that execute runs. A worker claims a run the catalog says is
 * running and due (not waiting, not held by another worker), steps it (every ready task, one
 * transaction each) and lets it go: a run that waits records when to come back and holds no
 * worker meanwhile. Each worker has its own database connection.
 */
#include "catalog/campaigns.h"
#include "catalog/catalog.h"
#include "catalog/logs.h"
#include "catalog/runs.h"
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

/* How many running runs a claim looks at. */
#define CLAIM_WINDOW 64

/* A due run nobody holds, or 0; *next_ms gets the earliest wake-up of a waiting run. */
static int64_t claim(struct sw_scheduler *s, struct sw_db *db, int64_t *next_ms)
{
    struct sw_catalog cat = {db};
    struct sw_run_wake *runs = NULL;
    size_t n = 0;
    int64_t now = sw_clock_now_ms(), found = 0;
    *next_ms = 0;
    if (sw_catalog_runs_running(&cat, CLAIM_WINDOW, &runs, &n, NULL) < 0) {
        free(runs);
        return 0;
    }
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; !found && i < n; i++) {
        int64_t id = runs[i].id, wake = runs[i].wake_at;
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
    free(runs);
    return found;
}

static void fail_run(struct sw_db *db, int64_t run_id, int64_t campaign_id, const char *msg)
{
    struct sw_catalog cat = {db};
    sw_catalog_run_finish(&cat, run_id, SW_RUN_STATUS_FAILED, msg, sw_clock_now_ms(), NULL);
    sw_catalog_campaign_after_run(&cat, campaign_id, SW_RUN_STATUS_FAILED, sw_clock_now_ms(), NULL,
                                  NULL);
    sw_catalog_log(&cat, "error", campaign_id, run_id, NULL, msg);
}

static void work(struct sw_scheduler *s, struct sw_db *db, int64_t run_id)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = NULL;
    struct sw_catalog cat = {db};
    struct sw_run_row run = {0};
    int64_t wake = 0;
    json_t *variables = NULL;
    if (sw_catalog_run_get(&cat, run_id, true, &run, NULL) < 0 || !run.document) {
        goto out;
    }
    int64_t campaign_id = run.campaign_id;
    const char *doc = run.document;
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
    variables = run.variables ? json_loads(run.variables, 0, NULL) : json_object();
    struct sw_engine eng = {db, &cat, c->schema, s->svc->config};
    struct sw_run_opts opts = {.trigger = "worker", .variables = variables};
    int state = sw_engine_step(&eng, c, campaign_id, run_id, &opts, &wake, &err);
    if (state == SW_RUN_WAITING) {
        sw_catalog_run_set_wake(&cat, run_id, wake, NULL);
    } else if (state == SW_RUN_ACTIVE) {
        fail_run(db, run_id, campaign_id, "the run cannot progress (no task is ready)");
    } else if (state < 0) {
        /* The catalog itself failed (busy, disk): leave the run as it is and retry later. */
        char *msg = sw_error_format(&err);
        sw_warn("run %lld: %s", (long long)run_id, msg);
        free(msg);
        sw_catalog_run_set_wake(&cat, run_id, sw_clock_now_ms() + 1000, NULL);
    }
    atomic_fetch_add(&s->svc->tasks_executed, 1);
out:
    json_decref(variables);
    sw_campaign_free(c);
    sw_run_row_release(&run);
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
