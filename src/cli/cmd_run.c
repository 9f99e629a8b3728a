/*
 * cmd_run.c - `stepwise run FILE --data URL`: run one campaign in the foreground, with a
 * progress display on a terminal, then the per-transition counts and the task table (or
 * one JSON object with --json). The run is recorded in the catalog under the campaign of
 * the same name (created if absent), so incremental targeting sees earlier runs.
 */
#include "catalog/campaigns.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "catalog/ledger.h"
#include "catalog/logs.h"
#include "catalog/runs.h"
#include "channels/token.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/util.h"
#include "db/db.h"
#include "engine/engine.h"
#include "model/campaign.h"
#include "schema/schema.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* After the synopsis and summary of the table of commands (common.c). */
static const char usage_text[] =
    "\n"
    "  --data URL            data source (a SQLite file path or sqlite:PATH)\n"
    "  --dry-run             simulate: targeting runs and reports counts; nothing is saved,\n"
    "                        exported or sent\n"
    "  --json                print {\"run\", \"counts\", \"tasks\"} as one JSON object\n"
    "  --var NAME=VALUE      override a declared variable (repeatable)\n"
    "  --seed N              seed for random sampling (default: a random seed, recorded)\n"
    "  --export-dir DIR      where export activities write  [STEPWISE_EXPORT_DIR]\n"
    "  --alert-webhook URL   where alert activities post    [STEPWISE_ALERT_WEBHOOK]\n"
    "  --smtp-url URL, --smtp-connections N, --sms-url URL, --push-url URL,\n"
    "  --http-connections N, --frequency-cap RULE, --smtp-rate-per-second R,\n"
    "  --sms-rate-per-second R, --push-rate-per-second R, --list-unsubscribe URL,\n"
    "  --smtp-pipelining on|off, --send-window-rows N\n"
    "                        channel settings (see 'stepwise serve --help')\n"
    "  --public-url URL      the public listener's base URL (see 'stepwise serve --help'):\n"
    "                        every email carries its one-click unsubscribe link\n"
    "  --schema-hints FILE   what the database does not say (links, types, labels, views,\n"
    "                        hidden fields: docs/ARCHITECTURE.md \"Schema hints\")\n"
    "                        [STEPWISE_SCHEMA_HINTS]\n"
    "  --confirm ACTIVITY    release a channel activity held by confirm_before_send\n"
    "                        (comma-separated ids, or all)\n"
    "Exit status: 0 the run completed, 1 it failed or the input is invalid, 2 usage error.\n";

/* The channel settings run and resume share (see 'stepwise serve --help'): flags handled by
 * channel_option by these codes, defaults from STEPWISE_<NAME>. */
