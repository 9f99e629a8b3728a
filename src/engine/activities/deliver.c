/*
 * deliver.c - the email, sms and push activities (SPEC §2.2 "Delivery", §5.1): a long-running
 * activity, the one kind that commits progress through sw_exec_checkpoint (engine/activity.h
 * "Long-running activities" says what each commit holds and what a crash between two means).
 *
 * 1. In the task's transaction, the population becomes ledger rows (skip rules included,
 *    catalog/ledger.c), each with the personalization fields its templates use, so that a
 *    message can be built, retried or repaired from its row alone; rows a crash left `sending`
 *    become `unknown`. The checkpoint commits them.
 * 2. confirm_before_send holds the task (SW_WAKE_HELD, no worker) until a confirmation is
 *    recorded (POST /runs/{id}/activities/{aid}/confirm, or `--confirm` on the CLI).
 * 3. Between the checkpoint and the task's last transaction, the send pipeline
 *    (deliver_pipeline.c) sends every due row with commits of its own. Temporary failures go
 *    back to `pending` with an exponential backoff (1, 2, 4, 8 s, or the provider's
 *    Retry-After); the task waits for the earliest of them. Permanent failures fail the row.
 * 4. The task's last transaction: ports out = delivered (sent), failed = failed, from the
 *    ledger.
 */
#include "catalog/ledger.h"
#include "channels/mime.h"
#include "channels/render.h"
#include "channels/token.h"
#include "channels/track.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activities/common.h"
#include "engine/activities/deliver_pipeline.h"
#include "model/template.h"

#include <stdlib.h>
#include <string.h>

enum channel { CH_EMAIL, CH_SMS, CH_PUSH };

struct tpl {
    const char *key;
    struct sw_template *t;
};

/* The activity, as the task's thread sees it; build() reads it on the sending thread too
 * (read-only once sending starts). */
struct dl {
    struct sw_exec *ex;
    enum channel ch;
    const char *url;    /* the provider */
    struct tpl tpls[4]; /* email: subject html text; sms: text; push: title body */
    size_t ntpls;
    struct sw_template *unsub;
    bool track_opens, track_clicks; /* email: "tracking" (channels/track.h) */
    char *public_base; /* email: public_url without its trailing slashes, or NULL */
    char *env_from;               /* the envelope sender: the bare address of `from` */
    int window_from, window_to;   /* the send window, minutes; -1 = none */
    struct sw_frequency_cap fcap; /* the channel's frequency cap (count 0: none) */
    struct sw_pipeline pl;
};

/* ud: {fields, variables, links}: the row's captured fields, the campaign's variables, and
 * the links Stepwise makes for the row ("unsubscribe_url"), which come first. */
static const char *lookup(void *ud, const char *field)
{
    const json_t *fields = ((const json_t *const *)ud)[0];
    const json_t *vars = ((const json_t *const *)ud)[1];
    const json_t *links = ((const json_t *const *)ud)[2];
    const json_t *v = json_object_get(links, field);
    if (!v) {
        v = json_object_get(fields, field);
    }
    if (!v) {
        v = json_object_get(vars, field);
    }
    if (!v || json_is_null(v)) {
        return NULL;
    }
    return json_string_value(v);
}

/* ---- building messages ---- */

static void collect_fields(const struct sw_template *t, json_t *names)
{
    for (size_t i = 0; t && i < t->nparts; i++) {
        if (t->parts[i].is_field) {
            json_object_set_new(names, t->parts[i].text, json_true());
        }
    }
}

/* Fields used by the strings of a push `data` value. */
static void collect_json_fields(const json_t *v, json_t *names)
{
    if (json_is_string(v)) {
        struct sw_template *t = NULL;
        char *msg = NULL;
        if (sw_template_compile(json_string_value(v), &t, &msg) == 0) {
            collect_fields(t, names);
        }
        sw_template_free(t);
        free(msg);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) { collect_json_fields(x, names); }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) { collect_json_fields(x, names); }
    }
}

