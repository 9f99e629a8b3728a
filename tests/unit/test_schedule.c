/*
 * test_schedule.c - campaign schedules (src/model/schedule.c): RRULE (RFC 5545) ticks as
 * local wall-clock times across daylight-saving changes, cron in a time zone with Vixie's
 * day-of-month/day-of-week OR rule, one-shot `at`, start/until/COUNT bounds, the spring-forward
 * gap and the fall-back ambiguity, the catch-up decision after downtime, the preview format
 * and every validation error path.
 *
 * Expected instants were worked out independently of the code under test (Python's zoneinfo
 * over the same IANA data): e.g. Monday 2027-03-22 09:00 Paris = 08:00Z (CET), Monday
 * 2027-03-29 09:00 Paris = 07:00Z (CEST; the change is on Sunday 2027-03-28 at 01:00Z).
 */
#include "testutil.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"
#include "model/schedule.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define H (3600 * 1000LL)

static int64_t T(const char *iso)
{
    int64_t ms = 0;
    if (sw_clock_parse_iso(iso, &ms) != 0) {
        fail_msg("bad test time %s", iso);
    }
    return ms;
}

/* Parse a schedule written with single quotes; fails the test on error. */
static struct sw_schedule *sched(const char *json, const char *tz)
{
    char *text = sw_strdup(json);
    for (char *p = text; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    json_error_t jerr;
    json_t *j = json_loads(text, 0, &jerr);
    free(text);
    if (!j) {
        fail_msg("bad test JSON %s: %s", json, jerr.text);
    }
    struct sw_error err = SW_ERROR_INIT;
    struct sw_schedule *s = NULL;
    int rc = sw_schedule_parse(j, tz, &s, &err);
    if (rc != 0) {
        tu_print_error(&err);
        fail_msg("sw_schedule_parse(%s) failed", json);
    }
    json_decref(j);
    sw_error_release(&err);
    return s;
}

static void expect_next(const struct sw_schedule *s, const char *after, const char *want)
{
    int64_t got = sw_schedule_next(s, T(after));
    int64_t exp = want ? T(want) : 0;
    if (got != exp) {
        char buf[32] = "0";
        if (got) {
            sw_clock_format_iso(got, buf, sizeof(buf));
        }
        fail_msg("next after %s: got %s, want %s", after, buf, want ? want : "0");
    }
}

/* Chain next() from `after`, expecting exactly the listed ticks and then `then` (NULL = 0). */
static void expect_chain(const struct sw_schedule *s, const char *after, const char *const *ticks,
                         size_t n)
{
    const char *prev = after;
    for (size_t i = 0; i < n; i++) {
        expect_next(s, prev, ticks[i]);
        prev = ticks[i];
    }
}

static void test_kinds(void **state)
{
    (void)state;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_schedule *s = NULL;
    assert_int_equal(sw_schedule_parse(NULL, NULL, &s, &err), 0);
    assert_int_equal(sw_schedule_kind(s), SW_SCHED_NONE);
    assert_int_equal(sw_schedule_next(s, 0), 0);
    sw_schedule_free(s);
    json_t *null = json_null();
    assert_int_equal(sw_schedule_parse(null, "UTC", &s, &err), 0);
    assert_int_equal(sw_schedule_kind(s), SW_SCHED_NONE);
    sw_schedule_free(s);
    json_decref(null);
    assert_int_equal(err.ndetails, 0);

    s = sched("{'signal': true}", "Europe/Paris");
    assert_int_equal(sw_schedule_kind(s), SW_SCHED_SIGNAL);
    assert_int_equal(sw_schedule_next(s, 0), 0);
    sw_schedule_free(s);
    s = sched("{'signal': false}", NULL);
    assert_int_equal(sw_schedule_kind(s), SW_SCHED_NONE);
    sw_schedule_free(s);
    s = sched("{'at': '2027-05-01T10:00:00'}", "America/New_York");
    assert_int_equal(sw_schedule_kind(s), SW_SCHED_AT);
    sw_schedule_free(s);
    s = sched("{'rrule': 'FREQ=DAILY'}", NULL);
    assert_int_equal(sw_schedule_kind(s), SW_SCHED_RRULE);
    sw_schedule_free(s);
    s = sched("{'cron': '0 9 * * 1'}", "UTC");
    assert_int_equal(sw_schedule_kind(s), SW_SCHED_CRON);
    sw_schedule_free(s);
    sw_schedule_free(NULL);
    assert_int_equal(sw_schedule_kind(NULL), SW_SCHED_NONE);
}

/* The check: a 09:00 Europe/Paris weekly run stays 09:00 local across both changes. */
static void test_rrule_weekly_paris_dst(void **state)
{
    (void)state;
    struct sw_schedule *s = sched("{'rrule': 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', 'start': "
                                  "'2027-03-01T00:00:00', 'until': '2027-12-31T00:00:00'}",
                                  "Europe/Paris");
    /* start is a local midnight that does not match the rule: it is not a tick itself */
    expect_next(s, "2026-01-01T00:00:00Z", "2027-03-01T08:00:00Z");
    static const char *const march[] = {"2027-03-22T08:00:00Z", "2027-03-29T07:00:00Z",
                                        "2027-04-05T07:00:00Z"};
    expect_chain(s, "2027-03-20T00:00:00Z", march, 3);
    static const char *const october[] = {"2027-10-25T07:00:00Z", "2027-11-01T08:00:00Z",
                                          "2027-11-08T08:00:00Z"};
    expect_chain(s, "2027-10-20T00:00:00Z", october, 3);
    /* until 2027-12-31 local: the last Monday is the 27th */
    expect_next(s, "2027-12-21T00:00:00Z", "2027-12-27T08:00:00Z");
    expect_next(s, "2027-12-27T08:00:00Z", NULL);
    sw_schedule_free(s);
}

static void test_rrule_daily_new_york(void **state)
{
    (void)state;
    /* no start: anchored at 2001-01-01 local, time of day from BYHOUR/BYMINUTE */
    struct sw_schedule *s =
        sched("{'rrule': 'FREQ=DAILY;BYHOUR=9;BYMINUTE=30'}", "America/New_York");
    static const char *const spring[] = {"2027-03-13T14:30:00Z", "2027-03-14T13:30:00Z",
                                         "2027-03-15T13:30:00Z"};
    expect_chain(s, "2027-03-13T00:00:00Z", spring, 3);
    static const char *const fall[] = {"2027-11-06T13:30:00Z", "2027-11-07T14:30:00Z"};
    expect_chain(s, "2027-11-06T00:00:00Z", fall, 2);
    /* after is strictly excluded; a millisecond before includes it */
    expect_next(s, "2027-03-14T13:29:59.999Z", "2027-03-14T13:30:00Z");
    sw_schedule_free(s);

    /* the anchor is a Monday, midnight: WEEKLY without BYDAY runs Mondays at 00:00 local */
    s = sched("{'rrule': 'FREQ=WEEKLY'}", "America/New_York");
    expect_next(s, "2027-03-10T00:00:00Z", "2027-03-15T04:00:00Z");
    sw_schedule_free(s);
}

static void test_rrule_bounds_and_count(void **state)
{
    (void)state;
    struct sw_schedule *s = sched("{'rrule': 'FREQ=DAILY;BYHOUR=9', 'start': "
                                  "'2027-06-01T00:00:00', 'until': '2027-06-03T09:00:00'}",
                                  "Europe/Paris");
    /* until is inclusive: 09:00 local on the 3rd is the last tick */
    static const char *const ticks[] = {"2027-06-01T07:00:00Z", "2027-06-02T07:00:00Z",
                                        "2027-06-03T07:00:00Z"};
    expect_chain(s, "2020-01-01T00:00:00Z", ticks, 3);
    expect_next(s, "2027-06-03T07:00:00Z", NULL);
    expect_next(s, "2030-01-01T00:00:00Z", NULL);
    sw_schedule_free(s);

    /* start and until with explicit offsets are instants */
    s = sched("{'rrule': 'FREQ=HOURLY', 'start': '2027-06-01T10:00:00Z', "
              "'until': '2027-06-01T13:00:00+02:00'}",
              "Europe/Paris");
    static const char *const hourly[] = {"2027-06-01T10:00:00Z", "2027-06-01T11:00:00Z"};
    expect_chain(s, "2027-01-01T00:00:00Z", hourly, 2);
    expect_next(s, "2027-06-01T11:00:00Z", NULL);
    sw_schedule_free(s);

    s = sched("{'rrule': 'FREQ=DAILY;COUNT=3;BYHOUR=9', 'start': '2027-06-01'}", NULL);
    static const char *const counted[] = {"2027-06-01T09:00:00Z", "2027-06-02T09:00:00Z",
                                          "2027-06-03T09:00:00Z"};
    expect_chain(s, "2027-01-01T00:00:00Z", counted, 3);
    expect_next(s, "2027-06-03T09:00:00Z", NULL);
    expect_next(s, "2035-01-01T00:00:00Z", NULL);
    sw_schedule_free(s);

    /* an UNTIL inside the RRULE: a UTC date-time, and a DATE (its whole local day) */
    s = sched("{'rrule': 'FREQ=DAILY;BYHOUR=9;UNTIL=20270602T070000Z', 'start': '2027-06-01'}",
              "Europe/Paris");
    expect_chain(s, "2027-01-01T00:00:00Z", ticks, 2);
    expect_next(s, "2027-06-02T07:00:00Z", NULL);
    sw_schedule_free(s);
    s = sched("{'rrule': 'FREQ=DAILY;BYHOUR=23;UNTIL=20270602', 'start': '2027-06-01'}",
              "Europe/Paris");
    static const char *const late[] = {"2027-06-01T21:00:00Z", "2027-06-02T21:00:00Z"};
    expect_chain(s, "2027-01-01T00:00:00Z", late, 2);
    expect_next(s, "2027-06-02T21:00:00Z", NULL);
    sw_schedule_free(s);
}

/* Jumping the libical iterator near `after` must give what walking from DTSTART gives (a
 * COUNT rule always walks, so a huge COUNT is the reference). */
static void test_rrule_jump_matches_walk(void **state)
{
    (void)state;
    static const char *const rules[] = {
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR;BYHOUR=9",
        "FREQ=MONTHLY;INTERVAL=5;BYMONTHDAY=31;BYHOUR=6;BYMINUTE=15",
        "FREQ=HOURLY;INTERVAL=7",
        "FREQ=MONTHLY;BYDAY=-1FR;BYHOUR=18",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYHOUR=12",
        "FREQ=DAILY;INTERVAL=3;BYHOUR=2;BYMINUTE=30",
        "FREQ=HOURLY;INTERVAL=5;BYMINUTE=0,20,40;BYDAY=MO,WE",
        "FREQ=WEEKLY;INTERVAL=3;BYDAY=SU,SA;BYHOUR=8,20",
        "FREQ=MONTHLY;INTERVAL=7;BYDAY=2TU",
        "FREQ=YEARLY;INTERVAL=2;BYMONTH=3,10;BYDAY=-1SU;BYHOUR=2;BYMINUTE=30",
        "FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU,WE,TH,FR",
    };
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        char *a = sw_asprintf("{'rrule': '%s', 'start': '2024-05-06T00:00:00'}", rules[i]);
        char *b =
            sw_asprintf("{'rrule': '%s;COUNT=100000', 'start': '2024-05-06T00:00:00'}", rules[i]);
        struct sw_schedule *jump = sched(a, "Europe/Paris");
        struct sw_schedule *walk = sched(b, "Europe/Paris");
        int64_t t = T("2027-03-20T00:00:00Z");
        for (int k = 0; k < 40; k++) {
            int64_t x = sw_schedule_next(jump, t), y = sw_schedule_next(walk, t);
            if (x != y || x == 0) {
                fail_msg("%s: jump %lld walk %lld after %lld", rules[i], (long long)x, (long long)y,
                         (long long)t);
            }
            t = x + 17LL * 60 * 1000 * (k % 3); /* also probe between ticks */
        }
        sw_schedule_free(jump);
        sw_schedule_free(walk);
        free(a);
        free(b);
    }
}