enum {
    OPT_SMTP_URL = 1,
    OPT_SMTP_CONNS,
    OPT_SMS_URL,
    OPT_PUSH_URL,
    OPT_HTTP_CONNS,
    OPT_FREQ_CAP,
    OPT_SMTP_RATE,
    OPT_SMS_RATE,
    OPT_PUSH_RATE,
    OPT_UNSUB,
    OPT_CONFIRM,
    OPT_SCHEMA_HINTS,
    OPT_PUBLIC_URL,
    OPT_SMTP_PIPELINING,
    OPT_SEND_WINDOW_ROWS
};
static int channel_option(int opt, const char *arg, struct sw_config *config, const char *cmd)
{
    int64_t n = 0;
    double r = 0;
    char *end = NULL;
    switch (opt) {
    case OPT_SMTP_URL:
        config->smtp_url = arg;
        return sw_cli_check_smtp_url(cmd, "--smtp-url", arg);
    case OPT_SMS_URL:
        config->sms_url = arg;
        return sw_cli_check_http_url(cmd, "--sms-url", arg);
    case OPT_PUSH_URL:
        config->push_url = arg;
        return sw_cli_check_http_url(cmd, "--push-url", arg);
    case OPT_SMTP_CONNS:
    case OPT_HTTP_CONNS:
        if (sw_parse_int64(arg, &n) < 0 || n < 1 || n > 1024) {
            fprintf(stderr, "stepwise %s: --%s-connections expects 1..1024\n", cmd,
                    opt == OPT_SMTP_CONNS ? "smtp" : "http");
            return -1;
        }
        *(opt == OPT_SMTP_CONNS ? &config->smtp_connections : &config->http_connections) = (int)n;
        return 0;
    case OPT_SMTP_RATE:
    case OPT_SMS_RATE:
    case OPT_PUSH_RATE:
        r = strtod(arg, &end);
        if (!*arg || *end || !(r > 0) || r > 1e6) {
            fprintf(stderr, "stepwise %s: --%s-rate-per-second expects a positive number\n", cmd,
                    opt == OPT_SMTP_RATE  ? "smtp"
                    : opt == OPT_SMS_RATE ? "sms"
                                          : "push");
            return -1;
        }
        *(opt == OPT_SMTP_RATE  ? &config->smtp_rate
          : opt == OPT_SMS_RATE ? &config->sms_rate
                                : &config->push_rate) = r;
        return 0;
    case OPT_UNSUB:
        config->list_unsubscribe = arg;
        return 0;
    case OPT_CONFIRM:
        config->confirm = arg;
        return 0;
    case OPT_SCHEMA_HINTS:
        config->schema_hints = arg;
        return 0;
    case OPT_PUBLIC_URL:
        config->public_url = arg;
        return sw_cli_check_http_url(cmd, "--public-url", arg);
    case OPT_SMTP_PIPELINING: {
        bool on = true;
        int rc = sw_cli_parse_on_off(cmd, "--smtp-pipelining", arg, &on);
        config->smtp_no_pipelining = !on;
        return rc;
    }
    case OPT_SEND_WINDOW_ROWS:
        if (sw_parse_int64(arg, &n) < 0 || n < 2 || n > 100000) {
            fprintf(stderr, "stepwise %s: --send-window-rows expects 2..100000\n", cmd);
            return -1;
        }
        config->send_window_rows = (int)n;
        return 0;
    default: {
        struct sw_frequency_caps caps;
        struct sw_error e = SW_ERROR_INIT;
        config->frequency_cap = arg;
        if (sw_frequency_caps_parse(arg, &caps, &e) < 0) {
            fprintf(stderr, "stepwise %s: --frequency-cap: %s\n", cmd, e.message);
            sw_error_release(&e);
            return -1;
        }
        return 0;
    }
    }
}

/* Defaults from the environment (STEPWISE_<NAME>), checked like the flags. -1 after a
 * message naming the variable. */
static int channel_defaults(struct sw_config *config, const char *cmd)
{
    static const struct {
        const char *env;
        int opt;
    } envs[] = {
        {"STEPWISE_SMTP_URL", OPT_SMTP_URL},
        {"STEPWISE_SMTP_CONNECTIONS", OPT_SMTP_CONNS},
        {"STEPWISE_SMS_URL", OPT_SMS_URL},
        {"STEPWISE_PUSH_URL", OPT_PUSH_URL},
        {"STEPWISE_HTTP_CONNECTIONS", OPT_HTTP_CONNS},
        {"STEPWISE_FREQUENCY_CAP", OPT_FREQ_CAP},
        {"STEPWISE_SMTP_RATE_PER_SECOND", OPT_SMTP_RATE},
        {"STEPWISE_SMS_RATE_PER_SECOND", OPT_SMS_RATE},
        {"STEPWISE_PUSH_RATE_PER_SECOND", OPT_PUSH_RATE},
        {"STEPWISE_LIST_UNSUBSCRIBE", OPT_UNSUB},
        {"STEPWISE_SCHEMA_HINTS", OPT_SCHEMA_HINTS},
        {"STEPWISE_PUBLIC_URL", OPT_PUBLIC_URL},
        {"STEPWISE_SMTP_PIPELINING", OPT_SMTP_PIPELINING},
        {"STEPWISE_SEND_WINDOW_ROWS", OPT_SEND_WINDOW_ROWS},
    };
    config->export_dir = getenv("STEPWISE_EXPORT_DIR");
    config->alert_webhook = getenv("STEPWISE_ALERT_WEBHOOK");
    config->smtp_connections = config->http_connections = 4;
    for (size_t i = 0; i < sizeof(envs) / sizeof(envs[0]); i++) {
        const char *v = getenv(envs[i].env);
        if (v && *v && channel_option(envs[i].opt, v, config, cmd) < 0) {
            fprintf(stderr, "stepwise %s: (the value comes from %s)\n", cmd, envs[i].env);
            return -1;
        }
    }
    return 0;
}

