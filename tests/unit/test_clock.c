/*
 * test_clock.c - the clock and date helpers (src/core/clock.c): ISO-8601 parsing with
 * offsets and calendar validation, durations (short and ISO 8601 forms), relative dates
 * with calendar months and years, formatting and round trips.
 *
 * Expected instants are computed by hand from known epoch values (not with the code under
 * test), e.g. 2000-01-01T00:00:00Z = 946684800 s.
 */
#include "testutil.h"

#include "core/clock.h"
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define S 1000LL
#define MIN (60 * S)
#define H (60 * MIN)
#define D (24 * H)

/* 2000-01-01T00:00:00Z */
#define Y2K (946684800LL * S)
/* 2026-03-15T00:00:00Z: 2000-01-01 + 9570 days (26 years incl. 7 leap days + 73 days). */
#define D20260315 (1773532800LL * S)

static int64_t parse_ok(const char *s)
{
    int64_t ms = 0;
    if (sw_clock_parse_iso(s, &ms) != 0) {
        fail_msg("sw_clock_parse_iso(\"%s\") failed", s);
    }
    return ms;
}

static void parse_bad(const char *s)
{
    int64_t ms = 12345;
    if (sw_clock_parse_iso(s, &ms) != -1) {
        fail_msg("sw_clock_parse_iso(\"%s\") accepted (%lld)", s, (long long)ms);
    }
}

