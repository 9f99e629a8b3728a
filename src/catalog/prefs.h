/*
 * prefs.h - preferences (sw_preferences, migration 7): one small JSON object per UI user and
 * per API token, replaced whole; it goes with its user or token (triggers).
 */
#ifndef SW_CATALOG_PREFS_H
#define SW_CATALOG_PREFS_H

#include "catalog/catalog.h"

#include <stdint.h>

/* Whose preferences: a user's or a token's. */
enum sw_prefs_owner { SW_PREFS_USER, SW_PREFS_TOKEN };

/* *value is the stored JSON text (malloc'd), or NULL when none is stored. */
int sw_catalog_prefs_get(struct sw_catalog *cat, enum sw_prefs_owner owner, int64_t id,
                         char **value, struct sw_error *err);
int sw_catalog_prefs_put(struct sw_catalog *cat, enum sw_prefs_owner owner, int64_t id,
                         const char *value, int64_t now_ms, struct sw_error *err);

#endif