/* What a channel flag's handler needs: the settings it fills, the command it reports for. */
struct channel_ctx {
    struct sw_config *config;
    const char *cmd;
};

static int channel_flag(const struct sw_cli_flag *f, const char *value)
{
    const struct channel_ctx *ctx = f->ud;
    return channel_option(f->code, value, ctx->config, ctx->cmd) < 0 ? SW_CLI_FAIL : 0;
}

/* clang-format off */
#define CHANNEL_FLAG(n, c, x) {.name = (n), .call = channel_flag, .ud = (x), .code = (c)}
#define CHANNEL_FLAGS(ctx)                                                                         \
    CHANNEL_FLAG("smtp-url", OPT_SMTP_URL, ctx),                                                   \
    CHANNEL_FLAG("smtp-connections", OPT_SMTP_CONNS, ctx),                                         \
    CHANNEL_FLAG("sms-url", OPT_SMS_URL, ctx),                                                     \
    CHANNEL_FLAG("push-url", OPT_PUSH_URL, ctx),                                                   \
    CHANNEL_FLAG("http-connections", OPT_HTTP_CONNS, ctx),                                         \
    CHANNEL_FLAG("frequency-cap", OPT_FREQ_CAP, ctx),                                              \
    CHANNEL_FLAG("smtp-rate-per-second", OPT_SMTP_RATE, ctx),                                      \
    CHANNEL_FLAG("sms-rate-per-second", OPT_SMS_RATE, ctx),                                        \
    CHANNEL_FLAG("push-rate-per-second", OPT_PUSH_RATE, ctx),                                      \
    CHANNEL_FLAG("list-unsubscribe", OPT_UNSUB, ctx),                                              \
    CHANNEL_FLAG("confirm", OPT_CONFIRM, ctx),                                                     \
    CHANNEL_FLAG("public-url", OPT_PUBLIC_URL, ctx),                                               \
    CHANNEL_FLAG("smtp-pipelining", OPT_SMTP_PIPELINING, ctx),                                     \
    CHANNEL_FLAG("send-window-rows", OPT_SEND_WINDOW_ROWS, ctx),                                   \
    CHANNEL_FLAG("schema-hints", OPT_SCHEMA_HINTS, ctx)
/* clang-format on */

struct progress {
    int tty;
};

static void on_progress(void *ud, const struct sw_task_event *ev)
{
    struct progress *p = ud;
    if (!p->tty) {
        return;
    }
    if (!strcmp(ev->status, sw_task_status_text(SW_TASK_STATUS_RUNNING))) {
        fprintf(stderr, "  ... %-24s %-16s\r", ev->activity, ev->type);
        return;
    }
    fprintf(stderr, "  %s %-24s %-16s",
            !strcmp(ev->status, sw_task_status_text(SW_TASK_STATUS_COMPLETED)) ? "ok " : ev->status,
            ev->activity, ev->type);
    const char *port;
    json_t *v;
    json_object_foreach((json_t *)ev->counts, port, v)
    {
        fprintf(stderr, " %s=%lld", port, (long long)json_integer_value(v));
    }
    if (ev->elapsed_ms) {
        fprintf(stderr, "  %.2fs", (double)ev->elapsed_ms / 1000.0);
    }
    if (ev->error) {
        fprintf(stderr, "\n      %s", ev->error);
    }
    fputc('\n', stderr);
}

