/*
 * delivery.c - repairing and releasing a run's deliveries (SPEC §4):
 *   confirm       records the release of a channel activity held by confirm_before_send and
 *                 wakes its task (which waits with wake_at = SW_WAKE_HELD, holding no worker).
 *                 Confirming before the activity is reached is allowed: it will not wait.
 *   retry-failed  puts the activity's failed rows (and unknown ones on request) back to
 *                 pending with their attempts reset, and re-opens the task so that a worker
 *                 sends exactly those rows; the ledger rows carry their personalization
 *                 fields, so this works after the run ended and its work tables are gone.
 *                 Downstream tasks are not re-run: the repair reaches people, it does not
 *                 replay the campaign.
 * Each is one BEGIN IMMEDIATE transaction that checks the state it changes.
 */
#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "catalog/logs.h"
#include "catalog/runs.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activity.h"
#include "runs/service.h"

#include <stdlib.h>
#include <string.h>

/* The run's status and the activity's task status; SW_ENOTFOUND when either is unknown,
 * SW_ECONFLICT when the activity is not a channel. */
static int locate(struct sw_catalog *cat, int64_t run_id, const char *aid,
                  enum sw_run_status *run_status, enum sw_task_status *task_status,
                  int64_t *campaign_id, struct sw_error *err)
{
    struct sw_run_row run = {0};
    struct sw_task_row *tasks = NULL;
    size_t n = 0;
    const struct sw_task_row *t = NULL;
    int rc = sw_catalog_run_get(cat, run_id, false, &run, err);
    if (rc == 0) {
        rc = sw_catalog_tasks(cat, run_id, &tasks, &n, err);
    }
    if (rc < 0) {
        goto out;
    }
    *run_status = run.status;
    *campaign_id = run.campaign_id;
    for (size_t i = 0; i < n && !t; i++) {
        t = sw_streq(tasks[i].activity, aid) ? &tasks[i] : NULL;
    }
    if (!t || !t->type) {
        rc = sw_error_set(err, SW_ENOTFOUND, "run %lld has no activity \"%s\"",
                          (long long)run_id, aid);
    } else if (strcmp(t->type, "email") && strcmp(t->type, "sms") && strcmp(t->type, "push")) {
        rc = sw_error_set(err, SW_ECONFLICT,
                          "activity \"%s\" is a %s activity, not a channel (email, sms, push)",
                          aid, t->type);
    } else {
        *task_status = t->status;
    }
out:
    sw_task_rows_free(tasks, n);
    sw_run_row_release(&run);
    return rc;
}

/* The end of an action's transaction: with rc 0, log msg (taken) for the activity and commit;
 * else (or when the commit fails) roll back and drop *out. A committed action that released
 * rows wakes the workers (kick). */
static int end_action(struct sw_svc *svc, struct sw_db *db, int rc, int64_t campaign_id,
                      int64_t run_id, const char *aid, char *msg, bool kick, json_t **out,
                      struct sw_error *err)
{
    if (rc == 0) {
        struct sw_catalog cat = {db};
        sw_catalog_log(&cat, "info", campaign_id, run_id, aid, msg);
        rc = sw_db_commit(db, err);
    }
    free(msg);
    if (rc < 0) {
        sw_db_rollback(db);
        json_decref(*out);
        *out = NULL;
    } else if (kick) {
        sw_svc_kick(svc);
    }
    return rc;
}

