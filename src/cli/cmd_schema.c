/*
 * cmd_schema.c - `stepwise schema --data URL [--json]`: what discovery found in the data
 * source, as GET /dimensions gives it: the dimensions, their fields with types (declared or
 * inferred from the data, and which), links with their cardinality, and warnings (tables
 * that are not dimensions, links that share a name, dates compared in UTC).
 */
#include "catalog/catalog.h"
#include "catalog/hints.h"
#include "cli/cli.h"
#include "core/util.h"
#include "db/db.h"
#include "schema/schema.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "A text column is typed date when every non-NULL value among its table's first 1000\n"
    "rows is ISO-8601; Unix times and boolean spellings are never guessed.\n"
    "\n"
    "  --data URL   data source (a SQLite file path or sqlite:PATH)\n"
    "  --hints FILE schema hints to check and apply (docs/ARCHITECTURE.md \"Schema hints\")\n"
    "               [STEPWISE_SCHEMA_HINTS]; every problem is printed with its JSON path\n"
    "  --json       print the same JSON object as GET /api/v1/dimensions\n"
    "  --drop-stored-hints  remove the schema hints stored through the API (PUT\n"
    "               /api/v1/schema/hints) from the data source's catalog\n"
    "Exit status: 0 success, 1 the data source could not be read, 2 usage error.\n";

static void print_text(const struct sw_schema *s)
{
    printf("%zu tables; default dimension: %s\n", s->ndims,
           s->default_dim ? s->default_dim : "(none)");
    for (size_t i = 0; i < s->ndims; i++) {
        const struct sw_dimension *d = &s->dims[i];
        if (d->pk) {
            printf("\ndimension %s (%skey %s)%s%s%s\n", d->name, d->view ? "a view, " : "", d->pk,
                   d->label ? " \"" : "", d->label ? d->label : "", d->label ? "\"" : "");
            static const char *const chn[3] = {"email", "sms", "push"};
            for (int c = 0; c < 3; c++) {
                if (d->address[c]) {
                    printf("  %s address: %s\n", chn[c], d->address[c]);
                }
            }
        } else {
            printf("\ntable %s (not a dimension: no single-column primary key)\n", d->name);
        }
        for (size_t j = 0; j < d->nfields; j++) {
            const struct sw_field *f = &d->fields[j];
            printf("  %-28s %-8s", f->name, sw_type_name(f->type));
            if (f->source == SW_SRC_INFERRED) {
                printf(" inferred from %d values (declared %s)", f->sampled,
                       f->decl && *f->decl ? f->decl : "without a type");
            } else if (f->source == SW_SRC_HINTED) {
                printf(" hinted (declared %s)", f->decl && *f->decl ? f->decl : "without a type");
            } else if (f->decl && *f->decl) {
                printf(" declared %s", f->decl);
            }
            if (f->type == SW_T_DATE && (f->date_fmt == SW_DATE_EPOCH_S ||
                                         f->date_fmt == SW_DATE_EPOCH_MS)) {
                printf(", Unix %s", f->date_fmt == SW_DATE_EPOCH_S ? "seconds" : "milliseconds");
            }
            for (size_t k = 0; k < f->nyes; k++) {
                printf("%s\"%s\"", k ? ", " : ", true: ", f->yes[k]);
            }
            for (size_t k = 0; k < f->nno; k++) {
                printf("%s\"%s\"", k ? ", " : "; false: ", f->no[k]);
            }
            if (f->label) {
                printf(", label \"%s\"", f->label);
            }
            printf("%s%s\n", f->pk ? ", key" : "", f->indexed && !f->pk ? ", indexed" : "");
        }
        for (size_t j = 0; j < d->nlinks; j++) {
            const struct sw_link *l = &d->links[j];
            printf("  link %-23s %s %s (%s.%s = %s.%s)%s\n", l->name,
                   l->to_many ? "1-N" : "N-1", l->target, d->name, l->local_col, l->target,
                   l->remote_col, l->collides ? "  [name shared: unusable]" : "");
        }
    }
    if (s->nwarnings) {
        printf("\nwarnings:\n");
        for (size_t i = 0; i < s->nwarnings; i++) {
            printf("  %s\n", s->warnings[i]);
        }
    }
}

int sw_cmd_schema(int argc, char **argv)
{
    const char *data = NULL, *hints = getenv("STEPWISE_SCHEMA_HINTS");
    int json_out = 0, drop = 0, rc = 1;
    const struct sw_cli_flag flags[] = {
        SW_CLI_TEXT("data", &data),
        SW_CLI_SET("json", &json_out),
        SW_CLI_TEXT("hints", &hints),
        SW_CLI_SET("drop-stored-hints", &drop),
        SW_CLI_END,
    };
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    struct sw_schema *schema = NULL;
    int go = sw_cli_parse("schema", argc, argv, flags, usage_text);
    if (go != SW_CLI_GO) {
        return go;
    }
    if (optind != argc) {
        return sw_cli_usage_error("schema", "unexpected argument \"%s\"", argv[optind]);
    }
    if (!data) {
        return sw_cli_usage_error("schema", "--data URL is required");
    }
    if (drop) {
        struct sw_catalog *cat = NULL;
        if (sw_cli_open_catalog(data, &db, &cat, &err) < 0 ||
            sw_catalog_hints_delete(cat, &err) < 0) {
            sw_cli_print_error("schema", &err);
        } else {
            printf("the schema hints stored through the API are removed (%lld)\n",
                   (long long)sw_db_changes(db));
            rc = 0;
        }
        sw_catalog_free(cat);
        goto out;
    }
    if (sw_db_open(data, &db, &err) < 0 ||
        sw_schema_discover_hinted(db, hints, &schema, &err) < 0) {
        sw_cli_print_error("schema", &err);
        goto out;
    }
    if (json_out) {
        json_t *o = sw_schema_to_json(schema);
        char *text = json_dumps(o, JSON_INDENT(2));
        puts(text);
        free(text);
        json_decref(o);
    } else {
        print_text(schema);
    }
    rc = 0;
out:
    sw_schema_free(schema);
    sw_db_close(db);
    sw_error_release(&err);
    return rc;
}
