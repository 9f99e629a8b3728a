/*
 * test_campaign.c - the campaign document validator (src/model/campaign.c and each activity
 * type's validate()): every class of error with its exact JSON path and a fragment of its
 * message, structure-only (schema NULL) and against a schema discovered from an in-memory
 * SQLite database (profiles, orders, households with foreign keys).
 *
 * Documents are written with single quotes for readability; q() turns them into JSON.
 */
#include "testutil.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"
#include "db/db.h"
#include "model/campaign.h"
#include "schema/schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct sw_db *db;
static struct sw_schema *schema;
static int64_t now_ms;

static const char *setup_sql =
    "CREATE TABLE households (id INTEGER PRIMARY KEY, city TEXT);\n"
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email TEXT, first_name TEXT, phone TEXT,"
    "  country TEXT, email_opt_in BOOLEAN, created_at DATETIME, birth_date DATE,"
    "  household_id INTEGER REFERENCES households(id), score REAL);\n"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, profile_id INTEGER REFERENCES profiles(id),"
    "  amount REAL, status TEXT, created_at DATETIME);\n"
    "INSERT INTO households VALUES (1, 'Paris');\n"
    "INSERT INTO profiles VALUES (1, 'a@x.org', 'Ann', '+33600000000', 'FR', 1,"
    "  '2026-01-01T00:00:00Z', '1990-01-01', 1, 1.5);\n"
    "INSERT INTO orders VALUES (1, 1, 10.0, 'paid', '2026-02-01 10:00:00');\n";

static int group_setup(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    db = tu_db(setup_sql);
    if (sw_schema_discover(db, &schema, &err) < 0) {
        tu_print_error(&err);
        return -1;
    }
    sw_error_release(&err);
    assert_int_equal(sw_clock_parse_iso("2026-03-15T12:00:00Z", &now_ms), 0);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    sw_schema_free(schema);
    sw_db_close(db);
    return 0;
}

/* ---- harness --------------------------------------------------------------------------- */

