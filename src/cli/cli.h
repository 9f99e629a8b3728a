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

/* Print err to stderr as "stepwise: message" and one "  path: message" line per detail. */
void sw_cli_print_error(const char *prefix, const struct sw_error *err);
/* True when arg is --help or -h. */
int sw_cli_is_help(const char *arg);

#endif
