/*
 * filter.h - the condition tree of SPEC §2.1 compiled to a parameterized SQL boolean
 * expression. Values are always bound parameters; identifiers come only from the discovered
 * schema or from validated enrichment column names. The same code checks a condition
 * without a data source (structure only: operators, value shapes, variables).
 */
#ifndef SW_FILTER_H
#define SW_FILTER_H

#include "core/buf.h"
#include "core/error.h"
#include "db/db.h"
#include "model/shape.h"

#include <jansson.h>
#include <stdint.h>

struct sw_filter_ctx {
    enum sw_dialect dialect;
    const struct sw_schema *schema; /* NULL: structural checks only, no SQL is written */
    const struct sw_shape *shape;   /* dimension (shape->dim may be NULL) + extra columns */
    const char *dim_alias;          /* SQL alias of the dimension row, e.g. "d" */
    const char *cols_alias;         /* SQL alias of the work table with the extra columns ("w"),
                                       NULL when there is none (build_audience) */
    const json_t *variables;        /* {"name": value}; NULL = none declared */
    int64_t now_ms;                 /* for within_last and relative before/after */
    /* in_audience: the table holding that audience's keys (column "_key"), or NULL when no
     * such audience exists (a compile error then). Unused without a schema. */
    const char *(*audience_table)(void *ud, const char *name);
    void *ud;
    /* Semi-join form: a 1-N `exists` of the top scope becomes
     * "d.local IN (SELECT l.remote FROM target l WHERE ...)", one pass over the linked table
     * instead of one probe per row: the right shape when the population is a whole
     * dimension (build_audience). NULL keys of the linked rows are excluded. */
    bool semijoin;
    /* Asked, in semi-join form, about each condition on an indexed column of the linked
     * table: does `where` (alias `alias` on `table`, values in `params`, numbered from 1)
     * select a small part of the table? If no indexed condition does, the linked table is
     * scanned without its indexes (SQLite cannot estimate a range's selectivity, and an
     * index walk over a third of a table is many times slower than a sequential scan).
     * NULL: leave the choice to the database. */
    bool (*selective)(void *ud, const char *table, const char *alias, const char *where,
                      const struct sw_params *params);
};

/* Append the SQL for `cond` to sql and its values to params. On error, every problem found
 * is appended to err->details with its JSON path (path is the path of `cond`, e.g.
 * "$.activities[0].filter"), and SW_EVALIDATION is returned. */
int sw_filter_compile(const json_t *cond, const char *path, const struct sw_filter_ctx *ctx,
                      struct sw_buf *sql, struct sw_params *params, struct sw_error *err);

/* The SQL value expression of a field of the population: an extra column
 * (cols_alias."name") or a dimension column (dim_alias."name"). Sets *type. Returns 0, or
 * SW_EVALIDATION with a detail at path when the field is unknown. Without a schema, any
 * field name is accepted and *type is SW_T_UNKNOWN. */
int sw_filter_field(const struct sw_filter_ctx *ctx, const char *field, const char *path,
                    struct sw_buf *sql, enum sw_type *type, struct sw_error *err);

/* Scalar subquery for an enrichment column over a link, correlated to dim_alias:
 *  - aggregate NULL: the linked `field` through an N-1 link (1-N links need an aggregate);
 *  - aggregate "count" (field optional), "sum", "avg", "min", "max" over a link, with an
 *    optional filter on the linked rows. count and sum of no rows give 0; avg, min, max NULL.
 * *type gets the result type. Errors as for sw_filter_compile, under `path`. */
int sw_filter_link_value(const struct sw_filter_ctx *ctx, const char *link, const char *aggregate,
                         const char *field, const json_t *filter, const char *path,
                         struct sw_buf *sql, struct sw_params *params, enum sw_type *type,
                         struct sw_error *err);

/* Grouped enrichment over a 1-N link (one LEFT JOIN and GROUP BY instead of one subquery
 * per column and row). sw_filter_link_join appends "<target> <alias> ON <alias>.<remote> =
 * <dim_alias>.<local>"; sw_filter_link_aggregate appends the aggregate over the joined rows
 * with the column's filter folded in, e.g. COALESCE(sum(CASE WHEN (<filter>) THEN
 * l."amount" END), 0). Same semantics as sw_filter_link_value. */
int sw_filter_link_join(const struct sw_filter_ctx *ctx, const char *link, const char *alias,
                        struct sw_buf *sql, struct sw_error *err);
int sw_filter_link_aggregate(const struct sw_filter_ctx *ctx, const char *link, const char *alias,
                             const char *aggregate, const char *field, const json_t *filter,
                             const char *path, struct sw_buf *sql, struct sw_params *params,
                             enum sw_type *type, struct sw_error *err);

/* Resolve a value that may be {"var": "name"}: returns the variable's value (borrowed), the
 * value itself, or NULL with a detail at path when the variable is not declared. */
const json_t *sw_filter_resolve_value(const struct sw_filter_ctx *ctx, const json_t *v,
                                      const char *path, struct sw_error *err);

#endif