int sw_svc_confirm(struct sw_svc *svc, struct sw_db *db, int64_t run_id, const char *aid,
                   json_t **out, struct sw_error *err)
{
    enum sw_run_status run_status = SW_RUN_STATUS_RUNNING;
    enum sw_task_status task_status = SW_TASK_STATUS_PENDING;
    struct sw_catalog cat = {db};
    int64_t campaign_id = 0;
    int64_t now = sw_clock_now_ms(), at = now;
    bool kick = false;
    *out = NULL;
    int rc = sw_db_begin(db, err);
    if (rc == 0) {
        rc = locate(&cat, run_id, aid, &run_status, &task_status, &campaign_id, err);
    }
    if (rc == 0 && run_status != SW_RUN_STATUS_RUNNING && run_status != SW_RUN_STATUS_PAUSED) {
        rc = sw_error_set(err, SW_ECONFLICT, "run %lld is %s: there is nothing to confirm",
                          (long long)run_id, sw_run_status_text(run_status));
        sw_error_add(err, "status", "%s", sw_run_status_text(run_status));
    }
    if (rc == 0 && task_status == SW_TASK_STATUS_COMPLETED) {
        rc = sw_error_set(err, SW_ECONFLICT, "activity \"%s\" has already completed", aid);
    }
    if (rc == 0) {
        rc = sw_ledger_confirm(db, run_id, aid, "api", now, &at, err);
    }
    if (rc == 0) {
        /* A held task wakes now; so does its run (a paused run stays paused). */
        rc = sw_catalog_task_release(&cat, run_id, aid, SW_WAKE_HELD, now, &kick, err);
    }
    if (rc == 0) {
        struct sw_ledger_counts counts;
        if (sw_ledger_counts(db, run_id, aid, &counts, NULL) < 0) {
            counts.pending = 0;
        }
        char iso[32];
        sw_clock_format_iso(at, iso, sizeof(iso));
        *out = json_pack("{s:I, s:s, s:s, s:I, s:b}", "run_id", (json_int_t)run_id, "activity", aid,
                         "confirmed_at", iso, "pending", (json_int_t)counts.pending, "released",
                         kick);
    }
    rc = end_action(svc, db, rc, campaign_id, run_id, aid,
                    rc == 0 ? sw_asprintf("sending confirmed for activity \"%s\"", aid) : NULL,
                    kick, out, err);
    return rc;
}

int sw_svc_retry_failed(struct sw_svc *svc, struct sw_db *db, int64_t run_id, const char *aid,
                        bool include_unknown, json_t **out, struct sw_error *err)
{
    enum sw_run_status run_status = SW_RUN_STATUS_RUNNING;
    enum sw_task_status task_status = SW_TASK_STATUS_PENDING;
    struct sw_catalog cat = {db};
    int64_t campaign_id = 0;
    int64_t now = sw_clock_now_ms(), n = 0;
    *out = NULL;
    int rc = sw_db_begin(db, err);
    if (rc == 0) {
        rc = locate(&cat, run_id, aid, &run_status, &task_status, &campaign_id, err);
    }
    if (rc == 0 && (run_status == SW_RUN_STATUS_PAUSED || run_status == SW_RUN_STATUS_STOPPED)) {
        rc = sw_error_set(err, SW_ECONFLICT,
                          "run %lld is %s: resume the campaign before resending (a stopped run "
                          "sends nothing more)",
                          (long long)run_id, sw_run_status_text(run_status));
        sw_error_add(err, "status", "%s", sw_run_status_text(run_status));
    }
    if (rc == 0 && task_status != SW_TASK_STATUS_COMPLETED) {
        rc = sw_error_set(err, SW_ECONFLICT,
                          "activity \"%s\" is %s: failed recipients can be resent once it has "
                          "completed",
                          aid, sw_task_status_text(task_status));
        sw_error_add(err, "status", "%s", sw_task_status_text(task_status));
    }
    if (rc == 0) {
        rc = sw_ledger_requeue(db, run_id, aid, include_unknown, now, &n, err);
    }
    if (rc == 0 && n > 0) {
        /* The task runs again (sending only pending rows); the run is active until it ends. */
        rc = sw_catalog_task_reopen(&cat, run_id, aid, now, err);
    }
    if (rc == 0) {
        *out = json_pack("{s:I, s:s, s:I, s:b}", "run_id", (json_int_t)run_id, "activity", aid,
                         "requeued", (json_int_t)n, "include_unknown", include_unknown);
    }
    rc = end_action(svc, db, rc, campaign_id, run_id, aid,
                    rc == 0 ? sw_asprintf("%lld recipients queued again for activity \"%s\"%s",
                                          (long long)n, aid,
                                          include_unknown ? " (failed and unknown)" : " (failed)")
                            : NULL,
                    n > 0, out, err);
    return rc;
}
