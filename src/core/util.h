/*
 * util.h - small helpers every module uses: checked allocation, strings, JSON access.
 */
#ifndef SW_UTIL_H
#define SW_UTIL_H

#include "core/buf.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation failure is the one error we do not thread through every call: these
 * abort with a message, as git's xmalloc does. */
void *sw_malloc(size_t n);
void *sw_calloc(size_t n, size_t size);
void *sw_realloc(void *p, size_t n);
char *sw_strdup(const char *s);
/* A copy of s, or NULL when s is NULL (a text column that may be NULL). */
char *sw_strdup_or_null(const char *s);
char *sw_strndup(const char *s, size_t n);
char *sw_asprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *sw_vasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

bool sw_streq(const char *a, const char *b); /* NULL-safe */
/* Edit distance between two names, case-insensitive: insertions, deletions, substitutions and
 * swaps of two neighbours each count 1 (optimal string alignment). Names longer than 64
 * bytes are compared on their first 64. */
size_t sw_edit_distance(const char *a, const char *b);
/* Whether a comma-separated list ("mail,sms") names id, or is "all". */
bool sw_csv_has(const char *list, const char *id);

/* Parse a whole decimal integer; 0 on success, -1 on garbage or overflow. */
int sw_parse_int64(const char *s, int64_t *out);

/* True for identifiers of the form [A-Za-z0-9_-]{1,64} (activity ids, ports). */
bool sw_valid_id(const char *s);
/* True for column names we create: [A-Za-z_][A-Za-z0-9_]{0,62}, not starting with "_". */
bool sw_valid_column_name(const char *s);

/* Read a whole file; returns 0 or SW_EIO. */
int sw_read_file(const char *path, char **data, size_t *len);
/* Set *flag under mu and wake one thread waiting on cv (a stop or wake request to a thread). */
void sw_cond_raise(pthread_mutex_t *mu, pthread_cond_t *cv, bool *flag);

#endif
