/*
 * server.c - starting and stopping the daemon: the connection pool, the HTTP listener, the
 * workers and the scheduler. On start, every run the catalog says is running is simply
 * picked up again by the workers: that is the whole of crash recovery.
 */
#include "server/server.h"
#include "catalog/catalog.h"
#include "catalog/ledger.h"
#include "catalog/hints.h"
#include "catalog/runs.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/util.h"
#include "server/api.h"
#include "server/events.h"
#include "server/public.h"
#include "server/recorder.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

void sw_settings_release(struct sw_settings *s)
{
    free(s->data);
    free(s->listen);
    free(s->export_dir);
    free(s->alert_webhook);
    free(s->smtp_url);
    free(s->sms_url);
    free(s->push_url);
    free(s->frequency_cap);
    free(s->schema_hints);
    free(s->public_listen);
    free(s->public_url);
    free(s->list_unsubscribe);
    memset(s, 0, sizeof(*s));
}

struct sw_db *sw_dbpool_get(struct sw_dbpool *p)
{
    pthread_mutex_lock(&p->lock);
    for (;;) {
        for (int i = 0; i < p->n; i++) {
            if (!p->busy[i]) {
                p->busy[i] = true;
                pthread_mutex_unlock(&p->lock);
                return p->conns[i];
            }
        }
        pthread_cond_wait(&p->freed, &p->lock);
    }
}

void sw_dbpool_put(struct sw_dbpool *p, struct sw_db *db)
{
    pthread_mutex_lock(&p->lock);
    for (int i = 0; i < p->n; i++) {
        if (p->conns[i] == db) {
            p->busy[i] = false;
        }
    }
    pthread_cond_signal(&p->freed);
    pthread_mutex_unlock(&p->lock);
}

static int pool_open(struct sw_dbpool *p, const char *url, int n, struct sw_error *err)
{
    p->conns = sw_calloc((size_t)n, sizeof(*p->conns));
    p->busy = sw_calloc((size_t)n, sizeof(*p->busy));
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->freed, NULL);
    for (int i = 0; i < n; i++) {
        if (sw_db_open(url, &p->conns[i], err) < 0) {
            return SW_EDB;
        }
        /* Request connections read scattered catalog rows (lists, counts): map the file
         * instead of a read call per page miss. Workers keep plain I/O. */
        sw_db_map_reads(p->conns[i], NULL);
        p->n++;
    }
    return 0;
}

static void pool_close(struct sw_dbpool *p)
{
    for (int i = 0; i < p->n; i++) {
        sw_db_close(p->conns[i]);
    }
    free(p->conns);
    free(p->busy);
    if (p->conns || p->n) {
        pthread_mutex_destroy(&p->lock);
        pthread_cond_destroy(&p->freed);
    }
    memset(p, 0, sizeof(*p));
}

/* The run service's callbacks. */
static struct sw_schema *svc_schema(void *ud)
{
    return sw_server_schema(ud, NULL);
}

static void svc_refresh(void *ud, struct sw_db *db)
{
    sw_server_rediscover(ud, db, false, NULL, NULL);
}

static void svc_notify(void *ud)
{
    struct sw_server *srv = ud;
    sw_events_notify(srv->events);
}

int sw_server_hints(struct sw_server *srv, struct sw_db *db, json_t **hints, const char **source,
                    struct sw_error *err)
{
    struct sw_catalog cat = {db};
    char *doc = NULL;
    int64_t at = 0;
    *hints = NULL;
    *source = "none";
    int rc = sw_catalog_hints_get(&cat, &doc, &at, NULL, err);
    if (rc < 0) {
        return rc;
    }
    if (doc) {
        *hints = json_loads(doc, 0, NULL);
        *source = "api";
        free(doc);
        return *hints ? 0
                      : sw_error_set(err, SW_EINVAL,
                                     "the schema hints stored in the catalog are not JSON");
    }
    const char *path = srv->set->schema_hints;
    if (path && *path) {
        json_error_t je;
        *hints = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
        if (!*hints) {
            return sw_error_set(err, SW_EINVAL, "schema hints %s: %s (line %d, column %d)", path,
                                je.text, je.line, je.column);
        }
        *source = "file";
    }
    return 0;
}