/* --var NAME=VALUE: the value takes the type of the declared variable. */
static int parse_var(const char *arg, const json_t *declared, json_t *overrides,
                     struct sw_error *err)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        return sw_error_set(err, SW_EUSAGE, "--var expects NAME=VALUE, got \"%s\"", arg);
    }
    char *name = sw_strndup(arg, (size_t)(eq - arg));
    const char *val = eq + 1;
    const json_t *d = json_object_get(declared, name);
    json_t *v = NULL;
    int rc = 0;
    if (!d) {
        rc = sw_error_set(err, SW_EVALIDATION, "--var %s: the campaign declares no such variable",
                          name);
    } else if (json_is_integer(d) || json_is_real(d)) {
        char *end = NULL;
        double x = strtod(val, &end);
        if (!*val || *end) {
            rc = sw_error_set(err, SW_EVALIDATION, "--var %s: \"%s\" is not a number", name, val);
        } else {
            int64_t i;
            v = sw_parse_int64(val, &i) == 0 ? json_integer(i) : json_real(x);
        }
    } else if (json_is_boolean(d)) {
        if (strcmp(val, "true") && strcmp(val, "false")) {
            rc = sw_error_set(err, SW_EVALIDATION, "--var %s: expected true or false", name);
        } else {
            v = json_boolean(!strcmp(val, "true"));
        }
    } else {
        v = json_string(val);
        if (!v) {
            rc = sw_error_set(err, SW_EVALIDATION, "--var %s: not valid UTF-8", name);
        }
    }
    if (v) {
        json_object_set_new(overrides, name, v);
    }
    free(name);
    return rc;
}

static void print_table(const struct sw_campaign *c, json_t *counts, json_t *tasks, int64_t run_id,
                        const char *status)
{
    printf("run %lld %s\n\ntransitions:\n", (long long)run_id, status);
    for (size_t t = 0; t < c->ntrans; t++) {
        json_t *n = json_object_get(json_object_get(counts, c->trans[t].from), c->trans[t].port);
        printf("  %-20s --%s--> %-20s %s%lld\n", c->trans[t].from, c->trans[t].port, c->trans[t].to,
               n ? "" : "(not run) ", (long long)json_integer_value(n));
    }
    printf("\ntasks:\n  %-22s %-16s %-10s %10s  %s\n", "activity", "type", "status", "input",
           "outputs");
    size_t i;
    json_t *task;
    json_array_foreach(tasks, i, task)
    {
        printf("  %-22s %-16s %-10s %10lld ", json_string_value(json_object_get(task, "activity")),
               json_string_value(json_object_get(task, "type")),
               json_string_value(json_object_get(task, "status")),
               (long long)json_integer_value(json_object_get(task, "input_count")));
        const char *port;
        json_t *v;
        json_object_foreach(json_object_get(task, "counts"), port, v)
        {
            printf(" %s=%lld", port, (long long)json_integer_value(v));
        }
        const char *e = json_string_value(json_object_get(task, "error"));
        if (e) {
            printf("\n      error: %s", e);
        }
        putchar('\n');
    }
}

/* The run's outcome: one JSON object (--json) or the transition and task tables; a failed
 * task is named on stderr either way. */
