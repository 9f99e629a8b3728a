/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include "core/error.h"

#include <stdio.h>
#include <string.h>

struct sw_db *tu_db(const char *setup_sql)
{
    struct sw_db *db = NULL;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_db_open(":memory:", &db, &err) < 0) {
        fail_msg("open: %s", err.message ? err.message : "?");
    }
    if (setup_sql && sw_db_exec(db, setup_sql, &err) < 0) {
        fail_msg("setup: %s", err.message ? err.message : "?");
    }
    sw_error_release(&err);
    return db;
}

int64_t tu_int(struct sw_db *db, const char *sql)
{
    int64_t v = 0;
    struct sw_error err = SW_ERROR_INIT;
    if (sw_db_query_int(db, sql, NULL, &v, &err) < 0) {
        fail_msg("query %s: %s", sql, err.message ? err.message : "?");
    }
    sw_error_release(&err);
    return v;
}

int tu_has_detail(const struct sw_error *err, const char *path, const char *needle)
{
    for (size_t i = 0; i < err->ndetails; i++) {
        const struct sw_error_detail *d = &err->details[i];
        if (d->path && strcmp(d->path, path) == 0 &&
            (!needle || (d->message && strstr(d->message, needle)))) {
            return 1;
        }
    }
    return 0;
}

void tu_print_error(const struct sw_error *err)
{
    fprintf(stderr, "error %d: %s\n", err->code, err->message ? err->message : "");
    for (size_t i = 0; i < err->ndetails; i++) {
        fprintf(stderr, "  %s: %s\n", err->details[i].path ? err->details[i].path : "-",
                err->details[i].message);
    }
}