static void test_parse_formats(void **state)
{
    (void)state;
    assert_int_equal(parse_ok("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse_ok("1970-01-01"), 0);
    assert_int_equal(parse_ok("2000-01-01T00:00:00Z"), Y2K);
    assert_int_equal(parse_ok("2026-03-15"), D20260315);
    assert_int_equal(parse_ok("2026-03-15T12:34:56Z"), D20260315 + 12 * H + 34 * MIN + 56 * S);
    assert_int_equal(parse_ok("2026-03-15t12:34:56z"), D20260315 + 12 * H + 34 * MIN + 56 * S);
    /* no offset means UTC */
    assert_int_equal(parse_ok("2026-03-15T12:34:56"), D20260315 + 12 * H + 34 * MIN + 56 * S);
    /* a space instead of T */
    assert_int_equal(parse_ok("2026-03-15 12:34:56"), D20260315 + 12 * H + 34 * MIN + 56 * S);
    /* seconds optional */
    assert_int_equal(parse_ok("2026-03-15T12:34"), D20260315 + 12 * H + 34 * MIN);
    assert_int_equal(parse_ok("2026-03-15T12:34Z"), D20260315 + 12 * H + 34 * MIN);
    /* fractions: milliseconds kept, extra digits dropped, short ones scaled */
    assert_int_equal(parse_ok("2026-03-15T00:00:01.789Z"), D20260315 + 1789);
    assert_int_equal(parse_ok("2026-03-15T00:00:01.5"), D20260315 + 1500);
    assert_int_equal(parse_ok("2026-03-15T00:00:01.123456Z"), D20260315 + 1123);
    /* before the epoch */
    assert_int_equal(parse_ok("1969-12-31T23:59:59Z"), -1000);
    assert_int_equal(parse_ok("1969-12-31"), -D);
    /* leap days */
    assert_int_equal(parse_ok("2000-02-29"), Y2K + 59 * D);
    assert_int_equal(parse_ok("2024-02-29"), parse_ok("2024-02-28") + D);
    assert_int_equal(parse_ok("2024-03-01"), parse_ok("2024-02-29") + D);
    assert_int_equal(parse_ok("2023-03-01"), parse_ok("2023-02-28") + D);
    assert_int_equal(parse_ok("2026-12-31T23:59:59Z") + S, parse_ok("2027-01-01"));
}

static void test_parse_offsets(void **state)
{
    (void)state;
    int64_t utc = D20260315 + 12 * H + 34 * MIN + 56 * S;
    /* +02:00 is two hours ahead of UTC: the same wall time is two hours earlier in UTC */
    assert_int_equal(parse_ok("2026-03-15T12:34:56+02:00"), utc - 2 * H);
    assert_int_equal(parse_ok("2026-03-15T12:34:56-05:30"), utc + 5 * H + 30 * MIN);
    assert_int_equal(parse_ok("2026-03-15T12:34:56+00:00"), utc);
    assert_int_equal(parse_ok("2026-03-15T12:34+01:00"), D20260315 + 11 * H + 34 * MIN);
    assert_int_equal(parse_ok("2026-03-15T12:34:56.250+01:00"), utc - H + 250);
    /* crossing midnight backwards */
    assert_int_equal(parse_ok("2026-03-15T01:00:00+03:00"), D20260315 - 2 * H);
    /* the same instant written three ways */
    assert_int_equal(parse_ok("2026-03-15T10:00:00Z"), parse_ok("2026-03-15T12:00:00+02:00"));
    assert_int_equal(parse_ok("2026-03-15T10:00:00Z"), parse_ok("2026-03-15 05:00:00-05:00"));
}

static void test_parse_invalid(void **state)
{
    (void)state;
    /* impossible calendar dates */
    parse_bad("2026-02-30");
    parse_bad("2026-02-29"); /* 2026 is not a leap year */
    parse_bad("1900-02-29"); /* centuries are not leap years unless divisible by 400 */
    parse_bad("2026-04-31");
    parse_bad("2026-13-01");
    parse_bad("2026-00-10");
    parse_bad("2026-01-00");
    parse_bad("2026-01-32");
    /* times out of range */
    parse_bad("2026-03-15T24:00:00");
    parse_bad("2026-03-15T12:60:00");
    parse_bad("2026-03-15T12:00:61");
    /* shapes */
    parse_bad("");
    parse_bad("2026");
    parse_bad("2026-3-15");
    parse_bad("2026/03/15");
    parse_bad("26-03-15xx");
    parse_bad("2026-03-15T");
    parse_bad("2026-03-15T12");
    parse_bad("2026-03-15T12:3");
    parse_bad("2026-03-15T12:34:5");
    parse_bad("2026-03-15T12:34:56.");
    parse_bad("2026-03-15T12:34:56+0200");
    parse_bad("2026-03-15T12:34:56+02");
    parse_bad("2026-03-15T12:34:56ZZ");
    parse_bad("2026-03-15Z");
    parse_bad("2026-03-15 ");
    parse_bad("2026-03-15T12:34:56 UTC");
    parse_bad("tomorrow");
    parse_bad("2026-03-15x");
}

static int64_t dur_ok(const char *s)
{
    int64_t ms = 0;
    if (sw_parse_duration(s, &ms) != 0) {
        fail_msg("sw_parse_duration(\"%s\") failed", s);
    }
    return ms;
}

static void dur_bad(const char *s)
{
    int64_t ms = 777;
    if (sw_parse_duration(s, &ms) != -1) {
        fail_msg("sw_parse_duration(\"%s\") accepted (%lld)", s, (long long)ms);
    }
}

static void test_durations(void **state)
{
    (void)state;
    assert_int_equal(dur_ok("90d"), 90 * D);
    assert_int_equal(dur_ok("12h"), 12 * H);
    assert_int_equal(dur_ok("2w"), 14 * D);
    assert_int_equal(dur_ok("30m"), 30 * MIN);
    assert_int_equal(dur_ok("45s"), 45 * S);
    assert_int_equal(dur_ok("1y"), 365 * D);
    assert_int_equal(dur_ok("0s"), 0);
    assert_int_equal(dur_ok("-3d"), -3 * D);
    assert_int_equal(dur_ok("+1h"), H);
    assert_int_equal(dur_ok("365d"), 365 * D);
    /* ISO 8601 */
    assert_int_equal(dur_ok("PT1H30M"), H + 30 * MIN);
    assert_int_equal(dur_ok("P2D"), 2 * D);
    assert_int_equal(dur_ok("P1W"), 7 * D);
    assert_int_equal(dur_ok("P1DT12H"), D + 12 * H);
    assert_int_equal(dur_ok("PT45S"), 45 * S);
    assert_int_equal(dur_ok("PT90M"), 90 * MIN);
    assert_int_equal(dur_ok("P1Y"), 365 * D);
    assert_int_equal(dur_ok("P1M"), 30 * D); /* months: 30 days */
    assert_int_equal(dur_ok("PT1M"), MIN);   /* M after T: minutes */
    assert_int_equal(dur_ok("-PT2H"), -2 * H);
    /* garbage */
    dur_bad("");
    dur_bad("abc");
    dur_bad("d");
    dur_bad("10");
    dur_bad("10x");
    dur_bad("1.5d");
    dur_bad("10d5h");
    dur_bad(" 1d");
    dur_bad("1d ");
    dur_bad("-");
    dur_bad("P");
    dur_bad("PT");
    dur_bad("P1H");  /* hours need T */
    dur_bad("PT1D"); /* days cannot follow T */
    dur_bad("P1X");
    dur_bad("P1");
    dur_bad("PTH");
    dur_bad("99999999999999d");
}

static int64_t rel_ok(const char *s, int64_t now)
{
    int64_t ms = 0;
    if (sw_clock_relative(s, now, &ms) != 0) {
        fail_msg("sw_clock_relative(\"%s\") failed", s);
    }
    return ms;
}

static void test_relative(void **state)
{
    (void)state;
    int64_t leap = parse_ok("2024-02-29T12:00:00Z");
    /* 18 years before a Feb 29: Feb 28 (the last day of that February) */
    assert_int_equal(rel_ok("-18y", leap), parse_ok("2006-02-28T12:00:00Z"));
    /* 4 years after: Feb 29 again */
    assert_int_equal(rel_ok("+4y", leap), parse_ok("2028-02-29T12:00:00Z"));
    assert_int_equal(rel_ok("-1y", leap), parse_ok("2023-02-28T12:00:00Z"));
    /* an ordinary birthday 18 years ago keeps its day and time */
    int64_t now = parse_ok("2026-03-15T12:00:00Z");
    assert_int_equal(rel_ok("-18y", now), parse_ok("2008-03-15T12:00:00Z"));
    /* one month before March 31: the end of February */
    assert_int_equal(rel_ok("-1mo", parse_ok("2026-03-31T08:30:00Z")),
                     parse_ok("2026-02-28T08:30:00Z"));
    assert_int_equal(rel_ok("-1mo", parse_ok("2024-03-31T08:30:00Z")),
                     parse_ok("2024-02-29T08:30:00Z"));
    /* months across a year boundary, both ways */
    assert_int_equal(rel_ok("-3mo", parse_ok("2026-01-15T00:00:00Z")), parse_ok("2025-10-15"));
    assert_int_equal(rel_ok("+14mo", parse_ok("2026-11-30T00:00:00Z")), parse_ok("2028-01-30"));
    assert_int_equal(rel_ok("+1mo", parse_ok("2026-01-31T00:00:00Z")), parse_ok("2026-02-28"));
    /* fixed durations */
    assert_int_equal(rel_ok("-90d", now), now - 90 * D);
    assert_int_equal(rel_ok("-12h", now), now - 12 * H);
    assert_int_equal(rel_ok("+2w", now), now + 14 * D);
    assert_int_equal(rel_ok("-30m", now), now - 30 * MIN);
    /* milliseconds survive calendar arithmetic */
    assert_int_equal(rel_ok("-1y", now + 123), parse_ok("2025-03-15T12:00:00Z") + 123);
    /* invalid */
    int64_t out = 5;
    assert_int_equal(sw_clock_relative("18y", now, &out), -1); /* needs a sign */
    assert_int_equal(sw_clock_relative("-", now, &out), -1);
    assert_int_equal(sw_clock_relative("-y", now, &out), -1);
    assert_int_equal(sw_clock_relative("-1q", now, &out), -1);
    assert_int_equal(sw_clock_relative("-1y2d", now, &out), -1);
    assert_int_equal(sw_clock_relative("", now, &out), -1);
    assert_int_equal(sw_clock_relative(NULL, now, &out), -1);
}

static void test_add_months(void **state)
{
    (void)state;
    assert_int_equal(sw_clock_add_months(parse_ok("2026-01-31"), 1), parse_ok("2026-02-28"));
    assert_int_equal(sw_clock_add_months(parse_ok("2026-01-31"), -2), parse_ok("2025-11-30"));
    assert_int_equal(sw_clock_add_months(parse_ok("2026-05-10T10:20:30Z"), 0),
                     parse_ok("2026-05-10T10:20:30Z"));
    assert_int_equal(sw_clock_add_months(parse_ok("2026-05-10"), -12 * 30), parse_ok("1996-05-10"));
    assert_int_equal(sw_clock_add_months(parse_ok("1970-01-15"), -1), parse_ok("1969-12-15"));
}

static void fmt(int64_t ms, char *out, size_t n)
{
    sw_clock_format_iso(ms, out, n);
}

static void test_format_round_trip(void **state)
{
    (void)state;
    char buf[40];
    fmt(0, buf, sizeof(buf));
    assert_string_equal(buf, "1970-01-01T00:00:00Z");
    fmt(Y2K, buf, sizeof(buf));
    assert_string_equal(buf, "2000-01-01T00:00:00Z");
    fmt(D20260315 + 12 * H + 34 * MIN + 56 * S + 999, buf, sizeof(buf));
    assert_string_equal(buf, "2026-03-15T12:34:56Z"); /* seconds precision, truncated */
    fmt(-1, buf, sizeof(buf));
    assert_string_equal(buf, "1969-12-31T23:59:59Z"); /* floors before the epoch */
    fmt(-D, buf, sizeof(buf));
    assert_string_equal(buf, "1969-12-31T00:00:00Z");
    fmt(Y2K + 59 * D, buf, sizeof(buf));
    assert_string_equal(buf, "2000-02-29T00:00:00Z");

    const char *texts[] = {"2026-03-15T12:34:56Z", "1999-12-31T23:59:59Z", "2024-02-29T00:00:00Z",
                           "1901-07-04T01:02:03Z", "2099-12-31T23:00:00Z", "1970-01-01T00:00:01Z"};
    for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
        fmt(parse_ok(texts[i]), buf, sizeof(buf));
        assert_string_equal(buf, texts[i]);
    }
    /* ms -> text -> ms over a spread of values (whole seconds survive exactly) */
    for (int64_t ms = -3000000000000LL; ms < 5000000000000LL; ms += 123456789000LL) {
        fmt(ms, buf, sizeof(buf));
        assert_int_equal(parse_ok(buf), ms);
    }
    /* civil fields agree with from_civil */
    int y, mo, d, h, mi, s;
    sw_clock_civil(parse_ok("2026-03-15T12:34:56Z"), &y, &mo, &d, &h, &mi, &s);
    assert_int_equal(y, 2026);
    assert_int_equal(mo, 3);
    assert_int_equal(d, 15);
    assert_int_equal(h, 12);
    assert_int_equal(mi, 34);
    assert_int_equal(s, 56);
    assert_int_equal(sw_clock_from_civil(2026, 3, 15, 12, 34, 56), parse_ok("2026-03-15T12:34:56Z"));
    /* a short buffer is truncated, not overrun */
    char small[8];
    fmt(0, small, sizeof(small));
    assert_string_equal(small, "1970-01");
}

static void test_set_clock(void **state)
{
    (void)state;
    int64_t t = parse_ok("2030-06-01T00:00:00Z");
    sw_clock_set(t);
    int64_t now = sw_clock_now_ms();
    assert_true(now >= t && now < t + 5000);
    sw_clock_set(0);
    assert_true(sw_clock_now_ms() > parse_ok("2020-01-01") && sw_clock_now_ms() < t);
    assert_int_equal(setenv("STEPWISE_NOW", "2031-01-01T00:00:00Z", 1), 0);
    assert_int_equal(sw_clock_init_from_env(), 0);
    now = sw_clock_now_ms();
    assert_true(now >= parse_ok("2031-01-01") && now < parse_ok("2031-01-01") + 5000);
    assert_int_equal(setenv("STEPWISE_NOW", "2031-02-30", 1), 0);
    assert_int_equal(sw_clock_init_from_env(), SW_EINVAL);
    unsetenv("STEPWISE_NOW");
    sw_clock_set(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_formats), cmocka_unit_test(test_parse_offsets),
        cmocka_unit_test(test_parse_invalid), cmocka_unit_test(test_durations),
        cmocka_unit_test(test_relative),      cmocka_unit_test(test_add_months),
        cmocka_unit_test(test_format_round_trip), cmocka_unit_test(test_set_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
