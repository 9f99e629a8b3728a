/*
 * events.c - see events.h.
 *
 * Locking: one mutex (ev->mu) guards the feed list, every feed's buffer and state, and the
 * hub's wake-up flag. libmicrohttpd's threads take it in feed_read and feed_release; the hub
 * takes it to hand out events, never while it queries the database. Connections are resumed
 * outside the mutex: a feed marked not suspended under the mutex cannot be released before
 * its connection is resumed (libmicrohttpd does nothing with a suspended connection).
 */
#include "server/events.h"
#include "catalog/ledger.h"
#include "catalog/events.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "server/api.h"
#include "server/server.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POLL_MS        250
#define HEARTBEAT_MS   (15 * 1000)
#define DELIVERY_MS    1000
#define PURGE_MS       (3600 * 1000)
#define FEED_MAX_BYTES (1024 * 1024) /* a feed's unread buffer; beyond it, it catches up later */
#define BATCH          500           /* rows per query */
#define CLOSE_WAIT_MS  2000

struct feed {
    struct sw_events *ev;
    void *conn;
    uint64_t serial;
    struct sw_buf out; /* bytes not yet handed to libmicrohttpd, from `off` */
    size_t off;
    int64_t cursor; /* the last event id this feed has been given (or passed over) */
    int64_t campaign, run; /* filters; 0 = any */
    int64_t last_write_ms;
    bool suspended;
    struct feed *next;
};

/* A channel task whose delivery counts are watched. */
struct watched {
    int64_t task_id, run_id, campaign_id;
    char *activity;
    char *last; /* the last delivery counts written (JSON text), or NULL */
    bool seen;  /* running at the last look */
};

struct sw_events {
    struct sw_server *srv;
    struct sw_db *db;
    struct sw_catalog cat; /* on db */
    pthread_t thread;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;     /* the hub waits on it */
    pthread_cond_t gone;   /* a feed was released */
    bool wake, stop, closing;
    struct feed *feeds;
    int nfeeds;
    uint64_t next_serial;
    int64_t head; /* the highest event id the hub has handed out */
    struct watched *watch;
    size_t nwatch;
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    return sw_clock_monotonic_us() / 1000;
}

void sw_events_notify(struct sw_events *ev)
{
    if (!ev) {
        return;
    }
    sw_cond_raise(&ev->mu, &ev->cv, &ev->wake);
}

/* ---- formatting ---- */

/* One event as SSE text: "id: N\nevent: TYPE\ndata: {...}\n\n". The data object has the id,
 * type, time, campaign and run, then the payload's fields; integer *_at fields (times in
 * ms) become ISO-8601 strings. */
static void format_event(struct sw_buf *b, int64_t id, int64_t ts, const char *type,
                         int64_t campaign_id, int64_t run_id, const char *payload)
{
    char iso[32];
    json_t *d = json_object();
    json_t *p = payload ? json_loads(payload, 0, NULL) : NULL;
    json_object_set_new(d, "id", json_integer(id));
    json_object_set_new(d, "type", json_string(type));
    sw_clock_format_iso(ts, iso, sizeof(iso));
    json_object_set_new(d, "at", json_string(iso));
    json_object_set_new(d, "campaign_id", campaign_id ? json_integer(campaign_id) : json_null());
    json_object_set_new(d, "run_id", run_id ? json_integer(run_id) : json_null());
    const char *k;
    json_t *v;
    json_object_foreach(p, k, v)
    {
        size_t n = strlen(k);
        if (n > 3 && !strcmp(k + n - 3, "_at") && json_is_integer(v)) {
            sw_clock_format_iso(json_integer_value(v), iso, sizeof(iso));
            json_object_set_new(d, k, json_string(iso));
        } else {
            json_object_set(d, k, v);
        }
    }
    char *s = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    sw_buf_printf(b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, type, s ? s : "{}");
    free(s);
    json_decref(p);
    json_decref(d);
}

struct row {
    int64_t id, campaign_id, run_id;
    size_t off, len; /* its text in the batch buffer */
};

