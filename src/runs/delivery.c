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
#include "core/clock.h"
#include "core/util.h"
#include "engine/activity.h"
#include "runs/service.h"

#include <stdlib.h>
#include <string.h>

/* The run's status and the activity's type and task status; SW_ENOTFOUND when either is
 * unknown, SW_ECONFLICT when the activity is not a channel. */
static int locate(struct sw_db *db, int64_t run_id, const char *aid, char **run_status,
                  char **task_status, int64_t *campaign_id, struct sw_error *err)
{
    struct sw_stmt *st = NULL;
    int rc = sw_db_prepare(
        db,
        "SELECT r.status, t.status, t.type, r.campaign_id FROM sw_runs r LEFT JOIN sw_tasks t "
        "ON t.run_id = r.id AND t.activity = ?2 WHERE r.id = ?1",
        &st, err);
    *run_status = *task_status = NULL;
    if (rc < 0) {
        return rc;
    }
    sw_stmt_bind_int(st, 1, run_id);
    sw_stmt_bind_text(st, 2, aid);
    rc = sw_stmt_step(st, err);
    if (rc == SW_STEP_ROW) {
        const char *type = sw_stmt_column_text(st, 2);
        *run_status = sw_strdup(sw_stmt_column_text(st, 0));
        *campaign_id = sw_stmt_column_int(st, 3);
        if (!type) {
            rc = sw_error_set(err, SW_ENOTFOUND, "run %lld has no activity \"%s\"",
                              (long long)run_id, aid);
        } else if (strcmp(type, "email") && strcmp(type, "sms") && strcmp(type, "push")) {
            rc = sw_error_set(err, SW_ECONFLICT,
                              "activity \"%s\" is a %s activity, not a channel (email, sms, push)",
                              aid, type);
        } else {
            *task_status = sw_strdup(sw_stmt_column_text(st, 1));
            rc = 0;
        }
    } else if (rc == SW_STEP_DONE) {
        rc = sw_error_set(err, SW_ENOTFOUND, "no run %lld", (long long)run_id);
    }
    sw_stmt_finalize(st);
    return rc < 0 ? rc : 0;
}

/* sql with ?1 = run_id, ?2 = aid, ?3 = now (a statement may use the first ones only). */
static int exec_run_act(struct sw_db *db, const char *sql, int64_t run_id, const char *aid,
                        int64_t now, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, run_id);
    sw_params_add_text(&p, aid);
    sw_params_add_int(&p, now);
    int rc = sw_db_exec_params(db, sql, &p, NULL, err);
    sw_params_release(&p);
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
    char *run_status = NULL, *task_status = NULL;
    int64_t campaign_id = 0;
    int64_t now = sw_clock_now_ms(), at = now;
    bool kick = false;
    *out = NULL;
    int rc = sw_db_begin(db, err);
    if (rc == 0) {
        rc = locate(db, run_id, aid, &run_status, &task_status, &campaign_id, err);
    }
    if (rc == 0 && strcmp(run_status, "running") && strcmp(run_status, "paused")) {
        rc = sw_error_set(err, SW_ECONFLICT, "run %lld is %s: there is nothing to confirm",
                          (long long)run_id, run_status);
        sw_error_add(err, "status", "%s", run_status);
    }
    if (rc == 0 && !strcmp(task_status, "completed")) {
        rc = sw_error_set(err, SW_ECONFLICT, "activity \"%s\" has already completed", aid);
    }
    if (rc == 0) {
        rc = sw_ledger_confirm(db, run_id, aid, "api", now, &at, err);
    }
    if (rc == 0) {
        /* A held task wakes now; so does its run (a paused run stays paused). */
        struct sw_params p = SW_PARAMS_INIT;
        sw_params_add_int(&p, run_id);
        sw_params_add_text(&p, aid);
        sw_params_add_int(&p, now);
        sw_params_add_int(&p, SW_WAKE_HELD);
        rc = sw_db_exec_params(db,
                               "UPDATE sw_tasks SET wake_at = ?3 WHERE run_id = ?1 AND activity = "
                               "?2 AND wake_at = ?4",
                               &p, NULL, err);
        kick = rc == 0 && sw_db_changes(db) > 0;
        if (rc == 0 && kick) {
            rc = sw_db_exec_params(db, "UPDATE sw_runs SET wake_at = ?3 WHERE id = ?1", &p, NULL,
                                   err);
        }
        sw_params_release(&p);
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
    free(run_status);
    free(task_status);
    return rc;
}

int sw_svc_retry_failed(struct sw_svc *svc, struct sw_db *db, int64_t run_id, const char *aid,
                        bool include_unknown, json_t **out, struct sw_error *err)
{
    char *run_status = NULL, *task_status = NULL;
    int64_t campaign_id = 0;
    int64_t now = sw_clock_now_ms(), n = 0;
    *out = NULL;
    int rc = sw_db_begin(db, err);
    if (rc == 0) {
        rc = locate(db, run_id, aid, &run_status, &task_status, &campaign_id, err);
    }
    if (rc == 0 && (!strcmp(run_status, "paused") || !strcmp(run_status, "stopped"))) {
        rc = sw_error_set(err, SW_ECONFLICT,
                          "run %lld is %s: resume the campaign before resending (a stopped run "
                          "sends nothing more)",
                          (long long)run_id, run_status);
        sw_error_add(err, "status", "%s", run_status);
    }
    if (rc == 0 && strcmp(task_status, "completed")) {
        rc = sw_error_set(err, SW_ECONFLICT,
                          "activity \"%s\" is %s: failed recipients can be resent once it has "
                          "completed",
                          aid, task_status);
        sw_error_add(err, "status", "%s", task_status);
    }
    if (rc == 0) {
        rc = sw_ledger_requeue(db, run_id, aid, include_unknown, now, &n, err);
    }
    if (rc == 0 && n > 0) {
        /* The task runs again (sending only pending rows); the run is active until it ends. */
        rc = exec_run_act(db,
                          "UPDATE sw_tasks SET status = 'running', ended_at = NULL, error = NULL, "
                          "wake_at = ?3 WHERE run_id = ?1 AND activity = ?2",
                          run_id, aid, now, err);
        if (rc == 0) {
            rc = exec_run_act(db,
                              "UPDATE sw_runs SET status = 'running', ended_at = NULL, wake_at = "
                              "?3 WHERE id = ?1",
                              run_id, aid, now, err);
        }
        if (rc == 0) {
            rc = exec_run_act(db,
                              "UPDATE sw_campaigns SET status = 'running' WHERE id = (SELECT "
                              "campaign_id FROM sw_runs WHERE id = ?1) AND status IN "
                              "('completed', 'failed')",
                              run_id, aid, now, err);
        }
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
    free(run_status);
    free(task_status);
    return rc;
}