static void report(struct sw_engine *eng, const struct sw_campaign *camp, int64_t run_id, int state,
                   int json_out, int dry)
{
    const char *status = sw_run_status_text(state == SW_RUN_COMPLETED ? SW_RUN_STATUS_COMPLETED
                                            : state == SW_RUN_HELD    ? SW_RUN_STATUS_RUNNING
                                                                      : SW_RUN_STATUS_FAILED);
    json_t *counts = sw_engine_counts(eng, run_id);
    json_t *tasks = sw_catalog_tasks_json(eng->cat, run_id);
    if (json_out) {
        json_t *o =
            json_pack("{s:{s:I, s:s, s:b}, s:O, s:O}", "run", "id", (json_int_t)run_id, "status",
                      status, "simulation", dry, "counts", counts, "tasks", tasks);
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        puts(s);
        free(s);
        json_decref(o);
    } else {
        print_table(camp, counts, tasks, run_id, status);
    }
    if (state == SW_RUN_FAILED) {
        size_t i;
        json_t *t;
        json_array_foreach(tasks, i, t)
        {
            if (sw_streq(json_string_value(json_object_get(t, "status")),
                         sw_task_status_text(SW_TASK_STATUS_FAILED))) {
                fprintf(stderr, "stepwise: run %lld failed at activity \"%s\": %s\n",
                        (long long)run_id, json_string_value(json_object_get(t, "activity")),
                        json_string_value(json_object_get(t, "error")));
            }
        }
    }
    if (state == SW_RUN_HELD) {
        fprintf(stderr,
                "stepwise: run %lld waits for a confirmation (confirm_before_send): continue it "
                "with 'stepwise resume %lld --data URL --confirm ACTIVITY', or confirm it from "
                "the API (POST /api/v1/runs/%lld/activities/ACTIVITY/confirm)\n",
                (long long)run_id, (long long)run_id, (long long)run_id);
    }
    json_decref(counts);
    json_decref(tasks);
}

/* What run and resume open: the data source, its schema (with the schema hints), the
 * catalog, the keyring when emails carry signed links; then the campaign and its variables. */
struct session {
    struct sw_config config;
    struct sw_keyring keyring;
    struct sw_db *db;
    struct sw_schema *schema;
    struct sw_catalog *cat;
    struct sw_campaign *camp;
    json_t *variables;
};

static int session_open(struct session *s, const char *data, struct sw_error *err)
{
    if (sw_db_open(data, &s->db, err) < 0 ||
        sw_schema_discover_hinted(s->db, s->config.schema_hints, &s->schema, err) < 0 ||
        sw_catalog_open(s->db, &s->cat, err) < 0 ||
        (s->config.public_url && sw_keyring_load(s->db, &s->keyring, true, err) < 0)) {
        return -1;
    }
    s->config.keyring = &s->keyring;
    return 0;
}

static void session_close(struct session *s)
{
    json_decref(s->variables);
    sw_campaign_free(s->camp);
    sw_catalog_free(s->cat);
    sw_schema_free(s->schema);
    sw_db_close(s->db);
}

/* Start a run (run_id 0) or continue one to its end with the progress display, and report
 * it: the exit code, or -1 with err set. */
static int drive(struct session *s, int64_t campaign_id, int64_t run_id, struct sw_run_opts *ro,
                 int json_out, struct sw_error *err)
{
    const struct sw_campaign *camp = s->camp;
    struct progress prog = {!json_out && isatty(STDERR_FILENO)};
    struct sw_engine eng = {s->db, s->cat, s->schema, &s->config};
    ro->trigger = "cli";
    ro->variables = s->variables;
    ro->progress = on_progress;
    ro->ud = &prog;
    int state = run_id ? sw_engine_continue(&eng, camp, campaign_id, run_id, ro, err)
                       : sw_engine_run(&eng, camp, campaign_id, ro, &run_id, err);
    if (state < 0) {
        return -1;
    }
    report(&eng, camp, run_id, state, json_out, ro->dry_run);
    return state == SW_RUN_COMPLETED ? 0 : 1;
}

/* run's --var (repeatable) and --seed. */
struct run_args {
    const char **vars;
    size_t nvars;
    int64_t seed;
};

static int var_flag(const struct sw_cli_flag *f, const char *value)
{
    struct run_args *a = f->ud;
    a->vars[a->nvars++] = value;
    return 0;
}

