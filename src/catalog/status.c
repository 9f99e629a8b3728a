/*
 * status.c - see status.h: the tables' texts and transition masks as arrays indexed by enum.
 */
#include "catalog/status.h"

#include <stddef.h>
#include <string.h>

#define SW_STATUS_TEXT(name, text, next) text,
#define SW_STATUS_NEXT(name, text, next) next,

const char *const sw_campaign_status_texts[] = {SW_CAMPAIGN_STATUS_MAP(SW_STATUS_TEXT) NULL};
const char *const sw_run_status_texts[] = {SW_RUN_STATUS_MAP(SW_STATUS_TEXT) NULL};
const char *const sw_task_status_texts[] = {SW_TASK_STATUS_MAP(SW_STATUS_TEXT) NULL};
const char *const sw_delivery_state_texts[] = {SW_DELIVERY_STATE_MAP(SW_STATUS_TEXT) NULL};
#define SW_REASON_TEXT(name, text) text,
const char *const sw_delivery_reason_texts[] = {SW_DELIVERY_REASON_MAP(SW_REASON_TEXT) NULL};

static const unsigned campaign_next[] = {SW_CAMPAIGN_STATUS_MAP(SW_STATUS_NEXT)};
static const unsigned run_next[] = {SW_RUN_STATUS_MAP(SW_STATUS_NEXT)};
static const unsigned task_next[] = {SW_TASK_STATUS_MAP(SW_STATUS_NEXT)};
static const unsigned delivery_next[] = {SW_DELIVERY_STATE_MAP(SW_STATUS_NEXT)};

static const char *text_of(const char *const *texts, unsigned n, unsigned s)
{
    return s < n ? texts[s] : "";
}

static int parse(const char *const *texts, const char *text)
{
    for (int i = 0; text && texts[i]; i++) {
        if (!strcmp(texts[i], text)) {
            return i;
        }
    }
    return -1;
}

static bool can(const unsigned *next, unsigned n, unsigned from, unsigned to)
{
    return from < n && to < n && (next[from] & SW_STATUS_BIT(to));
}

const char *sw_campaign_status_text(enum sw_campaign_status s)
{
    return text_of(sw_campaign_status_texts, SW_CAMPAIGN_NSTATUS, (unsigned)s);
}

const char *sw_run_status_text(enum sw_run_status s)
{
    return text_of(sw_run_status_texts, SW_RUN_NSTATUS, (unsigned)s);
}

const char *sw_task_status_text(enum sw_task_status s)
{
    return text_of(sw_task_status_texts, SW_TASK_NSTATUS, (unsigned)s);
}

int sw_campaign_status_parse(const char *text, enum sw_campaign_status *out)
{
    int i = parse(sw_campaign_status_texts, text);
    if (i >= 0) {
        *out = (enum sw_campaign_status)i;
    }
    return i < 0 ? -1 : 0;
}

int sw_run_status_parse(const char *text, enum sw_run_status *out)
{
    int i = parse(sw_run_status_texts, text);
    if (i >= 0) {
        *out = (enum sw_run_status)i;
    }
    return i < 0 ? -1 : 0;
}

int sw_task_status_parse(const char *text, enum sw_task_status *out)
{
    int i = parse(sw_task_status_texts, text);
    if (i >= 0) {
        *out = (enum sw_task_status)i;
    }
    return i < 0 ? -1 : 0;
}

bool sw_campaign_status_can(enum sw_campaign_status from, enum sw_campaign_status to)
{
    return can(campaign_next, SW_CAMPAIGN_NSTATUS, (unsigned)from, (unsigned)to);
}

bool sw_run_status_can(enum sw_run_status from, enum sw_run_status to)
{
    return can(run_next, SW_RUN_NSTATUS, (unsigned)from, (unsigned)to);
}

bool sw_task_status_can(enum sw_task_status from, enum sw_task_status to)
{
    return can(task_next, SW_TASK_NSTATUS, (unsigned)from, (unsigned)to);
}

const char *sw_delivery_state_text(enum sw_delivery_state s)
{
    return text_of(sw_delivery_state_texts, SW_DELIVERY_NSTATE, (unsigned)s);
}

const char *sw_delivery_reason_text(enum sw_delivery_reason r)
{
    return text_of(sw_delivery_reason_texts, SW_SKIP_NREASON, (unsigned)r);
}

int sw_delivery_state_parse(const char *text, enum sw_delivery_state *out)
{
    int i = parse(sw_delivery_state_texts, text);
    if (i >= 0) {
        *out = (enum sw_delivery_state)i;
    }
    return i < 0 ? -1 : 0;
}

int sw_delivery_reason_parse(const char *text, enum sw_delivery_reason *out)
{
    int i = parse(sw_delivery_reason_texts, text);
    if (i >= 0) {
        *out = (enum sw_delivery_reason)i;
    }
    return i < 0 ? -1 : 0;
}

bool sw_delivery_state_can(enum sw_delivery_state from, enum sw_delivery_state to)
{
    return can(delivery_next, SW_DELIVERY_NSTATE, (unsigned)from, (unsigned)to);
}
