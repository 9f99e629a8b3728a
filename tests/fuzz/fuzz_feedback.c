/*
 * fuzz_feedback.c - libFuzzer target for the bounce and complaint reports
 * (channels/feedback.c): any bytes are parsed as a report; what parses is recorded into an
 * in-memory catalog with a ledger row to match, so matching and suppression run too.
 *
 * Built as a libFuzzer binary with clang (cmake -DSW_FUZZ=ON, `make fuzz`) and, with any
 * compiler, as a replay program over the corpus in tests/fuzz/corpus/feedback (run by ctest).
 */
#include "catalog/catalog.h"
#include "channels/feedback.h"
#include "db/db.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_feedback_item *items = NULL;
    size_t n = 0;
    if (sw_feedback_parse((const char *)data, size, &items, &n, NULL) == 0) {
        struct sw_db *db = NULL;
        struct sw_catalog *cat = NULL;
        if (sw_db_open(":memory:", &db, NULL) == 0 && sw_catalog_open(db, &cat, NULL) == 0) {
            sw_db_exec(db,
                       "INSERT INTO sw_deliveries (id, run_id, activity, channel, recipient, "
                       "address, address_key, state, created_at, updated_at, sent_at) VALUES "
                       "(3, 1, 'm', 'email', '1', 'nobody@invalid.example', "
                       "'nobody@invalid.example', 'sent', 1, 1, 1)",
                       NULL);
            json_t *out = NULL;
            sw_feedback_record(db, items, n, "fuzz", (const char *)NULL, 2, 1000, &out, NULL);
            json_decref(out);
        }
        sw_catalog_free(cat);
        sw_db_close(db);
    }
    sw_feedback_items_free(items, n);
    return 0;
}