static void test_at_once(void **state)
{
    (void)state;
    struct sw_schedule *s = sched("{'at': '2027-05-01T10:00:00'}", "Europe/Paris");
    expect_next(s, "2027-01-01T00:00:00Z", "2027-05-01T08:00:00Z");
    expect_next(s, "2027-05-01T08:00:00Z", NULL);
    sw_schedule_free(s);
    s = sched("{'at': '2027-05-01T10:00:00Z'}", "Europe/Paris");
    expect_next(s, "2027-01-01T00:00:00Z", "2027-05-01T10:00:00Z");
    sw_schedule_free(s);
    s = sched("{'at': '2027-05-01T10:00:00-04:00'}", "Europe/Paris");
    expect_next(s, "2027-01-01T00:00:00Z", "2027-05-01T14:00:00Z");
    sw_schedule_free(s);
    /* a bare date is local midnight */
    s = sched("{'at': '2027-12-25'}", "America/New_York");
    expect_next(s, "2027-01-01T00:00:00Z", "2027-12-25T05:00:00Z");
    sw_schedule_free(s);
}

static void test_cron_paris_monday(void **state)
{
    (void)state;
    struct sw_schedule *s = sched("{'cron': '0 9 * * 1'}", "Europe/Paris");
    static const char *const ticks[] = {"2027-03-22T08:00:00Z", "2027-03-29T07:00:00Z",
                                        "2027-04-05T07:00:00Z"};
    expect_chain(s, "2027-03-20T00:00:00Z", ticks, 3);
    static const char *const fall[] = {"2027-10-25T07:00:00Z", "2027-11-01T08:00:00Z"};
    expect_chain(s, "2027-10-19T00:00:00Z", fall, 2);
    sw_schedule_free(s);
    /* names, and 7 for Sunday */
    s = sched("{'cron': '0 9 * jan-mar MON'}", "Europe/Paris");
    expect_next(s, "2027-03-30T00:00:00Z", "2028-01-03T08:00:00Z");
    sw_schedule_free(s);
    s = sched("{'cron': '30 6 * * 7'}", NULL);
    expect_next(s, "2027-03-22T00:00:00Z", "2027-03-28T06:30:00Z");
    sw_schedule_free(s);
}