static const char *tpl_text(const struct dl *d, const char *key)
{
    return json_string_value(json_object_get(d->ex->act->def, key));
}

static const struct sw_template *tpl_get(const struct dl *d, const char *key)
{
    for (size_t i = 0; i < d->ntpls; i++) {
        if (!strcmp(d->tpls[i].key, key)) {
            return d->tpls[i].t;
        }
    }
    return NULL;
}

static void render_opt(const struct sw_template *t, const json_t *const *ctx, bool html,
                       struct sw_buf *out)
{
    if (t) {
        sw_render(t, lookup, (void *)ctx, html, out);
    }
}

/* The item's payload: MIME for email, the provider's JSON for SMS and push. A message that
 * cannot be built fails its row (permanent), with the reason. */
static void build(void *ud, struct sw_send_item *it)
{
    struct dl *d = ud;
    struct sw_exec *ex = d->ex;
    const json_t *def = ex->act->def;
    /* The row's one-click unsubscribe link on the public listener, when there is one. */
    json_t *links = json_object();
    char *token = d->public_base && ex->config->keyring
                      ? sw_token_sign(ex->config->keyring, SW_TOKEN_UNSUBSCRIBE, it->id)
                      : NULL;
    if (token) {
        char *url = sw_asprintf("%s/u/%s", d->public_base, token);
        json_object_set_new(links, "unsubscribe_url", json_string(url));
        free(url);
        free(token);
    }
    const json_t *ctx[3] = {it->fields, ex->variables, links};
    char mid[96];
    snprintf(mid, sizeof(mid), "%lld.%zu.%lld", (long long)ex->run_id, ex->act->index,
             (long long)it->id);
    it->outcome = SW_SEND_SENT;
    sw_buf_reserve(&it->payload, 4096);
    if (d->ch == CH_EMAIL) {
        struct sw_buf s = SW_BUF_INIT, h = SW_BUF_INIT, t = SW_BUF_INIT, u = SW_BUF_INIT;
        char msgid[128];
        snprintf(msgid, sizeof(msgid), "<%s@stepwise.invalid>", mid);
        render_opt(tpl_get(d, "subject"), ctx, false, &s);
        render_opt(tpl_get(d, "html"), ctx, true, &h);
        render_opt(tpl_get(d, "text"), ctx, false, &t);
        const char *ours = json_string_value(json_object_get(links, "unsubscribe_url"));
        render_opt(d->unsub, ctx, false, &u);
        /* With our own link, a configured mailto: still goes beside it (RFC 2369 allows both);
         * a configured URL gives way to ours. */
        const char *mailto = ours && u.len && !strncasecmp(u.data, "mailto:", 7) ? u.data : NULL;
        if (h.data && ours && (d->track_opens || d->track_clicks)) {
            struct sw_track_opts o = {ex->config->keyring, d->public_base, it->id,
                                      d->track_opens, d->track_clicks};
            struct sw_buf tracked = SW_BUF_INIT;
            sw_track_rewrite_html(h.data, &o, &tracked, NULL);
            sw_buf_release(&h);
            h = tracked;
        }
        struct sw_mime_msg mm = {
            .from = json_string_value(json_object_get(def, "from")),
            .to = it->address,
            .reply_to = json_string_value(json_object_get(def, "reply_to")),
            .subject = s.data ? s.data : "",
            .html = tpl_get(d, "html") ? (h.data ? h.data : "") : NULL,
            .text = tpl_get(d, "text") ? (t.data ? t.data : "") : NULL,
            .message_id = msgid,
            .list_unsubscribe = ours    ? ours
                                : u.len ? u.data
                                        : NULL,
            .one_click = ours != NULL, /* RFC 8058: the public listener takes the POST */
            .list_unsubscribe_mailto = mailto,
            .headers = json_object_get(def, "headers"),
            .date_ms = sw_clock_now_ms(),
        };
        struct sw_error merr = SW_ERROR_INIT;
        if (sw_mime_build(&mm, &it->payload, &merr) < 0) {
            it->outcome = SW_SEND_PERMANENT;
            snprintf(it->error, sizeof(it->error), "%s",
                     merr.message ? merr.message : "the message could not be built");
        }
        it->sm.from = d->env_from;
        it->sm.to = it->address;
        it->sm.data = it->payload.data;
        it->sm.len = it->payload.len;
        sw_error_release(&merr);
        sw_buf_release(&s);
        sw_buf_release(&h);
        sw_buf_release(&t);
        sw_buf_release(&u);
        json_decref(links);
        return;
    }
    json_t *o = json_object();
    json_object_set_new(o, "message_id", json_string(mid));
    json_object_set_new(o, "to", json_string(it->address));
    if (d->ch == CH_SMS) {
        struct sw_buf t = SW_BUF_INIT;
        render_opt(tpl_get(d, "text"), ctx, false, &t);
        json_object_set_new(o, "text", json_stringn(t.data ? t.data : "", t.len));
        sw_buf_release(&t);
    } else {
        struct sw_buf t = SW_BUF_INIT, b = SW_BUF_INIT;
        render_opt(tpl_get(d, "title"), ctx, false, &t);
        render_opt(tpl_get(d, "body"), ctx, false, &b);
        json_object_set_new(o, "title", json_stringn(t.data ? t.data : "", t.len));
        json_object_set_new(o, "body", json_stringn(b.data ? b.data : "", b.len));
        const json_t *data = json_object_get(def, "data");
        json_t *rd = NULL;
        if (data) {
            struct sw_error rerr = SW_ERROR_INIT;
            rd = sw_render_json(data, lookup, (void *)ctx, NULL, &rerr);
            if (!rd) {
                it->outcome = SW_SEND_PERMANENT;
                snprintf(it->error, sizeof(it->error), "data: %s",
                         rerr.message ? rerr.message : "cannot be rendered");
            }
            sw_error_release(&rerr);
        }
        json_object_set_new(o, "data", rd ? rd : json_object());
        sw_buf_release(&t);
        sw_buf_release(&b);
    }
    char *body = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (body) {
        sw_buf_puts(&it->payload, body);
        free(body);
    }
    if (!it->payload.len) {
        it->outcome = SW_SEND_PERMANENT;
        snprintf(it->error, sizeof(it->error), "the message could not be built");
    }
    it->hm.body = it->payload.data;
    it->hm.len = it->payload.len;
    json_decref(links);
}
static int parse_hhmm(const char *s)
{
    return s && strlen(s) == 5
               ? ((s[0] - '0') * 10 + (s[1] - '0')) * 60 + (s[3] - '0') * 10 + (s[4] - '0')
               : -1;
}

