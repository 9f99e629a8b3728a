/*
 * schedule.c - campaign schedules (SPEC §2): parse and check the "schedule" object, compute
 * the next tick, decide catch-up runs after downtime and render the preview. RRULEs follow
 * RFC 5545 §3.3.10 and are expanded by libical over floating (local wall-clock) times; we
 * map each local time to an instant ourselves, with the gap and ambiguity rules written in
 * schedule.h, because libical's own local-to-UTC conversion leaves those cases unspecified.
 * Cron expressions are matched here, day by day, in the campaign time zone.
 *
 * Times are UTC milliseconds at the API and whole seconds inside: "wall" seconds are the
 * local civil time of the zone counted as if it were UTC, "utc" seconds are instants.
 */
#include "model/schedule.h"
#include "core/clock.h"
#include "core/util.h"

#include <libical/ical.h>

#include <ctype.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DAY_S  86400LL
#define HOUR_S 3600LL
/* An RRULE without start counts from this local time (a Monday, see schedule.h). */
#define ANCHOR_Y 2001
/* How far a cron walk looks ahead: "0 0 29 2 *" fires every 4 years, 8 around 2100. */
#define CRON_MAX_DAYS (366LL * 9)
/* A bound on libical iterations per call, so that no rule can stall a scheduler thread. */
#define RRULE_MAX_STEPS 2000000
/* The one-shot and last-tick catch-up window (see sw_schedule_catch_up). */
#define ONE_SHOT_WINDOW_MS (24 * HOUR_S * 1000)
/* Schedules end before 2500-01-01T00:00:00Z: libical 3.0 stops expanding RRULEs in 2582,
 * and the bound keeps our arithmetic far from overflow and libical from extending its
 * tables of zone changes without limit. */
#define HORIZON_MS 16725225600000LL

struct cron {
    uint64_t minute; /* bit m for m in 0..59 */
    uint32_t hour;   /* bit h, 0..23 */
    uint32_t dom;    /* bit d, 1..31 */
    uint32_t month;  /* bit m, 1..12 */
    uint32_t dow;    /* bit d, 0..6 (Sunday = 0) */
    bool dom_star, dow_star;
};

struct sw_schedule {
    enum sw_schedule_kind kind;
    icaltimezone *zone; /* NULL = UTC; builtin zones live as long as the process */
    int64_t at_ms;
    int64_t start_ms; /* INT64_MIN when absent */
    int64_t until_ms; /* inclusive; INT64_MAX when absent */
    bool has_count;
    struct icaltimetype dtstart;    /* floating local DTSTART */
    struct icalrecurrencetype rule; /* its UNTIL moved into until_ms */
    struct cron cron;
};

/* libical fills its time zone tables lazily and extends each zone's list of changes on
 * demand, without locking in every build we may meet; the daemon asks from several
 * threads, so every call that touches a zone goes through this lock. */
static pthread_mutex_t zone_lock = PTHREAD_MUTEX_INITIALIZER;

struct ctx {
    struct sw_error *err;
    int nerr;
};

static void bad(struct ctx *c, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void bad(struct ctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sw_error_vadd(c->err, path, fmt, ap);
    va_end(ap);
    c->nerr++;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static struct icaltimetype ical_from_secs(int64_t secs)
{
    struct icaltimetype t = icaltime_null_time();
    sw_clock_civil(secs * 1000, &t.year, &t.month, &t.day, &t.hour, &t.minute, &t.second);
    return t;
}

static int64_t secs_from_ical(struct icaltimetype t)
{
    return sw_clock_from_civil(t.year, t.month, t.day, t.hour, t.minute, t.second) / 1000;
}

/* ---- time zones ---- */

/* IANA names only: this keeps odd strings (paths with "..", spaces) away from libical, which
 * turns the name into a file name under the system zoneinfo directory. */
static bool zone_name_ok(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 64 || name[0] == '/' || name[0] == '.' || strstr(name, "..")) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("_+-/", *p)) {
            return false;
        }
    }
    return true;
}

/* 0 with *zone (NULL for UTC), or -1 for an unknown zone. */
static int zone_find(const char *name, icaltimezone **zone)
{
    icaltimezone *z, *utc;
    *zone = NULL;
    if (!name || strcmp(name, "UTC") == 0) {
        return 0;
    }
    if (!zone_name_ok(name)) {
        return -1;
    }
    pthread_mutex_lock(&zone_lock);
    z = icaltimezone_get_builtin_timezone(name);
    utc = icaltimezone_get_utc_timezone();
    pthread_mutex_unlock(&zone_lock);
    if (!z) {
        return -1;
    }
    *zone = z == utc ? NULL : z;
    return 0;
}

