/*
 * cmd_demo.c - `stepwise demo`: create the demo data source (if absent) and run the
 * example campaign on it, printing the counts. The daemon (API and UI) that `demo` will
 * serve is not part of this build yet; this command says so.
 */
#include "cli/cli.h"
#include "cli/demo_data.h"
#include "catalog/catalog.h"
#include "core/clock.h"
#include "core/util.h"
#include "db/db.h"
#include "engine/engine.h"
#include "model/campaign.h"
#include "scheduler/schedule.h"
#include "schema/schema.h"
#include "server/auth.h"
#include "server/service.h"

#include <jansson.h>
#include <stdbool.h>

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
    "usage: stepwise demo [--dir DIR] [--profiles N] [--listen HOST:PORT] [--no-serve]\n"
    "\n"
    "Create a demo data source in DIR (default ./stepwise-demo) if it is absent, with example\n"
    "campaigns in every status, templates and a demo user, then serve the API and UI.\n";

static const char newsletter[] =
    "{\"name\": \"Weekly newsletter\", \"description\": \"Every Monday 09:00 Paris time\","
    " \"campaign\": \"Always on\", \"tags\": [\"newsletter\"], \"timezone\": \"Europe/Paris\","
    " \"schedule\": {\"rrule\": \"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0\"},"
    " \"activities\": [{\"id\": \"subscribers\", \"type\": \"build_audience\", \"filter\":"
    " {\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true}},"
    " {\"id\": \"dedup\", \"type\": \"deduplicate\", \"fields\": [\"email\"]},"
    " {\"id\": \"save\", \"type\": \"save_audience\", \"audience\": \"newsletter_week\"}],"
    " \"transitions\": [{\"from\": \"subscribers\", \"to\": \"dedup\"}, {\"from\": \"dedup\", \"to\": \"save\"}]}";

static const char birthday[] =
    "{\"name\": \"Birthday greetings\", \"description\": \"Draft: people born this month\","
    " \"campaign\": \"Always on\", \"tags\": [\"lifecycle\"],"
    " \"activities\": [{\"id\": \"born\", \"type\": \"build_audience\", \"filter\":"
    " {\"all\": [{\"field\": \"birth_date\", \"op\": \"before\", \"value\": \"-18y\"},"
    " {\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true}]}},"
    " {\"id\": \"greet\", \"type\": \"email\", \"to_field\": \"email\", \"from\": \"shop@example.com\","
    " \"subject\": \"Happy birthday, {{first_name | default: \\\"friend\\\"}}!\","
    " \"html\": \"<p>A gift is waiting for you.</p>\"}],"
    " \"transitions\": [{\"from\": \"born\", \"to\": \"greet\"}]}";

static const char vip[] =
    "{\"name\": \"VIP upsell\", \"description\": \"Reads an audience that was never saved: fails\","
    " \"campaign\": \"Spring 2027\", \"tags\": [\"vip\"],"
    " \"activities\": [{\"id\": \"vips\", \"type\": \"read_audience\", \"audience\": \"vip_2026\"},"
    " {\"id\": \"done\", \"type\": \"end\"}],"
    " \"transitions\": [{\"from\": \"vips\", \"to\": \"done\"}]}";

static int64_t insert(struct sw_db *db, const char *text, struct sw_error *err)
{
    struct sw_campaign *c = NULL;
    struct sw_schema *schema = NULL;
    int64_t id = 0;
    if (sw_schema_discover(db, &schema, err) < 0 ||
        sw_campaign_load(text, strlen(text), schema, sw_clock_now_ms(), &c, err) < 0) {
        goto out;
    }
    id = sw_svc_campaign_insert(db, c, err);
out:
    sw_campaign_free(c);
    sw_schema_free(schema);
    return id;
}

/* Run a stored campaign to its end in this process (history for the demo). */
static int run_stored(struct sw_db *db, const char *text, int64_t id, struct sw_error *err)
{
    struct sw_campaign *c = NULL;
    struct sw_schema *schema = NULL;
    struct sw_catalog cat = {db};
    int64_t run_id = 0;
    int rc = sw_schema_discover(db, &schema, err);
    if (rc == 0) {
        rc = sw_campaign_load(text, strlen(text), schema, sw_clock_now_ms(), &c, err);
    }
    if (rc == 0) {
        json_t *vars = sw_campaign_variables(c, NULL, err);
        struct sw_config config = {0};
        struct sw_engine eng = {db, &cat, schema, &config};
        struct sw_run_opts opts = {.trigger = "manual", .variables = vars};
        rc = sw_engine_run(&eng, c, id, &opts, &run_id, err);
        json_decref(vars);
    }
    sw_campaign_free(c);
    sw_schema_free(schema);
    return rc < 0 ? rc : 0;
}

