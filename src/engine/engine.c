/*
 * engine.c - the run executor (see engine.h).
 *
 * The state machine is over catalog rows: each step reloads the run's tasks, finds the
 * tasks whose inputs are resolved and executes them one transaction each. A task's
 * transaction creates its work tables and records its outputs, so a crash leaves either a
 * completed task with its tables or a pending/running one with none, which is simply run
 * again on restart. The one exception is a long-running activity (a channel task), which
 * commits its progress through sw_exec_checkpoint (engine/activity.h states that contract).
 *
 * Readiness: a transition is active when its source task completed and emitted that port.
 * An activity runs by the rule its type declares (enum sw_inputs_rule): by default once
 * every input is resolved and at least one is active (inactive inputs are empty
 * populations), skipped with no active input; SW_INPUTS_FIRST runs at the first active
 * input; SW_INPUTS_EVERY is skipped unless every input is active (join "or" and "and").
 */
#include "engine/engine.h"
#include "catalog/campaigns.h"
#include "catalog/logs.h"
#include "catalog/runs.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct task_state {
    int64_t id;
    enum sw_task_status status;
    bool known;      /* the run has a task row for this activity */
    json_t *outputs; /* {"port": {"table", "count", "emitted", "owned"}} */
    int64_t wake_at;
    int64_t started_at;
};

struct run_state {
    struct task_state *tasks; /* indexed like campaign activities */
    size_t n;
    uint64_t seed;
    int64_t started_at;
    enum sw_run_status status;
    bool simulation;
};

static void run_state_release(struct run_state *rs)
{
    for (size_t i = 0; i < rs->n; i++) {
        json_decref(rs->tasks[i].outputs);
    }
    free(rs->tasks);
    memset(rs, 0, sizeof(*rs));
}

static size_t act_index(const struct sw_campaign *c, const char *id)
{
    for (size_t i = 0; i < c->nacts; i++) {
        if (sw_streq(c->acts[i].id, id)) {
            return i;
        }
    }
    return SIZE_MAX;
}

static int load_state(struct sw_engine *eng, const struct sw_campaign *c, int64_t run_id,
                      struct run_state *rs, struct sw_error *err)
{
    struct sw_run_row run;
    struct sw_task_row *rows = NULL;
    size_t nrows = 0;
    memset(rs, 0, sizeof(*rs));
    rs->n = c->nacts;
    rs->tasks = sw_calloc(c->nacts, sizeof(*rs->tasks));
    int rc = sw_catalog_run_get(eng->cat, run_id, false, &run, err);
    if (rc < 0) {
        goto out;
    }
    rs->seed = (uint64_t)run.seed;
    rs->started_at = run.started_at;
    rs->status = run.status;
    rs->simulation = run.simulation;
    sw_run_row_release(&run);
    if ((rc = sw_catalog_tasks(eng->cat, run_id, &rows, &nrows, err)) < 0) {
        goto out;
    }
    for (size_t k = 0; k < nrows; k++) {
        size_t i = act_index(c, rows[k].activity);
        if (i == SIZE_MAX) {
            continue;
        }
        struct task_state *t = &rs->tasks[i];
        t->id = rows[k].id;
        t->status = rows[k].status;
        t->known = true;
        t->outputs = rows[k].outputs ? json_loads(rows[k].outputs, 0, NULL) : NULL;
        t->wake_at = rows[k].wake_at;
        t->started_at = rows[k].started_at;
    }
    for (size_t i = 0; rc == 0 && i < rs->n; i++) {
        if (!rs->tasks[i].known) {
            rc = sw_error_set(err, SW_EINVAL, "run %lld has no task for activity \"%s\"",
                              (long long)run_id, c->acts[i].id);
        }
    }
out:
    sw_task_rows_free(rows, nrows);
    if (rc < 0) {
        run_state_release(rs);
    }
    return rc;
}

