/* parser.c - recursive descent over the model language (grammar in README.md): statements,
 * declarations and the entry points; expressions are in parse_expr.c, literals in
 * parse_literal.c.
 *
 * The parser builds the graph directly through the smart constructors: each expression node is
 * built with g->loc at its operator and g->ctx spanning its source text, so a shape error reads
 * "model.mlp:7:9: error: shape mismatch in 'W1 @ x': [2,3] @ [4]".
 */
#include "lang/parse_internal.h"
#include "base/mem.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reserved: declarations, and the connectives of `mlp verify` specs. */
static const char *const keywords[] = {"input", "param", "const", "output", "loss",
                                       "and",   "or",    "not",   "in"};

/* ---- messages ---- */

bool ps_fail(struct parser *ps, mlp_srcloc loc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mlp_vfail(ps->err, MLP_ERR_INPUT, ps->file, loc, fmt, ap);
    va_end(ap);
    return false;
}

bool ps_expected(struct parser *ps, const char *what)
{
    char msg[160];
    mlp_tok_expected(&ps->cur.tok, what, msg, sizeof msg);
    return ps_fail(ps, ps->cur.tok.loc, "%s", msg);
}

bool ps_expect(struct parser *ps, enum mlp_tok kind, const char *what)
{
    return mlp_cursor_accept(&ps->cur, kind) || ps_expected(ps, what);
}

/* ---- declarations ---- */

mlp_id ps_checked(struct parser *ps, mlp_id id)
{
    if (id == MLP_NONE && ps->g->err.status != MLP_OK && !mlp_failed(ps->err))
        *ps->err = ps->g->err;
    return id;
}

bool ps_check_new_name(struct parser *ps, const struct mlp_token *t)
{
    if (t->len > MAX_NAME)
        return ps_fail(ps, t->loc, "name too long: %d characters (at most %d)", t->len, MAX_NAME);
    for (size_t i = 0; i < sizeof keywords / sizeof *keywords; i++)
        if (mlp_tok_is_word(t, keywords[i]))
            return ps_fail(ps, t->loc, "'%s' is a keyword and cannot name a value", keywords[i]);
    if (mlp_op_lookup(t->start, t->len) >= 0)
        return ps_fail(ps, t->loc, "'%.*s' is a function and cannot name a value", t->len, t->start);
    int prev = mlp_graph_find(ps->g, t->start, t->len);
    if (prev >= 0) {
        mlp_srcloc at = ps->g->names[prev].loc;
        return ps_fail(ps, t->loc, "redefinition of '%.*s' (first defined at line %d, column %d)",
                       t->len, t->start, at.line, at.col);
    }
    return true;
}

#define INIT_ARG_MAX 1e300

/* `~ NAME [(args)]` for a parameter. */
static bool parse_init(struct parser *ps, struct mlp_init *init)
{
    static const struct {
        const char *name;
        int nargs;
    } inits[] = {
#define MLP_INIT_ROW(id, name, nargs) {name, nargs},
        MLP_INITS(MLP_INIT_ROW)
#undef MLP_INIT_ROW
    };
    struct mlp_token t = ps->cur.tok;
    if (t.kind != TOK_IDENT)
        return ps_expected(ps, "an initialiser (zeros, ones, normal(mean, std), uniform(lo, hi), "
                            "xavier, xavier_normal, he, he_uniform)");
    int kind = -1;
    for (int i = 1; i < MLP_INIT_COUNT; i++)
        if (mlp_tok_is_word(&t, inits[i].name))
            kind = i;
    char buf[64];
    if (kind < 0)
        return ps_fail(ps, t.loc, "unknown initialiser '%s' (known: zeros, ones, normal, uniform, "
                                  "xavier, xavier_normal, he, he_uniform)", mlp_tok_shown(&t, buf));
    mlp_cursor_next(&ps->cur);
    init->kind = (enum mlp_init_kind)kind;
    int nargs = 0;
    if (mlp_cursor_accept(&ps->cur, TOK_LPAREN)) {
        if (ps->cur.tok.kind != TOK_RPAREN) {
            do {
                mlp_strbuf text = {0};
                double v = 0;
                bool ok = ps_number(ps, &v, &text);
                mlp_sb_free(&text);
                if (!ok)
                    return false;
                if (nargs < 2)
                    init->arg[nargs] = v;
                nargs++;
            } while (mlp_cursor_accept(&ps->cur, TOK_COMMA));
        }
        if (!ps_expect(ps, TOK_RPAREN, "',' or ')'"))
            return false;
    }
    if (nargs != inits[kind].nargs)
        return ps_fail(ps, t.loc, "%s takes %d argument%s, got %d", inits[kind].name,
                       inits[kind].nargs, inits[kind].nargs == 1 ? "" : "s", nargs);
    /* Bounded arguments keep every drawn value finite: |mean| + 9 std (Box-Muller's normals stay
     * within 8.6) and hi - lo cannot overflow. */
    double a = init->arg[0], b = init->arg[1];
    if (fabs(a) > INIT_ARG_MAX || fabs(b) > INIT_ARG_MAX)
        return ps_fail(ps, t.loc, "%s arguments must lie within -1e300 to 1e300",
                       inits[kind].name);
    if (init->kind == MLP_INIT_NORMAL && !(b >= 0))
        return ps_fail(ps, t.loc, "normal(mean, std) needs std >= 0");
    if (init->kind == MLP_INIT_UNIFORM && !(a <= b))
        return ps_fail(ps, t.loc, "uniform(lo, hi) needs lo <= hi");
    return true;
}

