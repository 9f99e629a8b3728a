/*
 * cmd_serve.c - `stepwise serve`: the daemon. Every setting comes from a flag, else an
 * environment variable STEPWISE_<NAME>, else the config file (--config FILE, lines of
 * "name = value", # comments), else its default.
 */
#include "cli/cli.h"
#include "core/log.h"
#include "core/util.h"
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
    {"smtp_url", NULL, "smtp://[user:pass@]host:port or smtps://... (email delivery)"},
    {"smtp_connections", "4", "parallel SMTP connections"},
    {"sms_url", NULL, "HTTP endpoint receiving one JSON POST per SMS"},
    {"push_url", NULL, "HTTP endpoint receiving one JSON POST per push notification"},
    {"http_connections", "4", "parallel requests to sms_url and push_url"},
    {"smtp_rate_per_second", NULL, "most emails per second to smtp_url, all activities together"},
    {"sms_rate_per_second", NULL, "most SMS per second to sms_url, all activities together"},
    {"push_rate_per_second", NULL, "most push notifications per second to push_url"},
    {"list_unsubscribe", NULL,
     "List-Unsubscribe URL or mailto: for every email; may use fields, e.g. {{id}}"},
    {"frequency_cap", NULL, "global cap such as 3/7d"},
    {"max_body", "1048576", "largest request body accepted, in bytes"},
    {"log_level", "info", "debug, info, warn or error"},
};

#define NSETTINGS (sizeof(settings) / sizeof(settings[0]))

