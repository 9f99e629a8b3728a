/*
 * cmd_demo.c - `stepwise demo`: create the demo data source (if absent) with example
 * campaigns in every status (draft, running, paused, completed, failed), templates and a
 * demo user, then serve it with the same settings as `stepwise serve` (cli/serve.h). Email
 * goes to a file outbox, the Maildir DIR/outbox (smtp_url = maildir:DIR/outbox), unless
 * --smtp-url (or STEPWISE_SMTP_URL, or the config file) says otherwise, so that a newcomer
 * can start a campaign and read the messages it sent.
 */
#include "cli/cli.h"
#include "cli/demo_data.h"
#include "cli/serve.h"
#include "catalog/auth.h"
#include "catalog/campaigns.h"
#include "catalog/catalog.h"
#include "catalog/runs.h"
#include "catalog/templates.h"
#include "core/clock.h"
#include "core/util.h"
#include "db/db.h"
#include "engine/engine.h"
#include "model/campaign.h"
#include "model/schedule.h"
#include "runs/service.h"
#include "schema/schema.h"
#include "server/auth.h"

#include <errno.h>
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

static const char usage_text[] =
    "\n"
    "The data source is DIR/demo.db (created with N profiles if absent; default DIR is\n"
    "./stepwise-demo, N 20000) with campaigns in every status, templates and the user \"demo\"\n"
    "(password \"stepwise-demo\"). Email is written to the Maildir DIR/outbox (open it with\n"
    "'mutt -f DIR/outbox') unless --smtp-url says otherwise.\n"
    "\n"
    "  --dir DIR        where the demo lives [default: stepwise-demo]\n"
    "  --profiles N     profiles in a new demo data source [default: 20000]\n"
    "  --no-serve       create the demo and exit\n"
    "  --NAME VALUE     any setting of 'stepwise serve --help' (--listen, --smtp-url, ...),\n"
    "                   also from STEPWISE_<NAME> and --config FILE, except --data\n"
    "Exit status: 0 done (or stopped by a signal), 1 error, 2 usage error.\n";

static void usage(FILE *f)
{
    sw_cli_usage_head(f, "demo");
    fputs(usage_text, f);
}

static const char newsletter[] =
    "{\"name\": \"Weekly newsletter\", \"description\": \"Profiles who accept email, every Monday "
    "09:00 Paris time\","
    " \"campaign\": \"Always on\", \"tags\": [\"newsletter\"], \"timezone\": \"Europe/Paris\","
    " \"schedule\": {\"rrule\": \"FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0\"},"
    " \"activities\": [{\"id\": \"subscribers\", \"type\": \"build_audience\", \"filter\":"
    " {\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true}},"
    " {\"id\": \"dedup\", \"type\": \"deduplicate\", \"fields\": [\"email\"]},"
    " {\"id\": \"save\", \"type\": \"save_audience\", \"audience\": \"newsletter_week\"}],"
    " \"transitions\": [{\"from\": \"subscribers\", \"to\": \"dedup\"}, {\"from\": \"dedup\", \"to\": \"save\"}]}";

/* Paused before its first task: resuming it sends the welcome email to the outbox. */
static const char welcome[] =
    "{\"name\": \"Welcome email\", \"description\": \"Profiles who signed up in the last 30 days "
    "and accept email. Paused: resume it to send (stepwise demo writes email to its outbox)\","
    " \"campaign\": \"Onboarding\", \"tags\": [\"lifecycle\", \"onboarding\"],"
    " \"activities\": [{\"id\": \"new_signups\", \"type\": \"build_audience\", \"filter\":"
    " {\"all\": [{\"field\": \"created_at\", \"op\": \"within_last\", \"value\": \"30d\"},"
    " {\"field\": \"email_opt_in\", \"op\": \"eq\", \"value\": true}]}},"
    " {\"id\": \"welcome\", \"type\": \"email\", \"to_field\": \"email\", \"from\": \"hello@example.com\","
    " \"subject\": \"Welcome, {{first_name | default: \\\"friend\\\"}}!\","
    " \"text\": \"Hello {{first_name | default: \\\"there\\\"}},\\n\\nthank you for signing up."
    " Your first order ships free.\\n\","
    " \"html\": \"<p>Hello {{first_name | default: \\\"there\\\"}},</p><p>thank you for signing"
    " up. Your first order ships free.</p>\"}],"
    " \"transitions\": [{\"from\": \"new_signups\", \"to\": \"welcome\"}]}";

static const char vip[] =
    "{\"name\": \"VIP upsell\", \"description\": \"Reads an audience that was never saved: fails\","
    " \"campaign\": \"Spring 2027\", \"tags\": [\"vip\"],"
    " \"activities\": [{\"id\": \"vips\", \"type\": \"read_audience\", \"audience\": \"vip_2026\"},"
    " {\"id\": \"done\", \"type\": \"end\"}],"
    " \"transitions\": [{\"from\": \"vips\", \"to\": \"done\"}]}";

static const char *const month_names[] = {"January", "February", "March",     "April",
                                          "May",     "June",     "July",      "August",
                                          "September", "October", "November", "December"};

