/*
 * feedback.c - see feedback.h. GMime parses the MIME structure (multipart/report, the
 * message/rfc822 original); the delivery-status and feedback-report bodies are blocks of
 * header fields (RFC 3464 §2, RFC 5965 §3.1), read here: unfolded, one block per message and
 * one per recipient.
 */
#include "channels/feedback.h"
#include "core/buf.h"
#include "core/util.h"

#include <ctype.h>
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;
static void gmime_start(void)
{
    g_mime_init();
}

/* ---- header blocks ---- */

struct field {
    char *name, *value;
};
struct block {
    struct field *f;
    size_t n;
};

/* Split text into blocks of unfolded "Name: value" fields, separated by blank lines. */
static struct block *read_blocks(const char *text, size_t len, size_t *nblocks)
{
    struct block *b = NULL;
    size_t nb = 0;
    bool open = false;
    size_t i = 0;
    while (i < len) {
        size_t e = i;
        while (e < len && text[e] != '\n') {
            e++;
        }
        size_t l = e;
        if (l > i && text[l - 1] == '\r') {
            l--;
        }
        bool blank = true;
        for (size_t k = i; k < l; k++) {
            blank = blank && isspace((unsigned char)text[k]);
        }
        if (blank) {
            open = false;
        } else if ((text[i] == ' ' || text[i] == '\t') && open && b[nb - 1].n) {
            /* continuation: appended to the last field */
            struct field *f = &b[nb - 1].f[b[nb - 1].n - 1];
            char *more = sw_strndup(text + i, l - i);
            char *joined = sw_asprintf("%s %s", f->value, more + strspn(more, " \t"));
            free(more);
            free(f->value);
            f->value = joined;
        } else {
            const char *colon = memchr(text + i, ':', l - i);
            if (colon) {
                if (!open) {
                    b = sw_realloc(b, (nb + 1) * sizeof(*b));
                    memset(&b[nb++], 0, sizeof(*b));
                    open = true;
                }
                struct block *cur = &b[nb - 1];
                cur->f = sw_realloc(cur->f, (cur->n + 1) * sizeof(*cur->f));
                struct field *f = &cur->f[cur->n++];
                f->name = sw_strndup(text + i, (size_t)(colon - (text + i)));
                const char *v = colon + 1;
                while (v < text + l && (*v == ' ' || *v == '\t')) {
                    v++;
                }
                f->value = sw_strndup(v, (size_t)(text + l - v));
            }
        }
        i = e + 1;
    }
    *nblocks = nb;
    return b;
}

static void blocks_free(struct block *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < b[i].n; k++) {
            free(b[i].f[k].name);
            free(b[i].f[k].value);
        }
        free(b[i].f);
    }
    free(b);
}

static const char *get(const struct block *b, const char *name)
{
    for (size_t k = 0; b && k < b->n; k++) {
        if (!strcasecmp(b->f[k].name, name)) {
            return b->f[k].value;
        }
    }
    return NULL;
}

/* "rfc822; user@example.org" -> "user@example.org" (malloc'd, trimmed, without <>). */
static char *address_of(const char *v)
{
    if (!v) {
        return NULL;
    }
    const char *semi = strchr(v, ';');
    const char *a = semi ? semi + 1 : v;
    while (isspace((unsigned char)*a) || *a == '<') {
        a++;
    }
    size_t n = strlen(a);
    while (n && (isspace((unsigned char)a[n - 1]) || a[n - 1] == '>')) {
        n--;
    }
    return n ? sw_strndup(a, n) : NULL;
}

/* The first "x.y.z" status code in text, or NULL. */
static char *status_in(const char *v)
{
    for (const char *p = v; p && *p; p++) {
        if ((*p == '2' || *p == '4' || *p == '5') && p[1] == '.' && isdigit((unsigned char)p[2]) &&
            (p == v || !isdigit((unsigned char)p[-1]))) {
            const char *q = p + 2;
            while (isdigit((unsigned char)*q)) {
                q++;
            }
            if (*q == '.' && isdigit((unsigned char)q[1])) {
                q++;
                while (isdigit((unsigned char)*q)) {
                    q++;
                }
                return sw_strndup(p, (size_t)(q - p));
            }
        }
    }
    return NULL;
}

