/*
 * track.h - open and click tracking for email (an email activity's "tracking": {"opens",
 * "clicks"}): the signed links recipients reach on the public listener, the rewrite of a
 * rendered HTML body, and which requests are machines rather than people.
 *
 * Links are signed with the keyring of token.h (the catalog's sw_secrets: a rotation keeps
 * links already sent working). Two kinds:
 *
 *   open   PUBLIC_URL/o/TOKEN   TOKEN = b64url(kid 2 | 'o' | ledger row 8 | MAC 16)
 *   click  PUBLIC_URL/c/TOKEN   TOKEN = b64url(kid 2 | 'c' | ledger row 8 | link 2 | URL | MAC 16)
 *
 * The MAC (keyed BLAKE2b-128) covers everything before it, the destination URL included, so a
 * click link cannot be turned into a redirect anywhere else: a changed byte is a 404. The URL
 * travels in the link itself, so nothing is stored per message at send time; `link` is the
 * link's position in the message (1-based), the key of "clicks per link".
 */
#ifndef SW_TRACK_H
#define SW_TRACK_H

#include "channels/token.h"
#include "core/buf.h"

#include <stdbool.h>
#include <stdint.h>

/* Destinations longer than this stay untracked (the link is left as written). */
#define SW_TRACK_URL_MAX 2048
/* At most this many links of one message are rewritten; later ones stay as written. */
#define SW_TRACK_LINKS_MAX 500

char *sw_track_open_token(const struct sw_keyring *kr, int64_t row); /* malloc'd; NULL: no key */
char *sw_track_click_token(const struct sw_keyring *kr, int64_t row, int link, const char *url);
bool sw_track_open_verify(const struct sw_keyring *kr, const char *tok, int64_t *row);
/* On success *url is the destination (malloc'd, NUL-terminated, no NUL inside). */
bool sw_track_click_verify(const struct sw_keyring *kr, const char *tok, int64_t *row, int *link,
                           char **url);

struct sw_track_opts {
    const struct sw_keyring *kr;
    const char *base; /* public_url, without a trailing slash */
    int64_t row;      /* the ledger row the message is */
    bool opens;       /* add the open pixel */
    bool clicks;      /* rewrite links */
};

/*
 * Append `html` to `out` with tracking applied:
 *  - clicks: the href of every <a> and <area> whose value is an http(s) URL becomes a click
 *    link; HTML character references in the value are decoded first (the redirect goes where
 *    the browser would have gone). Left as written: other schemes (mailto:, tel:, #anchors),
 *    links to the public listener itself (the unsubscribe link), links with the attribute
 *    data-sw-notrack, URLs over SW_TRACK_URL_MAX, and links past SW_TRACK_LINKS_MAX. Comments,
 *    <script> and <style> are skipped. Every other byte is kept as it was.
 *  - opens: a 1x1 image on the open link, before the last </body> (or at the end).
 * *links (may be NULL) gets how many links were rewritten.
 */
void sw_track_rewrite_html(const char *html, const struct sw_track_opts *o, struct sw_buf *out,
                           int *links);

/*
 * Whether a request for a tracking link is a machine's: a HEAD request; no User-Agent; a
 * User-Agent naming a bot, a link scanner (security gateways that open every link of a message
 * on delivery) or an HTTP library; for opens, Apple Mail Privacy Protection's prefetch (the
 * bare User-Agent "Mozilla/5.0"). Image proxies that fetch when a person opens the message
 * (Gmail's GoogleImageProxy, Yahoo's) count as people. *why (may be NULL) names the rule.
 */
bool sw_track_is_machine(const char *method, const char *user_agent, bool open, const char **why);

#endif
