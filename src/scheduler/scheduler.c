/*
 * scheduler.c - the scheduler thread: schedule ticks, signals and history purges.
 *
 * Ticks: a running campaign with a schedule has next_run_at, the next tick. When it is due,
 * the scheduler starts a run (or, when the previous run is still active, skips the tick and
 * logs it), and stores the tick after now. After downtime, missed ticks are not replayed:
 * one catch-up run if the last tick was missed by less than the campaign's period (the gap
 * between that tick and the one after it), otherwise nothing until the next tick
 * (sw_schedule_catch_up). A one-shot `at` with nothing left completes the campaign.
 *
 * Signals: rows queued in sw_signals by `end` activities start the campaign they name (by
 * id or by name) with their variables.
 *
 * History: runs, tasks, logs and ledger rows older than the campaign's options.history_days
 * (default the history_days setting) are purged once an hour, their work tables dropped;
 * messages sent within the frequency cap's period stay in the ledger until it is over.
 */
#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "model/schedule.h"
#include "scheduler/scheduler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void log_campaign(struct sw_db *db, int64_t campaign_id, const char *level, const char *msg)
{
    struct sw_catalog cat = {db};
    sw_catalog_log(&cat, level, campaign_id, 0, NULL, msg);
}

static void set_next(struct sw_db *db, int64_t id, int64_t next, bool complete)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int_or_null(&p, next);
    sw_params_add_int(&p, id);
    sw_params_add_int(&p, complete);
    sw_db_exec_params(db,
                      "UPDATE sw_campaigns SET next_run_at = ?1, status = CASE WHEN ?3 AND "
                      "status = 'running' THEN 'completed' ELSE status END WHERE id = ?2",
                      &p, NULL, NULL);
    sw_params_release(&p);
}

static void due_ticks(struct sw_scheduler *s, struct sw_db *db)
{
    struct sw_stmt *st = NULL;
    int64_t now = sw_clock_now_ms();
    int64_t ids[64], dues[64];
    char *docs[64];
    int n = 0;
    if (sw_db_prepare(db, "SELECT id, next_run_at, document FROM sw_campaigns WHERE status = "
                          "'running' AND next_run_at IS NOT NULL AND next_run_at <= ?1 "
                          "ORDER BY next_run_at LIMIT 64",
                      &st, NULL) < 0) {
        return;
    }
    sw_stmt_bind_int(st, 1, now);
    while (n < 64 && sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        ids[n] = sw_stmt_column_int(st, 0);
        dues[n] = sw_stmt_column_int(st, 1);
        docs[n] = sw_strdup(sw_stmt_column_text(st, 2));
        n++;
    }
    sw_stmt_finalize(st);
    for (int i = 0; i < n; i++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_schedule *sched = NULL;
        json_t *doc = json_loads(docs[i], 0, NULL);
        int64_t next = 0, run_id = 0;
        const char *tz = json_string_value(json_object_get(doc, "timezone"));
        if (sw_schedule_parse(json_object_get(doc, "schedule"), tz, &sched, &err) < 0) {
            log_campaign(db, ids[i], "error", "the schedule cannot be read; disarmed");
            set_next(db, ids[i], 0, false);
        } else {
            bool run = sw_schedule_catch_up(sched, dues[i], now, &next);
            set_next(db, ids[i], next, false);
            if (run) {
                if (sw_svc_start_run(s->svc, db, ids[i], "schedule", NULL, &run_id, &err) < 0) {
                    char *msg = sw_error_format(&err);
                    char *line = sw_asprintf("tick skipped: %s", msg);
                    log_campaign(db, ids[i], "warn", line);
                    atomic_fetch_add(&s->svc->ticks_skipped, 1);
                    free(line);
                    free(msg);
                }
            } else {
                log_campaign(db, ids[i], "warn",
                             "missed tick not replayed (missed by more than the schedule's period)");
            }
            if (!next && !run_id) {
                /* Nothing scheduled any more and nothing running: the campaign is done. */
                struct sw_params p = SW_PARAMS_INIT;
                int64_t active = 0;
                sw_params_add_int(&p, ids[i]);
                sw_db_query_int(db, "SELECT count(*) FROM sw_runs WHERE campaign_id = ?1 AND "
                                    "simulation = 0 AND status IN ('running', 'paused')",
                                &p, &active, NULL);
                sw_params_release(&p);
                if (!active) {
                    set_next(db, ids[i], 0, true);
                }
            }
        }
        sw_schedule_free(sched);
        json_decref(doc);
        free(docs[i]);
        sw_error_release(&err);
    }
}