/* The values of a declaration must fit the model's budget; checked before any are allocated. */
static bool values_fit(struct parser *ps, const struct mlp_token *name, mlp_shape shape,
                       mlp_srcloc at)
{
    const mlp_graph *g = ps->g;
    int64_t size = mlp_shape_size(shape);
    if (size <= g->max_values - g->npool)
        return true;
    return ps_fail(ps, at, "'%.*s' needs %lld values, but the parameters and constants of a model "
                           "may hold at most %lld in all", name->len, name->start,
                   (long long)size, (long long)g->max_values);
}

/* Check a declaration's literal against its shape and store it, values and texts, straight into
 * the pool: a literal `0` filling a large shape costs no temporary copies. */
static bool store_literal(struct parser *ps, const struct mlp_literal *lit, mlp_id id,
                          const char *name, mlp_srcloc at)
{
    mlp_graph *g = ps->g;
    mlp_shape shape = mlp_node(g, id)->shape;
    if (mlp_literal_fit(lit, shape, name, mlp_node_values(g, id), NULL, ps->file, at, ps->err))
        return false;
    int64_t off = mlp_node(g, id)->data, size = mlp_shape_size(shape);
    for (int64_t i = 0; i < size; i++)
        mlp_pool_set_text(g, off + i, lit->texts[lit->n == 1 ? 0 : i]);
    return true;
}

/* input NAME [shape] | param NAME [shape] (= literal | ~ init) | const NAME [shape] = literal */
static bool declaration(struct parser *ps, mlp_kind kind)
{
    mlp_cursor_next(&ps->cur);
    struct mlp_token name = ps->cur.tok;
    if (name.kind != TOK_IDENT)
        return ps_expected(ps, "a name");
    if (!ps_check_new_name(ps, &name))
        return false;
    mlp_cursor_next(&ps->cur);
    mlp_srcloc shape_at = ps->cur.tok.loc;
    mlp_shape shape;
    if (!ps_shape(ps, &shape) || (kind != MLP_INPUT && !values_fit(ps, &name, shape, shape_at)))
        return false;
    struct mlp_literal lit = {0};
    struct mlp_init init = {MLP_INIT_NONE, {0, 0}};
    mlp_srcloc at = ps->cur.tok.loc;
    if (kind == MLP_PARAM && mlp_cursor_accept(&ps->cur, TOK_TILDE)) {
        if (!parse_init(ps, &init))
            return false;
    } else if (kind != MLP_INPUT) {
        if (ps->cur.tok.kind != TOK_ASSIGN)
            return ps_expected(ps, kind == MLP_PARAM ? "'= value' or '~ initialiser'" : "'= value'");
        mlp_cursor_next(&ps->cur);
        at = ps->cur.tok.loc;
        if (!ps_literal(ps, &lit))
            return false;
    }
    char *text = mlp_xstrndup(name.start, (size_t)name.len);
    mlp_id id = ps_checked(ps, mlp_graph_declare(ps->g, kind, text, shape, NULL, NULL, name.loc));
    bool ok = id != MLP_NONE && (lit.n == 0 || store_literal(ps, &lit, id, text, at));
    if (ok && kind == MLP_PARAM)
        ps->g->names[ps->g->nnames - 1].init = init;
    mlp_literal_free(&lit);
    free(text);
    return ok;
}

/* ---- statements ---- */

static bool assignment(struct parser *ps)
{
    struct mlp_token name = ps->cur.tok;
    if (!ps_check_new_name(ps, &name))
        return false;
    mlp_cursor_next(&ps->cur);
    if (!ps_expect(ps, TOK_ASSIGN, "'=' (a statement is NAME = EXPRESSION)"))
        return false;
    ps->defining = name;
    mlp_id e = ps_expr(ps);
    ps->defining.len = 0;
    if (e == MLP_NONE)
        return false;
    char *text = mlp_xstrndup(name.start, (size_t)name.len);
    mlp_graph_define(ps->g, text, e, name.loc);
    free(text);
    return true;
}