/* Whether the activity was released: a recorded confirmation, or the CLI's --confirm (which
 * records one). Inside the task's transaction. */
static bool confirmed(struct sw_exec *ex)
{
    bool yes = false;
    sw_ledger_confirmed(ex->db, ex->run_id, ex->act->id, &yes, NULL);
    const char *list = ex->config->confirm;
    if (!yes && list && sw_csv_has(list, ex->act->id)) {
        yes = sw_ledger_confirm(ex->db, ex->run_id, ex->act->id, "cli", sw_clock_now_ms(), NULL,
                                NULL) == 0;
    }
    return yes;
}

/* The population of the given delivery state as a port's work table. When the input's work
 * table is gone (a repair after the run ended), only the count is recorded. */
static int port_table(struct sw_exec *ex, const struct sw_input *in, const char *port,
                      enum sw_delivery_state state, int64_t count)
{
    if (!in || !in->table || !sw_db_table_exists(ex->db, in->table)) {
        sw_exec_set_count(ex, port, count);
        return 0;
    }
    struct sw_buf sql = SW_BUF_INIT;
    int64_t n = 0;
    const char *t = sw_exec_new_table_shape(ex, port, in->shape);
    if (!t) {
        return SW_EDB;
    }
    sw_exec_insert_select(ex, &sql, t, in->shape, "w");
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, in->table);
    sw_buf_puts(&sql, " w");
    int rc =
        sw_ledger_insert_in_state(ex->db, sql.data, ex->run_id, ex->act->id, state, &n, ex->err);
    if (rc == 0) {
        sw_exec_set_count(ex, port, n);
    }
    sw_buf_release(&sql);
    return rc;
}

