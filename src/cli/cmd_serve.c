/*
 * cmd_serve.c - `stepwise serve`: the daemon. Every setting comes from a flag, else an
 * environment variable STEPWISE_<NAME>, else the config file (--config FILE, lines of
 * "name = value", # comments), else its default. `stepwise demo` takes the same settings
 * through sw_serve_settings() (cli/serve.h) with defaults of its own.
 */
#include "cli/cli.h"
#include "cli/serve.h"
#include "core/log.h"
#include "core/util.h"
#include "scheduler/scheduler.h"
#include "server/auth.h"
#include "server/server.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct setting {
    const char *name;
    const char *dflt;
    const char *help;
};

static const struct setting settings[] = {
    {"data", NULL, "data source URL: a SQLite file path, sqlite:PATH (required)"},
    {"listen", "127.0.0.1:8080", "HOST:PORT for the API and UI (port 0: any free port)"},
    {"workers", "4", "threads executing runs"},
    {"http_threads", "4", "threads answering HTTP requests"},
    {"history_days", "30", "days of history kept when a campaign does not say"},
    {"export_dir", NULL, "directory export activities write into"},
    {"alert_webhook", NULL, "URL alert activities POST to"},
    {"smtp_url", NULL,
     "smtp://[user:pass@]host:port, smtps://..., or maildir:DIR to write each email into a "
     "Maildir"},
    {"smtp_connections", "4", "parallel SMTP connections"},
    {"smtp_pipelining", "on",
     "off: always libcurl, even for a plain relay that offers PIPELINING (on: the pipelined "
     "client for such relays)"},
    {"send_window_rows", NULL,
     "most messages of one channel activity marked sending at once, what a crash can leave "
     "unknown [default: 32 per connection, 64 to 4096]"},
    {"sms_url", NULL, "HTTP endpoint receiving one JSON POST per SMS"},
    {"push_url", NULL, "HTTP endpoint receiving one JSON POST per push notification"},
    {"http_connections", "4", "parallel requests to sms_url and push_url"},
    {"smtp_rate_per_second", NULL, "most emails per second to smtp_url, all activities together"},
    {"sms_rate_per_second", NULL, "most SMS per second to sms_url, all activities together"},
    {"push_rate_per_second", NULL, "most push notifications per second to push_url"},
    {"list_unsubscribe", NULL,
     "List-Unsubscribe URL or mailto: for every email; may use fields, e.g. {{id}}"},
    {"frequency_cap", NULL,
     "most messages per address and channel in a period, across campaigns: 3/7d, or per "
     "channel email:3/7d,sms:1/7d"},
    {"schema_hints", NULL,
     "JSON file of what the database does not say: links, types, labels, views, hidden "
     "fields (see stepwise schema --hints)"},
    {"public_listen", NULL,
     "HOST:PORT of the public listener (one-click unsubscribe), apart from the admin API"},
    {"public_url", NULL,
     "the base URL recipients reach the public listener by, e.g. https://mail.example.com; "
     "with it, every email carries a one-click List-Unsubscribe and {{unsubscribe_url}}"},
    {"track_ip", "off",
     "on: keep the client address of open and click events (off: no address is stored)"},
    {"soft_bounce_limit", "3",
     "soft bounces in a row (POST /api/v1/feedback) that suppress an address"},
    {"max_body", "1048576", "largest request body accepted, in bytes"},
    {"log_level", "info", "debug, info, warn or error"},
#ifdef SW_TEST_HOOKS
    /* Test-only settings: compiled into test builds only (CMake SW_TEST_HOOKS, make check's
     * ASan build), so that no setting of a release can lower the password-hash cost. */
    {"argon2_fast", "off", "test builds only: hash new passwords at Argon2id's minimum cost"},
#endif
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

void sw_serve_settings_help(FILE *f)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        char flag[64], env[64];
        size_t k;
        for (k = 0; settings[i].name[k] && k < sizeof(flag) - 1; k++) {
            flag[k] = settings[i].name[k] == '_' ? '-' : settings[i].name[k];
            env[k] = (char)toupper((unsigned char)settings[i].name[k]);
        }
        flag[k] = env[k] = '\0';
        /* name and variable on one line, what it is on the next: names are long */
        fprintf(f, "  --%-22s STEPWISE_%s\n      %s%s%s%s\n", flag, env, settings[i].help,
                settings[i].dflt ? " [default: " : "", settings[i].dflt ? settings[i].dflt : "",
                settings[i].dflt ? "]" : "");
    }
}