/* Single quotes to double quotes (documents below never need a literal '). */
static char *q(const char *doc)
{
    char *s = sw_strdup(doc);
    for (char *p = s; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    return s;
}

/* Load a document; the campaign is returned (caller frees) when out is not NULL. */
static int load(const char *doc, const struct sw_schema *sch, struct sw_error *err,
                struct sw_campaign **out)
{
    char *text = q(doc);
    struct sw_campaign *c = (struct sw_campaign *)1;
    int rc = sw_campaign_load(text, strlen(text), &sw_engine_activities, sch, now_ms, &c, err);
    free(text);
    if (rc == 0) {
        assert_non_null(c);
    } else {
        assert_null(c);
    }
    if (out) {
        *out = rc == 0 ? c : NULL;
    } else {
        sw_campaign_free(rc == 0 ? c : NULL);
    }
    return rc;
}

#define expect_ok(doc, sch) expect_ok_at(__LINE__, doc, sch)
static void expect_ok_at(int line, const char *doc, const struct sw_schema *sch)
{
    struct sw_error err = SW_ERROR_INIT;
    int rc = load(doc, sch, &err, NULL);
    if (rc != 0) {
        tu_print_error(&err);
        fail_msg("line %d: expected a valid document (%s schema), got %d", line,
                 sch ? "with" : "without", rc);
    }
    assert_int_equal(err.ndetails, 0);
    sw_error_release(&err);
}

/* The document must be invalid, with a detail at exactly `path` containing `needle`. */
#define expect_err(doc, sch, path, needle) expect_err_at(__LINE__, doc, sch, path, needle)
static void expect_err_at(int line, const char *doc, const struct sw_schema *sch,
                          const char *path, const char *needle)
{
    struct sw_error err = SW_ERROR_INIT;
    int rc = load(doc, sch, &err, NULL);
    if (rc != SW_EVALIDATION || !tu_has_detail(&err, path, needle)) {
        tu_print_error(&err);
        fail_msg("line %d: expected SW_EVALIDATION (got %d) with %s: ...%s...", line, rc, path,
                 needle ? needle : "");
    }
    assert_int_equal(err.code, SW_EVALIDATION);
    assert_non_null(err.message);
    sw_error_release(&err);
}

/* Both without and with the schema. */
#define expect_err2(doc, path, needle)                                                             \
    do {                                                                                           \
        expect_err_at(__LINE__, doc, NULL, path, needle);                                          \
        expect_err_at(__LINE__, doc, schema, path, needle);                                        \
    } while (0)
#define expect_ok2(doc)                                                                            \
    do {                                                                                           \
        expect_ok_at(__LINE__, doc, NULL);                                                         \
        expect_ok_at(__LINE__, doc, schema);                                                       \
    } while (0)

/* A document "a" (build_audience) -> "b" (the given activity). */
static char *two(const char *b)
{
    return sw_asprintf("{'name':'t','activities':[{'id':'a','type':'build_audience'},%s],"
                       "'transitions':[{'from':'a','to':'b'}]}",
                       b);
}

#define ERR_B(b, path, needle)                                                                     \
    do {                                                                                           \
        char *d_ = two(b);                                                                         \
        expect_err2(d_, path, needle);                                                             \
        free(d_);                                                                                  \
    } while (0)
#define ERR_B_SCHEMA(b, path, needle)                                                              \
    do {                                                                                           \
        char *d_ = two(b);                                                                         \
        expect_err(d_, schema, path, needle);                                                      \
        free(d_);                                                                                  \
    } while (0)
#define OK_B(b)                                                                                    \
    do {                                                                                           \
        char *d_ = two(b);                                                                         \
        expect_ok2(d_);                                                                            \
        free(d_);                                                                                  \
    } while (0)

#define MIN_ACTS "'activities':[{'id':'a','type':'build_audience'}],'transitions':[]"

/* ---- top level --------------------------------------------------------------------------- */

static void test_minimal_valid(void **state)
{
    (void)state;
    expect_ok2("{'name':'t'," MIN_ACTS "}");
    struct sw_campaign *c = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(load("{'name':'Min'," MIN_ACTS "}", schema, &err, &c), 0);
    assert_string_equal(c->name, "Min");
    assert_string_equal(c->dimension, "profiles"); /* the schema's default */
    assert_int_equal(c->history_days, 30);
    assert_false(c->keep_interim_results);
    assert_int_equal(c->nacts, 1);
    assert_true(c->acyclic);
    sw_campaign_free(c);
    sw_error_release(&err);
}

static void test_required_name(void **state)
{
    (void)state;
    expect_err2("{" MIN_ACTS "}", "$.name", "required");
    expect_err2("{'name':null," MIN_ACTS "}", "$.name", "required");
    expect_err2("{'name':''," MIN_ACTS "}", "$.name", "must not be empty");
    expect_err2("{'name':5," MIN_ACTS "}", "$.name", "must be a string");
    expect_err2("{'name':'t','transitions':[]}", "$.activities", "required");
    expect_err2("{'name':'t','activities':[]}", "$.transitions", "required");
    expect_err2("{'name':'t','activities':{},'transitions':[]}", "$.activities", "must be an array");
    expect_err2("{'name':'t','activities':[],'transitions':[]}", "$.activities", "at least one");
    expect_err2("{'name':'t','activities':[{'id':'a','type':'build_audience'}],'transitions':{}}",
                "$.transitions", "must be an array");
    expect_err2("[1, 2]", "$", "must be a JSON object");
}

static void test_unknown_top_field(void **state)
{
    (void)state;
    expect_err2("{'name':'t','colour':'red'," MIN_ACTS "}", "$.colour", "unknown field \"colour\"");
    /* the documented optional fields are accepted */
    expect_ok2("{'name':'t','description':'d','campaign':'Spring','tags':['a','b'],"
               "'targeting_dimension':'profiles','timezone':'Europe/Paris','schedule':null,"
               "'options':{'keep_interim_results':true,'history_days':7},'variables':{'x':1}," MIN_ACTS
               "}");
    expect_err2("{'name':'t','description':7," MIN_ACTS "}", "$.description", "must be a string");
}

static void test_bad_tags(void **state)
{
    (void)state;
    expect_err2("{'name':'t','tags':'retention'," MIN_ACTS "}", "$.tags", "array of strings");
    expect_err2("{'name':'t','tags':['ok', 3]," MIN_ACTS "}", "$.tags[1]", "non-empty string");
    expect_err2("{'name':'t','tags':['']," MIN_ACTS "}", "$.tags[0]", "non-empty string");
    char long_tag[80];
    memset(long_tag, 'x', 65);
    long_tag[65] = '\0';
    char *doc = sw_asprintf("{'name':'t','tags':['%s']," MIN_ACTS "}", long_tag);
    expect_err2(doc, "$.tags[0]", "at most 64");
    free(doc);
    long_tag[64] = '\0';
    doc = sw_asprintf("{'name':'t','tags':['%s']," MIN_ACTS "}", long_tag);
    expect_ok2(doc);
    free(doc);
}

static void test_schedule(void **state)
{
    (void)state;
    expect_err2("{'name':'t','schedule':'daily'," MIN_ACTS "}", "$.schedule",
                "must be an object or null");
    expect_err2("{'name':'t','schedule':{}," MIN_ACTS "}", "$.schedule", "exactly one of");
    expect_err2("{'name':'t','schedule':{'at':'2027-01-01T00:00:00','cron':'0 9 * * 1'}," MIN_ACTS
                "}",
                "$.schedule", "exactly one of");
    expect_err2("{'name':'t','schedule':{'at':'2026-02-30T00:00:00'}," MIN_ACTS "}", "$.schedule.at",
                "ISO-8601");
    expect_err2("{'name':'t','schedule':{'at':5}," MIN_ACTS "}", "$.schedule.at", "ISO-8601");
    expect_err2("{'name':'t','schedule':{'rrule':'WEEKLY'}," MIN_ACTS "}", "$.schedule.rrule",
                "FREQ=");
    expect_err2("{'name':'t','schedule':{'rrule':'FREQ=DAILY','start':'soon'}," MIN_ACTS "}",
                "$.schedule.start", "ISO-8601");
    expect_err2("{'name':'t','schedule':{'rrule':'FREQ=DAILY','until':'2027-13-01'}," MIN_ACTS "}",
                "$.schedule.until", "ISO-8601");
    expect_err2("{'name':'t','schedule':{'cron':'* * *'}," MIN_ACTS "}", "$.schedule.cron",
                "m h dom mon dow");
    expect_err2("{'name':'t','schedule':{'cron':'0 9 * * 1 2026'}," MIN_ACTS "}", "$.schedule.cron",
                "m h dom mon dow");
    expect_err2("{'name':'t','schedule':{'signal':'yes'}," MIN_ACTS "}", "$.schedule.signal",
                "must be a boolean");
    expect_err2("{'name':'t','schedule':{'signal':true,'every':'day'}," MIN_ACTS "}",
                "$.schedule.every", "unknown field");
    /* the valid shapes */
    expect_ok2("{'name':'t','schedule':null," MIN_ACTS "}");
    expect_ok2("{'name':'t','schedule':{'signal':true}," MIN_ACTS "}");
    expect_ok2("{'name':'t','schedule':{'at':'2027-01-01T09:00:00+01:00'}," MIN_ACTS "}");
    expect_ok2("{'name':'t','schedule':{'cron':'0 9 * * 1'}," MIN_ACTS "}");
    expect_ok2("{'name':'t','schedule':{'rrule':'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0',"
               "'start':'2027-03-01T00:00:00','until':'2027-06-01T00:00:00'}," MIN_ACTS "}");
}

static void test_options(void **state)
{
    (void)state;
    const char *bad[] = {"0", "-1", "36501", "'30'", "1.5", "true"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *doc = sw_asprintf("{'name':'t','options':{'history_days':%s}," MIN_ACTS "}", bad[i]);
        expect_err2(doc, "$.options.history_days", "between 1 and 36500");
        free(doc);
    }
    expect_err2("{'name':'t','options':{'keep_interim_results':'yes'}," MIN_ACTS "}",
                "$.options.keep_interim_results", "must be a boolean");
    expect_err2("{'name':'t','options':{'retention':3}," MIN_ACTS "}", "$.options.retention",
                "unknown field");
    expect_err2("{'name':'t','options':[]," MIN_ACTS "}", "$.options", "must be an object");
    struct sw_campaign *c = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(load("{'name':'t','options':{'history_days':36500,'keep_interim_results':true},"
                          MIN_ACTS "}",
                          NULL, &err, &c),
                     0);
    assert_int_equal(c->history_days, 36500);
    assert_true(c->keep_interim_results);
    sw_campaign_free(c);
    assert_int_equal(load("{'name':'t','options':{'history_days':1}," MIN_ACTS "}", NULL, &err, &c),
                     0);
    assert_int_equal(c->history_days, 1);
    sw_campaign_free(c);
    sw_error_release(&err);
}

static void test_variables(void **state)
{
    (void)state;
    expect_err2("{'name':'t','variables':[1]," MIN_ACTS "}", "$.variables", "must be an object");
    expect_err2("{'name':'t','variables':{'bad-name':1}," MIN_ACTS "}", "$.variables.bad-name",
                "letters, digits and _");
    expect_err2("{'name':'t','variables':{'x':{'a':1}}," MIN_ACTS "}", "$.variables.x",
                "string, number, boolean or null");
    expect_ok2("{'name':'t','variables':{'a':1,'b':'s','c':true,'d':null,'e':1.5}," MIN_ACTS "}");
}

static void test_targeting_dimension(void **state)
{
    (void)state;
    expect_err("{'name':'t','targeting_dimension':'clients'," MIN_ACTS "}", schema,
               "$.targeting_dimension", "unknown targeting dimension \"clients\"");
    expect_ok("{'name':'t','targeting_dimension':'clients'," MIN_ACTS "}", NULL);
    expect_ok("{'name':'t','targeting_dimension':'orders'," MIN_ACTS "}", schema);
}

/* ---- activities and the graph ------------------------------------------------------------ */

static void test_activity_ids(void **state)
{
    (void)state;
    expect_err2("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
                "{'id':'a','type':'build_audience'}],'transitions':[]}",
                "$.activities[1].id", "duplicate activity id \"a\"");
    expect_err2("{'name':'t','activities':[{'id':'a b','type':'build_audience'}],'transitions':[]}",
                "$.activities[0].id", "[A-Za-z0-9_-]{1,64}");
    expect_err2("{'name':'t','activities':[{'id':'caf\\u00e9','type':'build_audience'}],"
                "'transitions':[]}",
                "$.activities[0].id", "[A-Za-z0-9_-]{1,64}");
    expect_err2("{'name':'t','activities':[{'id':'','type':'build_audience'}],'transitions':[]}",
                "$.activities[0].id", "[A-Za-z0-9_-]{1,64}");
    expect_err2("{'name':'t','activities':[{'type':'build_audience'}],'transitions':[]}",
                "$.activities[0].id", "required");
    expect_err2("{'name':'t','activities':[{'id':7,'type':'build_audience'}],'transitions':[]}",
                "$.activities[0].id", "must be a string");
    expect_err2("{'name':'t','activities':['a'],'transitions':[]}", "$.activities[0]",
                "must be an object");
    char id[70];
    memset(id, 'x', 65);
    id[65] = '\0';
    char *doc = sw_asprintf(
        "{'name':'t','activities':[{'id':'%s','type':'build_audience'}],'transitions':[]}", id);
    expect_err2(doc, "$.activities[0].id", "[A-Za-z0-9_-]{1,64}");
    free(doc);
    id[64] = '\0';
    doc = sw_asprintf(
        "{'name':'t','activities':[{'id':'%s','type':'build_audience'}],'transitions':[]}", id);
    expect_ok2(doc);
    free(doc);
    expect_ok2("{'name':'t','activities':[{'id':'A-z_09','type':'build_audience'}],"
               "'transitions':[]}");
}

static void test_unknown_type(void **state)
{
    (void)state;
    const char *doc = "{'name':'t','activities':[{'id':'a','type':'build_audience'},"
                      "{'id':'b','type':'mail'}],'transitions':[{'from':'a','to':'b'}]}";
    expect_err2(doc, "$.activities[1].type", "unknown activity type \"mail\"");
    /* the message lists what is expected */
    const char *types[] = {"build_audience", "read_audience", "combine", "split", "deduplicate",
                           "enrich", "change_dimension", "save_audience", "fork", "join", "wait",
                           "test", "end", "alert", "export", "email", "sms", "push"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        expect_err(doc, NULL, "$.activities[1].type", "expected one of");
        expect_err(doc, NULL, "$.activities[1].type", types[i]);
    }
    expect_err2("{'name':'t','activities':[{'id':'a'}],'transitions':[]}", "$.activities[0].type",
                "required");
    /* unknown keys of an activity */
    ERR_B("{'id':'b','type':'fork','colour':1}", "$.activities[1].colour", "unknown field");
    OK_B("{'id':'b','type':'fork','description':'d','label':'L','position':{'x':1,'y':2}}");
}

static void test_roots(void **state)
{
    (void)state;
    /* a root must be a population source */
    expect_err2("{'name':'t','activities':[{'id':'d','type':'deduplicate','fields':['email']}],"
                "'transitions':[]}",
                "$.activities[0]", "has no input: a root must be build_audience or read_audience");
    /* a source takes no input */
    expect_err2("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
                "{'id':'b','type':'build_audience'}],'transitions':[{'from':'a','to':'b'}]}",
                "$.activities[1]", "population source and takes no input");
    expect_err2("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
                "{'id':'b','type':'read_audience','audience':'x'}],"
                "'transitions':[{'from':'a','to':'b'}]}",
                "$.activities[1]", "population source and takes no input");
    /* single-input activities refuse two */
    expect_err2("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
                "{'id':'b','type':'build_audience'},{'id':'w','type':'wait','duration':'1d'}],"
                "'transitions':[{'from':'a','to':'w'},{'from':'b','to':'w'}]}",
                "$.activities[2]", "takes at most 1 input(s), has 2");
}

static void test_transitions(void **state)
{
    (void)state;
    const char *acts = "'activities':[{'id':'a','type':'build_audience'},"
                       "{'id':'b','type':'fork'}]";
    char *doc;
    doc = sw_asprintf("{'name':'t',%s,'transitions':[{'from':'a','to':'b'},{'from':'x','to':'b'}]}",
                      acts);
    expect_err2(doc, "$.transitions[1].from", "no activity with id \"x\"");
    free(doc);
    doc = sw_asprintf("{'name':'t',%s,'transitions':[{'from':'a','to':'b'},{'from':'b','to':'y'}]}",
                      acts);
    expect_err2(doc, "$.transitions[1].to", "no activity with id \"y\"");
    free(doc);
    doc = sw_asprintf("{'name':'t',%s,'transitions':[{'from':'a','to':'b'},{'from':'b','to':'b'}]}",
                      acts);
    expect_err2(doc, "$.transitions[1]", "cannot lead to itself");
    free(doc);
    doc = sw_asprintf("{'name':'t',%s,'transitions':[{'from':'a','to':'b'},{'to':'b'}]}", acts);
    expect_err2(doc, "$.transitions[1].from", "required");
    free(doc);
    doc = sw_asprintf("{'name':'t',%s,'transitions':[{'from':'a','to':'b','when':1}]}", acts);
    expect_err2(doc, "$.transitions[0].when", "unknown field");
    free(doc);
    doc = sw_asprintf(
        "{'name':'t',%s,'transitions':[{'from':'a','to':'b'},{'from':'a','to':'b','port':'out'}]}",
        acts);
    expect_err2(doc, "$.transitions[1]", "duplicate transition");
    free(doc);
    /* unknown port on a transition */
    doc = sw_asprintf("{'name':'t',%s,'transitions':[{'from':'a','port':'nope','to':'b'}]}", acts);
    expect_err2(doc, "$.transitions[0].port", "has no port \"nope\" (ports: out)");
    free(doc);
    doc = sw_asprintf("{'name':'t',%s,'transitions':[{'from':'a','port':3,'to':'b'}]}", acts);
    expect_err2(doc, "$.transitions[0].port", "must be a string");
    free(doc);
    /* a label is allowed */
    doc = sw_asprintf("{'name':'t',%s,'transitions':[{'from':'a','to':'b','label':'go'}]}", acts);
    expect_ok2(doc);
    free(doc);
}

static void test_cycle(void **state)
{
    (void)state;
    const char *doc = "{'name':'t','activities':[{'id':'a','type':'build_audience'},"
                      "{'id':'j','type':'join','mode':'or'},{'id':'w','type':'wait','duration':'1h'},"
                      "{'id':'f','type':'fork'}],"
                      "'transitions':[{'from':'a','to':'j'},{'from':'j','to':'w'},"
                      "{'from':'w','to':'f'},{'from':'f','to':'j'}]}";
    expect_err2(doc, "$.transitions", "the graph has a cycle through \"j\", \"w\", \"f\"");
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(load(doc, NULL, &err, NULL), SW_EVALIDATION);
    for (size_t i = 0; i < err.ndetails; i++) {
        if (strstr(err.details[i].message, "cycle")) {
            assert_null(strstr(err.details[i].message, "\"a\"")); /* not on the cycle */
        }
    }
    sw_error_release(&err);
}

/* ---- per-type options ---------------------------------------------------------------------- */

static void test_combine(void **state)
{
    (void)state;
    ERR_B("{'id':'b','type':'combine','operation':'union'}", "$.activities[1]",
          "combine needs at least 2 inputs, has 1");
#define fmt                                                                                        \
    "{'name':'t','activities':[{'id':'a','type':'build_audience'},"                                \
    "{'id':'a2','type':'build_audience'},{'id':'c','type':'combine',%s}],"                         \
    "'transitions':[{'from':'a','to':'c'},{'from':'a2','to':'c'}]}"
    char *doc;
    doc = sw_asprintf(fmt, "'operation':'exclusion'");
    expect_err2(doc, "$.activities[2].primary", "required");
    free(doc);
    doc = sw_asprintf(fmt, "'operation':'exclusion','primary':'zz'");
    expect_err2(doc, "$.activities[2].primary", "\"zz\" is not an input");
    free(doc);
    doc = sw_asprintf(fmt, "'operation':'merge'");
    expect_err2(doc, "$.activities[2].operation", "unknown operation \"merge\"");
    free(doc);
    doc = sw_asprintf(fmt, "'operation':'union','complement':'rest'");
    expect_err2(doc, "$.activities[2].complement", "a union has no complement");
    free(doc);
    doc = sw_asprintf(fmt, "'operation':'intersection','complement':'out'");
    expect_err2(doc, "$.activities[2].complement", "must be a port name");
    free(doc);
    doc = sw_asprintf(fmt, "'primary':'a'");
    expect_err2(doc, "$.activities[2].operation", "required");
    free(doc);
    doc = sw_asprintf(fmt, "'operation':'exclusion','primary':'a2','complement':'removed'");
    expect_ok2(doc);
    free(doc);
    doc = sw_asprintf(fmt, "'operation':'intersection'");
    expect_ok2(doc);
    free(doc);
    /* inputs of different dimensions */
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
               "{'id':'o','type':'build_audience','dimension':'orders'},"
               "{'id':'c','type':'combine','operation':'union'}],"
               "'transitions':[{'from':'a','to':'c'},{'from':'o','to':'c'}]}",
               schema, "$.activities[2]", "different dimensions");
}