int sw_server_discover(struct sw_server *srv, struct sw_db *db, const json_t *hints,
                       struct sw_schema **out, struct sw_error *err)
{
    json_t *mine = NULL;
    const char *source = "given";
    int rc = 0;
    *out = NULL;
    if (!hints && (rc = sw_server_hints(srv, db, &mine, &source, err)) < 0) {
        return rc;
    }
    if ((rc = sw_schema_discover(db, out, err)) == 0 && (hints || mine) &&
        (rc = sw_schema_apply_hints(db, *out, hints ? hints : mine, err)) < 0) {
        sw_schema_free(*out);
        *out = NULL;
        if (!strcmp(source, "file")) {
            sw_error_set(err, SW_EVALIDATION, "schema hints %s are not valid",
                         srv->set->schema_hints);
        } else if (!strcmp(source, "api")) {
            sw_error_set(err, SW_EVALIDATION,
                         "the schema hints stored through the API no longer fit the data "
                         "source (PUT or DELETE /api/v1/schema/hints; with the daemon stopped, "
                         "stepwise schema --data URL --drop-stored-hints)");
        }
    }
    json_decref(mine);
    return rc;
}

struct sw_schema *sw_server_schema(struct sw_server *srv, struct sw_db *db)
{
    if (db) {
        int64_t cookie = sw_db_schema_cookie(db);
        pthread_mutex_lock(&srv->schema_lock);
        bool moved = cookie != srv->schema_cookie;
        pthread_mutex_unlock(&srv->schema_lock);
        if (moved) {
            struct sw_error err = SW_ERROR_INIT;
            if (sw_server_rediscover(srv, db, false, NULL, &err) < 0) {
                char *m = sw_error_format(&err);
                sw_warn("the data source's schema changed, and discovering it again failed "
                        "(the previous schema stays in use): %s",
                        m);
                free(m);
            }
            sw_error_release(&err);
        }
    }
    pthread_mutex_lock(&srv->schema_lock);
    struct sw_schema *s = sw_schema_ref(srv->schema);
    pthread_mutex_unlock(&srv->schema_lock);
    return s;
}

int sw_server_rediscover(struct sw_server *srv, struct sw_db *db, bool force, bool *changed,
                         struct sw_error *err)
{
    struct sw_schema *fresh = NULL;
    int rc = 0;
    if (changed) {
        *changed = false;
    }
    pthread_mutex_lock(&srv->refresh_lock);
    int64_t cookie = sw_db_schema_cookie(db);
    pthread_mutex_lock(&srv->schema_lock);
    int64_t version = srv->schema->db_version;
    bool seen = cookie == srv->schema_cookie;
    pthread_mutex_unlock(&srv->schema_lock);
    /* Work tables move the cookie too: only a moved fingerprint is a new schema. */
    if (force || (!seen && sw_db_schema_version(db) != version)) {
        rc = sw_server_discover(srv, db, NULL, &fresh, err);
    }
    pthread_mutex_lock(&srv->schema_lock);
    struct sw_schema *old = NULL;
    if (rc == 0) {
        srv->schema_cookie = cookie;
    }
    if (fresh) {
        old = srv->schema;
        srv->schema = fresh;
    }
    pthread_mutex_unlock(&srv->schema_lock);
    pthread_mutex_unlock(&srv->refresh_lock);
    if (fresh) {
        sw_info("the data source's schema was discovered again (%zu tables)", fresh->ndims);
        if (changed) {
            *changed = true;
        }
    }
    sw_schema_free(old); /* freed when the last campaign loaded against it goes */
    return rc;
}

