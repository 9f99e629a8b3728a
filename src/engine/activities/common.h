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
/* execute() of the channel activities, email, sms and push (deliver.c). */
int sw_deliver_execute(struct sw_exec *ex);

/* The activity types, one per file of activities/ (the registry lists them, registry.c). */
extern const struct sw_activity_type sw_act_build_audience, sw_act_read_audience,
    sw_act_combine, sw_act_split, sw_act_deduplicate, sw_act_enrich, sw_act_change_dimension,
    sw_act_save_audience, sw_act_fork, sw_act_join, sw_act_wait, sw_act_test, sw_act_end,
    sw_act_alert, sw_act_export, sw_act_email, sw_act_sms, sw_act_push;

#endif