static int seed_flag(const struct sw_cli_flag *f, const char *value)
{
    struct run_args *a = f->ud;
    if (sw_parse_int64(value, &a->seed) < 0 || a->seed <= 0) {
        fprintf(stderr, "stepwise run: --seed expects a positive integer\n");
        return SW_CLI_FAIL;
    }
    return 0;
}

int sw_cmd_run(int argc, char **argv)
{
    const char *data = NULL;
    int json_out = 0, dry = 0, rc = 1;
    struct session ses = {0};
    int env_ok = channel_defaults(&ses.config, "run");
    struct run_args args = {sw_calloc((size_t)argc + 1, sizeof(char *)), 0, 0};
    struct channel_ctx ctx = {&ses.config, "run"};
    struct sw_error err = SW_ERROR_INIT;
    json_t *overrides = json_object();
    char *text = NULL, *doc = NULL;
    size_t len = 0;
    int64_t campaign_id = 0;
    const struct sw_cli_flag flags[] = {
        SW_CLI_TEXT("data", &data),
        SW_CLI_SET("dry-run", &dry),
        SW_CLI_SET("json", &json_out),
        {.name = "var", .call = var_flag, .ud = &args},
        {.name = "seed", .call = seed_flag, .ud = &args},
        SW_CLI_TEXT("export-dir", &ses.config.export_dir),
        SW_CLI_TEXT("alert-webhook", &ses.config.alert_webhook),
        CHANNEL_FLAGS(&ctx),
        SW_CLI_END,
    };
    rc = sw_cli_parse("run", argc, argv, flags, usage_text);
    if (rc != SW_CLI_GO) {
        goto out;
    }
    rc = 1;
    if (env_ok < 0) {
        rc = 2;
        goto out;
    }
    if (optind != argc - 1) {
        rc = sw_cli_usage_error("run", "expected exactly one FILE");
        goto out;
    }
    if (sw_cli_need_data("run", &data)) {
        rc = 2;
        goto out;
    }
    const char *file = argv[optind];
    if (sw_read_file(file, &text, &len) < 0) {
        sw_error_set(&err, SW_EIO, "cannot read %s", file);
        goto fail;
    }
    if (session_open(&ses, data, &err) < 0 ||
        sw_campaign_load(text, len, &sw_engine_activities, ses.schema, sw_clock_now_ms(), &ses.camp,
                         &err) < 0) {
        goto fail;
    }
    for (size_t i = 0; i < args.nvars; i++) {
        if (parse_var(args.vars[i], ses.camp->variables, overrides, &err) < 0) {
            rc = err.code == SW_EUSAGE ? 2 : 1;
            sw_cli_print_error(NULL, &err);
            goto out;
        }
    }
    if (!(ses.variables = sw_campaign_variables(ses.camp, overrides, &err))) {
        goto fail;
    }
    doc = sw_campaign_serialize(ses.camp);
    if (sw_catalog_campaign_upsert(ses.cat, ses.camp->name, doc, ses.camp->dimension,
                                   sw_clock_now_ms(), &campaign_id, &err) < 0) {
        goto fail;
    }
    struct sw_run_opts ro = {.dry_run = dry, .seed = (uint64_t)args.seed};
    if ((rc = drive(&ses, campaign_id, 0, &ro, json_out, &err)) >= 0) {
        goto out;
    }
fail:
    rc = 1;
    sw_cli_print_error(NULL, &err);
out:
    json_decref(overrides);
    session_close(&ses);
    free(doc);
    free(text);
    free(args.vars);
    sw_error_release(&err);
    return rc;
}

static const char resume_text[] =
    "\n"
    "A run is interrupted when its process was killed or the machine stopped. It continues\n"
    "with the document and variables it started with: completed tasks are not repeated; a\n"
    "task cut in the middle is run again from scratch.\n"
    "\n"
    "  --data URL            data source (a SQLite file path or sqlite:PATH)\n"
    "  --json                print {\"run\", \"counts\", \"tasks\"} as one JSON object\n"
    "  --export-dir DIR, --alert-webhook URL and the channel settings: as for 'stepwise run'\n"
    "  --confirm ACTIVITY    release a channel activity held by confirm_before_send\n"
    "Exit status: 0 the run completed, 1 it failed or cannot continue, 2 usage error.\n";

