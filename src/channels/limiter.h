/*
 * limiter.h - message rates (SPEC §2.2 rate_per_second; issue 4 "per activity and per
 * provider"): token buckets on the monotonic clock, so that a clock set by STEPWISE_NOW or
 * moved by NTP never bursts or stalls a send.
 *
 * A bucket refills at `rate` tokens per second and holds at most a tenth of a second's worth
 * (at least one token): sending is smooth, never a burst of a whole second. Provider buckets
 * are process-wide, one per (channel, endpoint) and shared by every activity of every run
 * the process executes, behind one mutex.
 */
#ifndef SW_LIMITER_H
#define SW_LIMITER_H

#include <stdint.h>

struct sw_bucket {
    double rate; /* tokens per second; 0 = unlimited */
    double tokens;
    int64_t last_us;
};

void sw_bucket_init(struct sw_bucket *b, double rate);
/* Take up to `want` tokens: returns how many were granted (0..want). When fewer than want,
 * *wait_ms (may be NULL) gets the time until the next token. */
int sw_bucket_take(struct sw_bucket *b, int want, int *wait_ms);
/* Give back tokens taken but not used. */
void sw_bucket_refund(struct sw_bucket *b, int n);

/* The same on the process-wide bucket of a provider (key: "email smtp://host:25"), created
 * at the given rate on first use (a later rate replaces it). rate 0 grants everything. */
int sw_provider_take(const char *key, double rate, int want, int *wait_ms);
void sw_provider_refund(const char *key, int n);

#endif
