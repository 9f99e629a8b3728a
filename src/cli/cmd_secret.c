/*
 * cmd_secret.c - `stepwise secret rotate --data URL`: a newer secret signs the public
 * listener's links from now on (a running daemon takes it at its next start); links already
 * sent keep working with the key they name (channels/token.h).
 */
#include "catalog/catalog.h"
#include "channels/token.h"
#include "cli/cli.h"
#include "db/db.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After the synopsis and summary of the table of commands (common.c). */
static const char usage_text[] =
    "\nLinks already sent keep working: the older secrets still verify them.\n"
    "  --data URL   data source (a SQLite file path or sqlite:PATH)\n";

int sw_cmd_secret(int argc, char **argv)
{
    const char *data = NULL;
    int rc = 1;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    struct sw_catalog *cat = NULL;
    const struct sw_cli_flag flags[] = {SW_CLI_TEXT("data", &data), SW_CLI_END};
    int go = sw_cli_parse("secret", argc, argv, flags, usage_text);
    if (go != SW_CLI_GO) {
        return go;
    }
    if (optind != argc - 1 || strcmp(argv[optind], "rotate")) {
        return sw_cli_usage_error("secret", "expected: secret rotate --data URL");
    }
    if (sw_cli_need_data("secret", &data)) {
        return 2;
    }
    int64_t kid = 0;
    if (sw_cli_open_catalog(data, &db, &cat, &err) < 0 || sw_keyring_rotate(db, &kid, &err) < 0) {
        sw_cli_print_error("secret", &err);
    } else {
        printf("secret %lld signs the public listener's links from now on (restart the daemon "
               "to use it)\n",
               (long long)kid);
        rc = 0;
    }
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_error_release(&err);
    return rc;
}
