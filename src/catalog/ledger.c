/*
 * ledger.c - see ledger.h.
 */
#include "catalog/ledger.h"
#include "catalog/rows.h"
#include "core/clock.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>

/* What counts against a frequency cap (ledger.h): in flight, sent, or maybe sent, within the
 * period (the statement binds the period's start right after this text). */
#define COUNTS_FOR_CAP                                                                             \
    "state IN ('sending', 'sent', 'unknown') AND coalesce(sent_at, updated_at) >= "

int sw_frequency_cap_parse(const char *s, struct sw_frequency_cap *cap, struct sw_error *err)
{
    const char *slash = s ? strchr(s, '/') : NULL;
    int64_t n = 0, ms = 0;
    cap->count = cap->period_ms = 0;
    if (!slash) {
        return sw_error_set(err, SW_EINVAL, "frequency_cap: expected COUNT/DURATION such as 3/7d");
    }
    char *num = sw_strndup(s, (size_t)(slash - s));
    int bad = sw_parse_int64(num, &n) < 0 || n < 1 || n > 1000000 ||
              sw_parse_duration(slash + 1, &ms) < 0 || ms <= 0;
    free(num);
    if (bad) {
        return sw_error_set(err, SW_EINVAL,
                            "frequency_cap: \"%s\" is not COUNT/DURATION (a positive count and a "
                            "duration such as 7d)",
                            s);
    }
    cap->count = n;
    cap->period_ms = ms;
    return 0;
}

static const struct {
    const char *name;
    size_t offset;
} cap_channels[] = {
    {"email", offsetof(struct sw_frequency_caps, email)},
    {"sms", offsetof(struct sw_frequency_caps, sms)},
    {"push", offsetof(struct sw_frequency_caps, push)},
};
#define NCHANNELS (sizeof(cap_channels) / sizeof(cap_channels[0]))

static struct sw_frequency_cap *cap_of(struct sw_frequency_caps *caps, size_t i)
{
    return (struct sw_frequency_cap *)((char *)caps + cap_channels[i].offset);
}

int sw_frequency_caps_parse(const char *s, struct sw_frequency_caps *caps, struct sw_error *err)
{
    struct sw_frequency_cap dflt = {0, 0};
    bool named[NCHANNELS] = {false};
    bool have_default = false;
    memset(caps, 0, sizeof(*caps));
    if (!s || !*s) {
        return sw_error_set(err, SW_EINVAL,
                            "frequency_cap: expected COUNT/DURATION such as 3/7d, or per channel "
                            "such as email:3/7d,sms:1/7d");
    }
    char *copy = sw_strdup(s), *save = NULL;
    int rc = 0;
    for (char *part = strtok_r(copy, ",", &save); part && rc == 0;
         part = strtok_r(NULL, ",", &save)) {
        while (*part == ' ') {
            part++;
        }
        char *colon = strchr(part, ':');
        struct sw_frequency_cap one;
        if (!colon) {
            if (have_default) {
                rc = sw_error_set(err, SW_EINVAL,
                                  "frequency_cap: \"%s\" gives two limits for every channel", s);
            } else if ((rc = sw_frequency_cap_parse(part, &dflt, err)) == 0) {
                have_default = true;
            }
            continue;
        }
        *colon = '\0';
        size_t i = 0;
        while (i < NCHANNELS && strcmp(cap_channels[i].name, part)) {
            i++;
        }
        if (i == NCHANNELS) {
            rc = sw_error_set(err, SW_EINVAL,
                              "frequency_cap: unknown channel \"%s\" (email, sms or push)", part);
        } else if (named[i]) {
            rc = sw_error_set(err, SW_EINVAL, "frequency_cap: channel %s is given twice", part);
        } else if ((rc = sw_frequency_cap_parse(colon + 1, &one, err)) == 0) {
            named[i] = true;
            *cap_of(caps, i) = one;
        }
    }
    free(copy);
    if (rc == 0 && !have_default && !named[0] && !named[1] && !named[2]) {
        rc = sw_error_set(err, SW_EINVAL, "frequency_cap: \"%s\" gives no limit", s);
    }
    for (size_t i = 0; rc == 0 && i < NCHANNELS; i++) {
        if (!named[i]) {
            *cap_of(caps, i) = dflt;
        }
    }
    if (rc) {
        memset(caps, 0, sizeof(*caps));
    }
    return rc;
}

struct sw_frequency_cap sw_frequency_caps_for(const struct sw_frequency_caps *caps,
                                              const char *channel)
{
    struct sw_frequency_cap none = {0, 0};
    for (size_t i = 0; caps && channel && i < NCHANNELS; i++) {
        if (!strcmp(cap_channels[i].name, channel)) {
            return *cap_of((struct sw_frequency_caps *)caps, i);
        }
    }
    return none;
}

