/*
 * schema.h - what Stepwise knows of the data source: dimensions (tables with a primary key),
 * their fields and types, and links (foreign keys, in both directions), discovered from the
 * database catalog. Tables Stepwise owns (sw_*, wt_*, swa_*) are never dimensions.
 */
#ifndef SW_SCHEMA_H
#define SW_SCHEMA_H

#include "core/error.h"
#include "db/db.h" /* enum sw_type, enum sw_date_fmt */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Where a field's type comes from. */
enum sw_type_source { SW_SRC_DECLARED, SW_SRC_INFERRED, SW_SRC_HINTED };

/* Inference reads at most this many rows of a table (the first ones) to type its text
 * columns: a column becomes a date when every non-NULL value read is ISO-8601. */
#define SW_SCHEMA_SAMPLE_ROWS 1000

struct sw_field {
    char *name;
    enum sw_type type;
    char *decl; /* declared type as written, e.g. "DATETIME" */
    enum sw_date_fmt date_fmt; /* SW_T_DATE only */
    bool date_z;               /* ISO_T values end in "Z" */
    bool pk;
    bool indexed; /* the first column of an index (or the primary key) */
    enum sw_type_source source;
    int sampled; /* inferred: how many non-NULL values decided it */
    char *label; /* hinted: the name shown to marketers, or NULL */
    /* hinted boolean spellings (text compared as stored): a value in `yes` is true, in `no`
     * false, anything else NULL */
    char **yes, **no;
    size_t nyes, nno;
};

struct sw_link {
    char *name;       /* the other table's name, or the FK column when ambiguous */
    char *target;     /* table at the other end */
    char *local_col;  /* column of this dimension in the join */
    char *remote_col; /* column of the target in the join */
    bool to_many;     /* 1-N: several target rows per row of this dimension */
    bool collides;    /* another link of the same dimension has this name (unusable by name) */
};

struct sw_dimension {
    char *name;
    char *pk;            /* primary key column (single-column keys only) */
    enum sw_type pk_type;
    struct sw_field *fields;
    size_t nfields;
    struct sw_link *links;
    size_t nlinks;
    bool view;   /* a view made a dimension by the hints (its key declared there) */
    char *label; /* hinted, or NULL */
    char *address[3]; /* hinted address fields of the channels email, sms, push, or NULL */
};

struct sw_schema {
    struct sw_dimension *dims;
    size_t ndims;
    char *default_dim; /* "profiles" if present, else the first dimension; NULL if none */
    char **warnings;   /* what discovery could not use, and why */
    size_t nwarnings;
    int64_t db_version; /* the data source's schema version when discovered (see db.h) */
    _Atomic int refs;   /* sw_schema_ref / sw_schema_free */
};

int sw_schema_discover(struct sw_db *db, struct sw_schema **out, struct sw_error *err);

/* Schema hints (docs/ARCHITECTURE.md "Schema hints"): what the database does not say — links
 * without a declared foreign key (or new names for discovered ones), types and storage formats
 * (unix_s, unix_ms, boolean spellings), labels, each channel's address field, the default
 * dimension, views as dimensions with their key, tables and fields to hide. Validated against
 * the discovered schema: every problem is a detail with its JSON path in the hints
 * (SW_EVALIDATION), and nothing is applied then. */
int sw_schema_apply_hints(struct sw_db *db, struct sw_schema *s, const json_t *hints,
                          struct sw_error *err);
/* Discovery, then the hints file at `hints_path` when it is not NULL or empty. */
int sw_schema_discover_hinted(struct sw_db *db, const char *hints_path, struct sw_schema **out,
                              struct sw_error *err);
/* A schema is shared by reference: a campaign loaded against it points into it, so whoever
 * loads one keeps a reference for as long (sw_schema_ref, released by sw_schema_free, which
 * frees the schema with its last reference; discovery hands out the first). */
struct sw_schema *sw_schema_ref(struct sw_schema *s);
void sw_schema_free(struct sw_schema *s);

const struct sw_dimension *sw_schema_dim(const struct sw_schema *s, const char *name);
const struct sw_field *sw_dim_field(const struct sw_dimension *d, const char *name);
/* The link of that name; NULL when none (and when two links share it: see collides). */
const struct sw_link *sw_dim_link(const struct sw_dimension *d, const char *name);
/* The message for a name two links share ("links ... and ... are both named ..."), or NULL. */
char *sw_dim_link_collision(const struct sw_dimension *d, const char *name);
const char *sw_type_name(enum sw_type t); /* "integer", "real", "text", "boolean", "date" */

/* Did-you-mean: " (did you mean \"email\"?)", or with up to three names, for a name that is
 * not among the dimension's fields, links, or the schema's dimensions; "" when nothing is
 * close. Always a malloc'd string. */
char *sw_dim_suggest_field(const struct sw_dimension *d, const char *name);
char *sw_dim_suggest_link(const struct sw_dimension *d, const char *name);
char *sw_schema_suggest_dim(const struct sw_schema *s, const char *name);

/* {"dimensions": [{"name", "primary_key", "fields": [{"name","type"}], "links": [...]}], "default": ...} */
json_t *sw_schema_to_json(const struct sw_schema *s);

#endif
