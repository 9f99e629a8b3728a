/*
 * cmd_auth.c - `stepwise token create|list|revoke` and `stepwise user add`: API tokens and
 * UI users (server/auth.h). A new token is printed once with its id, the token as the last
 * word of the output; `token list` shows ids, names, roles and times, never a secret (only
 * hashes are stored). A password is read from standard input (first line), without echo
 * when that is a terminal.
 */
#include "catalog/auth.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "cli/serve.h"
#include "core/clock.h"
#include "core/util.h"
#include "db/db.h"
#include "server/auth.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* After the synopses and summary of the table of commands (common.c). */
static const char token_text[] =
    "\n"
    "create prints the new token's id and the token, once, as the last word of the output;\n"
    "only its hash is stored. list shows every token's id, name, role, creation and last\n"
    "use (never the token). revoke deletes a token by its id: it stops working at once.\n"
    "\n"
    "  --role ROLE   viewer (read), editor (write, run) or admin (tokens)\n"
    "  --name NAME   a label to recognise the token by\n"
    "  --json        list: one JSON array of {id, name, role, created_at, last_used_at}\n"
    "  --data URL    data source (a SQLite file path or sqlite:PATH; env STEPWISE_DATA)\n"
    "Exit status: 0 done, 1 error (no such token), 2 usage error.\n";

static const char user_text[] =
    "\n"
    "The password is the first line of standard input (8 to 1024 bytes) and is stored as\n"
    "an Argon2id hash.\n"
    "\n"
    "  --role ROLE   viewer (read), editor (write, run) or admin (tokens)\n"
    "  --data URL    data source (a SQLite file path or sqlite:PATH; env STEPWISE_DATA)\n"
    "Exit status: 0 added, 1 error (user exists, bad password), 2 usage error.\n";

struct auth_args {
    const char *data;
    const char *role;
    const char *name;
    int json;
    int is_token;
    int npos;
    char **pos; /* positional arguments, verb first */
};

/* --name and --json are token's: user refuses them as unknown options. */
static int token_only(const struct sw_cli_flag *f, const char *value)
{
    struct auth_args *a = f->ud;
    if (!a->is_token) {
        return SW_CLI_UNKNOWN;
    }
    if (value) {
        a->name = value;
    } else {
        a->json = 1;
    }
    return 0;
}

/* Parse the options shared by both commands: SW_CLI_GO, else the exit code (0 after --help,
 * 2 after a usage error). */
static int parse_args(int argc, char **argv, const char *cmd, int is_token, struct auth_args *a)
{
    memset(a, 0, sizeof(*a));
    a->is_token = is_token;
    const struct sw_cli_flag flags[] = {
        SW_CLI_TEXT("data", &a->data),
        SW_CLI_TEXT("role", &a->role),
        {.name = "name", .call = token_only, .ud = a},
        {.name = "json", .call = token_only, .no_value = true, .ud = a},
        SW_CLI_END,
    };
    int rc = sw_cli_parse(cmd, argc, argv, flags, is_token ? token_text : user_text);
    if (rc != SW_CLI_GO) {
        return rc;
    }
    a->npos = argc - optind;
    a->pos = argv + optind;
    return a->npos > 0 && sw_cli_need_data(cmd, &a->data) ? 2 : SW_CLI_GO;
}

static int parse_role(const char *cmd, const char *s, enum sw_role *role)
{
    if (!s) {
        return sw_cli_usage_error(cmd, "--role ROLE is required");
    }
    if (sw_role_parse(s, role) < 0) {
        return sw_cli_usage_error(cmd, "--role: unknown role \"%s\" (viewer, editor or admin)",
                                  s);
    }
    return 0;
}

