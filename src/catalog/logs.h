/*
 * logs.h - the campaign log (sw_logs): what runs and lifecycle actions say, newest first.
 */
#ifndef SW_CATALOG_LOGS_H
#define SW_CATALOG_LOGS_H

#include "catalog/catalog.h"

#include <stdint.h>

/* One line, stamped now. campaign_id and run_id 0 and activity NULL when it concerns none. */
int sw_catalog_log(struct sw_catalog *cat, const char *level, int64_t campaign_id, int64_t run_id,
                   const char *activity, const char *message);

struct sw_log_row {
    int64_t id, ts, run_id; /* run_id 0: none */
    char *level, *activity, *message;
};
void sw_log_rows_free(struct sw_log_row *rows, size_t n);

/* A campaign's lines newest first: ids below before_id (0 = from the newest), of one run
 * (0 = any), of levels in a comma-separated list (NULL = any), of one activity (NULL = any),
 * at most limit. */
struct sw_log_query {
    int64_t campaign_id, before_id, run_id, limit;
    const char *levels, *activity;
};
int sw_catalog_logs(struct sw_catalog *cat, const struct sw_log_query *q, struct sw_log_row **rows,
                    size_t *n, struct sw_error *err);

#endif