static void test_cron_every_15(void **state)
{
    (void)state;
    struct sw_schedule *s = sched("{'cron': '*/15 * * * *'}", NULL);
    static const char *const ticks[] = {"2027-01-01T10:15:00Z", "2027-01-01T10:30:00Z",
                                        "2027-01-01T10:45:00Z", "2027-01-01T11:00:00Z"};
    expect_chain(s, "2027-01-01T10:07:00Z", ticks, 4);
    expect_next(s, "2027-12-31T23:59:00Z", "2028-01-01T00:00:00Z");
    sw_schedule_free(s);
    s = sched("{'cron': '*/15 * * * *'}", "America/New_York");
    expect_next(s, "2027-07-01T10:59:59Z", "2027-07-01T11:00:00Z");
    sw_schedule_free(s);
    /* lists, ranges and range steps */
    s = sched("{'cron': '5,10-20/5 8-9 * * *'}", NULL);
    static const char *const list[] = {"2027-01-01T08:05:00Z", "2027-01-01T08:10:00Z",
                                       "2027-01-01T08:15:00Z", "2027-01-01T08:20:00Z",
                                       "2027-01-01T09:05:00Z"};
    expect_chain(s, "2027-01-01T07:00:00Z", list, 5);
    expect_next(s, "2027-01-01T09:20:00Z", "2027-01-02T08:05:00Z");
    sw_schedule_free(s);
    /* start/until bound cron too */
    s = sched("{'cron': '0 * * * *', 'start': '2027-01-01T05:30:00', 'until': "
              "'2027-01-01T07:00:00'}",
              NULL);
    static const char *const bounded[] = {"2027-01-01T06:00:00Z", "2027-01-01T07:00:00Z"};
    expect_chain(s, "2026-01-01T00:00:00Z", bounded, 2);
    expect_next(s, "2027-01-01T07:00:00Z", NULL);
    sw_schedule_free(s);
}