/* The zone's UTC offset in seconds at an instant. */
static int zone_offset(icaltimezone *zone, int64_t utc)
{
    int dst = 0, off;
    if (!zone) {
        return 0;
    }
    struct icaltimetype t = ical_from_secs(utc);
    pthread_mutex_lock(&zone_lock);
    off = icaltimezone_get_utc_offset_of_utc_time(zone, &t, &dst);
    pthread_mutex_unlock(&zone_lock);
    return off;
}

static int64_t utc_to_wall(icaltimezone *zone, int64_t utc) { return utc + zone_offset(zone, utc); }

/* The offset of a whole local day starting at wall-clock `day` when no change falls near it.
 * Offsets a day before and two days after agreeing is taken as "no change": real zones never
 * change and change back within three days. */
static bool steady_offset(icaltimezone *zone, int64_t day, int *off)
{
    int a = zone_offset(zone, day - DAY_S), b = zone_offset(zone, day + 2 * DAY_S);
    *off = a;
    return a == b;
}

/* The instant of a local wall-clock time: the first occurrence when it is ambiguous (the
 * fall-back hour), the first valid instant after it when it falls in a gap (spring forward),
 * which is the instant of the change itself. */
static int64_t local_to_utc(icaltimezone *zone, int64_t wall)
{
    if (!zone) {
        return wall;
    }
    int offs[3] = {zone_offset(zone, wall - DAY_S), zone_offset(zone, wall),
                   zone_offset(zone, wall + DAY_S)};
    if (offs[0] == offs[2] && offs[0] == offs[1]) {
        return wall - offs[0];
    }
    int64_t best = INT64_MAX;
    int lo_off = INT_MAX, hi_off = INT_MIN;
    for (int i = 0; i < 3; i++) {
        int64_t u = wall - offs[i];
        if (zone_offset(zone, u) == offs[i] && u < best) {
            best = u;
        }
        lo_off = offs[i] < lo_off ? offs[i] : lo_off;
        hi_off = offs[i] > hi_off ? offs[i] : hi_off;
    }
    if (best != INT64_MAX) {
        return best;
    }
    /* In the gap: before the change the offset is lo_off, so wall - hi_off is still before it
     * and wall - lo_off already after it; find the change by bisection. */
    int64_t lo = wall - hi_off, hi = wall - lo_off;
    int o_lo = zone_offset(zone, lo);
    while (hi - lo > 1) {
        int64_t mid = lo + (hi - lo) / 2;
        if (zone_offset(zone, mid) == o_lo) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    return hi;
}

/* ---- dates ---- */

static bool has_offset(const char *s)
{
    size_t n = strlen(s);
    if (n <= 10) {
        return false; /* a bare date */
    }
    if (s[n - 1] == 'Z' || s[n - 1] == 'z') {
        return true;
    }
    return n >= 16 && (s[n - 6] == '+' || s[n - 6] == '-') && s[n - 3] == ':';
}

/* An ISO-8601 date-time; without an offset it is a local time of the zone. 0 or -1. */
static int parse_when(icaltimezone *zone, const json_t *v, int64_t *ms)
{
    int64_t t;
    if (!json_is_string(v) || sw_clock_parse_iso(json_string_value(v), &t) < 0 || t >= HORIZON_MS) {
        return -1;
    }
    if (has_offset(json_string_value(v))) {
        *ms = t;
        return 0;
    }
    int64_t secs = floor_div(t, 1000);
    *ms = local_to_utc(zone, secs) * 1000 + (t - secs * 1000);
    return 0;
}

/* ---- cron ---- */

struct cron_field {
    const char *name;
    int lo, hi;
    const char *const *names; /* names[i] stands for lo + i, or NULL */
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun", "jul",
                                          "aug", "sep", "oct", "nov", "dec", NULL};
static const char *const dow_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat", NULL};

static const struct cron_field cron_fields[5] = {
    {"minute", 0, 59, NULL},          {"hour", 0, 23, NULL},
    {"day of month", 1, 31, NULL},    {"month", 1, 12, month_names},
    {"day of week", 0, 7, dow_names},
};

/* One number or name at *pp; 0 or -1. */
static int cron_value(const char **pp, const struct cron_field *f, int *out)
{
    const char *p = *pp;
    if (isdigit((unsigned char)*p)) {
        int v = 0;
        while (isdigit((unsigned char)*p)) {
            if (v > 1000) {
                return -1;
            }
            v = v * 10 + (*p++ - '0');
        }
        *pp = p;
        *out = v;
        return 0;
    }
    for (int i = 0; f->names && f->names[i]; i++) {
        if (strncasecmp(p, f->names[i], 3) == 0) {
            *pp = p + 3;
            *out = f->lo + i;
            return 0;
        }
    }
    return -1;
}

/* Parse one field "a,b-c,*\/n,d-e/n" into bits; on error fills why and returns -1. */
static int cron_field_parse(const char *text, const struct cron_field *f, uint64_t *bits,
                            bool *star, char *why, size_t nwhy)
{
    const char *p = text;
    *bits = 0;
    *star = text[0] == '*';
    for (;;) {
        int lo, hi, step = 1;
        const char *item = p;
        if (*p == '*') {
            lo = f->lo;
            hi = f->hi;
            p++;
        } else {
            if (cron_value(&p, f, &lo) < 0) {
                (void)snprintf(why, nwhy, "%s: \"%.40s\" is not a number%s", f->name, item,
                               f->names ? " or a name" : "");
                return -1;
            }
            hi = lo;
            if (*p == '-') {
                p++;
                if (cron_value(&p, f, &hi) < 0) {
                    (void)snprintf(why, nwhy, "%s: bad range \"%.40s\"", f->name, item);
                    return -1;
                }
            } else if (*p == '/') {
                hi = f->hi; /* "a/n" is "a-max/n", as in Vixie cron */
            }
        }
        if (*p == '/') {
            p++;
            if (!isdigit((unsigned char)*p) || cron_value(&p, f, &step) < 0 || step < 1 ||
                step > f->hi - f->lo + 1) {
                (void)snprintf(why, nwhy, "%s: bad step in \"%.40s\"", f->name, item);
                return -1;
            }
        }
        if (*p != ',' && *p != '\0') {
            (void)snprintf(why, nwhy, "%s: unexpected \"%c\" in \"%.40s\"", f->name, *p, item);
            return -1;
        }
        if (lo < f->lo || hi > f->hi || lo > hi) {
            (void)snprintf(why, nwhy, "%s: \"%.*s\" is out of range %d-%d", f->name,
                           (int)(p - item), item, f->lo, f->hi);
            return -1;
        }
        for (int v = lo; v <= hi; v += step) {
            *bits |= 1ULL << (f->hi == 7 && v == 7 ? 0 : v); /* 7 is Sunday too */
        }
        if (*p == '\0') {
            return 0;
        }
        p++;
    }
}

static int days_in_month(int m)
{
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return days[m - 1]; /* February as in a leap year: "29 2" is rare, not impossible */
}

static void parse_cron(struct ctx *c, struct cron *cr, const json_t *v)
{
    static const char *path = "$.schedule.cron";
    char fields[5][64];
    int n = 0;
    const char *p = json_is_string(v) ? json_string_value(v) : NULL;
    if (p) {
        while (*p) {
            while (*p == ' ' || *p == '\t') {
                p++;
            }
            if (!*p) {
                break;
            }
            size_t len = strcspn(p, " \t");
            if (n == 5 || len >= sizeof(fields[0])) {
                n = 6;
                break;
            }
            memcpy(fields[n], p, len);
            fields[n++][len] = '\0';
            p += len;
        }
    }
    if (!p || n != 5) {
        bad(c, path, "must be a cron expression \"m h dom mon dow\" (five fields)");
        return;
    }
    uint64_t bits[5];
    bool star[5];
    for (int i = 0; i < 5; i++) {
        char why[160];
        if (cron_field_parse(fields[i], &cron_fields[i], &bits[i], &star[i], why, sizeof(why)) <
            0) {
            bad(c, path, "%s", why);
            return;
        }
    }
    cr->minute = bits[0];
    cr->hour = (uint32_t)bits[1];
    cr->dom = (uint32_t)bits[2];
    cr->month = (uint32_t)bits[3];
    cr->dow = (uint32_t)bits[4];
    cr->dom_star = star[2];
    cr->dow_star = star[4];
    if (cr->dom_star || cr->dow_star) {
        /* Days must then match the day of month in one of the months: "0 0 31 2 *" never
         * fires, and walking years to find that out would stall the scheduler. */
        bool any = false;
        for (int m = 1; m <= 12 && !any; m++) {
            for (int d = 1; d <= days_in_month(m) && !any; d++) {
                any = (cr->month >> m & 1) && (cr->dom >> d & 1);
            }
        }
        if (!any) {
            bad(c, path, "never matches: no selected month has that day");
        }
    }
}

static int64_t cron_next(const struct sw_schedule *s, int64_t lower_ms)
{
    const struct cron *cr = &s->cron;
    int64_t lower = floor_div(lower_ms, 1000);
    /* Start a little more than a day back in wall-clock time: no offset change is larger. */
    int64_t day0 = floor_div(utc_to_wall(s->zone, lower) - 26 * HOUR_S, DAY_S);
    for (int64_t d = day0; d < day0 + CRON_MAX_DAYS; d++) {
        int y, mo, dd, h, mi, sec;
        sw_clock_civil(d * DAY_S * 1000, &y, &mo, &dd, &h, &mi, &sec);
        int dow = (int)(((d % 7) + 11) % 7); /* 1970-01-01 was a Thursday */
        if (!(cr->month >> mo & 1)) {
            continue;
        }
        bool dom_ok = cr->dom >> dd & 1, dow_ok = cr->dow >> dow & 1;
        /* Vixie cron: with both day fields restricted, either one selects the day. */
        bool day_ok = (cr->dom_star || cr->dow_star) ? dom_ok && dow_ok : dom_ok || dow_ok;
        if (!day_ok) {
            continue;
        }
        int off;
        bool steady = steady_offset(s->zone, d * DAY_S, &off);
        for (int hh = 0; hh < 24; hh++) {
            if (!(cr->hour >> hh & 1)) {
                continue;
            }
            for (int mm = 0; mm < 60; mm++) {
                if (!(cr->minute >> mm & 1)) {
                    continue;
                }
                int64_t wall = d * DAY_S + hh * HOUR_S + mm * 60LL;
                int64_t u = steady ? wall - off : local_to_utc(s->zone, wall);
                if (u * 1000 > s->until_ms || u * 1000 >= HORIZON_MS) {
                    return 0; /* ticks only grow from here */
                }
                if (u * 1000 > lower_ms) {
                    return u * 1000;
                }
            }
        }
    }
    return 0;
}

/* ---- RRULE ---- */

static int count_by(const short *a, int size)
{
    int n = 0;
    while (n < size && a[n] != ICAL_RECURRENCE_ARRAY_MAX) {
        n++;
    }
    return n;
}

/* Parse the rule; its UNTIL (if any) becomes *until_ms. */
static void parse_rrule(struct ctx *c, struct sw_schedule *s, const json_t *v, int64_t *until_ms)
{
    static const char *path = "$.schedule.rrule";
    const char *text = json_is_string(v) ? json_string_value(v) : NULL;
    if (!text || !strstr(text, "FREQ=")) {
        bad(c, path, "must be an RFC 5545 RRULE with FREQ= (e.g. FREQ=WEEKLY;BYDAY=MO;BYHOUR=9)");
        return;
    }
    if (strstr(text, "RSCALE=") || strstr(text, "SKIP=")) {
        bad(c, path, "RSCALE and SKIP (RFC 7529) are not supported");
        return;
    }
    struct icalrecurrencetype r = icalrecurrencetype_from_string(text);
    if (r.freq == ICAL_NO_RECURRENCE) {
        bad(c, path, "not a valid RFC 5545 RRULE");
        return;
    }
    if (r.freq == ICAL_SECONDLY_RECURRENCE || r.freq == ICAL_MINUTELY_RECURRENCE) {
        bad(c, path, "FREQ=%s is refused: the shortest period is HOURLY (cron runs every minute)",
            r.freq == ICAL_SECONDLY_RECURRENCE ? "SECONDLY" : "MINUTELY");
        return;
    }
    if (count_by(r.by_second, ICAL_BY_SECOND_SIZE) > 1) {
        bad(c, path, "BYSECOND takes a single value (at most one run a minute)");
        return;
    }
    if (!icaltime_is_null_time(r.until)) {
        struct icaltimetype u = r.until;
        if (u.is_date) {
            u.hour = 23; /* a DATE UNTIL includes its whole local day */
            u.minute = 59;
            u.second = 59;
        }
        int64_t secs = secs_from_ical(u);
        if (secs >= HORIZON_MS / 1000) {
            secs = HORIZON_MS / 1000; /* no zone arithmetic beyond the horizon */
        }
        *until_ms = (icaltime_is_utc(r.until) ? secs : local_to_utc(s->zone, secs)) * 1000;
        r.until = icaltime_null_time(); /* DTSTART is floating, so libical must not compare */
    }
    s->has_count = r.count > 0;
    s->rule = r;
    s->kind = SW_SCHED_RRULE;
}

/* A DTSTART moved forward by whole periods, as close to wall-clock `target` as possible:
 * the recurrence set after the new DTSTART is the same, so next() need not walk every
 * occurrence since 2001. libical 3.0's icalrecur_iterator_set_start() would do this but
 * loses the INTERVAL alignment of HOURLY rules, so we shift DTSTART ourselves. Months and
 * years shift only when the day of month exists in every month; COUNT needs the walk. */
static struct icaltimetype rrule_shift(const struct sw_schedule *s, int64_t target)
{
    struct icaltimetype dt = s->dtstart;
    int64_t from = secs_from_ical(dt);
    int64_t interval = s->rule.interval > 1 ? s->rule.interval : 1;
    int64_t unit = 0;
    if (s->has_count || target <= from) {
        return dt;
    }
    switch (s->rule.freq) {
    case ICAL_HOURLY_RECURRENCE:
        unit = HOUR_S * interval;
        break;
    case ICAL_DAILY_RECURRENCE:
        unit = DAY_S * interval;
        break;
    case ICAL_WEEKLY_RECURRENCE:
        unit = 7 * DAY_S * interval;
        break;
    case ICAL_MONTHLY_RECURRENCE:
    case ICAL_YEARLY_RECURRENCE: {
        if (dt.day > 28) {
            return dt;
        }
        int y, mo, d, h, mi, sec;
        sw_clock_civil(target * 1000, &y, &mo, &d, &h, &mi, &sec);
        int64_t months = (int64_t)(y - dt.year) * 12 + (mo - dt.month) - 1;
        int64_t step = s->rule.freq == ICAL_MONTHLY_RECURRENCE ? interval : 12 * interval;
        int64_t k = months / step;
        if (k > 0) {
            int64_t total = (int64_t)dt.year * 12 + (dt.month - 1) + k * step;
            dt.year = (int)(total / 12);
            dt.month = (int)(total % 12) + 1;
        }
        return dt;
    }
    default:
        return dt;
    }
    return ical_from_secs(from + (target - from) / unit * unit);
}

static int64_t rrule_next(const struct sw_schedule *s, int64_t lower_ms)
{
    int64_t found = 0;
    /* two days of wall-clock margin cover any UTC offset */
    int64_t target = utc_to_wall(s->zone, floor_div(lower_ms, 1000)) - 2 * DAY_S;
    icalrecur_iterator *it = icalrecur_iterator_new(s->rule, rrule_shift(s, target));
    if (!it) {
        return 0;
    }
    for (long i = 0; i < RRULE_MAX_STEPS; i++) {
        struct icaltimetype x = icalrecur_iterator_next(it);
        if (icaltime_is_null_time(x)) {
            break;
        }
        int64_t wall = secs_from_ical(x);
        if (wall < target) {
            continue; /* a COUNT rule walking up from DTSTART: far before the bound */
        }
        int64_t u = local_to_utc(s->zone, wall) * 1000;
        if (u > s->until_ms || u >= HORIZON_MS) {
            break;
        }
        if (u > lower_ms) {
            found = u;
            break;
        }
    }
    icalrecur_iterator_free(it);
    return found;
}

/* ---- parse ---- */

static bool key_is(const char *k, const char *name) { return strcmp(k, name) == 0; }

int sw_schedule_parse(const json_t *schedule, const char *zone_name, struct sw_schedule **out,
                      struct sw_error *err)
{
    struct ctx c = {err, 0};
    struct sw_schedule *s = sw_calloc(1, sizeof(*s));
    int kinds = 0;
    const json_t *start = NULL, *until = NULL;
    int64_t rule_until = INT64_MAX;

    *out = NULL;
    s->kind = SW_SCHED_NONE;
    s->start_ms = INT64_MIN;
    s->until_ms = INT64_MAX;
    if (zone_find(zone_name, &s->zone) < 0) {
        /* Reported once; the schedule is still checked, in UTC, to list every error. */
        bad(&c, "$.timezone",
            "unknown time zone \"%s\" (expected an IANA name such as "
            "Europe/Paris, or UTC)",
            zone_name);
    }
    if (!schedule || json_is_null(schedule)) {
        goto out;
    }
    if (!json_is_object(schedule)) {
        bad(&c, "$.schedule", "must be an object or null");
        goto out;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)schedule, k, v)
    {
        char path[256];
        (void)snprintf(path, sizeof(path), "$.schedule.%s", k);
        if (key_is(k, "signal")) {
            kinds++;
            if (!json_is_boolean(v)) {
                bad(&c, path, "must be a boolean");
            } else if (json_is_true(v)) {
                s->kind = SW_SCHED_SIGNAL;
            }
        } else if (key_is(k, "at")) {
            kinds++;
            if (parse_when(s->zone, v, &s->at_ms) < 0) {
                bad(&c, path, "must be an ISO-8601 date-time before the year 2500");
            } else {
                s->kind = SW_SCHED_AT;
            }
        } else if (key_is(k, "start") || key_is(k, "until")) {
            int64_t *dst = key_is(k, "start") ? &s->start_ms : &s->until_ms;
            if (parse_when(s->zone, v, dst) < 0) {
                bad(&c, path, "must be an ISO-8601 date-time before the year 2500");
            } else if (key_is(k, "start")) {
                start = v;
            } else {
                until = v;
            }
        } else if (key_is(k, "rrule")) {
            kinds++;
            parse_rrule(&c, s, v, &rule_until);
        } else if (key_is(k, "cron")) {
            kinds++;
            int before = c.nerr;
            parse_cron(&c, &s->cron, v);
            if (c.nerr == before) {
                s->kind = SW_SCHED_CRON;
            }
        } else {
            bad(&c, path, "unknown field \"%s\"", k);
        }
    }
    if (kinds != 1) {
        bad(&c, "$.schedule", "needs exactly one of signal, at, rrule, cron");
        goto out;
    }
    bool recurring = json_object_get(schedule, "rrule") || json_object_get(schedule, "cron");
    if (!recurring && start) {
        bad(&c, "$.schedule.start", "only with rrule or cron");
    }
    if (!recurring && until) {
        bad(&c, "$.schedule.until", "only with rrule or cron");
    }
    if (start && until && s->until_ms <= s->start_ms) {
        bad(&c, "$.schedule.until", "must be after start");
    }
    if (s->kind == SW_SCHED_RRULE) {
        if (rule_until < s->until_ms) {
            s->until_ms = rule_until;
        }
        if (s->has_count && !start) {
            bad(&c, "$.schedule.rrule", "COUNT needs a start (the count begins at start)");
        }
        if (start) {
            s->dtstart = ical_from_secs(utc_to_wall(s->zone, floor_div(s->start_ms, 1000)));
        } else {
            s->dtstart = ical_from_secs(sw_clock_from_civil(ANCHOR_Y, 1, 1, 0, 0, 0) / 1000);
        }
        /* libical refuses some combinations only when it builds an iterator
         * (e.g. BYYEARDAY with FREQ=MONTHLY, BYMONTHDAY=30 with BYMONTH=2). */
        icalrecur_iterator *it = icalrecur_iterator_new(s->rule, s->dtstart);
        if (!it) {
            bad(&c, "$.schedule.rrule",
                "not a valid RFC 5545 RRULE (its parts contradict "
                "each other or never match)");
        } else {
            icalrecur_iterator_free(it);
        }
    }
out:
    if (c.nerr > 0) {
        sw_schedule_free(s);
        return SW_EVALIDATION;
    }
    *out = s;
    return 0;
}

