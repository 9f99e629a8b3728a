/*
 * suppress.h - importing addresses into the suppression list (catalog/suppressions.h) from a
 * CSV file, read with libcsv.
 */
#ifndef SW_SUPPRESS_H
#define SW_SUPPRESS_H

#include "catalog/suppressions.h"
#include "core/error.h"
#include "db/db.h"

#include <stdint.h>

/* Import a CSV file: one address a line, optionally "address,channel[,reason]"; a first line
 * whose first field is "address" (any case) is a header. channel/reason are the defaults.
 * Every line is checked first: a bad one is SW_EINVAL naming its line, and nothing is added.
 * *added and *already (may be NULL) count what happened. One transaction. */
int sw_suppress_import_csv(struct sw_db *db, const char *path, const char *channel,
                           const char *reason, const char *by, int64_t now_ms, int64_t *added,
                           int64_t *already, struct sw_error *err);

#endif