/* The name a marker statement refers to; it must exist. */
static int marked_name(struct parser *ps, const char *what)
{
    struct mlp_token t = ps->cur.tok;
    if (t.kind != TOK_IDENT) {
        ps_expected(ps, what);
        return -1;
    }
    int nm = mlp_graph_find(ps->g, t.start, t.len);
    char buf[64];
    if (nm < 0)
        ps_fail(ps, t.loc, "unknown name '%s'", mlp_tok_shown(&t, buf));
    else
        mlp_cursor_next(&ps->cur);
    return nm;
}

static bool output_statement(struct parser *ps)
{
    mlp_graph *g = ps->g;
    mlp_cursor_next(&ps->cur);
    do {
        mlp_srcloc at = ps->cur.tok.loc;
        int nm = marked_name(ps, "a name to output");
        if (nm < 0)
            return false;
        int old_cap = ps->cap_is_output;
        mlp_xreserve(&ps->is_output, &ps->cap_is_output, g->nnames, sizeof *ps->is_output);
        memset(ps->is_output + old_cap, 0, (size_t)(ps->cap_is_output - old_cap));
        if (ps->is_output[nm])
            return ps_fail(ps, at, "'%s' is already an output", g->names[nm].text);
        ps->is_output[nm] = true;
        mlp_xreserve(&g->outputs, &g->capoutputs, g->noutputs + 1, sizeof *g->outputs);
        g->outputs[g->noutputs++] = nm;
    } while (mlp_cursor_accept(&ps->cur, TOK_COMMA));
    return true;
}

static bool loss_statement(struct parser *ps)
{
    mlp_graph *g = ps->g;
    mlp_cursor_next(&ps->cur);
    mlp_srcloc at = ps->cur.tok.loc;
    int nm = marked_name(ps, "the name of the loss");
    if (nm < 0)
        return false;
    if (g->loss >= 0)
        return ps_fail(ps, at, "a model has at most one loss; '%s' is already the loss",
                       g->names[g->loss].text);
    mlp_shape s = mlp_node(g, g->names[nm].node)->shape;
    if (s.rank != 0) {
        char buf[64];
        mlp_shape_format(s, buf);
        return ps_fail(ps, at, "the loss must be a scalar per sample, but '%s' has shape %s "
                               "(reduce it with sum, mean or sumsq)", g->names[nm].text, buf);
    }
    g->loss = nm;
    return true;
}

static bool statement(struct parser *ps)
{
    const struct mlp_token *t = &ps->cur.tok;
    if (t->kind != TOK_IDENT)
        return ps_expected(ps, "a statement (input, param, const, output, loss or NAME = ...)");
    if (mlp_tok_is_word(t, "input"))
        return declaration(ps, MLP_INPUT);
    if (mlp_tok_is_word(t, "param"))
        return declaration(ps, MLP_PARAM);
    if (mlp_tok_is_word(t, "const"))
        return declaration(ps, MLP_CONST);
    if (mlp_tok_is_word(t, "output"))
        return output_statement(ps);
    if (mlp_tok_is_word(t, "loss"))
        return loss_statement(ps);
    return assignment(ps);
}

mlp_graph *mlp_parse_model(const char *text, size_t len, const char *file, mlp_error *err)
{
    return mlp_parse_model_budget(text, len, file, MLP_MAX_MODEL_VALUES, err);
}

mlp_graph *mlp_parse_model_budget(const char *text, size_t len, const char *file,
                                  int64_t max_values, mlp_error *err)
{
    mlp_error local;
    if (!err)
        err = &local;
    mlp_error_clear(err);
    if (strlen(text) != len) {
        struct mlp_lexer lx;
        mlp_lex_init(&lx, text);
        while (*lx.p)
            mlp_lex_next(&lx);
        mlp_fail(err, MLP_ERR_INPUT, file, lx.loc, "the file contains a NUL byte (not a text file?)");
        return NULL;
    }
    if (len >= 3 && !memcmp(text, UTF8_BOM, 3)) { /* some editors start files with one */
        text += 3;
        len -= 3;
    }
    struct parser ps = {.file = file, .err = err};
    ps.g = mlp_graph_new(file);
    ps.g->max_values = max_values;
    mlp_cursor_init(&ps.cur, text);
    while (ps.cur.tok.kind != TOK_EOF) {
        if (mlp_cursor_accept(&ps.cur, TOK_NEWLINE))
            continue;
        ps.g->ctx = NULL;
        if (!statement(&ps))
            break;
        if (ps.cur.tok.kind != TOK_NEWLINE && ps.cur.tok.kind != TOK_EOF) {
            ps_expected(&ps, "end of line");
            break;
        }
    }
    ps.g->ctx = NULL;
    free(ps.is_output);
    if (mlp_failed(err)) {
        mlp_error_attach_source(err, text);
        mlp_graph_free(ps.g);
        return NULL;
    }
    ps.g->loc = MLP_NOLOC;
    return ps.g;
}

