/*
 * email.c - the email activity's delivery: the population becomes ledger rows (skip rules
 * included) in the task's transaction, then batches of pending rows are marked "sending"
 * (committed), personalized, built as MIME, handed to SMTP, and their outcomes committed.
 * A crash can only cut a batch between "sending" and its outcome: on restart those rows
 * become "unknown" and are never resent automatically; pending rows are sent. Temporary
 * failures are retried with exponential backoff (the task waits, holding no worker); a pause
 * stops at the next batch. Ports: out = delivered, failed = failed.
 *
 * Not yet here (issue 4): rate_per_second, send_window and confirm_before_send (a run using
 * them fails with a clear message), List-Unsubscribe configuration, SMS and push.
 */
#include "channels/ledger.h"
#include "channels/mime.h"
#include "channels/render.h"
#include "channels/smtp.h"
#include "core/clock.h"
#include "core/util.h"
#include "engine/activities/common.h"
#include "model/template.h"

#include <stdlib.h>
#include <string.h>

#define BATCH 500
#define MAX_ATTEMPTS 5

int sw_email_execute(struct sw_exec *ex);

struct row {
    int64_t id;
    int64_t attempts; /* including the one this batch makes */
    char *recipient;
    char *address;
    json_t *fields; /* the recipient's dimension fields and enrichment columns */
    struct sw_buf mime;
};

static const char *lookup(void *ud, const char *field)
{
    const json_t *fields = ((const json_t *const *)ud)[0];
    const json_t *vars = ((const json_t *const *)ud)[1];
    const json_t *v = json_object_get(fields, field);
    if (!v) {
        v = json_object_get(vars, field);
    }
    if (!v || json_is_null(v)) {
        return NULL;
    }
    return json_string_value(v);
}

/* Text of a column for personalization (numbers as SQLite prints them). */
static json_t *column_json(struct sw_stmt *st, int col)
{
    const char *t = sw_stmt_column_text(st, col);
    return t ? json_string(t) : json_null();
}

static int state_update(struct sw_exec *ex, int64_t id, const char *state, const char *error,
                        int64_t next_attempt)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t now = sw_clock_now_ms();
    sw_params_add_text(&p, state);
    sw_params_add_text_or_null(&p, error);
    sw_params_add_int_or_null(&p, next_attempt);
    sw_params_add_int(&p, now);
    sw_params_add_int(&p, id);
    int rc = sw_db_exec_params(ex->db,
                               "UPDATE sw_deliveries SET state = ?1, error = ?2, "
                               "next_attempt_at = ?3, updated_at = ?4, sent_at = CASE WHEN ?1 = "
                               "'sent' THEN ?4 END WHERE id = ?5",
                               &p, NULL, ex->err);
    sw_params_release(&p);
    return rc;
}

/* Load the recipients' fields for a batch of ledger rows. */
static int load_fields(struct sw_exec *ex, const struct sw_input *in, struct row *rows, size_t n)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_stmt *st = NULL;
    int rc;
    sw_buf_puts(&sql, "SELECT CAST(w._key AS TEXT), d.*");
    for (size_t i = 0; i < in->shape->ncols; i++) {
        sw_buf_puts(&sql, ", w.");
        sw_db_ident(&sql, in->shape->cols[i].name);
    }
    sw_buf_puts(&sql, " FROM ");
    sw_exec_from_input(ex, &sql, in, "w", "d");
    sw_buf_puts(&sql, " WHERE w._key IN (SELECT CAST(value AS INTEGER) FROM json_each(?1)) OR "
                      "CAST(w._key AS TEXT) IN (SELECT value FROM json_each(?1))");
    json_t *keys = json_array();
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(keys, json_string(rows[i].recipient));
    }
    char *kj = json_dumps(keys, JSON_COMPACT);
    json_decref(keys);
    if ((rc = sw_db_prepare(ex->db, sql.data, &st, ex->err)) < 0) {
        goto out;
    }
    sw_stmt_bind_text(st, 1, kj);
    int ncol = sw_stmt_column_count(st);
    while ((rc = sw_stmt_step(st, ex->err)) == SW_STEP_ROW) {
        const char *key = sw_stmt_column_text(st, 0);
        for (size_t i = 0; i < n; i++) {
            if (key && !strcmp(key, rows[i].recipient) && !rows[i].fields) {
                rows[i].fields = json_object();
                for (int c = 1; c < ncol; c++) {
                    json_object_set_new(rows[i].fields, sw_stmt_column_name(st, c),
                                        column_json(st, c));
                }
            }
        }
    }
    rc = rc < 0 ? rc : 0;
