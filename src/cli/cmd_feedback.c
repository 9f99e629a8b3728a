/*
 * cmd_feedback.c - `stepwise feedback --data URL < message.eml`: one bounce (RFC 3464 DSN) or
 * complaint (ARF) report read on standard input, as an MTA pipes it (e.g. a Postfix alias
 * "bounces: |stepwise feedback --data /srv/shop.db"), recorded and acted upon
 * (channels/feedback.h); prints one JSON object per recipient of the report.
 */
#include "catalog/catalog.h"
#include "channels/feedback.h"
#include "cli/cli.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/util.h"
#include "db/db.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REPORT (16 * 1024 * 1024)

static const char usage_text[] =
    "A hard bounce or a complaint suppresses the address at once; soft bounces do after\n"
    "--soft-bounce-limit of the address's last messages in a row bounced. A report is\n"
    "matched to the message by the Message-ID Stepwise wrote, else by the recipient's latest\n"
    "message; one that matches nothing is kept (with its text), never dropped.\n"
    "\n"
    "  --data URL               data source (a SQLite file path or sqlite:PATH)\n"
    "  --soft-bounce-limit N    soft bounces in a row that suppress an address (default 3)\n"
    "                           [STEPWISE_SOFT_BOUNCE_LIMIT]\n"
    "Exit status: 0 recorded, 1 not a report (the reason on stderr) or no database, 2 usage.\n";

int sw_cmd_feedback(int argc, char **argv)
{
    const char *data = NULL, *limit = getenv("STEPWISE_SOFT_BOUNCE_LIMIT");
    int rc = 1;
    int64_t soft = 3;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    struct sw_catalog *cat = NULL;
    struct sw_buf in = SW_BUF_INIT;
    struct sw_feedback_item *items = NULL;
    size_t n = 0;
    json_t *out = NULL;
    const struct sw_cli_flag flags[] = {
        SW_CLI_TEXT("data", &data),
        SW_CLI_TEXT("soft-bounce-limit", &limit),
        SW_CLI_END,
    };
    int go = sw_cli_parse("feedback", argc, argv, flags, usage_text);
    if (go != SW_CLI_GO) {
        return go;
    }
    if (optind != argc) {
        return sw_cli_usage_error("feedback", "unexpected argument \"%s\" (the report is read "
                                              "on standard input)", argv[optind]);
    }
    if (sw_cli_need_data("feedback", &data)) {
        return 2;
    }
    if (limit && (sw_parse_int64(limit, &soft) < 0 || soft < 1 || soft > 100)) {
        return sw_cli_usage_error("feedback", "--soft-bounce-limit expects 1..100, got \"%s\"",
                                  limit);
    }
    char chunk[65536];
    size_t got;
    while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
        if (in.len + got > MAX_REPORT) {
            sw_error_set(&err, SW_EINVAL, "the report is larger than %d bytes", MAX_REPORT);
            goto fail;
        }
        sw_buf_add(&in, chunk, got);
    }
    if (sw_feedback_parse(in.data ? in.data : "", in.len, &items, &n, &err) < 0 ||
        sw_cli_open_catalog(data, &db, &cat, &err) < 0 ||
        sw_feedback_record(db, items, n, "cli", in.data, (int)soft, sw_clock_now_ms(), &out,
                           &err) < 0) {
        goto fail;
    }
    size_t i;
    json_t *o;
    json_array_foreach(out, i, o)
    {
        char *line = json_dumps(o, JSON_COMPACT);
        puts(line);
        free(line);
    }
    rc = 0;
    goto done;
fail:
    sw_cli_print_error("feedback", &err);
done:
    json_decref(out);
    sw_feedback_items_free(items, n);
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_buf_release(&in);
    sw_error_release(&err);
    return rc;
}