static void signals(struct sw_scheduler *s, struct sw_db *db)
{
    struct sw_stmt *st = NULL;
    int64_t ids[32];
    char *targets[32], *vars[32];
    int n = 0;
    if (sw_db_prepare(db, "SELECT id, target, variables FROM sw_signals WHERE consumed_at IS NULL "
                          "ORDER BY id LIMIT 32",
                      &st, NULL) < 0) {
        return;
    }
    while (n < 32 && sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        ids[n] = sw_stmt_column_int(st, 0);
        targets[n] = sw_strdup(sw_stmt_column_text(st, 1));
        vars[n] = sw_stmt_column_text(st, 2) ? sw_strdup(sw_stmt_column_text(st, 2)) : NULL;
        n++;
    }
    sw_stmt_finalize(st);
    for (int i = 0; i < n; i++) {
        struct sw_params p = SW_PARAMS_INIT;
        struct sw_error err = SW_ERROR_INIT;
        int64_t cid = 0, run_id = 0, num = 0;
        sw_params_add_text(&p, targets[i]);
        sw_params_add_int(&p, sw_parse_int64(targets[i], &num) == 0 ? num : -1);
        sw_db_query_int(db, "SELECT coalesce(min(id), 0) FROM sw_campaigns WHERE id = ?2 OR name = ?1",
                        &p, &cid, NULL);
        sw_params_release(&p);
        json_t *v = vars[i] ? json_loads(vars[i], 0, NULL) : NULL;
        if (cid && sw_svc_start_run(s->svc, db, cid, "signal", v, &run_id, &err) < 0) {
            char *msg = sw_error_format(&err);
            char *line = sw_asprintf("signal %lld not delivered: %s", (long long)ids[i], msg);
            log_campaign(db, cid, "warn", line);
            free(line);
            free(msg);
        } else if (!cid) {
            sw_warn("signal %lld: no campaign \"%s\"", (long long)ids[i], targets[i]);
        }
        json_decref(v);
        sw_params_add_int(&p, sw_clock_now_ms());
        sw_params_add_int(&p, ids[i]);
        sw_db_exec_params(db, "UPDATE sw_signals SET consumed_at = ?1 WHERE id = ?2", &p, NULL, NULL);
        sw_params_release(&p);
        sw_error_release(&err);
        free(targets[i]);
        free(vars[i]);
    }
}

static void purge(struct sw_scheduler *s, struct sw_db *db)
{
    struct sw_stmt *st = NULL;
    int64_t now = sw_clock_now_ms();
    int64_t ids[256];
    int n = 0;
    /* Finished runs older than their campaign's history (runs of deleted campaigns too). */
    if (sw_db_prepare(db,
                      "SELECT r.id FROM sw_runs r LEFT JOIN sw_campaigns c ON c.id = r.campaign_id "
                      "WHERE r.status NOT IN ('running', 'paused') AND coalesce(r.ended_at, "
                      "r.started_at) < ?1 - 86400000 * coalesce(json_extract(c.document, "
                      "'$.options.history_days'), ?2) LIMIT 256",
                      &st, NULL) < 0) {
        return;
    }
    sw_stmt_bind_int(st, 1, now);
    sw_stmt_bind_int(st, 2, s->opts.history_days > 0 ? s->opts.history_days : 30);
    while (n < 256 && sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        ids[n++] = sw_stmt_column_int(st, 0);
    }
    sw_stmt_finalize(st);
    /* Ledger rows go with their run, except messages sent within the frequency cap's period:
     * the cap counts them across campaigns, so they stay until the period is over. */
    struct sw_frequency_caps caps = {{0, 0}, {0, 0}, {0, 0}};
    if (s->opts.frequency_cap) {
        sw_frequency_caps_parse(s->opts.frequency_cap, &caps, NULL);
    }
    int64_t keep_from = now - sw_frequency_caps_period(&caps);
    for (int i = 0; i < n; i++) {
        struct sw_params p = SW_PARAMS_INIT;
        sw_svc_drop_run_tables(db, ids[i]);
        sw_params_add_int(&p, ids[i]);
        sw_db_exec_params(db, "DELETE FROM sw_tasks WHERE run_id = ?1", &p, NULL, NULL);
        sw_db_exec_params(db, "DELETE FROM sw_logs WHERE run_id = ?1", &p, NULL, NULL);
        sw_db_exec_params(db, "DELETE FROM sw_runs WHERE id = ?1", &p, NULL, NULL);
        sw_ledger_purge_run(db, ids[i], keep_from, NULL);
        sw_params_release(&p);
    }
    /* Rows kept for the cap (and those of deleted campaigns), once past its period. */
    sw_ledger_purge_orphans(db, keep_from, NULL);
    if (n) {
        sw_info("purged %d runs past their history", n);
    }
}

void sw_scheduler_tick(struct sw_scheduler *s, struct sw_db *db)
{
    due_ticks(s, db);
    signals(s, db);
}

static void *scheduler_main(void *arg)
{
    struct sw_scheduler *s = arg;
    struct sw_db *db = NULL;
    int64_t last_purge = 0;
    if (sw_db_open(s->opts.data, &db, NULL) < 0) {
        sw_log(SW_LOG_ERROR, "scheduler: cannot open the data source");
        return NULL;
    }
    while (!atomic_load(&s->svc->stopping)) {
        sw_scheduler_tick(s, db);
        if (sw_clock_now_ms() - last_purge > 3600 * 1000) {
            purge(s, db);
            last_purge = sw_clock_now_ms();
        }
        sw_svc_sleep(s->svc, 250); /* ticks have a quarter-second resolution */
    }
    sw_db_close(db);
    return NULL;
}

int sw_scheduler_start(const struct sw_scheduler_opts *opts, struct sw_svc *svc,
                       struct sw_scheduler **out, struct sw_error *err)
{
    struct sw_scheduler *s = sw_calloc(1, sizeof(*s));
    int rc;
    s->opts = *opts;
    s->svc = svc;
    pthread_mutex_init(&s->lock, NULL);
    *out = s;
    if ((rc = sw_workers_start(s, err)) < 0) {
        return rc;
    }
    if (pthread_create(&s->scheduler_thread, NULL, scheduler_main, s) != 0) {
        return sw_error_set(err, SW_EIO, "cannot start the scheduler: %s", strerror(errno));
    }
    s->scheduler_started = true;
    return 0;
}

void sw_scheduler_stop(struct sw_scheduler *s)
{
    if (!s) {
        return;
    }
    sw_workers_join(s);
    if (s->scheduler_started) {
        pthread_join(s->scheduler_thread, NULL);
    }
    free(s->busy_runs);
    pthread_mutex_destroy(&s->lock);
    free(s);
}
