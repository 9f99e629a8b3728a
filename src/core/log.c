/*
 * log.c - see log.h. Lines are "time level message", written with one fputs so that
 * threads do not interleave within a line.
 */
#include "core/log.h"
#include "core/clock.h"
#include "core/util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static enum sw_log_level min_level = SW_LOG_WARN;

void sw_log_set_level(enum sw_log_level lvl)
{
    min_level = lvl;
}

const char *sw_log_level_name(enum sw_log_level lvl)
{
    static const char *names[] = {"debug", "info", "warn", "error"};
    return lvl <= SW_LOG_ERROR ? names[lvl] : "?";
}

void sw_log(enum sw_log_level lvl, const char *fmt, ...)
{
    if (lvl < min_level) {
        return;
    }
    char ts[32];
    sw_clock_format_iso(sw_clock_now_ms(), ts, sizeof(ts));
    va_list ap;
    va_start(ap, fmt);
    char *msg = sw_vasprintf(fmt, ap);
    va_end(ap);
    char *line = sw_asprintf("%s %s %s\n", ts, sw_log_level_name(lvl), msg);
    fputs(line, stderr);
    free(line);
    free(msg);
}