static void test_cron_dom_dow(void **state)
{
    (void)state;
    /* both restricted: the 13th OR any Friday (September 2027: Fridays 3, 10, 17, 24; the 13th
     * is a Monday) */
    struct sw_schedule *s = sched("{'cron': '0 12 13 * 5'}", NULL);
    static const char *const either[] = {"2027-09-03T12:00:00Z", "2027-09-10T12:00:00Z",
                                         "2027-09-13T12:00:00Z", "2027-09-17T12:00:00Z",
                                         "2027-09-24T12:00:00Z"};
    expect_chain(s, "2027-09-01T00:00:00Z", either, 5);
    sw_schedule_free(s);
    /* day of week unrestricted: only the 13th */
    s = sched("{'cron': '0 12 13 * *'}", NULL);
    expect_next(s, "2027-09-01T00:00:00Z", "2027-09-13T12:00:00Z");
    expect_next(s, "2027-09-13T12:00:00Z", "2027-10-13T12:00:00Z");
    sw_schedule_free(s);
    /* a day-of-month field starting with "*" counts as unrestricted (Vixie): odd days AND
     * Fridays */
    s = sched("{'cron': '0 12 */2 * fri'}", NULL);
    expect_next(s, "2027-09-01T00:00:00Z", "2027-09-03T12:00:00Z");
    expect_next(s, "2027-09-03T12:00:00Z", "2027-09-17T12:00:00Z");
    sw_schedule_free(s);
    /* rare days: February 29th */
    s = sched("{'cron': '0 0 29 2 *'}", NULL);
    expect_next(s, "2028-03-01T00:00:00Z", "2032-02-29T00:00:00Z");
    sw_schedule_free(s);
}

/* Paris springs forward on 2027-03-28 at 02:00 local (01:00Z): 02:00-02:59 do not exist. It
 * falls back on 2027-10-31 at 03:00 local (01:00Z): 02:00-02:59 happen twice. */
static void test_dst_gap_and_overlap(void **state)
{
    (void)state;
    struct sw_schedule *r = sched("{'rrule': 'FREQ=DAILY;BYHOUR=2;BYMINUTE=30'}", "Europe/Paris");
    struct sw_schedule *c = sched("{'cron': '30 2 * * *'}", "Europe/Paris");
    struct sw_schedule *sv[] = {r, c};
    for (int i = 0; i < 2; i++) {
        /* the gap: runs at the first valid instant after 02:30, 03:00 local */
        static const char *const gap[] = {"2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z",
                                          "2027-03-29T00:30:00Z"};
        expect_chain(sv[i], "2027-03-27T00:00:00Z", gap, 3);
        /* the overlap: once, at the first 02:30 (CEST) */
        static const char *const overlap[] = {"2027-10-30T00:30:00Z", "2027-10-31T00:30:00Z",
                                              "2027-11-01T01:30:00Z"};
        expect_chain(sv[i], "2027-10-30T00:00:00Z", overlap, 3);
    }
    json_t *p = sw_schedule_preview(r, T("2027-03-27T12:00:00Z"), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "local")),
                        "2027-03-28T03:00:00+02:00");
    json_decref(p);
    sw_schedule_free(r);
    sw_schedule_free(c);

    /* every 30 minutes through the repeated hour: no tick runs twice at the same local time,
     * and the repeated 02:00-02:59 (CET) is skipped */
    c = sched("{'cron': '*/30 * * * *'}", "Europe/Paris");
    static const char *const half[] = {"2027-10-31T00:30:00Z", "2027-10-31T02:00:00Z",
                                       "2027-10-31T02:30:00Z"};
    expect_chain(c, "2027-10-31T00:00:00Z", half, 3);
    /* several ticks in the gap collapse into one run at the change */
    static const char *const spring[] = {"2027-03-28T00:30:00Z", "2027-03-28T01:00:00Z",
                                         "2027-03-28T01:30:00Z"};
    expect_chain(c, "2027-03-28T00:00:00Z", spring, 3);
    sw_schedule_free(c);

    /* an `at` inside the gap, and one in the overlap */
    c = sched("{'at': '2027-03-28T02:30:00'}", "Europe/Paris");
    expect_next(c, "2027-01-01T00:00:00Z", "2027-03-28T01:00:00Z");
    sw_schedule_free(c);
    c = sched("{'at': '2027-10-31T02:30:00'}", "Europe/Paris");
    expect_next(c, "2027-01-01T00:00:00Z", "2027-10-31T00:30:00Z");
    sw_schedule_free(c);
    /* New York springs forward at 02:00 local to 03:00 (07:00Z) */
    c = sched("{'at': '2027-03-14T02:15:00'}", "America/New_York");
    expect_next(c, "2027-01-01T00:00:00Z", "2027-03-14T07:00:00Z");
    sw_schedule_free(c);
}

