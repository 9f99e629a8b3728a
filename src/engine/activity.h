/*
 * activity.h - the execution side of an activity type (the table of functions and the
 * validation context are the model's: model/activity.h; each type is one file under
 * engine/activities/ and one line in registry.c): the execution context with the helpers
 * activities use to write work tables, and the registry.
 *
 * Work tables: "wt_<run>_<activity index>_<port index>" in the data source, columns "_key"
 * (the dimension's primary key, PRIMARY KEY) then the shape's extra columns in order.
 * A port may also alias an upstream table (pass-through activities copy nothing).
 */
#ifndef SW_ACTIVITY_H
#define SW_ACTIVITY_H

#include "core/buf.h"
#include "core/error.h"
#include "db/db.h"
#include "model/activity.h"
#include "model/campaign.h"
#include "model/filter.h"
#include "model/shape.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* ---- execution ---- */

struct sw_input {
    const char *from;   /* upstream activity id */
    const char *port;
    const char *table;  /* work table of the population; NULL when the transition is inactive */
    int64_t count;
    const struct sw_shape *shape;
};

struct sw_port_result {
    char *port;
    char *table;   /* NULL when only counted */
    int64_t count;
    bool emitted;  /* false: no transition follows (test no-match, split skip_empty) */
    bool owned;    /* table was created by this task (dropped with the run) */
};

struct sw_catalog;

struct sw_exec {
    struct sw_db *db;                 /* the data source (work tables live here) */
    struct sw_catalog *cat;
    const struct sw_schema *schema;
    const struct sw_campaign *campaign;
    const struct sw_activity *act;
    int64_t campaign_id;
    int64_t run_id;
    int64_t task_id;
    uint64_t seed;                    /* recorded in the run: seeded sampling */
    int64_t now_ms;                   /* the run's start: every relative date of a run (within_last,
                                         "-18y") is measured from it, so all its activities,
                                         and a resumed run, see the same cutoffs */
    int64_t prev_run_started_ms;      /* start of the previous run of this campaign, 0 if none */
    const json_t *variables;          /* declared variables with overrides */
    bool dry_run;                     /* simulate: nothing saved, exported or sent */
    const struct sw_input *inputs;
    size_t ninputs;
    /* filled by the activity */
    struct sw_port_result *ports;
    size_t nports;
    int64_t wake_at_ms;               /* when a waiting task is run again (its previous value on
                                         entry, 0 the first time) */
    bool waiting;                     /* set by an activity that is not done: the engine keeps
                                         the task running and comes back at wake_at_ms (at
                                         once if that has passed meanwhile) */
    struct sw_error *err;
    const struct sw_config *config;   /* settings (export_dir, alert_webhook, ...) */
    char **aud_tables;                /* audience tables looked up while compiling filters */
    size_t naud;
};

struct sw_keyring;

/* Settings the engine passes to activities (a subset of SPEC §5.1). */
struct sw_config {
    const char *export_dir;
    const char *alert_webhook;
    const char *smtp_url;      /* email delivery; NULL: email activities fail, sending nothing */
    int smtp_connections;
    bool smtp_no_pipelining;   /* smtp_pipelining = off: libcurl even for a plain relay */
    int send_window_rows;      /* rows marked sending at most per activity; 0: 32 per connection */
    const char *frequency_cap; /* "3/7d" or NULL */
    const char *sms_url;       /* HTTP JSON providers; NULL: those activities fail clearly */
    const char *push_url;
    int http_connections;      /* parallel requests to sms_url/push_url */
    double smtp_rate;          /* per-provider messages per second, 0 = unlimited */
    double sms_rate;
    double push_rate;
    const char *list_unsubscribe; /* List-Unsubscribe URL template, or NULL */
    const char *confirm;       /* CLI: activities released from confirm_before_send
                                  ("mail,sms" or "all") */
    const char *schema_hints;  /* CLI: the schema hints file, or NULL */
    const char *public_url;    /* the public listener's base URL, or NULL (no one-click links) */
    const struct sw_keyring *keyring; /* signs the public listener's links (with public_url) */
};
/* A task held until someone confirms it (confirm_before_send) wakes at this time: never on
 * its own. */
#define SW_WAKE_HELD INT64_C(253402300799000) /* 9999-12-31T23:59:59Z */

/* Name of the work table for `port` of this task (malloc'd, not created). */
char *sw_exec_table_name(const struct sw_exec *ex, const char *port);
/* Create the work table for `port` with the activity's output shape, register the port and
 * return the table name (owned by ex). NULL on error (err set). */
const char *sw_exec_new_table(struct sw_exec *ex, const char *port);
/* Create the work table for `port` (as sw_exec_new_table) and append to sql the head of the
 * statement that fills its keys: INSERT INTO "<table>" (_key) . 0, or SW_EDB (err set). */
int sw_exec_insert_keys(struct sw_exec *ex, const char *port, struct sw_buf *sql);
/* Same with an explicit shape (the engine owns nothing of it). */
const char *sw_exec_new_table_shape(struct sw_exec *ex, const char *port,
                                    const struct sw_shape *shape);