struct batch {
    struct row *rows;
    size_t n, cap;
    struct sw_buf text;
};

static void batch_release(struct batch *b)
{
    free(b->rows);
    sw_buf_release(&b->text);
    memset(b, 0, sizeof(*b));
}

/* Rows after `after` (up to `upto` when > 0) matching the filters, at most BATCH, in id
 * order. Channel tasks seen in task events are added to the watch list. */
static int read_rows(struct sw_events *ev, int64_t after, int64_t upto, int64_t campaign,
                     int64_t run, struct batch *b)
{
    struct sw_event_query q = {after, upto, campaign, run, BATCH};
    struct sw_event_row *rows = NULL;
    size_t n = 0;
    int rc = sw_catalog_events(&ev->cat, &q, &rows, &n, NULL);
    for (size_t i = 0; i < n; i++) {
        if (b->n == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 64;
            b->rows = sw_realloc(b->rows, b->cap * sizeof(*b->rows));
        }
        struct row *r = &b->rows[b->n++];
        r->id = rows[i].id;
        r->campaign_id = rows[i].campaign_id;
        r->run_id = rows[i].run_id;
        r->off = b->text.len;
        format_event(&b->text, r->id, rows[i].ts, rows[i].type, r->campaign_id, r->run_id,
                     rows[i].payload);
        r->len = b->text.len - r->off;
    }
    sw_event_rows_free(rows, n);
    return rc;
}

/* ---- feeds ---- */

static bool matches(const struct feed *f, const struct row *r)
{
    return (!f->campaign || f->campaign == r->campaign_id) && (!f->run || f->run == r->run_id);
}

static size_t pending(const struct feed *f)
{
    return f->out.len - f->off;
}

/* Give f the rows of b after its cursor, while its buffer has room; the cursor moves past
 * every row looked at (given or filtered out). Returns whether anything was appended.
 * Called with ev->mu held. */
static bool feed_take(struct feed *f, const struct batch *b, int64_t through, int64_t now)
{
    bool added = false;
    for (size_t i = 0; i < b->n; i++) {
        const struct row *r = &b->rows[i];
        if (r->id <= f->cursor) {
            continue;
        }
        if (pending(f) >= FEED_MAX_BYTES) {
            return added; /* it catches up from its cursor once it has drained */
        }
        if (matches(f, r)) {
            sw_buf_add(&f->out, b->text.data + r->off, r->len);
            added = true;
        }
        f->cursor = r->id;
    }
    if (through > f->cursor) {
        f->cursor = through;
    }
    if (added) {
        f->last_write_ms = now;
    }
    return added;
}

/* Collect the connections of suspended feeds that have something to send (marking them
 * running); the caller resumes them after unlocking. */
static size_t to_resume(struct sw_events *ev, void ***conns, bool all)
{
    size_t n = 0;
    *conns = NULL;
    for (struct feed *f = ev->feeds; f; f = f->next) {
        if (f->suspended && (all || pending(f) > 0)) {
            *conns = sw_realloc(*conns, (n + 1) * sizeof(**conns));
            (*conns)[n++] = f->conn;
            f->suspended = false;
        }
    }
    return n;
}

static void resume_all(void **conns, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        sw_http_resume(conns[i]);
    }
    free(conns);
}

static ssize_t feed_read(void *ud, uint64_t pos, char *buf, size_t max)
{
    struct feed *f = ud;
    struct sw_events *ev = f->ev;
    (void)pos;
    pthread_mutex_lock(&ev->mu);
    size_t avail = pending(f);
    if (avail) {
        size_t n = avail < max ? avail : max;
        memcpy(buf, f->out.data + f->off, n);
        f->off += n;
        if (f->off == f->out.len) {
            bool was_full = f->out.len >= FEED_MAX_BYTES;
            sw_buf_reset(&f->out);
            f->off = 0;
            if (was_full || f->cursor < ev->head) {
                ev->wake = true; /* it has room again: catch it up */
                pthread_cond_signal(&ev->cv);
            }
        }
        pthread_mutex_unlock(&ev->mu);
        return (ssize_t)n;
    }
    if (ev->closing) {
        pthread_mutex_unlock(&ev->mu);
        return -1;
    }
    f->suspended = true;
    sw_http_suspend(f->conn);
    pthread_mutex_unlock(&ev->mu);
    return 0;
}