void sw_schedule_free(struct sw_schedule *s) { free(s); }

enum sw_schedule_kind sw_schedule_kind(const struct sw_schedule *s)
{
    return s ? s->kind : SW_SCHED_NONE;
}

int64_t sw_schedule_next(const struct sw_schedule *s, int64_t after_ms)
{
    if (!s || after_ms >= HORIZON_MS) {
        return 0;
    }
    if (after_ms < 0) {
        after_ms = 0; /* ticks come after the epoch: 0 means "none" */
    }
    /* The first tick is the first one at or after start. */
    int64_t lower =
        s->start_ms != INT64_MIN && s->start_ms - 1 > after_ms ? s->start_ms - 1 : after_ms;
    if (lower >= HORIZON_MS) {
        return 0;
    }
    switch (s->kind) {
    case SW_SCHED_AT:
        return s->at_ms > after_ms ? s->at_ms : 0;
    case SW_SCHED_RRULE:
        return rrule_next(s, lower);
    case SW_SCHED_CRON:
        return cron_next(s, lower);
    case SW_SCHED_NONE:
    case SW_SCHED_SIGNAL:
        break;
    }
    return 0;
}

bool sw_schedule_catch_up(const struct sw_schedule *s, int64_t due_ms, int64_t now_ms,
                          int64_t *next_ms)
{
    int64_t next = sw_schedule_next(s, now_ms);
    if (next_ms) {
        *next_ms = next;
    }
    if (!s || due_ms <= 0 || due_ms > now_ms) {
        return false;
    }
    int64_t period = ONE_SHOT_WINDOW_MS;
    switch (s->kind) {
    case SW_SCHED_NONE:
    case SW_SCHED_SIGNAL:
        return false;
    case SW_SCHED_AT:
        break;
    case SW_SCHED_RRULE:
    case SW_SCHED_CRON: {
        int64_t after = sw_schedule_next(s, due_ms);
        if (after > 0) {
            period = after - due_ms;
        }
        break;
    }
    }
    return now_ms - due_ms < period;
}

