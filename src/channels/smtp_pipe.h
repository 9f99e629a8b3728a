/*
 * smtp_pipe.h - the fast path of smtp.c: SMTP with PIPELINING (RFC 2920) on non-blocking
 * sockets and epoll, for a plain smtp:// server without credentials that offers PIPELINING
 * and does not offer STARTTLS (a relay on the same host or network). Anything else (smtps,
 * STARTTLS offered, AUTH, no PIPELINING) goes through libcurl, which has no pipelining.
 *
 * Why by hand: libcurl sends each message as four round trips (MAIL, RCPT, DATA, the content)
 * and, measured with strace on 38k messages, about 17 system calls per message; this sends
 * MAIL+RCPT+DATA as one write and the content as a second, two round trips and about four
 * system calls per message. On a 2-core machine beside smtp-sink that is the difference
 * between a fraction of smtp-source's throughput and most of it.
 *
 * Same contract as smtp.h: each message ends sent (250 after the content), temporary (4xx;
 * or code 0: the connection failed before the whole content was written), permanent (5xx),
 * or unknown (the whole content, with its final ".", was written and the connection broke
 * before the reply). The content is dot-stuffed here (RFC 5321 §4.5.2).
 */
#ifndef SW_SMTP_PIPE_H
#define SW_SMTP_PIPE_H

#include "channels/smtp.h"

struct sw_smtp_pipe;

/* Parse url (smtp://host[:port][/ehlo-name]) and probe the server with one session. Returns
 * 1 with *out set when the fast path applies, 0 when libcurl must be used (the reason in
 * why, if not NULL), never an error: a server that cannot be reached is libcurl's to report. */
int sw_smtp_pipe_open(const struct sw_smtp_config *cfg, struct sw_smtp_pipe **out, char *why,
                      size_t whylen);
void sw_smtp_pipe_close(struct sw_smtp_pipe *p);
int sw_smtp_pipe_idle(const struct sw_smtp_pipe *p);
/* 0 started, -1 no free session. */
int sw_smtp_pipe_submit(struct sw_smtp_pipe *p, struct sw_smtp_msg *msg);
size_t sw_smtp_pipe_poll(struct sw_smtp_pipe *p, int timeout_ms, struct sw_smtp_msg **done,
                         size_t max);

#endif
