/*
 * fuzz_keys.h - what the token and tracking fuzz targets share: a fixed two-key ring (kids 1
 * and 2) and the input as a NUL-terminated copy.
 */
#ifndef SW_FUZZ_KEYS_H
#define SW_FUZZ_KEYS_H

#include "channels/token.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline void fuzz_keyring(struct sw_keyring *kr)
{
    memset(kr, 0, sizeof(*kr));
    kr->n = 2;
    kr->k[0].kid = 1;
    kr->k[1].kid = 2;
    memset(kr->k[0].key, 0x11, sizeof(kr->k[0].key));
    memset(kr->k[1].key, 0x22, sizeof(kr->k[1].key));
}

/* data as a string (malloc'd; free it) */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#endif
