/*
 * test_token.c - the public listener's signed links (channels/token.c): round trip, every
 * altered byte refused, another purpose refused, rotation keeping old links valid.
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "channels/token.h"
#include "core/error.h"

#include <stdlib.h>
#include <string.h>

static void test_sign_verify(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(NULL);
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_keyring kr;
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    assert_int_equal(sw_keyring_load(db, &kr, false, &err), 0);
    assert_int_equal(kr.n, 0);
    assert_null(sw_token_sign(&kr, SW_TOKEN_UNSUBSCRIBE, 5));
    assert_int_equal(sw_keyring_load(db, &kr, true, &err), 0);
    assert_int_equal(kr.n, 1);
    char *t = sw_token_sign(&kr, SW_TOKEN_UNSUBSCRIBE, 123456789);
    assert_non_null(t);
    assert_int_equal(strlen(t), 36); /* 27 bytes, base64url without padding */
    assert_true(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 36);
    int64_t id = 0;
    assert_true(sw_token_verify(&kr, t, SW_TOKEN_UNSUBSCRIBE, &id));
    assert_int_equal(id, 123456789);
    /* every character changed is refused */
    for (size_t i = 0; i < strlen(t); i++) {
        char *u = strdup(t);
        u[i] = u[i] == 'A' ? 'B' : 'A';
        int64_t x = 0;
        assert_false(sw_token_verify(&kr, u, SW_TOKEN_UNSUBSCRIBE, &x));
        free(u);
    }
    /* truncated, extended, empty, garbage, another purpose */
    char *shorter = strndup(t, 35);
    assert_false(sw_token_verify(&kr, shorter, SW_TOKEN_UNSUBSCRIBE, &id));
    size_t n = strlen(t);
    char *longer = calloc(1, n + 2);
    memcpy(longer, t, n);
    longer[n] = 'A';
    assert_false(sw_token_verify(&kr, longer, SW_TOKEN_UNSUBSCRIBE, &id));
    free(longer);
    free(shorter);
    assert_false(sw_token_verify(&kr, "", SW_TOKEN_UNSUBSCRIBE, &id));
    assert_false(sw_token_verify(&kr, "not a token at all, not at all", SW_TOKEN_UNSUBSCRIBE, &id));
    assert_false(sw_token_verify(&kr, t, (enum sw_token_purpose)'c', &id));
    assert_false(sw_token_verify(NULL, t, SW_TOKEN_UNSUBSCRIBE, &id));
    /* another keyring (another server's secret) does not verify it */
    struct sw_db *db2 = tu_db(NULL);
    struct sw_catalog *cat2 = NULL;
    struct sw_keyring kr2;
    assert_int_equal(sw_catalog_open(db2, &cat2, &err), 0);
    assert_int_equal(sw_keyring_load(db2, &kr2, true, &err), 0);
    assert_false(sw_token_verify(&kr2, t, SW_TOKEN_UNSUBSCRIBE, &id));
    sw_catalog_free(cat2);
    sw_db_close(db2);
    /* rotation: new links use the new key; links already sent keep verifying */
    int64_t kid = 0;
    assert_int_equal(sw_keyring_rotate(db, &kid, &err), 0);
    assert_int_equal(kid, 2);
    assert_int_equal(sw_keyring_load(db, &kr, true, &err), 0);
    assert_int_equal(kr.n, 2);
    char *t2 = sw_token_sign(&kr, SW_TOKEN_UNSUBSCRIBE, 7);
    assert_string_not_equal(t2, t);
    assert_true(sw_token_verify(&kr, t, SW_TOKEN_UNSUBSCRIBE, &id));
    assert_int_equal(id, 123456789);
    assert_true(sw_token_verify(&kr, t2, SW_TOKEN_UNSUBSCRIBE, &id));
    assert_int_equal(id, 7);
    free(t);
    free(t2);
    sw_catalog_free(cat);
    sw_db_close(db);
}

/* The format against an independent implementation: the token of row 42 under key 2 = 0x22...
 * as Python's hashlib.blake2b(digest_size=16, key=...) and urlsafe base64 make it (the seed of
 * tests/fuzz/corpus/token/valid-key2.txt). */
static void test_known_vector(void **state)
{
    (void)state;
    struct sw_keyring kr = {0};
    kr.n = 2;
    kr.k[0].kid = 1;
    kr.k[1].kid = 2;
    memset(kr.k[0].key, 0x11, 32);
    memset(kr.k[1].key, 0x22, 32);
    char *t = sw_token_sign(&kr, SW_TOKEN_UNSUBSCRIBE, 42);
    assert_string_equal(t, "AAJ1AAAAAAAAACoSqGXGtbUp1cb7LEPsuOIk");
    free(t);
    int64_t id = 0;
    assert_true(sw_token_verify(&kr, "AAJ1AAAAAAAAACoSqGXGtbUp1cb7LEPsuOIk", SW_TOKEN_UNSUBSCRIBE, &id));
    assert_int_equal(id, 42);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify),
        cmocka_unit_test(test_known_vector),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
