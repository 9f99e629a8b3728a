/*
 * secrets.h - the secrets that sign the public listener's links (catalog table sw_secrets,
 * migration 11), the only code that writes SQL on it. Each secret is the hex text of 32 random
 * bytes, numbered from 1 (its key id); a rotation adds a newer one and keeps the others, so that
 * links already sent keep verifying (channels/token.h holds the keyring made of them).
 */
#ifndef SW_SECRETS_H
#define SW_SECRETS_H

#include "core/error.h"
#include "db/db.h"

#include <stdint.h>

/* How many secrets there are. */
int sw_secrets_count(struct sw_db *db, int64_t *n, struct sw_error *err);
/* Add a newer secret (hex text); *kid receives its key id. */
int sw_secrets_add(struct sw_db *db, const char *hex, int64_t *kid, struct sw_error *err);
/* The newest `max` secrets, oldest first: fn(ud, kid, hex) for each. */
int sw_secrets_newest(struct sw_db *db, int max,
                      void (*fn)(void *ud, int64_t kid, const char *hex), void *ud,
                      struct sw_error *err);

#endif
