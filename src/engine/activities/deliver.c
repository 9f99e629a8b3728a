/*
 * deliver.c - the email, sms and push activities' delivery (SPEC §2.2 "Delivery", §5.1).
 *
 * 1. The population becomes ledger rows in the task's transaction (skip rules included,
 *    channels/ledger.c), each with the personalization fields its templates use, so that a
 *    message can be built, retried or repaired from its row alone. Committed.
 * 2. confirm_before_send holds the task (SW_WAKE_HELD, no worker) until a confirmation is
 *    recorded (POST /runs/{id}/activities/{aid}/confirm, or `--confirm` on the CLI).
 * 3. A pipeline keeps every connection busy: a window of rows is marked `sending` and
 *    committed before any of them is handed to the provider; as messages finish, their
 *    outcomes are committed in groups, in the same transaction that claims the next rows.
 *    Those commits are durable (synchronous=FULL) and made by a committer thread, so that
 *    the sending thread goes on while the fsync is in flight; the sending thread never uses
 *    the database while a trip is in flight. A crash can only leave rows `sending` (at most
 *    one window); on restart they become `unknown` and are never resent automatically, while
 *    `pending` rows are sent. A provider that gives no reply at all is an outage: its rows
 *    wait (1 s doubling to 5 min) without using an attempt.
 * 4. Flow control at every claim: the run must still be running (a pause stops at the next
 *    claim; claimed rows not handed over go back to pending), the send window must be open
 *    (else the task waits for its opening, holding no worker, which survives restarts since
 *    the wake time is in the catalog), and rate_per_second (the activity's) and the provider's rate
 * gate each message as it is submitted. Temporary failures go back to `pending` with an exponential
 * backoff (1, 2, 4, 8 s, or the provider's Retry-After); the task waits for the earliest of them.
 * Permanent failures fail the row at once. Ports: out = delivered (sent), failed = failed.
 */
#include "channels/httpsend.h"
#include "channels/ledger.h"
#include "channels/limiter.h"
#include "channels/mime.h"
#include "channels/render.h"
#include "channels/smtp.h"
#include "channels/token.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activities/common.h"
#include "model/schedule.h"
#include "model/template.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ATTEMPTS    5
#define COMMIT_EVERY_MS 100 /* outcomes wait at most this long for their commit */

enum channel { CH_EMAIL, CH_SMS, CH_PUSH };

struct item {
    int64_t id;
    int64_t attempts; /* including the one being made */
    char *address;
    json_t *fields; /* the row's captured personalization fields */
    struct sw_buf payload;
    struct sw_smtp_msg sm;
    struct sw_http_msg hm;
    enum sw_send_outcome outcome;
    long code; /* the provider's reply code; 0 when none came */
    char error[160];
    long retry_after_s;
    int64_t deferrals;
    bool deferred; /* the provider could not be reached: no attempt is used up */
    bool released; /* claimed but never handed over (pause, window closed): back to pending */
};

struct tpl {
    const char *key;
    struct sw_template *t;
};

/* One trip to the database, made by the committer thread while the sending thread goes on:
 * write the outcomes of finished messages, then claim more rows (marked sending), in one
 * durable commit. Only one is in flight at a time; while it is, the sending thread does not
 * touch the database. */
struct cycle {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running, posted, finished, quit;
    struct item **done; /* outcomes to write (owned by the cycle until it finishes) */
    size_t ndone;
    size_t want;       /* rows to claim */
    bool check_run;    /* look at the run's status first (a pause stops claiming) */
    struct item **got; /* claimed rows */
    size_t ngot;
    bool not_running;
    int rc;
};

struct dl {
    struct sw_exec *ex;
    enum channel ch;
    const char *tz;
    struct tpl tpls[4]; /* email: subject html text; sms: text; push: title body */
    size_t ntpls;
    struct sw_template *unsub;
    char *env_from; /* the envelope sender: the bare address of `from` */
    struct sw_smtp *smtp;
    struct sw_httpsend *http;
    int conns;
    size_t window; /* rows `sending` at most: what a crash can turn `unknown` */
    struct sw_bucket act_rate;
    double provider_rate;
    char *provider_key;
    int window_from, window_to; /* minutes; -1 = no send window */
    /* items by stage: claimed and built (ready), handed over (in flight), finished but
     * not yet committed (done) */
    struct item **ready;
    size_t ready_head, nready;
    struct item **done;
    size_t ndone;
    struct item **http_batch; /* HTTP: messages gathered for the next batch */
    size_t nhttp;
    size_t in_flight;
    size_t cap;
    struct sw_frequency_cap fcap; /* the channel's frequency cap (count 0: none) */
    struct sw_ledger_claimer *claimer;
    struct sw_stmt *st_outcome, *st_defer, *st_release;
    struct cycle cy;
    bool outage; /* a connection failed: stop handing messages over */
    char outage_error[160];
    size_t ndeferred;
};

/* ud: {fields, variables, links}: the row's captured fields, the campaign's variables, and
 * the links Stepwise makes for the row ("unsubscribe_url"), which come first. */
static const char *lookup(void *ud, const char *field)
{
    const json_t *fields = ((const json_t *const *)ud)[0];
    const json_t *vars = ((const json_t *const *)ud)[1];
    const json_t *links = ((const json_t *const *)ud)[2];
    const json_t *v = json_object_get(links, field);
    if (!v) {
        v = json_object_get(fields, field);
    }
    if (!v) {
        v = json_object_get(vars, field);
    }
    if (!v || json_is_null(v)) {
        return NULL;
    }
    return json_string_value(v);
}

static void item_free(struct item *it)
{
    if (!it) {
        return;
    }
    free(it->address);
    json_decref(it->fields);
    sw_buf_release(&it->payload);
    free(it);
}

/* ---- building messages ---- */