static void usage(FILE *f)
{
    sw_cli_usage_head(f, "serve");
    fputs("\nSettings (flag, or environment variable STEPWISE_<NAME>, or config file line\n"
          "\"name = value\" from --config FILE or STEPWISE_CONFIG; in that order):\n\n",
          f);
    sw_serve_settings_help(f);
    fputs("Exit status: 0 stopped by SIGINT or SIGTERM, 1 error, 2 usage error.\n", f);
}

static int find(const char *name)
{
    for (size_t i = 0; i < NSETTINGS; i++) {
        if (!strcmp(settings[i].name, name)) {
            return (int)i;
        }
    }
    return -1;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) {
        s++;
    }
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
    return s;
}

/* Config file values go into vals[] where nothing set them yet. */
static int read_config(const char *cmd, const char *path, char **vals)
{
    char *text = NULL;
    size_t len = 0;
    if (sw_read_file(path, &text, &len) < 0) {
        fprintf(stderr, "stepwise %s: cannot read --config %s\n", cmd, path);
        return 1;
    }
    int line = 0, rc = 0;
    for (char *s = text, *e; s && *s; s = e) {
        e = strchr(s, '\n');
        if (e) {
            *e++ = '\0';
        }
        line++;
        char *l = trim(s);
        if (!*l || *l == '#') {
            continue;
        }
        char *eq = strchr(l, '=');
        if (!eq) {
            fprintf(stderr, "stepwise %s: %s:%d: expected \"name = value\"\n", cmd, path, line);
            rc = 1;
            break;
        }
        *eq = '\0';
        char *name = trim(l), *value = trim(eq + 1);
        for (char *c = name; *c; c++) {
            *c = *c == '-' ? '_' : *c;
        }
        int i = find(name);
        if (i < 0) {
            fprintf(stderr, "stepwise %s: %s:%d: unknown setting \"%s\"\n", cmd, path, line,
                    name);
            rc = 1;
            break;
        }
        if (!vals[i]) {
            vals[i] = sw_strdup(value);
        }
    }
    free(text);
    return rc;
}

/* "--smtp-rate-per-second" for "smtp_rate_per_second": messages name the flag. */
static const char *flag_of(const char *name, char *buf, size_t n)
{
    size_t k = 0;
    for (; name[k] && k + 3 < n; k++) {
        buf[k + 2] = name[k] == '_' ? '-' : name[k];
    }
    buf[0] = buf[1] = '-';
    buf[k + 2] = '\0';
    return buf;
}

static int rate_setting(const char *cmd, const char *name, const char *v, double *out)
{
    char *end = NULL;
    *out = 0;
    if (!v) {
        return 0;
    }
    *out = strtod(v, &end);
    if (!*v || *end || !(*out > 0) || *out > 1e6) {
        char f[64];
        fprintf(stderr, "stepwise %s: %s must be a positive number, got \"%s\"\n", cmd,
                flag_of(name, f, sizeof(f)), v);
        return -1;
    }
    return 0;
}

static int int_setting(const char *cmd, const char *name, const char *v, int64_t min,
                       int64_t max, int64_t *out)
{
    if (sw_parse_int64(v, out) < 0 || *out < min || *out > max) {
        char f[64];
        fprintf(stderr, "stepwise %s: %s must be an integer between %lld and %lld, got \"%s\"\n",
                cmd, flag_of(name, f, sizeof(f)), (long long)min, (long long)max, v);
        return -1;
    }
    return 0;
}

/* The value of setting k in the environment (STEPWISE_<NAME>), or NULL when unset or empty. */
static const char *env_value(size_t k)
{
    char env[80];
    size_t n = 0;
    n += (size_t)snprintf(env, sizeof(env), "STEPWISE_");
    for (const char *c = settings[k].name; *c && n < sizeof(env) - 1; c++) {
        env[n++] = (char)toupper((unsigned char)*c);
    }
    env[n] = '\0';
    const char *e = getenv(env);
    return e && *e ? e : NULL;
}

#ifdef SW_TEST_HOOKS
/* The test-only settings take effect process-wide as soon as they are resolved. */
static int apply_test_settings(const char *cmd, const char *argon2_fast)
{
    bool on = false;
    if (sw_cli_parse_on_off(cmd, "--argon2-fast", argon2_fast, &on) < 0) {
        return -1;
    }
    sw_auth_test_cheap_hash(on);
    return 0;
}
#endif

int sw_serve_test_settings(const char *cmd)
{
#ifdef SW_TEST_HOOKS
    int k = find("argon2_fast");
    const char *v = env_value((size_t)k);
    return apply_test_settings(cmd, v ? v : settings[k].dflt) < 0 ? 2 : 0;
#else
    (void)cmd;
    return 0;
#endif
}

