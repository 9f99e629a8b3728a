/*
 * events.h - the live feed GET /api/v1/events (Server-Sent Events, issue 8 part 4).
 *
 * The feed is the catalog's sw_events journal (catalog/migrate_7_events.c) read in id order:
 * campaign status changes, run status changes, task status changes with their counts (all
 * written by triggers in the transaction of the change), and channel tasks' delivery counts
 * (written here, see below). Each SSE event carries `id:` = the row id, so a client that
 * reconnects with Last-Event-ID gets every row after it, across restarts of the daemon.
 *
 * One thread (the hub) reads new rows, with its own connection: it is woken when this
 * process asks (sw_events_notify) and polls every 250 ms otherwise, which also sees what
 * other processes wrote. It appends the formatted events to each open feed's buffer and
 * resumes the feed's connection. A feed holds no HTTP thread while it waits: its response is
 * a stream (struct sw_http_stream) whose read callback suspends the connection when the
 * buffer is empty. A feed whose buffer passes 1 MiB (a slow reader) stops receiving until it
 * has drained, then catches up from its own cursor with a query: nothing is dropped and
 * memory stays bounded. A comment line every 15 s keeps idle connections (and proxies)
 * alive and lets a vanished client be noticed.
 *
 * Delivery counts: once a second the hub counts the ledger of every channel task that is
 * running (and once more when it stops running) and writes a "delivery" event when the
 * counts differ from the last ones written for that task.
 *
 * Events older than the history_days setting are purged once an hour (the newest row is
 * always kept, so that ids never restart).
 */
#ifndef SW_EVENTS_H
#define SW_EVENTS_H

#include "core/error.h"

struct sw_server;
struct sw_api;
struct sw_events;

int sw_events_start(struct sw_server *srv, struct sw_events **out, struct sw_error *err);
/* End every open feed (their connections are resumed and their streams end) and refuse new
 * ones; waits up to 2 s for libmicrohttpd to let go of them. Call before the HTTP server
 * stops: it must not stop with a suspended connection. Accepts NULL. */
void sw_events_close_feeds(struct sw_events *ev);
/* Stop the hub thread and free everything (after the HTTP server stopped). Accepts NULL. */
void sw_events_stop(struct sw_events *ev);
/* Something was written: look for new events now rather than at the next poll. */
void sw_events_notify(struct sw_events *ev);

/* GET /api/v1/events[?campaign=ID][&run=ID]; Last-Event-ID header (or ?last_event_id=). */
void sw_api_events(struct sw_api *a);

#endif
