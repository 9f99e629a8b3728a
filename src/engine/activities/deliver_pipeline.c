/*
 * deliver_pipeline.c - see deliver_pipeline.h: the committer thread, the sending loop (pump)
 * and the flow control around them.
 */
#include "engine/activities/deliver_pipeline.h"
#include "core/clock.h"
#include "core/util.h"
#include "model/schedule.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_ATTEMPTS    5
#define COMMIT_EVERY_MS 100 /* outcomes wait at most this long for their commit */

static void item_free(struct sw_send_item *it)
{
    if (!it) {
        return;
    }
    free(it->address);
    json_decref(it->fields);
    sw_buf_release(&it->payload);
    free(it);
}

static void items_free(struct sw_send_item **items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        item_free(items[i]);
    }
}

/* ---- the ledger, on the committer thread ---- */

/* The next try of a temporary failure: 1, 2, 4, 8 s, or the provider's Retry-After when longer
 * (up to an hour). */
static int64_t backoff_ms(const struct sw_send_item *it)
{
    int64_t back = 1000LL << (it->attempts - 1);
    if (it->retry_after_s > 0 && it->retry_after_s <= 3600 && it->retry_after_s * 1000 > back) {
        back = it->retry_after_s * 1000;
    }
    return back;
}

/* Record what became of one finished (or released) item. */
static int write_outcome(struct sw_pipeline *pl, const struct sw_send_item *it, int64_t now)
{
    struct sw_ledger_claimer *c = pl->claimer;
    struct sw_error *err = pl->ex->err;
    if (it->released) {
        return sw_ledger_release(c, it->id, now, err);
    }
    if (it->deferred) {
        /* 1 s, 2 s, 4 s ... up to 5 minutes between tries while the provider is down */
        int64_t back = it->deferrals >= 9 ? 300000 : 1000LL << it->deferrals;
        return sw_ledger_defer(c, it->id, it->error, now + back, now, err);
    }
    switch (it->outcome) {
    case SW_SEND_SENT:
        return sw_ledger_finish(c, it->id, SW_DELIVERY_SENT, NULL, 0, now, err);
    case SW_SEND_PERMANENT:
        return sw_ledger_finish(c, it->id, SW_DELIVERY_FAILED, it->error, 0, now, err);
    case SW_SEND_UNKNOWN:
        return sw_ledger_finish(c, it->id, SW_DELIVERY_UNKNOWN, it->error, 0, now, err);
    case SW_SEND_TEMPORARY:
        break;
    }
    if (it->attempts >= MAX_ATTEMPTS) {
        return sw_ledger_finish(c, it->id, SW_DELIVERY_FAILED, it->error, 0, now, err);
    }
    return sw_ledger_finish(c, it->id, SW_DELIVERY_PENDING, it->error, now + backoff_ms(it), now,
                            err);
}

/* Claim up to `want` due pending rows: they become `sending` (inside the trip's transaction;
 * rows over the frequency cap are skipped there) and are returned as items. */
