/*
 * schedule.h - when a campaign runs: the pure time arithmetic of a campaign's "schedule"
 * (SPEC §2) in its "timezone", with no threads and no database. The daemon's scheduler loop
 * stores next_run_at and asks this module for the next tick, for the catch-up decision after
 * downtime, and for the preview of GET /campaigns/{id}/schedule/preview (SPEC §4).
 *
 * Kinds: absent/null = manual only (NONE); {"signal": true} = API trigger or another campaign's
 * end activity (SIGNAL, no ticks); {"at": "..."} once (AT); {"rrule": "...", "start", "until"}
 * recurring per RFC 5545 §3.3.10, expanded by libical (RRULE); {"cron": "m h dom mon dow"}
 * (CRON). start/until bound RRULE and cron schedules (until is inclusive).
 *
 * Wall-clock rules (all kinds are evaluated in the campaign time zone, NULL or "UTC" = UTC):
 * - at/start/until without an offset are local times of the campaign time zone; with "Z" or
 *   "+HH:MM" they are instants.
 * - RRULE and cron ticks are local wall-clock times, so a 09:00 Europe/Paris weekly run stays
 *   09:00 local across daylight-saving changes (07:00Z in summer, 08:00Z in winter).
 * - A local time that does not exist (the spring-forward gap) runs at the first valid instant
 *   after it, i.e. at the transition (02:30 on the last Sunday of March in Paris runs at
 *   03:00 local = 01:00Z). Several ticks falling in the gap collapse into that one run.
 * - An ambiguous local time (the fall-back hour) runs once, at its first occurrence.
 * - An RRULE without "start" is anchored at 2001-01-01T00:00:00 local (a Monday): the time of
 *   day comes from BYHOUR/BYMINUTE/BYSECOND (midnight otherwise), FREQ=WEEKLY without BYDAY
 *   means Mondays, MONTHLY without BYMONTHDAY/BYDAY the 1st, YEARLY January 1st, and
 *   INTERVAL counts from that anchor. COUNT needs an explicit start (counting from a fixed
 *   anchor in 2001 would have used the count up long ago). An UNTIL inside the RRULE is
 *   honoured like "until" (a DATE UNTIL includes that whole local day).
 * - FREQ=SECONDLY and FREQ=MINUTELY are refused (and BYSECOND takes one value) so that a rule
 *   cannot make the daemon run a campaign more than once a minute; cron's "* * * * *" is the
 *   finest schedule.
 * - Cron is Vixie cron evaluated in the time zone at minute granularity: when both day of
 *   month and day of week are restricted (neither field starts with "*"), a day matches when
 *   either matches; 0 and 7 are Sunday; names jan-dec and sun-sat are accepted; "a/n" means
 *   a-max/n.
 *
 * Thread safety: a parsed schedule is immutable and may be used from several threads. libical
 * loads its time zones lazily into global tables, so every zone lookup goes through one mutex.
 */
#ifndef SW_SCHEDULE_H
#define SW_SCHEDULE_H

#include "core/error.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

enum sw_schedule_kind {
    SW_SCHED_NONE,
    SW_SCHED_SIGNAL,
    SW_SCHED_AT,
    SW_SCHED_RRULE,
    SW_SCHED_CRON
};

struct sw_schedule; /* opaque, immutable once parsed */

/* Parse a campaign's "schedule" (an object, or NULL/JSON null = NONE; {"signal": false} is
 * NONE too) with its "timezone" (NULL or "UTC" = UTC). Every problem is appended to err with
 * its JSON path ($.schedule.rrule, $.timezone, ...): unknown fields, not exactly one kind,
 * unknown time zone, invalid RRULE (libical's parse plus ours: FREQ required,
 * SECONDLY/MINUTELY refused, COUNT needs start), bad cron, bad dates, until <= start,
 * start/until on at/signal. Returns 0 with *out set (NULL never), or SW_EVALIDATION with
 * *out NULL. err may be NULL. */
int sw_schedule_parse(const json_t *schedule, const char *zone_name, struct sw_schedule **out,
                      struct sw_error *err);
void sw_schedule_free(struct sw_schedule *s); /* accepts NULL */
enum sw_schedule_kind sw_schedule_kind(const struct sw_schedule *s);

/* The first execution time strictly after after_ms (UTC milliseconds), or 0 when none remains
 * (NONE and SIGNAL never tick; AT ticks once; bounded rules end). Ticks lie after the epoch
 * and before 2500-01-01 (libical 3.0 stops expanding RRULEs in 2582; dates from 2500 on are
 * refused by the parser). */
int64_t sw_schedule_next(const struct sw_schedule *s, int64_t after_ms);

/* The scheduler's rule after downtime. Missed ticks are never replayed one by one. due_ms is
 * the tick that was due (the stored next_run_at) and now_ms the present:
 * - returns true (run once now, a catch-up run) when due_ms <= now_ms and now_ms - due_ms is
 *   less than the schedule's period at that point, i.e. the gap between due_ms and the tick
 *   after it; a daily campaign whose 09:00 tick was missed by 3 hours runs at 12:00, one
 *   missed by 25 hours waits for its next tick;
 * - for a one-shot "at", and for the last tick of a bounded rule (no tick after it, so no
 *   period), the period is taken as 24 hours: a campaign scheduled once is worth running late
 *   the same day, not a week later;
 * - returns false when due_ms is 0 or still in the future, and for NONE and SIGNAL.
 * In every case *next_ms (may be NULL) gets the first tick strictly after now_ms, or 0. */
bool sw_schedule_catch_up(const struct sw_schedule *s, int64_t due_ms, int64_t now_ms,
                          int64_t *next_ms);

/* Up to n upcoming ticks after after_ms as a new JSON array:
 * [{"utc": "2027-03-29T07:00:00Z", "local": "2027-03-29T09:00:00+02:00"}, ...]
 * (empty for NONE and SIGNAL). NULL only when out of memory. */
json_t *sw_schedule_preview(const struct sw_schedule *s, int64_t after_ms, int n);

/* Structural and semantic check of a campaign document's "schedule" and "timezone" for the
 * campaign validator: appends errors with paths to err, keeps nothing. A "timezone" that is
 * not a string is left to the top-level field checks (it is then treated as UTC here). */
void sw_schedule_validate(const json_t *doc, struct sw_error *err);

/* A daily send window [from_min, to_min) in minutes after local midnight of a time zone
 * (NULL or "UTC" = UTC; from > to spans midnight, from == to is the whole day). Returns 1
 * when now_ms is inside it, 0 when outside with *next_open_ms the instant it opens next
 * (a local opening time in a spring-forward gap opens at the change), -1 for an unknown
 * zone. */
int sw_window_check(const char *zone_name, int from_min, int to_min, int64_t now_ms,
                    int64_t *next_open_ms);

#endif
