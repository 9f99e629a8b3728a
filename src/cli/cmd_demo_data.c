/*
 * cmd_demo_data.c - `stepwise demo-data`: a realistic, deterministic demo data source.
 *
 * The generator streams households, profiles and orders into a new SQLite file. It speaks
 * the raw sqlite3 API rather than db.h on purpose: it creates a SQLite file (never a
 * PostgreSQL database), and at 10M profiles + 30M orders the bulk-load settings that make it
 * fast (journal off, one transaction, statements reused, indexes built after the load) are
 * SQLite-specific anyway.
 *
 * What "realistic" means here, and how memory stays flat:
 *  - households come first, each with a size (1..6, mean ~2.35), a city and a postal code in
 *    its country's format; its members follow it (most share the family name), and ~4% of
 *    profiles have no household;
 *  - a person's nationality follows the country (with bilingual countries and some
 *    foreigners) and picks first/last names from that nationality's lists;
 *  - emails are built from the ASCII-folded names plus the profile's serial number, so two
 *    different persons never collide; ~3% of profiles are the same person registered twice
 *    (same names, email, birth date and household), copied from a fixed-size ring of recent
 *    persons instead of an array of every row; ~2% of persons have no email;
 *  - email domains are reserved example domains (RFC 2606) so that a demo wired to a real
 *    SMTP relay can never mail a stranger;
 *  - order counts (0..8, mean ~3, skewed), dates between the signup and the end of the
 *    customer's active period (most customers lapse at some point), amounts 5..500 skewed
 *    low, statuses that depend on the order's age, a loyalty tier from the orders.
 * Every random choice comes from one splitmix64 stream seeded by the caller, so the same
 * (profiles, seed, clock) gives byte-identical rows.
 *
 * check-dialect: sqlite-only (it writes a SQLite file through SQLite's own API, on purpose).
 */
#include "cli/cli.h"
#include "cli/demo_data.h"

#include "core/clock.h"
#include "core/error.h"
#include "core/util.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_PROFILES 10000
#define MAX_PROFILES     1000000000LL
#define RING_SIZE        8192 /* recent persons a duplicate registration can copy */
#define MAX_ORDERS       8
#define HISTORY_SECS     (6LL * 36525 * 864) /* six years of 365.25 days */