/* Register a port that reuses an existing table (pass-through). */
void sw_exec_port_alias(struct sw_exec *ex, const char *port, const char *table, int64_t count);
/* Register a port known only by its count (not connected, so not materialised). */
void sw_exec_port_count(struct sw_exec *ex, const char *port, int64_t count);
/* Set the count of a registered port; mark a port not emitted. */
void sw_exec_set_count(struct sw_exec *ex, const char *port, int64_t count);
void sw_exec_port_not_emitted(struct sw_exec *ex, const char *port);
bool sw_exec_port_connected(const struct sw_exec *ex, const char *port);
/* Whether a port's population must be a table: it is connected, or the campaign keeps interim
 * results so that every port can be sampled (an optional port nobody reads is only counted). */
bool sw_exec_port_kept(const struct sw_exec *ex, const char *port);
/* Execute SQL with params in the task's transaction; *changes may be NULL. */
int sw_exec_sql(struct sw_exec *ex, const char *sql, const struct sw_params *params,
                int64_t *changes);
int sw_exec_count(struct sw_exec *ex, const char *table, int64_t *count);
/* A filter context over a population: dimension row alias "d", work-table alias "w". */
void sw_exec_filter_ctx(const struct sw_exec *ex, const struct sw_shape *shape,
                        const char *dim_alias, const char *cols_alias,
                        struct sw_filter_ctx *fc);
/* Append "<alias>._key, <alias>."c1", ..." for the columns of shape. */
void sw_exec_select_cols(struct sw_buf *sql, const struct sw_shape *shape, const char *alias);
/* Append "_key, "c1", ..." (insert column list) for shape. */
void sw_exec_insert_cols(struct sw_buf *sql, const struct sw_shape *shape);
/* Append "INSERT INTO <table> (_key, cols) SELECT <alias>._key, <alias>.cols" for shape. */
void sw_exec_insert_select(const struct sw_exec *ex, struct sw_buf *sql, const char *table,
                           const struct sw_shape *shape, const char *alias);
/* Append "[NOT ]EXISTS (SELECT 1 FROM <table> x WHERE x._key = w._key)": membership of the
 * current row (alias w) in another work table, a primary-key lookup. */
void sw_exec_key_in(struct sw_buf *sql, bool negate, const char *table);
/* Append "<table> w JOIN <dimension> d ON d.<pk> = w._key". */
void sw_exec_from_input(const struct sw_exec *ex, struct sw_buf *sql, const struct sw_input *in,
                        const char *walias, const char *dalias);
/* ---- long-running activities ----
 *
 * The rule: a task is one transaction. The engine opens it before `execute` and, when execute
 * returns, commits it with the task's outputs and status, so a crash leaves a task either
 * completed with its work tables or not started. No activity commits, with one exception:
 * a long-running activity (kind SW_ACT_CHANNEL, deliver.c) whose progress must survive a
 * crash before the task ends, because what it did (messages handed to a provider) cannot be
 * rolled back. It calls sw_exec_checkpoint, once per execution:
 *
 *   1. the task's transaction so far is committed (a checkpoint): for a channel task, its
 *      ledger rows (catalog/ledger.h) and rows a previous crash left `sending` made `unknown`;
 *      the task stays `running` in the catalog;
 *   2. progress(ud) runs outside any engine transaction: it may commit transactions of its
 *      own on ex->db, touching only rows the task owns (its ledger rows: outcomes and claims),
 *      and sets ex->waiting / ex->wake_at_ms when the task must come back;
 *   3. the task's transaction is opened again, in which the activity writes its ports and the
 *      engine completes the task (or records its wake-up time).
 *
 * A crash between two commits: before the checkpoint, nothing of the task remains and it runs
 * again from the start. After it, every commit of progress stands: rows `pending` are sent on
 * restart, rows `sending` (claimed, at most one window) become `unknown` and are never resent
 * on our own, rows sent, failed or waiting for a retry keep their state; the task, still
 * `running`, is executed again by whoever claims the run, finds its ledger filled, and goes on
 * from there. A crash in the last transaction leaves the task running with its rows settled:
 * executed again, it sends nothing and completes.
 *
 * Any other kind of activity gets SW_EINVAL and nothing is committed. progress may be NULL
 * (a checkpoint only). Returns progress's result, or the error of a commit or of re-opening. */
int sw_exec_checkpoint(struct sw_exec *ex, int (*progress)(void *ud), void *ud);

/* Log a line for this run/activity in the catalog (and stderr in verbose mode). */
void sw_exec_log(struct sw_exec *ex, const char *level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Set err and return SW_ERUNTIME. */
int sw_exec_fail(struct sw_exec *ex, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- the registry ---- */

/* The registry the engine fills (registry.c): what sw_campaign_load is given. */
extern const struct sw_activity_registry sw_engine_activities;
const struct sw_activity_type *sw_activity_type_find(const char *name);
/* Comma-separated list of known type names, for error messages. */
const char *sw_activity_type_names(void);
/* Helpers for ports(): a NULL-terminated array of names. */
char **sw_ports_make(const char *first, ...); /* NULL-terminated varargs */
void sw_ports_push(char ***ports, const char *name);
/* The "port" of each element of the array `key` of def that has one, pushed in order. */
void sw_ports_push_each(char ***ports, const json_t *def, const char *key);

#endif