/* "Birthday greetings": profiles born this month (the month the demo is created, UTC) who
 * accept email. The filter language compares whole dates, so "born in month M" is one
 * date range per birth year present in the data. malloc'd JSON text. */
static char *birthday_doc(struct sw_db *db)
{
    int y, mo, d, h, mi, sec;
    int64_t lo = 0, hi = 0;
    sw_clock_civil(sw_clock_now_ms(), &y, &mo, &d, &h, &mi, &sec);
    sw_db_query_int(db, "SELECT CAST(min(substr(birth_date, 1, 4)) AS INTEGER) FROM profiles",
                    NULL, &lo, NULL);
    sw_db_query_int(db, "SELECT CAST(max(substr(birth_date, 1, 4)) AS INTEGER) FROM profiles",
                    NULL, &hi, NULL);
    if (lo < 1800 || hi > 2200 || hi < lo) {
        lo = hi = y; /* no birth dates: an empty but valid audience */
    }
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    json_t *years = json_array();
    for (int64_t yr = lo; yr <= hi; yr++) {
        int last = mdays[mo - 1] + (mo == 2 && ((yr % 4 == 0 && yr % 100 != 0) || yr % 400 == 0));
        char from[16], to[16];
        snprintf(from, sizeof(from), "%04d-%02d-01", (int)yr, mo);
        snprintf(to, sizeof(to), "%04d-%02d-%02d", (int)yr, mo, last);
        json_array_append_new(years, json_pack("{s:s, s:s, s:[s,s]}", "field", "birth_date", "op",
                                               "between", "value", from, to));
    }
    char *desc = sw_asprintf("Profiles born in %s (this month when the demo was created) who "
                             "accept email",
                             month_names[mo - 1]);
    json_t *doc = json_pack(
        "{s:s, s:s, s:s, s:[s], s:[{s:s, s:s, s:{s:[{s:o}, {s:s, s:s, s:b}]}}, "
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s}], s:[{s:s, s:s}]}",
        "name", "Birthday greetings", "description", desc, "campaign", "Always on", "tags",
        "lifecycle", "activities", "id", "born_this_month", "type", "build_audience", "filter",
        "all", "any", years, "field", "email_opt_in", "op", "eq", "value", 1, "id", "greet",
        "type", "email", "to_field", "email", "from", "shop@example.com", "subject",
        "Happy birthday, {{first_name | default: \"friend\"}}!", "text",
        "Happy birthday, {{first_name | default: \"friend\"}}! A gift is waiting in your "
        "account.\n",
        "html",
        "<p>Happy birthday, {{first_name | default: \"friend\"}}!</p><p>A gift is waiting in "
        "your account.</p>",
        "transitions", "from", "born_this_month", "to", "greet");
    char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
    json_decref(doc);
    free(desc);
    return text;
}

