/*
 * main.c - the stepwise command: dispatch to one subcommand (cli/cmd_<verb>.c).
 */
#include "cli/cli.h"
#include "core/clock.h"
#include "core/log.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: stepwise <command> [options]\n"
    "\n"
    "Multi-step marketing campaigns, run inside your database.\n"
    "\n"
    "commands:\n"
    "  serve --data URL [--listen HOST:PORT]  the daemon: HTTP API, scheduler, workers\n"
    "  token create --role ROLE --data URL     a new API token (viewer, editor, admin)\n"
    "  user add NAME --role ROLE --data URL    a UI user; the password is read from stdin\n"
    "  validate FILE [--data URL]       check a campaign document, every error with its path\n"
    "  run FILE --data URL [options]    run one campaign in the foreground\n"
    "  resume RUN_ID --data URL         continue a run that was interrupted\n"
    "  demo-data --out PATH [--profiles N]  generate a realistic demo data source\n"
    "  demo [--dir DIR]                 create the demo data and run an example campaign\n"
    "\n"
    "Run 'stepwise <command> --help' for a command's options.\n"
    "Data source URLs: a file path or sqlite:PATH.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    if (sw_cli_is_help(argv[1]) || !strcmp(argv[1], "help")) {
        fputs(usage, stdout);
        return 0;
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
    int rc;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "validate")) {
        rc = sw_cmd_validate(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "run")) {
        rc = sw_cmd_run(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "serve")) {
        rc = sw_cmd_serve(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "token")) {
        rc = sw_cmd_token(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "user")) {
        rc = sw_cmd_user(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "resume")) {
        rc = sw_cmd_resume(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "demo-data")) {
        rc = sw_cmd_demo_data(argc - 1, argv + 1);
    } else if (!strcmp(cmd, "demo")) {
        rc = sw_cmd_demo(argc - 1, argv + 1);
    } else {
        fprintf(stderr, "stepwise: unknown command \"%s\"\n\n%s", cmd, usage);
        rc = 2;
    }
    curl_global_cleanup();
    return rc;
}
