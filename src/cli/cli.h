/*
 * cli.h - the subcommands of the stepwise binary. Each returns the process exit code:
 * 0 success, 1 user error (message on stderr), 2 usage error (message naming the flag or
 * argument on stderr).
 */
#ifndef SW_CLI_H
#define SW_CLI_H

#include "core/error.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

int sw_cmd_validate(int argc, char **argv);
int sw_cmd_run(int argc, char **argv);
int sw_cmd_resume(int argc, char **argv);
int sw_cmd_demo_data(int argc, char **argv);
int sw_cmd_demo(int argc, char **argv);
int sw_cmd_serve(int argc, char **argv);
int sw_cmd_token(int argc, char **argv);
int sw_cmd_user(int argc, char **argv);
int sw_cmd_version(int argc, char **argv);
int sw_cmd_schema(int argc, char **argv);
int sw_cmd_suppress(int argc, char **argv);
int sw_cmd_feedback(int argc, char **argv);
int sw_cmd_secret(int argc, char **argv);

/* The commands, in the order `stepwise --help` lists them: each one's synopses (after
 * "stepwise ") and one-line summary, shared by the top-level help and the command's own
 * (sw_cli_usage_head), so that the two say the same. Ends with a NULL name. */
#define SW_CLI_SYNOPSES 3
struct sw_cli_command {
    const char *name;
    const char *synopsis[SW_CLI_SYNOPSES];
    const char *summary;
    int (*run)(int argc, char **argv);
};
extern const struct sw_cli_command sw_cli_commands[];
const struct sw_cli_command *sw_cli_command(const char *name); /* NULL when unknown */
/* "usage: stepwise SYNOPSIS" (one line per synopsis), a blank line and the summary. */
void sw_cli_usage_head(FILE *f, const char *name);
/* The top-level help: every command's synopses and summary. */
void sw_cli_usage_all(FILE *f);

/* Print "stepwise CMD: <message>" and a hint to CMD --help on stderr; returns 2. */
int sw_cli_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Flag value checks shared by serve, demo, run and resume: 0, or -1 after a usage error
 * naming the flag (exit 2). */
int sw_cli_check_listen(const char *cmd, const char *flag, const char *v);
int sw_cli_check_smtp_url(const char *cmd, const char *flag, const char *v);
int sw_cli_check_http_url(const char *cmd, const char *flag, const char *v);
/* A switch: on/off (also true/false, 1/0) into *on; -1 after a usage error naming flag. */
int sw_cli_parse_on_off(const char *cmd, const char *flag, const char *v, bool *on);
/* url without the password of its user:pass@ part (malloc'd), for printing. */
char *sw_cli_redact_url(const char *url);

/* A flag of a command, for sw_cli_parse: "--NAME" and what it does. Give one of text, set
 * and call. */
struct sw_cli_flag {
    const char *name;  /* "data" for --data; NULL ends a table */
    const char **text; /* takes a value, stored here */
    int *set;          /* takes no value: 1 is stored here */
    /* Handled by the command (checked, kept, refused): called with the value (NULL for a
     * flag without one), returns 0, SW_CLI_FAIL after its own message on stderr (exit 2), or
     * SW_CLI_UNKNOWN to be refused as an unknown option. */
    int (*call)(const struct sw_cli_flag *f, const char *value);
    bool no_value; /* with call: the flag takes no value */
    void *ud;      /* for call */
    int code;      /* for call */
};
enum { SW_CLI_GO = -1, SW_CLI_FAIL = -2, SW_CLI_UNKNOWN = -3 };
/* clang-format off */
#define SW_CLI_TEXT(n, p) {.name = (n), .text = (p)}
#define SW_CLI_SET(n, p)  {.name = (n), .set = (p)}
#define SW_CLI_END        {.name = NULL}
/* clang-format on */
/* Parse the flags of argv (getopt_long: long names, operands anywhere, "--" ends the flags)
 * into the table, in order. --help or -h prints the command's usage head and help on stdout:
 * returns 0; an unknown flag, one without its value, or a call that fails: returns 2 after a
 * usage error. Otherwise returns SW_CLI_GO, the operands starting at argv[optind]. */
int sw_cli_parse(const char *cmd, int argc, char **argv, const struct sw_cli_flag *flags,
                 const char *help);
/* --data, else STEPWISE_DATA: 0, or 2 after the usage error "--data URL is required". */
int sw_cli_need_data(const char *cmd, const char **data);
/* Open the data source and its catalog (the migrations run): 0, or a negative SW_E* in err.
 * cat may be NULL when the command needs the migrations only. */
struct sw_db;
struct sw_catalog;
int sw_cli_open_catalog(const char *data, struct sw_db **db, struct sw_catalog **cat,
                        struct sw_error *err);

/* Print err to stderr as "stepwise: message" and one "  path: message" line per detail. */
void sw_cli_print_error(const char *prefix, const struct sw_error *err);
/* True when arg is --help or -h. */
int sw_cli_is_help(const char *arg);

#endif