static void feed_release(void *ud)
{
    struct feed *f = ud;
    struct sw_events *ev = f->ev;
    pthread_mutex_lock(&ev->mu);
    for (struct feed **p = &ev->feeds; *p; p = &(*p)->next) {
        if (*p == f) {
            *p = f->next;
            ev->nfeeds--;
            break;
        }
    }
    pthread_cond_broadcast(&ev->gone);
    pthread_mutex_unlock(&ev->mu);
    sw_buf_release(&f->out);
    free(f);
}

/* ---- the hub ---- */

/* New rows for every feed that is caught up; one batch. Returns whether there may be more. */
static bool hub_new_rows(struct sw_events *ev)
{
    struct batch b = {0};
    int64_t head;
    pthread_mutex_lock(&ev->mu);
    head = ev->head;
    pthread_mutex_unlock(&ev->mu);
    if (read_rows(ev, head, 0, 0, 0, &b) < 0 || b.n == 0) {
        batch_release(&b);
        return false;
    }
    int64_t last = b.rows[b.n - 1].id, now = mono_ms();
    void **conns;
    pthread_mutex_lock(&ev->mu);
    for (struct feed *f = ev->feeds; f; f = f->next) {
        if (f->cursor >= head) { /* caught up (or ahead): the others catch up by query */
            feed_take(f, &b, last, now);
        }
    }
    ev->head = last;
    size_t n = to_resume(ev, &conns, false);
    pthread_mutex_unlock(&ev->mu);
    resume_all(conns, n);
    bool more = b.n == BATCH;
    batch_release(&b);
    return more;
}

/* One catch-up query for one feed that is behind the hub; returns whether more remain. */
static bool hub_catch_up(struct sw_events *ev)
{
    uint64_t serial = 0;
    int64_t cursor = 0, campaign = 0, run = 0, head;
    pthread_mutex_lock(&ev->mu);
    head = ev->head;
    for (struct feed *f = ev->feeds; f; f = f->next) {
        if (f->cursor < head && pending(f) < FEED_MAX_BYTES) {
            serial = f->serial;
            cursor = f->cursor;
            campaign = f->campaign;
            run = f->run;
            break;
        }
    }
    pthread_mutex_unlock(&ev->mu);
    if (!serial) {
        return false;
    }
    struct batch b = {0};
    if (read_rows(ev, cursor, head, campaign, run, &b) < 0) {
        batch_release(&b);
        return false;
    }
    /* Fewer rows than asked: nothing else matches up to head. */
    int64_t through = b.n < BATCH ? head : b.rows[b.n - 1].id;
    void **conns;
    pthread_mutex_lock(&ev->mu);
    for (struct feed *f = ev->feeds; f; f = f->next) {
        if (f->serial == serial && f->cursor == cursor) {
            feed_take(f, &b, pending(f) < FEED_MAX_BYTES ? through : 0, mono_ms());
        }
    }
    size_t n = to_resume(ev, &conns, false);
    pthread_mutex_unlock(&ev->mu);
    resume_all(conns, n);
    batch_release(&b);
    return true;
}

static void hub_heartbeat(struct sw_events *ev)
{
    int64_t now = mono_ms();
    void **conns;
    pthread_mutex_lock(&ev->mu);
    for (struct feed *f = ev->feeds; f; f = f->next) {
        if (pending(f) == 0 && now - f->last_write_ms >= HEARTBEAT_MS) {
            sw_buf_puts(&f->out, ": keep-alive\n\n");
            f->last_write_ms = now;
        }
    }
    size_t n = to_resume(ev, &conns, false);
    pthread_mutex_unlock(&ev->mu);
    resume_all(conns, n);
}