static uint64_t pick_seed(void)
{
    uint64_t s = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        if (read(fd, &s, sizeof(s)) != (ssize_t)sizeof(s)) {
            s = 0;
        }
        close(fd);
    }
    if (!s) {
        s = (uint64_t)sw_clock_now_ms() * 0x9e3779b97f4a7c15ULL;
    }
    s &= 0x7fffffffffffffffULL;
    return s ? s : 1;
}

int sw_engine_create_run(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                         const struct sw_run_opts *opts, int64_t *run_id, struct sw_error *err)
{
    int rc;
    char *vars = opts->variables ? json_dumps(opts->variables, JSON_COMPACT) : NULL;
    char *doc = sw_campaign_serialize(c);
    uint64_t seed = opts->seed ? opts->seed & 0x7fffffffffffffffULL : pick_seed();
    struct sw_run_new run = {
        .campaign_id = campaign_id,
        .trigger = opts->trigger ? opts->trigger : "manual",
        .simulation = opts->dry_run,
        .variables = vars,
        .seed = seed,
        .document = doc,
        .now_ms = sw_clock_now_ms(),
    };
    rc = sw_catalog_run_create(eng->cat, &run, run_id, err);
    for (size_t i = 0; rc == 0 && i < c->nacts; i++) {
        int64_t tid;
        rc = sw_catalog_task_create(eng->cat, *run_id, c->acts[i].id, c->acts[i].type_name, &tid,
                                    err);
    }
    if (rc == 0 && !opts->dry_run) {
        rc = sw_catalog_campaign_set_status(eng->cat, campaign_id, SW_CAMPAIGN_STATUS_RUNNING, err);
    }
    if (rc == 0) {
        sw_catalog_log(eng->cat, "info", campaign_id, *run_id, NULL,
                       opts->dry_run ? "simulation started" : "run started");
    }
    free(vars);
    free(doc);
    return rc;
}

int sw_engine_start(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                    const struct sw_run_opts *opts, int64_t *run_id, struct sw_error *err)
{
    int rc = sw_db_begin(eng->db, err);
    if (rc < 0) {
        return rc;
    }
    rc = sw_engine_create_run(eng, c, campaign_id, opts, run_id, err);
    if (rc == 0) {
        rc = sw_db_commit(eng->db, err);
    }
    if (rc < 0) {
        sw_db_rollback(eng->db);
    }
    return rc;
}

static bool is_done(enum sw_task_status status)
{
    return status == SW_TASK_STATUS_COMPLETED || status == SW_TASK_STATUS_SKIPPED ||
           status == SW_TASK_STATUS_FAILED;
}

/* Resolve activity i's inputs: returns -1 not ready, else the number of active inputs
 * (filled into ins, up to max). */
static int resolve_inputs(const struct sw_campaign *c, const struct run_state *rs, size_t i,
                          struct sw_input *ins, size_t *nins, int *unresolved)
{
    int active = 0;
    *nins = 0;
    *unresolved = 0;
    for (size_t t = 0; t < c->ntrans; t++) {
        const struct sw_transition *tr = &c->trans[t];
        if (tr->to_idx != i) {
            continue;
        }
        const struct task_state *src = &rs->tasks[tr->from_idx];
        struct sw_input *in = &ins[(*nins)++];
        memset(in, 0, sizeof(*in));
        in->from = tr->from;
        in->port = tr->port;
        in->shape = &c->acts[tr->from_idx].out_shape;
        if (!is_done(src->status)) {
            (*unresolved)++;
            continue;
        }
        if (src->status != SW_TASK_STATUS_COMPLETED) {
            continue;
        }
        json_t *p = json_object_get(src->outputs, tr->port);
        if (p && json_is_true(json_object_get(p, "emitted")) &&
            json_is_string(json_object_get(p, "table"))) {
            in->table = json_string_value(json_object_get(p, "table"));
            in->count = json_integer_value(json_object_get(p, "count"));
            active++;
        }
    }
    return active;
}