/* Load what a run needs to continue: its campaign, document snapshot and variables. */
static int load_run(struct sw_catalog *cat, int64_t run_id, struct sw_run_row *run,
                    struct sw_error *err)
{
    int rc = sw_catalog_run_get(cat, run_id, true, run, err);
    if (rc == SW_ENOTFOUND) {
        rc = sw_error_set(err, SW_ENOTFOUND, "no run %lld in this data source", (long long)run_id);
    }
    return rc;
}

/* --confirm on resume: held channel tasks named in the list wake now (they record the
 * confirmation themselves when they run). */
static int release_held(struct sw_catalog *cat, int64_t run_id, const char *list,
                        struct sw_error *err)
{
    struct sw_task_row *tasks = NULL;
    size_t n = 0;
    int rc = sw_catalog_tasks(cat, run_id, &tasks, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (tasks[i].wake_at == SW_WAKE_HELD && tasks[i].activity &&
            sw_csv_has(list, tasks[i].activity)) {
            rc = sw_catalog_task_wake(cat, run_id, tasks[i].activity, 0, err);
        }
    }
    sw_task_rows_free(tasks, n);
    return rc;
}

int sw_cmd_resume(int argc, char **argv)
{
    const char *data = getenv("STEPWISE_DATA");
    int json_out = 0, rc = 1;
    int64_t run_id = 0;
    struct session ses = {0};
    int env_ok = channel_defaults(&ses.config, "resume");
    struct channel_ctx ctx = {&ses.config, "resume"};
    struct sw_error err = SW_ERROR_INIT;
    struct sw_run_row run = {0};
    const struct sw_cli_flag flags[] = {
        SW_CLI_TEXT("data", &data),
        SW_CLI_SET("json", &json_out),
        SW_CLI_TEXT("export-dir", &ses.config.export_dir),
        SW_CLI_TEXT("alert-webhook", &ses.config.alert_webhook),
        CHANNEL_FLAGS(&ctx),
        SW_CLI_END,
    };
    int go = sw_cli_parse("resume", argc, argv, flags, resume_text);
    if (go != SW_CLI_GO) {
        return go;
    }
    if (env_ok < 0) {
        return 2;
    }
    if (optind != argc - 1 || sw_parse_int64(argv[optind], &run_id) < 0 || !data) {
        return sw_cli_usage_error("resume", "expected a RUN_ID and --data URL");
    }
    if (session_open(&ses, data, &err) < 0 || load_run(ses.cat, run_id, &run, &err) < 0) {
        goto fail;
    }
    if (run.status != SW_RUN_STATUS_RUNNING) {
        sw_error_set(&err, SW_ECONFLICT, "run %lld is %s, not running", (long long)run_id,
                     sw_run_status_text(run.status));
        goto fail;
    }
    const char *doc = run.document ? run.document : "";
    if (sw_campaign_load(doc, strlen(doc), &sw_engine_activities, ses.schema, sw_clock_now_ms(),
                         &ses.camp, &err) < 0) {
        goto fail;
    }
    ses.variables = run.variables ? json_loads(run.variables, 0, NULL) : json_object();
    struct sw_run_opts ro = {0};
    sw_catalog_log(ses.cat, "info", run.campaign_id, run_id, NULL, "run resumed");
    if (ses.config.confirm && release_held(ses.cat, run_id, ses.config.confirm, &err) < 0) {
        goto fail;
    }
    if ((rc = drive(&ses, run.campaign_id, run_id, &ro, json_out, &err)) >= 0) {
        goto out;
    }
fail:
    rc = 1;
    sw_cli_print_error(NULL, &err);
out:
    session_close(&ses);
    sw_run_row_release(&run);
    sw_error_release(&err);
    return rc;
}