/* Fill the ledger (once: a task re-executed after a crash or for a repair finds its rows),
 * capturing the fields the templates use. */
static int fill(struct dl *d, const struct sw_input *in)
{
    struct sw_exec *ex = d->ex;
    bool filled = false;
    sw_ledger_filled(ex->db, ex->run_id, ex->act->id, &filled, NULL);
    if (filled || !in || !in->table) {
        return 0; /* filled already, or nothing reached this activity */
    }
    json_t *names = json_object();
    for (size_t i = 0; i < d->ntpls; i++) {
        collect_fields(d->tpls[i].t, names);
    }
    collect_fields(d->unsub, names);
    collect_json_fields(json_object_get(ex->act->def, "data"), names);
    struct sw_ledger_field *fields = sw_calloc(json_object_size(names) + 1, sizeof(*fields));
    size_t nf = 0;
    const char *name;
    json_t *v;
    json_object_foreach(names, name, v)
    {
        if (sw_shape_col(in->shape, name)) {
            fields[nf].name = name;
            fields[nf++].from_work = true;
        } else if (in->shape->dim && sw_dim_field(in->shape->dim, name)) {
            fields[nf].name = name;
            fields[nf++].from_work = false;
        } /* else a campaign variable, looked up when rendering */
    }
    struct sw_ledger_spec spec = {ex->run_id,
                                  ex->act->id,
                                  ex->act->type_name,
                                  in->table,
                                  in->shape->dim->name,
                                  in->shape->dim->pk,
                                  json_string_value(json_object_get(ex->act->def, "to_field")),
                                  sw_clock_now_ms(),
                                  fields,
                                  nf};
    int rc = sw_ledger_fill(ex->db, &spec, NULL, ex->err);
    free(fields);
    json_decref(names);
    return rc;
}
static int compile(struct dl *d)
{
    static const char *const keys[3][3] = {
        {"subject", "html", "text"}, {"text", NULL, NULL}, {"title", "body", NULL}};
    char *msg = NULL;
    for (int i = 0; i < 3; i++) {
        const char *key = keys[d->ch][i];
        const char *text = key ? tpl_text(d, key) : NULL;
        if (!text) {
            continue;
        }
        struct tpl *t = &d->tpls[d->ntpls++];
        t->key = key;
        if (sw_template_compile(text, &t->t, &msg) < 0) {
            int rc = sw_exec_fail(d->ex, "%s: %s", key, msg);
            free(msg);
            return rc;
        }
    }
    const json_t *tracking = json_object_get(d->ex->act->def, "tracking");
    d->track_opens = d->ch == CH_EMAIL && json_is_true(json_object_get(tracking, "opens"));
    d->track_clicks = d->ch == CH_EMAIL && json_is_true(json_object_get(tracking, "clicks"));
    const char *pub = d->ex->config->public_url;
    if (d->ch == CH_EMAIL && pub && *pub) {
        size_t n = strlen(pub);
        while (n && pub[n - 1] == '/') {
            n--;
        }
        d->public_base = sw_strndup(pub, n);
    }
    if ((d->track_opens || d->track_clicks) && !d->ex->config->public_url) {
        sw_exec_log(d->ex, "warn",
                    "tracking is on but public_url is not set: opens and clicks are not tracked");
    }
    const char *unsub = d->ex->config->list_unsubscribe;
    if (d->ch == CH_EMAIL && unsub && *unsub && sw_template_compile(unsub, &d->unsub, &msg) < 0) {
        int rc = sw_exec_fail(d->ex, "list_unsubscribe setting: %s", msg);
        free(msg);
        return rc;
    }
    return 0;
}
/* "Shop <shop@example.com>" -> "shop@example.com"; a bare address is kept. */
static char *bare_address(const char *from)
{
    const char *lt = from ? strrchr(from, '<') : NULL;
    const char *gt = lt ? strchr(lt, '>') : NULL;
    if (lt && gt) {
        return sw_strndup(lt + 1, (size_t)(gt - lt - 1));
    }
    return sw_strdup(from ? from : "");
}