static json_t *outputs_json(const struct sw_exec *ex)
{
    json_t *o = json_object();
    for (size_t i = 0; i < ex->nports; i++) {
        const struct sw_port_result *p = &ex->ports[i];
        json_object_set_new(o, p->port,
                            json_pack("{s:s?, s:I, s:b, s:b}", "table", p->table, "count",
                                      (json_int_t)p->count, "emitted", p->emitted, "owned",
                                      p->owned));
    }
    return o;
}

static json_t *counts_of(const json_t *outputs)
{
    json_t *c = json_object();
    const char *port;
    json_t *v;
    json_object_foreach((json_t *)outputs, port, v)
    {
        json_object_set(c, port, json_object_get(v, "count"));
    }
    return c;
}

static void emit(const struct sw_run_opts *opts, const struct sw_activity *a, const char *status,
                 int64_t input_count, const json_t *counts, int64_t elapsed, const char *error)
{
    if (!opts->progress) {
        return;
    }
    struct sw_task_event ev = {a->id, a->type_name, status, input_count, counts, elapsed, error};
    opts->progress(opts->ud, &ev);
}

static void exec_release(struct sw_exec *ex)
{
    for (size_t i = 0; i < ex->nports; i++) {
        free(ex->ports[i].port);
        free(ex->ports[i].table);
    }
    free(ex->ports);
    for (size_t i = 0; i < ex->naud; i++) {
        free(ex->aud_tables[i]);
    }
    free(ex->aud_tables);
}

/* Execute one ready task in its own transaction. Returns 0 (completed or waiting) or
 * a negative error after recording the failure. */
static int run_task(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                    int64_t run_id, const struct sw_run_opts *opts, struct run_state *rs, size_t i,
                    struct sw_input *ins, size_t nins, int64_t *wake_ms)
{
    const struct sw_activity *a = &c->acts[i];
    struct task_state *t = &rs->tasks[i];
    struct sw_error terr = SW_ERROR_INIT;
    int64_t start = sw_clock_now_ms(), input_count = 0;
    int rc;
    for (size_t k = 0; k < nins; k++) {
        input_count += ins[k].table ? ins[k].count : 0;
    }
    struct sw_exec ex = {
        .db = eng->db,
        .cat = eng->cat,
        .schema = eng->schema,
        .campaign = c,
        .act = a,
        .campaign_id = campaign_id,
        .run_id = run_id,
        .task_id = t->id,
        .seed = rs->seed,
        .now_ms = rs->started_at,
        .prev_run_started_ms = sw_catalog_prev_run_started(eng->cat, campaign_id, run_id),
        .variables = opts->variables,
        .dry_run = rs->simulation != 0,
        .inputs = ins,
        .ninputs = nins,
        .wake_at_ms = t->wake_at,
        .err = &terr,
        .config = eng->config,
    };
    int64_t started_at = t->started_at ? t->started_at : start;
    if (!t->wake_at) {
        emit(opts, a, sw_task_status_text(SW_TASK_STATUS_RUNNING), input_count, NULL, 0, NULL);
    }
    /* Mark it running first, so that lists show it while it works. */
    struct sw_task_state ts = {
        .status = SW_TASK_STATUS_RUNNING,
        .started_at = started_at,
        .wake_at = t->wake_at,
        .counted = true,
        .input_count = input_count,
    };
    rc = sw_catalog_task_set(eng->cat, t->id, &ts, &terr);
    if (rc == 0) {
        rc = sw_db_begin(eng->db, &terr);
    }
    if (rc == 0) {
        rc = a->type->execute(&ex);
    }
    if (rc == 0 && ex.waiting) {
        /* A wait that is not over: record when to come back, keep nothing else. */
        ts.wake_at = ex.wake_at_ms;
        rc = sw_catalog_task_set(eng->cat, t->id, &ts, &terr);
        if (rc == 0 && (rc = sw_db_commit(eng->db, &terr)) == 0) {
            if (!t->wake_at && ex.wake_at_ms != SW_WAKE_HELD) {
                char when[32];
                sw_clock_format_iso(ex.wake_at_ms, when, sizeof(when));
                char *msg = sw_asprintf("waiting until %s", when);
                sw_catalog_log(eng->cat, "info", campaign_id, run_id, a->id, msg);
                free(msg);
                emit(opts, a, "waiting", input_count, NULL, 0, NULL);
            }
            if (!*wake_ms || ex.wake_at_ms < *wake_ms) {
                *wake_ms = ex.wake_at_ms;
            }
            goto out;
        }
    }
    if (rc == 0) {
        json_t *o = outputs_json(&ex);
        char *os = json_dumps(o, JSON_COMPACT);
        int64_t end = sw_clock_now_ms();
        ts.status = SW_TASK_STATUS_COMPLETED;
        ts.ended_at = end;
        ts.wake_at = ex.wake_at_ms;
        ts.outputs = os;
        rc = sw_catalog_task_set(eng->cat, t->id, &ts, &terr);
        if (rc == 0) {
            rc = sw_db_commit(eng->db, &terr);
        }
        if (rc == 0) {
            json_t *counts = counts_of(o);
            emit(opts, a, sw_task_status_text(SW_TASK_STATUS_COMPLETED), input_count, counts,
                 end - start, NULL);
            json_decref(counts);
        }
        free(os);
        json_decref(o);
    }
    if (rc < 0) {
        sw_db_rollback(eng->db);
        char *msg = sw_error_format(&terr);
        struct sw_task_state fs = {
            .status = SW_TASK_STATUS_FAILED,
            .started_at = started_at,
            .ended_at = sw_clock_now_ms(),
            .counted = true,
            .input_count = input_count,
            .error = msg,
        };
        sw_catalog_task_set(eng->cat, t->id, &fs, NULL);
        sw_catalog_log(eng->cat, "error", campaign_id, run_id, a->id, msg);
        emit(opts, a, sw_task_status_text(SW_TASK_STATUS_FAILED), input_count, NULL,
             sw_clock_now_ms() - start, msg);
        free(msg);
    }
out:
    exec_release(&ex);
    sw_error_release(&terr);
    return rc;
}