/* ---- MIME ---- */

/* A leaf part's decoded content as text (malloc'd, NUL-terminated). */
static char *part_text(GMimeObject *o, size_t *len)
{
    *len = 0;
    if (!GMIME_IS_PART(o)) {
        return NULL;
    }
    GMimeDataWrapper *w = g_mime_part_get_content(GMIME_PART(o));
    if (!w) {
        return NULL;
    }
    GMimeStream *mem = g_mime_stream_mem_new();
    g_mime_data_wrapper_write_to_stream(w, mem);
    GByteArray *bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    bool some = bytes && bytes->data && bytes->len;
    char *t = sw_strndup(some ? (const char *)bytes->data : "", some ? bytes->len : 0);
    *len = some ? bytes->len : 0;
    g_object_unref(mem);
    return t;
}

static GMimeObject *find_report(GMimeObject *o, int depth)
{
    if (!o || depth > 8) {
        return NULL;
    }
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    if (GMIME_IS_MULTIPART(o)) {
        if (ct && g_mime_content_type_is_type(ct, "multipart", "report")) {
            return o;
        }
        int n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
        for (int i = 0; i < n; i++) {
            GMimeObject *r = find_report(g_mime_multipart_get_part(GMIME_MULTIPART(o), i),
                                         depth + 1);
            if (r) {
                return r;
            }
        }
    } else if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        return m ? find_report(g_mime_message_get_mime_part(m), depth + 1) : NULL;
    }
    return NULL;
}

/* The original message's Message-ID and To (for ARF without Original-Rcpt-To). */
static void original(GMimeObject *o, char **msgid, char **to)
{
    GMimeContentType *ct = g_mime_object_get_content_type(o);
    if (GMIME_IS_MESSAGE_PART(o)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
        const char *id = m ? g_mime_message_get_message_id(m) : NULL;
        const char *t = m ? g_mime_object_get_header(GMIME_OBJECT(m), "To") : NULL;
        if (id && !*msgid) {
            *msgid = sw_strdup(id);
        }
        if (t && !*to) {
            *to = address_of(t);
        }
    } else if (ct && g_mime_content_type_is_type(ct, "text", "rfc822-headers")) {
        size_t len;
        char *text = part_text(o, &len);
        size_t nb = 0;
        struct block *b = text ? read_blocks(text, len, &nb) : NULL;
        const char *id = nb ? get(&b[0], "Message-ID") : NULL;
        const char *t = nb ? get(&b[0], "To") : NULL;
        if (id && !*msgid) {
            *msgid = address_of(id);
        }
        if (t && !*to) {
            *to = address_of(t);
        }
        blocks_free(b, nb);
        free(text);
    }
}

static void push(struct sw_feedback_item **items, size_t *n, struct sw_feedback_item it)
{
    *items = sw_realloc(*items, (*n + 1) * sizeof(**items));
    (*items)[(*n)++] = it;
}

