/*
 * test_openapi.c - the API description cannot drift from the server: every route of the
 * route table (src/server/api.c sw_routes) is an operation of api/openapi.json (as embedded
 * in the binary) and every operation is a route, method and path alike; public routes say
 * `security: []`, the others name the least role they need; the error codes the document
 * lists are exactly the error table's (src/core/error.h).
 */
#include "testutil.h"

#include "core/error.h"
#include "server/api.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define V1 "/api/v1"

/* Routes outside the API, deliberately not in the document: the web UI and its assets, and
 * the root copies of /healthz and /metrics (documented under /api/v1) for probes. */
static const char *const outside[] = {"/", "/healthz", "/metrics", NULL};

static bool excluded(const char *pattern)
{
    for (size_t i = 0; outside[i]; i++) {
        if (!strcmp(outside[i], pattern)) {
            return true;
        }
    }
    return !strncmp(pattern, "/assets", 7); /* the UI's static files */
}

static json_t *load_doc(void)
{
    json_error_t e;
    json_t *doc = json_loadb((const char *)sw_openapi_json, sw_openapi_json_len, 0, &e);
    if (!doc) {
        fail_msg("api/openapi.json is not JSON: line %d: %s", e.line, e.text);
    }
    assert_int_equal(strlen((const char *)sw_openapi_json), sw_openapi_json_len);
    return doc;
}

static void lower(const char *in, char *out, size_t n)
{
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++) {
        out[i] = (char)tolower((unsigned char)in[i]);
    }
    out[i] = '\0';
}

static void every_route_is_documented(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    json_t *paths = json_object_get(doc, "paths");
    int missing = 0;
    assert_non_null(paths);
    for (size_t i = 0; i < sw_nroutes; i++) {
        const struct sw_route *r = &sw_routes[i];
        if (excluded(r->pattern)) {
            continue;
        }
        if (strncmp(r->pattern, V1 "/", strlen(V1) + 1)) {
            fprintf(stderr, "route %s %s is neither under " V1 " nor listed as outside the API\n",
                    r->method, r->pattern);
            missing++;
            continue;
        }
        char m[16];
        lower(r->method, m, sizeof(m));
        const json_t *op = json_object_get(json_object_get(paths, r->pattern + strlen(V1)), m);
        if (!op) {
            fprintf(stderr, "route %s %s is not in api/openapi.json\n", r->method, r->pattern);
            missing++;
            continue;
        }
        const json_t *sec = json_object_get(op, "security");
        const char *role = json_string_value(json_object_get(op, "x-stepwise-role"));
        if (r->role == SW_ROLE_NONE) {
            if (!json_is_array(sec) || json_array_size(sec) != 0 || role) {
                fprintf(stderr, "%s %s is public: the document must say security: []\n",
                        r->method, r->pattern);
                missing++;
            }
        } else if (!json_is_array(sec) || json_array_size(sec) == 0 || !role ||
                   strcmp(role, sw_role_name(r->role))) {
            fprintf(stderr, "%s %s needs the %s role: the document says %s\n", r->method,
                    r->pattern, sw_role_name(r->role), role ? role : "nothing");
            missing++;
        }
        if (!json_is_object(json_object_get(op, "responses")) ||
            !json_is_string(json_object_get(op, "operationId"))) {
            fprintf(stderr, "%s %s: no responses or operationId\n", r->method, r->pattern);
            missing++;
        }
    }
    json_decref(doc);
    assert_int_equal(missing, 0);
}

static void every_operation_is_a_route(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    const char *path;
    json_t *item;
    int extra = 0, ops = 0;
    json_object_foreach(json_object_get(doc, "paths"), path, item)
    {
        const char *method;
        json_t *op;
        json_object_foreach(item, method, op)
        {
            static const char *const methods[] = {"get", "put", "post", "delete", "patch",
                                                  "head", "options", "trace", NULL};
            bool is_method = false;
            for (size_t k = 0; methods[k]; k++) {
                is_method = is_method || !strcmp(methods[k], method);
            }
            if (!is_method) {
                continue; /* "parameters" of the path item */
            }
            ops++;
            bool found = false;
            for (size_t i = 0; i < sw_nroutes && !found; i++) {
                char m[16];
                lower(sw_routes[i].method, m, sizeof(m));
                found = !strcmp(m, method) && !strncmp(sw_routes[i].pattern, V1, strlen(V1)) &&
                        !strcmp(sw_routes[i].pattern + strlen(V1), path);
            }
            if (!found) {
                fprintf(stderr, "api/openapi.json has %s %s, which the server does not route\n",
                        method, path);
                extra++;
            }
        }
    }
    json_decref(doc);
    assert_true(ops > 30);
    assert_int_equal(extra, 0);
}

static void error_codes_are_the_table(void **state)
{
    (void)state;
    json_t *doc = load_doc();
    const json_t *codes = json_object_get(
        json_object_get(
            json_object_get(
                json_object_get(
                    json_object_get(json_object_get(json_object_get(doc, "components"), "schemas"),
                                    "Error"),
                    "properties"),
                "error"),
            "properties"),
        "code");
    const json_t *list = json_object_get(codes, "enum");
    size_t n = 0;
    assert_true(json_is_array(list));
    for (int code = -1; strcmp(sw_error_name(code), "UNKNOWN"); code--, n++) {
        bool found = false;
        size_t i;
        const json_t *v;
        json_array_foreach(list, i, v)
        {
            found = found || !strcmp(json_string_value(v), sw_error_name(code));
        }
        if (!found) {
            fail_msg("error code %s is not in the document's Error schema", sw_error_name(code));
        }
    }
    assert_int_equal(json_array_size(list), n);
    json_decref(doc);
}

static void campaign_schema_is_embedded(void **state)
{
    (void)state;
    json_t *s = json_loadb((const char *)sw_campaign_schema_json, sw_campaign_schema_json_len, 0,
                           NULL);
    assert_non_null(s);
    assert_string_equal(json_string_value(json_object_get(s, "$schema")),
                        "https://json-schema.org/draft/2020-12/schema");
    json_decref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_route_is_documented),
        cmocka_unit_test(every_operation_is_a_route),
        cmocka_unit_test(error_codes_are_the_table),
        cmocka_unit_test(campaign_schema_is_embedded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