/* ---- delivery counts ---- */

/* The task's "delivery" object as GET /runs/{id}/tasks shows it (catalog/ledger.h; the
 * api_events.test.mjs compares the two), as JSON text. */
static char *delivery_counts(struct sw_db *db, int64_t run_id, const char *activity)
{
    struct sw_ledger_counts counts;
    if (sw_ledger_counts(db, run_id, activity, &counts, NULL) < 0) {
        memset(&counts, 0, sizeof(counts));
    }
    json_t *d = sw_ledger_counts_json(&counts);
    char *s = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(d);
    return s;
}

static struct watched *watch_find(struct sw_events *ev, int64_t task_id)
{
    for (size_t i = 0; i < ev->nwatch; i++) {
        if (ev->watch[i].task_id == task_id) {
            return &ev->watch[i];
        }
    }
    return NULL;
}

static struct watched *watch_add(struct sw_events *ev, int64_t task_id, int64_t run_id,
                                 int64_t campaign_id, const char *activity)
{
    struct watched *w = watch_find(ev, task_id);
    if (w) {
        return w;
    }
    ev->watch = sw_realloc(ev->watch, (ev->nwatch + 1) * sizeof(*ev->watch));
    w = &ev->watch[ev->nwatch++];
    memset(w, 0, sizeof(*w));
    w->task_id = task_id;
    w->run_id = run_id;
    w->campaign_id = campaign_id;
    w->activity = sw_strdup(activity);
    /* The last counts written for it (by this daemon before a restart, or another one). */
    w->last = sw_catalog_event_last_delivery(&ev->cat, run_id, task_id);
    return w;
}

static void watch_count(struct sw_events *ev, struct watched *w)
{
    char *counts = delivery_counts(ev->db, w->run_id, w->activity);
    if (!counts || (w->last && !strcmp(w->last, counts))) {
        free(counts);
        return;
    }
    json_t *p = json_pack("{s:I, s:s}", "task_id", (json_int_t)w->task_id, "activity",
                          w->activity);
    json_object_set_new(p, "delivery", json_loads(counts, 0, NULL));
    char *ps = json_dumps(p, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (sw_catalog_event_add(&ev->cat, wall_ms(), "delivery", w->campaign_id, w->run_id, ps,
                             NULL) == 0) {
        free(w->last);
        w->last = counts;
        counts = NULL;
    }
    free(ps);
    json_decref(p);
    free(counts);
}

/* Count every running channel task (and, once more, those that stopped running since the
 * last look), writing an event where the counts changed. */
static void hub_deliveries(struct sw_events *ev)
{
    struct sw_channel_task *tasks = NULL;
    size_t n = 0;
    for (size_t i = 0; i < ev->nwatch; i++) {
        ev->watch[i].seen = false;
    }
    sw_catalog_channel_tasks_running(&ev->cat, &tasks, &n, NULL);
    for (size_t i = 0; i < n; i++) {
        watch_add(ev, tasks[i].task_id, tasks[i].run_id, tasks[i].campaign_id, tasks[i].activity)
            ->seen = true;
    }
    sw_channel_tasks_free(tasks, n);
    for (size_t i = 0; i < ev->nwatch;) {
        struct watched *w = &ev->watch[i];
        watch_count(ev, w);
        if (!w->seen) { /* no longer running: that was its last count */
            free(w->activity);
            free(w->last);
            ev->watch[i] = ev->watch[--ev->nwatch];
            continue;
        }
        i++;
    }
}

/* Channel tasks named by task events of a batch: watched until their next count. */
static void watch_from_events(struct sw_events *ev, int64_t after)
{
    struct sw_channel_task *tasks = NULL;
    size_t n = 0;
    sw_catalog_channel_tasks_stopped(&ev->cat, after, &tasks, &n, NULL);
    for (size_t i = 0; i < n; i++) {
        watch_add(ev, tasks[i].task_id, tasks[i].run_id, tasks[i].campaign_id, tasks[i].activity);
    }
    sw_channel_tasks_free(tasks, n);
}

static void hub_purge(struct sw_events *ev)
{
    int days = ev->srv->set->history_days > 0 ? ev->srv->set->history_days : 30;
    (void)sw_catalog_events_purge(&ev->cat, wall_ms() - (int64_t)days * 86400 * 1000, NULL);
}

static void *hub_main(void *ud)
{
    struct sw_events *ev = ud;
    int64_t last_delivery = 0, last_purge = 0, last_beat = mono_ms(), watched_upto;
    pthread_mutex_lock(&ev->mu);
    watched_upto = ev->head;
    pthread_mutex_unlock(&ev->mu);
    for (;;) {
        bool more = hub_new_rows(ev);
        while (hub_catch_up(ev)) {
            more = true;
            break; /* one query per feed per turn keeps the caught-up feeds moving */
        }
        int64_t now = mono_ms();
        if (now - last_delivery >= DELIVERY_MS) {
            int64_t head;
            pthread_mutex_lock(&ev->mu);
            head = ev->head;
            pthread_mutex_unlock(&ev->mu);
            watch_from_events(ev, watched_upto);
            watched_upto = head;
            hub_deliveries(ev);
            last_delivery = now;
        }
        if (now - last_beat >= 1000) {
            hub_heartbeat(ev);
            last_beat = now;
        }
        if (now - last_purge >= PURGE_MS) {
            hub_purge(ev);
            last_purge = now;
        }
        pthread_mutex_lock(&ev->mu);
        if (!more && !ev->wake && !ev->stop) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += POLL_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&ev->cv, &ev->mu, &ts);
        }
        ev->wake = false;
        bool stop = ev->stop;
        pthread_mutex_unlock(&ev->mu);
        if (stop) {
            break;
        }
    }
    return NULL;
}

