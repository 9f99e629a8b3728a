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

int sw_cmd_secret(int argc, char **argv)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *data = NULL;
    int c, rc = 1;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    struct sw_catalog *cat = NULL;
    opterr = 0;
    optind = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data = optarg;
            break;
        case 'h':
            sw_cli_usage_head(stdout, "secret");
            fputs("\nLinks already sent keep working: the older secrets still verify them.\n"
                  "  --data URL   data source (a SQLite file path or sqlite:PATH)\n",
                  stdout);
            return 0;
        default:
            return sw_cli_usage_error("secret", "unknown or incomplete option \"%s\"",
                                      argv[optind - 1]);
        }
    }
    if (optind != argc - 1 || strcmp(argv[optind], "rotate")) {
        return sw_cli_usage_error("secret", "expected: secret rotate --data URL");
    }
    if (!data && !(data = getenv("STEPWISE_DATA"))) {
        return sw_cli_usage_error("secret", "--data URL is required");
    }
    int64_t kid = 0;
    if (sw_db_open(data, &db, &err) < 0 || sw_catalog_open(db, &cat, &err) < 0 ||
        sw_keyring_rotate(db, &kid, &err) < 0) {
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