static int token_create(const struct auth_args *a)
{
    enum sw_role role = SW_ROLE_NONE;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    char *token = NULL;
    int64_t id = 0;
    int rc = a->json ? sw_cli_usage_error("token", "--json is for token list") : 0;
    if (rc == 0) {
        rc = parse_role("token", a->role, &role);
    }
    if (rc != 0) {
        return rc;
    }
    rc = 1;
    if (sw_cli_open_catalog(a->data, &db, NULL, &err) < 0 ||
        sw_auth_token_create(db, role, a->name, &token, &id, &err) < 0) {
        sw_cli_print_error("token create", &err);
        goto out;
    }
    /* The note goes to stderr so that the token stays the last word of standard output. */
    fputs("stepwise: store this token now; it is not shown again\n", stderr);
    if (a->name && *a->name) {
        printf("token %lld \"%s\" (%s): %s\n", (long long)id, a->name, sw_role_name(role),
               token);
    } else {
        printf("token %lld (%s): %s\n", (long long)id, sw_role_name(role), token);
    }
    fflush(stdout);
    rc = 0;
out:
    sw_auth_secret_free(token);
    sw_db_close(db);
    sw_error_release(&err);
    return rc;
}

static int token_revoke(const struct auth_args *a)
{
    int64_t id = 0;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    int rc = 1;
    if (a->role || a->name || a->json) {
        return sw_cli_usage_error("token", "revoke takes a token ID, without --role, --name or "
                                           "--json");
    }
    if (sw_parse_int64(a->pos[1], &id) < 0 || id <= 0) {
        return sw_cli_usage_error("token", "revoke: the token ID must be a positive integer, got "
                                           "\"%s\" (see 'stepwise token list')",
                                  a->pos[1]);
    }
    if (sw_cli_open_catalog(a->data, &db, NULL, &err) < 0 ||
        sw_auth_token_revoke(db, id, &err) < 0) {
        sw_cli_print_error("token revoke", &err);
        goto out;
    }
    printf("token %lld revoked\n", (long long)id);
    rc = 0;
out:
    sw_db_close(db);
    sw_error_release(&err);
    return rc;
}

/* A token name for the text table: control characters shown as '?', so that a name cannot
 * fake a line of the table. */
static void put_name(const char *name)
{
    for (const unsigned char *c = (const unsigned char *)(name ? name : ""); *c; c++) {
        putchar(*c < 0x20 || *c == 0x7f ? '?' : *c);
    }
    putchar('\n');
}

static json_t *time_or_null(int64_t ms)
{
    char iso[32];
    if (!ms) {
        return json_null();
    }
    sw_clock_format_iso(ms, iso, sizeof(iso));
    return json_string(iso);
}

/* Every token by id: its name, role, creation and last use. The hash is not even read. */
static int token_list(const struct auth_args *a)
{
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    struct sw_token_row *tokens = NULL;
    size_t n = 0;
    json_t *list = json_array();
    int rc = 1;
    if (a->role || a->name) {
        rc = sw_cli_usage_error("token", "list takes no --role or --name");
        goto out;
    }
    struct sw_catalog cat = {NULL};
    if (sw_cli_open_catalog(a->data, &db, NULL, &err) < 0) {
        goto fail;
    }
    cat.db = db;
    if (sw_catalog_tokens(&cat, &tokens, &n, &err) < 0) {
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        const struct sw_token_row *t = &tokens[i];
        json_array_append_new(list, json_pack("{s:I, s:s?, s:s, s:o, s:o}", "id", (json_int_t)t->id,
                                              "name", t->name, "role", t->role, "created_at",
                                              time_or_null(t->created_at), "last_used_at",
                                              time_or_null(t->last_used_at)));
    }
    if (a->json) {
        char *s = json_dumps(list, JSON_INDENT(2));
        puts(s);
        free(s);
    } else if (json_array_size(list) == 0) {
        puts("no tokens (create one with 'stepwise token create --role ROLE')");
    } else {
        size_t i;
        json_t *t;
        printf("%-6s %-7s %-20s %-20s %s\n", "ID", "ROLE", "CREATED", "LAST USED", "NAME");
        json_array_foreach(list, i, t)
        {
            const char *last = json_string_value(json_object_get(t, "last_used_at"));
            const char *name = json_string_value(json_object_get(t, "name"));
            printf("%-6lld %-7s %-20s %-20s ", (long long)json_integer_value(json_object_get(t, "id")),
                   json_string_value(json_object_get(t, "role")),
                   json_string_value(json_object_get(t, "created_at")), last ? last : "never");
            put_name(name);
        }
    }
    rc = 0;
    goto out;
fail:
    sw_cli_print_error("token list", &err);
out:
    json_decref(list);
    sw_token_rows_free(tokens, n);
    sw_db_close(db);
    sw_error_release(&err);
    return rc;
}