#undef fmt

static void test_split(void **state)
{
    (void)state;
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x','percent':10},"
          "{'port':'x','percent':20}]}",
          "$.activities[1].segments[1].port", "port \"x\" is already used by segment 0");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x','percent':150}]}",
          "$.activities[1].segments[0].percent", "between 0 and 100");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x','percent':-1}]}",
          "$.activities[1].segments[0].percent", "between 0 and 100");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x','percent':'10'}]}",
          "$.activities[1].segments[0].percent", "between 0 and 100");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x'}]}", "$.activities[1].segments[0]",
          "needs a filter, a percent or a limit");
    ERR_B("{'id':'b','type':'split','segments':[]}", "$.activities[1].segments",
          "at least one segment");
    ERR_B("{'id':'b','type':'split'}", "$.activities[1].segments", "required");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x','limit':-5}]}",
          "$.activities[1].segments[0].limit", "an integer between 0");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x','limit':5,'direction':'up'}]}",
          "$.activities[1].segments[0].direction", "\"asc\" or \"desc\"");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x y','limit':5}]}",
          "$.activities[1].segments[0].port", "must match");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x','limit':5}],'complement':'x'}",
          "$.activities[1].segments[0].port", "also the complement");
    ERR_B("{'id':'b','type':'split','segments':[{'port':'x','limit':5,'size':3}]}",
          "$.activities[1].segments[0].size", "unknown field");
    ERR_B_SCHEMA("{'id':'b','type':'split','segments':[{'port':'x','limit':5,'order_by':'age'}]}",
                 "$.activities[1].segments[0].order_by", "unknown field \"age\"");
    OK_B("{'id':'b','type':'split','segments':[{'port':'x','limit':5,'order_by':'score',"
         "'direction':'desc'},{'port':'y','percent':12.5},"
         "{'port':'z','filter':{'field':'country','op':'eq','value':'FR'}}],"
         "'complement':'rest','overlap':true,'skip_empty':true}");
}

