/*
 * clock.c - see clock.h. Civil-date conversion uses Howard Hinnant's days_from_civil
 * algorithm so no libc time function (gmtime, timegm, localtime) is involved.
 */
#include "core/clock.h"
#include "core/error.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A set clock keeps ticking from the time it was set to (an offset from the real clock),
 * so that waits still end; tests get a known "now" without freezing time. */
static int64_t offset_ms;

static int64_t real_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t sw_clock_monotonic_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t sw_clock_now_ms(void)
{
    return real_now() + offset_ms;
}

void sw_clock_set(int64_t ms)
{
    offset_ms = ms ? ms - real_now() : 0;
}

int sw_clock_init_from_env(void)
{
    const char *s = getenv("STEPWISE_NOW");
    int64_t ms;
    if (!s || !*s) {
        return 0;
    }
    if (sw_clock_parse_iso(s, &ms) < 0) {
        return SW_EINVAL;
    }
    sw_clock_set(ms);
    return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t yy = (int64_t)yoe + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned dd = doy - (153 * mp + 2) / 5 + 1;
    const unsigned mm = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (mm <= 2));
    *m = (int)mm;
    *d = (int)dd;
}

int64_t sw_clock_from_civil(int y, int mo, int d, int h, int mi, int s)
{
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    return ((days * 24 + h) * 60 + mi) * 60000LL + (int64_t)s * 1000;
}

void sw_clock_civil(int64_t ms, int *y, int *mo, int *d, int *h, int *mi, int *s)
{
    int64_t secs = ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
    int64_t days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    int64_t rem = secs - days * 86400;
    civil_from_days(days, y, mo, d);
    *h = (int)(rem / 3600);
    *mi = (int)(rem % 3600 / 60);
    *s = (int)(rem % 60);
}

void sw_clock_format_iso(int64_t ms, char *out, size_t n)
{
    int y, mo, d, h, mi, s;
    sw_clock_civil(ms, &y, &mo, &d, &h, &mi, &s);
    snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, s);
}

static int digits(const char *p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)p[i])) {
            return -1;
        }
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) {
        return 29;
    }
    return dm[m - 1];
}

int sw_clock_parse_iso(const char *s, int64_t *ms)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;
    size_t n = strlen(s);
    if (n < 10 || digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) || s[7] != '-' ||
        digits(s + 8, 2, &d)) {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
        return -1;
    }
    const char *p = s + 10;
    if (*p == 'T' || *p == 't' || *p == ' ') {
        p++;
        if (digits(p, 2, &h) || p[2] != ':' || digits(p + 3, 2, &mi)) {
            return -1;
        }
        p += 5;
        if (*p == ':') {
            if (digits(p + 1, 2, &sec)) {
                return -1;
            }
            p += 3;
            if (*p == '.') {
                p++;
                int nd = 0;
                while (isdigit((unsigned char)*p)) {
                    if (nd < 3) {
                        frac = frac * 10 + (*p - '0');
                    }
                    nd++;
                    p++;
                }
                if (nd == 0) {
                    return -1;
                }
                for (; nd < 3; nd++) {
                    frac *= 10;
                }
            }
        }
        if (h > 23 || mi > 59 || sec > 60) {
            return -1;
        }
        if (*p == 'Z' || *p == 'z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int oh, om;
            int sign = *p == '-' ? -1 : 1;
            if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om)) {
                return -1;
            }
            off = sign * (oh * 60 + om);
            p += 6;
        }
    }
    if (*p) {
        return -1;
    }
    *ms = sw_clock_from_civil(y, mo, d, h, mi, sec) + frac - (int64_t)off * 60000;
    return 0;
}

/* One "<number><unit>" with unit in s m h d w y, or "mo" for months. */
static int parse_unit(const char **pp, int64_t *num, char *unit)
{
    const char *p = *pp;
    int64_t v = 0;
    int nd = 0;
    while (isdigit((unsigned char)*p)) {
        if (v > 100000000) {
            return -1;
        }
        v = v * 10 + (*p - '0');
        p++;
        nd++;
    }
    if (!nd) {
        return -1;
    }
    if (p[0] == 'm' && p[1] == 'o') {
        *unit = 'M';
        p += 2;
    } else if (*p && strchr("smhdwy", *p)) {
        *unit = *p++;
    } else {
        return -1;
    }
    *num = v;
    *pp = p;
    return 0;
}