int64_t sw_frequency_caps_period(const struct sw_frequency_caps *caps)
{
    int64_t max = 0;
    for (size_t i = 0; i < NCHANNELS; i++) {
        const struct sw_frequency_cap *c = cap_of((struct sw_frequency_caps *)caps, i);
        if (c->count > 0 && c->period_ms > max) {
            max = c->period_ms;
        }
    }
    return max;
}

int sw_ledger_fill(struct sw_db *db, const struct sw_ledger_spec *spec,
                   struct sw_ledger_counts *counts, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT, addr = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    int rc;
    /* The address as sent, and as compared. */
    sw_buf_puts(&addr, "nullif(trim(d.");
    sw_db_ident(&addr, spec->to_field);
    sw_buf_puts(&addr, "), '')");
    sw_params_add_int(&p, spec->run_id);    /* ?1 */
    sw_params_add_text(&p, spec->activity); /* ?2 */
    sw_params_add_text(&p, spec->channel);  /* ?3 */
    sw_params_add_int(&p, spec->now_ms);    /* ?4 */
    /* INSERT OR IGNORE: a task re-run after a crash finds its rows already there. */
    sw_db_insert_ignore_head(db, &sql);
    sw_buf_printf(&sql,
                  "sw_deliveries (run_id, activity, channel, recipient, address, address_key, "
                  "state, reason, created_at, updated_at, fields) SELECT ?1, ?2, ?3, "
                  "CAST(w._key AS TEXT), %s, lower(%s), CASE WHEN %s IS NULL THEN 'skipped' ELSE "
                  "'pending' END, CASE WHEN %s IS NULL THEN 'missing_address' END, ?4, ?4, ",
                  addr.data, addr.data, addr.data, addr.data);
    if (!spec->nfields) {
        sw_buf_puts(&sql, "NULL");
    } else {
        /* Field names are bound (?5...): they never become SQL text; the columns come from
         * the schema and are quoted. */
        sw_buf_puts(&sql, sw_db_json_object_fn(db));
        sw_buf_putc(&sql, '(');
        for (size_t i = 0; i < spec->nfields; i++) {
            sw_buf_puts(&sql, i ? ", " : "");
            sw_buf_printf(&sql, "?%d", (int)(5 + i));
            sw_buf_puts(&sql, spec->fields[i].from_work ? ", CAST(w." : ", CAST(d.");
            sw_db_ident(&sql, spec->fields[i].name);
            sw_buf_puts(&sql, " AS TEXT)");
            sw_params_add_text(&p, spec->fields[i].name);
        }
        sw_buf_putc(&sql, ')');
    }
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, spec->table);
    sw_buf_puts(&sql, " w JOIN ");
    sw_db_ident(&sql, spec->dimension);
    sw_buf_puts(&sql, " d ON d.");
    sw_db_ident(&sql, spec->pk);
    sw_buf_puts(&sql, " = w._key ORDER BY w._key");
    sw_db_insert_ignore_tail(db, &sql);
    if ((rc = sw_db_exec_params(db, sql.data, &p, NULL, err)) < 0) {
        goto out;
    }
    sw_params_truncate(&p, 4); /* the field names are not parameters of what follows */
    /* One message per address in an activity: the row of the smallest key keeps it. */
    rc = sw_db_exec_params(db,
                           "UPDATE sw_deliveries SET state = 'skipped', reason = "
                           "'duplicate_address', updated_at = ?4 WHERE run_id = ?1 AND "
                           "activity = ?2 AND state = 'pending' AND id NOT IN (SELECT min(id) "
                           "FROM sw_deliveries WHERE run_id = ?1 AND activity = ?2 AND "
                           "address_key IS NOT NULL GROUP BY address_key)",
                           &p, NULL, err);
    if (rc < 0) {
        goto out;
    }
    /* Addresses on the channel's suppression list, with the cause (and again at every claim,
     * for those added meanwhile). */
    rc = sw_db_exec_params(db,
                           "UPDATE sw_deliveries SET state = 'skipped', reason = 'suppressed', "
                           "error = (SELECT 'suppressed: ' || s.reason FROM sw_suppressions s "
                           "WHERE s.channel = ?3 AND s.address_key = sw_deliveries.address_key), "
                           "updated_at = ?4 WHERE run_id = ?1 AND activity = ?2 AND state = "
                           "'pending' AND EXISTS (SELECT 1 FROM sw_suppressions s WHERE "
                           "s.channel = ?3 AND s.address_key = sw_deliveries.address_key)",
                           &p, NULL, err);
    if (rc < 0) {
        goto out;
    }
    /* The frequency cap is decided when rows are claimed (sw_ledger_claim), not here: a check
     * at fill time would see no in-flight row of another run, and cost as much again. */
    rc = counts ? sw_ledger_counts(db, spec->run_id, spec->activity, counts, err) : 0;
out:
    sw_buf_release(&sql);
    sw_buf_release(&addr);
    sw_params_release(&p);
    return rc;
}

