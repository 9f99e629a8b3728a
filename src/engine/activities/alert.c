/*
 * alert.c - write an alert to the run's logs and POST it to the configured alert webhook
 * (libcurl, 10 s timeout). A webhook that fails is logged; the run goes on, since the
 * alert is already in the logs.
 */
#include "core/util.h"
#include "engine/activities/common.h"

#include <curl/curl.h>
#include <stdlib.h>

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"title", "message", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    sw_vctx_string(v, v->act->def, "title", "", true);
    sw_vctx_string(v, v->act->def, "message", "", false);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

static int execute(struct sw_exec *ex)
{
    const char *title = json_string_value(json_object_get(ex->act->def, "title"));
    const char *message = json_string_value(json_object_get(ex->act->def, "message"));
    const struct sw_input *in = sw_act_input(ex);
    sw_act_pass_through(ex, in, "out");
    sw_exec_log(ex, "warn", "alert: %s%s%s (%lld records)", title, message ? ": " : "",
                message ? message : "", (long long)(in ? in->count : 0));
    const char *url = ex->config ? ex->config->alert_webhook : NULL;
    if (!url || !*url || ex->dry_run) {
        return 0;
    }
    json_t *body = json_pack("{s:I, s:I, s:s, s:s, s:s?, s:I}", "campaign_id",
                             (json_int_t)ex->campaign_id, "run_id", (json_int_t)ex->run_id,
                             "activity", ex->act->id, "title", title, "message", message,
                             "count", (json_int_t)(in ? in->count : 0));
    char *text = json_dumps(body, JSON_COMPACT);
    CURL *h = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
    CURLcode cc = CURLE_FAILED_INIT;
    long status = 0;
    if (h) {
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
        cc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
    }
    if (cc != CURLE_OK || status < 200 || status > 299) {
        sw_exec_log(ex, "warn", "alert webhook failed: %s (HTTP %ld)",
                    cc != CURLE_OK ? curl_easy_strerror(cc) : "bad status", status);
    }
    curl_slist_free_all(hdr);
    free(text);
    json_decref(body);
    return 0;
}

const struct sw_activity_type sw_act_alert = {
    "alert", SW_ACT_FLOW, 1, 1, validate, sw_act_ports_out, execute, NULL,
};
