/*
 * smtp.h - sending a batch of email messages over SMTP with libcurl's multi interface:
 * up to `connections` sessions in parallel, each reused from one message to the next
 * (RFC 5321; STARTTLS when the server offers it, RFC 3207; SMTPS and AUTH from the URL).
 *
 * A plain smtp:// server without credentials that offers PIPELINING and not STARTTLS is
 * driven by smtp_pipe.c instead (two round trips per message instead of four), unless the
 * configuration says no_pipelining (the `smtp_pipelining = off` setting). A url "maildir:DIR" writes
 * each message into the Maildir DIR instead (maildir.h): the file outbox of `stepwise demo`.
 *
 * Every message ends in one of four outcomes, which is what the delivery ledger records:
 * sent (250 after DATA), temporary (4xx, or the connection failed before the message was
 * handed over: retry later), permanent (5xx: do not retry), or unknown (the connection broke
 * after the whole message was uploaded, before the server's answer: the provider may have
 * accepted it, so it must never be resent automatically).
 */
#ifndef SW_SMTP_H
#define SW_SMTP_H

#include "core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sw_send_outcome { SW_SEND_SENT, SW_SEND_TEMPORARY, SW_SEND_PERMANENT, SW_SEND_UNKNOWN };

struct sw_smtp_config {
    const char *url;    /* smtp://[user:pass@]host:port, smtps://... or maildir:DIR */
    int connections;    /* parallel sessions, >= 1 */
    long timeout_s;     /* per message, including connecting */
    bool no_pipelining; /* always libcurl, even for a relay smtp_pipe.c could drive */
};

struct sw_smtp_msg {
    const char *from;   /* envelope sender (bare address) */
    const char *to;     /* envelope recipient (bare address) */
    const char *data;   /* the message: headers, blank line, body (CRLF) */
    size_t len;
    /* results */
    enum sw_send_outcome outcome;
    long code;          /* last SMTP reply code, 0 when none */
    char error[160];    /* empty when sent */
};

/* A sender that keeps its SMTP sessions open from one batch to the next (one greeting per
 * connection for a whole activity, not per batch). */
struct sw_smtp;
int sw_smtp_open(const struct sw_smtp_config *cfg, struct sw_smtp **out, struct sw_error *err);
void sw_smtp_close(struct sw_smtp *s); /* accepts NULL */
/* Streaming use, so that connections never wait for the caller's batch boundaries:
 * sw_smtp_idle() sessions are free; sw_smtp_submit() starts msg on one (0), or -1 when none is
 * free, or 1 when it could not be started (msg is done: temporary); sw_smtp_poll() drives
 * the transfers for up to timeout_ms and stores up to max finished messages in done[],
 * returning how many (each has its outcome). msg must stay valid until it is returned. */
int sw_smtp_idle(const struct sw_smtp *s);
/* Whether the pipelined path (smtp_pipe.h) is used rather than libcurl. */
bool sw_smtp_pipelined(const struct sw_smtp *s);
int sw_smtp_submit(struct sw_smtp *s, struct sw_smtp_msg *msg);
size_t sw_smtp_poll(struct sw_smtp *s, int timeout_ms, struct sw_smtp_msg **done, size_t max);
/* Send every message of the batch; each gets its outcome. */
void sw_smtp_send_batch(struct sw_smtp *s, struct sw_smtp_msg *msgs, size_t n);

/* Open, send one batch, close. Returns 0, or a negative error when the batch could not be
 * attempted at all (bad URL, out of memory). */
int sw_smtp_send(const struct sw_smtp_config *cfg, struct sw_smtp_msg *msgs, size_t n,
                 struct sw_error *err);

#endif
