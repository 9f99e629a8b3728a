/*
 * common.c - error printing shared by the subcommands.
 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

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