int sw_cmd_token(int argc, char **argv)
{
    struct auth_args a;
    int rc = parse_args(argc, argv, "token", 1, &a);
    if (rc != SW_CLI_GO) {
        return rc;
    }
    if (a.npos == 1 && !strcmp(a.pos[0], "create")) {
        return token_create(&a);
    }
    if (a.npos == 1 && !strcmp(a.pos[0], "list")) {
        return token_list(&a);
    }
    if (a.npos == 2 && !strcmp(a.pos[0], "revoke")) {
        return token_revoke(&a);
    }
    if (a.npos == 1 && !strcmp(a.pos[0], "revoke")) {
        return sw_cli_usage_error("token", "revoke needs a token ID (see 'stepwise token list')");
    }
    return sw_cli_usage_error("token", "expected \"create\", \"list\" or \"revoke ID\"");
}

/* Read the first line of standard input into buf (cap bytes, NUL-terminated), without the
 * line end. Byte by byte with read(2), so that no stdio buffer keeps a copy of the
 * password and nothing past the first line is consumed. 0, or -1 on a read error, a NUL
 * byte or a line longer than cap - 1 bytes. */
static int read_password_line(char *buf, size_t cap, size_t *len)
{
    struct termios saved, quiet;
    int tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
    int rc = 0;
    size_t n = 0;
    if (tty) {
        fputs("Password: ", stderr);
        fflush(stderr);
        quiet = saved;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        quiet.c_lflag |= ECHONL;
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    for (;;) {
        char c;
        ssize_t r = read(STDIN_FILENO, &c, 1);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            rc = -1;
            break;
        }
        if (r == 0 || c == '\n') {
            break;
        }
        if (c == '\0' || n + 1 >= cap) {
            rc = -1; /* keep reading to the line end so the rest is not taken as input */
            continue;
        }
        buf[n++] = c;
    }
    if (n > 0 && buf[n - 1] == '\r') {
        n--;
    }
    buf[n] = '\0';
    *len = n;
    if (tty) {
        (void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    }
    return rc;
}

int sw_cmd_user(int argc, char **argv)
{
    struct auth_args a;
    enum sw_role role = SW_ROLE_NONE;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    char pw[SW_AUTH_PASSWORD_MAX + 2];
    size_t pwlen = 0;
    int rc = parse_args(argc, argv, "user", 0, &a);
    if (rc != SW_CLI_GO) {
        return rc;
    }
    if (a.npos != 2 || strcmp(a.pos[0], "add") != 0) {
        return sw_cli_usage_error("user", "expected \"add NAME\"");
    }
    if ((rc = parse_role("user", a.role, &role)) != 0 ||
        (rc = sw_serve_test_settings("user")) != 0) {
        return rc;
    }
    const char *name = a.pos[1];
    rc = 1;
    if (read_password_line(pw, sizeof(pw), &pwlen) < 0 || pwlen > SW_AUTH_PASSWORD_MAX) {
        fprintf(stderr,
                "stepwise: user add: cannot read the password (at most %d bytes, "
                "one line on standard input)\n",
                SW_AUTH_PASSWORD_MAX);
        goto out;
    }
    if (pwlen == 0) {
        fputs("stepwise: user add: no password on standard input\n", stderr);
        goto out;
    }
    if (pwlen < SW_AUTH_PASSWORD_MIN) {
        fprintf(stderr, "stepwise: user add: the password is too short (at least %d bytes)\n",
                SW_AUTH_PASSWORD_MIN);
        goto out;
    }
    if (sw_cli_open_catalog(a.data, &db, NULL, &err) < 0 ||
        sw_auth_user_add(db, name, role, pw, &err) < 0) {
        sw_cli_print_error("user add", &err);
        goto out;
    }
    printf("user %s added (%s)\n", name, sw_role_name(role));
    rc = 0;
out:
    sodium_memzero(pw, sizeof(pw));
    sw_db_close(db);
    sw_error_release(&err);
    return rc;
}
