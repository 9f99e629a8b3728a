/*
 * feedback.c - see feedback.h: each report item becomes a row of sw_feedback, matched to its
 * ledger row, and a hard bounce, a complaint or soft bounces in a row suppress the address.
 */
#include "catalog/feedback.h"
#include "catalog/suppressions.h"
#include "core/util.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *sw_feedback_kind_name(enum sw_feedback_kind k)
{
    switch (k) {
    case SW_FB_HARD_BOUNCE:
        return "hard_bounce";
    case SW_FB_SOFT_BOUNCE:
        return "soft_bounce";
    case SW_FB_COMPLAINT:
        return "complaint";
    default:
        return "other";
    }
}

/* "<12.3.456@stepwise.invalid>" or without brackets: run 12, row 456. */
static bool our_message_id(const char *id, int64_t *run, int64_t *row)
{
    if (!id) {
        return false;
    }
    while (*id == '<' || isspace((unsigned char)*id)) {
        id++;
    }
    long long r = 0, a = 0, w = 0;
    char host[32] = "";
    if (sscanf(id, "%lld.%lld.%lld@%31[a-z.]", &r, &a, &w, host) != 4 ||
        strcmp(host, "stepwise.invalid") || r <= 0 || w <= 0) {
        return false;
    }
    *run = r;
    *row = w;
    return true;
}

static int64_t query_int(struct sw_db *db, const char *sql, struct sw_params *p)
{
    int64_t v = 0;
    if (sw_db_query_int(db, sql, p, &v, NULL) < 0) {
        v = 0;
    }
    return v;
}

int sw_feedback_record(struct sw_db *db, const struct sw_feedback_item *items, size_t n,
                       const char *source, const char *raw, int soft_limit, int64_t now_ms,
                       json_t **out, struct sw_error *err)
{
    int rc = sw_db_begin(db, err);
    json_t *arr = json_array();
    soft_limit = soft_limit > 0 ? soft_limit : 3;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const struct sw_feedback_item *it = &items[i];
        int64_t run = 0, row = 0, delivery = 0;
        const char *matched_by = NULL;
        struct sw_params p = SW_PARAMS_INIT;
        if (our_message_id(it->message_id, &run, &row)) {
            /* Our messages have one recipient each: a report about another address names
             * someone else's message (several recipients in one DSN): matched by recipient. */
            sw_params_add_int(&p, row);
            sw_params_add_int(&p, run);
            sw_params_add_text_or_null(&p, it->recipient);
            delivery = query_int(db,
                                 "SELECT id FROM sw_deliveries WHERE id = ?1 AND run_id = ?2 AND "
                                 "channel = 'email' AND (?3 IS NULL OR address_key = "
                                 "lower(trim(?3)))",
                                 &p);
            sw_params_release(&p);
            matched_by = delivery ? "message_id" : NULL;
        }
        if (!delivery && it->recipient) {
            sw_params_add_text(&p, it->recipient);
            delivery = query_int(db,
                                 "SELECT id FROM sw_deliveries WHERE channel = 'email' AND "
                                 "address_key = lower(trim(?1)) AND state IN ('sent', "
                                 "'unknown') ORDER BY coalesce(sent_at, updated_at) DESC, id "
                                 "DESC LIMIT 1",
                                 &p);
            sw_params_release(&p);
            matched_by = delivery ? "recipient" : NULL;
        }
        /* The address acted upon: the report's, else the ledger row's. */
        char *addr = it->recipient ? sw_strdup(it->recipient) : NULL;
        if (!addr && delivery) {
            struct sw_stmt *st = NULL;
            if (sw_db_prepare(db, "SELECT address FROM sw_deliveries WHERE id = ?1", &st, NULL) ==
                0) {
                sw_stmt_bind_int(st, 1, delivery);
                if (sw_stmt_step(st, NULL) == SW_STEP_ROW && sw_stmt_column_text(st, 0)) {
                    addr = sw_strdup(sw_stmt_column_text(st, 0));
                }
                sw_stmt_finalize(st);
            }
        }
        sw_params_add_int(&p, now_ms);
        sw_params_add_text(&p, sw_feedback_kind_name(it->kind));
        sw_params_add_text_or_null(&p, addr);
        sw_params_add_text_or_null(&p, it->status);
        sw_params_add_text_or_null(&p, it->diagnostic);
        sw_params_add_text_or_null(&p, it->message_id);
        sw_params_add_int_or_null(&p, delivery);
        sw_params_add_text_or_null(&p, matched_by);
        sw_params_add_text(&p, source);
        sw_params_add_text_or_null(&p, delivery ? NULL : raw); /* kept when unmatched */
        int64_t fid = 0;
        rc = sw_db_insert_id(db,
                             "INSERT INTO sw_feedback (received_at, kind, address, address_key, "
                             "status, diagnostic, message_id, delivery_id, matched_by, source, "
                             "raw) VALUES (?1, ?2, ?3, lower(trim(?3)), ?4, ?5, ?6, ?7, ?8, ?9, "
                             "?10)",
                             &p, &fid, err);
        sw_params_release(&p);
        /* Effects: what suppresses the address. */
        const char *why = NULL;
        if (rc == 0 && addr && it->kind == SW_FB_HARD_BOUNCE) {
            why = "hard_bounce";
        } else if (rc == 0 && addr && it->kind == SW_FB_COMPLAINT) {
            why = "complaint";
        } else if (rc == 0 && addr && it->kind == SW_FB_SOFT_BOUNCE) {
            /* In a row: each of the address's last soft_limit messages soft-bounced. */
            sw_params_add_text(&p, addr);
            sw_params_add_int(&p, soft_limit);
            int64_t bounced = query_int(
                db,
                "SELECT count(*) FROM (SELECT d.id FROM sw_deliveries d WHERE d.channel = "
                "'email' AND d.address_key = lower(trim(?1)) AND d.state IN ('sent', 'unknown') "
                "ORDER BY coalesce(d.sent_at, d.updated_at) DESC, d.id DESC LIMIT ?2) last WHERE "
                "EXISTS (SELECT 1 FROM sw_feedback f WHERE f.delivery_id = last.id AND f.kind = "
                "'soft_bounce')",
                &p);
            sw_params_release(&p);
            why = bounced >= soft_limit ? "soft_bounces" : NULL;
        }
        bool suppressed = false;
        if (why) {
            char *detail = it->status || it->diagnostic
                               ? sw_asprintf("%s%s%s", it->status ? it->status : "",
                                             it->status && it->diagnostic ? " " : "",
                                             it->diagnostic ? it->diagnostic : "")
                               : NULL;
            struct sw_suppression s = {0, "email", addr, why, detail, delivery, now_ms, source};
            rc = sw_suppress_add(db, &s, &suppressed, err);
            free(detail);
        }
        if (rc == 0) {
            json_t *o =
                json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:b}", "id", (json_int_t)fid,
                          "kind", sw_feedback_kind_name(it->kind), "recipient", addr, "status",
                          it->status, "diagnostic", it->diagnostic, "message_id", it->message_id,
                          "matched_by", matched_by, "suppressed", suppressed || why != NULL);
            json_object_set_new(o, "delivery_id", delivery ? json_integer(delivery) : json_null());
            json_array_append_new(arr, o);
        }
        free(addr);
    }
    if (rc == 0) {
        rc = sw_db_commit(db, err);
    } else {
        sw_db_rollback(db);
    }
    if (rc == 0 && out) {
        *out = arr;
    } else {
        json_decref(arr);
    }
    return rc;
}