static int skip_task(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                     int64_t run_id, const struct sw_run_opts *opts, struct task_state *t, size_t i,
                     const char *why)
{
    int64_t now = sw_clock_now_ms();
    struct sw_task_state ts = {
        .status = SW_TASK_STATUS_SKIPPED,
        .started_at = now,
        .ended_at = now,
        .counted = true,
        .input_count = 0,
    };
    int rc = sw_catalog_task_set(eng->cat, t->id, &ts, NULL);
    sw_catalog_log(eng->cat, "info", campaign_id, run_id, c->acts[i].id, why);
    emit(opts, &c->acts[i], sw_task_status_text(SW_TASK_STATUS_SKIPPED), 0, NULL, 0, NULL);
    return rc;
}

/* Drop the run's work tables (those its tasks created), unless the campaign keeps them. */
static void drop_work_tables(struct sw_engine *eng, const struct sw_campaign *c,
                             const struct run_state *rs)
{
    if (c->keep_interim_results) {
        return;
    }
    for (size_t i = 0; i < rs->n; i++) {
        const char *port;
        json_t *v;
        json_object_foreach(rs->tasks[i].outputs, port, v)
        {
            const char *table = json_string_value(json_object_get(v, "table"));
            if (table && json_is_true(json_object_get(v, "owned"))) {
                struct sw_buf sql = SW_BUF_INIT;
                sw_buf_puts(&sql, "DROP TABLE IF EXISTS ");
                sw_db_ident(&sql, table);
                sw_db_exec(eng->db, sql.data, NULL);
                sw_buf_release(&sql);
            }
        }
    }
}

/* The state of a run someone else changed: paused (nothing to do until it resumes), stopped
 * (its work tables go), or already finished. */
