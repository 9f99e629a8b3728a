/*
 * testutil.h - shared helpers for the cmocka unit tests, and the activity fixture: a data
 * source with a catalog, an engine over it, and the helpers that run a campaign and compare
 * its port counts with independent SQL (test_activity_*.c, test_engine.c).
 */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* cmocka.h needs the headers above first. */
#include <cmocka.h>

#include "db/db.h"
#include "engine/engine.h"

#include <jansson.h>

/* Open a fresh in-memory SQLite data source and run `setup_sql` (may be NULL). */
struct sw_db *tu_db(const char *setup_sql);
/* One integer from a query (fails the test on error). */
int64_t tu_int(struct sw_db *db, const char *sql);
/* True when err has a detail whose path equals `path` and whose message contains `needle`
 * (needle may be NULL). */
struct sw_error;
int tu_has_detail(const struct sw_error *err, const char *path, const char *needle);
/* Print err's details (debug aid when an assertion fails). */
void tu_print_error(const struct sw_error *err);
/* A file's contents (malloc'd), or NULL. */
char *tu_slurp(const char *path);
/* `rm -rf dir`. */
void tu_rm_tree(const char *dir);
/* A new empty file /tmp/<stem>XXXXXX (an empty SQLite database) into path (n bytes); false
 * when it cannot be made. tu_db_file_remove removes it with its -wal and -shm files. */
bool tu_db_file(char *path, size_t n, const char *stem);
void tu_db_file_remove(const char *path);

/* ---- the activity fixture ------------------------------------------------------------------
 *
 * Data (fresh for each test): 21 profiles (duplicate and NULL emails, NULL and empty phones,
 * NULL opt-ins, tied scores), 3 households, 40 orders over profiles 1-17 (18-21 have none;
 * profile 1 has orders but none paid). Every port count a test checks is compared with an
 * independent, hand-written SQL query over the same data (TU_CHECK), and with a literal where
 * the data makes it easy to know, so that no check can pass vacuously (0 == 0).
 */
extern const char tu_data_sql[];
#define TU_N_PROFILES 21
/* Filters used by many campaigns (quotes written ' as in every test document). */
#define TU_FR  "{'field':'country','op':'eq','value':'FR'}"
#define TU_OPT "{'field':'email_opt_in','op':'eq','value':true}"

struct tu_env {
    struct sw_db *db;
    struct sw_schema *schema;
    struct sw_catalog *cat;
    struct sw_config cfg;
    struct sw_engine eng;
    char dir[64]; /* a fresh directory: the export_dir, and the data source's file */
    char *path;   /* the data source's file, NULL when in memory */
};
extern struct tu_env tu_env;

/* Group setup/teardown: a known "now" (2026-03-15T12:00:00Z, after every row's created_at;
 * it keeps ticking), then the real clock again. */
int tu_clock_setup(void **state);
int tu_clock_teardown(void **state);
/* Per-test setup: the data above in memory, or in a SQLite file in tu_env.dir. */
int tu_env_setup(void **state);
int tu_env_setup_file(void **state);
int tu_env_teardown(void **state);
/* Close the data source (schema, catalog, engine), and open the file one again: what a
 * restarted process does. */
void tu_env_close(void);
void tu_env_open(void);
#define TU_ACTIVITY_TEST(f) cmocka_unit_test_setup_teardown(f, tu_env_setup, tu_env_teardown)

struct tu_run {
    int state;
    int64_t run_id;
    int64_t campaign_id;
    json_t *counts; /* sw_engine_counts */
};

/* A campaign document with ' for " (malloc'd). */
char *tu_doc(const char *doc);
/* Load the document against tu_env's schema (fails the test when invalid). */
struct sw_campaign *tu_campaign(const char *doc);
/* Upsert the campaign's row, returning its id. */
int64_t tu_campaign_row(const struct sw_campaign *c);
/* Run a campaign to its end (sw_engine_run, seed 42 unless given) and fail unless it ends in
 * expect_state. */
void tu_run_campaign(struct sw_campaign *c, bool dry, const json_t *overrides, uint64_t seed,
                     int expect_state, struct tu_run *r);
void tu_run_full(const char *doc, bool dry, const json_t *overrides, uint64_t seed,
                 int expect_state, struct tu_run *r);
void tu_run_ok(const char *doc, struct tu_run *r);
void tu_run_release(struct tu_run *r);
/* The recorded count of a port, or -1 when the task did not complete / has no such port. */
int64_t tu_count(const struct tu_run *r, const char *act, const char *port);
/* One integer / the first column of the first row as text (malloc'd; NULL for SQL NULL or
 * no row) from a query over tu_env.db. */
int64_t tu_sqln(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *tu_sqlt(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Like TU_CHECK, but reports and returns 1 instead of failing, so that a test can list every
 * wrong port before it fails. */
int tu_soft_check(const struct tu_run *r, const char *act, const char *port, int64_t literal,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* A task's status (malloc'd, NULL when there is no such task); fail unless it is `status`. */
char *tu_task_status(const struct tu_run *r, const char *act);
void tu_assert_status(const struct tu_run *r, const char *act, const char *status);
/* Fail unless the task failed with an error that contains `needle`. */
void tu_assert_failed(const struct tu_run *r, const char *act, const char *needle);
/* The work table of a port (from the task's recorded outputs), malloc'd or NULL. */
char *tu_port_table(const struct tu_run *r, const char *act, const char *port);
/* Sorted keys of a port's table, "1,2,3" (malloc'd). */
char *tu_port_keys(const struct tu_run *r, const char *act, const char *port);
/* Compare keys (freed) with a literal list or the result of a query. */
void tu_assert_keys(char *got, const char *expected_sql_or_literal, bool is_sql);

/* Compare a port count with the expected SQL count (and that with a literal, when >= 0). */
#define TU_CHECK(r, act, port, literal, ...)                                                       \
    do {                                                                                           \
        int64_t exp_ = tu_sqln(__VA_ARGS__);                                                       \
        int64_t got_ = tu_count(&(r), act, port);                                                  \
        if (got_ != exp_) {                                                                        \
            fail_msg("%s.%s: count %lld, SQL says %lld", act, port, (long long)got_,               \
                     (long long)exp_);                                                             \
        }                                                                                          \
        if ((literal) >= 0 && exp_ != (literal)) {                                                 \
            fail_msg("%s.%s: SQL says %lld, expected %lld", act, port, (long long)exp_,            \
                     (long long)(literal));                                                        \
        }                                                                                          \
    } while (0)

#endif