static int parse_listen(const char *listen, char *host, size_t n, int *port)
{
    const char *colon = listen ? strrchr(listen, ':') : NULL;
    int64_t p;
    if (!colon || (size_t)(colon - listen) >= n || sw_parse_int64(colon + 1, &p) < 0 || p < 0 ||
        p > 65535) {
        return -1;
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    if (!host[0]) {
        snprintf(host, n, "127.0.0.1");
    }
    *port = (int)p;
    return 0;
}

int sw_server_start(struct sw_settings *set, const struct sw_server_jobs *jobs,
                    struct sw_server **out, struct sw_error *err)
{
    struct sw_server *srv = sw_calloc(1, sizeof(*srv));
    char host[256];
    int port = 0, rc;
    struct sw_catalog *cat = NULL;
    *out = NULL;
    srv->set = set;
    srv->started_ms = sw_clock_now_ms();
    srv->config.export_dir = set->export_dir;
    srv->config.alert_webhook = set->alert_webhook;
    srv->config.smtp_url = set->smtp_url;
    srv->config.smtp_connections = set->smtp_connections;
    srv->config.smtp_no_pipelining = set->smtp_no_pipelining;
    srv->config.send_window_rows = set->send_window_rows;
    srv->config.frequency_cap = set->frequency_cap;
    srv->config.sms_url = set->sms_url;
    srv->config.push_url = set->push_url;
    srv->config.http_connections = set->http_connections;
    srv->config.smtp_rate = set->smtp_rate;
    srv->config.sms_rate = set->sms_rate;
    srv->config.push_rate = set->push_rate;
    srv->config.list_unsubscribe = set->list_unsubscribe;
    srv->config.public_url = set->public_url && *set->public_url ? set->public_url : NULL;
    srv->config.keyring = &srv->keyring;
    sw_svc_init(&srv->svc);
    srv->svc.config = &srv->config;
    srv->svc.schema = svc_schema;
    srv->svc.refresh = svc_refresh;
    srv->svc.notify = svc_notify;
    srv->svc.ud = srv;
    if (jobs) {
        srv->jobs = *jobs;
    }
    pthread_mutex_init(&srv->schema_lock, NULL);
    pthread_mutex_init(&srv->refresh_lock, NULL);
    if (parse_listen(set->listen, host, sizeof(host), &port) < 0) {
        rc = sw_error_set(err, SW_EUSAGE, "--listen: expected HOST:PORT, got \"%s\"",
                          set->listen ? set->listen : "");
        goto fail;
    }
    struct sw_frequency_caps caps;
    if (set->frequency_cap && *set->frequency_cap &&
        (rc = sw_frequency_caps_parse(set->frequency_cap, &caps, err)) < 0) {
        goto fail;
    }
    if ((rc = pool_open(&srv->pool, set->data, set->http_threads + 1, err)) < 0) {
        goto fail;
    }
    /* Migrate first, then learn the schema (which skips the catalog's own tables). */
    if ((rc = sw_catalog_open(srv->pool.conns[0], &cat, err)) < 0) {
        goto fail;
    }
    sw_catalog_free(cat);
    if ((rc = sw_keyring_load(srv->pool.conns[0], &srv->keyring, true, err)) < 0) {
        goto fail;
    }
    if ((rc = sw_server_discover(srv, srv->pool.conns[0], NULL, &srv->schema, err)) < 0) {
        goto fail;
    }
    srv->schema_cookie = sw_db_schema_cookie(srv->pool.conns[0]);
    /* A simulation runs inside the request that asked for it: one that a crash cut short
     * has nobody left to report to. */
    struct sw_catalog boot = {srv->pool.conns[0]};
    sw_catalog_runs_fail_interrupted_simulations(&boot, NULL);
    if ((rc = sw_events_start(srv, &srv->events, err)) < 0) {
        goto fail;
    }
    if (srv->jobs.start) {
        srv->jobs_started = true; /* stopped even when starting failed half-way */
        if ((rc = srv->jobs.start(srv->jobs.ud, &srv->svc, err)) < 0) {
            goto fail;
        }
    }
    struct sw_http_opts ho = {
        .host = host,
        .port = port,
        .threads = set->http_threads,
        .max_body = set->max_body,
        .timeout_s = 30,
        .handler = sw_api_dispatch,
        .ud = srv,
    };
    if ((rc = sw_http_start(&ho, &srv->http, err)) < 0) {
        goto fail;
    }
    if (set->public_listen && *set->public_listen) {
        char phost[256];
        int pport = 0;
        if (parse_listen(set->public_listen, phost, sizeof(phost), &pport) < 0) {
            rc = sw_error_set(err, SW_EUSAGE, "--public-listen: expected HOST:PORT, got \"%s\"",
                              set->public_listen);
            goto fail;
        }
        struct sw_http_opts po = {
            .host = phost,
            .port = pport,
            .threads = 2,
            .max_body = 4096, /* a one-click POST is a few bytes */
            .timeout_s = 10,
            .handler = sw_public_dispatch,
            .ud = srv,
        };
        if ((rc = sw_recorder_start(set->data, &srv->recorder, err)) < 0 ||
            (rc = sw_http_start(&po, &srv->public_http, err)) < 0) {
            goto fail;
        }
    }
    *out = srv;
    return 0;
fail:
    sw_server_stop(srv);
    return rc;
}

int sw_server_public_port(const struct sw_server *srv)
{
    return srv->public_http ? sw_http_port(srv->public_http) : 0;
}

int sw_server_port(const struct sw_server *srv)
{
    return sw_http_port(srv->http);
}

void sw_server_stop(struct sw_server *srv)
{
    if (!srv) {
        return;
    }
    sw_events_close_feeds(srv->events); /* no suspended connection may outlive the server */
    sw_http_stop(srv->http);
    sw_http_stop(srv->public_http);
    sw_recorder_stop(srv->recorder); /* after the listener: it records what was queued */
    sw_svc_shutdown(&srv->svc);
    if (srv->jobs_started) {
        srv->jobs.stop(srv->jobs.ud);
    }
    sw_events_stop(srv->events); /* after the workers: they notify it */
    srv->events = NULL;
    pool_close(&srv->pool);
    sw_schema_free(srv->schema);
    sw_svc_release(&srv->svc);
    pthread_mutex_destroy(&srv->schema_lock);
    pthread_mutex_destroy(&srv->refresh_lock);
    free(srv);
}