static int64_t unit_ms(char u)
{
    switch (u) {
    case 's':
        return 1000LL;
    case 'm':
        return 60000LL;
    case 'h':
        return 3600000LL;
    case 'd':
        return 86400000LL;
    case 'w':
        return 7 * 86400000LL;
    case 'y':
        return 365 * 86400000LL;
    case 'M':
        return 30 * 86400000LL;
    }
    return 0;
}

/* ISO 8601 durations: PnYnMnWnDTnHnMnS (years 365d, months 30d). */
static int parse_iso_duration(const char *s, int64_t *ms)
{
    const char *p = s + 1;
    int in_time = 0, any = 0;
    int64_t total = 0;
    while (*p) {
        if (*p == 'T') {
            in_time = 1;
            p++;
            continue;
        }
        int64_t v = 0;
        int nd = 0;
        while (isdigit((unsigned char)*p)) {
            if (v > 100000000) {
                return -1;
            }
            v = v * 10 + (*p++ - '0');
            nd++;
        }
        if (!nd) {
            return -1;
        }
        char u = *p++;
        int64_t m;
        switch (u) {
        case 'Y':
            m = in_time ? 0 : unit_ms('y');
            break;
        case 'M':
            m = in_time ? unit_ms('m') : unit_ms('M');
            break;
        case 'W':
            m = in_time ? 0 : unit_ms('w');
            break;
        case 'D':
            m = in_time ? 0 : unit_ms('d');
            break;
        case 'H':
            m = in_time ? unit_ms('h') : 0;
            break;
        case 'S':
            m = in_time ? unit_ms('s') : 0;
            break;
        default:
            return -1;
        }
        if (!m) {
            return -1;
        }
        total += v * m;
        any = 1;
    }
    if (!any) {
        return -1;
    }
    *ms = total;
    return 0;
}

int sw_parse_duration(const char *s, int64_t *ms)
{
    int sign = 1;
    if (!s || !*s) {
        return -1;
    }
    if (*s == '+' || *s == '-') {
        sign = *s == '-' ? -1 : 1;
        s++;
    }
    if (*s == 'P') {
        int64_t v;
        if (parse_iso_duration(s, &v) < 0) {
            return -1;
        }
        *ms = sign * v;
        return 0;
    }
    int64_t num;
    char unit;
    const char *p = s;
    if (parse_unit(&p, &num, &unit) < 0 || *p) {
        return -1;
    }
    *ms = sign * num * unit_ms(unit);
    return 0;
}

int64_t sw_clock_add_months(int64_t ms, int months)
{
    int y, mo, d, h, mi, s;
    int64_t sub = ((ms % 1000) + 1000) % 1000;
    sw_clock_civil(ms, &y, &mo, &d, &h, &mi, &s);
    int total = y * 12 + (mo - 1) + months;
    y = total >= 0 ? total / 12 : -((-total + 11) / 12);
    mo = total - y * 12 + 1;
    if (d > days_in_month(y, mo)) {
        d = days_in_month(y, mo);
    }
    return sw_clock_from_civil(y, mo, d, h, mi, s) + sub;
}

int sw_clock_relative(const char *s, int64_t now_ms, int64_t *out_ms)
{
    int sign = 1;
    if (!s || (*s != '+' && *s != '-')) {
        return -1;
    }
    sign = *s == '-' ? -1 : 1;
    const char *p = s + 1;
    int64_t num;
    char unit;
    if (parse_unit(&p, &num, &unit) < 0 || *p) {
        return -1;
    }
    if (unit == 'y' || unit == 'M') {
        int64_t months = unit == 'y' ? num * 12 : num;
        if (months > 120000) {
            return -1;
        }
        *out_ms = sw_clock_add_months(now_ms, (int)(sign * months));
    } else {
        *out_ms = now_ms + sign * num * unit_ms(unit);
    }
    return 0;
}
