/*
 * token.c - see token.h.
 */
#include "channels/token.h"
#include "catalog/secrets.h"
#include "core/util.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define BODY 11 /* kid 2 + purpose 1 + id 8 */
#define MAC  16
#define RAW  (BODY + MAC)

/* One secret of the catalog into the ring (a malformed one is left out). */
static void keyring_add(void *ud, int64_t kid, const char *hex)
{
    struct sw_keyring *kr = ud;
    size_t got = 0;
    if (kr->n < SW_KEYRING_MAX && hex &&
        sodium_hex2bin(kr->k[kr->n].key, 32, hex, strlen(hex), NULL, &got, NULL) == 0 &&
        got == 32) {
        kr->k[kr->n++].kid = kid;
    }
}

int sw_keyring_load(struct sw_db *db, struct sw_keyring *kr, bool create, struct sw_error *err)
{
    memset(kr, 0, sizeof(*kr));
    if (sodium_init() < 0) {
        return sw_error_set(err, SW_EIO, "libsodium could not start");
    }
    int64_t count = 0;
    int rc = sw_secrets_count(db, &count, err);
    if (rc == 0 && count == 0 && create) {
        int64_t kid = 0;
        rc = sw_keyring_rotate(db, &kid, err);
    }
    return rc < 0 ? rc : sw_secrets_newest(db, SW_KEYRING_MAX, keyring_add, kr, err);
}

int sw_keyring_rotate(struct sw_db *db, int64_t *kid, struct sw_error *err)
{
    unsigned char key[32];
    char hex[65];
    if (sodium_init() < 0) {
        return sw_error_set(err, SW_EIO, "libsodium could not start");
    }
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(hex, sizeof(hex), key, sizeof(key));
    sodium_memzero(key, sizeof(key));
    int rc = sw_secrets_add(db, hex, kid, err);
    sodium_memzero(hex, sizeof(hex));
    return rc;
}

static void body_of(unsigned char b[BODY], int64_t kid, char purpose, int64_t id)
{
    b[0] = (unsigned char)((kid >> 8) & 0xff);
    b[1] = (unsigned char)(kid & 0xff);
    b[2] = (unsigned char)purpose;
    for (int i = 0; i < 8; i++) {
        b[3 + i] = (unsigned char)(((uint64_t)id >> (56 - 8 * i)) & 0xff);
    }
}

char *sw_token_sign(const struct sw_keyring *kr, enum sw_token_purpose purpose, int64_t id)
{
    if (!kr || kr->n == 0) {
        return NULL;
    }
    unsigned char raw[RAW];
    const unsigned char *key = kr->k[kr->n - 1].key;
    body_of(raw, kr->k[kr->n - 1].kid, (char)purpose, id);
    crypto_generichash(raw + BODY, MAC, raw, BODY, key, 32);
    size_t n = sodium_base64_ENCODED_LEN(RAW, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = sw_malloc(n);
    sodium_bin2base64(out, n, raw, RAW, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

bool sw_token_verify(const struct sw_keyring *kr, const char *tok, enum sw_token_purpose purpose,
                     int64_t *id)
{
    unsigned char raw[RAW + 4], mac[MAC];
    size_t len = 0;
    if (!kr || !tok || strlen(tok) > 64 ||
        sodium_base642bin(raw, sizeof(raw), tok, strlen(tok), NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len != RAW || raw[2] != (unsigned char)purpose) {
        return false;
    }
    int64_t kid = ((int64_t)raw[0] << 8) | raw[1];
    for (int i = 0; i < kr->n; i++) {
        if (kr->k[i].kid != kid) {
            continue;
        }
        crypto_generichash(mac, MAC, raw, BODY, kr->k[i].key, 32);
        if (sodium_memcmp(mac, raw + BODY, MAC) != 0) {
            return false;
        }
        uint64_t v = 0;
        for (int b = 0; b < 8; b++) {
            v = (v << 8) | raw[3 + b];
        }
        *id = (int64_t)v;
        return *id > 0;
    }
    return false;
}