out:
    free(kj);
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    return rc;
}

/* Claim up to `batch` pending rows that are due: they become "sending" (committed). A crash
 * turns at most one batch into "unknown", so batches are a few messages per connection. */
static size_t claim(struct sw_exec *ex, struct row *rows, size_t batch, int64_t *next_due)
{
    struct sw_stmt *st = NULL;
    size_t n = 0;
    int64_t now = sw_clock_now_ms();
    *next_due = 0;
    if (sw_db_prepare(ex->db,
                      "SELECT id, recipient, address, coalesce(next_attempt_at, 0), attempts FROM "
                      "sw_deliveries WHERE run_id = ?1 AND activity = ?2 AND state = 'pending' "
                      "ORDER BY id LIMIT ?3",
                      &st, ex->err) < 0) {
        return 0;
    }
    sw_stmt_bind_int(st, 1, ex->run_id);
    sw_stmt_bind_text(st, 2, ex->act->id);
    sw_stmt_bind_int(st, 3, (int64_t)batch * 4);
    while (n < batch && sw_stmt_step(st, NULL) == SW_STEP_ROW) {
        int64_t due = sw_stmt_column_int(st, 3);
        if (due > now) {
            if (!*next_due || due < *next_due) {
                *next_due = due;
            }
            continue;
        }
        memset(&rows[n], 0, sizeof(rows[n]));
        rows[n].id = sw_stmt_column_int(st, 0);
        rows[n].attempts = sw_stmt_column_int(st, 4) + 1;
        rows[n].recipient = sw_strdup(sw_stmt_column_text(st, 1));
        rows[n].address = sw_strdup(sw_stmt_column_text(st, 2));
        sw_buf_init(&rows[n].mime);
        n++;
    }
    sw_stmt_finalize(st);
    for (size_t i = 0; i < n; i++) {
        struct sw_params p = SW_PARAMS_INIT;
        sw_params_add_int(&p, sw_clock_now_ms());
        sw_params_add_int(&p, rows[i].id);
        sw_db_exec_params(ex->db,
                          "UPDATE sw_deliveries SET state = 'sending', attempts = attempts + 1, "
                          "updated_at = ?1 WHERE id = ?2",
                          &p, NULL, NULL);
        sw_params_release(&p);
    }
    return n;
}

static void rows_release(struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(rows[i].recipient);
        free(rows[i].address);
        json_decref(rows[i].fields);
        sw_buf_release(&rows[i].mime);
    }
}

/* The population of one delivery state as a port's work table. */
static int port_table(struct sw_exec *ex, const struct sw_input *in, const char *port,
                      const char *states)
{
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_params p = SW_PARAMS_INIT;
    int64_t n = 0;
    const char *t = sw_exec_new_table_shape(ex, port, in->shape);
    if (!t) {
        return SW_EDB;
    }
    sw_exec_insert_select(ex, &sql, t, in->shape, "w");
    sw_buf_puts(&sql, " FROM ");
    sw_db_ident(&sql, in->table);
    sw_buf_printf(&sql, " w WHERE EXISTS (SELECT 1 FROM sw_deliveries l WHERE l.run_id = ?1 AND "
                        "l.activity = ?2 AND l.recipient = CAST(w._key AS TEXT) AND l.state IN (%s))",
                  states);
    sw_params_add_int(&p, ex->run_id);
    sw_params_add_text(&p, ex->act->id);
    int rc = sw_exec_sql(ex, sql.data, &p, &n);
    if (rc == 0) {
        sw_exec_set_count(ex, port, n);
    }
    sw_buf_release(&sql);
    sw_params_release(&p);
    return rc;
}

static bool run_running(struct sw_exec *ex)
{
    struct sw_params p = SW_PARAMS_INIT;
    int64_t running = 1;
    sw_params_add_int(&p, ex->run_id);
    sw_db_query_int(ex->db, "SELECT status = 'running' FROM sw_runs WHERE id = ?1", &p, &running,
                    NULL);
    sw_params_release(&p);
    return running != 0;
}