static void test_deduplicate(void **state)
{
    (void)state;
    ERR_B("{'id':'b','type':'deduplicate','fields':['email'],'keep':{'method':'first'}}",
          "$.activities[1].keep.method", "unknown method \"first\"");
    ERR_B("{'id':'b','type':'deduplicate','fields':[]}", "$.activities[1].fields",
          "at least one field");
    ERR_B("{'id':'b','type':'deduplicate'}", "$.activities[1].fields", "required");
    ERR_B("{'id':'b','type':'deduplicate','fields':['email'],'keep':{'method':'order_by'}}",
          "$.activities[1].keep.order_by", "required");
    ERR_B("{'id':'b','type':'deduplicate','fields':['email'],'keep':{'method':'non_empty'}}",
          "$.activities[1].keep.field", "required");
    ERR_B("{'id':'b','type':'deduplicate','fields':['email'],"
          "'keep':{'method':'preferred_values','field':'country','values':[]}}",
          "$.activities[1].keep.values", "at least one value");
    ERR_B("{'id':'b','type':'deduplicate','fields':['email'],'keep':{'count':0}}",
          "$.activities[1].keep.count", "between 1 and");
    ERR_B_SCHEMA("{'id':'b','type':'deduplicate','fields':['mail']}", "$.activities[1].fields[0]",
                 "unknown field \"mail\"");
    OK_B("{'id':'b','type':'deduplicate','fields':['email','phone'],"
         "'keep':{'count':2,'method':'preferred_values','field':'country','values':['FR','DE']}}");
    OK_B("{'id':'b','type':'deduplicate','fields':['email'],"
         "'keep':{'method':'order_by','order_by':'created_at','direction':'desc'}}");
}

static void test_enrich(void **state)
{
    (void)state;
    ERR_B_SCHEMA("{'id':'b','type':'enrich','columns':[{'name':'email','field':'country'}]}",
                 "$.activities[1].columns[0].name", "already a field of dimension \"profiles\"");
    ERR_B("{'id':'b','type':'enrich','columns':[{'name':'m','link':'orders','aggregate':'median',"
          "'field':'amount'}]}",
          "$.activities[1].columns[0].aggregate", "unknown aggregate \"median\"");
    ERR_B_SCHEMA("{'id':'b','type':'enrich','columns':[{'name':'amt','link':'orders',"
                 "'field':'amount'}]}",
                 "$.activities[1].columns[0].aggregate", "leads to many rows");
    ERR_B_SCHEMA("{'id':'b','type':'enrich','columns':[{'name':'amt','link':'invoices',"
                 "'aggregate':'sum','field':'amount'}]}",
                 "$.activities[1].columns[0].link", "unknown link \"invoices\"");
    ERR_B_SCHEMA("{'id':'b','type':'enrich','columns':[{'name':'s','link':'orders',"
                 "'aggregate':'sum','field':'status'}]}",
                 "$.activities[1].columns[0].field", "needs a numeric field");
    ERR_B_SCHEMA("{'id':'b','type':'enrich','columns':[{'name':'s','link':'orders',"
                 "'aggregate':'sum','field':'amount','filter':{'field':'colour','op':'eq',"
                 "'value':'x'}}]}",
                 "$.activities[1].columns[0].filter.field", "unknown field \"colour\"");
    ERR_B("{'id':'b','type':'enrich','columns':[{'name':'s','link':'orders','aggregate':'sum'}]}",
          "$.activities[1].columns[0].field", "required");
    ERR_B("{'id':'b','type':'enrich','columns':[{'name':'s','aggregate':'sum','field':'x'}]}",
          "$.activities[1].columns[0]", "needs a link");
    ERR_B("{'id':'b','type':'enrich','columns':[{'name':'s'}]}", "$.activities[1].columns[0]",
          "needs a field");
    ERR_B("{'id':'b','type':'enrich','columns':[{'name':'1bad','field':'email'}]}",
          "$.activities[1].columns[0].name", "must match");
    ERR_B("{'id':'b','type':'enrich','columns':[{'name':'x','field':'email'},"
          "{'name':'x','field':'phone'}]}",
          "$.activities[1].columns[1].name", "defined twice");
    ERR_B("{'id':'b','type':'enrich','columns':[]}", "$.activities[1].columns",
          "at least one column");
    OK_B("{'id':'b','type':'enrich','columns':[{'name':'n','link':'orders','aggregate':'count'},"
         "{'name':'city_name','link':'households','field':'city'},{'name':'c2','field':'country'},"
         "{'name':'spent','link':'orders','aggregate':'sum','field':'amount',"
         "'filter':{'field':'status','op':'eq','value':'paid'}}]}");
}

