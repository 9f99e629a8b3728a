/*
 * demo_data.h - the realistic demo data source behind `stepwise demo-data` and `stepwise demo`:
 * households, profiles (names, emails, consent flags, phones, push tokens, dates) and orders,
 * written as an SQLite file. The same (profiles, seed, clock) always gives the same rows; the
 * clock is sw_clock_now_ms(), so STEPWISE_NOW makes the relative dates repeatable too.
 */
#ifndef SW_DEMO_DATA_H
#define SW_DEMO_DATA_H

#include "core/error.h"

#include <stdint.h>

struct sw_demo_data_stats {
    int64_t households;
    int64_t profiles;
    int64_t orders;
};

/* Write a fresh data source with `profiles` profiles to `path`, replacing it atomically (the
 * rows go to "<path>.tmp", renamed over `path` only once complete). Refusing to replace an
 * existing file is the caller's policy. Returns 0, SW_EINVAL, SW_EDB or SW_EIO. */
int sw_demo_data_generate(const char *path, int64_t profiles, uint64_t seed, struct sw_error *err);
/* The same, also reporting the row counts written (stats may be NULL). */
int sw_demo_data_generate_ex(const char *path, int64_t profiles, uint64_t seed,
                             struct sw_demo_data_stats *stats, struct sw_error *err);

/* The `stepwise demo-data` subcommand itself, sw_cmd_demo_data(), is declared in cli/cli.h. */

#endif
