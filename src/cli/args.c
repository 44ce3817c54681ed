/* args.c - option parsing shared by the subcommands: `--name value`, `--name=value`, flags. */
#include "cli/cli.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt *find_opt(const struct cli_opt *opts, const char *arg, size_t len)
{
    for (; opts->name; opts++)
        if (strlen(opts->name) == len && !strncmp(opts->name, arg, len))
            return opts;
    return NULL;
}

int cli_usage_error(const struct cli_args *a, const char *fmt, ...)
{
    /* Arguments and names from files (CSV headers) reach the terminal escaped, as the library's
     * messages do: no control bytes, no invalid UTF-8. */
    char msg[4096], shown[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mlp %s: %s\n(see 'mlp %s --help')\n", a->cmd,
            mlp_quote(msg, shown, sizeof shown), a->cmd);
    return EXIT_BAD_INPUT;
}

int cli_report(const mlp_error *err)
{
    mlp_error_print(err, stderr);
    return EXIT_BAD_INPUT;
}

/* Every command takes --max-memory: "BYTES", or a number with K, M, G or T (powers of 1024). */
static const struct cli_opt common_opts[] = {{"--max-memory", CLI_VALUE}, {NULL, CLI_FLAG}};

/* --max-memory SIZE: the most one allocation (a plan's arena, a data set) may take, instead
 * of what the kernel reports as available. The library reads it from MLP_MAX_MEMORY. */
static int set_max_memory(const struct cli_args *a, const char *v)
{
    char *end;
    errno = 0;
    unsigned long long n = isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
    int shift = 0;
    if (n && !errno && *end && !end[1] && strchr("KMGT", *end))
        shift = 10 * (int)(strchr("KMGT", *end) - "KMGT" + 1), end++;
    if (!n || errno || *end || n > (ULLONG_MAX >> shift))
        return cli_usage_error(a, "--max-memory must be a positive number of bytes, optionally "
                                  "with K, M, G or T, got '%s'", v);
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", n << shift);
    setenv("MLP_MAX_MEMORY", buf, 1);
    return 0;
}

/* Options and positional arguments, however many. */
static int parse_args(int argc, char **argv, const char *cmd, const char *usage,
                      const struct cli_opt *opts, struct cli_args *a)
{
    memset(a, 0, sizeof *a);
    a->cmd = cmd;
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            fputs(usage, stdout);
            return -1;
        }
        if (strncmp(arg, "-", 1) || !strcmp(arg, "-")) {
            if (a->npos == (int)(sizeof a->pos / sizeof *a->pos))
                return cli_usage_error(a, "too many arguments");
            a->pos[a->npos++] = arg;
            continue;
        }
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        const struct cli_opt *o = find_opt(opts, arg, len);
        if (!o)
            o = find_opt(common_opts, arg, len);
        if (!o)
            return cli_usage_error(a, "unknown option '%.*s'", (int)len, arg);
        const char *value = NULL;
        if (o->kind != CLI_FLAG) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return cli_usage_error(a, "option '%s' needs a value", o->name);
        } else if (eq) {
            return cli_usage_error(a, "option '%s' takes no value", o->name);
        }
        if (o->kind != CLI_LIST && cli_flag(a, o->name))
            return cli_usage_error(a, "option '%s' given more than once", o->name);
        if (a->ngiven == CLI_MAX_GIVEN)
            return cli_usage_error(a, "too many options");
        if (o == &common_opts[0] && set_max_memory(a, value))
            return EXIT_BAD_INPUT;
        a->given[a->ngiven].name = o->name;
        a->given[a->ngiven++].value = value;
    }
    return 0;
}

int cli_parse(int argc, char **argv, const char *cmd, const char *usage,
              const struct cli_opt *opts, struct cli_args *a)
{
    int rc = parse_args(argc, argv, cmd, usage, opts, a);
    if (rc == 0 && a->npos > 1)
        return cli_usage_error(a, "expected one MODEL, got %d arguments", a->npos);
    return rc;
}

int cli_parse_args(int argc, char **argv, const char *cmd, const char *usage,
                   const struct cli_opt *opts, struct cli_args *a)
{
    return parse_args(argc, argv, cmd, usage, opts, a);
}

const char *cli_get(const struct cli_args *a, const char *name)
{
    for (int i = a->ngiven - 1; i >= 0; i--)
        if (!strcmp(a->given[i].name, name))
            return a->given[i].value;
    return NULL;
}

bool cli_flag(const struct cli_args *a, const char *name)
{
    for (int i = 0; i < a->ngiven; i++)
        if (!strcmp(a->given[i].name, name))
            return true;
    return false;
}

bool cli_int(const struct cli_args *a, const char *name, long lo, long hi, long *out)
{
    const char *v = cli_get(a, name);
    if (!v)
        return true;
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    /* Only an optional '-' and digits: strtol would also take " 5" and "+5". */
    bool digits = isdigit((unsigned char)v[*v == '-']);
    if (!digits || *end || errno || x < lo || x > hi) {
        cli_usage_error(a, "%s must be an integer from %ld to %ld, got '%s'", name, lo, hi, v);
        return false;
    }
    *out = x;
    return true;
}

/* Whether s is a decimal number as the model language writes one: [+-] digits [. digits]
 * [(e|E) [+-] digits], or [+-] . digits ...; strtod alone would also take hex floats, "inf",
 * "nan(...)" and leading blanks. */
static bool decimal_syntax(const char *s)
{
    size_t n = 0;
    if (*s == '+' || *s == '-')
        s++;
    for (; isdigit((unsigned char)*s); s++)
        n++;
    if (*s == '.')
        for (s++; isdigit((unsigned char)*s); s++)
            n++;
    if (n == 0)
        return false;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-')
            s++;
        if (!isdigit((unsigned char)*s))
            return false;
        while (isdigit((unsigned char)*s))
            s++;
    }
    return *s == 0;
}

bool cli_number(const char *s, double *out)
{
    if (!decimal_syntax(s))
        return false;
    double x = strtod(s, NULL);
    if (!isfinite(x))
        return false;
    *out = x;
    return true;
}

bool cli_double(const struct cli_args *a, const char *name, double *out)
{
    const char *v = cli_get(a, name);
    if (!v)
        return true;
    double x;
    if (!cli_number(v, &x)) {
        cli_usage_error(a, "%s must be a finite number, got '%s'", name, v);
        return false;
    }
    *out = x;
    return true;
}

int cli_wrt(const struct cli_args *a, bool required, char **buf, const char **names, int max)
{
    const char *list = cli_get(a, "--wrt");
    *buf = NULL;
    if (!list) {
        if (required)
            cli_usage_error(a, "--wrt NAME[,NAME...] is required");
        return required ? -1 : 0;
    }
    *buf = strdup(list);
    int n = 0;
    for (char *save = NULL, *tok = strtok_r(*buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == max) {
            cli_usage_error(a, "--wrt lists more than %d names", max);
            return -1;
        }
        names[n++] = tok;
    }
    if (n == 0)
        cli_usage_error(a, "--wrt needs at least one name");
    return n ? n : -1;
}

bool cli_dtype(const struct cli_args *a, mlp_dtype *out)
{
    const char *v = cli_get(a, "--dtype");
    *out = MLP_F64;
    if (!v || !strcmp(v, "f64") || !strcmp(v, "float64"))
        return true;
    if (!strcmp(v, "f32") || !strcmp(v, "float32")) {
        *out = MLP_F32;
        return true;
    }
    cli_usage_error(a, "--dtype must be f64 or f32, got '%s'", v);
    return false;
}
