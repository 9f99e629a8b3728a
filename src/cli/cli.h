/*
 * cli.h - the subcommands of the stepwise binary. Each returns the process exit code:
 * 0 success, 1 user error (message on stderr), 2 usage error.
 */
#ifndef SW_CLI_H
#define SW_CLI_H

#include "core/error.h"

int sw_cmd_validate(int argc, char **argv);
int sw_cmd_run(int argc, char **argv);
int sw_cmd_resume(int argc, char **argv);
int sw_cmd_demo_data(int argc, char **argv);
int sw_cmd_demo(int argc, char **argv);
int sw_cmd_serve(int argc, char **argv);
int sw_cmd_token(int argc, char **argv);
int sw_cmd_user(int argc, char **argv);

/* Print err to stderr as "stepwise: message" and one "  path: message" line per detail. */
void sw_cli_print_error(const char *prefix, const struct sw_error *err);
/* True when arg is --help or -h. */
int sw_cli_is_help(const char *arg);

#endif