static int halted(struct sw_engine *eng, const struct sw_campaign *c, const struct run_state *rs)
{
    if (rs->status == SW_RUN_STATUS_PAUSED) {
        return SW_RUN_PAUSED;
    }
    if (rs->status == SW_RUN_STATUS_STOPPED) {
        drop_work_tables(eng, c, rs);
        return SW_RUN_STOPPED;
    }
    return rs->status == SW_RUN_STATUS_FAILED ? SW_RUN_FAILED : SW_RUN_COMPLETED;
}

static int finish_run(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                      int64_t run_id, struct run_state *rs, struct sw_error *err)
{
    const char *failed_act = NULL;
    char *failed_msg = NULL;
    for (size_t k = 0; k < c->nacts; k++) {
        size_t i = c->order[k];
        if (rs->tasks[i].status == SW_TASK_STATUS_FAILED && !failed_act) {
            failed_act = c->acts[i].id;
        }
    }
    if (failed_act) {
        failed_msg = sw_asprintf("activity \"%s\" failed", failed_act);
    }
    int64_t now = sw_clock_now_ms();
    enum sw_run_status status = failed_act ? SW_RUN_STATUS_FAILED : SW_RUN_STATUS_COMPLETED;
    int rc = sw_catalog_run_finish(eng->cat, run_id, status, failed_msg, now, err);
    if (rc == 0 && !rs->simulation) {
        rc = sw_catalog_campaign_after_run(eng->cat, campaign_id, status, rs->started_at,
                                           failed_act, err);
    }
    drop_work_tables(eng, c, rs);
    sw_catalog_log(eng->cat, failed_act ? "error" : "info", campaign_id, run_id, NULL,
                   failed_act ? failed_msg : "run completed");
    free(failed_msg);
    return rc < 0 ? rc : (failed_act ? SW_RUN_FAILED : SW_RUN_COMPLETED);
}

int sw_engine_step(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                   int64_t run_id, const struct sw_run_opts *opts, int64_t *wake_ms,
                   struct sw_error *err)
{
    struct run_state rs;
    struct sw_input *ins = sw_calloc(c->ntrans + 1, sizeof(*ins));
    int rc = load_state(eng, c, run_id, &rs, err);
    bool failed = false;
    *wake_ms = 0;
    if (rc < 0) {
        free(ins);
        return rc;
    }
    if (rs.status != SW_RUN_STATUS_RUNNING) {
        rc = halted(eng, c, &rs);
        goto out;
    }
    for (bool progress = true; progress && !failed;) {
        progress = false;
        for (size_t k = 0; k < c->nacts && !failed; k++) {
            size_t i = c->order[k];
            struct task_state *t = &rs.tasks[i];
            const struct sw_activity *a = &c->acts[i];
            if (is_done(t->status)) {
                continue;
            }
            if (t->wake_at && t->wake_at > sw_clock_now_ms()) {
                if (!*wake_ms || t->wake_at < *wake_ms) {
                    *wake_ms = t->wake_at;
                }
                continue;
            }
            size_t nins;
            int unresolved;
            int active = resolve_inputs(c, &rs, i, ins, &nins, &unresolved);
            const char *skip = NULL, *skip_every = "skipped: not every input is active";
            enum sw_inputs_rule rule =
                a->type->inputs ? a->type->inputs(a, &skip_every) : SW_INPUTS_RESOLVED;
            if (a->type->kind == SW_ACT_SOURCE) {
                /* roots are always ready */
            } else if (rule == SW_INPUTS_FIRST && active > 0) {
                /* continue at the first input to arrive */
            } else if (unresolved) {
                continue;
            } else if (active == 0) {
                skip = "skipped: no population reached this activity";
            } else if (rule == SW_INPUTS_EVERY && (size_t)active < nins) {
                skip = skip_every;
            }
            if (!skip && rs.simulation && a->type->kind == SW_ACT_CHANNEL) {
                skip = "simulation: nothing is sent";
            }
            if (skip) {
                rc = skip_task(eng, c, campaign_id, run_id, opts, t, i, skip);
            } else {
                rc = run_task(eng, c, campaign_id, run_id, opts, &rs, i, ins, nins, wake_ms);
                failed = rc < 0;
            }
            if (rc < 0 && !failed) {
                goto out; /* the catalog itself failed */
            }
            /* Reload: the task's outputs are in the catalog now, and the run may have been
             * paused or stopped meanwhile (no new task starts then). */
            run_state_release(&rs);
            if ((rc = load_state(eng, c, run_id, &rs, err)) < 0) {
                free(ins);
                return rc;
            }
            if (rs.status != SW_RUN_STATUS_RUNNING) {
                rc = halted(eng, c, &rs);
                goto out;
            }
            progress = true;
            break;
        }
    }
    bool all_done = true;
    for (size_t i = 0; i < rs.n; i++) {
        all_done = all_done && is_done(rs.tasks[i].status);
    }
    if (failed || all_done) {
        if (failed) {
            /* Tasks that can no longer run are skipped; the run has failed. */
            for (size_t i = 0; i < rs.n; i++) {
                if (!is_done(rs.tasks[i].status)) {
                    struct sw_task_state skipped = {.status = SW_TASK_STATUS_SKIPPED};
                    sw_catalog_task_set(eng->cat, rs.tasks[i].id, &skipped, NULL);
                }
            }
        }
        rc = finish_run(eng, c, campaign_id, run_id, &rs, err);
    } else {
        rc = *wake_ms ? SW_RUN_WAITING : SW_RUN_ACTIVE;
    }
out:
    run_state_release(&rs);
    free(ins);
    return rc;
}

