/*
 * httpsend.h - sending a batch of SMS or push messages to an HTTP JSON provider with libcurl's
 * multi interface: one POST per message (Content-Type: application/json), up to `connections`
 * requests in parallel, each connection kept alive and reused from one message to the next
 * (HTTP/1.1, RFC 9112; status codes and Retry-After, RFC 9110).
 *
 * Every message ends in one of the four outcomes of smtp.h (SPEC 5.1): sent (2xx), temporary
 * (429 or 5xx, or the connection failed before the whole request was written: retry later,
 * after retry_after_s when the provider said so), permanent (any other status, redirects
 * included, which are never followed: do not retry), or unknown (the whole request was
 * written, then the connection broke or timed out before a status line arrived: the provider
 * may have accepted it, so it must never be resent automatically).
 */
#ifndef SW_HTTPSEND_H
#define SW_HTTPSEND_H

#include "channels/smtp.h" /* enum sw_send_outcome */
#include "core/error.h"

#include <stddef.h>

struct sw_http_config {
    const char *url; /* http://host[:port]/path or https://... */
    int connections; /* parallel requests, >= 1 */
    long timeout_s;  /* per message, including connecting */
};

struct sw_http_msg {
    const char *body; /* the JSON document to POST */
    size_t len;
    /* results */
    enum sw_send_outcome outcome;
    long code;          /* HTTP status, 0 when none arrived */
    char error[160];    /* empty when sent */
    long retry_after_s; /* the provider's Retry-After (seconds) on 429/5xx, else 0 */
};

/* A sender that keeps its connections open from one batch to the next. */
struct sw_httpsend;
/* Fails with SW_EINVAL when the URL is not http:// or https://. */
int sw_httpsend_open(const struct sw_http_config *cfg, struct sw_httpsend **out,
                     struct sw_error *err);
void sw_httpsend_close(struct sw_httpsend *s); /* accepts NULL */
/* Send every message of the batch; each gets its outcome. */
void sw_httpsend_batch(struct sw_httpsend *s, struct sw_http_msg *msgs, size_t n);

#endif