/* Schedules end before the year 2500, far from any overflow; times before 1970 are clamped. */
static void test_horizon(void **state)
{
    (void)state;
    struct sw_schedule *s = sched("{'rrule': 'FREQ=YEARLY;UNTIL=99991231'}", "Europe/Paris");
    expect_next(s, "2498-06-01T00:00:00Z", "2498-12-31T23:00:00Z");
    expect_next(s, "2498-12-31T23:00:00Z", "2499-12-31T23:00:00Z");
    expect_next(s, "2499-12-31T23:00:00Z", NULL);
    assert_int_equal(sw_schedule_next(s, INT64_MAX), 0);
    assert_int_equal(sw_schedule_next(s, INT64_MIN), T("2001-01-01T00:00:00+01:00"));
    sw_schedule_free(s);
    s = sched("{'cron': '* * * * *'}", "America/New_York");
    assert_int_equal(sw_schedule_next(s, INT64_MAX - 1), 0);
    assert_int_equal(sw_schedule_next(s, T("2499-12-31T23:59:00Z")), 0);
    assert_int_equal(sw_schedule_next(s, INT64_MIN), 60 * 1000);
    sw_schedule_free(s);
    s = sched("{'at': '2499-12-31T23:59:59Z'}", NULL);
    assert_int_equal(sw_schedule_next(s, INT64_MIN), T("2499-12-31T23:59:59Z"));
    sw_schedule_free(s);
}

static void test_catch_up(void **state)
{
    (void)state;
    int64_t next = -1;
    struct sw_schedule *s = sched("{'rrule': 'FREQ=DAILY;BYHOUR=9'}", NULL);
    int64_t due = T("2027-06-01T09:00:00Z");
    /* missed by 3 h, less than the 24 h period: one run now, then the next tick */
    assert_true(sw_schedule_catch_up(s, due, due + 3 * H, &next));
    assert_int_equal(next, T("2027-06-02T09:00:00Z"));
    /* missed by 25 h: no replay, wait for the next tick */
    assert_false(sw_schedule_catch_up(s, due, due + 25 * H, &next));
    assert_int_equal(next, T("2027-06-03T09:00:00Z"));
    /* exactly one period late is too late */
    assert_false(sw_schedule_catch_up(s, due, due + 24 * H, &next));
    assert_int_equal(next, T("2027-06-03T09:00:00Z"));
    /* not due yet, or never stored */
    assert_false(sw_schedule_catch_up(s, due, due - 1, &next));
    assert_int_equal(next, due);
    assert_false(sw_schedule_catch_up(s, 0, due, NULL));
    sw_schedule_free(s);

    /* the period is the gap after the missed tick: 15 minutes here */
    s = sched("{'cron': '*/15 * * * *'}", "Europe/Paris");
    due = T("2027-06-01T09:00:00Z");
    assert_true(sw_schedule_catch_up(s, due, due + 14LL * 60 * 1000, &next));
    assert_int_equal(next, T("2027-06-01T09:15:00Z"));
    assert_false(sw_schedule_catch_up(s, due, due + 16LL * 60 * 1000, &next));
    assert_int_equal(next, T("2027-06-01T09:30:00Z"));
    sw_schedule_free(s);

    /* a one-shot runs if missed by less than 24 h; afterwards nothing is left */
    s = sched("{'at': '2027-06-01T09:00:00Z'}", NULL);
    assert_true(sw_schedule_catch_up(s, due, due + 23 * H, &next));
    assert_int_equal(next, 0);
    assert_false(sw_schedule_catch_up(s, due, due + 25 * H, &next));
    assert_int_equal(next, 0);
    sw_schedule_free(s);

    /* the last tick of a bounded rule has no period: the one-shot window applies */
    s = sched("{'rrule': 'FREQ=WEEKLY', 'start': '2027-05-25T09:00:00Z', 'until': "
              "'2027-06-01T09:00:00Z'}",
              NULL);
    assert_true(sw_schedule_catch_up(s, due, due + 23 * H, &next));
    assert_int_equal(next, 0);
    assert_false(sw_schedule_catch_up(s, due, due + 25 * H, &next));
    sw_schedule_free(s);

    s = sched("{'signal': true}", NULL);
    assert_false(sw_schedule_catch_up(s, due, due + 1, &next));
    assert_int_equal(next, 0);
    sw_schedule_free(s);
}