static void test_change_dimension(void **state)
{
    (void)state;
    ERR_B_SCHEMA("{'id':'b','type':'change_dimension','to':'households','via':'orders'}",
                 "$.activities[1].via", "link \"orders\" leads to \"orders\", not \"households\"");
    ERR_B_SCHEMA("{'id':'b','type':'change_dimension','to':'orders','via':'purchases'}",
                 "$.activities[1].via", "has no link \"purchases\"");
    ERR_B_SCHEMA("{'id':'b','type':'change_dimension','to':'stores','via':'orders'}",
                 "$.activities[1].to", "unknown dimension \"stores\"");
    ERR_B("{'id':'b','type':'change_dimension','to':'orders'}", "$.activities[1].via", "required");
    OK_B("{'id':'b','type':'change_dimension','to':'orders','via':'orders'}");
    OK_B("{'id':'b','type':'change_dimension','to':'households','via':'households'}");
    /* after the change, downstream filters see the new dimension */
    expect_ok("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
              "{'id':'b','type':'change_dimension','to':'orders','via':'orders'},"
              "{'id':'s','type':'split','segments':[{'port':'big','filter':{'field':'amount',"
              "'op':'gt','value':100}}]}],"
              "'transitions':[{'from':'a','to':'b'},{'from':'b','to':'s'}]}",
              schema);
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
               "{'id':'b','type':'change_dimension','to':'orders','via':'orders'},"
               "{'id':'s','type':'split','segments':[{'port':'fr','filter':{'field':'country',"
               "'op':'eq','value':'FR'}}]}],"
               "'transitions':[{'from':'a','to':'b'},{'from':'b','to':'s'}]}",
               schema, "$.activities[2].segments[0].filter.field",
               "unknown field \"country\" of dimension \"orders\"");
}

static void test_wait(void **state)
{
    (void)state;
    ERR_B("{'id':'b','type':'wait'}", "$.activities[1]", "needs exactly one of duration, until");
    ERR_B("{'id':'b','type':'wait','duration':'1d','until':'2027-01-01'}", "$.activities[1]",
          "needs exactly one of duration, until");
    ERR_B("{'id':'b','type':'wait','duration':'2 days'}", "$.activities[1].duration",
          "must be a duration");
    ERR_B("{'id':'b','type':'wait','duration':'-1d'}", "$.activities[1].duration",
          "must be a duration");
    ERR_B("{'id':'b','type':'wait','until':'someday'}", "$.activities[1].until", "ISO-8601");
    OK_B("{'id':'b','type':'wait','duration':'P2D'}");
    OK_B("{'id':'b','type':'wait','duration':'0s'}");
    OK_B("{'id':'b','type':'wait','until':'2027-01-01T08:00:00Z'}");
}

static void test_test_conditions(void **state)
{
    (void)state;
    ERR_B("{'id':'b','type':'test'}", "$.activities[1].conditions", "required");
    ERR_B("{'id':'b','type':'test','conditions':[{'port':'default','count':{'gt':1}}]}",
          "$.activities[1].conditions[0].port", "other than \"default\"");
    ERR_B("{'id':'b','type':'test','conditions':[{'count':{'gt':1}}]}",
          "$.activities[1].conditions[0].port", "required");
    ERR_B("{'id':'b','type':'test','conditions':[{'port':'p'}]}", "$.activities[1].conditions[0]",
          "needs exactly one of count, variable");
    ERR_B("{'id':'b','type':'test','conditions':[{'port':'p','count':{'gt':1},'variable':'v',"
          "'op':'eq','value':1}]}",
          "$.activities[1].conditions[0]", "needs exactly one of count, variable");
    ERR_B("{'id':'b','type':'test','conditions':[{'port':'p','count':{'over':1}}]}",
          "$.activities[1].conditions[0].count", "unknown operator \"over\"");
    ERR_B("{'id':'b','type':'test','conditions':[{'port':'p','count':{'gt':'many'}}]}",
          "$.activities[1].conditions[0].count", "compared with a number");
    ERR_B("{'id':'b','type':'test','conditions':[{'port':'p','count':{'gt':1,'lt':5}}]}",
          "$.activities[1].conditions[0].count", "one comparison");
    ERR_B("{'id':'b','type':'test','conditions':[{'port':'p','variable':'nope','op':'eq',"
          "'value':1}]}",
          "$.activities[1].conditions[0].variable", "declares no variable \"nope\"");
#define with_var                                                                                   \
    "{'name':'t','variables':{'tier':'gold'},'activities':["                                       \
    "{'id':'a','type':'build_audience'},{'id':'b','type':'test',"                                  \
    "'conditions':[%s]}],'transitions':[{'from':'a','to':'b'}]}"
    char *doc;
    doc = sw_asprintf(with_var, "{'port':'p','variable':'tier','value':'gold'}");
    expect_err2(doc, "$.activities[1].conditions[0].op", "required");
    free(doc);
    doc = sw_asprintf(with_var, "{'port':'p','variable':'tier','op':'like','value':'gold'}");
    expect_err2(doc, "$.activities[1].conditions[0].op", "unknown operator \"like\"");
    free(doc);
    doc = sw_asprintf(with_var, "{'port':'p','variable':'tier','op':'eq'}");
    expect_err2(doc, "$.activities[1].conditions[0].value", "required");
    free(doc);
    doc = sw_asprintf(with_var, "{'port':'p','variable':'tier','op':'eq','value':'gold'},"
                                "{'port':'big','count':{'ge':1000}}");
    expect_ok2(doc);
    free(doc);
    /* the ports are the conditions' plus "default" */
    doc = sw_asprintf("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
                      "{'id':'b','type':'test','conditions':[{'port':'p','count':{'gt':1}}]},"
                      "{'id':'w','type':'wait','duration':'1h'}],"
                      "'transitions':[{'from':'a','to':'b'},{'from':'b','port':'%s','to':'w'}]}",
                      "default");
    expect_ok2(doc);
    free(doc);
}

#undef with_var

static void test_export(void **state)
{
    (void)state;
    ERR_B("{'id':'b','type':'export','path':'/tmp/list.csv'}", "$.activities[1].path",
          "must be a relative path");
    ERR_B("{'id':'b','type':'export','path':'../list.csv'}", "$.activities[1].path",
          "must be a relative path");
    ERR_B("{'id':'b','type':'export','path':'out/../../list.csv'}", "$.activities[1].path",
          "must be a relative path");
    ERR_B("{'id':'b','type':'export','path':'out/..'}", "$.activities[1].path",
          "must be a relative path");
    ERR_B("{'id':'b','type':'export','path':'out//x.csv'}", "$.activities[1].path",
          "must be a relative path");
    ERR_B("{'id':'b','type':'export','path':'out\\\\x.csv'}", "$.activities[1].path",
          "must be a relative path");
    ERR_B("{'id':'b','type':'export'}", "$.activities[1].path", "required");
    ERR_B("{'id':'b','type':'export','path':'x.csv','format':'xlsx'}", "$.activities[1].format",
          "unknown format \"xlsx\"");
    ERR_B_SCHEMA("{'id':'b','type':'export','path':'x.csv','columns':['email','age']}",
                 "$.activities[1].columns[1]", "unknown field \"age\"");
    OK_B("{'id':'b','type':'export','path':'out/2026/list.csv','format':'csv',"
         "'columns':['email','country']}");
    OK_B("{'id':'b','type':'export','path':'..list.csv'}"); /* a name, not a parent */
}

