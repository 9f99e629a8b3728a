/*
 * test_schema.c - schema discovery (src/schema/schema.c) on in-memory SQLite databases:
 * dimensions and their single-column primary keys, field types from declared types, the
 * storage format of date columns, links in both directions (named after the other table, or
 * after the foreign-key column when two foreign keys join the same pair of tables), the
 * tables Stepwise owns being ignored, and the default dimension.
 */
#include "testutil.h"

#include "core/error.h"
#include "core/util.h"
#include "db/db.h"
#include "schema/schema.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char *main_sql =
    "CREATE TABLE households (id INTEGER PRIMARY KEY, city TEXT);\n"
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email VARCHAR(200), opt_in BOOLEAN,"
    "  created_at DATETIME, birth_date DATE, household_id INTEGER REFERENCES households(id),"
    "  score REAL, balance NUMERIC(10,2), weight DOUBLE PRECISION, ratio FLOAT, notes CLOB,"
    "  photo BLOB, anything, big BIGINT, nick TEXT);\n"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, profile_id INTEGER REFERENCES profiles(id),"
    "  amount REAL, created_at DATETIME);\n"
    /* a foreign key naming no column refers to the primary key */
    "CREATE TABLE coupons (code TEXT PRIMARY KEY, owner INTEGER REFERENCES profiles);\n"
    /* two foreign keys between the same pair of tables */
    "CREATE TABLE accounts (id INTEGER PRIMARY KEY, label TEXT);\n"
    "CREATE TABLE transfers (id INTEGER PRIMARY KEY,"
    "  sender_id INTEGER REFERENCES accounts(id), receiver_id INTEGER REFERENCES accounts(id),"
    "  amount REAL);\n"
    /* no usable key: composite, or none */
    "CREATE TABLE pairs (a INTEGER, b INTEGER, PRIMARY KEY (a, b));\n"
    "CREATE TABLE loose (msg TEXT, profile_id INTEGER REFERENCES profiles(id));\n"
    /* Stepwise's own tables, and look-alikes that are not */
    "CREATE TABLE sw_things (id INTEGER PRIMARY KEY);\n"
    "CREATE TABLE wt_1_0_0 (_key INTEGER PRIMARY KEY);\n"
    "CREATE TABLE swa_1 (_key INTEGER PRIMARY KEY);\n"
    "CREATE TABLE swapped (id INTEGER PRIMARY KEY);\n"
    "CREATE TABLE wtf (id INTEGER PRIMARY KEY, ref INTEGER REFERENCES sw_things(id));\n"
    "CREATE VIEW profiles_view AS SELECT * FROM profiles;\n"
    /* date storage: one table per representation, values chosen so detection is unambiguous */
    "CREATE TABLE events (id INTEGER PRIMARY KEY, t_z DATETIME, t_local DATETIME,"
    "  t_space TIMESTAMP, d_only DATE, dt_date_only DATETIME, epoch_s TIMESTAMP,"
    "  epoch_ms DATETIME, empty_dt DATETIME, empty_d DATE, neg_s TIMESTAMP,"
    "  t_frac_z DATETIME, updated_time TIME);\n"
    "INSERT INTO events (id) VALUES (1);\n"
    "INSERT INTO events VALUES (2, '2026-01-31T10:00:00Z', '2026-01-31T10:00:00',"
    "  '2026-01-31 10:00:00', '2026-01-31', '2026-01-31', 1769853600, 1769853600000, NULL, NULL,"
    "  -86400, '2026-01-31T10:00:00.123z', '2026-01-31T10:00:00');\n";

static struct sw_schema *discover(struct sw_db *db)
{
    struct sw_schema *s = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_schema_discover(db, &s, &err) != 0) {
        tu_print_error(&err);
        fail_msg("discover failed");
    }
    sw_error_release(&err);
    assert_non_null(s);
    return s;
}

