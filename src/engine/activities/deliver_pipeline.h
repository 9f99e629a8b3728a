/*
 * deliver_pipeline.h - the send pipeline of a channel task (deliver.c runs it between two
 * checkpoints of its task, engine/activity.h "Long-running activities"): every connection
 * kept busy while the ledger (catalog/ledger.h) records each message durably.
 *
 * Two threads:
 *   - the sending thread, the task's own (sw_pipeline_run): takes claimed rows, builds each
 *     message just before a connection is free (the activity's build callback), hands it to
 *     the provider (channels/smtp.h, channels/httpsend.h) as the activity's and the provider's
 *     rates allow (channels/limiter.h), polls, and gathers the finished messages;
 *   - the committer thread: one trip to the database at a time, in one durable commit
 *     (synchronous=FULL): write the outcomes of finished messages, settle the rows of a stopped
 *     run, claim the next rows (marked `sending`, the frequency cap decided there).
 * While a trip is in flight the sending thread never touches the database; between trips the
 * committer thread waits. So the connection of the task is used by one thread at a time.
 *
 * Flow control at every claim: the run must still be running (a pause stops at the next claim;
 * claimed rows not handed over go back to pending), the send window must be open (else the task
 * waits for its opening). No reply at all from the provider is an outage: nothing more is handed
 * over and the rows wait (1 s doubling to 5 min) without using an attempt.
 */
#ifndef SW_DELIVER_PIPELINE_H
#define SW_DELIVER_PIPELINE_H

#include "catalog/ledger.h"
#include "channels/httpsend.h"
#include "channels/limiter.h"
#include "channels/smtp.h"
#include "core/buf.h"
#include "engine/activity.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One message, from its claim to its recorded outcome. It belongs to one stage at a time: the
 * committer thread's trip (claimed, or finished and being written), then the sending thread's
 * ready queue, a connection (in flight), the done list, and the next trip again. */
struct sw_send_item {
    int64_t id;       /* the ledger row */
    int64_t attempts; /* including the one being made */
    char *address;
    json_t *fields;        /* the row's captured personalization fields */
    struct sw_buf payload; /* the message, built by the activity's callback */
    struct sw_smtp_msg sm; /* email: what smtp.c sends (points into payload) */
    struct sw_http_msg hm; /* sms, push: what httpsend.c posts */
    enum sw_send_outcome outcome;
    long code; /* the provider's reply code; 0 when none came */
    char error[160];
    long retry_after_s;
    int64_t deferrals;
    bool deferred; /* the provider could not be reached: no attempt is used up */
    bool released; /* claimed but never handed over (pause, window closed): back to pending */
};

/* What the activity gives the pipeline (copied by sw_pipeline_init). */
struct sw_pipeline_config {
    bool email; /* SMTP; else an HTTP JSON provider */
    const char *url;
    int connections;
    bool no_pipelining;         /* smtp_pipelining = off */
    int window_rows;            /* the send_window_rows setting; 0: the default */
    double rate;                /* the activity's rate_per_second; 0: none */
    double provider_rate;       /* the provider's, shared by the process's activities */
    const char *tz;             /* the campaign's time zone, for the send window */
    int window_from, window_to; /* the send window in minutes of the day; -1: none */
    struct sw_frequency_cap fcap;
    /* Builds it->payload and it->sm or it->hm, on the sending thread, just before the message
     * is handed over; a message that cannot be built gets outcome SW_SEND_PERMANENT. */
    void (*build)(void *ud, struct sw_send_item *it);
    void *ud;
};

/* A trip to the database (the committer thread's), posted by the sending thread. */
struct sw_trip {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool running; /* sending thread: the committer thread was started */
    /* guarded by mu */
    bool posted, finished, quit;
    /* written by the sending thread before it posts, read by the committer thread until it
     * finishes; then the sending thread's again */
    struct sw_send_item **done; /* outcomes to write */
    size_t ndone;
    size_t want;    /* rows to claim */
    bool check_run; /* look at the run's status first (a pause stops claiming) */
    /* written by the committer thread during the trip, read by the sending thread after it */
    struct sw_send_item **got; /* claimed rows */
    size_t ngot;
    bool not_running;
    int rc;
};

struct sw_pipeline {
    /* set by sw_pipeline_init; read-only afterwards, by both threads */
    struct sw_exec *ex; /* the task: its connection, run, activity, error, logs */
    struct sw_pipeline_config cfg;
    size_t window; /* rows `sending` at most: what a crash can turn `unknown` */
    size_t cap;    /* the size of the item arrays: window + 1 */
    char *provider_key;
    /* the sending thread's */
    struct sw_smtp *smtp;
    struct sw_httpsend *http;
    struct sw_bucket act_rate;
    struct sw_send_item **ready; /* claimed, not handed over yet: a ring */
    size_t ready_head, nready;
    struct sw_send_item **done; /* finished, waiting for the next trip */
    size_t ndone;
    struct sw_send_item **http_batch; /* HTTP: messages gathered for the next batch */
    size_t nhttp;
    size_t in_flight;
    bool outage; /* a connection failed: stop handing messages over */
    char outage_error[160];
    size_t ndeferred;
    /* the committer thread's during a trip (the sending thread opens and closes it) */
    struct sw_ledger_claimer *claimer;
    struct sw_trip trip;
};

/* Open the sender and the claimer, size the window. 0, or an error in ex->err. */
int sw_pipeline_init(struct sw_pipeline *pl, struct sw_exec *ex,
                     const struct sw_pipeline_config *cfg);
/* Send every due row (durable commits meanwhile). 0 with ex->waiting and ex->wake_at_ms set
 * when the task must come back (paused or stopped, send window closed, retries due later, an
 * outage), or an error. */
int sw_pipeline_run(struct sw_pipeline *pl);
void sw_pipeline_release(struct sw_pipeline *pl);

#endif