static void test_channels(void **state)
{
    (void)state;
    ERR_B("{'id':'b','type':'email','to_field':'email','from':'s@x.org','html':'<p>hi</p>'}",
          "$.activities[1].subject", "required");
    ERR_B("{'id':'b','type':'email','to_field':'email','from':'s@x.org','subject':'s'}",
          "$.activities[1]", "needs html, text or both");
    ERR_B("{'id':'b','type':'email','to_field':'email','from':'s@x.org','subject':'Hi {{name',"
          "'text':'t'}",
          "$.activities[1].subject", "expected \"}}\"");
    ERR_B("{'id':'b','type':'sms','to_field':'phone'}", "$.activities[1].text", "required");
    ERR_B("{'id':'b','type':'push','to_field':'phone','body':'b'}", "$.activities[1].title",
          "required");
    ERR_B("{'id':'b','type':'sms','to_field':'phone','text':'t','send_window':{'from':'8:00',"
          "'to':'20:00'}}",
          "$.activities[1].send_window.from", "HH:MM");
    ERR_B("{'id':'b','type':'sms','to_field':'phone','text':'t','rate_per_second':0}",
          "$.activities[1].rate_per_second", "positive number");
    ERR_B("{'id':'b','type':'email','to_field':'email','from':'s@x.org','subject':'s','text':'t',"
          "'headers':{'X-Bad':'a\\nb'}}",
          "$.activities[1].headers.X-Bad", "one-line");
    ERR_B("{'id':'b','type':'email','to_field':'email','from':'s@x.org','subject':'s','text':'t',"
          "'cc':'x'}",
          "$.activities[1].cc", "unknown field");
    /* unknown personalization fields: only with a schema */
    const char *b = "{'id':'b','type':'email','to_field':'email','from':'s@x.org',"
                    "'subject':'Hi {{nickname}}','html':'<p>{{{first_name}}}</p>'}";
    char *doc = two(b);
    expect_err(doc, schema, "$.activities[1].subject", "unknown personalization field \"nickname\"");
    expect_ok(doc, NULL);
    free(doc);
    ERR_B_SCHEMA("{'id':'b','type':'sms','to_field':'phone','text':'{{x | default: \\'y\\'}}'}",
                 "$.activities[1].text", "unknown personalization field \"x\"");
    ERR_B_SCHEMA("{'id':'b','type':'push','to_field':'phone','title':'t','body':'{{zz}}'}",
                 "$.activities[1].body", "unknown personalization field \"zz\"");
    ERR_B_SCHEMA("{'id':'b','type':'sms','to_field':'mobile','text':'t'}",
                 "$.activities[1].to_field", "unknown field \"mobile\"");
    /* dimension fields and variables are fine */
    doc = sw_strdup("{'name':'t','variables':{'code':'X1'},'activities':["
                    "{'id':'a','type':'build_audience'},{'id':'b','type':'email',"
                    "'to_field':'email','from':'s@x.org','subject':'{{first_name}}: {{code}}',"
                    "'text':'{{country | default: \\'?\\'}}','send_window':{'from':'08:00',"
                    "'to':'20:00'},'rate_per_second':5,'headers':{'X-Campaign':'spring'}}],"
                    "'transitions':[{'from':'a','to':'b'}]}");
    expect_ok2(doc);
    free(doc);
}

static void test_filters_with_schema(void **state)
{
    (void)state;
    const char *doc = "{'name':'t','activities':[{'id':'a','type':'build_audience',"
                      "'filter':{'field':'colour','op':'eq','value':'red'}}],'transitions':[]}";
    expect_err(doc, schema, "$.activities[0].filter.field",
               "unknown field \"colour\" of dimension \"profiles\"");
    expect_ok(doc, NULL);
    doc = "{'name':'t','activities':[{'id':'a','type':'build_audience','filter':{'all':["
          "{'field':'country','op':'eq','value':'FR'},{'field':'age','op':'gt','value':18}]}}],"
          "'transitions':[]}";
    expect_err(doc, schema, "$.activities[0].filter.all[1].field", "unknown field \"age\"");
    expect_ok(doc, NULL);
    /* structural filter errors are found without a schema too */
    expect_err2("{'name':'t','activities':[{'id':'a','type':'build_audience',"
                "'filter':{'field':'country','op':'equals','value':'FR'}}],'transitions':[]}",
                "$.activities[0].filter.op", "unknown operator \"equals\"");
    /* type mismatches need the schema */
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience',"
               "'filter':{'field':'score','op':'gt','value':'high'}}],'transitions':[]}",
               schema, "$.activities[0].filter.value", "expected a number");
    /* read_audience and split filters */
    expect_err("{'name':'t','activities':[{'id':'a','type':'read_audience','audience':'x',"
               "'filter':{'field':'colour','op':'is_null'}}],'transitions':[]}",
               schema, "$.activities[0].filter.field", "unknown field \"colour\"");
    expect_err2("{'name':'t','activities':[{'id':'a','type':'read_audience'}],'transitions':[]}",
                "$.activities[0].audience", "required");
    ERR_B_SCHEMA("{'id':'b','type':'split','segments':[{'port':'x','filter':{'field':'colour',"
                 "'op':'eq','value':'r'}}]}",
                 "$.activities[1].segments[0].filter.field", "unknown field \"colour\"");
    /* build_audience options */
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience','dimension':'shops'}],"
               "'transitions':[]}",
               schema, "$.activities[0].dimension", "unknown dimension \"shops\"");
    expect_err2("{'name':'t','activities':[{'id':'a','type':'build_audience','incremental':{}}],"
                "'transitions':[]}",
                "$.activities[0].incremental", "needs date_field");
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience',"
               "'incremental':{'date_field':'country'}}],'transitions':[]}",
               schema, "$.activities[0].incremental.date_field", "is not a date");
    expect_ok("{'name':'t','activities':[{'id':'a','type':'build_audience',"
              "'incremental':{'date_field':'created_at','exclude_previous':true}}],"
              "'transitions':[]}",
              schema);
}

