/*
 * cmd_demo.c - `stepwise demo`: create the demo data source (if absent) and run the
 * example campaign on it, printing the counts. The daemon (API and UI) that `demo` will
 * serve is not part of this build yet; this command says so.
 */
#include "cli/cli.h"
#include "cli/demo_data.h"
#include "core/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A win-back campaign on the demo data: every targeting activity type that needs no
 * delivery channel. */
static const char demo_campaign[] =
    "{\n"
    "  \"name\": \"Spring win-back\",\n"
    "  \"description\": \"Lapsed buyers in France, Belgium and Germany\",\n"
    "  \"campaign\": \"Spring 2027\",\n"
    "  \"tags\": [\"retention\", \"demo\"],\n"
    "  \"targeting_dimension\": \"profiles\",\n"
    "  \"variables\": {\"vip_threshold\": 500},\n"
    "  \"activities\": [\n"
    "    {\"id\": \"lapsed\", \"type\": \"build_audience\", \"filter\": {\"all\": [\n"
    "      {\"field\": \"country\", \"op\": \"in\", \"value\": [\"FR\", \"BE\", \"DE\"]},\n"
    "      {\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true},\n"
    "      {\"link\": \"orders\", \"exists\": {\"field\": \"created_at\", \"op\": \"within_last\", \"value\": \"730d\"}},\n"
    "      {\"not\": {\"link\": \"orders\", \"exists\": {\"field\": \"created_at\", \"op\": \"within_last\", \"value\": \"90d\"}}}\n"
    "    ]}},\n"
    "    {\"id\": \"dedup\", \"type\": \"deduplicate\", \"fields\": [\"email\"],\n"
    "     \"keep\": {\"count\": 1, \"method\": \"order_by\", \"order_by\": \"created_at\", \"direction\": \"desc\"}},\n"
    "    {\"id\": \"value\", \"type\": \"enrich\", \"columns\": [\n"
    "      {\"name\": \"spent_2y\", \"link\": \"orders\", \"aggregate\": \"sum\", \"field\": \"amount\",\n"
    "       \"filter\": {\"field\": \"created_at\", \"op\": \"within_last\", \"value\": \"730d\"}},\n"
    "      {\"name\": \"orders_2y\", \"link\": \"orders\", \"aggregate\": \"count\",\n"
    "       \"filter\": {\"field\": \"created_at\", \"op\": \"within_last\", \"value\": \"730d\"}}]},\n"
    "    {\"id\": \"tiers\", \"type\": \"split\", \"segments\": [\n"
    "      {\"port\": \"vip\", \"filter\": {\"field\": \"spent_2y\", \"op\": \"ge\", \"value\": {\"var\": \"vip_threshold\"}}},\n"
    "      {\"port\": \"control\", \"percent\": 10}],\n"
    "     \"complement\": \"others\"},\n"
    "    {\"id\": \"big\", \"type\": \"test\", \"conditions\": [{\"port\": \"many\", \"count\": {\"gt\": 100}}]},\n"
    "    {\"id\": \"notify\", \"type\": \"alert\", \"title\": \"Large VIP segment\", \"message\": \"check the offer budget\"},\n"
    "    {\"id\": \"save_controls\", \"type\": \"save_audience\", \"audience\": \"spring_controls\", \"mode\": \"replace\"},\n"
    "    {\"id\": \"all_targets\", \"type\": \"combine\", \"operation\": \"union\"},\n"
    "    {\"id\": \"done\", \"type\": \"end\"}\n"
    "  ],\n"
    "  \"transitions\": [\n"
    "    {\"from\": \"lapsed\", \"to\": \"dedup\"}, {\"from\": \"dedup\", \"to\": \"value\"},\n"
    "    {\"from\": \"value\", \"to\": \"tiers\"},\n"
    "    {\"from\": \"tiers\", \"port\": \"vip\", \"to\": \"big\"},\n"
    "    {\"from\": \"big\", \"port\": \"many\", \"to\": \"notify\"},\n"
    "    {\"from\": \"tiers\", \"port\": \"control\", \"to\": \"save_controls\"},\n"
    "    {\"from\": \"tiers\", \"port\": \"vip\", \"to\": \"all_targets\"},\n"
    "    {\"from\": \"tiers\", \"port\": \"others\", \"to\": \"all_targets\"},\n"
    "    {\"from\": \"all_targets\", \"to\": \"done\"}\n"
    "  ]\n"
    "}\n";

static const char usage[] =
    "usage: stepwise demo [--dir DIR] [--profiles N]\n"
    "\n"
    "Create a demo data source in DIR (default ./stepwise-demo) if it is absent, then run\n"
    "the example campaign on it and print the count on every transition.\n";

int sw_cmd_demo(int argc, char **argv)
{
    const char *dir = "stepwise-demo";
    int64_t profiles = 20000;
    for (int i = 1; i < argc; i++) {
        if (sw_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            dir = argv[++i];
        } else if (!strcmp(argv[i], "--profiles") && i + 1 < argc) {
            if (sw_parse_int64(argv[++i], &profiles) < 0 || profiles < 1) {
                fprintf(stderr, "stepwise demo: --profiles expects a positive integer\n");
                return 2;
            }
        } else {
            fprintf(stderr, "stepwise demo: unknown option \"%s\"\n%s", argv[i], usage);
            return 2;
        }
    }
    if (mkdir(dir, 0755) < 0 && access(dir, W_OK) < 0) {
        fprintf(stderr, "stepwise demo: cannot create %s\n", dir);
        return 1;
    }
    char *db = sw_asprintf("%s/demo.db", dir);
    char *camp = sw_asprintf("%s/winback.json", dir);
    int rc = 0;
    if (access(db, F_OK) != 0) {
        struct sw_error err = SW_ERROR_INIT;
        printf("creating %s with %lld profiles...\n", db, (long long)profiles);
        if (sw_demo_data_generate(db, profiles, 42, &err) < 0) {
            sw_cli_print_error("demo-data", &err);
            sw_error_release(&err);
            rc = 1;
            goto out;
        }
    }
    FILE *f = fopen(camp, "w");
    if (!f) {
        fprintf(stderr, "stepwise demo: cannot write %s\n", camp);
        rc = 1;
        goto out;
    }
    fputs(demo_campaign, f);
    fclose(f);
    printf("example campaign: %s\n\n", camp);
    char *args[] = {"run", camp, "--data", db, NULL};
    rc = sw_cmd_run(4, args);
    printf("\nTry: stepwise validate %s --data %s\n"
           "     stepwise run %s --data %s --json\n"
           "The daemon with the HTTP API and the web UI is not part of this build yet.\n",
           camp, db, camp, db);
out:
    free(db);
    free(camp);
    return rc;
}