static void collect_fields(const struct sw_template *t, json_t *names)
{
    for (size_t i = 0; t && i < t->nparts; i++) {
        if (t->parts[i].is_field) {
            json_object_set_new(names, t->parts[i].text, json_true());
        }
    }
}

/* Fields used by the strings of a push `data` value. */
static void collect_json_fields(const json_t *v, json_t *names)
{
    if (json_is_string(v)) {
        struct sw_template *t = NULL;
        char *msg = NULL;
        if (sw_template_compile(json_string_value(v), &t, &msg) == 0) {
            collect_fields(t, names);
        }
        sw_template_free(t);
        free(msg);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) { collect_json_fields(x, names); }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) { collect_json_fields(x, names); }
    }
}

static const char *tpl_text(const struct dl *d, const char *key)
{
    return json_string_value(json_object_get(d->ex->act->def, key));
}

static const struct sw_template *tpl_get(const struct dl *d, const char *key)
{
    for (size_t i = 0; i < d->ntpls; i++) {
        if (!strcmp(d->tpls[i].key, key)) {
            return d->tpls[i].t;
        }
    }
    return NULL;
}

static void render_opt(const struct sw_template *t, const json_t *const *ctx, bool html,
                       struct sw_buf *out)
{
    if (t) {
        sw_render(t, lookup, (void *)ctx, html, out);
    }
}

/* The item's payload: MIME for email, the provider's JSON for SMS and push. A message that
 * cannot be built fails its row (permanent), with the reason. */
static void build(struct dl *d, struct item *it)
{
    struct sw_exec *ex = d->ex;
    const json_t *def = ex->act->def;
    /* The row's one-click unsubscribe link on the public listener, when there is one. */
    json_t *links = json_object();
    char *token = d->ch == CH_EMAIL && ex->config->public_url && ex->config->keyring
                      ? sw_token_sign(ex->config->keyring, SW_TOKEN_UNSUBSCRIBE, it->id)
                      : NULL;
    if (token) {
        const char *base = ex->config->public_url;
        size_t n = strlen(base);
        while (n && base[n - 1] == '/') {
            n--;
        }
        char *url = sw_asprintf("%.*s/u/%s", (int)n, base, token);
        json_object_set_new(links, "unsubscribe_url", json_string(url));
        free(url);
        free(token);
    }
    const json_t *ctx[3] = {it->fields, ex->variables, links};
    char mid[96];
    snprintf(mid, sizeof(mid), "%lld.%zu.%lld", (long long)ex->run_id, ex->act->index,
             (long long)it->id);
    it->outcome = SW_SEND_SENT;
    sw_buf_reserve(&it->payload, 4096);
    if (d->ch == CH_EMAIL) {
        struct sw_buf s = SW_BUF_INIT, h = SW_BUF_INIT, t = SW_BUF_INIT, u = SW_BUF_INIT;
        char msgid[128];
        snprintf(msgid, sizeof(msgid), "<%s@stepwise.invalid>", mid);
        render_opt(tpl_get(d, "subject"), ctx, false, &s);
        render_opt(tpl_get(d, "html"), ctx, true, &h);
        render_opt(tpl_get(d, "text"), ctx, false, &t);
        const char *ours = json_string_value(json_object_get(links, "unsubscribe_url"));
        if (!ours) {
            render_opt(d->unsub, ctx, false, &u);
        }
        struct sw_mime_msg mm = {
            .from = json_string_value(json_object_get(def, "from")),
            .to = it->address,
            .reply_to = json_string_value(json_object_get(def, "reply_to")),
            .subject = s.data ? s.data : "",
            .html = tpl_get(d, "html") ? (h.data ? h.data : "") : NULL,
            .text = tpl_get(d, "text") ? (t.data ? t.data : "") : NULL,
            .message_id = msgid,
            .list_unsubscribe = ours ? ours : u.len ? u.data : NULL,
            .one_click = ours != NULL, /* RFC 8058: the public listener takes the POST */
            .headers = json_object_get(def, "headers"),
            .date_ms = sw_clock_now_ms(),
        };
        struct sw_error merr = SW_ERROR_INIT;
        if (sw_mime_build(&mm, &it->payload, &merr) < 0) {
            it->outcome = SW_SEND_PERMANENT;
            snprintf(it->error, sizeof(it->error), "%s",
                     merr.message ? merr.message : "the message could not be built");
        }
        it->sm.from = d->env_from;
        it->sm.to = it->address;
        it->sm.data = it->payload.data;
        it->sm.len = it->payload.len;
        sw_error_release(&merr);
        sw_buf_release(&s);
        sw_buf_release(&h);
        sw_buf_release(&t);
        sw_buf_release(&u);
        json_decref(links);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "message_id", json_string(mid));
    json_object_set_new(o, "to", json_string(it->address));
    if (d->ch == CH_SMS) {
        struct sw_buf t = SW_BUF_INIT;
        render_opt(tpl_get(d, "text"), ctx, false, &t);
        json_object_set_new(o, "text", json_stringn(t.data ? t.data : "", t.len));
        sw_buf_release(&t);
    } else {
        struct sw_buf t = SW_BUF_INIT, b = SW_BUF_INIT;
        render_opt(tpl_get(d, "title"), ctx, false, &t);
        render_opt(tpl_get(d, "body"), ctx, false, &b);
        json_object_set_new(o, "title", json_stringn(t.data ? t.data : "", t.len));
        json_object_set_new(o, "body", json_stringn(b.data ? b.data : "", b.len));
        const json_t *data = json_object_get(def, "data");
        json_t *rd = NULL;
        if (data) {
            struct sw_error rerr = SW_ERROR_INIT;
            rd = sw_render_json(data, lookup, (void *)ctx, NULL, &rerr);
            if (!rd) {
                it->outcome = SW_SEND_PERMANENT;
                snprintf(it->error, sizeof(it->error), "data: %s",
                         rerr.message ? rerr.message : "cannot be rendered");
            }
            sw_error_release(&rerr);
        }
        json_object_set_new(o, "data", rd ? rd : json_object());
        sw_buf_release(&t);
        sw_buf_release(&b);
    }
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (body) {
        sw_buf_puts(&it->payload, body);
        free(body);
    }
    if (!it->payload.len) {
        it->outcome = SW_SEND_PERMANENT;
        snprintf(it->error, sizeof(it->error), "the message could not be built");
    }
    it->hm.body = it->payload.data;
    it->hm.len = it->payload.len;
    json_decref(links);
}

