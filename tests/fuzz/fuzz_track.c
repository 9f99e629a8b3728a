/*
 * fuzz_track.c - libFuzzer target for open and click tracking (channels/track.c): any bytes
 * as an HTML body through the rewrite (every click link it writes must verify and decode to a
 * URL that was in the input), and as open and click tokens (a token that verifies must be one
 * the ring signed: signing what it decoded gives the same text back).
 *
 * Built as a libFuzzer binary with clang (cmake -DSW_FUZZ=ON, `make fuzz`) and, with any
 * compiler, as a replay program over the corpus in tests/fuzz/corpus/track (run by ctest).
 */
#include "channels/track.h"

#include "fuzz_keys.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *BASE = "https://t.example";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sw_keyring kr;
    fuzz_keyring(&kr);
    char *in = fuzz_text(data, size);

    struct sw_track_opts o = {.kr = &kr, .base = BASE, .row = 42, .opens = true, .clicks = true};
    struct sw_buf out;
    sw_buf_init(&out);
    int links = 0;
    sw_track_rewrite_html(in, &o, &out, &links);
    int seen = 0;
    const char *prefix = "\"https://t.example/c/";
    for (const char *p = out.data ? strstr(out.data, prefix) : NULL; p; p = strstr(p + 1, prefix)) {
        const char *t = p + strlen(prefix);
        char *tok = strndup(t, strcspn(t, "\""));
        int64_t row = 0;
        int link = 0;
        char *url = NULL;
        if (sw_track_click_verify(&kr, tok, &row, &link, &url)) {
            seen++;
            if (row != 42 || link != seen || strlen(url) > SW_TRACK_URL_MAX) {
                abort();
            }
            free(url);
        }
        free(tok);
    }
    if (seen < links) {
        abort(); /* a link was counted that is not in the output */
    }
    sw_buf_release(&out);

    int64_t row = 0;
    int link = 0;
    char *url = NULL;
    if (sw_track_open_verify(&kr, in, &row)) {
        struct sw_keyring one = kr;
        one.n = 1;
        char *a1 = sw_track_open_token(&one, row), *a2 = sw_track_open_token(&kr, row);
        if (!a1 || !a2 || (strcmp(a1, in) && strcmp(a2, in))) {
            abort();
        }
        free(a1);
        free(a2);
    }
    if (sw_track_click_verify(&kr, in, &row, &link, &url)) {
        struct sw_keyring one = kr;
        one.n = 1;
        char *a1 = sw_track_click_token(&one, row, link, url);
        char *a2 = sw_track_click_token(&kr, row, link, url);
        if (!a1 || !a2 || (strcmp(a1, in) && strcmp(a2, in))) {
            abort();
        }
        free(a1);
        free(a2);
        free(url);
    }
    free(in);
    return 0;
}
