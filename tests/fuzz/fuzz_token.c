/*
 * fuzz_token.c - libFuzzer target for the public listener's token verifier
 * (channels/token.c): any bytes as a token, against a keyring of two keys; a token that
 * verifies must be one the ring signed (checked by signing its id again with the key it
 * names: equal text).
 *
 * Built as a libFuzzer binary with clang (cmake -DSW_FUZZ=ON, `make fuzz`) and, with any
 * compiler, as a replay program over the corpus in tests/fuzz/corpus/token (run by ctest).
 */
#include "channels/token.h"

#include "fuzz_keys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_keyring kr;
    fuzz_keyring(&kr);
    char *tok = fuzz_text(data, size);
    int64_t id = 0;
    if (sw_token_verify(&kr, tok, SW_TOKEN_UNSUBSCRIBE, &id)) {
        /* the newest key of a ring signs: a ring of key 1 alone, or of both, must give the
         * same text back */
        struct sw_keyring one = kr;
        one.n = 1;
        char *a1 = sw_token_sign(&one, SW_TOKEN_UNSUBSCRIBE, id);
        char *a2 = sw_token_sign(&kr, SW_TOKEN_UNSUBSCRIBE, id);
        if (!a1 || !a2 || (strcmp(a1, tok) && strcmp(a2, tok))) {
            abort(); /* verified something the ring did not sign */
        }
        free(a1);
        free(a2);
    }
    free(tok);
    return 0;
}
