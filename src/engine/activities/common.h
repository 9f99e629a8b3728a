/*
 * common.h - small pieces several activities share: single-input access, pass-through,
 * and "insert the rows of an input that match a filter".
 */
#ifndef SW_ACT_COMMON_H
#define SW_ACT_COMMON_H

#include "engine/activity.h"

/* The first active input, or NULL. */
const struct sw_input *sw_act_input(const struct sw_exec *ex);
/* Register every given port as the same population as `in` (fork, wait, alert, ...). */
void sw_act_pass_through(struct sw_exec *ex, const struct sw_input *in, const char *port);
/* ports() for activities with just "out". */
char **sw_act_ports_out(const struct sw_activity *a);
/* Check that the population's dimension is the same for every input (combine, join). */
void sw_act_check_same_dimension(struct sw_vctx *v);
/* A filter compiled on the population of `in` (dimension alias d, columns alias w),
 * appended to sql/params; returns 0 or an error (ex->err set). filter may be NULL (TRUE). */
int sw_act_compile_filter(struct sw_exec *ex, const json_t *filter, const char *path,
                          const struct sw_shape *shape, const char *cols_alias,
                          struct sw_buf *sql, struct sw_params *params);
/* The same over a whole dimension (no work table): 1-N link tests in semi-join form. */
int sw_act_compile_filter_semijoin(struct sw_exec *ex, const json_t *filter, const char *path,
                                   const struct sw_shape *shape, struct sw_buf *sql,
                                   struct sw_params *params);
/* True when the SQL text uses the dimension alias `d` (so the dimension must be joined). */
bool sw_act_uses_dim(const char *sql);
/* The JSON path of this activity plus suffix, malloc'd. */
char *sw_act_path(const struct sw_exec *ex, const char *suffix);

#endif
