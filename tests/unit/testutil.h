/*
 * testutil.h - shared helpers for the cmocka unit tests.
 */
#ifndef SW_TESTUTIL_H
#define SW_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db/db.h"

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

#endif
