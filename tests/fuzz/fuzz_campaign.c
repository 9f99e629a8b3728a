/*
 * fuzz_campaign.c - libFuzzer target for everything a campaign document goes through when it
 * is saved or run: JSON parsing, structural validation, validation against a schema (filters,
 * links, enrichment shapes, personalization templates) and, for documents that pass, a
 * simulated run on a tiny in-memory data source (SQL generation and execution).
 *
 * Built as a libFuzzer binary with clang (cmake -DSW_FUZZ=ON, `make fuzz`) and, with any
 * compiler, as a replay program over the corpus in tests/fuzz/corpus/campaign (run by ctest).
 */
#include "catalog/catalog.h"
#include "core/clock.h"
#include "db/db.h"
#include "engine/engine.h"
#include "model/campaign.h"
#include "schema/schema.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char setup_sql[] =
    "CREATE TABLE households (id INTEGER PRIMARY KEY, city TEXT);"
    "CREATE TABLE profiles (id INTEGER PRIMARY KEY, email TEXT, first_name TEXT, country TEXT,"
    "  email_opt_in BOOLEAN, created_at DATETIME, birth_date DATE, score REAL,"
    "  household_id INTEGER REFERENCES households(id));"
    "CREATE TABLE orders (id INTEGER PRIMARY KEY, profile_id INTEGER REFERENCES profiles(id),"
    "  amount REAL, status TEXT, created_at DATETIME);"
    "CREATE INDEX orders_profile ON orders(profile_id);"
    "INSERT INTO households VALUES (1, 'Paris'), (2, NULL);"
    "INSERT INTO profiles VALUES (1, 'a@x', 'Ann', 'FR', 1, '2026-01-01T00:00:00Z', '1980-05-01', 1.5, 1),"
    "  (2, 'a@x', 'Bob', 'DE', 0, '2025-01-01T00:00:00Z', '2001-02-03', NULL, 2),"
    "  (3, NULL, NULL, NULL, NULL, NULL, NULL, 3, NULL);"
    "INSERT INTO orders VALUES (1, 1, 10, 'paid', '2026-02-01T00:00:00Z'),"
    "  (2, 1, 20.5, 'refunded', '2025-02-01T00:00:00Z'), (3, 2, 5, 'paid', NULL);";

static bool has_wait(const struct sw_campaign *c)
{
    for (size_t i = 0; i < c->nacts; i++) {
        if (!strcmp(c->acts[i].type_name, "wait")) {
            return true;
        }
    }
    return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct sw_db *db;
    static struct sw_schema *schema;
    static struct sw_catalog *cat;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_campaign *c = NULL;
    if (!db) {
        sw_clock_set(sw_clock_from_civil(2026, 3, 1, 12, 0, 0));
        if (sw_db_open(":memory:", &db, NULL) < 0 || sw_db_exec(db, setup_sql, NULL) < 0 ||
            sw_schema_discover(db, &schema, NULL) < 0 || sw_catalog_open(db, &cat, NULL) < 0) {
            abort();
        }
    }
    /* Structure only, then against the schema. */
    if (sw_campaign_load((const char *)data, size, &sw_engine_activities, NULL, sw_clock_now_ms(),
                         &c, &err) == 0) {
        sw_campaign_free(c);
        c = NULL;
    }
    sw_error_release(&err);
    if (sw_campaign_load((const char *)data, size, &sw_engine_activities, schema, sw_clock_now_ms(),
                         &c, &err) == 0 &&
        !has_wait(c)) {
        json_t *vars = sw_campaign_variables(c, NULL, &err);
        struct sw_config config = {0};
        struct sw_engine eng = {db, cat, schema, &config};
        struct sw_run_opts opts = {.trigger = "fuzz", .dry_run = true, .variables = vars,
                                   .seed = 7};
        int64_t run_id = 0;
        sw_engine_run(&eng, c, 1, &opts, &run_id, &err);
        json_decref(vars);
        /* Keep the in-memory catalog small: memory must not grow with the inputs. */
        sw_db_exec(db,
                   "DELETE FROM sw_tasks; DELETE FROM sw_runs; DELETE FROM sw_logs;"
                   "DELETE FROM sw_incremental; DELETE FROM sw_signals;",
                   NULL);
    }
    sw_campaign_free(c);
    sw_error_release(&err);
    return 0;
}
