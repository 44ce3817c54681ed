/* facts.c - the facts `mlp zeros --assume` takes: NAME OP NUMBER, as in `z1 < 0` or `h1 == 0`,
 * separated by commas or `and`. A fact is about every element of a named value. */
#include "analysis/analysis.h"
#include "base/mem.h"
#include "lang/tokens.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

struct fact_parser {
    const mlp_graph *g;
    struct mlp_cursor cur;
    const char *text, *where;
    mlp_error *err;
};


static int fail(struct fact_parser *fp, mlp_srcloc loc, const char *fmt, ...) MLP_PRINTF(3, 4);
static int fail(struct fact_parser *fp, mlp_srcloc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mlp_vfail(fp->err, MLP_ERR_INPUT, fp->where, loc, fmt, ap);
    va_end(ap);
    mlp_error_attach_source(fp->err, fp->text);
    return MLP_ERR_INPUT;
}

static int expected(struct fact_parser *fp, const char *what)
{
    char msg[160];
    mlp_tok_expected(&fp->cur.tok, what, msg, sizeof msg);
    return fail(fp, fp->cur.tok.loc, "%s", msg);
}

static const struct {
    enum mlp_tok tok;
    const char *text, *flipped; /* as written, and with its sides swapped */
} relations[] = {{TOK_LT, "<", ">"},   {TOK_LE, "<=", ">="}, {TOK_EQ, "==", "=="},
                 {TOK_GE, ">=", "<="}, {TOK_GT, ">", "<"},   {TOK_NE, "!=", "!="}};

static int relation(const struct mlp_token *t)
{
    for (int i = 0; i < (int)(sizeof relations / sizeof *relations); i++)
        if (relations[i].tok == t->kind)
            return i;
    return -1;
}

/* The signs x REL c allows: only what the comparison decides about x's sign. */
static unsigned signs_of(const char *rel, double c)
{
    bool lt = !strcmp(rel, "<"), le = !strcmp(rel, "<="), gt = !strcmp(rel, ">"),
         ge = !strcmp(rel, ">="), eq = !strcmp(rel, "=="), ne = !strcmp(rel, "!=");
    if (eq)
        return c < 0 ? SIGN_NEG : c > 0 ? SIGN_POS : SIGN_ZERO;
    if ((lt && c <= 0) || (le && c < 0))
        return SIGN_NEG;
    if (le && c == 0)
        return SIGN_NEG | SIGN_ZERO;
    if ((gt && c >= 0) || (ge && c > 0))
        return SIGN_POS;
    if (ge && c == 0)
        return SIGN_ZERO | SIGN_POS;
    if (ne && c == 0)
        return SIGN_NEG | SIGN_POS;
    return SIGN_ANY;
}

/* [+|-] NUMBER */
static int number(struct fact_parser *fp, double *v, mlp_strbuf *text)
{
    bool neg = fp->cur.tok.kind == TOK_MINUS;
    if (neg || fp->cur.tok.kind == TOK_PLUS)
        mlp_cursor_next(&fp->cur);
    if (fp->cur.tok.kind != TOK_NUMBER)
        return expected(fp, "a number");
    const struct mlp_token t = fp->cur.tok;
    double x;
    /* A fact's sign logic needs the number itself: one that reads as another (cut, or a tiny
     * number rounded to 0, which would turn z < 1e-400 into z < 0) is refused. */
    switch (mlp_tok_number(&t, &x)) {
    case MLP_NUM_LONG:
        return fail(fp, t.loc, "number too long (at most %d characters)", MLP_NUMBER_MAX - 1);
    case MLP_NUM_RANGE:
        return fail(fp, t.loc, "number out of range: %.*s", t.len, t.start);
    case MLP_NUM_TINY:
        return fail(fp, t.loc, "number out of range: %.*s is too small to tell from 0", t.len,
                    t.start);
    case MLP_NUM_OK:
        break;
    }
    *v = neg ? -x : x;
    mlp_sb_printf(text, "%s%.*s", neg ? "-" : "", t.len, t.start);
    mlp_cursor_next(&fp->cur);
    return MLP_OK;
}

/* A named value; facts about elements (h[0]) are refused: a fact covers the whole value. */
static int value_name(struct fact_parser *fp, mlp_id *node, mlp_strbuf *text)
{
    struct mlp_token t = fp->cur.tok;
    if (t.kind != TOK_IDENT)
        return expected(fp, "the name of a value");
    int nm = mlp_graph_find(fp->g, t.start, t.len);
    if (nm < 0)
        return fail(fp, t.loc, "unknown name '%.*s'", t.len, t.start);
    mlp_cursor_next(&fp->cur);
    if (fp->cur.tok.kind == TOK_LBRACK)
        return fail(fp, fp->cur.tok.loc, "a fact is about every element of a value: '%.*s[...]' "
                                     "(one element) is not supported; name a scalar value",
                    t.len, t.start);
    *node = fp->g->names[nm].node;
    mlp_sb_putn(text, t.start, (size_t)t.len);
    return MLP_OK;
}

/* NAME REL NUMBER, or NUMBER REL NAME. */
static int fact(struct fact_parser *fp, struct mlp_fact *f)
{
    mlp_strbuf name = {0}, num = {0};
    bool number_first = fp->cur.tok.kind == TOK_NUMBER || fp->cur.tok.kind == TOK_MINUS ||
                        fp->cur.tok.kind == TOK_PLUS;
    double c = 0;
    int rc = number_first ? number(fp, &c, &num) : value_name(fp, &f->node, &name);
    int rel = rc == MLP_OK ? relation(&fp->cur.tok) : -1;
    if (rc == MLP_OK && rel < 0)
        rc = expected(fp, "a comparison (<, <=, ==, >=, >, !=)");
    if (rc == MLP_OK) {
        mlp_cursor_next(&fp->cur);
        rc = number_first ? value_name(fp, &f->node, &name) : number(fp, &c, &num);
    }
    if (rc == MLP_OK) {
        const char *op = number_first ? relations[rel].flipped : relations[rel].text;
        f->signs = signs_of(op, c);
        f->exact = !strcmp(op, "==");
        f->value = c;
        snprintf(f->text, sizeof f->text, "%s %s %s", mlp_sb_str(&name), op, mlp_sb_str(&num));
    }
    mlp_sb_free(&name);
    mlp_sb_free(&num);
    return rc;
}

int mlp_facts_parse(const mlp_graph *g, const char *text, const char *where,
                    struct mlp_fact **facts, int *n, mlp_error *err)
{
    struct fact_parser fp = {.g = g, .text = text, .where = where, .err = err};
    mlp_cursor_init(&fp.cur, text);
    if (fp.cur.tok.kind == TOK_EOF)
        return fail(&fp, fp.cur.tok.loc, "empty fact (expected something like 'z1 < 0')");
    for (;;) {
        struct mlp_fact f;
        memset(&f, 0, sizeof f);
        if (fact(&fp, &f) != MLP_OK)
            return MLP_ERR_INPUT;
        *facts = mlp_xrealloc(*facts, (size_t)(*n + 1) * sizeof **facts);
        (*facts)[(*n)++] = f;
        if (fp.cur.tok.kind == TOK_EOF)
            return MLP_OK;
        if (fp.cur.tok.kind != TOK_COMMA && !mlp_tok_is_word(&fp.cur.tok, "and"))
            return expected(&fp, "',', 'and' or the end of the facts");
        mlp_cursor_next(&fp.cur);
    }
}