/* Rows of one state into its count (targeted counts them all). */
static void add_state(struct sw_ledger_counts *c, const char *text, int64_t n)
{
    enum sw_delivery_state state;
    int64_t *into[SW_DELIVERY_NSTATE] = {
        [SW_DELIVERY_PENDING] = &c->pending, [SW_DELIVERY_SENDING] = &c->sending,
        [SW_DELIVERY_SENT] = &c->sent,       [SW_DELIVERY_FAILED] = &c->failed,
        [SW_DELIVERY_UNKNOWN] = &c->unknown, [SW_DELIVERY_SKIPPED] = NULL};
    c->targeted += n;
    if (sw_delivery_state_parse(text, &state) == 0 && into[state]) {
        *into[state] = n;
    }
}

/* Skipped rows of one reason into its count. */
static void add_reason(struct sw_ledger_counts *c, const char *text, int64_t n)
{
    enum sw_delivery_reason reason;
    int64_t *into[SW_SKIP_NREASON] = {[SW_SKIP_MISSING_ADDRESS] = &c->missing_address,
                                      [SW_SKIP_DUPLICATE_ADDRESS] = &c->duplicate_address,
                                      [SW_SKIP_SUPPRESSED] = &c->suppressed,
                                      [SW_SKIP_FREQUENCY_CAP] = &c->frequency_cap,
                                      [SW_SKIP_RUN_STOPPED] = &c->run_stopped};
    if (sw_delivery_reason_parse(text, &reason) == 0) {
        *into[reason] = n;
    } else {
        c->skipped_other += n;
    }
}

/* Where count_groups adds a group. */
struct group {
    void (*add)(struct sw_ledger_counts *c, const char *key, int64_t n);
    struct sw_ledger_counts *counts;
};

static void group_row(struct sw_stmt *st, void *ud)
{
    struct group *g = ud;
    g->add(g->counts, sw_stmt_column_text(st, 0), sw_stmt_column_int(st, 1));
}

/* sql groups an activity's rows (?1 = run_id, ?2 = activity) as (key, count): add each. */
static int count_groups(struct sw_db *db, const char *sql, int64_t run_id, const char *activity,
                        void (*add)(struct sw_ledger_counts *c, const char *key, int64_t n),
                        struct sw_ledger_counts *counts, struct sw_error *err)
{
    struct group g = {add, counts};
    return sw_rows_each(db, sql, SW_ARGS(SW_INT(run_id), SW_TEXT(activity)), group_row, &g, err);
}

int sw_ledger_counts(struct sw_db *db, int64_t run_id, const char *activity,
                     struct sw_ledger_counts *counts, struct sw_error *err)
{
    memset(counts, 0, sizeof(*counts));
    int rc = count_groups(db,
                          "SELECT state, count(*) FROM sw_deliveries WHERE run_id = ?1 AND "
                          "activity = ?2 GROUP BY state",
                          run_id, activity, add_state, counts, err);
    if (rc == 0) {
        rc = count_groups(db,
                          "SELECT reason, count(*) FROM sw_deliveries WHERE run_id = ?1 AND "
                          "activity = ?2 AND state = 'skipped' GROUP BY 1",
                          run_id, activity, add_reason, counts, err);
    }
    return rc;
}

json_t *sw_ledger_counts_json(const struct sw_ledger_counts *c)
{
    /* The three first reasons always show; the others (in name order) when they have rows. */
    json_t *d = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:{s:I, s:I, s:I}}", "targeted", (json_int_t)c->targeted,
        "pending", (json_int_t)c->pending, "sending", (json_int_t)c->sending, "sent",
        (json_int_t)c->sent, "failed", (json_int_t)c->failed, "unknown", (json_int_t)c->unknown,
        "skipped", "missing_address", (json_int_t)c->missing_address, "duplicate_address",
        (json_int_t)c->duplicate_address, "frequency_cap", (json_int_t)c->frequency_cap);
    json_t *sk = json_object_get(d, "skipped");
    const struct {
        const char *name;
        int64_t n;
    } more[] = {{"other", c->skipped_other},
                {"run_stopped", c->run_stopped},
                {"suppressed", c->suppressed}};
    for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++) {
        if (more[i].n) {
            json_object_set_new(sk, more[i].name, json_integer(more[i].n));
        }
    }
    return d;
}

/* Where sw_ledger_totals hands each (channel, state, reason, count). */
struct total {
    void (*fn)(void *ud, const char *channel, const char *state, const char *reason, int64_t n);
    void *ud;
};

static void total_row(struct sw_stmt *st, void *ud)
{
    struct total *t = ud;
    t->fn(t->ud, sw_stmt_column_text(st, 0), sw_stmt_column_text(st, 1), sw_stmt_column_text(st, 2),
          sw_stmt_column_int(st, 3));
}

int sw_ledger_totals(struct sw_db *db,
                     void (*fn)(void *ud, const char *channel, const char *state,
                                const char *reason, int64_t n),
                     void *ud, struct sw_error *err)
{
    struct total t = {fn, ud};
    return sw_rows_each(db,
                        "SELECT channel, state, coalesce(reason, ''), count(*) FROM "
                        "sw_deliveries GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
                        NULL, 0, total_row, &t, err);
}

