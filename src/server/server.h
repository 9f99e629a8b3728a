/*
 * server.h - the daemon's HTTP side: the API, the public listener and the live feed, sharing
 * one data source through a pool of connections, and the run service (runs/service.h) that
 * they and the background jobs (the scheduler and workers, started through struct
 * sw_server_jobs so that the server does not know them) act through. State lives in the
 * catalog; the server's own memory is caches (the schema) and the pool.
 */
#ifndef SW_SERVER_H
#define SW_SERVER_H

#include "catalog/catalog.h"
#include "channels/token.h"
#include "core/error.h"
#include "db/db.h"
#include "engine/activity.h"
#include "runs/service.h"
#include "schema/schema.h"
#include "server/http.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

/* Settings (SPEC §5.1): flag > STEPWISE_<NAME> > config file > default. */
struct sw_events;
struct sw_recorder;

struct sw_settings {
    char *data;
    char *listen;           /* host:port */
    int workers;
    int http_threads;
    int history_days;
    char *export_dir;
    char *alert_webhook;
    char *smtp_url;
    int smtp_connections;
    bool smtp_no_pipelining; /* smtp_pipelining = off */
    int send_window_rows;    /* 0: the default (32 per connection) */
    char *sms_url;
    char *push_url;
    char *frequency_cap;
    int http_connections;
    double smtp_rate, sms_rate, push_rate; /* per provider, 0 = unlimited */
    char *list_unsubscribe;
    char *schema_hints; /* path of the schema hints file, or NULL */
    int soft_bounce_limit; /* soft bounces in a row that suppress an address */
    char *public_listen;   /* HOST:PORT of the public listener, or NULL */
    char *public_url;      /* the base URL recipients reach it by, or NULL */
    bool track_ip;         /* keep the client address of open and click events */
    size_t max_body;
};

void sw_settings_release(struct sw_settings *s);

struct sw_dbpool {
    struct sw_db **conns;
    bool *busy;
    int n;
    pthread_mutex_t lock;
    pthread_cond_t freed;
};

struct sw_metrics {
    atomic_llong http_requests;
    atomic_llong http_errors;
    atomic_llong latency_buckets[12]; /* cumulative counts per bound, see server.c */
    atomic_llong latency_sum_us;
};

/* Background work that runs with the server, through its run service: started once the
 * catalog is migrated and the schema known, stopped (after sw_svc_shutdown) before the
 * server goes. The daemon passes the scheduler's. */
struct sw_server_jobs {
    int (*start)(void *ud, struct sw_svc *svc, struct sw_error *err);
    void (*stop)(void *ud);
    void *ud;
};

struct sw_server {
    struct sw_settings *set;
    /* The data source's schema: read through sw_server_schema (a reference); replaced whole
     * when the data source's schema changes or on POST /dimensions/refresh. */
    struct sw_schema *schema;
    pthread_mutex_t schema_lock;   /* guards the pointer and schema_cookie */
    pthread_mutex_t refresh_lock;  /* one rediscovery at a time */
    int64_t schema_cookie;         /* sw_db_schema_cookie when last compared */
    struct sw_config config;      /* what activities need */
    struct sw_dbpool pool;
    struct sw_http *http;
    struct sw_http *public_http;  /* the public listener (server/public.c), or NULL */
    struct sw_recorder *recorder; /* writes its open and click events, or NULL */
    struct sw_keyring keyring;    /* signs and checks the public listener's links */
    struct sw_events *events;     /* the live feed (server/events.c) */
    struct sw_metrics metrics;
    struct sw_svc svc;            /* the run service, with the server's schema and feed */
    struct sw_server_jobs jobs;
    bool jobs_started;
    int64_t started_ms;
};

int sw_server_start(struct sw_settings *set, const struct sw_server_jobs *jobs,
                    struct sw_server **out, struct sw_error *err);
int sw_server_port(const struct sw_server *srv);
int sw_server_public_port(const struct sw_server *srv); /* 0 without a public listener */
void sw_server_stop(struct sw_server *srv);
/* The current schema, as a reference the caller drops with sw_schema_free. With db, first
 * rediscovers when the data source's own schema changed since (cheap when it did not). */
struct sw_schema *sw_server_schema(struct sw_server *srv, struct sw_db *db);
/* The schema hints in force (a new reference in *hints, or NULL): stored through the API (the
 * catalog) when there are, else the file of the schema_hints setting; *source is "api",
 * "file" or "none". */
int sw_server_hints(struct sw_server *srv, struct sw_db *db, json_t **hints, const char **source,
                    struct sw_error *err);
/* Discovery on db with `hints`, or with the hints in force when NULL. */
int sw_server_discover(struct sw_server *srv, struct sw_db *db, const json_t *hints,
                       struct sw_schema **out, struct sw_error *err);
/* Discover again on db (with the schema hints) and swap it in: always (force), or only when
 * the data source's schema fingerprint moved. *changed (may be NULL) says whether it was
 * replaced. On an error (hints that no longer fit, say) the current schema stays. */
int sw_server_rediscover(struct sw_server *srv, struct sw_db *db, bool force, bool *changed,
                         struct sw_error *err);

struct sw_db *sw_dbpool_get(struct sw_dbpool *p);
void sw_dbpool_put(struct sw_dbpool *p, struct sw_db *db);

#endif
