/* fuzz_facts.c - the facts of `mlp zeros --assume` (mlp_facts_parse), about the seed's ReLU
 * network (examples/seed/relu-net.mlp, copied here).
 *
 * For text that does not parse: an input error about "--assume" positioned inside the text.
 * For text that parses, each fact:
 *  - names a value of the model, and its number is the number as written: the normalised text
 *    "NAME OP NUMBER" takes its number whole from the input (a maximal run of a number's
 *    characters there), reads back to the fact's value, and a number written with a nonzero
 *    digit is not 0;
 *  - reparses alone to the same fact (node, signs, exactness and the value's bits);
 *  - allows the signs that values satisfying it can have: sample points on both sides of the
 *    number that satisfy the comparison must have their sign in the fact's set.
 * Then mlp_zeros runs with the text: it succeeds, or reports facts that contradict each other.
 */
#include "fuzz.h"

#include <ctype.h>
#include <math.h>
#include <string.h>

#include "analysis/analysis.h"
#include "api/internal.h"

static const char model_text[] =
    "input x1\ninput x2\ninput t\n"
    "param w1 = 0.5\nparam w7 = -0.25\nparam w8 = 0.75\nparam w9 = 0.4\nparam w2 = -1.2\n"
    "param w6 = 0.9\nparam w4 = 0.6\nparam w10 = 0.3\nparam w3 = 1.1\nparam w5 = -0.7\n"
    "z1 = w1 * x1 + w7 * x2\nh1 = relu(z1)\nz2 = w8 * x1 + w9 * x2\nh2 = relu(z2)\n"
    "z3 = w2 * h1 + w6 * h2\nh3 = relu(z3)\nz4 = w4 * h1 + w10 * h2\nh4 = relu(z4)\n"
    "z = w3 * h3 + w5 * h4\ny = relu(z)\nL = 0.5 * sumsq(y - t)\noutput y\nloss L\n";

#define WHERE "--assume"

/* Parsed once: the harness's own state. */
static mlp_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    model = fuzz_fixed_model(model_text, "relu-net.mlp");
    return 0;
}

static bool word_char(char c) { return isalnum((unsigned char)c) || c == '_' || c == '.'; }

/* Whether the number text `num` (n bytes) at p is a whole number token there, as the lexer
 * reads one: nothing of an identifier or number before it, and no digit, fraction or exponent
 * after it that would continue it. */
static bool whole_at(const char *input, const char *p, const char *num, size_t n)
{
    bool dot = strchr(num, '.'), exp = strpbrk(num, "eE");
    const char *q = p + n;
    if (p > input && word_char(p[-1]))
        return false;
    if (isdigit((unsigned char)q[0]) || (q[0] == '.' && !dot && !exp))
        return false;
    if ((q[0] != 'e' && q[0] != 'E') || exp)
        return true;
    bool sign = q[1] == '+' || q[1] == '-';
    return !isdigit((unsigned char)q[sign ? 2 : 1]);
}

/* The number of a normalised fact "NAME OP NUMBER" is a whole token of the input. */
static void check_number(const struct mlp_fact *f, const char *input)
{
    const char *num = strrchr(f->text, ' ');
    FUZZ_ASSERT(num, "fact text '%s'", f->text);
    num++;
    const char *digits = num[0] == '-' ? num + 1 : num;
    size_t n = strlen(digits);
    bool whole = false;
    for (const char *p = strstr(input, digits); p && !whole; p = strstr(p + 1, digits))
        whole = whole_at(input, p, digits, n);
    FUZZ_ASSERT(whole, "the number '%s' of fact '%s' is not a whole number of '%s'", digits,
                f->text, input);
    FUZZ_ASSERT(fuzz_same(strtod(num, NULL), f->value), "fact '%s' has value %.17g", f->text,
                f->value);
    size_t mantissa = strcspn(digits, "eE");
    bool nonzero = strcspn(digits, "123456789") < mantissa;
    FUZZ_ASSERT(!nonzero || f->value != 0, "fact '%s' (a nonzero number) has value 0", f->text);
}

/* Values satisfying `v REL c` for the relation written in f->text must have allowed signs. */
static void check_signs(const struct mlp_fact *f)
{
    char op[3] = "";
    sscanf(strchr(f->text, ' ') + 1, "%2s", op);
    double c = f->value, pts[] = {-INFINITY, -1e308, -2 * fabs(c) - 1, c - fabs(c) / 2 - 1e-300,
                                   nextafter(c, -INFINITY), c, nextafter(c, INFINITY),
                                   c + fabs(c) / 2 + 1e-300, 2 * fabs(c) + 1, 1e308, INFINITY,
                                   0, -0x1p-1074, 0x1p-1074};
    for (size_t i = 0; i < sizeof pts / sizeof *pts; i++) {
        double v = pts[i];
        bool sat = !strcmp(op, "<") ? v < c : !strcmp(op, "<=") ? v <= c : !strcmp(op, "==")
                 ? v == c : !strcmp(op, ">=") ? v >= c : !strcmp(op, ">") ? v > c : v != c;
        unsigned sign = v < 0 ? SIGN_NEG : v > 0 ? SIGN_POS : SIGN_ZERO;
        FUZZ_ASSERT(!sat || (f->signs & sign), "fact '%s' allows signs %u, but %g satisfies it",
                    f->text, f->signs, v);
    }
}

/* The normalised text parses alone to the same fact. */
static void check_reparse(const mlp_graph *g, const struct mlp_fact *f)
{
    struct mlp_fact *again = NULL;
    int n = 0;
    mlp_error err = {0};
    int rc = mlp_facts_parse(g, f->text, WHERE, &again, &n, &err);
    FUZZ_ASSERT(rc == MLP_OK && n == 1, "fact '%s' does not reparse: %s", f->text, err.message);
    FUZZ_ASSERT(again[0].node == f->node && again[0].signs == f->signs &&
                again[0].exact == f->exact && !memcmp(&again[0].value, &f->value, sizeof f->value)
                && !strcmp(again[0].text, f->text), "fact '%s' reparses as '%s'", f->text,
                again[0].text);
    free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    const mlp_graph *g = mlp_model_graph(model);
    struct mlp_fact *facts = NULL;
    int n = 0;
    mlp_error err = {0};
    if (mlp_facts_parse(g, text, WHERE, &facts, &n, &err) != MLP_OK) {
        fuzz_check_error(&err, text, strlen(text), WHERE);
        free(facts);
        free(text);
        return 0;
    }
    FUZZ_ASSERT(n >= 1, "no facts from '%s'", text);
    for (int i = 0; i < n; i++) {
        FUZZ_ASSERT(facts[i].node >= 0 && facts[i].node < g->n, "node %d", facts[i].node);
        FUZZ_ASSERT(facts[i].signs && facts[i].signs <= SIGN_ANY, "signs %u", facts[i].signs);
        check_number(&facts[i], text);
        check_signs(&facts[i]);
        check_reparse(g, &facts[i]);
    }
    free(facts);
    const char *list[1] = {text};
    mlp_zero_result *r = NULL;
    int nr = 0;
    memset(&err, 0, sizeof err);
    if (mlp_zeros(model, list, 1, NULL, 0, &r, &nr, &err) == MLP_OK)
        mlp_zero_results_free(r, nr);
    else
        FUZZ_ASSERT(err.status == MLP_ERR_INPUT && strstr(err.message, "cannot all hold"),
                    "zeros fails on facts that parse: %s", err.message);
    free(text);
    return 0;
}
