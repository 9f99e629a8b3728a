/*
 * scheduler.h - the daemon's background threads: the scheduler (schedule ticks, signals,
 * history purges) and the workers that execute runs. They act through the run service
 * (runs/service.h) and sleep on its wake-up condition; they know nothing of the HTTP server.
 * The daemon (cli/cmd_serve.c) starts them with the server and stops them before it.
 */
#ifndef SW_SCHEDULER_H
#define SW_SCHEDULER_H

#include "core/error.h"
#include "db/db.h"
#include "runs/service.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct sw_scheduler_opts {
    const char *data;          /* the data source each thread opens */
    int workers;               /* worker threads (2 when 0) */
    int history_days;          /* a campaign's default history (30 when 0) */
    const char *frequency_cap; /* the frequency_cap setting, or NULL: the purge keeps what it counts */
};

struct sw_scheduler {
    struct sw_scheduler_opts opts; /* its strings belong to the caller, and outlive it */
    struct sw_svc *svc;
    pthread_t *worker_threads;
    int nworkers;
    pthread_t scheduler_thread;
    bool scheduler_started;
    pthread_mutex_t lock; /* guards busy_runs */
    int64_t *busy_runs;   /* runs a worker is executing now */
    int nbusy;
};

/* Start the workers and the scheduler thread. */
int sw_scheduler_start(const struct sw_scheduler_opts *opts, struct sw_svc *svc,
                       struct sw_scheduler **out, struct sw_error *err);
/* Join the threads and free; call sw_svc_shutdown first. Accepts NULL. */
void sw_scheduler_stop(struct sw_scheduler *s);
/* One pass of the scheduler (due ticks, signals); tests call it directly. */
void sw_scheduler_tick(struct sw_scheduler *s, struct sw_db *db);

/* workers.c, for scheduler.c. */
int sw_workers_start(struct sw_scheduler *s, struct sw_error *err);
void sw_workers_join(struct sw_scheduler *s);

#endif