static void test_preview_format(void **state)
{
    (void)state;
    struct sw_schedule *s = sched("{'rrule': 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', "
                                  "'start': '2027-03-01T00:00:00'}",
                                  "Europe/Paris");
    json_t *p = sw_schedule_preview(s, T("2027-03-20T00:00:00Z"), 10);
    assert_non_null(p);
    assert_int_equal(json_array_size(p), 10);
    json_t *want = json_loads("[{\"utc\": \"2027-03-22T08:00:00Z\", \"local\": "
                              "\"2027-03-22T09:00:00+01:00\"},"
                              "{\"utc\": \"2027-03-29T07:00:00Z\", \"local\": "
                              "\"2027-03-29T09:00:00+02:00\"}]",
                              0, NULL);
    assert_true(json_equal(json_array_get(p, 0), json_array_get(want, 0)));
    assert_true(json_equal(json_array_get(p, 1), json_array_get(want, 1)));
    assert_int_equal(json_object_size(json_array_get(p, 9)), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 9), "local")),
                        "2027-05-24T09:00:00+02:00");
    json_decref(want);
    json_decref(p);
    sw_schedule_free(s);

    /* negative offsets; UTC shows +00:00 */
    s = sched("{'cron': '30 9 * * *'}", "America/New_York");
    p = sw_schedule_preview(s, T("2027-01-01T00:00:00Z"), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "utc")),
                        "2027-01-01T14:30:00Z");
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "local")),
                        "2027-01-01T09:30:00-05:00");
    json_decref(p);
    sw_schedule_free(s);
    s = sched("{'at': '2027-01-01T09:00:00'}", "UTC");
    p = sw_schedule_preview(s, T("2026-01-01T00:00:00Z"), 10);
    assert_int_equal(json_array_size(p), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(p, 0), "local")),
                        "2027-01-01T09:00:00+00:00");
    json_decref(p);
    sw_schedule_free(s);
    /* nothing to preview */
    s = sched("{'signal': true}", NULL);
    p = sw_schedule_preview(s, 0, 10);
    assert_int_equal(json_array_size(p), 0);
    json_decref(p);
    sw_schedule_free(s);
}

/* ---- validation ---- */