static void test_enrich_shape_flow(void **state)
{
    (void)state;
    /* an enrich column is usable downstream (split filter, dedup field, export column,
     * personalization) */
    expect_ok("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
              "{'id':'e','type':'enrich','columns':[{'name':'spent','link':'orders',"
              "'aggregate':'sum','field':'amount'}]},"
              "{'id':'w','type':'wait','duration':'0s'},"
              "{'id':'s','type':'split','segments':[{'port':'big','filter':{'field':'spent',"
              "'op':'ge','value':100}},{'port':'top','limit':3,'order_by':'spent'}]},"
              "{'id':'d','type':'deduplicate','fields':['spent']},"
              "{'id':'x','type':'export','path':'x.csv','columns':['email','spent']},"
              "{'id':'m','type':'email','to_field':'email','from':'s@x.org',"
              "'subject':'You spent {{spent}}','text':'t'}],"
              "'transitions':[{'from':'a','to':'e'},{'from':'e','to':'w'},{'from':'w','to':'s'},"
              "{'from':'s','port':'big','to':'d'},{'from':'d','to':'x'},{'from':'x','to':'m'}]}",
              schema);
    /* ... and typed: comparing the sum with text is an error */
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
               "{'id':'e','type':'enrich','columns':[{'name':'spent','link':'orders',"
               "'aggregate':'sum','field':'amount'}]},"
               "{'id':'s','type':'split','segments':[{'port':'big','filter':{'field':'spent',"
               "'op':'ge','value':'lots'}}]}],"
               "'transitions':[{'from':'a','to':'e'},{'from':'e','to':'s'}]}",
               schema, "$.activities[2].segments[0].filter.value", "expected a number");
    /* not usable upstream of the enrich */
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
               "{'id':'s','type':'split','segments':[{'port':'big','filter':{'field':'spent',"
               "'op':'ge','value':100}}]},"
               "{'id':'e','type':'enrich','columns':[{'name':'spent','link':'orders',"
               "'aggregate':'sum','field':'amount'}]}],"
               "'transitions':[{'from':'a','to':'s'},{'from':'s','port':'big','to':'e'}]}",
               schema, "$.activities[1].segments[0].filter.field", "unknown field \"spent\"");
    /* nor on a parallel branch */
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
               "{'id':'e','type':'enrich','columns':[{'name':'spent','link':'orders',"
               "'aggregate':'sum','field':'amount'}]},"
               "{'id':'s','type':'split','segments':[{'port':'big','filter':{'field':'spent',"
               "'op':'ge','value':100}}]}],"
               "'transitions':[{'from':'a','to':'e'},{'from':'a','to':'s'}]}",
               schema, "$.activities[2].segments[0].filter.field", "unknown field \"spent\"");
    /* nor in personalization upstream */
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
               "{'id':'m','type':'sms','to_field':'phone','text':'{{spent}}'},"
               "{'id':'e','type':'enrich','columns':[{'name':'spent','link':'orders',"
               "'aggregate':'sum','field':'amount'}]}],"
               "'transitions':[{'from':'a','to':'m'},{'from':'m','to':'e'}]}",
               schema, "$.activities[1].text", "unknown personalization field \"spent\"");
    /* a union of an enriched and a plain branch drops the column */
    expect_err("{'name':'t','activities':[{'id':'a','type':'build_audience'},"
               "{'id':'b','type':'build_audience'},"
               "{'id':'e','type':'enrich','columns':[{'name':'spent','link':'orders',"
               "'aggregate':'sum','field':'amount'}]},"
               "{'id':'u','type':'combine','operation':'union'},"
               "{'id':'s','type':'split','segments':[{'port':'big','filter':{'field':'spent',"
               "'op':'ge','value':100}}]}],"
               "'transitions':[{'from':'a','to':'e'},{'from':'e','to':'u'},{'from':'b','to':'u'},"
               "{'from':'u','to':'s'}]}",
               schema, "$.activities[4].segments[0].filter.field", "unknown field \"spent\"");
}

static void test_json_syntax(void **state)
{
    (void)state;
    const char *text = "{\n  \"name\": \"t\",\n  \"activities\": [,]\n}";
    struct sw_campaign *c = (struct sw_campaign *)1;
    struct sw_error err = SW_ERROR_INIT;
    int rc = sw_campaign_load(text, strlen(text), &sw_engine_activities, schema, now_ms, &c, &err);
    assert_int_equal(rc, SW_EINVAL);
    assert_null(c);
    assert_int_equal(err.code, SW_EINVAL);
    assert_true(tu_has_detail(&err, "$", "line 3"));
    sw_error_release(&err);
    /* duplicate keys are refused */
    text = "{\"name\": \"a\", \"name\": \"b\"}";
    rc = sw_campaign_load(text, strlen(text), &sw_engine_activities, NULL, now_ms, &c, &err);
    assert_int_equal(rc, SW_EINVAL);
    assert_true(tu_has_detail(&err, "$", "line 1"));
    sw_error_release(&err);
    /* empty input */
    rc = sw_campaign_load("", 0, &sw_engine_activities, NULL, now_ms, &c, &err);
    assert_int_equal(rc, SW_EINVAL);
    assert_true(tu_has_detail(&err, "$", "line"));
    sw_error_release(&err);
}

static void test_many_errors(void **state)
{
    (void)state;
    /* Eight independent problems, all reported in one pass. */
    const char *doc = "{'name':'t','colour':1,'tags':[''],'options':{'history_days':0},"
                      "'activities':[{'id':'a','type':'build_audience'},"
                      "{'id':'a','type':'fork'},"      /* duplicate id; and a root that is
                                                          no source */
                      "{'id':'c d','type':'nope'}]," /* bad id; unknown type */
                      "'transitions':[{'from':'a','to':'zz'}]}"; /* dangling */
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(load(doc, NULL, &err, NULL), SW_EVALIDATION);
    if (err.ndetails != 8) {
        tu_print_error(&err);
    }
    assert_int_equal(err.ndetails, 8);
    assert_true(tu_has_detail(&err, "$.colour", "unknown field"));
    assert_true(tu_has_detail(&err, "$.tags[0]", NULL));
    assert_true(tu_has_detail(&err, "$.options.history_days", NULL));
    assert_true(tu_has_detail(&err, "$.activities[1].id", "duplicate"));
    assert_true(tu_has_detail(&err, "$.activities[1]", "has no input"));
    assert_true(tu_has_detail(&err, "$.activities[2].id", "must match"));
    assert_true(tu_has_detail(&err, "$.activities[2].type", "unknown activity type"));
    assert_true(tu_has_detail(&err, "$.transitions[0].to", "no activity"));
    assert_non_null(strstr(err.message, "8 errors"));
    char *f = sw_error_format(&err);
    assert_non_null(strstr(f, "$.transitions[0].to: no activity with id \"zz\""));
    free(f);
    sw_error_release(&err);

    /* errors from several activities' options at once, with the schema */
    doc = "{'name':'t','activities':[{'id':'a','type':'build_audience',"
          "'filter':{'field':'colour','op':'eq','value':'x'}},"
          "{'id':'s','type':'split','segments':[{'port':'x','percent':200}]},"
          "{'id':'w','type':'wait'}],"
          "'transitions':[{'from':'a','to':'s'},{'from':'s','port':'x','to':'w'}]}";
    assert_int_equal(load(doc, schema, &err, NULL), SW_EVALIDATION);
    if (err.ndetails != 3) {
        tu_print_error(&err);
    }
    assert_int_equal(err.ndetails, 3);
    assert_non_null(strstr(err.message, "3 errors"));
    sw_error_release(&err);
}

