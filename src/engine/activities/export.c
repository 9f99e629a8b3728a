/*
 * export.c - write the population to a CSV file (RFC 4180 quoting) under the `export_dir`
 * setting. Paths are relative: absolute paths and ".." are refused when the campaign is
 * saved. The file is written beside its final name and renamed, so a reader never sees a
 * half file; a re-run after a crash writes it again. Rows stream out; memory stays flat.
 */
#include "core/util.h"
#include "engine/activities/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool safe_path(const char *p)
{
    if (!p || !*p || p[0] == '/' || strlen(p) > 255) {
        return false;
    }
    /* no ".." component, no empty component, no backslashes */
    const char *s = p;
    while (*s) {
        const char *e = strchr(s, '/');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        if (n == 0 || (n == 2 && s[0] == '.' && s[1] == '.') || (n == 1 && s[0] == '.')) {
            return false;
        }
        s += n + (e ? 1 : 0);
        if (e && !*s) {
            return false;
        }
    }
    return !strchr(p, '\\');
}

static void validate(struct sw_vctx *v)
{
    static const char *const keys[] = {"path", "format", "columns", NULL};
    sw_vctx_check_keys(v, v->act->def, "", keys);
    const char *path = sw_vctx_string(v, v->act->def, "path", "", true);
    if (path && !safe_path(path)) {
        sw_vctx_error(v, ".path",
                      "must be a relative path inside export_dir (no leading /, no \"..\")");
    }
    const char *fmt = sw_vctx_string(v, v->act->def, "format", "", false);
    if (fmt && strcmp(fmt, "csv")) {
        sw_vctx_error(v, ".format", "unknown format \"%s\" (expected csv)", fmt);
    }
    sw_vctx_field_names(v, "columns", NULL, "must be a field name");
}

static void csv_field(FILE *f, const char *s)
{
    if (!s) {
        return;
    }
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') {
            fputc('"', f);
        }
        fputc(*s, f);
    }
    fputc('"', f);
}

static int make_parents(const char *path)
{
    char *p = sw_strdup(path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0755) < 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    free(p);
    return 0;
}

static int execute(struct sw_exec *ex)
{
    const json_t *def = ex->act->def;
    const char *rel = json_string_value(json_object_get(def, "path"));
    const json_t *cols = json_object_get(def, "columns");
    const struct sw_input *in = sw_act_input(ex);
    const char *dir = ex->config ? ex->config->export_dir : NULL;
    struct sw_filter_ctx fc;
    struct sw_buf sql = SW_BUF_INIT;
    struct sw_stmt *st = NULL;
    char *final = NULL, *tmp = NULL;
    FILE *f = NULL;
    int rc = 0;
    int64_t rows = 0;
    enum sw_type t;
    sw_act_pass_through(ex, in, "out");
    if (ex->dry_run) {
        sw_exec_log(ex, "info", "simulation: %s not written", rel);
        return 0;
    }
    if (!dir || !*dir) {
        return sw_exec_fail(ex, "export_dir is not configured (--export-dir or "
                                "STEPWISE_EXPORT_DIR)");
    }
    if (!safe_path(rel)) {
        return sw_exec_fail(ex, "unsafe export path \"%s\"", rel ? rel : "");
    }
    final = sw_asprintf("%s/%s", dir, rel);
    tmp = sw_asprintf("%s.tmp%ld", final, (long)getpid());
    sw_exec_filter_ctx(ex, in->shape, "d", "w", &fc);
    sw_buf_puts(&sql, "SELECT w._key");
    size_t ncols = json_array_size(cols);
    for (size_t i = 0; i < ncols; i++) {
        sw_buf_puts(&sql, ", ");
        if ((rc = sw_filter_field(&fc, json_string_value(json_array_get(cols, i)), "columns", &sql,
                                  &t, ex->err)) < 0) {
            goto out;
        }
    }
    if (!cols) {
        for (size_t i = 0; i < in->shape->ncols; i++) {
            sw_buf_puts(&sql, ", w.");
            sw_db_ident(&sql, in->shape->cols[i].name);
        }
        ncols = in->shape->ncols;
    }
    sw_buf_puts(&sql, " FROM ");
    sw_exec_from_input(ex, &sql, in, "w", "d");
    sw_buf_puts(&sql, " ORDER BY w._key");
    if ((rc = sw_db_prepare(ex->db, sql.data, &st, ex->err)) < 0) {
        goto out;
    }
    if (make_parents(final) < 0 || !(f = fopen(tmp, "w"))) {
        rc = sw_exec_fail(ex, "cannot write %s: %s", final, strerror(errno));
        goto out;
    }
    csv_field(f, in->shape->dim->pk);
    for (size_t i = 0; i < ncols; i++) {
        fputc(',', f);
        csv_field(f, cols ? json_string_value(json_array_get(cols, i)) : in->shape->cols[i].name);
    }
    fputs("\r\n", f);
    while ((rc = sw_stmt_step(st, ex->err)) == SW_STEP_ROW) {
        for (size_t i = 0; i <= ncols; i++) {
            if (i) {
                fputc(',', f);
            }
            csv_field(f, sw_stmt_column_text(st, (int)i));
        }
        fputs("\r\n", f);
        rows++;
    }
    if (rc < 0) {
        goto out;
    }
    rc = 0;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
        rc = sw_exec_fail(ex, "cannot write %s: %s", final, strerror(errno));
        goto out;
    }
    fclose(f);
    f = NULL;
    if (rename(tmp, final) < 0) {
        rc = sw_exec_fail(ex, "cannot rename to %s: %s", final, strerror(errno));
        goto out;
    }
    sw_exec_log(ex, "info", "exported %lld records to %s", (long long)rows, rel);
out:
    if (f) {
        fclose(f);
    }
    if (rc < 0 && tmp) {
        unlink(tmp);
    }
    sw_stmt_finalize(st);
    sw_buf_release(&sql);
    free(final);
    free(tmp);
    return rc;
}

const struct sw_activity_type sw_act_export = {
    "export", SW_ACT_TARGETING, 1, 1, validate, sw_act_ports_out, execute, NULL,
};
