/*
 * clock.h - the one source of "now". Tests set it (sw_clock_set, or the STEPWISE_NOW
 * environment variable holding an ISO-8601 UTC time) so that relative dates are repeatable;
 * a set clock keeps ticking from there so that waits still end.
 */
#ifndef SW_CLOCK_H
#define SW_CLOCK_H

#include <stddef.h>
#include <stdint.h>

int64_t sw_clock_now_ms(void);          /* milliseconds since the epoch, UTC */
int64_t sw_clock_monotonic_us(void);    /* microseconds of a clock nothing sets (durations) */
void sw_clock_set(int64_t ms);          /* now = ms, ticking on from there; 0 = real time */
int sw_clock_init_from_env(void);       /* reads STEPWISE_NOW; 0 or SW_EINVAL */
/* ISO-8601 UTC "2026-11-29T07:04:08Z" (seconds precision). */
void sw_clock_format_iso(int64_t ms, char *out, size_t n);
/* Parse "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fff]]" with optional "Z" or "+HH:MM", or a space
 * instead of "T". Times without an offset are UTC. 0 on success, -1 on error. */
int sw_clock_parse_iso(const char *s, int64_t *ms);
/* Durations: "90d", "12h", "2w", "30m", "45s", "1y" (365d), with an optional sign; ISO 8601
 * "P2D", "PT1H30M" too. Returns 0 and milliseconds, or -1. */
int sw_parse_duration(const char *s, int64_t *ms);
/* Calendar arithmetic for "-18y": ms shifted by the given years/months (UTC fields). */
int64_t sw_clock_add_months(int64_t ms, int months);
/* A relative date "-18y", "+2w", "-3mo", "-90d", "-12h" applied to now: years and months
 * move calendar fields (a birthday 18 years ago), the rest add fixed durations. 0 or -1. */
int sw_clock_relative(const char *s, int64_t now_ms, int64_t *out_ms);
/* Broken-down UTC fields without gmtime (banned: not thread-safe). */
void sw_clock_civil(int64_t ms, int *y, int *mo, int *d, int *h, int *mi, int *s);
int64_t sw_clock_from_civil(int y, int mo, int d, int h, int mi, int s);

#endif
