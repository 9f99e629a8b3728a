/*
 * api_tracking.c - what happened after the send (catalog/tracking.h):
 *
 *   GET    /runs/{id}/activities/{aid}/report   a channel activity's delivery report: sent,
 *          delivered, bounced, complained, unsubscribed, unique opens and clicks, clicks per
 *          link (people only; machines are counted apart)
 *   DELETE /tracking/{address}                  erase a person's open and click events
 *          (admin; ?channel= for one channel), e.g. on a request under GDPR Art. 17
 */
#include "catalog/catalog.h"
#include "catalog/tracking.h"
#include "core/util.h"
#include "server/api.h"
#include "server/recorder.h"
#include "server/server.h"

#include <stdlib.h>
#include <string.h>

static json_t *report_json(int64_t run_id, const char *aid, const struct sw_delivery_report *r)
{
    json_t *links = json_array();
    for (size_t i = 0; i < r->nlinks; i++) {
        const struct sw_link_report *l = &r->links[i];
        json_array_append_new(links, json_pack("{s:i, s:s, s:I, s:I}", "link", l->link, "url",
                                               l->url, "unique_clicks", (json_int_t)l->unique,
                                               "clicks", (json_int_t)l->clicks));
    }
    return json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I, s:I, s:I, s:o}",
                     "run_id", (json_int_t)run_id, "activity", aid, "targeted",
                     (json_int_t)r->targeted, "sent", (json_int_t)r->sent, "failed",
                     (json_int_t)r->failed, "skipped", (json_int_t)r->skipped, "delivered",
                     (json_int_t)r->delivered, "bounced", (json_int_t)r->bounced, "hard_bounced",
                     (json_int_t)r->hard_bounced, "soft_bounced", (json_int_t)r->soft_bounced,
                     "complained", (json_int_t)r->complained, "unsubscribed",
                     (json_int_t)r->unsubscribed, "unique_opens", (json_int_t)r->unique_opens,
                     "machine_opens", (json_int_t)r->machine_opens, "unique_clicks",
                     (json_int_t)r->unique_clicks, "clicks", (json_int_t)r->clicks,
                     "machine_clicks", (json_int_t)r->machine_clicks, "links", links);
}

/* Whether the run exists and `aid` is one of its channel activities (a task of type email,
 * sms or push); false with a 404 set. */
static bool channel_activity(struct sw_api *a, int64_t run_id, const char *aid)
{
    struct sw_catalog cat = {a->db};
    json_t *tasks = sw_catalog_tasks_json(&cat, run_id);
    bool found = false;
    size_t i;
    json_t *t;
    json_array_foreach(tasks, i, t)
    {
        const char *type = json_string_value(json_object_get(t, "type"));
        if (sw_streq(json_string_value(json_object_get(t, "activity")), aid) && type &&
            (!strcmp(type, "email") || !strcmp(type, "sms") || !strcmp(type, "push"))) {
            found = true;
        }
    }
    if (!found && json_array_size(tasks) == 0) {
        sw_api_not_found(a, "run", run_id);
    } else if (!found) {
        sw_resp_fail(a->resp, SW_ENOTFOUND, "the run has no channel activity of that id", NULL);
    }
    json_decref(tasks);
    return found;
}

void sw_api_runs_report(struct sw_api *a)
{
    struct sw_error err = SW_ERROR_INIT;
    int64_t id = sw_api_id(a, 0);
    const char *aid = a->req->nparams > 1 ? a->req->params[1] : "";
    if (!id) {
        return;
    }
    struct sw_delivery_report r;
    if (!channel_activity(a, id, aid)) {
        return;
    }
    if (sw_catalog_delivery_report(a->db, id, aid, &r, &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 200, report_json(id, aid, &r));
        sw_delivery_report_release(&r);
    }
    sw_error_release(&err);
}

void sw_api_tracking_erase(struct sw_api *a)
{
    static const char *const channels[] = {"email", "sms", "push", NULL};
    struct sw_error err = SW_ERROR_INIT;
    const char *address = a->req->nparams > 0 ? a->req->params[0] : "";
    int64_t erased = 0;
    if (sw_api_enum_param(a, "channel", channels, false) < 0) {
        return;
    }
    if (sw_catalog_tracking_erase(a->db, address, sw_req_query(a->req, "channel"), &erased,
                                  &err) < 0) {
        sw_api_error(a, &err);
    } else {
        sw_resp_json(a->resp, 200,
                     json_pack("{s:s, s:I}", "address", address, "erased", (json_int_t)erased));
    }
    sw_error_release(&err);
}

void sw_api_metrics_tracking(struct sw_api *a, struct sw_buf *b)
{
    struct sw_tracking_totals t;
    if (sw_catalog_tracking_totals(a->db, &t, NULL) == 0) {
        sw_buf_printf(
            b,
            "# HELP stepwise_tracking_requests Requests for open pixels and tracked links, by "
            "people and machines.\n# TYPE stepwise_tracking_requests gauge\n"
            "stepwise_tracking_requests{kind=\"open\",agent=\"person\"} %lld\n"
            "stepwise_tracking_requests{kind=\"open\",agent=\"machine\"} %lld\n"
            "stepwise_tracking_requests{kind=\"click\",agent=\"person\"} %lld\n"
            "stepwise_tracking_requests{kind=\"click\",agent=\"machine\"} %lld\n"
            "# HELP stepwise_messages_engaged Messages opened or clicked by a person.\n"
            "# TYPE stepwise_messages_engaged gauge\n"
            "stepwise_messages_engaged{event=\"opened\"} %lld\n"
            "stepwise_messages_engaged{event=\"clicked\"} %lld\n"
            "# HELP stepwise_feedback Bounce and complaint reports matched to a message.\n"
            "# TYPE stepwise_feedback gauge\n"
            "stepwise_feedback{kind=\"hard_bounce\"} %lld\nstepwise_feedback{kind=\"soft_bounce\"} "
            "%lld\nstepwise_feedback{kind=\"complaint\"} %lld\n"
            "# HELP stepwise_unsubscribes Addresses suppressed by an unsubscribe.\n"
            "# TYPE stepwise_unsubscribes gauge\nstepwise_unsubscribes %lld\n",
            (long long)(t.open_requests - t.open_machine), (long long)t.open_machine,
            (long long)(t.click_requests - t.click_machine), (long long)t.click_machine,
            (long long)t.opened, (long long)t.clicked, (long long)t.hard_bounces,
            (long long)t.soft_bounces, (long long)t.complaints, (long long)t.unsubscribes);
    }
    if (a->srv->recorder) {
        struct sw_recorder_stats s;
        sw_recorder_stats(a->srv->recorder, &s);
        sw_buf_printf(b,
                      "# HELP stepwise_tracking_dropped_total Open and click events not recorded "
                      "(queue full or a database error).\n"
                      "# TYPE stepwise_tracking_dropped_total counter\n"
                      "stepwise_tracking_dropped_total %lld\n",
                      (long long)(s.dropped + s.failed));
    }
}