/* ---- the ledger ---- */

static int prepare(struct dl *d)
{
    struct sw_exec *ex = d->ex;
    int rc = sw_ledger_claimer_open(ex->db, ex->run_id, ex->act->id, ex->act->type_name,
                                    d->fcap, &d->claimer, ex->err);
    if (rc == 0) {
        rc = sw_db_prepare(ex->db,
                           "UPDATE sw_deliveries SET state = ?1, error = ?2, next_attempt_at = ?3, "
                           "updated_at = ?4, sent_at = CASE WHEN ?1 = 'sent' THEN ?4 END WHERE "
                           "id = ?5",
                           &d->st_outcome, ex->err);
    }
    if (rc == 0) {
        rc = sw_db_prepare(ex->db,
                           "UPDATE sw_deliveries SET state = 'pending', attempts = attempts - 1, "
                           "deferrals = deferrals + 1, error = ?1, next_attempt_at = ?2, "
                           "updated_at = ?3 WHERE id = ?4",
                           &d->st_defer, ex->err);
    }
    if (rc == 0) {
        rc = sw_db_prepare(ex->db,
                           "UPDATE sw_deliveries SET state = 'pending', attempts = attempts - 1, "
                           "updated_at = ?1 WHERE id = ?2",
                           &d->st_release, ex->err);
    }
    return rc;
}

static int step_done(struct sw_stmt *st, struct sw_error *err)
{
    int rc = sw_stmt_step(st, err);
    sw_stmt_reset(st);
    return rc < 0 ? rc : 0;
}

/* Write the outcome of every finished item (inside the caller's transaction). */
static int write_outcomes(struct dl *d, struct item **done, size_t ndone)
{
    int64_t now = sw_clock_now_ms();
    int rc = 0;
    for (size_t i = 0; i < ndone && rc == 0; i++) {
        struct item *it = done[i];
        const char *state = "sent";
        int64_t next = 0;
        if (it->released) {
            sw_stmt_bind_int(d->st_release, 1, now);
            sw_stmt_bind_int(d->st_release, 2, it->id);
            rc = step_done(d->st_release, d->ex->err);
            continue;
        }
        if (it->deferred) {
            /* 1 s, 2 s, 4 s ... up to 5 minutes between tries while the provider is down */
            int64_t back = it->deferrals >= 9 ? 300000 : 1000LL << it->deferrals;
            sw_stmt_bind_text(d->st_defer, 1, it->error);
            sw_stmt_bind_int(d->st_defer, 2, now + back);
            sw_stmt_bind_int(d->st_defer, 3, now);
            sw_stmt_bind_int(d->st_defer, 4, it->id);
            rc = step_done(d->st_defer, d->ex->err);
            continue;
        }
        switch (it->outcome) {
        case SW_SEND_SENT:
            break;
        case SW_SEND_PERMANENT:
            state = "failed";
            break;
        case SW_SEND_UNKNOWN:
            state = "unknown";
            break;
        case SW_SEND_TEMPORARY:
            if (it->attempts >= MAX_ATTEMPTS) {
                state = "failed";
            } else {
                state = "pending";
                int64_t back = 1000LL << (it->attempts - 1); /* 1, 2, 4, 8 s */
                if (it->retry_after_s > 0 && it->retry_after_s <= 3600 &&
                    it->retry_after_s * 1000 > back) {
                    back = it->retry_after_s * 1000;
                }
                next = now + back;
            }
            break;
        }
        struct sw_stmt *st = d->st_outcome;
        sw_stmt_bind_text(st, 1, state);
        if (it->outcome == SW_SEND_SENT) {
            sw_stmt_bind_null(st, 2);
        } else {
            sw_stmt_bind_text(st, 2, it->error);
        }
        if (next) {
            sw_stmt_bind_int(st, 3, next);
        } else {
            sw_stmt_bind_null(st, 3);
        }
        sw_stmt_bind_int(st, 4, now);
        sw_stmt_bind_int(st, 5, it->id);
        rc = step_done(st, d->ex->err);
    }
    return rc;
}

/* Claim up to `want` due pending rows: they become `sending` (inside the caller's
 * transaction; rows over the frequency cap are skipped there) and are returned as items. */
static int claim(struct dl *d, size_t want, struct item ***out, size_t *n)
{
    struct sw_ledger_row *rows = NULL;
    size_t nrows = 0;
    *n = 0;
    int rc = sw_ledger_claim(d->claimer, want, sw_clock_now_ms(), &rows, &nrows, NULL,
                             d->ex->err);
    if (rc < 0) {
        return rc;
    }
    struct item **items = sw_calloc(nrows ? nrows : 1, sizeof(*items));
    for (size_t i = 0; i < nrows; i++) {
        struct item *it = sw_calloc(1, sizeof(*it));
        it->id = rows[i].id;
        it->address = rows[i].address;
        rows[i].address = NULL;
        it->attempts = rows[i].attempts;
        it->deferrals = rows[i].deferrals;
        it->fields = rows[i].fields ? json_loads(rows[i].fields, 0, NULL) : NULL;
        if (!it->fields) {
            it->fields = json_object();
        }
        sw_buf_init(&it->payload);
        items[i] = it;
    }
    sw_ledger_rows_free(rows, nrows);
    *out = items;
    *n = nrows;
    return 0;
}

