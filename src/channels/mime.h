/*
 * mime.h - one email message as bytes for SMTP DATA (SPEC §5.1).
 *
 * RFC 5322 (message format, Date, folding), RFC 2045 (MIME, quoted-printable), RFC 2046
 * (multipart/alternative), RFC 2047 (encoded-words for non-ASCII header text), RFC 2369 and
 * RFC 8058 (List-Unsubscribe, one-click List-Unsubscribe-Post).
 *
 * What the output guarantees:
 *   - CRLF line endings only; no bare CR or LF anywhere (bodies are normalised: LF, CR and
 *     CRLF all become CRLF).
 *   - Header lines are at most 78 characters (excluding CRLF). Text that cannot be folded at
 *     whitespace (non-ASCII, words longer than 60 characters, or text that would not survive
 *     folding exactly: tabs, runs of spaces, leading or trailing spaces, "=?") is written as
 *     RFC 2047 "=?UTF-8?B?...?=" encoded-words of at most 75 characters, split only between
 *     UTF-8 characters. The exceptions are single tokens that have no folding point at all:
 *     an address, the Message-ID and the List-Unsubscribe URL, which are kept whole (up to
 *     RFC 5322's 998-character limit, beyond which they are refused).
 *   - Bodies are UTF-8 quoted-printable: lines at most 76 characters with soft breaks, '='
 *     escaped, whitespace before a line break escaped, "From " at a line start escaped. A body
 *     that does not end with a line break ends with a soft break, so it decodes byte for byte.
 *   - Lines starting with '.' are NOT dot-stuffed here: that is the SMTP layer's job (libcurl
 *     dot-stuffs the upload and appends the terminating "." line).
 *   - The multipart boundary starts with "=_", which quoted-printable can never produce
 *     ('=' is always followed by two hex digits or a line break), is derived from the
 *     Message-ID so that a retry builds identical bytes, and is checked against the encoded
 *     bodies anyway.
 *
 * Header values containing CR or LF (or any other control character but tab) are refused:
 * that is header injection. Addresses must be ASCII (SMTPUTF8 is not supported); the recipient
 * address is the address only, never a display name. Header order: Date, From, Reply-To, To,
 * Subject, Message-ID, List-Unsubscribe, List-Unsubscribe-Post, the extra headers in their
 * object order, MIME-Version, Content-Type, Content-Transfer-Encoding.
 */
#ifndef SW_MIME_H
#define SW_MIME_H

#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"

#include <jansson.h>
#include <stdint.h>

struct sw_mime_msg {
    const char *from;             /* "shop@example.com" or "Shop <shop@example.com>" (the name
                                     may be quoted, and may be UTF-8) */
    const char *to;               /* the recipient's address only */
    const char *reply_to;         /* may be NULL; same forms as from */
    const char *subject;          /* UTF-8; NULL is the empty subject */
    const char *html;             /* may be NULL */
    const char *text;             /* may be NULL; both -> multipart/alternative (text, html);
                                     at least one of them is required */
    const char *message_id;       /* "<run.activity.row@domain>", stable across retries */
    const char *list_unsubscribe; /* may be NULL: a URL or mailto, emitted as
                                     List-Unsubscribe: <...> (plus List-Unsubscribe-Post:
                                     List-Unsubscribe=One-Click when it is https) */
    bool one_click;               /* List-Unsubscribe-Post whatever the scheme (the URL is the
                                     public listener's, which takes the RFC 8058 POST) */
    const char *list_unsubscribe_mailto; /* may be NULL: a mailto: given beside the URL, as
                                     List-Unsubscribe: <URL>, <mailto:...> (RFC 2369) */
    const json_t *headers;        /* may be NULL: extra headers {"X-Campaign": "..."}; names
                                     [A-Za-z0-9-]{1,76}, string values on one line (UTF-8
                                     allowed: encoded-words); names we generate or that would
                                     add recipients are refused (see mime.c) */
    int64_t date_ms;              /* Date header, written in UTC as "+0000" */
};

/* Append the message to out. 0, or SW_EINVAL (out unchanged, err says which field and why),
 * or SW_ENOMEM. */
int sw_mime_build(const struct sw_mime_msg *m, struct sw_buf *out, struct sw_error *err);

/* RFC 5322 date "Thu, 01 Jan 1970 00:00:00 +0000" for ms since the epoch (out >= 32 bytes). */
void sw_mime_date(int64_t ms, char *out, size_t n);

#endif