int sw_events_start(struct sw_server *srv, struct sw_events **out, struct sw_error *err)
{
    struct sw_events *ev = sw_calloc(1, sizeof(*ev));
    *out = NULL;
    ev->srv = srv;
    pthread_mutex_init(&ev->mu, NULL);
    pthread_cond_init(&ev->cv, NULL);
    pthread_cond_init(&ev->gone, NULL);
    ev->next_serial = 1;
    int64_t oldest = 0;
    int rc = sw_db_open(srv->set->data, &ev->db, err);
    ev->cat.db = ev->db;
    if (rc == 0) {
        rc = sw_catalog_events_bounds(&ev->cat, &oldest, &ev->head, err);
    }
    if (rc == 0 && pthread_create(&ev->thread, NULL, hub_main, ev) != 0) {
        rc = sw_error_set(err, SW_EIO, "cannot start the events thread");
    }
    if (rc < 0) {
        sw_db_close(ev->db);
        pthread_mutex_destroy(&ev->mu);
        pthread_cond_destroy(&ev->cv);
        pthread_cond_destroy(&ev->gone);
        free(ev);
        return rc;
    }
    ev->started = true;
    *out = ev;
    return 0;
}

void sw_events_close_feeds(struct sw_events *ev)
{
    if (!ev) {
        return;
    }
    void **conns;
    pthread_mutex_lock(&ev->mu);
    ev->closing = true;
    size_t n = to_resume(ev, &conns, true);
    pthread_mutex_unlock(&ev->mu);
    resume_all(conns, n);
    /* libmicrohttpd must not stop with a suspended connection: wait until the streams have
     * ended (each is released), or, for a client that reads nothing, until the deadline
     * (its connection is not suspended, so stopping closes it). */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += CLOSE_WAIT_MS / 1000;
    pthread_mutex_lock(&ev->mu);
    while (ev->nfeeds > 0 && pthread_cond_timedwait(&ev->gone, &ev->mu, &ts) == 0) {
    }
    pthread_mutex_unlock(&ev->mu);
}