/* The provider, the send window, the templates and the channel's frequency cap (decided at
 * every claim, also when the task runs again for a repair or after a restart). */
static int setup(struct dl *d)
{
    struct sw_exec *ex = d->ex;
    const json_t *def = ex->act->def;
    const struct sw_config *cfg = ex->config;
    const struct sw_input *in = sw_act_input(ex);
    static const char *const settings[] = {"smtp_url (--smtp-url or STEPWISE_SMTP_URL)",
                                           "sms_url (--sms-url or STEPWISE_SMS_URL)",
                                           "push_url (--push-url or STEPWISE_PUSH_URL)"};
    d->ch = !strcmp(ex->act->type_name, "sms")    ? CH_SMS
            : !strcmp(ex->act->type_name, "push") ? CH_PUSH
                                                  : CH_EMAIL;
    d->url = d->ch == CH_EMAIL ? cfg->smtp_url : d->ch == CH_SMS ? cfg->sms_url : cfg->push_url;
    if (!d->url || !*d->url) {
        return sw_exec_fail(ex, "%s is not configured: nothing was sent to the %lld recipients",
                            settings[d->ch], (long long)(in ? in->count : 0));
    }
    const json_t *win = json_object_get(def, "send_window");
    d->window_from = d->window_to = -1;
    if (win) {
        d->window_from = parse_hhmm(json_string_value(json_object_get(win, "from")));
        d->window_to = parse_hhmm(json_string_value(json_object_get(win, "to")));
        if (d->window_from < 0 || d->window_to < 0) {
            return sw_exec_fail(ex, "send_window: from and to must be times \"HH:MM\"");
        }
    }
    int rc = compile(d);
    if (rc < 0) {
        return rc;
    }
    d->env_from = bare_address(json_string_value(json_object_get(def, "from")));
    if (cfg->frequency_cap && *cfg->frequency_cap) {
        struct sw_frequency_caps caps;
        if ((rc = sw_frequency_caps_parse(cfg->frequency_cap, &caps, ex->err)) < 0) {
            return rc;
        }
        d->fcap = sw_frequency_caps_for(&caps, ex->act->type_name);
    }
    return 0;
}

/* In the task's transaction, before its checkpoint: the ledger, and the rows a crash cut while
 * sending (they may have reached the provider: unknown, never resent on our own). *held: the
 * activity waits for its confirmation. */
static int ledger_ready(struct dl *d, const struct sw_input *in, bool *held)
{
    struct sw_exec *ex = d->ex;
    int rc = fill(d, in);
    if (rc == 0) {
        rc =
            sw_ledger_mark_interrupted(ex->db, ex->run_id, ex->act->id, sw_clock_now_ms(), ex->err);
    }
    *held = rc == 0 && json_is_true(json_object_get(ex->act->def, "confirm_before_send")) &&
            !confirmed(ex);
    return rc;
}

/* After the checkpoint, for a held activity: wait for the confirmation, holding no worker (said
 * once, when it starts waiting). */
