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
#include "catalog/campaigns.h"
#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "catalog/logs.h"
#include "catalog/runs.h"
#include "catalog/scheduling.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "model/schedule.h"
#include "scheduler/scheduler.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* How many due campaigns, signals and expired runs one turn handles. */
#define TICKS_PER_TURN   64
#define SIGNALS_PER_TURN 32
#define PURGE_PER_TURN   256

static void log_campaign(struct sw_catalog *cat, int64_t campaign_id, const char *level,
                         const char *msg)
{
    sw_catalog_log(cat, level, campaign_id, 0, NULL, msg);
}

static void due_ticks(struct sw_scheduler *s, struct sw_db *db)
{
    struct sw_catalog cat = {db};
    struct sw_due_campaign *due = NULL;
    size_t n = 0;
    int64_t now = sw_clock_now_ms();
    if (sw_catalog_due_campaigns(&cat, now, TICKS_PER_TURN, &due, &n, NULL) < 0) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct sw_error err = SW_ERROR_INIT;
        struct sw_schedule *sched = NULL;
        int64_t id = due[i].id;
        json_t *doc = json_loads(due[i].document ? due[i].document : "", 0, NULL);
        int64_t next = 0, run_id = 0;
        const char *tz = json_string_value(json_object_get(doc, "timezone"));
        if (sw_schedule_parse(json_object_get(doc, "schedule"), tz, &sched, &err) < 0) {
            log_campaign(&cat, id, "error", "the schedule cannot be read; disarmed");
            sw_catalog_campaign_tick_done(&cat, id, 0, false, NULL);
        } else {
            bool run = sw_schedule_catch_up(sched, due[i].next_run_at, now, &next);
            sw_catalog_campaign_tick_done(&cat, id, next, false, NULL);
            if (run) {
                if (sw_svc_start_run(s->svc, db, id, "schedule", NULL, &run_id, &err) < 0) {
                    char *msg = sw_error_format(&err);
                    char *line = sw_asprintf("tick skipped: %s", msg);
                    log_campaign(&cat, id, "warn", line);
                    atomic_fetch_add(&s->svc->ticks_skipped, 1);
                    free(line);
                    free(msg);
                }
            } else {
                log_campaign(
                    &cat, id, "warn",
                    "missed tick not replayed (missed by more than the schedule's period)");
            }
            /* Nothing scheduled any more and nothing running: the campaign is done. */
            if (!next && !run_id && sw_catalog_active_runs(&cat, id) == 0) {
                sw_catalog_campaign_tick_done(&cat, id, 0, true, NULL);
            }
        }
        sw_schedule_free(sched);
        json_decref(doc);
        sw_error_release(&err);
    }
    sw_due_campaigns_free(due, n);
}

static void signals(struct sw_scheduler *s, struct sw_db *db)
{
    struct sw_catalog cat = {db};
    struct sw_signal_row *sig = NULL;
    size_t n = 0;
    if (sw_catalog_signals_pending(&cat, SIGNALS_PER_TURN, &sig, &n, NULL) < 0) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        struct sw_error err = SW_ERROR_INIT;
        int64_t run_id = 0;
        int64_t cid = sig[i].target ? sw_catalog_campaign_find(&cat, sig[i].target) : 0;
        json_t *v = sig[i].variables ? json_loads(sig[i].variables, 0, NULL) : NULL;
        if (cid && sw_svc_start_run(s->svc, db, cid, "signal", v, &run_id, &err) < 0) {
            char *msg = sw_error_format(&err);
            char *line = sw_asprintf("signal %lld not delivered: %s", (long long)sig[i].id, msg);
            log_campaign(&cat, cid, "warn", line);
            free(line);
            free(msg);
        } else if (!cid) {
            sw_warn("signal %lld: no campaign \"%s\"", (long long)sig[i].id,
                    sig[i].target ? sig[i].target : "");
        }
        json_decref(v);
        sw_catalog_signal_consumed(&cat, sig[i].id, sw_clock_now_ms(), NULL);
        sw_error_release(&err);
    }
    sw_signal_rows_free(sig, n);
}

static void purge(struct sw_scheduler *s, struct sw_db *db)
{
    struct sw_catalog cat = {db};
    int64_t now = sw_clock_now_ms();
    int64_t *ids = NULL;
    size_t n = 0;
    /* Finished runs older than their campaign's history (runs of deleted campaigns too). */
    if (sw_catalog_runs_expired(&cat, now, s->opts.history_days > 0 ? s->opts.history_days : 30,
                                PURGE_PER_TURN, &ids, &n, NULL) < 0) {
        free(ids);
        return;
    }
    /* Ledger rows go with their run, except messages sent within the frequency cap's period:
     * the cap counts them across campaigns, so they stay until the period is over. */
    struct sw_frequency_caps caps = {{0, 0}, {0, 0}, {0, 0}};
    if (s->opts.frequency_cap) {
        sw_frequency_caps_parse(s->opts.frequency_cap, &caps, NULL);
    }
    int64_t keep_from = now - sw_frequency_caps_period(&caps);
    for (size_t i = 0; i < n; i++) {
        sw_svc_drop_run_tables(db, ids[i]);
        sw_catalog_run_delete(&cat, ids[i], NULL);
        sw_ledger_purge_run(db, ids[i], keep_from, NULL);
    }
    /* Rows kept for the cap (and those of deleted campaigns), once past its period. */
    sw_ledger_purge_orphans(db, keep_from, NULL);
    if (n) {
        sw_info("purged %zu runs past their history", n);
    }
    free(ids);
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
