/*
 * common.c - what the subcommands share: the table of commands (one synopsis and one summary
 * each, printed by both `stepwise --help` and `stepwise CMD --help`, so the two never
 * disagree), the flag parser every command but serve, demo and demo-data uses, error printing,
 * and checks of flag values that several commands take.
 */
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "db/db.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef SW_VERSION
#define SW_VERSION "0.0.0-unknown"
#endif

const struct sw_cli_command sw_cli_commands[] = {
    {"serve",
     {"serve --data URL [--listen HOST:PORT] [--config FILE] [--NAME VALUE ...]"},
     "The daemon: HTTP API, web UI, scheduler and workers.",
     sw_cmd_serve},
    {"demo",
     {"demo [--dir DIR] [--profiles N] [--no-serve] [serve settings: --NAME VALUE ...]"},
     "Create demo data and campaigns in every status, then serve them; email goes to a Maildir.",
     sw_cmd_demo},
    {"validate",
     {"validate FILE [--data URL] [--json]"},
     "Check a campaign document and print every error with its JSON path.",
     sw_cmd_validate},
    {"run",
     {"run FILE --data URL [options]"},
     "Run one campaign in the foreground and print the count on every transition.",
     sw_cmd_run},
    {"resume",
     {"resume RUN_ID --data URL [options]"},
     "Continue an interrupted run from its last completed task.",
     sw_cmd_resume},
    {"demo-data",
     {"demo-data --out PATH [--profiles N] [--seed S] [--force]"},
     "Write a realistic SQLite data source: households, profiles and their orders.",
     sw_cmd_demo_data},
    {"schema",
     {"schema --data URL [--hints FILE] [--json]", "schema --data URL --drop-stored-hints"},
     "Show what discovery found: dimensions, field types (declared or inferred), links, warnings.",
     sw_cmd_schema},
    {"suppress",
     {"suppress ADDRESS... --data URL [--channel C] [--reason R]",
      "suppress --import FILE.csv --data URL", "suppress --list | --lift ADDRESS --data URL"},
     "The suppression list: addresses no campaign messages again on a channel.",
     sw_cmd_suppress},
    {"feedback",
     {"feedback --data URL [--soft-bounce-limit N] < report.eml"},
     "Record a bounce (DSN) or complaint (ARF) report and suppress the address it concerns.",
     sw_cmd_feedback},
    {"secret",
     {"secret rotate --data URL"},
     "Sign the public listener's links with a new secret; links already sent keep working.",
     sw_cmd_secret},
    {"token",
     {"token create --role ROLE [--name NAME] --data URL", "token list [--json] --data URL",
      "token revoke ID --data URL"},
     "API tokens for \"Authorization: Bearer TOKEN\": create, list or revoke them.",
     sw_cmd_token},
    {"user",
     {"user add NAME --role ROLE --data URL"},
     "Add a user who signs in to the web UI; the password is read from standard input.",
     sw_cmd_user},
    {"version", {"version", "--version"}, "Print the version of stepwise.", sw_cmd_version},
    {NULL, {NULL}, NULL, NULL},
};

const struct sw_cli_command *sw_cli_command(const char *name)
{
    for (const struct sw_cli_command *c = sw_cli_commands; name && c->name; c++) {
        if (!strcmp(c->name, name)) {
            return c;
        }
    }
    return NULL;
}

void sw_cli_usage_head(FILE *f, const char *name)
{
    const struct sw_cli_command *c = sw_cli_command(name);
    if (!c) {
        return;
    }
    for (int i = 0; i < SW_CLI_SYNOPSES && c->synopsis[i]; i++) {
        fprintf(f, "%s stepwise %s\n", i == 0 ? "usage:" : "      ", c->synopsis[i]);
    }
    fprintf(f, "\n%s\n", c->summary);
}

void sw_cli_usage_all(FILE *f)
{
    fputs("usage: stepwise <command> [options]\n"
          "\n"
          "Multi-step marketing campaigns, run inside your database.\n"
          "\n"
          "commands:\n",
          f);
    for (const struct sw_cli_command *c = sw_cli_commands; c->name; c++) {
        for (int i = 0; i < SW_CLI_SYNOPSES && c->synopsis[i]; i++) {
            fprintf(f, "  %s\n", c->synopsis[i]);
        }
        fprintf(f, "      %s\n", c->summary);
    }
    fputs("\n"
          "Run 'stepwise <command> --help' for a command's options.\n"
          "Data source URLs: a file path or sqlite:PATH.\n"
          "Exit status: 0 done, 1 error (message on stderr), 2 usage error.\n",
          f);
}

int sw_cmd_version(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (sw_cli_is_help(argv[i])) {
            sw_cli_usage_head(stdout, "version");
            return 0;
        }
        return sw_cli_usage_error("version", "unexpected argument \"%s\"", argv[i]);
    }
    printf("stepwise %s\n", SW_VERSION);
    return 0;
}

int sw_cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "stepwise %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\ntry 'stepwise %s --help'\n", cmd);
    return 2;
}