static int hold(void *ud)
{
    struct dl *d = ud;
    struct sw_exec *ex = d->ex;
    struct sw_ledger_counts counts;
    if (ex->wake_at_ms != SW_WAKE_HELD &&
        sw_ledger_counts(ex->db, ex->run_id, ex->act->id, &counts, NULL) == 0) {
        sw_exec_log(ex, "info",
                    "%s: %lld messages are ready and wait for confirmation (POST "
                    "/api/v1/runs/%lld/activities/%s/confirm)",
                    ex->act->type_name, (long long)counts.pending, (long long)ex->run_id,
                    ex->act->id);
    }
    ex->wake_at_ms = SW_WAKE_HELD;
    ex->waiting = true;
    return 0;
}

/* After the checkpoint: the send pipeline, with commits of its own. */
static int send(void *ud)
{
    struct dl *d = ud;
    struct sw_exec *ex = d->ex;
    const struct sw_config *cfg = ex->config;
    int conns = d->ch == CH_EMAIL ? cfg->smtp_connections : cfg->http_connections;
    struct sw_pipeline_config pc = {
        .email = d->ch == CH_EMAIL,
        .url = d->url,
        .connections = conns > 0 ? conns : 4,
        .no_pipelining = cfg->smtp_no_pipelining,
        .window_rows = cfg->send_window_rows,
        .rate = json_number_value(json_object_get(ex->act->def, "rate_per_second")),
        .provider_rate = d->ch == CH_EMAIL ? cfg->smtp_rate
                         : d->ch == CH_SMS ? cfg->sms_rate
                                           : cfg->push_rate,
        .tz = json_string_value(json_object_get(ex->campaign->doc, "timezone")),
        .window_from = d->window_from,
        .window_to = d->window_to,
        .fcap = d->fcap,
        .build = build,
        .ud = d,
    };
    int rc = sw_pipeline_init(&d->pl, ex, &pc);
    return rc < 0 ? rc : sw_pipeline_run(&d->pl);
}

/* In the task's last transaction: the out (sent) and failed ports, from the ledger. */
static int complete(struct dl *d, const struct sw_input *in)
{
    struct sw_exec *ex = d->ex;
    struct sw_ledger_counts counts;
    int rc = sw_ledger_counts(ex->db, ex->run_id, ex->act->id, &counts, ex->err);
    if (rc == 0) {
        rc = port_table(ex, in, "out", SW_DELIVERY_SENT, counts.sent);
    }
    if (rc == 0) {
        rc = port_table(ex, in, "failed", SW_DELIVERY_FAILED, counts.failed);
    }
    if (rc == 0) {
        sw_exec_log(ex, "info",
                    "%s: %lld targeted, %lld sent, %lld failed, %lld unknown, skipped: "
                    "%lld missing address, %lld duplicate address, %lld frequency cap, "
                    "%lld suppressed",
                    ex->act->type_name, (long long)counts.targeted, (long long)counts.sent,
                    (long long)counts.failed, (long long)counts.unknown,
                    (long long)counts.missing_address, (long long)counts.duplicate_address,
                    (long long)counts.frequency_cap, (long long)counts.suppressed);
    }
    return rc;
}

static void dl_release(struct dl *d)
{
    for (size_t i = 0; i < d->ntpls; i++) {
        sw_template_free(d->tpls[i].t);
    }
    sw_template_free(d->unsub);
    free(d->public_base);
    free(d->env_from);
    sw_pipeline_release(&d->pl);
}

int sw_deliver_execute(struct sw_exec *ex)
{
    static const struct sw_config none = {0};
    const struct sw_input *in = sw_act_input(ex);
    struct dl d = {0};
    bool held = false;
    if (!ex->config) {
        ex->config = &none;
    }
    d.ex = ex;
    int rc = setup(&d);
    if (rc == 0) {
        rc = ledger_ready(&d, in, &held);
    }
    if (rc == 0) {
        /* The ledger is committed before anything is sent; the task completes in a
         * transaction of its own. */
        rc = sw_exec_checkpoint(ex, held ? hold : send, &d);
    }
    if (rc == 0 && !ex->waiting) {
        rc = complete(&d, in);
    }
    dl_release(&d);
    return rc;
}
