/*
 * limiter.c - see limiter.h.
 */
#include "channels/limiter.h"
#include "core/clock.h"
#include "core/util.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double capacity(const struct sw_bucket *b)
{
    double c = b->rate / 10.0;
    return c < 1.0 ? 1.0 : c;
}

void sw_bucket_init(struct sw_bucket *b, double rate)
{
    b->rate = rate > 0 ? rate : 0;
    b->tokens = b->rate > 0 ? capacity(b) : 0;
    b->last_us = sw_clock_monotonic_us();
}

int sw_bucket_take(struct sw_bucket *b, int want, int *wait_ms)
{
    if (wait_ms) {
        *wait_ms = 0;
    }
    if (b->rate <= 0 || want <= 0) {
        return want > 0 ? want : 0;
    }
    int64_t now = sw_clock_monotonic_us();
    b->tokens += (double)(now - b->last_us) * b->rate / 1e6;
    b->last_us = now;
    if (b->tokens > capacity(b)) {
        b->tokens = capacity(b);
    }
    int n = b->tokens >= (double)want ? want : (int)b->tokens;
    b->tokens -= n;
    if (n < want && wait_ms) {
        double need = 1.0 - (b->tokens - (double)(int)b->tokens);
        int ms = (int)(need * 1000.0 / b->rate) + 1;
        *wait_ms = ms < 1 ? 1 : ms;
    }
    return n;
}

void sw_bucket_refund(struct sw_bucket *b, int n)
{
    if (b->rate > 0 && n > 0) {
        b->tokens += n;
        if (b->tokens > capacity(b)) {
            b->tokens = capacity(b);
        }
    }
}

struct provider {
    char *key;
    struct sw_bucket b;
    struct provider *next;
};

static pthread_mutex_t providers_lock = PTHREAD_MUTEX_INITIALIZER;
static struct provider *providers; /* a handful: one per configured endpoint */

static struct provider *provider_get(const char *key, double rate)
{
    struct provider *p;
    for (p = providers; p; p = p->next) {
        if (!strcmp(p->key, key)) {
            break;
        }
    }
    if (!p) {
        p = sw_calloc(1, sizeof(*p));
        p->key = sw_strdup(key);
        sw_bucket_init(&p->b, rate);
        p->next = providers;
        providers = p;
    } else if (p->b.rate != rate && rate >= 0) {
        p->b.rate = rate;
    }
    return p;
}

int sw_provider_take(const char *key, double rate, int want, int *wait_ms)
{
    if (rate <= 0) {
        if (wait_ms) {
            *wait_ms = 0;
        }
        return want;
    }
    pthread_mutex_lock(&providers_lock);
    int n = sw_bucket_take(&provider_get(key, rate)->b, want, wait_ms);
    pthread_mutex_unlock(&providers_lock);
    return n;
}

void sw_provider_refund(const char *key, int n)
{
    pthread_mutex_lock(&providers_lock);
    for (struct provider *p = providers; p; p = p->next) {
        if (!strcmp(p->key, key)) {
            sw_bucket_refund(&p->b, n);
        }
    }
    pthread_mutex_unlock(&providers_lock);
}