int sw_serve_settings(int argc, char **argv, const char *cmd, const struct sw_cli_preset *presets,
                      size_t npresets, struct sw_settings *set)
{
    char *vals[NSETTINGS] = {0};
    const char *config = NULL;
    int rc = 2;
    memset(set, 0, sizeof(*set));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (sw_cli_is_help(a)) {
            usage(stdout);
            rc = -1;
            goto out;
        }
        if (strncmp(a, "--", 2) != 0) {
            sw_cli_usage_error(cmd, "unexpected argument \"%s\"", a);
            goto out;
        }
        char name[64];
        snprintf(name, sizeof(name), "%s", a + 2);
        for (char *c = name; *c; c++) {
            *c = *c == '-' ? '_' : *c;
        }
        int k = strcmp(name, "config") ? find(name) : -2;
        for (size_t p = 0; p < npresets && k >= 0; p++) {
            if (presets[p].force && !strcmp(presets[p].name, name)) {
                sw_cli_usage_error(cmd, "%s cannot be set here (%s)", a, presets[p].why);
                goto out;
            }
        }
        if (k == -1) {
            sw_cli_usage_error(cmd, "unknown option \"%s\"", a);
            goto out;
        }
        if (i + 1 >= argc) {
            sw_cli_usage_error(cmd, "%s needs a value", a);
            goto out;
        }
        if (k == -2) {
            config = argv[++i];
            continue;
        }
        free(vals[k]);
        vals[k] = sw_strdup(argv[++i]);
    }
    for (size_t k = 0; k < NSETTINGS; k++) {
        const char *e = env_value(k);
        if (!vals[k] && e) {
            vals[k] = sw_strdup(e);
        }
    }
    if (!config && getenv("STEPWISE_CONFIG")) {
        config = getenv("STEPWISE_CONFIG");
    }
    if (config && read_config(cmd, config, vals)) {
        rc = 1;
        goto out;
    }
    for (size_t p = 0; p < npresets; p++) {
        int k = find(presets[p].name);
        if (k >= 0 && (presets[p].force || !vals[k])) {
            free(vals[k]);
            vals[k] = sw_strdup(presets[p].value);
        }
    }
    for (size_t k = 0; k < NSETTINGS; k++) {
        if (!vals[k] && settings[k].dflt) {
            vals[k] = sw_strdup(settings[k].dflt);
        }
    }
    if (!vals[find("data")]) {
        sw_cli_usage_error(cmd, "--data URL is required");
        goto out;
    }
    if (sw_cli_check_listen(cmd, "--listen", vals[find("listen")]) < 0 ||
        (vals[find("smtp_url")] &&
         sw_cli_check_smtp_url(cmd, "--smtp-url", vals[find("smtp_url")]) < 0) ||
        (vals[find("sms_url")] && sw_cli_check_http_url(cmd, "--sms-url", vals[find("sms_url")]) < 0) ||
        (vals[find("push_url")] &&
         sw_cli_check_http_url(cmd, "--push-url", vals[find("push_url")]) < 0) ||
        (vals[find("public_listen")] &&
         sw_cli_check_listen(cmd, "--public-listen", vals[find("public_listen")]) < 0) ||
        (vals[find("public_url")] &&
         sw_cli_check_http_url(cmd, "--public-url", vals[find("public_url")]) < 0)) {
        goto out;
    }
    const char *lvl = vals[find("log_level")];
    if (strcmp(lvl, "debug") && strcmp(lvl, "info") && strcmp(lvl, "warn") && strcmp(lvl, "error")) {
        sw_cli_usage_error(cmd, "--log-level expects debug, info, warn or error, got \"%s\"", lvl);
        goto out;
    }
    int64_t v;
    bool on = true;
#define TAKE(field, name)                                                                          \
    set->field = vals[find(name)];                                                                 \
    vals[find(name)] = NULL
    TAKE(data, "data");
    TAKE(listen, "listen");
    TAKE(export_dir, "export_dir");
    TAKE(alert_webhook, "alert_webhook");
    TAKE(smtp_url, "smtp_url");
    TAKE(sms_url, "sms_url");
    TAKE(push_url, "push_url");
    TAKE(frequency_cap, "frequency_cap");
    TAKE(list_unsubscribe, "list_unsubscribe");
    TAKE(schema_hints, "schema_hints");
    TAKE(public_listen, "public_listen");
    TAKE(public_url, "public_url");
#undef TAKE
#define INT(field, name, min, max)                                                                 \
    if (int_setting(cmd, name, vals[find(name)], min, max, &v) < 0) {                              \
        goto out;                                                                                  \
    }                                                                                              \
    set->field = (int)v
    INT(workers, "workers", 1, 256);
    INT(http_threads, "http_threads", 1, 256);
    INT(history_days, "history_days", 1, 36500);
    INT(soft_bounce_limit, "soft_bounce_limit", 1, 100);
    INT(smtp_connections, "smtp_connections", 1, 1024);
    INT(http_connections, "http_connections", 1, 1024);
