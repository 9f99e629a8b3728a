/*
 * main.c - the stepwise command: dispatch to one subcommand (cli/cmd_<verb>.c) through the
 * table of commands in cli/common.c, which also gives the help texts.
 */
#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        sw_cli_usage_all(stderr);
        return 2;
    }
    if (sw_cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
        sw_cli_usage_all(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        return sw_cmd_version(argc - 1, argv + 1);
    }
    const struct sw_cli_command *cmd = sw_cli_command(argv[1]);
    if (!cmd) {
        fprintf(stderr, "stepwise: unknown command \"%s\"\n\n", argv[1]);
        sw_cli_usage_all(stderr);
        return 2;
    }
    if (sw_clock_init_from_env() < 0) {
        fprintf(stderr, "stepwise: STEPWISE_NOW must be an ISO-8601 date-time\n");
        return 2;
    }
    const char *lvl = getenv("STEPWISE_LOG_LEVEL");
    if (lvl && !strcmp(lvl, "debug")) {
        sw_log_set_level(SW_LOG_DEBUG);
    } else if (lvl && !strcmp(lvl, "info")) {
        sw_log_set_level(SW_LOG_INFO);
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = cmd->run(argc - 1, argv + 1);
    curl_global_cleanup();
    return rc;
}