/* SPEC §2's example, as written. */
static const char *spec_example =
    "{\n"
    "  'name': 'Spring win-back',\n"
    "  'description': 'Lapsed buyers in France',\n"
    "  'campaign': 'Spring 2027',\n"
    "  'tags': ['retention'],\n"
    "  'targeting_dimension': 'profiles',\n"
    "  'timezone': 'Europe/Paris',\n"
    "  'schedule': {'rrule': 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', 'start': "
    "'2027-03-01T00:00:00', 'until': '2027-06-01T00:00:00'},\n"
    "  'options': {'keep_interim_results': false, 'history_days': 30},\n"
    "  'variables': {'vip_threshold': 500},\n"
    "  'activities': [\n"
    "    {'id': 'lapsed', 'type': 'build_audience',\n"
    "     'filter': {'all': [\n"
    "       {'field': 'country', 'op': 'eq', 'value': 'FR'},\n"
    "       {'field': 'email_opt_in', 'op': 'eq', 'value': true},\n"
    "       {'link': 'orders', 'exists': {'field': 'created_at', 'op': 'within_last', 'value': "
    "'365d'}},\n"
    "       {'not': {'link': 'orders', 'exists': {'field': 'created_at', 'op': 'within_last', "
    "'value': '90d'}}}\n"
    "     ]}},\n"
    "    {'id': 'dedup', 'type': 'deduplicate', 'fields': ['email'],\n"
    "     'keep': {'count': 1, 'method': 'order_by', 'order_by': 'created_at', 'direction': "
    "'desc'}},\n"
    "    {'id': 'value', 'type': 'enrich', 'columns': [\n"
    "       {'name': 'spent_1y', 'link': 'orders', 'aggregate': 'sum', 'field': 'amount',\n"
    "        'filter': {'field': 'created_at', 'op': 'within_last', 'value': '365d'}}]},\n"
    "    {'id': 'tiers', 'type': 'split', 'segments': [\n"
    "       {'port': 'vip', 'filter': {'field': 'spent_1y', 'op': 'ge', 'value': {'var': "
    "'vip_threshold'}}},\n"
    "       {'port': 'test', 'percent': 10}],\n"
    "     'complement': 'others'},\n"
    "    {'id': 'vip_mail', 'type': 'email', 'to_field': 'email', 'from': 'shop@example.com',\n"
    "     'subject': '{{first_name | default: \\'Hello\\'}}, we miss you', 'html': '<p>Your code: "
    "VIP20</p>'},\n"
    "    {'id': 'sms', 'type': 'sms', 'to_field': 'phone', 'text': 'Come back: 10% off with "
    "CODE10'},\n"
    "    {'id': 'save', 'type': 'save_audience', 'audience': 'spring_controls', 'mode': "
    "'replace'}\n"
    "  ],\n"
    "  'transitions': [\n"
    "    {'from': 'lapsed', 'to': 'dedup'}, {'from': 'dedup', 'to': 'value'}, {'from': 'value', "
    "'to': 'tiers'},\n"
    "    {'from': 'tiers', 'port': 'vip', 'to': 'vip_mail'},\n"
    "    {'from': 'tiers', 'port': 'others', 'to': 'sms'},\n"
    "    {'from': 'tiers', 'port': 'test', 'to': 'save'}\n"
    "  ]\n"
    "}\n";

static void test_valid_documents(void **state)
{
    (void)state;
    expect_ok2(spec_example);
    struct sw_campaign *c = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(load(spec_example, schema, &err, &c), 0);
    assert_int_equal(c->nacts, 7);
    assert_int_equal(c->ntrans, 6);
    assert_true(c->acyclic);
    /* the order is topological */
    size_t pos[7];
    for (size_t k = 0; k < c->nacts; k++) {
        pos[c->order[k]] = k;
    }
    for (size_t t = 0; t < c->ntrans; t++) {
        assert_true(pos[c->trans[t].from_idx] < pos[c->trans[t].to_idx]);
    }
    const struct sw_activity *tiers = sw_campaign_activity(c, "tiers");
    assert_non_null(tiers);
    assert_int_equal(tiers->nports, 3);
    assert_string_equal(tiers->ports[0], "vip");
    assert_string_equal(tiers->ports[1], "test");
    assert_string_equal(tiers->ports[2], "others");
    assert_non_null(sw_shape_col(&tiers->out_shape, "spent_1y"));
    assert_true(sw_campaign_port_connected(c, tiers->index, "others"));
    const struct sw_transition *ins[4];
    assert_int_equal(sw_campaign_inputs(c, sw_campaign_activity(c, "sms")->index, ins, 4), 1);
    assert_string_equal(ins[0]->port, "others");
    assert_null(sw_campaign_activity(c, "nope"));
    /* variables and overrides */
    json_t *ov = json_pack("{s:i}", "vip_threshold", 800);
    json_t *vars = sw_campaign_variables(c, ov, &err);
    assert_int_equal(json_integer_value(json_object_get(vars, "vip_threshold")), 800);
    json_decref(vars);
    json_decref(ov);
    ov = json_pack("{s:i}", "other", 1);
    assert_null(sw_campaign_variables(c, ov, &err));
    assert_true(tu_has_detail(&err, "$.variables.other", "declares no variable"));
    json_decref(ov);
    sw_error_release(&err);
    ov = json_pack("{s:s}", "vip_threshold", "high");
    assert_null(sw_campaign_variables(c, ov, &err));
    assert_true(tu_has_detail(&err, "$.variables.vip_threshold", "expected a number"));
    json_decref(ov);
    sw_error_release(&err);
    /* the stored document round-trips */
    char *text = sw_campaign_serialize(c);
    struct sw_campaign *c2 = NULL;
    assert_int_equal(
        sw_campaign_load(text, strlen(text), &sw_engine_activities, schema, now_ms, &c2, &err), 0);
    assert_int_equal(c2->nacts, 7);
    sw_campaign_free(c2);
    free(text);
    sw_campaign_free(c);
    sw_error_release(&err);

    /* a larger flow using every non-channel activity type */
    expect_ok2("{'name':'all','variables':{'n':3},'activities':["
               "{'id':'a','type':'build_audience','filter':{'field':'country','op':'eq',"
               "'value':'FR'}},"
               "{'id':'r','type':'read_audience','audience':'old'},"
               "{'id':'u','type':'combine','operation':'exclusion','primary':'a',"
               "'complement':'gone'},"
               "{'id':'f','type':'fork','ports':['copy']},"
               "{'id':'j','type':'join','mode':'and','primary':'f'},"
               "{'id':'t','type':'test','conditions':[{'port':'many','count':{'gt':10}},"
               "{'port':'var','variable':'n','op':'ge','value':2}]},"
               "{'id':'al','type':'alert','title':'big','message':'many'},"
               "{'id':'en','type':'end','signal':{'campaign':'next','variables':{'x':1}}},"
               "{'id':'sv','type':'save_audience','audience':'kept','mode':'append'},"
               "{'id':'cd','type':'change_dimension','to':'orders','via':'orders'},"
               "{'id':'e2','type':'end'}],"
               "'transitions':[{'from':'a','to':'u'},{'from':'r','to':'u'},"
               "{'from':'u','to':'f'},{'from':'f','to':'j'},{'from':'f','port':'copy','to':'j'},"
               "{'from':'j','to':'t'},{'from':'t','port':'many','to':'al'},"
               "{'from':'al','to':'en'},{'from':'t','port':'var','to':'sv'},"
               "{'from':'sv','to':'cd'},{'from':'u','port':'gone','to':'e2'}]}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_minimal_valid),
        cmocka_unit_test(test_required_name),
        cmocka_unit_test(test_unknown_top_field),
        cmocka_unit_test(test_bad_tags),
        cmocka_unit_test(test_schedule),
        cmocka_unit_test(test_options),
        cmocka_unit_test(test_variables),
        cmocka_unit_test(test_targeting_dimension),
        cmocka_unit_test(test_activity_ids),
        cmocka_unit_test(test_unknown_type),
        cmocka_unit_test(test_roots),
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_cycle),
        cmocka_unit_test(test_combine),
        cmocka_unit_test(test_split),
        cmocka_unit_test(test_deduplicate),
        cmocka_unit_test(test_enrich),
        cmocka_unit_test(test_change_dimension),
        cmocka_unit_test(test_wait),
        cmocka_unit_test(test_test_conditions),
        cmocka_unit_test(test_export),
        cmocka_unit_test(test_channels),
        cmocka_unit_test(test_filters_with_schema),
        cmocka_unit_test(test_enrich_shape_flow),
        cmocka_unit_test(test_json_syntax),
        cmocka_unit_test(test_many_errors),
        cmocka_unit_test(test_valid_documents),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