static int64_t insert(struct sw_db *db, const char *text, struct sw_error *err)
{
    struct sw_campaign *c = NULL;
    struct sw_schema *schema = NULL;
    int64_t id = 0;
    if (sw_schema_discover(db, &schema, err) < 0 ||
        sw_campaign_load(text, strlen(text), &sw_engine_activities, schema, sw_clock_now_ms(), &c,
                         err) < 0) {
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
        rc = sw_campaign_load(text, strlen(text), &sw_engine_activities, schema, sw_clock_now_ms(),
                              &c, err);
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

/* Start a run of a stored campaign and pause it at once, as POST .../pause would. */
static int start_paused(struct sw_db *db, const char *text, int64_t id, struct sw_error *err)
{
    struct sw_campaign *c = NULL;
    struct sw_schema *schema = NULL;
    struct sw_catalog cat = {db};
    json_t *vars = NULL;
    int64_t run_id = 0;
    int rc = sw_schema_discover(db, &schema, err);
    if (rc == 0) {
        rc = sw_campaign_load(text, strlen(text), &sw_engine_activities, schema, sw_clock_now_ms(),
                              &c, err);
    }
    if (rc == 0 && !(vars = sw_campaign_variables(c, NULL, err))) {
        rc = SW_EVALIDATION;
    }
    if (rc == 0) {
        struct sw_config config = {0};
        struct sw_engine eng = {db, &cat, schema, &config};
        struct sw_run_opts opts = {.trigger = "manual", .variables = vars};
        rc = sw_engine_start(&eng, c, id, &opts, &run_id, err);
    }
    if (rc == 0) {
        rc = sw_catalog_run_set_status(&cat, run_id, SW_RUN_STATUS_PAUSED, err);
    }
    if (rc == 0) {
        rc = sw_catalog_campaign_set_status(&cat, id, SW_CAMPAIGN_STATUS_PAUSED, err);
    }
    json_decref(vars);
    sw_campaign_free(c);
    sw_schema_free(schema);
    return rc;
}

/* A template made from a stored campaign, under another name. */
static void template_of(struct sw_catalog *cat, int64_t campaign_id, const char *name)
{
    struct sw_campaign_row row;
    int64_t id = 0;
    if (sw_catalog_campaign_get(cat, campaign_id, true, &row, NULL) == 0) {
        sw_catalog_template_save(cat, &id, name, row.description, row.document, row.updated_at,
                                 NULL);
    }
    sw_campaign_row_release(&row);
}

static int seed(const char *path, struct sw_error *err)
{
    struct sw_db *db = NULL;
    struct sw_catalog *cat = NULL;
    int rc = sw_db_open(path, &db, err);
    if (rc < 0 || (rc = sw_catalog_open(db, &cat, err)) < 0) {
        goto out;
    }
    if (sw_catalog_campaign_count(cat) == 0) {
        char *birthday = birthday_doc(db);
        int64_t win = insert(db, demo_campaign, err);
        int64_t news = insert(db, newsletter, err);
        int64_t bday = birthday ? insert(db, birthday, err) : 0;
        int64_t fail = insert(db, vip, err);
        int64_t hello = insert(db, welcome, err);
        free(birthday);
        if (!win || !news || !bday || !fail || !hello) {
            rc = SW_EVALIDATION;
            goto out;
        }
        /* paused: its run created and paused before any task ran */
        if ((rc = start_paused(db, welcome, hello, err)) < 0) {
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
            sw_catalog_campaign_set_next(cat, news, sw_schedule_next(s, sw_clock_now_ms()), NULL);
            sw_catalog_campaign_set_status(cat, news, SW_CAMPAIGN_STATUS_RUNNING, NULL);
        }
        sw_schedule_free(s);
        json_decref(doc);
        template_of(cat, win, "Win-back (template)");
        template_of(cat, news, "Newsletter (template)");
    }
    if (!sw_catalog_user_exists(cat, "demo")) {
        rc = sw_auth_user_add(db, "demo", SW_ROLE_ADMIN, "stepwise-demo", err);
    }
out:
    sw_catalog_free(cat);
    sw_db_close(db);
    return rc;
}

int sw_cmd_demo(int argc, char **argv)
{
    const char *dir = "stepwise-demo";
    int64_t profiles = 20000;
    bool serve = true;
    /* what is not demo's own goes to the serve settings, checked before anything is made */
    char **fwd = sw_calloc((size_t)argc + 1, sizeof(*fwd));
    int nfwd = 0;
    fwd[nfwd++] = "demo";
    for (int i = 1; i < argc; i++) {
        if (sw_cli_is_help(argv[i])) {
            usage(stdout);
            free(fwd);
            return 0;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--no-serve")) {
            serve = false;
        } else if (!strcmp(a, "--dir") || !strcmp(a, "--profiles")) {
            if (i + 1 >= argc || !*argv[i + 1]) {
                free(fwd);
                return sw_cli_usage_error("demo", "%s needs a value", a);
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--dir")) {
                dir = v;
            } else if (sw_parse_int64(v, &profiles) < 0 || profiles < 1 ||
                       profiles > 10000000) {
                free(fwd);
                return sw_cli_usage_error(
                    "demo", "--profiles expects an integer from 1 to 10000000, got \"%s\"", v);
            }
        } else {
            fwd[nfwd++] = argv[i];
        }
    }
    char *db = sw_asprintf("%s/demo.db", dir);
    char *camp = sw_asprintf("%s/winback.json", dir);
    char *outbox = sw_asprintf("maildir:%s/outbox", dir);
    const struct sw_cli_preset presets[] = {
        {"data", db, true, "the demo's data source is DIR/demo.db: use --dir DIR"},
        {"smtp_url", outbox, false, NULL},
    };
    struct sw_settings set;
    struct sw_error err = SW_ERROR_INIT;
    int rc = sw_serve_settings(nfwd, fwd, "demo", presets, 2, &set);
    free(fwd);
    if (rc != 0) {
        rc = rc < 0 ? 0 : rc;
        goto out;
    }
    rc = 1;
    if (mkdir(dir, 0755) < 0 && access(dir, W_OK) < 0) {
        fprintf(stderr, "stepwise demo: cannot create the directory %s: %s\n", dir,
                strerror(errno));
        goto out;
    }
    if (access(db, F_OK) != 0) {
        printf("creating %s with %lld profiles...\n", db, (long long)profiles);
        fflush(stdout);
        if (sw_demo_data_generate(db, profiles, 42, &err) < 0) {
            sw_cli_print_error("demo-data", &err);
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
        goto out;
    }
    printf("demo data source: %s (example campaign document: %s)\n"
           "sign in as user \"demo\" with password \"stepwise-demo\" (an admin; demo only)\n",
           db, camp);
    if (set.smtp_url && !strncmp(set.smtp_url, "maildir:", 8)) {
        printf("email is written to the Maildir %s (read it with: mutt -f %s)\n",
               set.smtp_url + 8, set.smtp_url + 8);
    } else if (set.smtp_url) {
        char *shown = sw_cli_redact_url(set.smtp_url);
        printf("email is sent through %s\n", shown);
        free(shown);
    }
    fflush(stdout);
    rc = serve ? sw_serve_run("demo", &set) : 0;
out:
    sw_settings_release(&set);
    sw_error_release(&err);
    free(db);
    free(camp);
    free(outbox);
    return rc;
}
