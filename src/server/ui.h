/*
 * ui.h - the web UI (SPEC §6) served from the binary: the files Vite built into web/dist,
 * embedded at build time by web/scripts/embed.mjs (a generated C table, each file with a gzip
 * copy where that is smaller), served at "/" and "/assets/...", and index.html for every other
 * GET outside the API so that client-side paths such as /campaigns/12 can be reloaded.
 */
#ifndef SW_UI_H
#define SW_UI_H

#include <stdbool.h>
#include <stddef.h>

struct sw_api;

struct sw_ui_asset {
    const char *path; /* "/index.html", "/assets/index-3f2a9c.js" */
    const char *content_type;
    const char *etag; /* quoted: "\"<sha-256 prefix>\"" */
    const unsigned char *data;
    size_t len;
    const unsigned char *gz; /* gzip of data, or NULL when that is not smaller */
    size_t gz_len;
    bool immutable; /* content-hashed name: cached for a year */
};

/* The generated table (no entries when the UI was not built: then a short page says so). */
extern const struct sw_ui_asset sw_ui_assets[];
extern const size_t sw_ui_nassets;

/* Whether a request that no API route took is the UI's: GET or HEAD outside /api/, /healthz
 * and /metrics. */
bool sw_ui_handles(const char *method, const char *path);

/* The handler: the asset at the path, or index.html (revalidated by ETag). */
void sw_ui_serve(struct sw_api *a);

#endif
