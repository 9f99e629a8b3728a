/*
 * test_feedback.c - bounce (RFC 3464) and complaint (RFC 5965) reports: parsing (Postfix's
 * DSN and the RFC's ARF example, in tests/fuzz/corpus/feedback), matching to the ledger by
 * Message-ID or recipient, suppression, soft bounces in a row, unmatched reports kept.
 */
#include "testutil.h"

#include "catalog/catalog.h"
#include "channels/feedback.h"
#include "core/error.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

#ifndef SW_SOURCE_DIR
#define SW_SOURCE_DIR "."
#endif

static char *sample(const char *name, size_t *len)
{
    char *path = sw_asprintf("%s/tests/fuzz/corpus/feedback/%s", SW_SOURCE_DIR, name);
    char *data = NULL;
    if (sw_read_file(path, &data, len) < 0) {
        fail_msg("cannot read %s", path);
    }
    free(path);
    return data;
}

static void test_parse_dsn(void **state)
{
    (void)state;
    size_t len;
    char *dsn = sample("postfix-dsn.eml", &len);
    struct sw_feedback_item *it = NULL;
    size_t n = 0;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_feedback_parse(dsn, len, &it, &n, &err), 0);
    assert_int_equal(n, 2);
    assert_int_equal(it[0].kind, SW_FB_HARD_BOUNCE);
    assert_string_equal(it[0].recipient, "nobody@invalid.example");
    assert_string_equal(it[0].status, "5.1.1");
    assert_non_null(strstr(it[0].diagnostic, "User unknown in virtual mailbox table"));
    assert_string_equal(it[0].message_id, "1.2.3@stepwise.invalid");
    assert_int_equal(it[1].kind, SW_FB_SOFT_BOUNCE); /* delayed, 4.2.2 */
    assert_string_equal(it[1].recipient, "full@mailbox.example");
    assert_string_equal(it[1].status, "4.2.2");
    sw_feedback_items_free(it, n);
    free(dsn);
}

static void test_parse_arf(void **state)
{
    (void)state;
    size_t len;
    char *arf = sample("rfc5965-arf.eml", &len);
    struct sw_feedback_item *it = NULL;
    size_t n = 0;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_feedback_parse(arf, len, &it, &n, &err), 0);
    assert_int_equal(n, 1);
    assert_int_equal(it[0].kind, SW_FB_COMPLAINT);
    assert_string_equal(it[0].recipient, "user@example.com");
    assert_string_equal(it[0].diagnostic, "abuse");
    assert_string_equal(it[0].message_id, "8787KJKJ3K4J3K4J3K4J3.mail@example.net");
    sw_feedback_items_free(it, n);
    free(arf);
    /* not a report: said so */
    char *plain = sample("plain.eml", &len);
    assert_int_equal(sw_feedback_parse(plain, len, &it, &n, &err), SW_EINVAL);
    assert_non_null(strstr(err.message, "multipart/report"));
    sw_error_release(&err);
    free(plain);
    assert_int_equal(sw_feedback_parse("", 0, &it, &n, &err), SW_EINVAL);
    sw_error_release(&err);
}

static void test_record(void **state)
{
    (void)state;
    struct sw_db *db = tu_db(NULL);
    struct sw_catalog *cat = NULL;
    struct sw_error err = SW_ERROR_INIT;
    assert_int_equal(sw_catalog_open(db, &cat, &err), 0);
    /* run 1 sent row 3 to nobody@; run 2 sent three messages to full@ (rows 10, 11, 12) */
    sw_db_exec(db,
               "INSERT INTO sw_deliveries (id, run_id, activity, channel, recipient, address, "
               "address_key, state, created_at, updated_at, sent_at) VALUES "
               "(3, 1, 'm', 'email', '1', 'Nobody@invalid.example', 'nobody@invalid.example', "
               "'sent', 1, 1, 100),"
               "(10, 2, 'm', 'email', '2', 'full@mailbox.example', 'full@mailbox.example', "
               "'sent', 1, 1, 200),"
               "(11, 3, 'm', 'email', '2', 'full@mailbox.example', 'full@mailbox.example', "
               "'sent', 1, 1, 300),"
               "(12, 4, 'm', 'email', '2', 'full@mailbox.example', 'full@mailbox.example', "
               "'sent', 1, 1, 400)",
               NULL);
    size_t len;
    char *dsn = sample("postfix-dsn.eml", &len);
    struct sw_feedback_item *it = NULL;
    size_t n = 0;
    json_t *out = NULL;
    assert_int_equal(sw_feedback_parse(dsn, len, &it, &n, &err), 0);
    /* The hard bounce matches row 3 by its Message-ID (run 1, row 3): suppressed. The soft
     * bounce matches full@'s latest message (row 12): one of three, not yet. */
    assert_int_equal(sw_feedback_record(db, it, n, "test", dsn, 2, 1000, &out, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(out, 0), "delivery_id")),
                     3);
    assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "matched_by")),
                        "message_id");
    assert_true(json_is_true(json_object_get(json_array_get(out, 0), "suppressed")));
    assert_int_equal(json_integer_value(json_object_get(json_array_get(out, 1), "delivery_id")),
                     12);
    assert_string_equal(json_string_value(json_object_get(json_array_get(out, 1), "matched_by")),
                        "recipient");
    assert_false(json_is_true(json_object_get(json_array_get(out, 1), "suppressed")));
    json_decref(out);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_suppressions WHERE address_key = "
                                "'nobody@invalid.example' AND reason = 'hard_bounce' AND "
                                "delivery_id = 3 AND detail LIKE '5.1.1 smtp; 550%'"),
                     1);
    /* A second soft bounce, for row 11 this time (by its Message-ID): with a limit of 2, the
     * last two messages (rows 12 and 11) both bounced: suppressed. */
    free(it[1].message_id);
    it[1].message_id = sw_strdup("<3.0.11@stepwise.invalid>");
    assert_int_equal(sw_feedback_record(db, &it[1], 1, "test", NULL, 2, 2000, &out, &err), 0);
    assert_true(json_is_true(json_object_get(json_array_get(out, 0), "suppressed")));
    json_decref(out);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_suppressions WHERE address_key = "
                                "'full@mailbox.example' AND reason = 'soft_bounces'"),
                     1);
    /* A report about nobody we sent to: kept, with its text, matched to nothing. */
    free(it[0].recipient);
    it[0].recipient = sw_strdup("stranger@nowhere.example");
    free(it[0].message_id);
    it[0].message_id = sw_strdup("<99.0.999@stepwise.invalid>"); /* no such row */
    assert_int_equal(sw_feedback_record(db, it, 1, "test", dsn, 2, 3000, &out, &err), 0);
    assert_true(json_is_null(json_object_get(json_array_get(out, 0), "delivery_id")));
    json_decref(out);
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_feedback WHERE delivery_id IS NULL AND "
                                "raw IS NOT NULL AND address = 'stranger@nowhere.example'"),
                     1);
    /* a hard bounce suppresses even unmatched: the address is known from the report */
    assert_int_equal(tu_int(db, "SELECT count(*) FROM sw_suppressions WHERE address_key = "
                                "'stranger@nowhere.example'"),
                     1);
    sw_feedback_items_free(it, n);
    free(dsn);
    sw_catalog_free(cat);
    sw_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_dsn),
        cmocka_unit_test(test_parse_arf),
        cmocka_unit_test(test_record),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