int sw_email_execute(struct sw_exec *ex)
{
    const json_t *def = ex->act->def;
    const struct sw_input *in = sw_act_input(ex);
    const struct sw_config *cfg = ex->config;
    struct sw_template *subject = NULL, *html = NULL, *text = NULL;
    struct sw_ledger_counts counts;
    struct row *rows = NULL;
    struct sw_smtp *smtp = NULL; /* sessions kept open across batches */
    char *msg = NULL;
    int rc = 0;
    if (!cfg || !cfg->smtp_url || !*cfg->smtp_url) {
        return sw_exec_fail(ex, "smtp_url is not configured (--smtp-url or STEPWISE_SMTP_URL): "
                                "nothing was sent to the %lld recipients",
                            (long long)(in ? in->count : 0));
    }
    static const char *const later[] = {"rate_per_second", "send_window", "confirm_before_send"};
    for (size_t i = 0; i < sizeof(later) / sizeof(later[0]); i++) {
        if (json_object_get(def, later[i])) {
            return sw_exec_fail(ex, "%s is not supported by this version: nothing was sent",
                                later[i]);
        }
    }
    struct sw_ledger_spec spec = {ex->run_id, ex->act->id, "email", in->table,
                                  in->shape->dim->name, in->shape->dim->pk,
                                  json_string_value(json_object_get(def, "to_field")),
                                  {0, 0}, sw_clock_now_ms()};
    if (cfg->frequency_cap && sw_frequency_cap_parse(cfg->frequency_cap, &spec.cap, ex->err) < 0) {
        return SW_EINVAL;
    }
    if ((rc = sw_ledger_fill(ex->db, &spec, &counts, ex->err)) < 0) {
        return rc;
    }
    /* Rows a crash cut while sending: the provider may have them. Never resend on our own. */
    struct sw_params p = SW_PARAMS_INIT;
    sw_params_add_int(&p, ex->run_id);
    sw_params_add_text(&p, ex->act->id);
    rc = sw_db_exec_params(ex->db,
                           "UPDATE sw_deliveries SET state = 'unknown', error = 'interrupted "
                           "while sending' WHERE run_id = ?1 AND activity = ?2 AND state = "
                           "'sending'",
                           &p, NULL, ex->err);
    sw_params_release(&p);
    if (rc < 0 || (rc = sw_db_commit(ex->db, ex->err)) < 0) {
        return rc;
    }
    const char *subject_s = json_string_value(json_object_get(def, "subject"));
    const char *html_s = json_string_value(json_object_get(def, "html"));
    const char *text_s = json_string_value(json_object_get(def, "text"));
    if (sw_template_compile(subject_s ? subject_s : "", &subject, &msg) < 0 ||
        (html_s && sw_template_compile(html_s, &html, &msg) < 0) ||
        (text_s && sw_template_compile(text_s, &text, &msg) < 0)) {
        rc = sw_exec_fail(ex, "template: %s", msg);
        goto reopen;
    }
    struct sw_smtp_config sc = {cfg->smtp_url, cfg->smtp_connections, 60};
    if ((rc = sw_smtp_open(&sc, &smtp, ex->err)) < 0) {
        goto reopen;
    }
    size_t batch = (size_t)(cfg->smtp_connections > 0 ? cfg->smtp_connections : 1) * 4;
    batch = batch > BATCH ? BATCH : batch;
    rows = sw_calloc(BATCH, sizeof(*rows));
    for (;;) {
        int64_t next_due = 0;
        if (!run_running(ex)) {
            ex->wake_at_ms = sw_clock_now_ms() + 1000; /* paused or stopped: at the next batch */
            break;
        }
        if ((rc = sw_db_begin(ex->db, ex->err)) < 0) {
            break;
        }
        size_t n = claim(ex, rows, batch, &next_due);
        if ((rc = sw_db_commit(ex->db, ex->err)) < 0) {
            rows_release(rows, n);
            break;
        }
        if (!n) {
            if (next_due) {
                ex->wake_at_ms = next_due; /* retries later, holding no worker */
            }
            break;
        }
        struct sw_smtp_msg *msgs = sw_calloc(n, sizeof(*msgs));
        if ((rc = load_fields(ex, in, rows, n)) < 0) {
            free(msgs);
            rows_release(rows, n);
            break;
        }
        for (size_t i = 0; i < n; i++) {
            const json_t *ctx[2] = {rows[i].fields, ex->variables};
            struct sw_buf s = SW_BUF_INIT, h = SW_BUF_INIT, t = SW_BUF_INIT;
            char mid[128];
            snprintf(mid, sizeof(mid), "<%lld.%zu.%lld@stepwise.invalid>", (long long)ex->run_id,
                     ex->act->index, (long long)rows[i].id);
            sw_render(subject, lookup, (void *)ctx, false, &s);
            if (html) {
                sw_render(html, lookup, (void *)ctx, true, &h);
            }
            if (text) {
                sw_render(text, lookup, (void *)ctx, false, &t);
            }
            struct sw_mime_msg mm = {
                .from = json_string_value(json_object_get(def, "from")),
                .to = rows[i].address,
                .reply_to = json_string_value(json_object_get(def, "reply_to")),
                .subject = s.data,
                .html = html ? h.data : NULL,
                .text = text ? t.data : NULL,
                .message_id = mid,
                .headers = json_object_get(def, "headers"),
                .date_ms = sw_clock_now_ms(),
            };
            struct sw_error merr = SW_ERROR_INIT;
            msgs[i].from = mm.from;
            msgs[i].to = rows[i].address;
            if (sw_mime_build(&mm, &rows[i].mime, &merr) < 0) {
                msgs[i].outcome = SW_SEND_PERMANENT;
                snprintf(msgs[i].error, sizeof(msgs[i].error), "%s",
                         merr.message ? merr.message : "invalid message");
                msgs[i].data = NULL;
            } else {
                msgs[i].data = rows[i].mime.data;
                msgs[i].len = rows[i].mime.len;
            }
            sw_error_release(&merr);
            sw_buf_release(&s);
            sw_buf_release(&h);
            sw_buf_release(&t);
        }
        /* Send the messages that could be built (keep the built ones contiguous). */
        struct sw_smtp_msg *todo = sw_calloc(n, sizeof(*todo));
        size_t *idx = sw_calloc(n, sizeof(*idx)), m = 0;
        for (size_t i = 0; i < n; i++) {
            if (msgs[i].data) {
                todo[m] = msgs[i];
                idx[m++] = i;
            }
        }
        if (m) {
            sw_smtp_send_batch(smtp, todo, m);
        }
        for (size_t k = 0; k < m; k++) {
            msgs[idx[k]] = todo[k];
        }
        free(todo);
        free(idx);
        if (rc == 0 && (rc = sw_db_begin(ex->db, ex->err)) == 0) {
            for (size_t i = 0; i < n && rc == 0; i++) {
                const struct sw_smtp_msg *r = &msgs[i];
                int64_t attempts = rows[i].attempts;
                switch (r->outcome) {
                case SW_SEND_SENT:
                    rc = state_update(ex, rows[i].id, "sent", NULL, 0);
                    break;
                case SW_SEND_PERMANENT:
                    rc = state_update(ex, rows[i].id, "failed", r->error, 0);
                    break;
                case SW_SEND_UNKNOWN:
                    rc = state_update(ex, rows[i].id, "unknown", r->error, 0);
                    break;
                case SW_SEND_TEMPORARY:
                    if (attempts >= MAX_ATTEMPTS) {
                        rc = state_update(ex, rows[i].id, "failed", r->error, 0);
                    } else {
                        /* 1 s, 2 s, 4 s, 8 s between attempts */
                        rc = state_update(ex, rows[i].id, "pending", r->error,
                                          sw_clock_now_ms() + (1000LL << (attempts - 1)));
                    }
                    break;
                }
            }
            if (rc == 0) {
                rc = sw_db_commit(ex->db, ex->err);
            } else {
                sw_db_rollback(ex->db);
            }
        }
        free(msgs);
        rows_release(rows, n);
        if (rc < 0) {
            break;
        }
    }
reopen:
    /* The engine completes the task in a transaction of its own. */
    if (sw_db_begin(ex->db, rc < 0 ? NULL : ex->err) < 0 && rc == 0) {
        rc = SW_EDB;
    }
    if (rc == 0 && ex->wake_at_ms <= sw_clock_now_ms()) {
        ex->wake_at_ms = 0;
        rc = port_table(ex, in, "out", "'sent'");
        if (rc == 0) {
            rc = port_table(ex, in, "failed", "'failed'");
        }
        if (rc == 0 && sw_ledger_counts(ex->db, ex->run_id, ex->act->id, &counts, ex->err) == 0) {
            sw_exec_log(ex, "info",
                        "email: %lld targeted, %lld sent, %lld failed, %lld unknown, skipped: "
                        "%lld missing address, %lld duplicate address, %lld frequency cap",
                        (long long)counts.targeted, (long long)counts.sent,
                        (long long)counts.failed, (long long)counts.unknown,
                        (long long)counts.missing_address, (long long)counts.duplicate_address,
                        (long long)counts.frequency_cap);
        }
    }
    sw_smtp_close(smtp);
    free(rows);
    free(msg);
    sw_template_free(subject);
    sw_template_free(html);
    sw_template_free(text);
    return rc;
}