static int claim(struct sw_pipeline *pl, size_t want, struct sw_send_item ***out, size_t *n)
{
    struct sw_ledger_row *rows = NULL;
    size_t nrows = 0;
    *n = 0;
    int rc =
        sw_ledger_claim(pl->claimer, want, sw_clock_now_ms(), &rows, &nrows, NULL, pl->ex->err);
    if (rc < 0) {
        return rc;
    }
    struct sw_send_item **items = sw_calloc(nrows ? nrows : 1, sizeof(*items));
    for (size_t i = 0; i < nrows; i++) {
        struct sw_send_item *it = sw_calloc(1, sizeof(*it));
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

/* One trip: outcomes, the rows of a stopped run, the next claim; one commit. */
static void trip_run(struct sw_pipeline *pl, struct sw_trip *t)
{
    struct sw_exec *ex = pl->ex;
    t->got = NULL;
    t->ngot = 0;
    t->not_running = false;
    if (t->check_run && !sw_ledger_run_sending(ex->db, ex->run_id)) {
        t->not_running = true;
        t->want = 0;
    }
    int rc = sw_db_begin(ex->db, ex->err);
    int64_t now = sw_clock_now_ms();
    for (size_t i = 0; rc == 0 && i < t->ndone; i++) {
        rc = write_outcome(pl, t->done[i], now);
    }
    if (rc == 0 && t->ndone) {
        rc = sw_ledger_settle_stopped(ex->db, ex->run_id, ex->act->id, sw_clock_now_ms(), ex->err);
    }
    if (rc == 0 && t->want) {
        rc = claim(pl, t->want, &t->got, &t->ngot);
    }
    if (rc == 0) {
        rc = sw_db_commit(ex->db, ex->err);
    } else {
        sw_db_rollback(ex->db);
    }
    if (rc < 0) {
        items_free(t->got, t->ngot);
        free(t->got);
        t->got = NULL;
        t->ngot = 0;
    }
    t->rc = rc;
}

static void *committer(void *ud)
{
    struct sw_pipeline *pl = ud;
    struct sw_trip *t = &pl->trip;
    pthread_mutex_lock(&t->mu);
    for (;;) {
        while (!t->posted && !t->quit) {
            pthread_cond_wait(&t->cv, &t->mu);
        }
        if (t->quit) {
            break;
        }
        pthread_mutex_unlock(&t->mu);
        trip_run(pl, t);
        pthread_mutex_lock(&t->mu);
        t->posted = false;
        t->finished = true;
        pthread_cond_broadcast(&t->cv);
    }
    pthread_mutex_unlock(&t->mu);
    return NULL;
}

static int committer_start(struct sw_pipeline *pl)
{
    struct sw_trip *t = &pl->trip;
    t->done = sw_calloc(pl->cap, sizeof(*t->done));
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    if (pthread_create(&t->th, NULL, committer, pl) != 0) {
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        return sw_error_set(pl->ex->err, SW_ENOMEM, "cannot start the committer thread");
    }
    t->running = true;
    return 0;
}

static void committer_stop(struct sw_pipeline *pl)
{
    struct sw_trip *t = &pl->trip;
    if (t->running) {
        pthread_mutex_lock(&t->mu);
        t->quit = true;
        pthread_cond_broadcast(&t->cv);
        pthread_mutex_unlock(&t->mu);
        pthread_join(t->th, NULL);
        pthread_mutex_destroy(&t->mu);
        pthread_cond_destroy(&t->cv);
        t->running = false;
    }
    free(t->done);
    t->done = NULL;
}

/* Hand the finished items to a new trip, which claims `want` rows after writing them. */
static void trip_post(struct sw_pipeline *pl, size_t want, bool check_run)
{
    struct sw_trip *t = &pl->trip;
    /* the finished items move to the trip: swap the buffers */
    struct sw_send_item **tmp = t->done;
    t->done = pl->done;
    t->ndone = pl->ndone;
    pl->done = tmp;
    pl->ndone = 0;
    t->want = want;
    t->check_run = check_run;
    pthread_mutex_lock(&t->mu);
    t->finished = false;
    t->posted = true;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

/* Whether the trip in flight has finished; wait up to wait_us for it. */
static bool trip_done(struct sw_pipeline *pl, int64_t wait_us)
{
    struct sw_trip *t = &pl->trip;
    pthread_mutex_lock(&t->mu);
    if (!t->finished && wait_us > 0) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t ns = ts.tv_nsec + wait_us * 1000;
        ts.tv_sec += (time_t)(ns / 1000000000);
        ts.tv_nsec = (long)(ns % 1000000000);
        pthread_cond_timedwait(&t->cv, &t->mu, &ts);
    }
    bool f = t->finished;
    pthread_mutex_unlock(&t->mu);
    return f;
}

/* ---- sending, on the sending thread ---- */

static size_t idle(const struct sw_pipeline *pl)
{
    if (pl->smtp) {
        return (size_t)sw_smtp_idle(pl->smtp);
    }
    int conns = pl->cfg.connections;
    return (size_t)conns > pl->nhttp ? (size_t)conns - pl->nhttp : 0;
}

/* A finished message. No reply at all from the provider (it could not be reached, or the
 * connection broke before the message was handed over) is an outage, not this message's
 * fault: the row waits without using an attempt, and nothing more is handed over. */
static void finished(struct sw_pipeline *pl, struct sw_send_item *it)
{
    if (it->outcome == SW_SEND_TEMPORARY && it->code == 0) {
        it->deferred = true;
        pl->ndeferred++;
        if (!pl->outage) {
            pl->outage = true;
            snprintf(pl->outage_error, sizeof(pl->outage_error), "%s", it->error);
        }
    }
    pl->done[pl->ndone++] = it;
}

static void submit(struct sw_pipeline *pl, struct sw_send_item *it)
{
    if (pl->smtp) {
        if (sw_smtp_submit(pl->smtp, &it->sm) != 0) {
            it->outcome = it->sm.outcome;
            it->code = it->sm.code;
            snprintf(it->error, sizeof(it->error), "%s", it->sm.error);
            finished(pl, it);
            return;
        }
    } else {
        pl->http_batch[pl->nhttp++] = it;
    }
    pl->in_flight++;
}

static struct sw_send_item *item_of_smtp(struct sw_smtp_msg *m)
{
    return (struct sw_send_item *)((char *)m - offsetof(struct sw_send_item, sm));
}

static void poll_smtp(struct sw_pipeline *pl, int timeout_ms)
{
    struct sw_smtp_msg *msgs[64];
    size_t n = sw_smtp_poll(pl->smtp, timeout_ms, msgs, 64);
    for (size_t i = 0; i < n; i++) {
        struct sw_send_item *it = item_of_smtp(msgs[i]);
        it->outcome = msgs[i]->outcome;
        it->code = msgs[i]->code;
        snprintf(it->error, sizeof(it->error), "%s", msgs[i]->error);
        pl->in_flight--;
        finished(pl, it);
    }
}

/* HTTP providers take a batch at a time. */
static void send_http_batch(struct sw_pipeline *pl)
{
    if (!pl->nhttp) {
        return;
    }
    struct sw_http_msg *msgs = sw_calloc(pl->nhttp, sizeof(*msgs));
    for (size_t i = 0; i < pl->nhttp; i++) {
        msgs[i] = pl->http_batch[i]->hm;
    }
    sw_httpsend_batch(pl->http, msgs, pl->nhttp);
    for (size_t i = 0; i < pl->nhttp; i++) {
        struct sw_send_item *it = pl->http_batch[i];
        it->outcome = msgs[i].outcome;
        it->code = msgs[i].code;
        it->retry_after_s = msgs[i].retry_after_s;
        snprintf(it->error, sizeof(it->error), "%s", msgs[i].error);
        pl->in_flight--;
        finished(pl, it);
    }
    free(msgs);
    pl->nhttp = 0;
}

/* Drive the transfers for up to timeout_ms; finished items move to done. */
static void poll_sends(struct sw_pipeline *pl, int timeout_ms)
{
    if (pl->smtp) {
        poll_smtp(pl, timeout_ms);
    } else {
        send_http_batch(pl);
    }
}

/* The oldest claimed message not handed over yet (the ready queue is a ring). */
static struct sw_send_item *pop_ready(struct sw_pipeline *pl)
{
    struct sw_send_item *it = pl->ready[pl->ready_head];
    pl->ready_head = (pl->ready_head + 1) % pl->cap;
    pl->nready--;
    return it;
}

static void push_ready(struct sw_pipeline *pl, struct sw_send_item *it)
{
    pl->ready[(pl->ready_head + pl->nready++) % pl->cap] = it;
}

/* Claimed messages not handed over yet go back to pending (a pause, a closing window): they
 * were never attempted. */
static void release_ready(struct sw_pipeline *pl)
{
    while (pl->nready) {
        struct sw_send_item *it = pop_ready(pl);
        it->released = true;
        pl->done[pl->ndone++] = it;
    }
}

/* The provider is down: what was not handed over waits with the rest. */
static void defer_ready(struct sw_pipeline *pl)
{
    while (pl->nready) {
        struct sw_send_item *it = pop_ready(pl);
        it->outcome = SW_SEND_TEMPORARY;
        it->code = 0;
        snprintf(it->error, sizeof(it->error), "not attempted: %.120s", pl->outage_error);
        finished(pl, it);
    }
}

/* Hand ready messages to free connections, as the rates allow: 0, or how long to wait for the
 * next token. */
static int hand_over(struct sw_pipeline *pl)
{
    while (pl->nready && idle(pl) > 0) {
        int w1 = 0, w2 = 0;
        if (sw_bucket_take(&pl->act_rate, 1, &w1) < 1) {
            return w1;
        }
        if (sw_provider_take(pl->provider_key, pl->cfg.provider_rate, 1, &w2) < 1) {
            sw_bucket_refund(&pl->act_rate, 1);
            return w2;
        }
        struct sw_send_item *it = pop_ready(pl);
        /* Built just before it goes: building a whole claim at once would leave the
         * connections waiting meanwhile. */
        pl->cfg.build(pl->cfg.ud, it);
        if (it->outcome != SW_SEND_SENT) {
            sw_bucket_refund(&pl->act_rate, 1);
            sw_provider_refund(pl->provider_key, 1);
            finished(pl, it); /* could not be built: fails its row */
            continue;
        }
        submit(pl, it);
    }
    return 0;
}

/* ---- flow control ---- */

/* When the send window is closed, the time it opens; 0 when sending may go on. */
static int64_t window_closed_until(const struct sw_pipeline *pl)
{
    int64_t next = 0;
    if (pl->cfg.window_from < 0) {
        return 0;
    }
    int open = sw_window_check(pl->cfg.tz, pl->cfg.window_from, pl->cfg.window_to,
                               sw_clock_now_ms(), &next);
    return open == 0 ? next : 0;
}

/* The sending loop's state between its steps. */
struct pump {
    bool claiming; /* false once paused, closed or out of due rows */
    bool in_trip;  /* a trip is in flight: the database is the committer thread's */
    int64_t wake;  /* when the task comes back; 0: not decided */
    int64_t last_commit_us;
    int rc;
};

/* rows marked sending: claimed, in flight, or finished and not written yet */
static size_t live(const struct sw_pipeline *pl) { return pl->nready + pl->in_flight + pl->ndone; }

/* A finished trip: its claimed rows join the ready queue. false on the trip's error. */
static bool take_trip(struct sw_pipeline *pl, struct pump *p)
{
    struct sw_trip *t = &pl->trip;
    p->in_trip = false;
    p->last_commit_us = sw_clock_monotonic_us();
    items_free(t->done, t->ndone);
    t->ndone = 0;
    if ((p->rc = t->rc) < 0) {
        return false;
    }
    if (t->not_running) {
        p->claiming = false;
        p->wake = sw_clock_now_ms() + 1000; /* paused or stopped: the rest waits */
        release_ready(pl);
    } else if (t->want && t->ngot < t->want) {
        p->claiming = false; /* nothing more due now: see next_round */
    }
    for (size_t i = 0; i < t->ngot; i++) {
        push_ready(pl, t->got[i]);
    }
    free(t->got);
    t->got = NULL;
    t->ngot = 0;
    return true;
}

/* Post a trip when rows are wanted (half the window is free) or outcomes are due for their
 * commit; a closed send window stops claiming. */
static void maybe_post(struct sw_pipeline *pl, struct pump *p)
{
    struct sw_exec *ex = pl->ex;
    bool idle_sender = pl->nready + pl->in_flight == 0;
    bool want_rows = p->claiming && live(pl) <= pl->window / 2;
    bool flush =
        pl->ndone > 0 && (pl->ndone >= pl->window / 2 || idle_sender ||
                          sw_clock_monotonic_us() - p->last_commit_us >= COMMIT_EVERY_MS * 1000);
    int64_t closed = want_rows ? window_closed_until(pl) : 0;
    if (closed) {
        p->claiming = false, want_rows = false;
        p->wake = closed;
        release_ready(pl);
        flush = pl->ndone > 0;
        sw_exec_log(ex, "info",
                    "%s: the send window is closed; sending resumes at the next opening",
                    ex->act->type_name);
    }
    if (want_rows || flush) {
        trip_post(pl, want_rows ? pl->window - live(pl) : 0, want_rows);
        p->in_trip = true;
    }
}

/* Everything handed over is recorded and nothing is claimed: whether the loop ends (done, or
 * p->wake set), or claims again (retries due now). */
static bool next_round(struct sw_pipeline *pl, struct pump *p)
{
    struct sw_exec *ex = pl->ex;
    if (p->wake) {
        return false; /* paused, stopped or outside the send window */
    }
    int64_t next = 0;
    sw_ledger_next_due(ex->db, ex->run_id, ex->act->id, &next, NULL);
    if (!next) {
        return false; /* done */
    }
    int64_t now = sw_clock_now_ms();
    if (next > now || pl->outage) {
        p->wake = next > now ? next : now + 1000;
        return false; /* retries later, holding no worker */
    }
    p->claiming = true;
    return true;
}

/* Nothing to do until a connection, the database or the rates move. */
static void wait_for_work(struct sw_pipeline *pl, const struct pump *p, int wait_ms)
{
    if (pl->in_flight) {
        /* while the database works, look at it again within a millisecond */
        int timeout = p->in_trip ? 1 : wait_ms ? wait_ms : COMMIT_EVERY_MS;
        if (!p->in_trip && p->claiming && live(pl) <= pl->window / 2) {
            timeout = 0;
        }
        poll_sends(pl, timeout);
    } else if (p->in_trip) {
        trip_done(pl, 2000); /* nothing to send until the database answers */
    } else if (pl->nready && wait_ms) {
        struct timespec ts = {0, (long)(wait_ms > 100 ? 100 : wait_ms) * 1000000L};
        nanosleep(&ts, NULL); /* rate limited with nothing in flight */
    }
}

/* After an error: let the trip in flight end before the database is used again. */
static void drain_trip(struct sw_pipeline *pl, struct pump *p)
{
    struct sw_trip *t = &pl->trip;
    while (p->in_trip && !trip_done(pl, 100000)) {
    }
    if (p->in_trip) {
        items_free(t->done, t->ndone);
        t->ndone = 0;
        items_free(t->got, t->ngot);
        free(t->got);
        t->got = NULL;
        t->ngot = 0;
    }
}

/* The send loop: claim, hand over, poll, commit, until done or the task must wait. */
static int pump(struct sw_pipeline *pl)
{
    struct sw_exec *ex = pl->ex;
    struct pump p = {true, false, 0, sw_clock_monotonic_us(), 0};
    for (;;) {
        if (p.in_trip && trip_done(pl, 0) && !take_trip(pl, &p)) {
            break;
        }
        p.claiming = p.claiming && !pl->outage;
        if (!p.in_trip) {
            maybe_post(pl, &p);
        }
        if (pl->outage) {
            p.claiming = false;
            defer_ready(pl);
        }
        int wait_ms = hand_over(pl);
        if (!p.in_trip && live(pl) == 0 && !p.claiming) {
            if (!next_round(pl, &p)) {
                break;
            }
            continue;
        }
        wait_for_work(pl, &p, wait_ms);
    }
    drain_trip(pl, &p);
    if (pl->outage && p.wake) {
        char when[32];
        sw_clock_format_iso(p.wake, when, sizeof(when));
        sw_exec_log(ex, "warn",
                    "%s: the provider could not be reached (%s): %zu messages wait, without using "
                    "an attempt, until %s at the earliest",
                    ex->act->type_name, pl->outage_error, pl->ndeferred, when);
    }
    ex->wake_at_ms = p.wake;
    ex->waiting = p.wake != 0;
    return p.rc;
}

/* ---- the pipeline ---- */

/* The window: rows marked sending at most, which is what a crash can make unknown. It must
 * cover the messages sent while a durable commit (an fsync, about half a millisecond here) is in
 * flight, and give each commit enough rows to keep up: 32 per connection, at least 64, at most
 * 4096 (measured on 95k messages at 4 connections: a window of 16 took 18.5 s, 64 took 12.9 s,
 * 128 took 9.7 s, beside smtp-source's 7.2-9.5 s). The send_window_rows setting overrides it
 * (benchmarks). A rate-limited send keeps its window to a quarter of a second of messages: rows
 * waiting for their turn are marked sending too, and a crash makes them unknown. */
static size_t window_of(const struct sw_pipeline_config *cfg)
{
    size_t window = (size_t)cfg->connections * 32;
    window = window < 64 ? 64 : window > 4096 ? 4096 : window;
    if (cfg->window_rows > 0) {
        window = (size_t)cfg->window_rows;
    }
    double eff = cfg->rate > 0 && (cfg->provider_rate <= 0 || cfg->rate < cfg->provider_rate)
                     ? cfg->rate
                     : cfg->provider_rate;
    if (eff > 0) {
        size_t w = (size_t)(eff / 4) + 1; /* a quarter of a second of messages */
        window = w < window ? (w < 2 ? 2 : w) : window;
    }
    return window;
}

int sw_pipeline_init(struct sw_pipeline *pl, struct sw_exec *ex,
                     const struct sw_pipeline_config *cfg)
{
    memset(pl, 0, sizeof(*pl));
    pl->ex = ex;
    pl->cfg = *cfg;
    pl->window = window_of(cfg);
    sw_bucket_init(&pl->act_rate, cfg->rate);
    pl->provider_key = sw_asprintf("%s %s", ex->act->type_name, cfg->url);
    pl->cap = pl->window + 1;
    pl->ready = sw_calloc(pl->cap, sizeof(*pl->ready));
    pl->done = sw_calloc(pl->cap, sizeof(*pl->done));
    pl->http_batch = sw_calloc(pl->cap, sizeof(*pl->http_batch));
    int rc;
    if (cfg->email) {
        struct sw_smtp_config sc = {cfg->url, cfg->connections, 60, cfg->no_pipelining};
        rc = sw_smtp_open(&sc, &pl->smtp, ex->err);
    } else {
        struct sw_http_config hc = {cfg->url, cfg->connections, 30};
        rc = sw_httpsend_open(&hc, &pl->http, ex->err);
    }
    if (rc == 0) {
        rc = sw_ledger_claimer_open(ex->db, ex->run_id, ex->act->id, ex->act->type_name, cfg->fcap,
                                    &pl->claimer, ex->err);
    }
    return rc;
}

int sw_pipeline_run(struct sw_pipeline *pl)
{
    struct sw_exec *ex = pl->ex;
    /* A row is marked sending, and its outcome recorded, by commits that survive a power loss:
     * a mark lost with the page cache would make a sent message pending again. */
    int rc = sw_db_durable(ex->db, true, ex->err);
    if (rc < 0) {
        return rc;
    }
    if ((rc = committer_start(pl)) == 0) {
        rc = pump(pl);
        committer_stop(pl);
    }
    sw_db_durable(ex->db, false, NULL);
    return rc;
}

void sw_pipeline_release(struct sw_pipeline *pl)
{
    for (size_t i = 0; i < pl->nready; i++) {
        item_free(pl->ready[(pl->ready_head + i) % pl->cap]);
    }
    items_free(pl->done, pl->ndone);
    sw_smtp_close(pl->smtp);
    sw_httpsend_close(pl->http);
    sw_ledger_claimer_close(pl->claimer);
    free(pl->ready);
    free(pl->done);
    free(pl->http_batch);
    free(pl->provider_key);
}