#undef INT
    if (vals[find("send_window_rows")]) {
        if (int_setting(cmd, "send_window_rows", vals[find("send_window_rows")], 2, 100000, &v) <
            0) {
            goto out;
        }
        set->send_window_rows = (int)v;
    }
    if (sw_cli_parse_on_off(cmd, "--smtp-pipelining", vals[find("smtp_pipelining")], &on) < 0) {
        goto out;
    }
    set->smtp_no_pipelining = !on;
    if (sw_cli_parse_on_off(cmd, "--track-ip", vals[find("track_ip")], &on) < 0) {
        goto out;
    }
    set->track_ip = on;
    if (rate_setting(cmd, "smtp_rate_per_second", vals[find("smtp_rate_per_second")],
                     &set->smtp_rate) < 0 ||
        rate_setting(cmd, "sms_rate_per_second", vals[find("sms_rate_per_second")],
                     &set->sms_rate) < 0 ||
        rate_setting(cmd, "push_rate_per_second", vals[find("push_rate_per_second")],
                     &set->push_rate) < 0) {
        goto out;
    }
    if (int_setting(cmd, "max_body", vals[find("max_body")], 1024, 1 << 30, &v) < 0) {
        goto out;
    }
    set->max_body = (size_t)v;
#ifdef SW_TEST_HOOKS
    if (apply_test_settings(cmd, vals[find("argon2_fast")]) < 0) {
        goto out;
    }
#endif
    sw_log_set_level(!strcmp(lvl, "debug") ? SW_LOG_DEBUG
                     : !strcmp(lvl, "warn") ? SW_LOG_WARN
                     : !strcmp(lvl, "error") ? SW_LOG_ERROR
                                             : SW_LOG_INFO);
    rc = 0;
out:
    for (size_t k = 0; k < NSETTINGS; k++) {
        free(vals[k]);
    }
    if (rc != 0) {
        sw_settings_release(set);
        memset(set, 0, sizeof(*set));
    }
    return rc;
}

/* The scheduler and workers, as the server's background jobs (the two do not know each other). */
struct jobs {
    const struct sw_settings *set;
    struct sw_scheduler *sched;
};

static int jobs_start(void *ud, struct sw_svc *svc, struct sw_error *err)
{
    struct jobs *j = ud;
    struct sw_scheduler_opts o = {
        .data = j->set->data,
        .workers = j->set->workers,
        .history_days = j->set->history_days,
        .frequency_cap = j->set->frequency_cap,
    };
    return sw_scheduler_start(&o, svc, &j->sched, err);
}

static void jobs_stop(void *ud)
{
    struct jobs *j = ud;
    sw_scheduler_stop(j->sched);
    j->sched = NULL;
}

int sw_serve_run(const char *cmd, struct sw_settings *set)
{
    struct sw_server *srv = NULL;
    struct jobs j = {set, NULL};
    struct sw_server_jobs jobs = {jobs_start, jobs_stop, &j};
    struct sw_error err = SW_ERROR_INIT;
    /* Signals are waited for by this thread; every other thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (sw_server_start(set, &jobs, &srv, &err) < 0) {
        sw_cli_print_error(cmd, &err);
        sw_error_release(&err);
        return 1;
    }
    /* The port actually bound (--listen HOST:0 picks a free one): tests read this line. */
    const char *colon = strrchr(set->listen, ':');
    int hostlen = colon && colon != set->listen ? (int)(colon - set->listen) : 9;
    printf("stepwise: listening on http://%.*s:%d/ (data %s)\n", hostlen,
           colon && colon != set->listen ? set->listen : "127.0.0.1", sw_server_port(srv),
           set->data);
    if (sw_server_public_port(srv)) {
        const char *pc = strrchr(set->public_listen, ':');
        printf("stepwise: public listener on http://%.*s:%d/ (one-click unsubscribe)\n",
               (int)(pc - set->public_listen), set->public_listen, sw_server_public_port(srv));
    }
    fflush(stdout);
    int sig = 0;
    sigwait(&sigs, &sig);
    sw_info("signal %d: stopping", sig);
    sw_server_stop(srv);
    return 0;
}

int sw_cmd_serve(int argc, char **argv)
{
    struct sw_settings set;
    int rc = sw_serve_settings(argc, argv, "serve", NULL, 0, &set);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    rc = sw_serve_run("serve", &set);
    sw_settings_release(&set);
    return rc;
}