/* ---- the random stream ---- */

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Uniform in [0, n). */
static uint64_t rng_below(struct rng *r, uint64_t n)
{
    return (uint64_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

static bool rng_chance(struct rng *r, double p) { return rng_unit(r) < p; }

/* Index drawn from integer weights. */
static size_t rng_weighted(struct rng *r, const int *w, size_t n)
{
    int total = 0;
    for (size_t i = 0; i < n; i++) {
        total += w[i];
    }
    int x = (int)rng_below(r, (uint64_t)total);
    for (size_t i = 0; i < n; i++) {
        if (x < w[i]) {
            return i;
        }
        x -= w[i];
    }
    return n - 1;
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- reference lists ---- */

enum lang { L_FR, L_DE, L_EN, L_ES, L_IT, L_NL, L_PT, L_PL, L_SV, L_COUNT };

/* Per nationality: 12 female then 12 male first names, and 24 family names. */
static const char *const first_names[L_COUNT][24] = {
    [L_FR] = {"Marie",   "Camille", "Léa",     "Chloé",   "Manon",    "Inès",
              "Sarah",   "Julie",   "Émilie",  "Claire",  "Nathalie", "Isabelle",
              "Jean",    "Pierre",  "Louis",   "Lucas",   "Hugo",     "Thomas",
              "Nicolas", "Julien",  "Antoine", "Mathieu", "François", "Théo"},
    [L_DE] = {"Anna",   "Lena",   "Laura",   "Julia",  "Sophie",     "Katharina",
              "Hannah", "Lea",    "Sabine",  "Petra",  "Jana",       "Miriam",
              "Lukas",  "Jonas",  "Leon",    "Felix",  "Maximilian", "Paul",
              "Tobias", "Stefan", "Michael", "Jürgen", "Andreas",    "Florian"},
    [L_EN] = {"Olivia", "Emma",   "Amelia",  "Sophia", "Charlotte", "Emily",  "Jessica", "Hannah",
              "Grace",  "Chloe",  "Megan",   "Lucy",   "James",     "Oliver", "Jack",    "William",
              "Harry",  "George", "Michael", "David",  "Daniel",    "Ethan",  "Noah",    "Liam"},
    [L_ES] = {"María",  "Lucía",   "Paula",     "Laura",     "Marta",  "Carmen",
              "Sofía",  "Elena",   "Ana",       "Isabel",    "Nuria",  "Cristina",
              "José",   "Antonio", "Manuel",    "Francisco", "David",  "Javier",
              "Daniel", "Carlos",  "Alejandro", "Pablo",     "Sergio", "Álvaro"},
    [L_IT] = {"Giulia",    "Francesca",  "Chiara", "Sara",    "Martina",  "Valentina",
              "Alessia",   "Federica",   "Elisa",  "Giorgia", "Anna",     "Silvia",
              "Francesco", "Alessandro", "Andrea", "Lorenzo", "Matteo",   "Marco",
              "Luca",      "Giuseppe",   "Davide", "Simone",  "Riccardo", "Niccolò"},
    [L_NL] = {"Emma", "Julia", "Sophie", "Tess",  "Sanne", "Lotte", "Fleur", "Anouk",
              "Eva",  "Lieke", "Fenna",  "Noor",  "Daan",  "Sem",   "Lucas", "Levi",
              "Finn", "Bram",  "Thijs",  "Jesse", "Ruben", "Lars",  "Sven",  "Joris"},
    [L_PT] = {"Maria",    "Ana",     "Beatriz",   "Mariana", "Inês",     "Leonor",
              "Carolina", "Matilde", "Sofia",     "Rita",    "Joana",    "Catarina",
              "João",     "Rodrigo", "Francisco", "Martim",  "Santiago", "Tomás",
              "Afonso",   "Duarte",  "Miguel",    "Pedro",   "Tiago",    "Gonçalo"},
    [L_PL] = {"Anna",      "Zofia",     "Maja",      "Julia",  "Zuzanna", "Hanna",
              "Agnieszka", "Katarzyna", "Magdalena", "Joanna", "Ewa",     "Natalia",
              "Jakub",     "Jan",       "Antoni",    "Szymon", "Filip",   "Kacper",
              "Piotr",     "Tomasz",    "Krzysztof", "Paweł",  "Michał",  "Łukasz"},
    [L_SV] = {"Alice", "Maja",   "Elsa",   "Astrid", "Wilma",   "Ebba",   "Saga",  "Ella",
              "Karin", "Ingrid", "Linnea", "Sara",   "William", "Liam",   "Noah",  "Hugo",
              "Lucas", "Oscar",  "Elias",  "Erik",   "Lars",    "Anders", "Johan", "Björn"},
};

static const char *const last_names[L_COUNT][24] = {
    [L_FR] = {"Martin",  "Bernard",  "Dubois", "Thomas", "Robert",   "Richard",
              "Petit",   "Durand",   "Leroy",  "Moreau", "Simon",    "Laurent",
              "Lefèvre", "Michel",   "Garcia", "David",  "Bertrand", "Roux",
              "Vincent", "Fournier", "Morel",  "Girard", "André",    "Mercier"},
    [L_DE] = {"Müller",  "Schmidt",    "Schneider", "Fischer",  "Weber",    "Meyer",
              "Wagner",  "Becker",     "Schulz",    "Hoffmann", "Schäfer",  "Koch",
              "Bauer",   "Richter",    "Klein",     "Wolf",     "Schröder", "Neumann",
              "Schwarz", "Zimmermann", "Braun",     "Krüger",   "Hofmann",  "Hartmann"},
    [L_EN] = {"Smith",  "Johnson",  "Williams", "Brown", "Jones",   "Miller", "Davis",  "Wilson",
              "Taylor", "Anderson", "Thomas",   "Moore", "Jackson", "White",  "Harris", "Clark",
              "Lewis",  "Walker",   "Hall",     "Young", "King",    "Wright", "Evans",  "O'Brien"},
    [L_ES] = {"García",    "Fernández", "González", "Rodríguez", "López",     "Martínez",
              "Sánchez",   "Pérez",     "Gómez",    "Martín",    "Jiménez",   "Ruiz",
              "Hernández", "Díaz",      "Moreno",   "Muñoz",     "Álvarez",   "Romero",
              "Alonso",    "Gutiérrez", "Navarro",  "Torres",    "Domínguez", "Vázquez"},
    [L_IT] = {"Rossi",    "Russo",   "Ferrari",  "Esposito", "Bianchi",  "Romano",
              "Colombo",  "Ricci",   "Marino",   "Greco",    "Bruno",    "Gallo",
              "Conti",    "De Luca", "Mancini",  "Costa",    "Giordano", "Rizzo",
              "Lombardi", "Moretti", "Barbieri", "Fontana",  "Santoro",  "Mariani"},
    [L_NL] = {"de Jong",  "Jansen",  "de Vries", "van den Berg", "van Dijk", "Bakker",
              "Janssen",  "Visser",  "Smit",     "Meijer",       "de Boer",  "Mulder",
              "de Groot", "Bos",     "Vos",      "Peters",       "Hendriks", "van Leeuwen",
              "Dekker",   "Brouwer", "de Wit",   "Dijkstra",     "Smits",    "Maes"},
    [L_PT] = {"Silva",     "Santos",   "Ferreira", "Pereira", "Oliveira",  "Costa",
              "Rodrigues", "Martins",  "Jesus",    "Sousa",   "Fernandes", "Gonçalves",
              "Gomes",     "Lopes",    "Marques",  "Alves",   "Almeida",   "Ribeiro",
              "Pinto",     "Carvalho", "Teixeira", "Moreira", "Correia",   "Mendes"},
    [L_PL] = {"Nowak",       "Kowalski",  "Wiśniewski",  "Wójcik",   "Kowalczyk",  "Kamiński",
              "Lewandowski", "Zieliński", "Szymański",   "Woźniak",  "Dąbrowski",  "Kozłowski",
              "Jankowski",   "Mazur",     "Kwiatkowski", "Krawczyk", "Piotrowski", "Grabowski",
              "Nowakowski",  "Pawłowski", "Michalski",   "Król",     "Wieczorek",  "Jabłoński"},
    [L_SV] = {"Andersson", "Johansson", "Karlsson",  "Nilsson",    "Eriksson",   "Larsson",
              "Olsson",    "Persson",   "Svensson",  "Gustafsson", "Pettersson", "Jonsson",
              "Jansson",   "Hansson",   "Bengtsson", "Jönsson",    "Lindberg",   "Jakobsson",
              "Magnusson", "Lindström", "Olofsson",  "Lindqvist",  "Lindgren",   "Berg"},
};

/* A city and the start of its postal codes; '#' is a random digit, '@' a random letter. */
struct city {
    const char *name;
    const char *postal;
};

struct country {
    const char *code;
    int weight;
    enum lang lang, lang2; /* lang2 spoken by pct2 percent of the natives */
    int pct2;
    const char *postal_tail; /* appended to the city's postal prefix */
    const char *phone;       /* E.164 pattern: '#' any digit, '%' 1-9 */
    const struct city *cities;
    size_t ncities;
};

static const struct city fr_cities[] = {
    {"Paris", "75"},    {"Marseille", "13"}, {"Lyon", "69"},       {"Toulouse", "31"},
    {"Nice", "06"},     {"Nantes", "44"},    {"Strasbourg", "67"}, {"Montpellier", "34"},
    {"Bordeaux", "33"}, {"Lille", "59"},     {"Rennes", "35"},     {"Reims", "51"}};
static const struct city de_cities[] = {{"Berlin", "10"},
                                        {"Hamburg", "20"},
                                        {"München", "80"},
                                        {"Köln", "50"},
                                        {"Frankfurt am Main", "60"},
                                        {"Stuttgart", "70"},
                                        {"Düsseldorf", "40"},
                                        {"Leipzig", "04"},
                                        {"Dortmund", "44"},
                                        {"Essen", "45"},
                                        {"Bremen", "28"},
                                        {"Dresden", "01"}};
static const struct city us_cities[] = {
    {"New York", "100"}, {"Los Angeles", "900"},  {"Chicago", "606"},     {"Houston", "770"},
    {"Phoenix", "850"},  {"Philadelphia", "191"}, {"San Antonio", "782"}, {"San Diego", "921"},
    {"Dallas", "752"},   {"Austin", "787"},       {"Seattle", "981"},     {"Boston", "021"}};
static const struct city gb_cities[] = {
    {"London", "SW#"}, {"Manchester", "M#"}, {"Birmingham", "B#"}, {"Leeds", "LS#"},
    {"Glasgow", "G#"}, {"Liverpool", "L#"},  {"Bristol", "BS#"},   {"Edinburgh", "EH#"}};
static const struct city es_cities[] = {{"Madrid", "28"},  {"Barcelona", "08"}, {"Valencia", "46"},
                                        {"Sevilla", "41"}, {"Zaragoza", "50"},  {"Málaga", "29"},
                                        {"Bilbao", "48"}};
static const struct city it_cities[] = {{"Roma", "001"},    {"Milano", "201"},  {"Napoli", "801"},
                                        {"Torino", "101"},  {"Palermo", "901"}, {"Genova", "161"},
                                        {"Bologna", "401"}, {"Firenze", "501"}};
static const struct city nl_cities[] = {{"Amsterdam", "10"}, {"Rotterdam", "30"},
                                        {"Den Haag", "25"},  {"Utrecht", "35"},
                                        {"Eindhoven", "56"}, {"Groningen", "97"}};
static const struct city be_cities[] = {{"Bruxelles", "10"}, {"Antwerpen", "20"}, {"Gent", "90"},
                                        {"Liège", "40"},     {"Charleroi", "60"}, {"Brugge", "80"}};
static const struct city ch_cities[] = {
    {"Zürich", "80"}, {"Genève", "12"}, {"Basel", "40"}, {"Bern", "30"}, {"Lausanne", "10"}};
static const struct city at_cities[] = {
    {"Wien", "10"}, {"Graz", "80"}, {"Linz", "40"}, {"Salzburg", "50"}, {"Innsbruck", "60"}};
static const struct city pt_cities[] = {
    {"Lisboa", "11"}, {"Porto", "40"}, {"Braga", "47"}, {"Coimbra", "30"}};
static const struct city ie_cities[] = {
    {"Dublin", "D0#"}, {"Cork", "T12"}, {"Galway", "H91"}, {"Limerick", "V94"}};
static const struct city pl_cities[] = {{"Warszawa", "0#"}, {"Kraków", "3#"}, {"Łódź", "9#"},
                                        {"Wrocław", "5#"},  {"Poznań", "6#"}, {"Gdańsk", "8#"}};
static const struct city se_cities[] = {
    {"Stockholm", "11"}, {"Göteborg", "41"}, {"Malmö", "21"}, {"Uppsala", "75"}};

#define CITIES(a) a, COUNT(a)

static const struct country countries[] = {
    {"FR", 44, L_FR, L_FR, 0, "###", "+336########", CITIES(fr_cities)},
    {"DE", 36, L_DE, L_DE, 0, "###", "+4917########", CITIES(de_cities)},
    {"US", 30, L_EN, L_ES, 15, "##", "+1%##%######", CITIES(us_cities)},
    {"GB", 24, L_EN, L_EN, 0, " #@@", "+447#########", CITIES(gb_cities)},
    {"ES", 16, L_ES, L_ES, 0, "###", "+346########", CITIES(es_cities)},
    {"IT", 16, L_IT, L_IT, 0, "##", "+393#########", CITIES(it_cities)},
    {"NL", 12, L_NL, L_NL, 0, "## @@", "+316########", CITIES(nl_cities)},
    {"BE", 8, L_FR, L_NL, 45, "##", "+324########", CITIES(be_cities)},
    {"CH", 4, L_DE, L_FR, 35, "##", "+417########", CITIES(ch_cities)},
    {"AT", 3, L_DE, L_DE, 0, "##", "+436#########", CITIES(at_cities)},
    {"PT", 3, L_PT, L_PT, 0, "##-###", "+3519########", CITIES(pt_cities)},
    {"IE", 2, L_EN, L_EN, 0, " @#@#", "+3538########", CITIES(ie_cities)},
    {"PL", 2, L_PL, L_PL, 0, "-###", "+48%########", CITIES(pl_cities)},
    {"SE", 2, L_SV, L_SV, 0, "# ##", "+467########", CITIES(se_cities)},
};

/* Reserved example domains only (RFC 2606): generated addresses must never reach a person. */
static const char *const domains[] = {"example.com",      "example.net",      "example.org",
                                      "mail.example.com", "post.example.net", "inbox.example.org"};
static const int domain_weights[] = {30, 20, 15, 15, 10, 10};

static const int household_size_weights[] = {30, 33, 17, 13, 5, 2}; /* sizes 1..6 */
static const int order_count_weights[MAX_ORDERS + 1] = {18, 14, 14, 13, 12, 10, 8, 6, 5};
static const char *const channels[] = {"web", "app", "store"};
static const int channel_weights[] = {55, 30, 15};
static const char *const recent_statuses[] = {"pending", "shipped", "completed", "cancelled"};
static const int recent_status_weights[] = {20, 30, 45, 5};
static const char *const old_statuses[] = {"completed", "cancelled", "refunded"};
static const int old_status_weights[] = {88, 6, 6};
static const char *const tiers[] = {"bronze", "silver", "gold", "platinum"};

/* ---- text helpers ---- */

/* ASCII spellings of the accented letters in the name lists, for email addresses. */
static const struct {
    unsigned cp;
    const char *ascii;
} folds[] = {
    {0xC1, "a"},  {0xC5, "a"},  {0xC9, "e"},  {0xD3, "o"},  {0xD6, "oe"}, {0xDC, "ue"},
    {0xDF, "ss"}, {0xE0, "a"},  {0xE1, "a"},  {0xE2, "a"},  {0xE3, "a"},  {0xE4, "ae"},
    {0xE5, "a"},  {0xE6, "ae"}, {0xE7, "c"},  {0xE8, "e"},  {0xE9, "e"},  {0xEA, "e"},
    {0xEB, "e"},  {0xED, "i"},  {0xEE, "i"},  {0xEF, "i"},  {0xF1, "n"},  {0xF2, "o"},
    {0xF3, "o"},  {0xF4, "o"},  {0xF5, "o"},  {0xF6, "oe"}, {0xF8, "o"},  {0xF9, "u"},
    {0xFA, "u"},  {0xFB, "u"},  {0xFC, "ue"}, {0x105, "a"}, {0x107, "c"}, {0x119, "e"},
    {0x141, "l"}, {0x142, "l"}, {0x144, "n"}, {0x15A, "s"}, {0x15B, "s"}, {0x179, "z"},
    {0x17A, "z"}, {0x17B, "z"}, {0x17C, "z"},
};

static const char *fold_codepoint(unsigned cp)
{
    for (size_t i = 0; i < COUNT(folds); i++) {
        if (folds[i].cp == cp) {
            return folds[i].ascii;
        }
    }
    return "";
}

/* Append the lower-case ASCII letters of UTF-8 `s` to out[*len] (bounded by cap). Spaces,
 * apostrophes and anything unknown are dropped: "van den Berg" -> "vandenberg". */
static void fold_name(const char *s, char *out, size_t *len, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned cp;
        if (*p < 0x80) {
            cp = *p++;
        } else if ((*p & 0xE0) == 0xC0 && p[1]) {
            cp = ((unsigned)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
            p += 2;
        } else {
            p++; /* the lists hold no 3-byte letters */
            continue;
        }
        const char *rep;
        char one[2] = {0, 0};
        if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
            one[0] = (char)(cp | 0x20);
            rep = one;
        } else {
            rep = fold_codepoint(cp);
        }
        for (; *rep && *len + 1 < cap; rep++) {
            out[(*len)++] = *rep;
        }
    }
    out[*len] = '\0';
}

static void put_str(char *out, size_t *len, size_t cap, const char *s)
{
    for (; *s && *len + 1 < cap; s++) {
        out[(*len)++] = *s;
    }
    out[*len] = '\0';
}

/* Expand a pattern ('#' digit, '%' digit 1-9, '@' upper-case letter, anything else literal). */
static void put_pattern(struct rng *r, char *out, size_t *len, size_t cap, const char *pat)
{
    for (; *pat && *len + 1 < cap; pat++) {
        char c = *pat;
        if (c == '#') {
            c = (char)('0' + rng_below(r, 10));
        } else if (c == '%') {
            c = (char)('1' + rng_below(r, 9));
        } else if (c == '@') {
            c = (char)('A' + rng_below(r, 26));
        }
        out[(*len)++] = c;
    }
    out[*len] = '\0';
}

static void put2(char *p, int v)
{
    p[0] = (char)('0' + v / 10 % 10);
    p[1] = (char)('0' + v % 10);
}

/* "YYYY-MM-DD" (11 bytes with the NUL). */
static void format_date(int64_t secs, char out[11])
{
    int y, mo, d, h, mi, s;
    sw_clock_civil(secs * 1000, &y, &mo, &d, &h, &mi, &s);
    put2(out, y / 100);
    put2(out + 2, y % 100);
    out[4] = '-';
    put2(out + 5, mo);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = '\0';
}

/* "YYYY-MM-DDTHH:MM:SSZ" (21 bytes with the NUL), the format of every DATETIME column. */
static void format_datetime(int64_t secs, char out[21])
{
    int y, mo, d, h, mi, s;
    sw_clock_civil(secs * 1000, &y, &mo, &d, &h, &mi, &s);
    put2(out, y / 100);
    put2(out + 2, y % 100);
    out[4] = '-';
    put2(out + 5, mo);
    out[7] = '-';
    put2(out + 8, d);
    out[10] = 'T';
    put2(out + 11, h);
    out[13] = ':';
    put2(out + 14, mi);
    out[16] = ':';
    put2(out + 17, s);
    out[19] = 'Z';
    out[20] = '\0';
}

/* ---- the generator ---- */

/* One person: what a duplicate registration repeats. */
struct person {
    char first[48];
    char last[48];
    char email[128];
    bool has_email;
    char birth[11];
    int64_t household; /* 0 = none */
    size_t country, city;
};

struct household {
    int64_t id;
    int remaining; /* members still to place */
    size_t country, city;
    enum lang family_lang;
    const char *family_name;
};

struct gen {
    sqlite3 *db;
    sqlite3_stmt *ins_household, *ins_profile, *ins_order;
    struct rng rng;
    int64_t now; /* seconds */
    int64_t next_order_id;
    struct household hh;
    int64_t nhouseholds;
    struct person *ring; /* RING_SIZE recent persons */
    size_t ring_len, ring_pos;
    struct sw_error *err;
};

static int db_fail(struct gen *g, const char *what)
{
    return sw_error_set(g->err, SW_EDB, "demo data: %s: %s", what, sqlite3_errmsg(g->db));
}

static int exec_sql(struct gen *g, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(g->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sw_error_set(g->err, SW_EDB, "demo data: %s: %s", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return SW_EDB;
    }
    return 0;
}

static int step_insert(struct gen *g, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        return db_fail(g, what);
    }
    return 0;
}

static enum lang pick_lang(struct gen *g, size_t country)
{
    const struct country *c = &countries[country];
    if (rng_chance(&g->rng, 0.06)) {
        return (enum lang)rng_below(&g->rng, L_COUNT); /* people move */
    }
    if (c->pct2 && rng_below(&g->rng, 100) < (uint64_t)c->pct2) {
        return c->lang2;
    }
    return c->lang;
}

static size_t pick_country(struct gen *g)
{
    int total = 0;
    for (size_t i = 0; i < COUNT(countries); i++) {
        total += countries[i].weight;
    }
    int x = (int)rng_below(&g->rng, (uint64_t)total);
    for (size_t i = 0; i < COUNT(countries); i++) {
        if (x < countries[i].weight) {
            return i;
        }
        x -= countries[i].weight;
    }
    return 0;
}

/* Bigger cities first: city i weighs (n - i). */
static size_t pick_city(struct gen *g, size_t country)
{
    size_t n = countries[country].ncities;
    uint64_t total = n * (n + 1) / 2, x = rng_below(&g->rng, total);
    for (size_t i = 0; i < n; i++) {
        uint64_t w = n - i;
        if (x < w) {
            return i;
        }
        x -= w;
    }
    return 0;
}

static int start_household(struct gen *g, int64_t profiles_left)
{
    struct household *h = &g->hh;
    char postal[16];
    size_t len = 0;
    int size =
        (int)rng_weighted(&g->rng, household_size_weights, COUNT(household_size_weights)) + 1;
    if (size > profiles_left) {
        size = (int)profiles_left;
    }
    h->id = ++g->nhouseholds;
    h->remaining = size;
    h->country = pick_country(g);
    h->city = pick_city(g, h->country);
    h->family_lang = pick_lang(g, h->country);
    h->family_name = last_names[h->family_lang][rng_below(&g->rng, 24)];
    const struct country *c = &countries[h->country];
    put_pattern(&g->rng, postal, &len, sizeof(postal), c->cities[h->city].postal);
    put_pattern(&g->rng, postal, &len, sizeof(postal), c->postal_tail);

    sqlite3_stmt *st = g->ins_household;
    sqlite3_bind_int64(st, 1, h->id);
    sqlite3_bind_text(st, 2, c->cities[h->city].name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, postal, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 4, size);
    return step_insert(g, st, "insert household");
}

/* A new person for profile `id`, living in the current household (or alone). */
static void new_person(struct gen *g, int64_t id, bool in_household, struct person *p)
{
    struct rng *r = &g->rng;
    enum lang lang;
    const char *last;
    if (in_household) {
        p->household = g->hh.id;
        p->country = g->hh.country;
        p->city = g->hh.city;
        if (rng_chance(r, 0.75)) {
            lang = g->hh.family_lang;
            last = g->hh.family_name;
        } else {
            lang = pick_lang(g, p->country);
            last = last_names[lang][rng_below(r, 24)];
        }
    } else {
        p->household = 0;
        p->country = pick_country(g);
        p->city = pick_city(g, p->country);
        lang = pick_lang(g, p->country);
        last = last_names[lang][rng_below(r, 24)];
    }
    const char *first = first_names[lang][rng_below(r, 24)];
    size_t n = 0;
    put_str(p->first, &n, sizeof(p->first), first);
    n = 0;
    put_str(p->last, &n, sizeof(p->last), last);

    /* Birth dates 1940..2008, most between 1965 and 2000 (sum of two uniforms). */
    int64_t lo = sw_clock_from_civil(1940, 1, 1, 0, 0, 0) / 1000;
    int64_t hi = sw_clock_from_civil(2008, 12, 31, 0, 0, 0) / 1000;
    double t = (rng_unit(r) + rng_unit(r)) / 2.0;
    format_date(lo + (int64_t)(t * (double)(hi - lo)), p->birth);

    p->has_email = !rng_chance(r, 0.02);
    if (p->has_email) {
        char f[48], l[48], num[24];
        size_t fl = 0, ll = 0, e = 0;
        fold_name(first, f, &fl, sizeof(f));
        fold_name(last, l, &ll, sizeof(l));
        /* The serial number keeps two different persons' addresses apart. */
        (void)snprintf(num, sizeof(num), "%lld", (long long)id);
        char *em = p->email;
        size_t cap = sizeof(p->email);
        switch (rng_below(r, 6)) {
        case 0: /* marie.dubois123 */
        case 1:
            put_str(em, &e, cap, f);
            put_str(em, &e, cap, ".");
            put_str(em, &e, cap, l);
            break;
        case 2: { /* mdubois123 */
            char ini[2] = {f[0], 0};
            put_str(em, &e, cap, ini);
            put_str(em, &e, cap, l);
            break;
        }
        case 3: /* mariedubois123 */
            put_str(em, &e, cap, f);
            put_str(em, &e, cap, l);
            break;
        case 4: /* dubois.marie123 */
            put_str(em, &e, cap, l);
            put_str(em, &e, cap, ".");
            put_str(em, &e, cap, f);
            break;
        default: /* marie_dubois123 */
            put_str(em, &e, cap, f);
            put_str(em, &e, cap, "_");
            put_str(em, &e, cap, l);
            break;
        }
        put_str(em, &e, cap, num);
        put_str(em, &e, cap, "@");
        put_str(em, &e, cap, domains[rng_weighted(r, domain_weights, COUNT(domain_weights))]);
    } else {
        p->email[0] = '\0';
    }
}

/* Signup time: half uniform over the history, half weighted towards recent years. */
static int64_t pick_created(struct gen *g)
{
    double u = rng_unit(&g->rng), x;
    if (rng_chance(&g->rng, 0.5)) {
        x = u;
    } else {
        x = 1.0 - sqrt(u);
    }
    return g->now - (int64_t)(x * (double)HISTORY_SECS);
}

/* `count` orders between the signup and `last` (the end of the customer's active period). */
static int insert_orders(struct gen *g, int64_t profile_id, int64_t created, int64_t last,
                         int count)
{
    struct rng *r = &g->rng;
    char date[21];
    for (int i = 0; i < count; i++) {
        int64_t span = last - created;
        int64_t at = created + (span > 0 ? (int64_t)rng_below(r, (uint64_t)span + 1) : 0);
        /* 5..500, most orders small: 5 * 100^(u^1.5) has its median near 25, its mean
         * near 80. */
        double u = rng_unit(r);
        double amount = floor(5.0 * pow(100.0, u * sqrt(u)) * 100.0 + 0.5) / 100.0;
        const char *status;
        if (g->now - at < 14LL * 86400) {
            status = recent_statuses[rng_weighted(r, recent_status_weights,
                                                  COUNT(recent_status_weights))];
        } else {
            status = old_statuses[rng_weighted(r, old_status_weights, COUNT(old_status_weights))];
        }
        format_datetime(at, date);
        sqlite3_stmt *st = g->ins_order;
        sqlite3_bind_int64(st, 1, g->next_order_id++);
        sqlite3_bind_int64(st, 2, profile_id);
        sqlite3_bind_text(st, 3, date, 20, SQLITE_STATIC);
        sqlite3_bind_double(st, 4, amount);
        sqlite3_bind_text(st, 5, status, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 6, channels[rng_weighted(r, channel_weights, COUNT(channel_weights))],
                          -1, SQLITE_STATIC);
        int rc = step_insert(g, st, "insert order");
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int insert_profile(struct gen *g, int64_t id, int64_t profiles)
{
    struct rng *r = &g->rng;
    struct person fresh, *p;
    int rc;

    if (g->ring_len > 0 && rng_chance(r, 0.03)) {
        /* The same person registering a second time. */
        p = &g->ring[rng_below(r, g->ring_len)];
    } else {
        bool in_household = !rng_chance(r, 0.04);
        if (in_household && g->hh.remaining == 0) {
            rc = start_household(g, profiles - id + 1);
            if (rc < 0) {
                return rc;
            }
        }
        new_person(g, id, in_household, &fresh);
        if (in_household) {
            g->hh.remaining--;
        }
        g->ring[g->ring_pos] = fresh;
        g->ring_pos = (g->ring_pos + 1) % RING_SIZE;
        if (g->ring_len < RING_SIZE) {
            g->ring_len++;
        }
        p = &fresh;
    }
    const struct country *c = &countries[p->country];

    int64_t created = pick_created(g);
    int norders = (int)rng_weighted(r, order_count_weights, COUNT(order_count_weights));
    int64_t tenure_days = (g->now - created) / 86400;
    if (tenure_days < 90 && norders > 1 + tenure_days / 30) {
        norders = (int)(1 + tenure_days / 30); /* new customers have had less time to buy */
    }

    char phone[24], token[65], created_s[21];
    size_t n = 0;
    bool has_phone = !rng_chance(r, 0.10);
    if (has_phone) {
        put_pattern(r, phone, &n, sizeof(phone), c->phone);
    }
    bool has_token = !rng_chance(r, 0.40);
    if (has_token) {
        static const char hex[] = "0123456789abcdef";
        for (int i = 0; i < 64; i += 16) {
            uint64_t x = rng_next(r);
            for (int j = 0; j < 16; j++, x >>= 4) {
                token[i + j] = hex[x & 15];
            }
        }
        token[64] = '\0';
    }
    bool email_opt_in = rng_chance(r, 0.88);
    bool sms_opt_in = rng_chance(r, has_phone ? 0.75 : 0.25);
    bool push_opt_in = rng_chance(r, has_token ? 0.85 : 0.25);
    /* Loyalty follows the orders, with some customers never enrolled or a level behind. */
    const char *tier = NULL;
    if (norders > 0 || rng_chance(r, 0.3)) {
        int level = norders >= 7 ? 3 : norders >= 5 ? 2 : norders >= 3 ? 1 : 0;
        if (level > 0 && rng_chance(r, 0.15)) {
            level--;
        }
        if (!rng_chance(r, 0.12)) {
            tier = tiers[level];
        }
    }
    format_datetime(created, created_s);

    sqlite3_stmt *st = g->ins_profile;
    sqlite3_bind_int64(st, 1, id);
    if (p->has_email) {
        sqlite3_bind_text(st, 2, p->email, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 2);
    }
    sqlite3_bind_text(st, 3, p->first, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, p->last, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, c->code, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, c->cities[p->city].name, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 7, email_opt_in);
    sqlite3_bind_int(st, 8, sms_opt_in);
    sqlite3_bind_int(st, 9, push_opt_in);
    if (has_phone) {
        sqlite3_bind_text(st, 10, phone, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 10);
    }
    if (has_token) {
        sqlite3_bind_text(st, 11, token, 64, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 11);
    }
    sqlite3_bind_text(st, 12, p->birth, 10, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, created_s, 20, SQLITE_STATIC);
    if (tier) {
        sqlite3_bind_text(st, 14, tier, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_null(st, 14);
    }
    if (p->household) {
        sqlite3_bind_int64(st, 15, p->household);
    } else {
        sqlite3_bind_null(st, 15);
    }
    rc = step_insert(g, st, "insert profile");
    if (rc < 0) {
        return rc;
    }
    /* Most customers lapse: they buy for a while after signing up, then stop. */
    int64_t last = g->now;
    if (!rng_chance(r, 0.45)) {
        last = created + (int64_t)(rng_unit(r) * (double)(g->now - created));
    }
    return insert_orders(g, id, created, last, norders);
}

static const char schema_sql[] =
    "CREATE TABLE households(id INTEGER PRIMARY KEY, city TEXT, postal_code TEXT,"
    " size INTEGER);"
    "CREATE TABLE profiles(id INTEGER PRIMARY KEY, email TEXT, first_name TEXT, last_name TEXT,"
    " country TEXT, city TEXT, email_opt_in BOOLEAN, sms_opt_in BOOLEAN, push_opt_in BOOLEAN,"
    " phone TEXT, push_token TEXT, birth_date DATE, created_at DATETIME, loyalty_tier TEXT,"
    " household_id INTEGER REFERENCES households(id));"
    "CREATE TABLE orders(id INTEGER PRIMARY KEY,"
    " profile_id INTEGER NOT NULL REFERENCES profiles(id), created_at DATETIME, amount REAL,"
    " status TEXT, channel TEXT);";

static const char index_sql[] = "CREATE INDEX orders_profile_id ON orders(profile_id);"
                                "CREATE INDEX orders_created_at ON orders(created_at);"
                                "CREATE INDEX profiles_email ON profiles(email);";

static void remove_file_set(const char *base)
{
    static const char *const suffixes[] = {"", "-journal", "-wal", "-shm"};
    for (size_t i = 0; i < COUNT(suffixes); i++) {
        char *p = sw_asprintf("%s%s", base, suffixes[i]);
        (void)unlink(p);
        free(p);
    }
}

int sw_demo_data_generate_ex(const char *path, int64_t profiles, uint64_t seed,
                             struct sw_demo_data_stats *stats, struct sw_error *err)
{
    struct gen g;
    char *tmp = NULL;
    int rc = 0;
    bool in_tx = false;

    memset(&g, 0, sizeof(g));
    g.err = err;
    if (!path || !*path) {
        return sw_error_set(err, SW_EINVAL, "demo data: no output path");
    }
    if (profiles < 1 || profiles > MAX_PROFILES) {
        return sw_error_set(err, SW_EINVAL, "demo data: profiles must be between 1 and %lld",
                            (long long)MAX_PROFILES);
    }
    g.rng.s = seed;
    g.now = sw_clock_now_ms() / 1000;
    g.next_order_id = 1;
    g.ring = sw_calloc(RING_SIZE, sizeof(*g.ring));
    tmp = sw_asprintf("%s.tmp", path);
    remove_file_set(tmp); /* a previous run that crashed */

    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(tmp, &g.db, flags, NULL) != SQLITE_OK) {
        rc = sw_error_set(err, SW_EIO, "demo data: cannot create %s: %s", tmp,
                          g.db ? sqlite3_errmsg(g.db) : "out of memory");
        goto out;
    }
    /* A crash mid-load only loses the .tmp file, so the load needs no journal. */
    /* The default page cache is kept on purpose: a bigger one made CREATE INDEX slower (the
     * sorter's in-memory runs stop fitting the CPU caches). */
    if ((rc = exec_sql(&g, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
                           " PRAGMA locking_mode=EXCLUSIVE;")) < 0 ||
        (rc = exec_sql(&g, schema_sql)) < 0 || (rc = exec_sql(&g, "BEGIN")) < 0) {
        goto out;
    }
    in_tx = true;
    if (sqlite3_prepare_v2(g.db, "INSERT INTO households VALUES(?1, ?2, ?3, ?4)", -1,
                           &g.ins_household, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(g.db,
                           "INSERT INTO profiles VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
                           " ?10, ?11, ?12, ?13, ?14, ?15)",
                           -1, &g.ins_profile, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(g.db, "INSERT INTO orders VALUES(?1, ?2, ?3, ?4, ?5, ?6)", -1,
                           &g.ins_order, NULL) != SQLITE_OK) {
        rc = db_fail(&g, "prepare");
        goto out;
    }
    for (int64_t id = 1; id <= profiles; id++) {
        if ((rc = insert_profile(&g, id, profiles)) < 0) {
            goto out;
        }
    }
    /* Building indexes once over sorted data beats maintaining them row by row. */
    if ((rc = exec_sql(&g, index_sql)) < 0 || (rc = exec_sql(&g, "ANALYZE")) < 0 ||
        (rc = exec_sql(&g, "COMMIT")) < 0) {
        goto out;
    }
    in_tx = false;
    /* The file is handed over in the mode the engine and readers use. */
    if ((rc = exec_sql(&g, "PRAGMA locking_mode=NORMAL; PRAGMA journal_mode=WAL;")) < 0) {
        goto out;
    }
    sqlite3_finalize(g.ins_household);
    sqlite3_finalize(g.ins_profile);
    sqlite3_finalize(g.ins_order);
    g.ins_household = g.ins_profile = g.ins_order = NULL;
    if (sqlite3_close(g.db) != SQLITE_OK) {
        rc = db_fail(&g, "close");
        goto out;
    }
    g.db = NULL;
    if (rename(tmp, path) != 0) {
        rc = sw_error_set(err, SW_EIO, "demo data: cannot rename %s to %s: %s", tmp, path,
                          strerror(errno));
        goto out;
    }
    if (stats) {
        stats->households = g.nhouseholds;
        stats->profiles = profiles;
        stats->orders = g.next_order_id - 1;
    }
out:
    if (in_tx) {
        sqlite3_exec(g.db, "ROLLBACK", NULL, NULL, NULL);
    }
    sqlite3_finalize(g.ins_household);
    sqlite3_finalize(g.ins_profile);
    sqlite3_finalize(g.ins_order);
    if (g.db) {
        sqlite3_close(g.db);
    }
    if (rc < 0 && tmp) {
        remove_file_set(tmp);
    }
    free(tmp);
    free(g.ring);
    return rc;
}

int sw_demo_data_generate(const char *path, int64_t profiles, uint64_t seed, struct sw_error *err)
{
    return sw_demo_data_generate_ex(path, profiles, seed, NULL, err);
}

/* ---- the subcommand: stepwise demo-data --out PATH [--profiles N] [--seed S] [--force] ---- */

static void usage(FILE *f)
{
    sw_cli_usage_head(f, "demo-data");
    (void)fprintf(
        f,
        "Profiles have names, emails, countries, consent flags, phones, push tokens,\n"
        "birth and signup dates. The same seed gives the same data (set STEPWISE_NOW to fix the\n"
        "clock that relative dates are drawn from).\n"
        "\n"
        "  --out PATH      the file to write (refused if it exists, unless --force)\n"
        "  --profiles N    number of profiles (default %d; ~N/2.5 households, ~3N orders)\n"
        "  --seed S        random seed, a non-negative integer (default 1)\n"
        "  --force         replace PATH if it exists\n"
        "  --help          show this help\n",
        DEFAULT_PROFILES);
}

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;
    (void)fputs("stepwise demo-data: ", stderr);
    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fputs("\ntry 'stepwise demo-data --help'\n", stderr);
    return 2;
}

/* "--name VALUE" or "--name=VALUE": the value, advancing *i; NULL if `arg` is another flag.
 * *missing is set when the flag matches but has no value. */
static const char *flag_value(int argc, char **argv, int *i, const char *name, bool *missing)
{
    const char *arg = argv[*i];
    size_t n = strlen(name);
    if (!arg || strncmp(arg, name, n) != 0) {
        return NULL;
    }
    if (arg[n] == '=') {
        return arg + n + 1;
    }
    if (arg[n] != '\0') {
        return NULL;
    }
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int sw_cmd_demo_data(int argc, char **argv)
{
    const char *out = NULL;
    int64_t profiles = DEFAULT_PROFILES;
    uint64_t seed = 1;
    bool force = false;
    struct sw_error err = SW_ERROR_INIT;
    struct sw_demo_data_stats stats = {0, 0, 0};
    int code = 0;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        bool missing = false;
        if (sw_cli_is_help(arg)) {
            usage(stdout);
            return 0;
        } else if (strcmp(arg, "--force") == 0) {
            force = true;
        } else if ((v = flag_value(argc, argv, &i, "--out", &missing)) || missing) {
            if (missing || !*v) {
                return usage_error("%s needs a file path", "--out");
            }
            out = v;
        } else if ((v = flag_value(argc, argv, &i, "--profiles", &missing)) || missing) {
            if (missing || sw_parse_int64(v, &profiles) < 0 || profiles < 1 ||
                profiles > MAX_PROFILES) {
                return usage_error("%s needs a number of profiles between 1 and 1000000000",
                                   "--profiles");
            }
        } else if ((v = flag_value(argc, argv, &i, "--seed", &missing)) || missing) {
            char *end = NULL;
            errno = 0;
            if (missing || !*v || *v == '-' || *v == '+') {
                return usage_error("%s needs a non-negative integer", "--seed");
            }
            unsigned long long s = strtoull(v, &end, 10);
            if (errno || *end) {
                return usage_error("%s needs a non-negative integer", "--seed");
            }
            seed = (uint64_t)s;
        } else {
            return usage_error("unknown option %s", arg);
        }
    }
    if (!out) {
        return usage_error("%s is required", "--out");
    }
    if (sw_clock_init_from_env() < 0) {
        (void)fprintf(stderr, "stepwise demo-data: STEPWISE_NOW is not an ISO-8601 time\n");
        return 1;
    }
    if (!force && access(out, F_OK) == 0) {
        (void)fprintf(stderr, "stepwise demo-data: %s already exists (use --force to replace it)\n",
                      out);
        return 1;
    }

    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (sw_demo_data_generate_ex(out, profiles, seed, &stats, &err) < 0) {
        (void)fprintf(stderr, "stepwise demo-data: %s\n", err.message ? err.message : "failed");
        code = 1;
        goto out;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    (void)printf("wrote %s: %lld profiles, %lld households, %lld orders in %.1f s\n", out,
                 (long long)stats.profiles, (long long)stats.households, (long long)stats.orders,
                 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
out:
    sw_error_release(&err);
    return code;
}