static const struct sw_field *fld(const struct sw_schema *s, const char *dim, const char *name)
{
    const struct sw_dimension *d = sw_schema_dim(s, dim);
    if (!d) {
        fail_msg("no dimension %s", dim);
    }
    const struct sw_field *f = sw_dim_field(d, name);
    if (!f) {
        fail_msg("no field %s.%s", dim, name);
    }
    return f;
}

static void check_link(const struct sw_schema *s, const char *dim, const char *name,
                       const char *target, const char *local, const char *remote, bool to_many)
{
    const struct sw_link *l = sw_dim_link(sw_schema_dim(s, dim), name);
    if (!l) {
        fail_msg("no link %s.%s", dim, name);
    }
    assert_string_equal(l->name, name);
    assert_string_equal(l->target, target);
    assert_string_equal(l->local_col, local);
    assert_string_equal(l->remote_col, remote);
    assert_int_equal(l->to_many, to_many);
}

static void test_dimensions(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(main_sql);
    struct sw_schema *s = discover(db);
    const char *expected[] = {"accounts", "coupons", "events", "households", "loose", "orders",
                              "pairs",    "profiles", "swapped", "transfers", "wtf"};
    assert_int_equal(s->ndims, sizeof(expected) / sizeof(expected[0]));
    for (size_t i = 0; i < s->ndims; i++) {
        assert_non_null(sw_schema_dim(s, expected[i]));
    }
    /* internal tables, views and sqlite_ tables are never dimensions */
    assert_null(sw_schema_dim(s, "sw_things"));
    assert_null(sw_schema_dim(s, "wt_1_0_0"));
    assert_null(sw_schema_dim(s, "swa_1"));
    assert_null(sw_schema_dim(s, "profiles_view"));
    assert_null(sw_schema_dim(s, NULL));
    assert_null(sw_schema_dim(NULL, "profiles"));

    const struct sw_dimension *p = sw_schema_dim(s, "profiles");
    assert_string_equal(p->pk, "id");
    assert_int_equal(p->pk_type, SW_T_INT);
    assert_int_equal(p->nfields, 15);
    assert_string_equal(p->fields[0].name, "id"); /* declaration order */
    assert_true(p->fields[0].pk);
    assert_false(p->fields[1].pk);
    const struct sw_dimension *c = sw_schema_dim(s, "coupons");
    assert_string_equal(c->pk, "code");
    assert_int_equal(c->pk_type, SW_T_TEXT);
    /* composite or missing primary keys: present, but with no key */
    assert_null(sw_schema_dim(s, "pairs")->pk);
    assert_null(sw_schema_dim(s, "loose")->pk);
    assert_string_equal(s->default_dim, "profiles");

    /* the JSON view */
    json_t *j = sw_schema_to_json(s);
    assert_string_equal(json_string_value(json_object_get(j, "default")), "profiles");
    assert_int_equal(json_array_size(json_object_get(j, "dimensions")), s->ndims);
    json_decref(j);
    sw_schema_free(s);
    sw_db_close(db);
}