int sw_feedback_parse(const char *data, size_t len, struct sw_feedback_item **items, size_t *n,
                      struct sw_error *err)
{
    pthread_once(&gmime_once, gmime_start);
    *items = NULL;
    *n = 0;
    int rc = 0;
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    GMimeMessage *msg = g_mime_parser_construct_message(parser, NULL);
    GMimeObject *report = msg ? find_report(g_mime_message_get_mime_part(msg), 0) : NULL;
    const char *type = report ? g_mime_content_type_get_parameter(
                                    g_mime_object_get_content_type(report), "report-type")
                              : NULL;
    if (!msg) {
        rc = sw_error_set(err, SW_EINVAL, "not an email message (no header could be read)");
        goto out;
    }
    if (!report || !type) {
        rc = sw_error_set(err, SW_EINVAL,
                          "not a delivery status notification or a complaint report (no "
                          "multipart/report with a report-type)");
        goto out;
    }
    bool dsn = !strcasecmp(type, "delivery-status");
    bool arf = !strcasecmp(type, "feedback-report");
    if (!dsn && !arf) {
        rc = sw_error_set(err, SW_EINVAL, "report-type \"%s\" is neither delivery-status nor "
                                          "feedback-report", type);
        goto out;
    }
    char *msgid = NULL, *to = NULL, *body = NULL;
    size_t blen = 0;
    int parts = g_mime_multipart_get_count(GMIME_MULTIPART(report));
    for (int i = 0; i < parts; i++) {
        GMimeObject *p = g_mime_multipart_get_part(GMIME_MULTIPART(report), i);
        GMimeContentType *ct = g_mime_object_get_content_type(p);
        if (!body && ct && g_mime_content_type_is_type(ct, "message", dsn ? "delivery-status"
                                                                            : "feedback-report")) {
            body = part_text(p, &blen);
        } else {
            original(p, &msgid, &to);
        }
    }
    size_t nb = 0;
    struct block *b = body ? read_blocks(body, blen, &nb) : NULL;
    if (!body) {
        rc = sw_error_set(err, SW_EINVAL, "the report has no message/%s part",
                          dsn ? "delivery-status" : "feedback-report");
    } else if (dsn) {
        /* b[0]: per-message fields; then one block per recipient */
        for (size_t k = 1; k < nb; k++) {
            const char *action = get(&b[k], "Action");
            char *rcpt = address_of(get(&b[k], "Final-Recipient"));
            if (!rcpt) {
                rcpt = address_of(get(&b[k], "Original-Recipient"));
            }
            char *status = status_in(get(&b[k], "Status"));
            if (!status) {
                status = status_in(get(&b[k], "Diagnostic-Code"));
            }
            struct sw_feedback_item it = {SW_FB_OTHER, rcpt, status, NULL, msgid ? sw_strdup(msgid) : NULL};
            const char *diag = get(&b[k], "Diagnostic-Code");
            it.diagnostic = diag ? sw_strdup(diag) : NULL;
            if (action && !strcasecmp(action, "failed")) {
                it.kind = status && status[0] == '4' ? SW_FB_SOFT_BOUNCE : SW_FB_HARD_BOUNCE;
            } else if (action && !strcasecmp(action, "delayed")) {
                it.kind = SW_FB_SOFT_BOUNCE;
            }
            push(items, n, it);
        }
        if (!*n) {
            rc = sw_error_set(err, SW_EINVAL, "the delivery status names no recipient");
        }
    } else {
        const char *ftype = nb ? get(&b[0], "Feedback-Type") : NULL;
        char *rcpt = address_of(nb ? get(&b[0], "Original-Rcpt-To") : NULL);
        if (!rcpt && to) {
            rcpt = sw_strdup(to);
        }
        if (!ftype) {
            rc = sw_error_set(err, SW_EINVAL, "the feedback report has no Feedback-Type");
            free(rcpt);
        } else {
            struct sw_feedback_item it = {SW_FB_COMPLAINT, rcpt, NULL, sw_strdup(ftype),
                                          msgid ? sw_strdup(msgid) : NULL};
            push(items, n, it);
        }
    }
    blocks_free(b, nb);
    free(body);
    free(msgid);
    free(to);
    if (rc < 0) {
        sw_feedback_items_free(*items, *n);
        *items = NULL;
        *n = 0;
    }
out:
    if (msg) {
        g_object_unref(msg);
    }
    g_object_unref(parser);
    g_object_unref(stream);
    return rc;
}

void sw_feedback_items_free(struct sw_feedback_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(items[i].recipient);
        free(items[i].status);
        free(items[i].diagnostic);
        free(items[i].message_id);
    }
    free(items);
}