/* ---- sending ---- */

static size_t idle(const struct dl *d)
{
    if (d->smtp) {
        return (size_t)sw_smtp_idle(d->smtp);
    }
    return (size_t)d->conns > d->nhttp ? (size_t)d->conns - d->nhttp : 0;
}

/* A finished message. No reply at all from the provider (it could not be reached, or the
 * connection broke before the message was handed over) is an outage, not this message's
 * fault: the row waits without using an attempt, and nothing more is handed over. */
static void finished(struct dl *d, struct item *it)
{
    if (it->outcome == SW_SEND_TEMPORARY && it->code == 0) {
        it->deferred = true;
        d->ndeferred++;
        if (!d->outage) {
            d->outage = true;
            snprintf(d->outage_error, sizeof(d->outage_error), "%s", it->error);
        }
    }
    d->done[d->ndone++] = it;
}

static void submit(struct dl *d, struct item *it)
{
    if (d->smtp) {
        if (sw_smtp_submit(d->smtp, &it->sm) != 0) {
            it->outcome = it->sm.outcome;
            it->code = it->sm.code;
            snprintf(it->error, sizeof(it->error), "%s", it->sm.error);
            finished(d, it);
            return;
        }
    } else {
        d->http_batch[d->nhttp++] = it;
    }
    d->in_flight++;
}

static struct item *item_of_smtp(struct sw_smtp_msg *m)
{
    return (struct item *)((char *)m - offsetof(struct item, sm));
}

/* Drive the transfers for up to timeout_ms; finished items move to done. */
static void poll_sends(struct dl *d, int timeout_ms)
{
    if (d->smtp) {
        struct sw_smtp_msg *msgs[64];
        size_t n = sw_smtp_poll(d->smtp, timeout_ms, msgs, 64);
        for (size_t i = 0; i < n; i++) {
            struct item *it = item_of_smtp(msgs[i]);
            it->outcome = msgs[i]->outcome;
            it->code = msgs[i]->code;
            snprintf(it->error, sizeof(it->error), "%s", msgs[i]->error);
            d->in_flight--;
            finished(d, it);
        }
        return;
    }
    if (!d->nhttp) {
        return;
    }
    struct sw_http_msg *msgs = sw_calloc(d->nhttp, sizeof(*msgs));
    for (size_t i = 0; i < d->nhttp; i++) {
        msgs[i] = d->http_batch[i]->hm;
    }
    sw_httpsend_batch(d->http, msgs, d->nhttp);
    for (size_t i = 0; i < d->nhttp; i++) {
        struct item *it = d->http_batch[i];
        it->outcome = msgs[i].outcome;
        it->code = msgs[i].code;
        it->retry_after_s = msgs[i].retry_after_s;
        snprintf(it->error, sizeof(it->error), "%s", msgs[i].error);
        d->in_flight--;
        finished(d, it);
    }
    free(msgs);
    d->nhttp = 0;
}

/* ---- flow control ---- */

/* The oldest claimed message not handed over yet (the ready queue is a ring). */
static struct item *pop_ready(struct dl *d)
{
    struct item *it = d->ready[d->ready_head];
    d->ready_head = (d->ready_head + 1) % d->cap;
    d->nready--;
    return it;
}

static void push_ready(struct dl *d, struct item *it)
{
    d->ready[(d->ready_head + d->nready++) % d->cap] = it;
}

/* Claimed messages not handed over yet go back to pending (a pause, a closing window): they
 * were never attempted. */
static void release_ready(struct dl *d)
{
    while (d->nready) {
        struct item *it = pop_ready(d);
        it->released = true;
        d->done[d->ndone++] = it;
    }
}

static bool run_running(struct sw_exec *ex)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t running = 1;
    sw_params_add_int(&p, ex->run_id);
    sw_db_query_int(ex->db, "SELECT status = 'running' FROM sw_runs WHERE id = ?1", &p, &running,
                    NULL);
    sw_params_release(&p);
    return running != 0;
}

/* Whether the activity was released: a recorded confirmation, or the CLI's --confirm (which
 * records one). Called inside the task's transaction. */
static bool confirmed(struct sw_exec *ex)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t n = 0;
    sw_params_add_int(&p, ex->run_id);
    sw_params_add_text(&p, ex->act->id);
    sw_db_query_int(ex->db,
                    "SELECT count(*) FROM sw_confirmations WHERE run_id = ?1 AND activity = ?2", &p,
                    &n, NULL);
    const char *list = ex->config->confirm;
    if (!n && list && sw_csv_has(list, ex->act->id)) {
        sw_params_add_int(&p, sw_clock_now_ms());
        n = sw_db_exec_params(ex->db,
                              "INSERT INTO sw_confirmations (run_id, activity, confirmed_at, "
                              "confirmed_by) VALUES (?1, ?2, ?3, 'cli')",
                              &p, NULL, NULL) == 0;
    }
    sw_params_release(&p);
    return n > 0;
}

static int parse_hhmm(const char *s)
{
    return s && strlen(s) == 5
               ? ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0')
               : -1;
}

/* When the send window is closed, the time it opens; 0 when sending may go on. */
static int64_t window_closed_until(struct dl *d)
{
    int64_t next = 0;
    if (d->window_from < 0) {
        return 0;
    }
    int open = sw_window_check(d->tz, d->window_from, d->window_to, sw_clock_now_ms(), &next);
    return open == 0 ? next : 0;
}

static int64_t earliest_retry(struct sw_exec *ex)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t t = 0;
    sw_params_add_int(&p, ex->run_id);
    sw_params_add_text(&p, ex->act->id);
    sw_db_query_int(ex->db,
                    "SELECT coalesce(min(next_attempt_at), 0) FROM sw_deliveries WHERE run_id = "
                    "?1 AND activity = ?2 AND state = 'pending'",
                    &p, &t, NULL);
    sw_params_release(&p);
    return t;
}