int sw_cli_check_listen(const char *cmd, const char *flag, const char *v)
{
    const char *colon = v ? strrchr(v, ':') : NULL;
    char *end = NULL;
    long port = colon ? strtol(colon + 1, &end, 10) : -1;
    if (!colon || colon == v || !colon[1] || *end || port < 0 || port > 65535) {
        sw_cli_usage_error(cmd, "%s expects HOST:PORT with a port from 0 to 65535, got \"%s\"",
                           flag, v ? v : "");
        return -1;
    }
    return 0;
}

int sw_cli_check_smtp_url(const char *cmd, const char *flag, const char *v)
{
    if (v && (!strncmp(v, "smtp://", 7) || !strncmp(v, "smtps://", 8) ||
              (!strncmp(v, "maildir:", 8) && v[8]))) {
        return 0;
    }
    sw_cli_usage_error(cmd, "%s expects smtp://HOST:PORT, smtps://HOST:PORT or maildir:DIR, got "
                            "\"%s\"",
                       flag, v ? v : "");
    return -1;
}

int sw_cli_check_http_url(const char *cmd, const char *flag, const char *v)
{
    if (v && (!strncmp(v, "http://", 7) || !strncmp(v, "https://", 8))) {
        return 0;
    }
    sw_cli_usage_error(cmd, "%s expects an http:// or https:// URL, got \"%s\"", flag,
                       v ? v : "");
    return -1;
}

int sw_cli_parse_on_off(const char *cmd, const char *flag, const char *v, bool *on)
{
    static const char *const yes[] = {"on", "true", "1"}, *const no[] = {"off", "false", "0"};
    for (size_t i = 0; v && i < 3; i++) {
        if (!strcmp(v, yes[i]) || !strcmp(v, no[i])) {
            *on = !strcmp(v, yes[i]);
            return 0;
        }
    }
    sw_cli_usage_error(cmd, "%s expects on or off, got \"%s\"", flag, v ? v : "");
    return -1;
}

char *sw_cli_redact_url(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *at = scheme ? strchr(scheme + 3, '@') : NULL;
    const char *slash = scheme ? strchr(scheme + 3, '/') : NULL;
    if (!at || (slash && slash < at)) {
        return sw_strdup(url);
    }
    return sw_asprintf("%.*s***@%s", (int)(scheme + 3 - url), url, at + 1);
}

void sw_cli_print_error(const char *prefix, const struct sw_error *err)
{
    fprintf(stderr, "stepwise: %s%s%s\n", prefix ? prefix : "", prefix ? ": " : "",
            err->message ? err->message : sw_strerror(err->code));
    for (size_t i = 0; i < err->ndetails; i++) {
        fprintf(stderr, "  %s: %s\n", err->details[i].path ? err->details[i].path : "-",
                err->details[i].message);
    }
}

int sw_cli_is_help(const char *arg)
{
    return arg && (!strcmp(arg, "--help") || !strcmp(arg, "-h"));
}

int sw_cli_parse(const char *cmd, int argc, char **argv, const struct sw_cli_flag *flags,
                 const char *help)
{
    size_t n = 0;
    while (flags[n].name) {
        n++;
    }
    /* getopt's value for flag i is 256 + i: beyond every character, 'h' included. */
    struct option *opts = sw_calloc(n + 2, sizeof(*opts));
    for (size_t i = 0; i < n; i++) {
        bool value = flags[i].text || (flags[i].call && !flags[i].no_value);
        opts[i] = (struct option){flags[i].name, value ? required_argument : no_argument, NULL,
                                  256 + (int)i};
    }
    opts[n] = (struct option){"help", no_argument, NULL, 'h'};
    int c, rc = SW_CLI_GO;
    opterr = 0;
    optind = 0; /* full re-initialisation: commands may call each other */
    while (rc == SW_CLI_GO && (c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        const struct sw_cli_flag *f = c >= 256 ? &flags[c - 256] : NULL;
        int r = f && f->call ? f->call(f, optarg) : 0;
        if (c == 'h') {
            sw_cli_usage_head(stdout, cmd);
            fputs(help, stdout);
            rc = 0;
        } else if (!f || r == SW_CLI_UNKNOWN) {
            rc = sw_cli_usage_error(cmd, "unknown or incomplete option \"%s\"", argv[optind - 1]);
        } else if (r < 0) {
            rc = 2;
        } else if (f->text) {
            *f->text = optarg;
        } else if (f->set) {
            *f->set = 1;
        }
    }
    free(opts);
    return rc;
}

int sw_cli_need_data(const char *cmd, const char **data)
{
    if (!*data && !(*data = getenv("STEPWISE_DATA"))) {
        return sw_cli_usage_error(cmd, "--data URL is required");
    }
    return 0;
}

int sw_cli_open_catalog(const char *data, struct sw_db **db, struct sw_catalog **cat,
                        struct sw_error *err)
{
    struct sw_catalog *own = NULL;
    int rc = sw_db_open(data, db, err);
    if (rc == 0) {
        rc = sw_catalog_open(*db, cat ? cat : &own, err);
    }
    sw_catalog_free(own);
    return rc;
}
