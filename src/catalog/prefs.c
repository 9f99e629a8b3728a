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
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, id);
    int rc =
        sw_rows_one(cat->db,
                    owner == SW_PREFS_USER ? "SELECT value FROM sw_preferences WHERE user_id = ?1"
                                           : "SELECT value FROM sw_preferences WHERE token_id = ?1",
                    &p, &sw_row_text, value, NULL, err);
    sw_params_release(&p);
    return rc;
}

int sw_catalog_prefs_put(struct sw_catalog *cat, enum sw_prefs_owner owner, int64_t id,
                         const char *value, int64_t now_ms, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    bool user = owner == SW_PREFS_USER;
    sw_params_add_int(&p, id);
    sw_params_add_text(&p, value);
    sw_params_add_int(&p, now_ms);
    int rc = sw_rows_upsert(cat->db,
                            user ? "INSERT INTO sw_preferences(user_id, value, updated_at) "
                                   "VALUES (?1, ?2, ?3)"
                                 : "INSERT INTO sw_preferences(token_id, value, updated_at) "
                                   "VALUES (?1, ?2, ?3)",
                            user ? "user_id" : "token_id",
                            "value = excluded.value, updated_at = excluded.updated_at", &p, err);
    sw_params_release(&p);
    return rc;
}