static int seed(const char *path, struct sw_error *err)
{
    struct sw_db *db = NULL;
    struct sw_catalog *cat = NULL;
    int64_t n = 0;
    int rc = sw_db_open(path, &db, err);
    if (rc < 0 || (rc = sw_catalog_open(db, &cat, err)) < 0) {
        goto out;
    }
    sw_db_query_int(db, "SELECT count(*) FROM sw_campaigns", NULL, &n, NULL);
    if (n == 0) {
        int64_t win = insert(db, demo_campaign, err);
        int64_t news = insert(db, newsletter, err);
        int64_t bday = insert(db, birthday, err);
        int64_t fail = insert(db, vip, err);
        if (!win || !news || !bday || !fail) {
            rc = SW_EVALIDATION;
            goto out;
        }
        /* completed, with two runs of history */
        if ((rc = run_stored(db, demo_campaign, win, err)) < 0 ||
            (rc = run_stored(db, demo_campaign, win, err)) < 0) {
            goto out;
        }
        /* failed: its first activity cannot find the audience */
        if ((rc = run_stored(db, vip, fail, err)) < 0) {
            goto out;
        }
        /* running on a schedule: armed for next Monday 09:00 Paris */
        json_t *doc = json_loads(newsletter, 0, NULL);
        struct sw_schedule *s = NULL;
        if (sw_schedule_parse(json_object_get(doc, "schedule"), "Europe/Paris", &s, err) == 0) {
            struct sw_params p = SW_PARAMS_INIT;
            sw_params_add_int(&p, sw_schedule_next(s, sw_clock_now_ms()));
            sw_params_add_int(&p, news);
            sw_db_exec_params(db, "UPDATE sw_campaigns SET status = 'running', next_run_at = ?1 "
                                  "WHERE id = ?2",
                              &p, NULL, NULL);
            sw_params_release(&p);
        }
        sw_schedule_free(s);
        json_decref(doc);
        sw_db_exec(db,
                   "INSERT INTO sw_templates(name, description, document, created_at, updated_at) "
                   "SELECT 'Win-back (template)', description, document, created_at, updated_at "
                   "FROM sw_campaigns WHERE name = 'Spring win-back';"
                   "INSERT INTO sw_templates(name, description, document, created_at, updated_at) "
                   "SELECT 'Newsletter (template)', description, document, created_at, updated_at "
                   "FROM sw_campaigns WHERE name = 'Weekly newsletter';",
                   NULL);
        (void)bday;
    }
    n = 0;
    sw_db_query_int(db, "SELECT count(*) FROM sw_users WHERE name = 'demo'", NULL, &n, NULL);
    if (!n) {
        rc = sw_auth_user_add(db, "demo", SW_ROLE_ADMIN, "stepwise-demo", err);
    }
out:
    sw_catalog_free(cat);
    sw_db_close(db);
    return rc;
}

int sw_cmd_demo(int argc, char **argv)
{
    const char *dir = "stepwise-demo", *listen = "127.0.0.1:8080";
    int64_t profiles = 20000;
    bool serve = true;
    for (int i = 1; i < argc; i++) {
        if (sw_cli_is_help(argv[i])) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(argv[i], "--dir") && i + 1 < argc) {
            dir = argv[++i];
        } else if (!strcmp(argv[i], "--listen") && i + 1 < argc) {
            listen = argv[++i];
        } else if (!strcmp(argv[i], "--no-serve")) {
            serve = false;
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
    struct sw_error err = SW_ERROR_INIT;
    int rc = 0;
    if (access(db, F_OK) != 0) {
        printf("creating %s with %lld profiles...\n", db, (long long)profiles);
        if (sw_demo_data_generate(db, profiles, 42, &err) < 0) {
            sw_cli_print_error("demo-data", &err);
            rc = 1;
            goto out;
        }
    }
    FILE *f = fopen(camp, "w");
    if (f) {
        fputs(demo_campaign, f);
        fclose(f);
    }
    if (seed(db, &err) < 0) {
        sw_cli_print_error("demo", &err);
        rc = 1;
        goto out;
    }
    printf("demo data source: %s (example campaign document: %s)\n"
           "sign in as user \"demo\" with password \"stepwise-demo\" (an admin; demo only)\n",
           db, camp);
    fflush(stdout);
    if (serve) {
        char *args[] = {"serve", "--data", db, "--listen", (char *)listen, NULL};
        rc = sw_cmd_serve(5, args);
    }
out:
    sw_error_release(&err);
    free(db);
    free(camp);
    return rc;
}
