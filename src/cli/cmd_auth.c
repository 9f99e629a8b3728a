/*
 * cmd_auth.c - `stepwise token create|revoke` and `stepwise user add`: API tokens and UI
 * users (server/auth.h). A new token is printed once, as the last word of the output; a
 * password is read from standard input (first line), without echo when that is a terminal.
 */
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "core/util.h"
#include "db/db.h"
#include "server/auth.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char token_usage[] =
    "usage: stepwise token create --role ROLE [--name NAME] --data URL\n"
    "       stepwise token revoke ID --data URL\n"
    "\n"
    "Create an API token for \"Authorization: Bearer TOKEN\", or revoke one by its id.\n"
    "The token is printed once, as the last word of the output; only its hash is stored.\n"
    "\n"
    "  --role ROLE   viewer (read), editor (write, run) or admin (tokens)\n"
    "  --name NAME   a label to recognise the token by\n"
    "  --data URL    data source (a SQLite file path or sqlite:PATH; env STEPWISE_DATA)\n"
    "Exit status: 0 done, 1 error, 2 usage error.\n";

static const char user_usage[] =
    "usage: stepwise user add NAME --role ROLE --data URL\n"
    "\n"
    "Add a user who signs in to the web UI. The password is the first line of standard\n"
    "input (8 to 1024 bytes) and is stored as an Argon2id hash.\n"
    "\n"
    "  --role ROLE   viewer (read), editor (write, run) or admin (tokens)\n"
    "  --data URL    data source (a SQLite file path or sqlite:PATH; env STEPWISE_DATA)\n"
    "Exit status: 0 added, 1 error (user exists, bad password), 2 usage error.\n";

struct auth_args {
    const char *data;
    const char *role;
    const char *name;
    int npos;
    char **pos; /* positional arguments, verb first */
};

/* Parse the options shared by both commands. Returns -1 for --help (usage printed), 0, or
 * 2 for a usage error (message printed). */
static int parse_args(int argc, char **argv, const char *cmd, const char *usage, int allow_name,
                      struct auth_args *a)
{
    static const struct option opts[] = {
        {"data", required_argument, NULL, 'd'},
        {"role", required_argument, NULL, 'r'},
        {"name", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    memset(a, 0, sizeof(*a));
    opterr = 0;
    optind = 0; /* full re-initialisation: commands may call each other */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->data = optarg;
            break;
        case 'r':
            a->role = optarg;
            break;
        case 'n':
            if (!allow_name) {
                goto bad_option;
            }
            a->name = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            goto bad_option;
        }
    }
    a->npos = argc - optind;
    a->pos = argv + optind;
    if (!a->data && !(a->data = getenv("STEPWISE_DATA"))) {
        if (a->npos > 0) {
            fprintf(stderr, "stepwise %s: --data URL is required\n%s", cmd, usage);
            return 2;
        }
    }
    return 0;
bad_option:
    fprintf(stderr, "stepwise %s: unknown or incomplete option \"%s\"\n%s", cmd, argv[optind - 1],
            usage);
    return 2;
}

static int parse_role(const char *cmd, const char *usage, const char *s, enum sw_role *role)
{
    if (!s) {
        fprintf(stderr, "stepwise %s: --role ROLE is required\n%s", cmd, usage);
        return 2;
    }
    if (sw_role_parse(s, role) < 0) {
        fprintf(stderr, "stepwise %s: unknown role \"%s\" (viewer, editor or admin)\n%s", cmd, s,
                usage);
        return 2;
    }
    return 0;
}

static int open_catalog(const char *data, struct sw_db **db, struct sw_error *err)
{
    struct sw_catalog *cat = NULL;
    /* Opening the catalog runs the migrations, which create the auth tables. */
    int rc = sw_db_open(data, db, err);
    if (rc == 0) {
        rc = sw_catalog_open(*db, &cat, err);
    }
    sw_catalog_free(cat);
    return rc;
}

static int token_create(const struct auth_args *a)
{
    enum sw_role role = SW_ROLE_NONE;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_db *db = NULL;
    char *token = NULL;
    int rc = parse_role("token create", token_usage, a->role, &role);
    if (rc != 0) {
        return rc;
    }
    rc = 1;
    if (open_catalog(a->data, &db, &err) < 0 ||
        sw_auth_token_create(db, role, a->name, &token, &err) < 0) {
        sw_cli_print_error("token create", &err);
        goto out;
    }
    /* The note goes to stderr so that the token stays the last word of standard output. */
    fputs("stepwise: store this token now; it is not shown again\n", stderr);
    if (a->name && *a->name) {
        printf("token \"%s\" (%s): %s\n", a->name, sw_role_name(role), token);
    } else {
        printf("token (%s): %s\n", sw_role_name(role), token);
    }
    fflush(stdout);
    rc = 0;
out:
    if (token) {
        sodium_memzero(token, strlen(token));
        free(token);
    }
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
    if (a->role || sw_parse_int64(a->pos[1], &id) < 0 || id <= 0) {
        fprintf(stderr, "stepwise token revoke: expected a token ID and no --role\n%s",
                token_usage);
        return 2;
    }
    if (open_catalog(a->data, &db, &err) < 0 || sw_auth_token_revoke(db, id, &err) < 0) {
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

int sw_cmd_token(int argc, char **argv)
{
    struct auth_args a;
    int rc = parse_args(argc, argv, "token", token_usage, 1, &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    if (a.npos == 1 && !strcmp(a.pos[0], "create")) {
        return token_create(&a);
    }
    if (a.npos == 2 && !strcmp(a.pos[0], "revoke")) {
        return token_revoke(&a);
    }
    fprintf(stderr, "stepwise token: expected \"create\" or \"revoke ID\"\n%s", token_usage);
    return 2;
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
    int rc = parse_args(argc, argv, "user", user_usage, 0, &a);
    if (rc != 0) {
        return rc < 0 ? 0 : rc;
    }
    if (a.npos != 2 || strcmp(a.pos[0], "add") != 0) {
        fprintf(stderr, "stepwise user: expected \"add NAME\"\n%s", user_usage);
        return 2;
    }
    if ((rc = parse_role("user add", user_usage, a.role, &role)) != 0) {
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
    if (open_catalog(a.data, &db, &err) < 0 || sw_auth_user_add(db, name, role, pw, &err) < 0) {
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