/* ---- the task ---- */

/* The population of the given delivery states as a port's work table. When the input's work
 * table is gone (a repair after the run ended), only the count is recorded. */
static int port_table(struct sw_exec *ex, const struct sw_input *in, const char *port,
                      const char *state, int64_t count)
{
    if (!in || !in->table || !sw_db_table_exists(ex->db, in->table)) {
        sw_exec_set_count(ex, port, count);
        return 0;
    }
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    int64_t n = 0;
    const char *t = sw_exec_new_table_shape(ex, port, in->shape);
    if (!t) {
        return SW_EDB;
    }
    sw_exec_insert_select(ex, &sql, t, in->shape, "w");
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, in->table);
    sw_buf_puts(&sql, " w WHERE EXISTS (SELECT 1 FROM sw_deliveries l WHERE l.run_id = ?1 AND "
                      "l.activity = ?2 AND l.recipient = CAST(w._key AS TEXT) AND l.state = ?3)");
    sw_params_add_int(&p, ex->run_id);
    sw_params_add_text(&p, ex->act->id);
    sw_params_add_text(&p, state);
    int rc = sw_exec_sql(ex, sql.data, &p, &n);
    if (rc == 0) {
        sw_exec_set_count(ex, port, n);
    }
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

static int64_t ledger_rows(struct sw_exec *ex)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t n = 0;
    sw_params_add_int(&p, ex->run_id);
    sw_params_add_text(&p, ex->act->id);
    sw_db_query_int(ex->db,
                    "SELECT count(*) FROM (SELECT 1 FROM sw_deliveries WHERE run_id = ?1 AND "
                    "activity = ?2 LIMIT 1)",
                    &p, &n, NULL);
    sw_params_release(&p);
    return n;
}

/* Fill the ledger (once: a task re-executed after a crash or for a repair finds its rows),
 * capturing the fields the templates use. */
static int fill(struct dl *d, const struct sw_input *in)
{
    struct sw_exec *ex = d->ex;
    if (ledger_rows(ex) > 0) {
        return 0;
    }
    if (!in || !in->table) {
        return 0; /* nothing reached this activity */
    }
    json_t *names = json_object();
    for (size_t i = 0; i < d->ntpls; i++) {
        collect_fields(d->tpls[i].t, names);
    }
    collect_fields(d->unsub, names);
    collect_json_fields(json_object_get(ex->act->def, "data"), names);
    struct sw_ledger_field *fields = sw_calloc(json_object_size(names) + 1, sizeof(*fields));
    size_t nf = 0;
    const char *name;
    json_t *v;
    json_object_foreach(names, name, v)
    {
        if (sw_shape_col(in->shape, name)) {
            fields[nf].name = name;
            fields[nf++].from_work = true;
        } else if (in->shape->dim && sw_dim_field(in->shape->dim, name)) {
            fields[nf].name = name;
            fields[nf++].from_work = false;
        } /* else a campaign variable, looked up when rendering */
    }
    struct sw_ledger_spec spec = {ex->run_id,
                                  ex->act->id,
                                  ex->act->type_name,
                                  in->table,
                                  in->shape->dim->name,
                                  in->shape->dim->pk,
                                  json_string_value(json_object_get(ex->act->def, "to_field")),
                                  sw_clock_now_ms(),
                                  fields,
                                  nf};
    int rc = sw_ledger_fill(ex->db, &spec, NULL, ex->err);
    free(fields);
    json_decref(names);
    return rc;
}

static int compile(struct dl *d)
{
    static const char *const keys[3][3] = {
        {"subject", "html", "text"}, {"text", NULL, NULL}, {"title", "body", NULL}};
    char *msg = NULL;
    for (int i = 0; i < 3; i++) {
        const char *key = keys[d->ch][i];
        const char *text = key ? tpl_text(d, key) : NULL;
        if (!text) {
            continue;
        }
        struct tpl *t = &d->tpls[d->ntpls++];
        t->key = key;
        if (sw_template_compile(text, &t->t, &msg) < 0) {
            int rc = sw_exec_fail(d->ex, "%s: %s", key, msg);
            free(msg);
            return rc;
        }
    }
    const char *unsub = d->ex->config->list_unsubscribe;
    if (d->ch == CH_EMAIL && unsub && *unsub && sw_template_compile(unsub, &d->unsub, &msg) < 0) {
        int rc = sw_exec_fail(d->ex, "list_unsubscribe setting: %s", msg);
        free(msg);
        return rc;
    }
    return 0;
}

static int open_sender(struct dl *d)
{
    struct sw_exec *ex = d->ex;
    const struct sw_config *cfg = ex->config;
    const char *url = d->ch == CH_EMAIL ? cfg->smtp_url
                      : d->ch == CH_SMS ? cfg->sms_url
                                        : cfg->push_url;
    if (d->ch == CH_EMAIL) {
        struct sw_smtp_config sc = {url, d->conns, 60, cfg->smtp_no_pipelining};
        return sw_smtp_open(&sc, &d->smtp, ex->err);
    }
    struct sw_http_config hc = {url, d->conns, 30};
    return sw_httpsend_open(&hc, &d->http, ex->err);
}

/* ---- the committer thread ---- */

static void run_cycle(struct dl *d, struct cycle *c)
{
    struct sw_exec *ex = d->ex;
    c->got = NULL;
    c->ngot = 0;
    c->not_running = false;
    if (c->check_run && !run_running(ex)) {
        c->not_running = true;
        c->want = 0;
    }
    int rc = sw_db_begin(ex->db, ex->err);
    if (rc == 0) {
        rc = write_outcomes(d, c->done, c->ndone);
    }
    if (rc == 0 && c->ndone) {
        rc = sw_ledger_settle_stopped(ex->db, ex->run_id, ex->act->id, sw_clock_now_ms(),
                                      ex->err);
    }
    if (rc == 0 && c->want) {
        rc = claim(d, c->want, &c->got, &c->ngot);
    }
    if (rc == 0) {
        rc = sw_db_commit(ex->db, ex->err);
    } else {
        sw_db_rollback(ex->db);
    }
    if (rc < 0) {
        for (size_t i = 0; i < c->ngot; i++) {
            item_free(c->got[i]);
        }
        free(c->got);
        c->got = NULL;
        c->ngot = 0;
    }
    c->rc = rc;
}