int sw_engine_continue(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                       int64_t run_id, const struct sw_run_opts *opts, struct sw_error *err)
{
    for (;;) {
        int64_t wake = 0;
        int rc = sw_engine_step(eng, c, campaign_id, run_id, opts, &wake, err);
        if (rc < 0 || rc == SW_RUN_COMPLETED || rc == SW_RUN_FAILED || rc == SW_RUN_PAUSED ||
            rc == SW_RUN_STOPPED) {
            return rc;
        }
        if (rc == SW_RUN_ACTIVE) {
            /* Nothing ready and nothing waiting: the graph cannot progress. */
            return sw_error_set(err, SW_ERUNTIME, "run %lld cannot progress", (long long)run_id);
        }
        int64_t now = sw_clock_now_ms();
        if (wake >= SW_WAKE_HELD) {
            return SW_RUN_HELD; /* waits for a confirmation: not something to sleep through */
        }
        if (wake > now) {
            int64_t ms = wake - now;
            struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
            nanosleep(&ts, NULL);
        }
    }
}

int sw_engine_run(struct sw_engine *eng, const struct sw_campaign *c, int64_t campaign_id,
                  const struct sw_run_opts *opts, int64_t *run_id, struct sw_error *err)
{
    int rc = sw_engine_start(eng, c, campaign_id, opts, run_id, err);
    if (rc < 0) {
        return rc;
    }
    return sw_engine_continue(eng, c, campaign_id, *run_id, opts, err);
}

json_t *sw_engine_counts(struct sw_engine *eng, int64_t run_id)
{
    json_t *counts = json_object();
    struct sw_task_row *rows = NULL;
    size_t n = 0;
    if (sw_catalog_tasks(eng->cat, run_id, &rows, &n, NULL) < 0) {
        return counts;
    }
    for (size_t i = 0; i < n; i++) {
        if (rows[i].status != SW_TASK_STATUS_COMPLETED) {
            continue;
        }
        json_t *outputs = rows[i].outputs ? json_loads(rows[i].outputs, 0, NULL) : json_object();
        json_object_set_new(counts, rows[i].activity, counts_of(outputs));
        json_decref(outputs);
    }
    sw_task_rows_free(rows, n);
    return counts;
}