static void expect_bad(const char *doc, const char *path, const char *needle)
{
    char *text = sw_strdup(doc);
    for (char *p = text; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    json_t *j = json_loads(text, 0, NULL);
    if (!j) {
        fail_msg("bad test JSON %s", doc);
    }
    struct sw_error err = SW_ERROR_INIT;
    sw_schedule_validate(j, &err);
    if (!tu_has_detail(&err, path, needle)) {
        tu_print_error(&err);
        fail_msg("%s: expected %s: ...%s...", doc, path, needle);
    }
    sw_error_release(&err);
    /* the parser reports the same, refuses, and copes without an error record */
    const json_t *tz = json_object_get(j, "timezone");
    struct sw_schedule *s = (struct sw_schedule *)1;
    assert_int_equal(sw_schedule_parse(json_object_get(j, "schedule"),
                                       json_is_string(tz) ? json_string_value(tz) : NULL, &s, NULL),
                     SW_EVALIDATION);
    assert_null(s);
    json_decref(j);
    free(text);
}

static void expect_valid(const char *doc)
{
    char *text = sw_strdup(doc);
    for (char *p = text; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    json_t *j = json_loads(text, 0, NULL);
    struct sw_error err = SW_ERROR_INIT;
    sw_schedule_validate(j, &err);
    if (err.ndetails) {
        tu_print_error(&err);
        fail_msg("%s: unexpected errors", doc);
    }
    json_decref(j);
    free(text);
}

static void test_validation_errors(void **state)
{
    (void)state;
    /* time zones */
    expect_bad("{'timezone': 'Mars/Olympus'}", "$.timezone", "unknown time zone \"Mars/Olympus\"");
    expect_bad("{'timezone': '../../etc/passwd'}", "$.timezone", "unknown time zone");
    expect_bad("{'timezone': 'Europe'}", "$.timezone", "unknown time zone");
    expect_bad("{'timezone': ''}", "$.timezone", "unknown time zone");
    expect_bad("{'timezone': 'Europe/Paris '}", "$.timezone", "unknown time zone");
    /* shape */
    expect_bad("{'schedule': 'daily'}", "$.schedule", "must be an object or null");
    expect_bad("{'schedule': {}}", "$.schedule", "exactly one of signal, at, rrule, cron");
    expect_bad("{'schedule': {'at': '2027-01-01', 'cron': '* * * * *'}}", "$.schedule",
               "exactly one of");
    expect_bad("{'schedule': {'signal': true, 'every': 'day'}}", "$.schedule.every",
               "unknown field \"every\"");
    expect_bad("{'schedule': {'signal': 'yes'}}", "$.schedule.signal", "must be a boolean");
    /* dates */
    expect_bad("{'schedule': {'at': 5}}", "$.schedule.at", "ISO-8601");
    expect_bad("{'schedule': {'at': '2026-02-30T00:00:00'}}", "$.schedule.at", "ISO-8601");
    expect_bad("{'schedule': {'at': '2500-01-01T00:00:00Z'}}", "$.schedule.at",
               "before the year 2500");
    expect_bad("{'schedule': {'rrule': 'FREQ=DAILY', 'start': 'soon'}}", "$.schedule.start",
               "ISO-8601");
    expect_bad("{'schedule': {'rrule': 'FREQ=DAILY', 'until': '2027-13-01'}}", "$.schedule.until",
               "ISO-8601");
    expect_bad("{'schedule': {'rrule': 'FREQ=DAILY', 'start': '2027-06-01', 'until': "
               "'2027-06-01'}}",
               "$.schedule.until", "must be after start");
    expect_bad("{'timezone': 'Europe/Paris', 'schedule': {'cron': '0 9 * * *', 'start': "
               "'2027-06-01T12:00:00', 'until': '2027-06-01T10:00:00Z'}}",
               "$.schedule.until", "must be after start");
    expect_bad("{'schedule': {'at': '2027-06-01', 'start': '2027-05-01'}}", "$.schedule.start",
               "only with rrule or cron");
    expect_bad("{'schedule': {'signal': true, 'until': '2027-05-01'}}", "$.schedule.until",
               "only with rrule or cron");
    /* RRULE */
    expect_bad("{'schedule': {'rrule': 'WEEKLY'}}", "$.schedule.rrule", "FREQ=");
    expect_bad("{'schedule': {'rrule': 7}}", "$.schedule.rrule", "FREQ=");
    expect_bad("{'schedule': {'rrule': 'FREQ=FORTNIGHTLY'}}", "$.schedule.rrule",
               "not a valid RFC 5545 RRULE");
    expect_bad("{'schedule': {'rrule': 'FREQ=DAILY;BYHOUR=25'}}", "$.schedule.rrule",
               "not a valid RFC 5545 RRULE");
    expect_bad("{'schedule': {'rrule': 'FREQ=DAILY;FOO=1'}}", "$.schedule.rrule",
               "not a valid RFC 5545 RRULE");
    expect_bad("{'schedule': {'rrule': 'FREQ=MINUTELY;INTERVAL=5'}}", "$.schedule.rrule",
               "FREQ=MINUTELY is refused");
    expect_bad("{'schedule': {'rrule': 'FREQ=SECONDLY'}}", "$.schedule.rrule",
               "FREQ=SECONDLY is refused");
    expect_bad("{'schedule': {'rrule': 'FREQ=HOURLY;BYSECOND=0,30'}}", "$.schedule.rrule",
               "BYSECOND takes a single value");
    expect_bad("{'schedule': {'rrule': 'FREQ=DAILY;RSCALE=GREGORIAN'}}", "$.schedule.rrule",
               "RSCALE");
    expect_bad("{'schedule': {'rrule': 'FREQ=DAILY;COUNT=3'}}", "$.schedule.rrule",
               "COUNT needs a start");
    expect_bad("{'schedule': {'rrule': 'FREQ=MONTHLY;BYYEARDAY=4'}}", "$.schedule.rrule",
               "contradict");
    expect_bad("{'schedule': {'rrule': 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30'}}", "$.schedule.rrule",
               "never match");
    /* cron */
    expect_bad("{'schedule': {'cron': '* * *'}}", "$.schedule.cron", "m h dom mon dow");
    expect_bad("{'schedule': {'cron': '0 9 * * 1 2026'}}", "$.schedule.cron", "m h dom mon dow");
    expect_bad("{'schedule': {'cron': ['0', '9']}}", "$.schedule.cron", "m h dom mon dow");
    expect_bad("{'schedule': {'cron': '60 9 * * 1'}}", "$.schedule.cron",
               "minute: \"60\" is out of range 0-59");
    expect_bad("{'schedule': {'cron': '0 24 * * 1'}}", "$.schedule.cron", "hour:");
    expect_bad("{'schedule': {'cron': '0 9 0 * 1'}}", "$.schedule.cron", "day of month:");
    expect_bad("{'schedule': {'cron': '0 9 * 13 1'}}", "$.schedule.cron", "month:");
    expect_bad("{'schedule': {'cron': '0 9 * * 8'}}", "$.schedule.cron", "day of week:");
    expect_bad("{'schedule': {'cron': '0 9 * * funday'}}", "$.schedule.cron",
               "not a number or a name");
    expect_bad("{'schedule': {'cron': 'x 9 * * 1'}}", "$.schedule.cron", "minute:");
    expect_bad("{'schedule': {'cron': '*/0 9 * * 1'}}", "$.schedule.cron", "bad step");
    expect_bad("{'schedule': {'cron': '*/x 9 * * 1'}}", "$.schedule.cron", "bad step");
    expect_bad("{'schedule': {'cron': '0 5-1 * * 1'}}", "$.schedule.cron", "out of range");
    expect_bad("{'schedule': {'cron': '0 5- * * 1'}}", "$.schedule.cron", "bad range");
    expect_bad("{'schedule': {'cron': '0 9,,10 * * 1'}}", "$.schedule.cron", "hour:");
    expect_bad("{'schedule': {'cron': '0 9 * * 1#2'}}", "$.schedule.cron", "unexpected \"#\"");
    expect_bad("{'schedule': {'cron': '0 0 31 2,4 *'}}", "$.schedule.cron", "never matches");

    /* every error at once */
    json_t *j = json_loads("{\"timezone\": \"Nowhere/City\", \"schedule\": {\"rrule\": "
                           "\"FREQ=MINUTELY\", \"start\": \"x\", \"cron\": \"* *\"}}",
                           0, NULL);
    struct sw_error err = SW_ERROR_INIT;
    sw_schedule_validate(j, &err);
    assert_true(tu_has_detail(&err, "$.timezone", NULL));
    assert_true(tu_has_detail(&err, "$.schedule.rrule", NULL));
    assert_true(tu_has_detail(&err, "$.schedule.start", NULL));
    assert_true(tu_has_detail(&err, "$.schedule.cron", NULL));
    assert_true(tu_has_detail(&err, "$.schedule", "exactly one"));
    assert_int_equal(err.code, SW_EVALIDATION);
    sw_error_release(&err);
    json_decref(j);

    /* valid documents, including a non-string timezone (left to the top-level checks) */
    expect_valid("{}");
    expect_valid("{'schedule': null, 'timezone': 'UTC'}");
    expect_valid("{'timezone': 42}");
    expect_valid("{'timezone': 'America/New_York', 'schedule': {'cron': '0 9 13 * fri'}}");
    expect_valid("{'timezone': 'Europe/Paris', 'schedule': {'rrule': "
                 "'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', 'start': '2027-03-01T00:00:00', "
                 "'until': '2027-06-01T00:00:00'}}");
    expect_valid("{'schedule': {'at': '2027-01-01T09:00:00+01:00'}}");
    expect_valid("{'schedule': {'rrule': 'BYDAY=MO;FREQ=WEEKLY'}}");
}

/* The daemon asks from several threads; libical's lazy zone loading must not race. */
static void *worker(void *arg)
{
    const char *tz = arg;
    for (int i = 0; i < 20; i++) {
        struct sw_schedule *s = sched("{'cron': '0 9 * * 1'}", tz);
        int64_t n = sw_schedule_next(s, T("2027-03-20T00:00:00Z"));
        sw_schedule_free(s);
        if (n == 0) {
            return (void *)1;
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    (void)state;
    static const char *const zones[] = {"Asia/Tokyo", "Australia/Sydney", "America/Chicago",
                                        "Africa/Cairo"};
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        assert_int_equal(pthread_create(&th[i], NULL, worker, (void *)zones[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        void *rv = NULL;
        pthread_join(th[i], &rv);
        assert_null(rv);
    }
}

/* Send windows (deliver.c): inside, outside, spanning midnight, the whole day, in a time zone
 * with daylight saving time, and an opening time that falls in the spring-forward gap. */
static void test_send_window(void **state)
{
    (void)state;
    int64_t next = 0;
    /* 08:00-20:00 UTC */
    assert_int_equal(sw_window_check(NULL, 480, 1200, T("2026-06-15T12:00:00Z"), &next), 1);
    assert_int_equal(sw_window_check(NULL, 480, 1200, T("2026-06-15T20:00:00Z"), &next), 0);
    assert_int_equal(next, T("2026-06-16T08:00:00Z"));
    assert_int_equal(sw_window_check(NULL, 480, 1200, T("2026-06-15T07:59:59Z"), &next), 0);
    assert_int_equal(next, T("2026-06-15T08:00:00Z"));
    assert_int_equal(sw_window_check("UTC", 480, 1200, T("2026-06-15T08:00:00Z"), &next), 1);
    /* 22:00-06:00 spans midnight */
    assert_int_equal(sw_window_check(NULL, 1320, 360, T("2026-06-15T23:30:00Z"), &next), 1);
    assert_int_equal(sw_window_check(NULL, 1320, 360, T("2026-06-16T05:59:00Z"), &next), 1);
    assert_int_equal(sw_window_check(NULL, 1320, 360, T("2026-06-16T06:00:00Z"), &next), 0);
    assert_int_equal(next, T("2026-06-16T22:00:00Z"));
    /* from == to: always open */
    assert_int_equal(sw_window_check(NULL, 600, 600, T("2026-06-15T03:00:00Z"), &next), 1);
    /* Paris: 08:00 local is 06:00Z in summer, 07:00Z in winter */
    assert_int_equal(sw_window_check("Europe/Paris", 480, 1200, T("2026-06-15T05:30:00Z"), &next), 0);
    assert_int_equal(next, T("2026-06-15T06:00:00Z"));
    assert_int_equal(sw_window_check("Europe/Paris", 480, 1200, T("2026-12-15T06:30:00Z"), &next), 0);
    assert_int_equal(next, T("2026-12-15T07:00:00Z"));
    assert_int_equal(sw_window_check("Europe/Paris", 480, 1200, T("2026-12-15T18:59:00Z"), &next), 1);
    assert_int_equal(sw_window_check("Europe/Paris", 480, 1200, T("2026-12-15T19:00:00Z"), &next), 0);
    assert_int_equal(next, T("2026-12-16T07:00:00Z"));
    /* 02:30 does not exist in Paris on 2026-03-29: the window opens at the change (01:00Z) */
    assert_int_equal(sw_window_check("Europe/Paris", 150, 300, T("2026-03-29T00:30:00Z"), &next), 0);
    assert_int_equal(next, T("2026-03-29T01:00:00Z"));
    /* an unknown zone */
    assert_int_equal(sw_window_check("Mars/Olympus", 480, 1200, T("2026-06-15T12:00:00Z"), &next),
                     -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_rrule_weekly_paris_dst),
        cmocka_unit_test(test_rrule_daily_new_york),
        cmocka_unit_test(test_rrule_bounds_and_count),
        cmocka_unit_test(test_rrule_jump_matches_walk),
        cmocka_unit_test(test_at_once),
        cmocka_unit_test(test_cron_paris_monday),
        cmocka_unit_test(test_cron_every_15),
        cmocka_unit_test(test_cron_dom_dow),
        cmocka_unit_test(test_dst_gap_and_overlap),
        cmocka_unit_test(test_horizon),
        cmocka_unit_test(test_catch_up),
        cmocka_unit_test(test_preview_format),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_send_window),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
