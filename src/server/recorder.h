/*
 * recorder.h - writes the public listener's open and click events to the catalog from a thread
 * of its own, so that a redirect or a pixel answers at once and never waits for the database.
 *
 * HTTP threads push events into a bounded queue; the recorder takes up to a batch at a time
 * and records it in one transaction (catalog/tracking.h), coalescing nothing: every request
 * counts. When the queue is full an event is dropped and counted (a slow disk must not slow
 * the redirects people wait on). Tracking is a measure, not a message: what is queued when the
 * process is killed is lost, and the ledger is not affected. A stop drains the queue.
 */
#ifndef SW_RECORDER_H
#define SW_RECORDER_H

#include "catalog/tracking.h"
#include "core/error.h"

#include <stdint.h>

#define SW_RECORDER_QUEUE 16384 /* events waiting at the most */
#define SW_RECORDER_BATCH 2048  /* events per transaction at the most */

struct sw_recorder;

struct sw_recorder_stats {
    int64_t opens, clicks;       /* recorded, people and machines */
    int64_t machine;             /* of those, machines' */
    int64_t dropped;             /* queue full */
    int64_t failed;              /* lost to a database error */
};

/* Open its own connection to the data source `url` and start the thread. */
int sw_recorder_start(const char *url, struct sw_recorder **out, struct sw_error *err);
/* Queue one event (the recorder takes e->url); false when it was dropped (queue full). */
bool sw_recorder_push(struct sw_recorder *rec, struct sw_track_event *e);
void sw_recorder_stats(struct sw_recorder *rec, struct sw_recorder_stats *out);
/* Wait until every event queued before the call is recorded (tests, a clean stop). */
void sw_recorder_flush(struct sw_recorder *rec);
/* Record what is queued, stop the thread, close the connection; accepts NULL. */
void sw_recorder_stop(struct sw_recorder *rec);

#endif
