/*
 * recorder.c - see recorder.h.
 */
#include "server/recorder.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct sw_recorder {
    struct sw_db *db;         /* the recorder thread's alone */
    pthread_t thread;
    pthread_mutex_t lock;     /* guards everything below */
    pthread_cond_t more;      /* an event was queued, or stop */
    pthread_cond_t done;      /* a batch was recorded */
    struct sw_track_event *q; /* ring of SW_RECORDER_QUEUE */
    size_t head, len;
    int64_t queued, recorded; /* events ever queued / taken and written (or failed) */
    bool stop;
    struct sw_recorder_stats stats;
};

static void *run(void *arg)
{
    struct sw_recorder *rec = arg;
    struct sw_track_event *batch = sw_calloc(SW_RECORDER_BATCH, sizeof(*batch));
    pthread_mutex_lock(&rec->lock);
    for (;;) {
        while (rec->len == 0 && !rec->stop) {
            pthread_cond_wait(&rec->more, &rec->lock);
        }
        if (rec->len == 0 && rec->stop) {
            break;
        }
        size_t n = 0;
        while (rec->len > 0 && n < SW_RECORDER_BATCH) {
            batch[n++] = rec->q[rec->head];
            rec->head = (rec->head + 1) % SW_RECORDER_QUEUE;
            rec->len--;
        }
        pthread_mutex_unlock(&rec->lock);
        struct sw_error err = SW_ERROR_INIT;
        int rc = sw_catalog_tracking_record(rec->db, batch, n, &err);
        if (rc < 0) {
            sw_warn("tracking: %zu events not recorded: %s", n, err.message ? err.message : "?");
        }
        sw_error_release(&err);
        pthread_mutex_lock(&rec->lock);
        for (size_t i = 0; i < n; i++) {
            if (rc < 0) {
                rec->stats.failed++;
            } else if (batch[i].kind == 'o') {
                rec->stats.opens++;
            } else {
                rec->stats.clicks++;
            }
            if (rc == 0 && batch[i].machine) {
                rec->stats.machine++;
            }
            free(batch[i].url);
        }
        rec->recorded += (int64_t)n;
        pthread_cond_broadcast(&rec->done);
    }
    pthread_mutex_unlock(&rec->lock);
    free(batch);
    return NULL;
}

int sw_recorder_start(const char *url, struct sw_recorder **out, struct sw_error *err)
{
    struct sw_recorder *rec = sw_calloc(1, sizeof(*rec));
    int rc = sw_db_open(url, &rec->db, err);
    if (rc < 0) {
        free(rec);
        return rc;
    }
    rec->q = sw_calloc(SW_RECORDER_QUEUE, sizeof(*rec->q));
    pthread_mutex_init(&rec->lock, NULL);
    pthread_cond_init(&rec->more, NULL);
    pthread_cond_init(&rec->done, NULL);
    if (pthread_create(&rec->thread, NULL, run, rec) != 0) {
        sw_db_close(rec->db);
        free(rec->q);
        free(rec);
        return sw_error_set(err, SW_EIO, "could not start the tracking recorder thread");
    }
    *out = rec;
    return 0;
}

bool sw_recorder_push(struct sw_recorder *rec, struct sw_track_event *e)
{
    pthread_mutex_lock(&rec->lock);
    bool ok = rec->len < SW_RECORDER_QUEUE && !rec->stop;
    if (ok) {
        rec->q[(rec->head + rec->len) % SW_RECORDER_QUEUE] = *e;
        rec->len++;
        rec->queued++;
        pthread_cond_signal(&rec->more);
    } else {
        rec->stats.dropped++;
        free(e->url);
    }
    e->url = NULL;
    pthread_mutex_unlock(&rec->lock);
    return ok;
}

void sw_recorder_stats(struct sw_recorder *rec, struct sw_recorder_stats *out)
{
    pthread_mutex_lock(&rec->lock);
    *out = rec->stats;
    pthread_mutex_unlock(&rec->lock);
}

void sw_recorder_flush(struct sw_recorder *rec)
{
    pthread_mutex_lock(&rec->lock);
    int64_t target = rec->queued;
    while (rec->recorded < target) {
        pthread_cond_wait(&rec->done, &rec->lock);
    }
    pthread_mutex_unlock(&rec->lock);
}

void sw_recorder_stop(struct sw_recorder *rec)
{
    if (!rec) {
        return;
    }
    sw_cond_raise(&rec->lock, &rec->more, &rec->stop);
    pthread_join(rec->thread, NULL);
    sw_db_close(rec->db);
    pthread_mutex_destroy(&rec->lock);
    pthread_cond_destroy(&rec->more);
    pthread_cond_destroy(&rec->done);
    free(rec->q);
    free(rec);
}
