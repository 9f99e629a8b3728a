/*
 * cmd_validate.c - `stepwise validate FILE [--data URL] [--json]`: every error of a
 * campaign document with its JSON path; structure only without --data.
 */
#include "cli/cli.h"
#include "core/clock.h"
#include "core/util.h"
#include "db/db.h"
#include "engine/activity.h"
#include "model/campaign.h"
#include "schema/schema.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After the synopsis and summary of the table of commands (common.c). */
static const char usage_text[] =
    "Without --data the checks are structural; with it, fields, links, types and\n"
    "personalization fields are checked against the data source's schema too.\n"
    "\n"
    "  --data URL   data source (a SQLite file path or sqlite:PATH)\n"
    "  --schema-hints FILE  schema hints applied to what discovery finds [STEPWISE_SCHEMA_HINTS]\n"
    "  --json       print {\"valid\": bool, \"errors\": [{\"path\", \"message\"}]} on stdout\n"
    "Exit status: 0 valid, 1 invalid or unreadable, 2 usage error.\n";

int sw_cmd_validate(int argc, char **argv)
{
    const char *data = NULL, *hints = getenv("STEPWISE_SCHEMA_HINTS");
    int json_out = 0, rc = 1;
    const struct sw_cli_flag flags[] = {
        SW_CLI_TEXT("data", &data),
        SW_CLI_SET("json", &json_out),
        SW_CLI_TEXT("schema-hints", &hints),
        SW_CLI_END,
    };
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    struct sw_schema *schema = NULL;
    struct sw_campaign *camp = NULL;
    char *text = NULL;
    size_t len = 0;
    int go = sw_cli_parse("validate", argc, argv, flags, usage_text);
    if (go != SW_CLI_GO) {
        return go;
    }
    if (optind != argc - 1) {
        return sw_cli_usage_error("validate", "expected exactly one FILE");
    }
    const char *file = argv[optind];
    if (sw_read_file(file, &text, &len) < 0) {
        sw_error_set(&err, SW_EIO, "cannot read %s", file);
        goto out;
    }
    if (data) {
        if (sw_db_open(data, &db, &err) < 0 ||
            sw_schema_discover_hinted(db, hints, &schema, &err) < 0) {
            goto out;
        }
    }
    if (sw_campaign_load(text, len, &sw_engine_activities, schema, sw_clock_now_ms(), &camp,
                         &err) == 0) {
        rc = 0;
    }
out:
    if (json_out) {
        json_t *errors = json_array();
        for (size_t i = 0; i < err.ndetails; i++) {
            json_array_append_new(errors, json_pack("{s:s?, s:s}", "path", err.details[i].path,
                                                    "message", err.details[i].message));
        }
        if (rc != 0 && err.ndetails == 0) {
            json_array_append_new(errors, json_pack("{s:n, s:s}", "path", "message",
                                                    err.message ? err.message : "error"));
        }
        json_t *o = json_pack("{s:b, s:o}", "valid", rc == 0, "errors", errors);
        char *s = json_dumps(o, JSON_INDENT(2));
        puts(s);
        free(s);
        json_decref(o);
    } else if (rc == 0) {
        printf("%s: valid%s\n", file, data ? "" : " (structure only; pass --data to check fields)");
    } else {
        sw_cli_print_error(file, &err);
    }
    sw_campaign_free(camp);
    sw_schema_free(schema);
    sw_db_close(db);
    free(text);
    sw_error_release(&err);
    return rc;
}