static void usage(FILE *f)
{
    fputs("usage: stepwise serve [--config FILE] [--NAME VALUE ...]\n"
          "\n"
          "The daemon: HTTP API, scheduler and workers. Settings (flag, or environment\n"
          "variable STEPWISE_<NAME>, or config file line \"name = value\"; in that order):\n\n",
          f);
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
static int read_config(const char *path, char **vals)
{
    char *text = NULL;
    size_t len = 0;
    if (sw_read_file(path, &text, &len) < 0) {
        fprintf(stderr, "stepwise serve: cannot read --config %s\n", path);
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
            fprintf(stderr, "stepwise serve: %s:%d: expected \"name = value\"\n", path, line);
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
            fprintf(stderr, "stepwise serve: %s:%d: unknown setting \"%s\"\n", path, line, name);
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

static int rate_setting(const char *name, const char *v, double *out)
{
    char *end = NULL;
    *out = 0;
    if (!v) {
        return 0;
    }
    *out = strtod(v, &end);
    if (!*v || *end || !(*out > 0) || *out > 1e6) {
        fprintf(stderr, "stepwise serve: %s must be a positive number, got \"%s\"\n", name, v);
        return -1;
    }
    return 0;
}

static int int_setting(const char *name, const char *v, int64_t min, int64_t max, int64_t *out)
{
    if (sw_parse_int64(v, out) < 0 || *out < min || *out > max) {
        fprintf(stderr, "stepwise serve: %s must be an integer between %lld and %lld, got \"%s\"\n",
                name, (long long)min, (long long)max, v);
        return -1;
    }
    return 0;
}

int sw_cmd_serve(int argc, char **argv)
{
    char *vals[NSETTINGS] = {0};
    const char *config = NULL;
    struct sw_settings set;
    struct sw_server *srv = NULL;
    struct sw_error err = SW_ERROR_INIT;
    int rc = 2;
    memset(&set, 0, sizeof(set));
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (sw_cli_is_help(a)) {
            usage(stdout);
            rc = 0;
            goto out;
        }
        if (strncmp(a, "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "stepwise serve: unexpected argument \"%s\"\n", a);
            usage(stderr);
            goto out;
        }
        char name[64];
        snprintf(name, sizeof(name), "%s", a + 2);
        for (char *c = name; *c; c++) {
            *c = *c == '-' ? '_' : *c;
        }
        if (!strcmp(name, "config")) {
            config = argv[++i];
            continue;
        }
        int k = find(name);
        if (k < 0) {
            fprintf(stderr, "stepwise serve: unknown option \"%s\"\n", a);
            usage(stderr);
            goto out;
        }
        free(vals[k]);
        vals[k] = sw_strdup(argv[++i]);
    }
    for (size_t k = 0; k < NSETTINGS; k++) {
        char env[80];
        size_t n = 0;
        n += (size_t)snprintf(env, sizeof(env), "STEPWISE_");
        for (const char *c = settings[k].name; *c && n < sizeof(env) - 1; c++) {
            env[n++] = (char)toupper((unsigned char)*c);
        }
        env[n] = '\0';
        const char *e = getenv(env);
        if (!vals[k] && e && *e) {
            vals[k] = sw_strdup(e);
        }
    }
    if (!config && getenv("STEPWISE_CONFIG")) {
        config = getenv("STEPWISE_CONFIG");
    }
    if (config && read_config(config, vals)) {
        rc = 1;
        goto out;
    }
    for (size_t k = 0; k < NSETTINGS; k++) {
        if (!vals[k] && settings[k].dflt) {
            vals[k] = sw_strdup(settings[k].dflt);
        }
    }
    if (!vals[find("data")]) {
        fprintf(stderr, "stepwise serve: --data URL is required\n");
        usage(stderr);
        goto out;
    }
    int64_t v;
    set.data = vals[find("data")];
    vals[find("data")] = NULL;
    set.listen = vals[find("listen")];
    vals[find("listen")] = NULL;
#define TAKE(field, name)                                                                          \
    set.field = vals[find(name)];                                                                  \
    vals[find(name)] = NULL
    TAKE(export_dir, "export_dir");
    TAKE(alert_webhook, "alert_webhook");
    TAKE(smtp_url, "smtp_url");
    TAKE(sms_url, "sms_url");
    TAKE(push_url, "push_url");
    TAKE(frequency_cap, "frequency_cap");
    TAKE(list_unsubscribe, "list_unsubscribe");
#undef TAKE
    if (int_setting("workers", vals[find("workers")], 1, 256, &v) < 0) {
        goto out;
    }
    set.workers = (int)v;
    if (int_setting("http_threads", vals[find("http_threads")], 1, 256, &v) < 0) {
        goto out;
    }
    set.http_threads = (int)v;
    if (int_setting("history_days", vals[find("history_days")], 1, 36500, &v) < 0) {
        goto out;
    }
    set.history_days = (int)v;
    if (int_setting("smtp_connections", vals[find("smtp_connections")], 1, 1024, &v) < 0) {
        goto out;
    }
    set.smtp_connections = (int)v;
    if (int_setting("http_connections", vals[find("http_connections")], 1, 1024, &v) < 0) {
        goto out;
    }
    set.http_connections = (int)v;
    if (rate_setting("smtp_rate_per_second", vals[find("smtp_rate_per_second")],
                     &set.smtp_rate) < 0 ||
        rate_setting("sms_rate_per_second", vals[find("sms_rate_per_second")], &set.sms_rate) < 0 ||
        rate_setting("push_rate_per_second", vals[find("push_rate_per_second")],
                     &set.push_rate) < 0) {
        goto out;
    }
    if (int_setting("max_body", vals[find("max_body")], 1024, 1 << 30, &v) < 0) {
        goto out;
    }
    set.max_body = (size_t)v;
    const char *lvl = vals[find("log_level")];
    sw_log_set_level(!strcmp(lvl, "debug") ? SW_LOG_DEBUG
                     : !strcmp(lvl, "warn") ? SW_LOG_WARN
                     : !strcmp(lvl, "error") ? SW_LOG_ERROR
                                             : SW_LOG_INFO);
    /* Signals are waited for by this thread; every other thread inherits the mask. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = 1;
    if (sw_server_start(&set, &srv, &err) < 0) {
        sw_cli_print_error("serve", &err);
        goto out;
    }
    /* The port actually bound (--listen HOST:0 picks a free one): tests read this line. */
    const char *colon = strrchr(set.listen, ':');
    int hostlen = colon && colon != set.listen ? (int)(colon - set.listen) : 9;
    printf("stepwise: listening on http://%.*s:%d/ (data %s)\n", hostlen,
           colon && colon != set.listen ? set.listen : "127.0.0.1", sw_server_port(srv), set.data);
    fflush(stdout);
    int sig = 0;
    sigwait(&sigs, &sig);
    sw_info("signal %d: stopping", sig);
    sw_server_stop(srv);
    rc = 0;
out:
    for (size_t k = 0; k < NSETTINGS; k++) {
        free(vals[k]);
    }
    sw_settings_release(&set);
    sw_error_release(&err);
    return rc;
}