static void *committer(void *ud)
{
    struct dl *d = ud;
    struct cycle *c = &d->cy;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->posted && !c->quit) {
            pthread_cond_wait(&c->cv, &c->mu);
        }
        if (c->quit) {
            break;
        }
        pthread_mutex_unlock(&c->mu);
        run_cycle(d, c);
        pthread_mutex_lock(&c->mu);
        c->posted = false;
        c->finished = true;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

static void cycle_post(struct dl *d, size_t want, bool check_run)
{
    struct cycle *c = &d->cy;
    /* the finished items move to the cycle: swap the buffers */
    struct item **tmp = c->done;
    c->done = d->done;
    c->ndone = d->ndone;
    d->done = tmp;
    d->ndone = 0;
    c->want = want;
    c->check_run = check_run;
    pthread_mutex_lock(&c->mu);
    c->finished = false;
    c->posted = true;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
}

/* Whether the cycle in flight has finished; wait up to wait_us for it. */
static bool cycle_done(struct dl *d, int64_t wait_us)
{
    struct cycle *c = &d->cy;
    pthread_mutex_lock(&c->mu);
    if (!c->finished && wait_us > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + wait_us * 1000;
        ts.tv_sec += (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&c->cv, &c->mu, &ts);
    }
    bool f = c->finished;
    pthread_mutex_unlock(&c->mu);
    return f;
}

/* The send loop: see the top of this file. Returns 0 (done, or ex->wake_at_ms set) or an
 * error. */
static int pump(struct dl *d)
{
    struct sw_exec *ex = d->ex;
    bool claiming = true; /* false once paused, closed or out of due rows */
    bool in_cycle = false;
    int64_t wake = 0, last_commit = sw_clock_monotonic_us();
    int rc = 0;
    for (;;) {
        /* A finished trip to the database: its rows are ready to go. */
        if (in_cycle && cycle_done(d, 0)) {
            struct cycle *c = &d->cy;
            in_cycle = false;
            last_commit = sw_clock_monotonic_us();
            for (size_t i = 0; i < c->ndone; i++) {
                item_free(c->done[i]);
            }
            c->ndone = 0;
            if ((rc = c->rc) < 0) {
                break;
            }
            if (c->not_running) {
                claiming = false;
                wake = sw_clock_now_ms() + 1000; /* paused or stopped: the rest waits */
                release_ready(d);
            } else if (c->want && c->ngot < c->want) {
                claiming = false; /* nothing more due now: see below */
            }
            for (size_t i = 0; i < c->ngot; i++) {
                push_ready(d, c->got[i]);
            }
            free(c->got);
            c->got = NULL;
            c->ngot = 0;
        }
        claiming = claiming && !d->outage;
        if (!in_cycle) {
            size_t live = d->nready + d->in_flight + d->ndone; /* rows marked sending */
            bool idle_sender = d->nready + d->in_flight == 0;
            bool want_rows = claiming && live <= d->window / 2;
            bool flush =
                d->ndone > 0 && (d->ndone >= d->window / 2 || idle_sender ||
                                 sw_clock_monotonic_us() - last_commit >= COMMIT_EVERY_MS * 1000);
            int64_t closed = want_rows ? window_closed_until(d) : 0;
            if (closed) {
                claiming = false, want_rows = false;
                wake = closed;
                release_ready(d);
                flush = d->ndone > 0;
                sw_exec_log(ex, "info",
                            "%s: the send window is closed; sending resumes at the "
                            "next opening",
                            ex->act->type_name);
            }
            if (want_rows || flush) {
                cycle_post(d, want_rows ? d->window - live : 0, want_rows);
                in_cycle = true;
            }
        }
        if (d->outage) {
            /* The provider is down: what was not handed over waits with the rest. */
            claiming = false;
            while (d->nready) {
                struct item *it = pop_ready(d);
                it->outcome = SW_SEND_TEMPORARY;
                it->code = 0;
                snprintf(it->error, sizeof(it->error), "not attempted: %.120s", d->outage_error);
                finished(d, it);
            }
        }
        /* Hand ready messages to free connections, as the rates allow. */
        int wait_ms = 0;
        while (d->nready && idle(d) > 0) {
            int w1 = 0, w2 = 0;
            if (sw_bucket_take(&d->act_rate, 1, &w1) < 1) {
                wait_ms = w1;
                break;
            }
            if (sw_provider_take(d->provider_key, d->provider_rate, 1, &w2) < 1) {
                sw_bucket_refund(&d->act_rate, 1);
                wait_ms = w2;
                break;
            }
            struct item *it = pop_ready(d);
            /* Built just before it goes: building a whole claim at once would leave the
             * connections waiting meanwhile. */
            build(d, it);
            if (it->outcome != SW_SEND_SENT) {
                sw_bucket_refund(&d->act_rate, 1);
                sw_provider_refund(d->provider_key, 1);
                finished(d, it); /* could not be built: fails its row */
                continue;
            }
            submit(d, it);
        }
        if (!in_cycle && d->nready + d->in_flight + d->ndone == 0 && !claiming) {
            if (wake) {
                break; /* paused, stopped or outside the send window */
            }
            /* Everything handed over is recorded: retries may be due later. */
            int64_t next = earliest_retry(ex);
            if (!next) {
                break; /* done */
            }
            if (next > sw_clock_now_ms() || d->outage) {
                wake = next > sw_clock_now_ms() ? next : sw_clock_now_ms() + 1000;
                break; /* retries later, holding no worker */
            }
            claiming = true;
            continue;
        }
        if (d->in_flight) {
            /* while the database works, look at it again within a millisecond */
            int timeout = in_cycle ? 1 : wait_ms ? wait_ms : COMMIT_EVERY_MS;
            if (!in_cycle && claiming && d->nready + d->in_flight + d->ndone <= d->window / 2) {
                timeout = 0;
            }
            poll_sends(d, timeout);
        } else if (in_cycle) {
            cycle_done(d, 2000); /* nothing to send until the database answers */
        } else if (d->nready && wait_ms) {
            struct timespec ts = {0, (long)(wait_ms > 100 ? 100 : wait_ms) * 1000000L};
            nanosleep(&ts, NULL); /* rate limited with nothing in flight */
        }
    }
    while (in_cycle && !cycle_done(d, 100000)) {
        /* an error path: let the trip in flight end before the database is used again */
    }
    if (in_cycle) {
        struct cycle *c = &d->cy;
        for (size_t i = 0; i < c->ndone; i++) {
            item_free(c->done[i]);
        }
        c->ndone = 0;
        for (size_t i = 0; i < c->ngot; i++) {
            item_free(c->got[i]);
        }
        free(c->got);
        c->got = NULL;
        c->ngot = 0;
    }
    if (d->outage && wake) {
        char when[32];
        sw_clock_format_iso(wake, when, sizeof(when));
        sw_exec_log(ex, "warn",
                    "%s: the provider could not be reached (%s): %zu messages wait, without using "
                    "an attempt, until %s at the earliest",
                    ex->act->type_name, d->outage_error, d->ndeferred, when);
    }
    ex->wake_at_ms = wake;
    ex->waiting = wake != 0;
    return rc;
}

