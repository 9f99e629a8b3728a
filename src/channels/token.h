/*
 * token.h - unforgeable links for the public listener (one-click unsubscribe): a token names a
 * ledger row and what the link does, signed with a server secret kept in the catalog
 * (catalog/secrets.h). Secrets are rotated by adding a newer one: links already sent
 * keep verifying with the key they name, new links use the newest.
 *
 * A token is base64url (no padding) of: key id (2 bytes) | purpose (1 byte) | row id (8) |
 * keyed BLAKE2b-128 of those 11 bytes (libsodium's crypto_generichash with the key).
 */
#ifndef SW_TOKEN_H
#define SW_TOKEN_H

#include "core/error.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

#define SW_KEYRING_MAX 16
struct sw_keyring {
    int n;
    struct {
        int64_t kid;
        unsigned char key[32];
    } k[SW_KEYRING_MAX]; /* oldest first; the last one signs */
};

/* Load the catalog's secrets (the newest SW_KEYRING_MAX); with create, make the first one when
 * there is none. */
int sw_keyring_load(struct sw_db *db, struct sw_keyring *kr, bool create, struct sw_error *err);
/* Add a newer secret (the old ones keep verifying); *kid receives its id. */
int sw_keyring_rotate(struct sw_db *db, int64_t *kid, struct sw_error *err);

enum sw_token_purpose { SW_TOKEN_UNSUBSCRIBE = 'u' };

/* A token for (purpose, id), malloc'd; NULL when the keyring is empty. */
char *sw_token_sign(const struct sw_keyring *kr, enum sw_token_purpose purpose, int64_t id);
/* true with *id when tok is a token of `purpose` signed by a key of the ring. */
bool sw_token_verify(const struct sw_keyring *kr, const char *tok, enum sw_token_purpose purpose,
                     int64_t *id);

#endif