void sw_events_stop(struct sw_events *ev)
{
    if (!ev) {
        return;
    }
    sw_cond_raise(&ev->mu, &ev->cv, &ev->stop);
    if (ev->started) {
        pthread_join(ev->thread, NULL);
    }
    /* The HTTP server has stopped: every feed was released with its connection. */
    for (size_t i = 0; i < ev->nwatch; i++) {
        free(ev->watch[i].activity);
        free(ev->watch[i].last);
    }
    free(ev->watch);
    sw_db_close(ev->db);
    pthread_mutex_destroy(&ev->mu);
    pthread_cond_destroy(&ev->cv);
    pthread_cond_destroy(&ev->gone);
    free(ev);
}

/* ---- GET /api/v1/events ---- */

/* A positive id in query parameter `name` (0 when absent); -1 with a 400 set when invalid. */
static int64_t id_param(struct sw_api *a, const char *name)
{
    const char *v = sw_req_query(a->req, name);
    int64_t id = 0;
    if (!v) {
        return 0;
    }
    if (sw_parse_int64(v, &id) < 0 || id <= 0) {
        sw_resp_bad_param(a->resp, name, "expected a positive integer id, got \"%s\"", v);
        return -1;
    }
    return id;
}

void sw_api_events(struct sw_api *a)
{
    struct sw_events *ev = a->srv->events;
    int64_t campaign = id_param(a, "campaign"), run, last = -1, min_id = 0, max_id = 0;
    if (campaign < 0 || (run = id_param(a, "run")) < 0) {
        return;
    }
    const char *lei = sw_req_header(a->req, "Last-Event-ID");
    const char *lei_name = "Last-Event-ID";
    if (!lei) {
        lei = sw_req_query(a->req, "last_event_id");
        lei_name = "last_event_id";
    }
    if (lei && (sw_parse_int64(lei, &last) < 0 || last < 0)) {
        sw_resp_bad_param(a->resp, lei_name, "expected an event id (an integer >= 0), got \"%s\"",
                          lei);
        return;
    }
    sw_catalog_events_bounds(&a->cat, &min_id, &max_id, NULL);
    struct feed *f = sw_calloc(1, sizeof(*f));
    sw_buf_init(&f->out);
    f->ev = ev;
    f->conn = a->req->conn;
    f->campaign = campaign;
    f->run = run;
    f->last_write_ms = mono_ms();
    /* retry: how long a browser waits before it reconnects (with Last-Event-ID). */
    sw_buf_puts(&f->out, "retry: 2000\n: stepwise events\n\n");
    if (last < 0) {
        f->cursor = max_id; /* from now on */
    } else if (last > max_id || (min_id > 0 && last < min_id - 1)) {
        /* Events after `last` are gone (purged), or `last` is from another catalog: the client
         * must reload what it shows; the feed goes on from what there is. */
        sw_buf_printf(&f->out,
                      "event: reset\ndata: {\"reason\":\"%s\",\"last_event_id\":%lld}\n\n",
                      last > max_id ? "unknown event id" : "events after this id were purged",
                      (long long)last);
        f->cursor = last > max_id ? max_id : min_id - 1;
    } else {
        f->cursor = last;
    }
    pthread_mutex_lock(&ev->mu);
    if (ev->closing) {
        pthread_mutex_unlock(&ev->mu);
        sw_buf_release(&f->out);
        free(f);
        sw_resp_fail(a->resp, SW_EINTERRUPTED, "the server is shutting down", NULL);
        return;
    }
    f->serial = ev->next_serial++;
    f->next = ev->feeds;
    ev->feeds = f;
    ev->nfeeds++;
    ev->wake = true;
    pthread_cond_signal(&ev->cv);
    pthread_mutex_unlock(&ev->mu);
    a->resp->status = 200;
    a->resp->content_type = "text/event-stream";
    sw_buf_reset(&a->resp->body);
    sw_resp_header(a->resp, "X-Accel-Buffering", "no");
    a->resp->stream.read = feed_read;
    a->resp->stream.release = feed_release;
    a->resp->stream.ud = f;
}