static int committer_start(struct dl *d)
{
    struct cycle *c = &d->cy;
    c->done = sw_calloc(d->cap, sizeof(*c->done));
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    if (pthread_create(&c->th, NULL, committer, d) != 0) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        return sw_error_set(d->ex->err, SW_ENOMEM, "cannot start the committer thread");
    }
    c->running = true;
    return 0;
}

static void committer_stop(struct dl *d)
{
    struct cycle *c = &d->cy;
    if (c->running) {
        pthread_mutex_lock(&c->mu);
        c->quit = true;
        pthread_cond_broadcast(&c->cv);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->th, NULL);
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        c->running = false;
    }
    free(c->done);
    c->done = NULL;
}

static void dl_release(struct dl *d)
{
    for (size_t i = 0; i < d->nready; i++) {
        item_free(d->ready[(d->ready_head + i) % d->cap]);
    }
    for (size_t i = 0; i < d->ndone; i++) {
        item_free(d->done[i]);
    }
    for (size_t i = 0; i < d->ntpls; i++) {
        sw_template_free(d->tpls[i].t);
    }
    sw_template_free(d->unsub);
    sw_smtp_close(d->smtp);
    sw_httpsend_close(d->http);
    sw_ledger_claimer_close(d->claimer);
    sw_stmt_finalize(d->st_outcome);
    sw_stmt_finalize(d->st_defer);
    sw_stmt_finalize(d->st_release);
    free(d->ready);
    free(d->done);
    free(d->http_batch);
    free(d->provider_key);
    free(d->env_from);
}

/* "Shop <shop@example.com>" -> "shop@example.com"; a bare address is kept. */
static char *bare_address(const char *from)
{
    const char *lt = from ? strrchr(from, '<') : NULL;
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt) {
        return sw_strndup(lt + 1, (size_t)(gt - lt - 1));
    }
    return sw_strdup(from ? from : "");
}

