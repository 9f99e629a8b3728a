/*
 * cmd_suppress.c - `stepwise suppress`: the suppression list from the command line (add
 * addresses, import a CSV, list, lift), the same as /api/v1/suppressions.
 */
#include "catalog/catalog.h"
#include "channels/suppress.h"
#include "cli/cli.h"
#include "core/clock.h"
#include "core/util.h"
#include "db/db.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Suppressed addresses get no message on that channel from any campaign: the ledger\n"
    "skips them with reason \"suppressed\" (also in a send under way).\n"
    "\n"
    "  --data URL       data source (a SQLite file path or sqlite:PATH)\n"
    "  --channel C      email (default), sms or push; for --list and --lift: only that one\n"
    "  --reason R       manual (default; import for --import), unsubscribe, hard_bounce,\n"
    "                   complaint or soft_bounces\n"
    "  --detail TEXT    a note kept with the addresses added\n"
    "  --import FILE    a CSV file: address[,channel[,reason]] per line, an optional header;\n"
    "                   every line is checked first, and nothing is added if one is wrong\n"
    "  --list           print the list (--json: as JSON lines)\n"
    "  --lift ADDRESS   remove an address from the list\n"
    "Exit status: 0 success, 1 an error (named), 2 usage error.\n";

static int list(struct sw_db *db, const char *channel, int json_out, struct sw_error *err)
{
    struct sw_suppression_row *rows = NULL;
    size_t n = 0;
    int rc = sw_suppress_all(db, channel, &rows, &n, err);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct sw_suppression_row *r = &rows[i];
        const char *detail = r->detail ? r->detail : "";
        char when[32];
        sw_clock_format_iso(r->created_at, when, sizeof(when));
        if (json_out) {
            json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "channel", r->channel, "address",
                                  r->address, "reason", r->reason, "detail", detail, "created_at",
                                  when);
            char *line = json_dumps(o, JSON_COMPACT);
            puts(line);
            free(line);
            json_decref(o);
        } else {
            printf("%-6s %-40s %-13s %s  %s\n", r->channel, r->address, r->reason, when, detail);
        }
    }
    sw_suppression_rows_free(rows, n);
    if (!json_out) {
        fprintf(stderr, "%lld suppressed\n", (long long)n);
    }
    return rc;
}

int sw_cmd_suppress(int argc, char **argv)
{
    const char *data = NULL, *channel = NULL, *reason = NULL, *detail = NULL, *import = NULL,
               *lift = NULL;
    int do_list = 0, json_out = 0, rc = 1;
    const struct sw_cli_flag flags[] = {
        SW_CLI_TEXT("data", &data),
        SW_CLI_TEXT("channel", &channel),
        SW_CLI_TEXT("reason", &reason),
        SW_CLI_TEXT("detail", &detail),
        SW_CLI_TEXT("import", &import),
        SW_CLI_SET("list", &do_list),
        SW_CLI_TEXT("lift", &lift),
        SW_CLI_SET("json", &json_out),
        SW_CLI_END,
    };
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    struct sw_catalog *cat = NULL;
    int go = sw_cli_parse("suppress", argc, argv, flags, usage_text);
    if (go != SW_CLI_GO) {
        return go;
    }
    if (sw_cli_need_data("suppress", &data)) {
        return 2;
    }
    if (channel && !sw_suppress_channel_valid(channel)) {
        return sw_cli_usage_error("suppress", "--channel: \"%s\" is not email, sms or push",
                                  channel);
    }
    if (reason && !sw_suppress_reason_valid(reason)) {
        return sw_cli_usage_error("suppress",
                                  "--reason: \"%s\" is not manual, unsubscribe, hard_bounce, "
                                  "complaint, soft_bounces or import",
                                  reason);
    }
    int modes = (import != NULL) + do_list + (lift != NULL) + (optind < argc);
    if (modes != 1) {
        return sw_cli_usage_error("suppress",
                                  "give addresses, or one of --import FILE, --list, --lift ADDRESS");
    }
    if (sw_cli_open_catalog(data, &db, &cat, &err) < 0) {
        goto fail;
    }
    const char *by = getenv("USER");
    if (import) {
        int64_t added = 0, already = 0;
        if (sw_suppress_import_csv(db, import, channel ? channel : "email",
                                   reason ? reason : "import", by, sw_clock_now_ms(), &added,
                                   &already, &err) < 0) {
            goto fail;
        }
        printf("%lld addresses suppressed, %lld already were\n", (long long)added,
               (long long)already);
    } else if (do_list) {
        if (list(db, channel, json_out, &err) < 0) {
            goto fail;
        }
    } else if (lift) {
        int64_t removed = 0;
        if (sw_suppress_remove(db, channel, lift, &removed, &err) < 0) {
            goto fail;
        }
        if (!removed) {
            sw_error_set(&err, SW_ENOTFOUND, "%s is not suppressed%s%s", lift,
                         channel ? " on " : "", channel ? channel : "");
            goto fail;
        }
        printf("%s: lifted (%lld)\n", lift, (long long)removed);
    } else {
        int64_t added = 0;
        if ((rc = sw_db_begin(db, &err)) < 0) {
            goto fail;
        }
        for (int i = optind; i < argc && rc == 0; i++) {
            struct sw_suppression s = {0, channel ? channel : "email", argv[i],
                                       reason ? reason : "manual", detail, 0, sw_clock_now_ms(),
                                       by};
            bool a = false;
            rc = sw_suppress_add(db, &s, &a, &err);
            added += a;
        }
        if (rc < 0 || (rc = sw_db_commit(db, &err)) < 0) {
            sw_db_rollback(db);
            goto fail;
        }
        printf("%lld addresses suppressed, %lld already were\n", (long long)added,
               (long long)(argc - optind) - added);
    }
    rc = 0;
    goto out;
fail:
    sw_cli_print_error("suppress", &err);
    rc = 1;
out:
    sw_catalog_free(cat);
    sw_db_close(db);
    sw_error_release(&err);
    return rc;
}