static void test_types(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(main_sql);
    struct sw_schema *s = discover(db);
    struct {
        const char *name;
        enum sw_type type;
        const char *decl;
    } cases[] = {
        {"id", SW_T_INT, "INTEGER"},       {"email", SW_T_TEXT, "VARCHAR(200)"},
        {"opt_in", SW_T_BOOL, "BOOLEAN"},  {"created_at", SW_T_DATE, "DATETIME"},
        {"birth_date", SW_T_DATE, "DATE"}, {"household_id", SW_T_INT, "INTEGER"},
        {"score", SW_T_REAL, "REAL"},      {"balance", SW_T_REAL, "NUMERIC(10,2)"},
        {"weight", SW_T_REAL, "DOUBLE PRECISION"},
        {"ratio", SW_T_REAL, "FLOAT"},     {"notes", SW_T_TEXT, "CLOB"},
        {"photo", SW_T_TEXT, "BLOB"},      {"anything", SW_T_TEXT, ""},
        {"big", SW_T_INT, "BIGINT"},       {"nick", SW_T_TEXT, "TEXT"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct sw_field *f = fld(s, "profiles", cases[i].name);
        if (f->type != cases[i].type) {
            fail_msg("%s: type %s, expected %s", cases[i].name, sw_type_name(f->type),
                     sw_type_name(cases[i].type));
        }
        assert_string_equal(f->decl, cases[i].decl);
    }
    assert_int_equal(fld(s, "events", "updated_time")->type, SW_T_DATE);
    assert_string_equal(sw_type_name(SW_T_INT), "integer");
    assert_string_equal(sw_type_name(SW_T_REAL), "real");
    assert_string_equal(sw_type_name(SW_T_TEXT), "text");
    assert_string_equal(sw_type_name(SW_T_BOOL), "boolean");
    assert_string_equal(sw_type_name(SW_T_DATE), "date");
    sw_schema_free(s);
    sw_db_close(db);
}

static void test_date_storage(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(main_sql);
    struct sw_schema *s = discover(db);
    const struct sw_field *f;
    f = fld(s, "events", "t_z");
    assert_int_equal(f->date_fmt, SW_DATE_ISO_T);
    assert_true(f->date_z);
    f = fld(s, "events", "t_frac_z");
    assert_int_equal(f->date_fmt, SW_DATE_ISO_T);
    assert_true(f->date_z);
    f = fld(s, "events", "t_local");
    assert_int_equal(f->date_fmt, SW_DATE_ISO_T);
    assert_false(f->date_z);
    f = fld(s, "events", "t_space");
    assert_int_equal(f->date_fmt, SW_DATE_ISO_SPACE);
    assert_false(f->date_z);
    assert_int_equal(fld(s, "events", "d_only")->date_fmt, SW_DATE_ISO_DATE);
    /* declared DATETIME but holding dates only: the values decide */
    assert_int_equal(fld(s, "events", "dt_date_only")->date_fmt, SW_DATE_ISO_DATE);
    assert_int_equal(fld(s, "events", "epoch_s")->date_fmt, SW_DATE_EPOCH_S);
    assert_int_equal(fld(s, "events", "neg_s")->date_fmt, SW_DATE_EPOCH_S);
    assert_int_equal(fld(s, "events", "epoch_ms")->date_fmt, SW_DATE_EPOCH_MS);
    /* no sample: the declared type decides */
    f = fld(s, "events", "empty_dt");
    assert_int_equal(f->date_fmt, SW_DATE_ISO_T);
    assert_false(f->date_z);
    assert_int_equal(fld(s, "events", "empty_d")->date_fmt, SW_DATE_ISO_DATE);
    sw_schema_free(s);
    sw_db_close(db);
}

static void test_links(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(main_sql);
    struct sw_schema *s = discover(db);
    /* one foreign key, both directions, named after the table at the other end */
    check_link(s, "orders", "profiles", "profiles", "profile_id", "id", false);
    check_link(s, "profiles", "orders", "orders", "id", "profile_id", true);
    check_link(s, "profiles", "households", "households", "household_id", "id", false);
    check_link(s, "households", "profiles", "profiles", "id", "household_id", true);
    /* a foreign key without a column refers to the primary key */
    check_link(s, "coupons", "profiles", "profiles", "owner", "id", false);
    check_link(s, "profiles", "coupons", "coupons", "id", "owner", true);
    /* from a table without a key: still a link */
    check_link(s, "loose", "profiles", "profiles", "profile_id", "id", false);
    check_link(s, "profiles", "loose", "loose", "id", "profile_id", true);
    assert_int_equal(sw_schema_dim(s, "profiles")->nlinks, 4);
    assert_int_equal(sw_schema_dim(s, "orders")->nlinks, 1);
    /* two foreign keys between transfers and accounts: named after the FK column */
    check_link(s, "transfers", "sender_id", "accounts", "sender_id", "id", false);
    check_link(s, "transfers", "receiver_id", "accounts", "receiver_id", "id", false);
    check_link(s, "accounts", "sender_id", "transfers", "id", "sender_id", true);
    check_link(s, "accounts", "receiver_id", "transfers", "id", "receiver_id", true);
    assert_null(sw_dim_link(sw_schema_dim(s, "transfers"), "accounts"));
    assert_null(sw_dim_link(sw_schema_dim(s, "accounts"), "transfers"));
    assert_int_equal(sw_schema_dim(s, "transfers")->nlinks, 2);
    assert_int_equal(sw_schema_dim(s, "accounts")->nlinks, 2);
    /* a foreign key to an internal table is no link */
    assert_int_equal(sw_schema_dim(s, "wtf")->nlinks, 0);
    assert_null(sw_dim_link(sw_schema_dim(s, "profiles"), "nope"));
    assert_null(sw_dim_link(NULL, "orders"));
    sw_schema_free(s);
    sw_db_close(db);
}

static void test_default_dimension(void **state)
{
    (void)state;
    struct sw_db *db;
    struct sw_schema *s;
    /* no profiles: the first dimension (by name) that has a key */
    db = tu_db("CREATE TABLE zebras (id INTEGER PRIMARY KEY);"
               "CREATE TABLE apples (a INTEGER, b INTEGER, PRIMARY KEY (a, b));"
               "CREATE TABLE members (id TEXT PRIMARY KEY);");
    s = discover(db);
    assert_int_equal(s->ndims, 3);
    assert_string_equal(s->default_dim, "members");
    sw_schema_free(s);
    sw_db_close(db);
    /* profiles without a key is not the default */
    db = tu_db("CREATE TABLE profiles (email TEXT);"
               "CREATE TABLE customers (id INTEGER PRIMARY KEY);");
    s = discover(db);
    assert_string_equal(s->default_dim, "customers");
    sw_schema_free(s);
    sw_db_close(db);
    /* nothing but internal tables: no dimension at all */
    db = tu_db("CREATE TABLE sw_meta (version INTEGER);"
               "CREATE TABLE wt_9_1_0 (_key INTEGER PRIMARY KEY);");
    s = discover(db);
    assert_int_equal(s->ndims, 0);
    assert_null(s->default_dim);
    sw_schema_free(s);
    sw_db_close(db);
    sw_schema_free(NULL);
}


static const struct sw_field *field_of(const struct sw_schema *s, const char *dim, const char *f)
{
    const struct sw_field *x = sw_dim_field(sw_schema_dim(s, dim), f);
    if (!x) {
        fail_msg("no field %s.%s", dim, f);
    }
    return x;
}

static bool has_warning(const struct sw_schema *s, const char *needle, const char *needle2)
{
    for (size_t i = 0; i < s->nwarnings; i++) {
        if (strstr(s->warnings[i], needle) && (!needle2 || strstr(s->warnings[i], needle2))) {
            return true;
        }
    }
    return false;
}

static void test_inferred_dates(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(
        "CREATE TABLE [Customer] ([CustomerId] INTEGER PRIMARY KEY, [Since] TEXT,"
        "  [LastSeen] TEXT, [SeenZ] NVARCHAR(40), [Spaced] VARCHAR(19), [Zoned] TEXT,"
        "  [Mixed] TEXT, [Name] NVARCHAR(40), [AlmostDate] TEXT, [Nothing] TEXT,"
        "  [UnixS] TEXT, [Minutes] TEXT, untyped, [Balance] NUMERIC(10,2), [Born] DATE);"
        "INSERT INTO Customer VALUES (1, '2021-03-04', '2021-03-04T10:20:30',"
        "  '2021-03-04T10:20:30Z', '2021-03-04 10:20:30', '2021-03-04T10:20:30+02:00',"
        "  '2021-03-04', 'Ann', '2021-03-04', NULL, 1614853230, '2021-03-04T10:20', "
        "  '2021-03-04', 12.5, '1990-05-06');"
        "INSERT INTO Customer VALUES (2, NULL, '2022-12-31T23:59:59.250',"
        "  '2022-12-31T23:59:59z', NULL, '2022-12-31T23:59:59-05:00',"
        "  '2022-12-31 23:59:59', 'Bob', 'tomorrow', NULL, 1672531199, '2022-12-31T23:59', "
        "  NULL, 3, 'unknown');"
        "INSERT INTO Customer VALUES (3, '2020-02-29', NULL, NULL, '2020-02-29 00:00:00', NULL,"
        "  '2020-02-29T00:00:00Z', NULL, '2020-13-01', NULL, NULL, NULL, '2020-02-29', NULL, NULL);");
    struct sw_schema *s = discover(db);
    const struct sw_field *f = field_of(s, "Customer", "Since");
    assert_int_equal(f->type, SW_T_DATE);
    assert_int_equal(f->source, SW_SRC_INFERRED);
    assert_int_equal(f->sampled, 2); /* two non-NULL values */
    assert_int_equal(f->date_fmt, SW_DATE_ISO_DATE);
    f = field_of(s, "Customer", "LastSeen");
    assert_int_equal(f->type, SW_T_DATE);
    assert_int_equal(f->date_fmt, SW_DATE_ISO_T);
    assert_false(f->date_z);
    f = field_of(s, "Customer", "SeenZ"); /* NVARCHAR holding dates with a Z */
    assert_int_equal(f->type, SW_T_DATE);
    assert_int_equal(f->date_fmt, SW_DATE_ISO_T);
    assert_true(f->date_z);
    assert_int_equal(field_of(s, "Customer", "Spaced")->date_fmt, SW_DATE_ISO_SPACE);
    /* zone offsets, several shapes in one column, minutes without seconds: compared in UTC */
    assert_int_equal(field_of(s, "Customer", "Zoned")->date_fmt, SW_DATE_ISO_MIXED);
    assert_int_equal(field_of(s, "Customer", "Mixed")->date_fmt, SW_DATE_ISO_MIXED);
    assert_int_equal(field_of(s, "Customer", "Minutes")->date_fmt, SW_DATE_ISO_MIXED);
    assert_true(has_warning(s, "Customer.Zoned", "UTC"));
    /* a declared date holding something else is said, with how many of how many */
    assert_true(has_warning(s, "Customer.Born: 1 of the 2 values read are not ISO-8601", NULL));
    assert_false(has_warning(s, "Customer.LastSeen", NULL));
    /* one value that is no date (or no valid month) keeps the column text */
    assert_int_equal(field_of(s, "Customer", "Name")->type, SW_T_TEXT);
    assert_int_equal(field_of(s, "Customer", "AlmostDate")->type, SW_T_TEXT);
    assert_int_equal(field_of(s, "Customer", "AlmostDate")->source, SW_SRC_DECLARED);
    /* nothing to look at, or Unix times: never guessed */
    assert_int_equal(field_of(s, "Customer", "Nothing")->type, SW_T_TEXT);
    assert_int_equal(field_of(s, "Customer", "UnixS")->type, SW_T_TEXT);
    /* no declared type at all holding dates */
    assert_int_equal(field_of(s, "Customer", "untyped")->type, SW_T_DATE);
    /* declared types still decide */
    assert_int_equal(field_of(s, "Customer", "Balance")->type, SW_T_REAL);
    assert_int_equal(field_of(s, "Customer", "Balance")->source, SW_SRC_DECLARED);
    assert_int_equal(field_of(s, "Customer", "CustomerId")->type, SW_T_INT);
    /* the JSON says where each type came from */
    json_t *j = sw_schema_to_json(s);
    json_t *fields = json_object_get(json_array_get(json_object_get(j, "dimensions"), 0), "fields");
    size_t i;
    json_t *x;
    int seen = 0;
    json_array_foreach(fields, i, x)
    {
        const char *name = json_string_value(json_object_get(x, "name"));
        if (!strcmp(name, "Since")) {
            assert_string_equal(json_string_value(json_object_get(x, "type_source")), "inferred");
            assert_int_equal(json_integer_value(json_object_get(x, "inferred_from")), 2);
            assert_string_equal(json_string_value(json_object_get(x, "declared_type")), "TEXT");
            seen++;
        } else if (!strcmp(name, "Name")) {
            assert_string_equal(json_string_value(json_object_get(x, "type_source")), "declared");
            assert_null(json_object_get(x, "inferred_from"));
            seen++;
        }
    }
    assert_int_equal(seen, 2);
    json_decref(j);
    sw_schema_free(s);
    sw_db_close(db);
}

static void test_link_names(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(
        /* a self-reference */
        "CREATE TABLE Employee (EmployeeId INTEGER PRIMARY KEY, Name TEXT,"
        "  ReportsTo INTEGER REFERENCES Employee(EmployeeId));"
        /* a name two links share: items.tags (N-1 by column, two keys to labels) and
         * items.tags (1-N from the table tags) */
        "CREATE TABLE labels (id INTEGER PRIMARY KEY);"
        "CREATE TABLE items (id INTEGER PRIMARY KEY, tags INTEGER REFERENCES labels(id),"
        "  other INTEGER REFERENCES labels(id));"
        "CREATE TABLE tags (id INTEGER PRIMARY KEY, item_id INTEGER REFERENCES items(id));");
    struct sw_schema *s = discover(db);
    check_link(s, "Employee", "ReportsTo", "Employee", "ReportsTo", "EmployeeId", false);
    check_link(s, "Employee", "Employee_by_ReportsTo", "Employee", "EmployeeId", "ReportsTo",
               true);
    assert_int_equal(sw_schema_dim(s, "Employee")->nlinks, 2);
    assert_null(sw_dim_link(sw_schema_dim(s, "Employee"), "Employee"));
    /* the shared name is usable by neither, and both are named in the warning */
    const struct sw_dimension *items = sw_schema_dim(s, "items");
    assert_null(sw_dim_link(items, "tags"));
    check_link(s, "items", "other", "labels", "other", "id", false);
    char *m = sw_dim_link_collision(items, "tags");
    assert_non_null(m);
    assert_non_null(strstr(m, "items.tags -> labels.id (N-1)"));
    assert_non_null(strstr(m, "items.id <- tags.item_id (1-N)"));
    assert_non_null(strstr(m, "schema hints"));
    free(m);
    assert_null(sw_dim_link_collision(items, "other"));
    assert_true(has_warning(s, "are both named \"tags\"", NULL));
    sw_schema_free(s);
    sw_db_close(db);
}

static void test_suggestions(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(main_sql);
    struct sw_schema *s = discover(db);
    const struct sw_dimension *p = sw_schema_dim(s, "profiles");
    char *h = sw_dim_suggest_field(p, "emial");
    assert_string_equal(h, " (did you mean \"email\"?)");
    free(h);
    h = sw_dim_suggest_field(p, "CREATED_AT");
    assert_string_equal(h, " (did you mean \"created_at\"?)");
    free(h);
    h = sw_dim_suggest_field(p, "zzzzzzzz");
    assert_string_equal(h, "");
    free(h);
    h = sw_dim_suggest_link(p, "order");
    assert_string_equal(h, " (did you mean \"orders\"?)");
    free(h);
    h = sw_schema_suggest_dim(s, "profile");
    assert_non_null(strstr(h, "\"profiles\""));
    free(h);
    /* several close names, nearest first */
    h = sw_dim_suggest_field(p, "rati");
    assert_string_equal(h, " (did you mean \"ratio\"?)");
    free(h);
    assert_int_equal(sw_edit_distance("ReportsTo", "reportsto"), 0);
    assert_int_equal(sw_edit_distance("email", "emial"), 1);
    assert_int_equal(sw_edit_distance("", "abc"), 3);
    sw_schema_free(s);
    sw_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dimensions),   cmocka_unit_test(test_types),
        cmocka_unit_test(test_date_storage), cmocka_unit_test(test_links),
        cmocka_unit_test(test_default_dimension), cmocka_unit_test(test_inferred_dates),
        cmocka_unit_test(test_link_names),        cmocka_unit_test(test_suggestions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