int sw_deliver_execute(struct sw_exec *ex)
{
    const json_t *def = ex->act->def;
    const struct sw_input *in = sw_act_input(ex);
    const struct sw_config *cfg = ex->config;
    static const struct sw_config none = {0};
    struct dl d = {0};
    struct sw_ledger_counts counts;
    int rc = 0;
    if (!cfg) {
        cfg = &none;
        ex->config = cfg;
    }
    d.ex = ex;
    d.ch = !strcmp(ex->act->type_name, "sms")    ? CH_SMS
           : !strcmp(ex->act->type_name, "push") ? CH_PUSH
                                                 : CH_EMAIL;
    static const char *const settings[] = {"smtp_url (--smtp-url or STEPWISE_SMTP_URL)",
                                           "sms_url (--sms-url or STEPWISE_SMS_URL)",
                                           "push_url (--push-url or STEPWISE_PUSH_URL)"};
    const char *url = d.ch == CH_EMAIL ? cfg->smtp_url
                      : d.ch == CH_SMS ? cfg->sms_url
                                       : cfg->push_url;
    if (!url || !*url) {
        return sw_exec_fail(ex, "%s is not configured: nothing was sent to the %lld recipients",
                            settings[d.ch], (long long)(in ? in->count : 0));
    }
    d.tz = json_string_value(json_object_get(ex->campaign->doc, "timezone"));
    const json_t *win = json_object_get(def, "send_window");
    d.window_from = d.window_to = -1;
    if (win) {
        d.window_from = parse_hhmm(json_string_value(json_object_get(win, "from")));
        d.window_to = parse_hhmm(json_string_value(json_object_get(win, "to")));
        if (d.window_from < 0 || d.window_to < 0) {
            return sw_exec_fail(ex, "send_window: from and to must be times \"HH:MM\"");
        }
    }
    if ((rc = compile(&d)) < 0) {
        goto out;
    }
    d.env_from = bare_address(json_string_value(json_object_get(def, "from")));
    /* The channel's frequency cap: checked when the ledger is filled, decided at every claim
     * (also when the task runs again for a repair or after a restart). */
    if (cfg->frequency_cap && *cfg->frequency_cap) {
        struct sw_frequency_caps caps;
        if ((rc = sw_frequency_caps_parse(cfg->frequency_cap, &caps, ex->err)) < 0) {
            goto out;
        }
        d.fcap = sw_frequency_caps_for(&caps, ex->act->type_name);
    }
    /* 1. The ledger, committed before anything is sent. Rows a crash cut while sending may
     * have reached the provider: they become unknown, never resent on our own. */
    if ((rc = fill(&d, in)) < 0) {
        goto out;
    }
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, ex->run_id);
    sw_params_add_text(&p, ex->act->id);
    sw_params_add_int(&p, sw_clock_now_ms());
    rc = sw_db_exec_params(ex->db,
                           "UPDATE sw_deliveries SET state = 'unknown', error = 'interrupted "
                           "while sending', updated_at = ?3 WHERE run_id = ?1 AND activity = ?2 "
                           "AND state = 'sending'",
                           &p, NULL, ex->err);
    sw_params_release(&p);
    bool held =
        rc == 0 && json_is_true(json_object_get(def, "confirm_before_send")) && !confirmed(ex);
    if (rc < 0 || (rc = sw_db_commit(ex->db, ex->err)) < 0) {
        goto out;
    }
    /* 2. Held until confirmed. */
    if (held) {
        if (ex->wake_at_ms != SW_WAKE_HELD &&
            sw_ledger_counts(ex->db, ex->run_id, ex->act->id, &counts, NULL) == 0) {
            sw_exec_log(ex, "info",
                        "%s: %lld messages are ready and wait for confirmation (POST "
                        "/api/v1/runs/%lld/activities/%s/confirm)",
                        ex->act->type_name, (long long)counts.pending, (long long)ex->run_id,
                        ex->act->id);
        }
        ex->wake_at_ms = SW_WAKE_HELD;
        ex->waiting = true;
        goto reopen;
    }
    /* 3. Send. */
    d.conns = d.ch == CH_EMAIL ? cfg->smtp_connections : cfg->http_connections;
    d.conns = d.conns > 0 ? d.conns : 4;
    /* The window: rows marked sending at most, which is what a crash can make unknown. It
     * must cover the messages sent while a durable commit (an fsync, about half a
     * millisecond here) is in flight, and give each commit enough rows to keep up: 32 per
     * connection, at least 64, at most 4096 (measured on 95k messages at 4 connections:
     * a window of 16 took 18.5 s, 64 took 12.9 s, 128 took 9.7 s, beside smtp-source's
     * 7.2-9.5 s). The send_window_rows setting overrides it (benchmarks). */
    d.window = (size_t)d.conns * 32;
    d.window = d.window < 64 ? 64 : d.window > 4096 ? 4096 : d.window;
    if (cfg->send_window_rows > 0) {
        d.window = (size_t)cfg->send_window_rows;
    }
    double rate = json_number_value(json_object_get(def, "rate_per_second"));
    d.provider_rate = d.ch == CH_EMAIL ? cfg->smtp_rate
                      : d.ch == CH_SMS ? cfg->sms_rate
                                       : cfg->push_rate;
    double eff =
        rate > 0 && (d.provider_rate <= 0 || rate < d.provider_rate) ? rate : d.provider_rate;
    if (eff > 0) {
        /* A rate-limited send keeps its window to a quarter of a second of messages: rows
         * waiting for their turn are marked sending too, and a crash makes them unknown. */
        size_t w = (size_t)(eff / 4) + 1; /* a quarter of a second of messages */
        d.window = w < d.window ? (w < 2 ? 2 : w) : d.window;
    }
    sw_bucket_init(&d.act_rate, rate);
    d.provider_key = sw_asprintf("%s %s", ex->act->type_name, url);
    d.cap = d.window + 1;
    d.ready = sw_calloc(d.cap, sizeof(*d.ready));
    d.done = sw_calloc(d.cap, sizeof(*d.done));
    d.http_batch = sw_calloc(d.cap, sizeof(*d.http_batch));
    if ((rc = open_sender(&d)) < 0 || (rc = prepare(&d)) < 0) {
        goto reopen;
    }
    /* A row is marked sending, and its outcome recorded, by commits that survive a power loss:
     * a mark lost with the page cache would make a sent message pending again. */
    if ((rc = sw_db_durable(ex->db, true, ex->err)) < 0) {
        goto reopen;
    }
    if ((rc = committer_start(&d)) == 0) {
        rc = pump(&d);
        committer_stop(&d);
    }
    sw_db_durable(ex->db, false, NULL);
reopen:
    /* The engine completes the task in a transaction of its own. */
    if (sw_db_begin(ex->db, rc < 0 ? NULL : ex->err) < 0 && rc == 0) {
        rc = SW_EDB;
    }
    if (rc == 0 && !ex->waiting) {
        rc = sw_ledger_counts(ex->db, ex->run_id, ex->act->id, &counts, ex->err);
        if (rc == 0) {
            rc = port_table(ex, in, "out", "sent", counts.sent);
        }
        if (rc == 0) {
            rc = port_table(ex, in, "failed", "failed", counts.failed);
        }
        if (rc == 0) {
            sw_exec_log(ex, "info",
                        "%s: %lld targeted, %lld sent, %lld failed, %lld unknown, skipped: "
                        "%lld missing address, %lld duplicate address, %lld frequency cap, "
                        "%lld suppressed",
                        ex->act->type_name, (long long)counts.targeted, (long long)counts.sent,
                        (long long)counts.failed, (long long)counts.unknown,
                        (long long)counts.missing_address, (long long)counts.duplicate_address,
                        (long long)counts.frequency_cap, (long long)counts.suppressed);
        }
    }
out:
    dl_release(&d);
    return rc;
}
