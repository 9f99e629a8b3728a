/*
 * serve.h - the daemon's settings, shared by `stepwise serve` and `stepwise demo` so that
 * both accept the same flags, STEPWISE_<NAME> variables and config file (cmd_serve.c).
 */
#ifndef SW_CLI_SERVE_H
#define SW_CLI_SERVE_H

#include "server/server.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A value a command supplies for a setting: a default that flags, variables and the config
 * file override, or (force) the only value allowed, its flag refused with `why`. */
struct sw_cli_preset {
    const char *name; /* the setting's name, e.g. "smtp_url" */
    const char *value;
    bool force;
    const char *why; /* for force: why the flag is refused */
};

/* Resolve every setting from argv (argv[0] is the command; then "--name VALUE" pairs), the
 * environment, the config file, the presets and the defaults, and check the values. Returns
 * 0 (release *set with sw_settings_release), -1 when --help was printed, 1 on an error
 * (an unreadable config file) or 2 on a usage error, the message naming the flag. */
int sw_serve_settings(int argc, char **argv, const char *cmd, const struct sw_cli_preset *presets,
                      size_t npresets, struct sw_settings *set);
/* Start the daemon, print the URL it listens on, and run until SIGINT or SIGTERM: 0, or 1
 * when it cannot start. */
int sw_serve_run(const char *cmd, struct sw_settings *set);
/* For commands without the daemon's flags (user add): the test-only settings (test builds
 * only; see cmd_serve.c) from their STEPWISE_<NAME> variables. 0, or 2 on a usage error;
 * nothing in a release build. */
int sw_serve_test_settings(const char *cmd);
/* The settings' table: "--flag STEPWISE_NAME" and what it is, one per setting. */
void sw_serve_settings_help(FILE *f);

#endif
