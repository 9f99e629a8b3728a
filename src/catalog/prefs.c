/*
 * prefs.c - see prefs.h.
 */
#include "catalog/prefs.h"
#include "catalog/rows.h"
#include "core/util.h"

#include <stdlib.h>

int sw_catalog_prefs_get(struct sw_catalog *cat, enum sw_prefs_owner owner, int64_t id,
                         char **value, struct sw_error *err)
{
    return sw_rows_get(cat->db,
                       owner == SW_PREFS_USER
                           ? "SELECT value FROM sw_preferences WHERE user_id = ?1"
                           : "SELECT value FROM sw_preferences WHERE token_id = ?1",
                       SW_ARGS(SW_INT(id)), &sw_row_text, value, NULL, err);
}

int sw_catalog_prefs_put(struct sw_catalog *cat, enum sw_prefs_owner owner, int64_t id,
                         const char *value, int64_t now_ms, struct sw_error *err)
{
    bool user = owner == SW_PREFS_USER;
    return sw_rows_upsert(cat->db,
                          user ? "INSERT INTO sw_preferences(user_id, value, updated_at) "
                                 "VALUES (?1, ?2, ?3)"
                               : "INSERT INTO sw_preferences(token_id, value, updated_at) "
                                 "VALUES (?1, ?2, ?3)",
                          user ? "user_id" : "token_id",
                          "value = excluded.value, updated_at = excluded.updated_at",
                          SW_ARGS(SW_INT(id), SW_TEXT(value), SW_INT(now_ms)), err);
}
