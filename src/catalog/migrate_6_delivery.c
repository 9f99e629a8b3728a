/*
 * migrate_6_delivery.c - catalog migration 6: what a channel activity needs to send on its
 * own. `fields` holds, per ledger row, the values of the personalization fields the
 * activity's templates use (a JSON object of text), captured when the ledger is filled: a
 * message can be rendered, retried or repaired after the run's work tables are gone, and
 * the ledger shows what each recipient was sent. sw_confirmations records who released an
 * activity held by confirm_before_send, and when.
 */
extern const char sw_migration_6[];
const char sw_migration_6[] =
    "ALTER TABLE sw_deliveries ADD COLUMN fields TEXT;"
    "CREATE TABLE sw_confirmations ("
    "  run_id INTEGER NOT NULL, activity TEXT NOT NULL, confirmed_at INTEGER NOT NULL,"
    "  confirmed_by TEXT, PRIMARY KEY (run_id, activity));";