/* The columns sw_ledger_list selects, in order. */
static const struct sw_col delivery_cols[] = {
    SW_COL(INT, struct sw_delivery, id),         SW_COL(TEXT, struct sw_delivery, activity),
    SW_COL(TEXT, struct sw_delivery, channel),   SW_COL(TEXT, struct sw_delivery, recipient),
    SW_COL(TEXT, struct sw_delivery, address),   SW_COL(TEXT, struct sw_delivery, state),
    SW_COL(TEXT, struct sw_delivery, reason),    SW_COL(INT, struct sw_delivery, attempts),
    SW_COL(TEXT, struct sw_delivery, error),     SW_COL(INT, struct sw_delivery, sent_at),
    SW_COL(INT, struct sw_delivery, updated_at),
};
static const struct sw_row_type delivery_row = SW_ROW_TYPE(struct sw_delivery, delivery_cols, NULL);

int sw_ledger_list(struct sw_db *db, int64_t run_id, const char *state, const char *activity,
                   int64_t after_id, int64_t limit, struct sw_delivery **rows, size_t *n,
                   struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    /* Only the filters given, so that the (run_id, activity, state, id) index serves them. */
    sw_buf_printf(&sql,
                  "SELECT id, activity, channel, recipient, address, state, reason, attempts, "
                  "error, sent_at, updated_at FROM sw_deliveries WHERE run_id = ?%d AND id > ?%d",
                  sw_params_add_int(&p, run_id), sw_params_add_int(&p, after_id));
    if (state) {
        sw_buf_printf(&sql, " AND state = ?%d", sw_params_add_text(&p, state));
    }
    if (activity) {
        sw_buf_printf(&sql, " AND activity = ?%d", sw_params_add_text(&p, activity));
    }
    sw_buf_printf(&sql, " ORDER BY id LIMIT ?%d", sw_params_add_int(&p, limit));
    int rc = sw_rows_all(db, sql.data, &p, &delivery_row, rows, n, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

void sw_deliveries_free(struct sw_delivery *rows, size_t n)
{
    sw_rows_free(&delivery_row, rows, n);
}

char *sw_ledger_email_address(struct sw_db *db, int64_t id)
{
    struct sw_stmt *st = NULL;
    char *address = NULL;
    if (sw_db_prepare(db, "SELECT address FROM sw_deliveries WHERE id = ?1 AND channel = 'email'",
                      &st, NULL) == 0) {
        sw_stmt_bind_int(st, 1, id);
        if (sw_stmt_step(st, NULL) == SW_STEP_ROW && sw_stmt_column_text(st, 0)) {
            address = sw_strdup(sw_stmt_column_text(st, 0));
        }
    }
    sw_stmt_finalize(st);
    return address;
}

/* Run sql with ?1 = run_id, ?2 = activity, ?3 = now (a statement may use the first ones only);
 * *changes (may be NULL) receives the rows changed. */
static int exec_run_act(struct sw_db *db, const char *sql, int64_t run_id, const char *activity,
                        int64_t now_ms, int64_t *changes, struct sw_error *err)
{
    return sw_rows_exec(db, sql, SW_ARGS(SW_INT(run_id), SW_TEXT(activity), SW_INT(now_ms)),
                        changes, err);
}

/* The integer sql computes with ?1 = run_id, ?2 = activity. */
static int query_run_act(struct sw_db *db, const char *sql, int64_t run_id, const char *activity,
                         int64_t *v, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, run_id);
    sw_params_add_text(&p, activity);
    *v = 0;
    int rc = sw_db_query_int(db, sql, &p, v, err);
    sw_params_release(&p);
    return rc;
}

/* Whether sql, a count with ?1 = run_id, ?2 = activity, counts anything. */
static int any_run_act(struct sw_db *db, const char *sql, int64_t run_id, const char *activity,
                       bool *any, struct sw_error *err)
{
    int64_t n = 0;
    int rc = query_run_act(db, sql, run_id, activity, &n, err);
    *any = n > 0;
    return rc;
}

int sw_ledger_filled(struct sw_db *db, int64_t run_id, const char *activity, bool *filled,
                     struct sw_error *err)
{
    return any_run_act(db,
                       "SELECT count(*) FROM (SELECT 1 FROM sw_deliveries WHERE run_id = ?1 AND "
                       "activity = ?2 LIMIT 1)",
                       run_id, activity, filled, err);
}

int sw_ledger_mark_interrupted(struct sw_db *db, int64_t run_id, const char *activity,
                               int64_t now_ms, struct sw_error *err)
{
    return exec_run_act(db,
                        "UPDATE sw_deliveries SET state = 'unknown', error = 'interrupted while "
                        "sending', updated_at = ?3 WHERE run_id = ?1 AND activity = ?2 AND state "
                        "= 'sending'",
                        run_id, activity, now_ms, NULL, err);
}

int sw_ledger_next_due(struct sw_db *db, int64_t run_id, const char *activity, int64_t *at_ms,
                       struct sw_error *err)
{
    return query_run_act(db,
                         "SELECT coalesce(min(next_attempt_at), 0) FROM sw_deliveries WHERE "
                         "run_id = ?1 AND activity = ?2 AND state = 'pending'",
                         run_id, activity, at_ms, err);
}

int sw_ledger_insert_in_state(struct sw_db *db, const char *insert, int64_t run_id,
                              const char *activity, enum sw_delivery_state state, int64_t *n,
                              struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_buf_puts(&sql, insert);
    sw_buf_puts(&sql, " WHERE EXISTS (SELECT 1 FROM sw_deliveries l WHERE l.run_id = ?1 AND "
                      "l.activity = ?2 AND l.recipient = CAST(w._key AS TEXT) AND l.state = ?3)");
    sw_params_add_int(&p, run_id);
    sw_params_add_text(&p, activity);
    sw_params_add_text(&p, sw_delivery_state_text(state));
    int rc = sw_db_exec_params(db, sql.data, &p, n, err);
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

int sw_ledger_requeue(struct sw_db *db, int64_t run_id, const char *activity, bool include_unknown,
                      int64_t now_ms, int64_t *n, struct sw_error *err)
{
    return exec_run_act(db,
                        include_unknown
                            ? "UPDATE sw_deliveries SET state = 'pending', attempts = 0, "
                              "next_attempt_at = NULL, error = NULL, updated_at = ?3 WHERE "
                              "run_id = ?1 AND activity = ?2 AND state IN ('failed', 'unknown')"
                            : "UPDATE sw_deliveries SET state = 'pending', attempts = 0, "
                              "next_attempt_at = NULL, error = NULL, updated_at = ?3 WHERE "
                              "run_id = ?1 AND activity = ?2 AND state = 'failed'",
                        run_id, activity, now_ms, n, err);
}

bool sw_ledger_run_sending(struct sw_db *db, int64_t run_id)
{
    int64_t running = 1;
    sw_rows_query_int(db, "SELECT status = 'running' FROM sw_runs WHERE id = ?1",
                      SW_ARGS(SW_INT(run_id)), &running, NULL);
    return running != 0;
}

int sw_ledger_skip_stopped_campaign(struct sw_db *db, int64_t campaign_id, int64_t now_ms,
                                    struct sw_error *err)
{
    return sw_rows_exec(db,
                        "UPDATE sw_deliveries SET state = 'skipped', reason = "
                        "'run_stopped', updated_at = ?2 WHERE state = 'pending' AND "
                        "run_id IN (SELECT id FROM sw_runs WHERE campaign_id = ?1 AND "
                        "status IN ('running', 'paused'))",
                        SW_ARGS(SW_INT(campaign_id), SW_INT(now_ms)), NULL, err);
}

int sw_ledger_confirmed(struct sw_db *db, int64_t run_id, const char *activity, bool *yes,
                        struct sw_error *err)
{
    return any_run_act(db,
                       "SELECT count(*) FROM sw_confirmations WHERE run_id = ?1 AND activity = ?2",
                       run_id, activity, yes, err);
}

int sw_ledger_confirm(struct sw_db *db, int64_t run_id, const char *activity, const char *by,
                      int64_t now_ms, int64_t *confirmed_at, struct sw_error *err)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, run_id);
    sw_params_add_text(&p, activity);
    sw_params_add_int(&p, now_ms);
    sw_params_add_text(&p, by);
    sw_db_insert_ignore_head(db, &sql);
    sw_buf_puts(&sql, "sw_confirmations (run_id, activity, confirmed_at, confirmed_by) VALUES "
                      "(?1, ?2, ?3, ?4)");
    sw_db_insert_ignore_tail(db, &sql);
    int rc = sw_db_exec_params(db, sql.data, &p, NULL, err);
    sw_params_truncate(&p, 2);
    if (rc == 0 && confirmed_at) {
        *confirmed_at = now_ms;
        rc = sw_db_query_int(db,
                             "SELECT confirmed_at FROM sw_confirmations WHERE run_id = ?1 AND "
                             "activity = ?2",
                             &p, confirmed_at, err);
    }
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

/* ---- claiming ---- */

struct sw_ledger_claimer {
    struct sw_db *db;
    int64_t run_id;
    char *activity;
    char *channel;
    struct sw_frequency_cap cap;
    struct sw_stmt *st_next, *st_count, *st_skip, *st_mark, *st_any_supp, *st_supp;
    struct sw_stmt *st_finish, *st_defer, *st_release; /* outcomes */
};

/* The claimer's statements, prepared once per send. */
static const struct {
    size_t at;   /* offsetof the statement in struct sw_ledger_claimer */
    bool capped; /* only with a frequency cap */
    const char *sql;
} statements[] = {
    {offsetof(struct sw_ledger_claimer, st_next), false,
     "SELECT id, address, attempts, fields, deferrals, address_key FROM sw_deliveries WHERE "
     "run_id = ?1 AND activity = ?2 AND state = 'pending' AND coalesce(next_attempt_at, 0) <= ?3 "
     "ORDER BY id LIMIT ?4"},
    {offsetof(struct sw_ledger_claimer, st_mark), false,
     "UPDATE sw_deliveries SET state = 'sending', attempts = attempts + 1, updated_at = ?1 WHERE "
     "id = ?2 AND state = 'pending'"},
    /* Stops counting at the cap: an address with a long history costs no more. */
    {offsetof(struct sw_ledger_claimer, st_count), true,
     "SELECT count(*) FROM (SELECT 1 FROM sw_deliveries WHERE address_key = ?1 AND channel = ?2 "
     "AND id <> ?3 AND " COUNTS_FOR_CAP "?4 LIMIT ?5)"},
    {offsetof(struct sw_ledger_claimer, st_skip), false,
     "UPDATE sw_deliveries SET state = 'skipped', reason = ?3, error = ?4, updated_at = ?1 WHERE "
     "id = ?2 AND state = 'pending'"},
    {offsetof(struct sw_ledger_claimer, st_any_supp), false,
     "SELECT EXISTS (SELECT 1 FROM sw_suppressions WHERE channel = ?1)"},
    {offsetof(struct sw_ledger_claimer, st_supp), false,
     "SELECT reason FROM sw_suppressions WHERE channel = ?1 AND address_key = ?2"},
    {offsetof(struct sw_ledger_claimer, st_finish), false,
     "UPDATE sw_deliveries SET state = ?1, error = ?2, next_attempt_at = ?3, updated_at = ?4, "
     "sent_at = CASE WHEN ?1 = 'sent' THEN ?4 END WHERE id = ?5"},
    {offsetof(struct sw_ledger_claimer, st_defer), false,
     "UPDATE sw_deliveries SET state = 'pending', attempts = attempts - 1, deferrals = deferrals "
     "+ 1, error = ?1, next_attempt_at = ?2, updated_at = ?3 WHERE id = ?4"},
    {offsetof(struct sw_ledger_claimer, st_release), false,
     "UPDATE sw_deliveries SET state = 'pending', attempts = attempts - 1, updated_at = ?1 WHERE "
     "id = ?2"},
};
#define NSTATEMENTS (sizeof(statements) / sizeof(statements[0]))

static struct sw_stmt **statement(struct sw_ledger_claimer *c, size_t i)
{
    return (struct sw_stmt **)((char *)c + statements[i].at);
}

int sw_ledger_claimer_open(struct sw_db *db, int64_t run_id, const char *activity,
                           const char *channel, struct sw_frequency_cap cap,
                           struct sw_ledger_claimer **out, struct sw_error *err)
{
    struct sw_ledger_claimer *c = sw_calloc(1, sizeof(*c));
    int rc = 0;
    c->db = db;
    c->run_id = run_id;
    c->activity = sw_strdup(activity);
    c->channel = sw_strdup(channel);
    c->cap = cap;
    for (size_t i = 0; rc == 0 && i < NSTATEMENTS; i++) {
        if (!statements[i].capped || cap.count > 0) {
            rc = sw_db_prepare(db, statements[i].sql, statement(c, i), err);
        }
    }
    if (rc < 0) {
        sw_ledger_claimer_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void sw_ledger_claimer_close(struct sw_ledger_claimer *c)
{
    if (!c) {
        return;
    }
    for (size_t i = 0; i < NSTATEMENTS; i++) {
        sw_stmt_finalize(*statement(c, i));
    }
    free(c->activity);
    free(c->channel);
    free(c);
}

void sw_ledger_rows_free(struct sw_ledger_row *rows, size_t n)
{
    for (size_t i = 0; rows && i < n; i++) {
        free(rows[i].address);
        free(rows[i].fields);
    }
    free(rows);
}

static int step_once(struct sw_stmt *st, struct sw_error *err)
{
    int rc = sw_stmt_step(st, err);
    sw_stmt_reset(st);
    return rc < 0 ? rc : 0;
}

/* Whether the channel's suppression list has any address (then each row is looked up). */
static int any_suppressed(struct sw_ledger_claimer *c, bool *any, struct sw_error *err)
{
    sw_stmt_bind_text(c->st_any_supp, 1, c->channel);
    int rc = sw_stmt_step(c->st_any_supp, err);
    *any = rc == SW_STEP_ROW && sw_stmt_column_int(c->st_any_supp, 0);
    sw_stmt_reset(c->st_any_supp);
    return rc < 0 ? rc : 0;
}

/* The cause ("suppressed: hard_bounce") when the address is on the channel's list, else "". */
static int suppressed(struct sw_ledger_claimer *c, const char *key, char *cause, size_t n,
                      struct sw_error *err)
{
    sw_stmt_bind_text(c->st_supp, 1, c->channel);
    sw_stmt_bind_text(c->st_supp, 2, key);
    int rc = sw_stmt_step(c->st_supp, err);
    cause[0] = '\0';
    if (rc == SW_STEP_ROW) {
        snprintf(cause, n, "suppressed: %s", sw_stmt_column_text(c->st_supp, 0));
    }
    sw_stmt_reset(c->st_supp);
    return rc < 0 ? rc : 0;
}

/* Whether the address of row `id` has reached the cap (counting others' rows). */
static int over_cap(struct sw_ledger_claimer *c, int64_t id, const char *key, int64_t now_ms,
                    bool *over, struct sw_error *err)
{
    struct sw_stmt *st = c->st_count;
    sw_stmt_bind_text(st, 1, key);
    sw_stmt_bind_text(st, 2, c->channel);
    sw_stmt_bind_int(st, 3, id);
    sw_stmt_bind_int(st, 4, now_ms - c->cap.period_ms);
    sw_stmt_bind_int(st, 5, c->cap.count);
    int rc = sw_stmt_step(st, err);
    *over = rc == SW_STEP_ROW && sw_stmt_column_int(st, 0) >= c->cap.count;
    sw_stmt_reset(st);
    return rc < 0 ? rc : 0;
}

int sw_ledger_claim(struct sw_ledger_claimer *c, size_t want, int64_t now_ms,
                    struct sw_ledger_row **rows, size_t *n, size_t *capped, struct sw_error *err)
{
    struct sw_ledger_row *out = sw_calloc(want ? want : 1, sizeof(*out));
    struct sw_ledger_row *cand = sw_calloc(want ? want : 1, sizeof(*cand));
    char **keys = sw_calloc(want ? want : 1, sizeof(*keys));
    size_t got = 0, skipped = 0;
    bool any_supp = false;
    char cause[96];
    int rc = any_suppressed(c, &any_supp, err);
    /* Candidates are read first, then decided one by one: each row marked sending is seen by
     * the next one's count (one address twice in a batch is capped like two runs are). Rows
     * skipped by the cap make room: read again until the batch is full or nothing is due. */
    while (rc == 0 && got < want) {
        size_t ncand = 0, round_skipped = 0;
        struct sw_stmt *st = c->st_next;
        sw_stmt_bind_int(st, 1, c->run_id);
        sw_stmt_bind_text(st, 2, c->activity);
        sw_stmt_bind_int(st, 3, now_ms);
        sw_stmt_bind_int(st, 4, (int64_t)(want - got));
        while ((rc = sw_stmt_step(st, err)) == SW_STEP_ROW) {
            struct sw_ledger_row *r = &cand[ncand];
            const char *f = sw_stmt_column_text(st, 3), *k = sw_stmt_column_text(st, 5);
            r->id = sw_stmt_column_int(st, 0);
            r->address = sw_strdup(sw_stmt_column_text(st, 1));
            r->attempts = sw_stmt_column_int(st, 2) + 1;
            r->fields = f ? sw_strdup(f) : NULL;
            r->deferrals = sw_stmt_column_int(st, 4);
            keys[ncand++] = k ? sw_strdup(k) : NULL;
        }
        sw_stmt_reset(st);
        rc = rc < 0 ? rc : 0;
        for (size_t i = 0; i < ncand; i++) {
            bool over = false;
            cause[0] = '\0';
            if (rc == 0 && any_supp && keys[i]) {
                rc = suppressed(c, keys[i], cause, sizeof(cause), err);
            }
            if (rc == 0 && !cause[0] && c->cap.count > 0 && keys[i]) {
                rc = over_cap(c, cand[i].id, keys[i], now_ms, &over, err);
            }
            bool skip = cause[0] || over;
            if (rc == 0) {
                struct sw_stmt *up = skip ? c->st_skip : c->st_mark;
                sw_stmt_bind_int(up, 1, now_ms);
                sw_stmt_bind_int(up, 2, cand[i].id);
                if (skip) {
                    sw_stmt_bind_text(up, 3, cause[0] ? "suppressed" : "frequency_cap");
                    if (cause[0]) {
                        sw_stmt_bind_text(up, 4, cause);
                    } else {
                        sw_stmt_bind_null(up, 4);
                    }
                }
                rc = step_once(up, err);
            }
            free(keys[i]);
            keys[i] = NULL;
            if (rc == 0 && !skip) {
                out[got++] = cand[i];
            } else {
                round_skipped += skip;
                skipped += over;
                free(cand[i].address);
                free(cand[i].fields);
            }
        }
        if (!round_skipped) {
            break; /* every candidate was taken: nothing more is due */
        }
    }
    free(cand);
    free(keys);
    if (rc < 0) {
        sw_ledger_rows_free(out, got);
        *rows = NULL;
        *n = 0;
        return rc;
    }
    if (!got) {
        free(out);
        out = NULL;
    }
    *rows = out;
    *n = got;
    if (capped) {
        *capped = skipped;
    }
    return 0;
}

int sw_ledger_finish(struct sw_ledger_claimer *c, int64_t id, enum sw_delivery_state state,
                     const char *error, int64_t next_ms, int64_t now_ms, struct sw_error *err)
{
    struct sw_stmt *st = c->st_finish;
    if (!sw_delivery_state_can(SW_DELIVERY_SENDING, state)) {
        return sw_error_set(err, SW_EINVAL, "a delivery being sent cannot become %s",
                            sw_delivery_state_text(state));
    }
    sw_stmt_bind_text(st, 1, sw_delivery_state_text(state));
    if (error) {
        sw_stmt_bind_text(st, 2, error);
    } else {
        sw_stmt_bind_null(st, 2);
    }
    if (next_ms) {
        sw_stmt_bind_int(st, 3, next_ms);
    } else {
        sw_stmt_bind_null(st, 3);
    }
    sw_stmt_bind_int(st, 4, now_ms);
    sw_stmt_bind_int(st, 5, id);
    return step_once(st, err);
}

int sw_ledger_defer(struct sw_ledger_claimer *c, int64_t id, const char *error, int64_t next_ms,
                    int64_t now_ms, struct sw_error *err)
{
    sw_stmt_bind_text(c->st_defer, 1, error);
    sw_stmt_bind_int(c->st_defer, 2, next_ms);
    sw_stmt_bind_int(c->st_defer, 3, now_ms);
    sw_stmt_bind_int(c->st_defer, 4, id);
    return step_once(c->st_defer, err);
}

int sw_ledger_release(struct sw_ledger_claimer *c, int64_t id, int64_t now_ms, struct sw_error *err)
{
    sw_stmt_bind_int(c->st_release, 1, now_ms);
    sw_stmt_bind_int(c->st_release, 2, id);
    return step_once(c->st_release, err);
}

int sw_ledger_settle_stopped(struct sw_db *db, int64_t run_id, const char *activity, int64_t now_ms,
                             struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t stopped = 0;
    sw_params_add_int(&p, run_id);
    /* The run's status first (one key lookup): the UPDATE below would test it for every
     * pending row, and a send calls this at every commit. */
    int rc = sw_db_query_int(db,
                             "SELECT count(*) FROM sw_runs WHERE id = ?1 AND status = "
                             "'stopped'",
                             &p, &stopped, err);
    sw_params_add_text(&p, activity);
    sw_params_add_int(&p, now_ms);
    if (rc == 0 && stopped) {
        rc = sw_db_exec_params(db,
                               "UPDATE sw_deliveries SET state = 'skipped', reason = "
                               "'run_stopped', next_attempt_at = NULL, updated_at = ?3 WHERE "
                               "run_id = ?1 AND activity = ?2 AND state = 'pending'",
                               &p, NULL, err);
    }
    sw_params_release(&p);
    return rc;
}

/* ---- purge ---- */

int sw_ledger_purge_run(struct sw_db *db, int64_t run_id, int64_t keep_from_ms,
                        struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, run_id);
    /* The run's open and click events go first, all of them (a row kept for the frequency cap
     * keeps counting; what people did with it is history). */
    int rc = sw_db_exec_params(db,
                               "DELETE FROM sw_tracking WHERE delivery_id IN (SELECT id FROM "
                               "sw_deliveries WHERE run_id = ?1)",
                               &p, NULL, err);
    sw_params_add_int(&p, keep_from_ms);
    if (rc == 0) {
        rc = sw_db_exec_params(db,
                               "DELETE FROM sw_deliveries WHERE run_id = ?1 AND NOT "
                               "(" COUNTS_FOR_CAP "?2)",
                               &p, NULL, err);
    }
    sw_params_truncate(&p, 1);
    if (rc == 0) {
        rc = sw_db_exec_params(db, "DELETE FROM sw_confirmations WHERE run_id = ?1", &p, NULL, err);
    }
    sw_params_release(&p);
    return rc;
}

int sw_ledger_purge_orphans(struct sw_db *db, int64_t keep_from_ms, struct sw_error *err)
{
    struct sw_params p = SW_PARAMS_INIT;
    int rc = sw_db_exec_params(db,
                               "DELETE FROM sw_tracking WHERE delivery_id IN (SELECT id FROM "
                               "sw_deliveries WHERE run_id NOT IN (SELECT id FROM sw_runs))",
                               NULL, NULL, err);
    sw_params_add_int(&p, keep_from_ms);
    if (rc == 0) {
        rc = sw_db_exec_params(db,
                               "DELETE FROM sw_deliveries WHERE run_id NOT IN (SELECT id FROM "
                               "sw_runs) AND NOT (" COUNTS_FOR_CAP "?1)",
                               &p, NULL, err);
    }
    sw_params_release(&p);
    return rc;
}