static void format_local(icaltimezone *zone, int64_t ms, char *out, size_t n)
{
    int64_t secs = floor_div(ms, 1000);
    int off = zone_offset(zone, secs);
    int y, mo, d, h, mi, sec;
    sw_clock_civil((secs + off) * 1000, &y, &mo, &d, &h, &mi, &sec);
    int a = off < 0 ? -off : off;
    (void)snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", y, mo, d, h, mi, sec,
                   off < 0 ? '-' : '+', a / 3600, a % 3600 / 60);
}

json_t *sw_schedule_preview(const struct sw_schedule *s, int64_t after_ms, int n)
{
    json_t *arr = json_array();
    int64_t t = after_ms;
    for (int i = 0; arr && i < n; i++) {
        char utc[32], local[40];
        t = sw_schedule_next(s, t);
        if (t == 0) {
            break;
        }
        sw_clock_format_iso(t, utc, sizeof(utc));
        format_local(s->zone, t, local, sizeof(local));
        if (json_array_append_new(arr, json_pack("{s:s, s:s}", "utc", utc, "local", local)) < 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

void sw_schedule_validate(const json_t *doc, struct sw_error *err)
{
    struct sw_schedule *s = NULL;
    if (!json_is_object(doc)) {
        return;
    }
    const json_t *tz = json_object_get(doc, "timezone");
    (void)sw_schedule_parse(json_object_get(doc, "schedule"),
                            json_is_string(tz) ? json_string_value(tz) : NULL, &s, err);
    sw_schedule_free(s);
}

/* ---- send windows ---- */

int sw_window_check(const char *zone_name, int from_min, int to_min, int64_t now_ms,
                    int64_t *next_open_ms)
{
    icaltimezone *zone = NULL;
    *next_open_ms = 0;
    if (zone_find(zone_name, &zone) < 0) {
        return -1;
    }
    if (from_min == to_min) {
        return 1; /* the whole day */
    }
    int64_t now = floor_div(now_ms, 1000);
    int64_t wall = utc_to_wall(zone, now);
    int64_t day = floor_div(wall, DAY_S) * DAY_S;
    int min = (int)((wall - day) / 60);
    bool open = from_min < to_min ? (min >= from_min && min < to_min)
                                  : (min >= from_min || min < to_min);
    if (open) {
        return 1;
    }
    /* The next local from_min: today's if it is still ahead, else tomorrow's. */
    for (int k = 0; k < 3; k++) {
        int64_t u = local_to_utc(zone, day + (int64_t)k * DAY_S + (int64_t)from_min * 60);
        if (u > now) {
            *next_open_ms = u * 1000;
            return 0;
        }
    }
    *next_open_ms = (now + DAY_S) * 1000; /* not reached: a day later at worst */
    return 0;
}
