/* vnnlib.c - reading VNNLIB text: tokens, declarations, asserts as a formula of linear atoms.
 * The normal form and the cases are built in vnnlib_dnf.c. */
#include "analysis/verify/vnnlib.h"
#include "analysis/verify/vnnlib_impl.h"
#include "analysis/verify/rational.h"
#include "base/mem.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- errors and tokens ---- */

static bool fail(struct vp *p, mlp_srcloc loc, const char *fmt, ...) MLP_PRINTF(3, 4);
static bool fail(struct vp *p, mlp_srcloc loc, const char *fmt, ...)
{
    if (mlp_failed(p->err))
        return false;
    va_list ap;
    va_start(ap, fmt);
    mlp_vfail(p->err, MLP_ERR_INPUT, p->file, loc, fmt, ap);
    va_end(ap);
    if (p->err && loc.line > 0)
        mlp_error_attach_source(p->err, p->text);
    p->failed = true;
    return false;
}

static bool is_symbol_char(unsigned char c)
{
    return isalnum(c) || (c && strchr("~!@$%^&*_-+=<>.?/", c));
}

static void advance_char(struct vp *p)
{
    if (p->s[p->pos] == '\n') {
        p->line++;
        p->col = 1;
    } else {
        p->col++;
    }
    p->pos++;
}

/* The next token into p->tk: '(' ')' a symbol or number, or end of text. */
static bool next(struct vp *p)
{
    for (;;) {
        while (p->pos < p->len && isspace((unsigned char)p->s[p->pos]))
            advance_char(p);
        if (p->pos < p->len && p->s[p->pos] == ';') {
            while (p->pos < p->len && p->s[p->pos] != '\n')
                advance_char(p);
            continue;
        }
        break;
    }
    p->tloc = (mlp_srcloc){p->line, p->col};
    p->tstart = p->pos;
    if (p->pos >= p->len) {
        p->tk = TK_END;
        return true;
    }
    unsigned char c = (unsigned char)p->s[p->pos];
    if (c == '(' || c == ')') {
        p->tk = c == '(' ? TK_LP : TK_RP;
        advance_char(p);
        return true;
    }
    if (!is_symbol_char(c)) {
        char q[16];
        snprintf(q, sizeof q, c >= 0x20 && c < 0x7f ? "'%c'" : "byte 0x%02x", c);
        return fail(p, p->tloc, "unexpected %s (VNNLIB has parentheses, names and numbers)", q);
    }
    while (p->pos < p->len && is_symbol_char((unsigned char)p->s[p->pos]))
        advance_char(p);
    p->tk = TK_SYM;
    return true;
}

static size_t tlen(const struct vp *p) { return p->pos - p->tstart; }
static bool tok_is(const struct vp *p, const char *w)
{
    return p->tk == TK_SYM && tlen(p) == strlen(w) && !memcmp(p->s + p->tstart, w, tlen(p));
}

/* What the current token is, for messages. */
static const char *tok_desc(const struct vp *p, char *buf, size_t size)
{
    if (p->tk == TK_END)
        return "end of file";
    if (p->tk != TK_SYM)
        return p->tk == TK_LP ? "'('" : "')'";
    char q[80];
    char *tmp = mlp_xmalloc(tlen(p) + 1);
    memcpy(tmp, p->s + p->tstart, tlen(p));
    tmp[tlen(p)] = 0;
    snprintf(buf, size, "'%s'", mlp_quote(tmp, q, sizeof q));
    free(tmp);
    return buf;
}

static bool expect(struct vp *p, int tk, const char *what)
{
    if (p->tk == tk)
        return next(p);
    char b[100];
    return fail(p, p->tloc, "expected %s, found %s", what, tok_desc(p, b, sizeof b));
}

/* ---- linear terms ---- */

static void lt_init(struct lt *t)
{
    memset(t, 0, sizeof *t);
    mpq_init(t->c0);
}

void vnn_lt_clear(struct lt *t)
{
    mpq_clear(t->c0);
    vq_array_free(t->k, t->cap);
    free(t->v);
    memset(t, 0, sizeof *t);
}

/* t += k * variable v */
static void lt_addvar(struct lt *t, int v, const mpq_t k)
{
    for (int i = 0; i < t->n; i++)
        if (t->v[i] == v) {
            mpq_add(t->k[i], t->k[i], k);
            return;
        }
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 4;
        mpq_t *k2 = vq_array_new(cap);
        for (int i = 0; i < t->n; i++)
            mpq_swap(k2[i], t->k[i]);
        vq_array_free(t->k, t->cap);
        t->k = k2;
        t->v = mlp_xrealloc(t->v, (size_t)cap * sizeof *t->v);
        t->cap = cap;
    }
    t->v[t->n] = v;
    mpq_set(t->k[t->n++], k);
}

/* d += s * a */
static void lt_add(struct lt *d, const struct lt *a, const mpq_t s)
{
    mpq_t m;
    mpq_init(m);
    mpq_mul(m, a->c0, s);
    mpq_add(d->c0, d->c0, m);
    for (int i = 0; i < a->n; i++) {
        mpq_mul(m, a->k[i], s);
        lt_addvar(d, a->v[i], m);
    }
    mpq_clear(m);
}

static bool lt_is_const(const struct lt *t)
{
    for (int i = 0; i < t->n; i++)
        if (mpq_sgn(t->k[i]))
            return false;
    return true;
}

/* ---- declarations ---- */

/* "X_12" -> kind 0, index 12; false if the name is not X_i or Y_i. */
static bool var_name(const char *s, size_t n, int *kind, int *index)
{
    if (n < 3 || (s[0] != 'X' && s[0] != 'Y') || s[1] != '_' || (s[2] == '0' && n > 3))
        return false;
    long v = 0;
    for (size_t i = 2; i < n; i++) {
        if (!isdigit((unsigned char)s[i]) || v > VNN_MAX_VARS)
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v >= VNN_MAX_VARS)
        return false;
    *kind = s[0] == 'Y';
    *index = (int)v;
    return true;
}

static bool declared(const struct vp *p, int kind, int index)
{
    return index < p->ndecl[kind] && p->decl[kind][index];
}

static bool declare(struct vp *p)
{
    mlp_srcloc at = p->tloc;
    int kind, index;
    if (p->tk != TK_SYM || !var_name(p->s + p->tstart, tlen(p), &kind, &index)) {
        char b[100];
        return fail(p, at, "declare-const: %s is not a name VNNLIB uses (X_i for inputs, "
                    "Y_i for outputs, i < %d)", tok_desc(p, b, sizeof b), VNN_MAX_VARS);
    }
    if (declared(p, kind, index))
        return fail(p, at, "%c_%d is declared twice", "XY"[kind], index);
    if (index >= p->ndecl[kind]) {
        int n = index + 1;
        p->decl[kind] = mlp_xrealloc(p->decl[kind], (size_t)n);
        memset(p->decl[kind] + p->ndecl[kind], 0, (size_t)(n - p->ndecl[kind]));
        p->ndecl[kind] = n;
    }
    p->decl[kind][index] = 1;
    if (!next(p))
        return false;
    if (!tok_is(p, "Real")) {
        char b[100];
        return fail(p, p->tloc, "declare-const: expected the sort Real, found %s",
                    tok_desc(p, b, sizeof b));
    }
    return next(p) && expect(p, TK_RP, "')'");
}

/* ---- terms ---- */

static bool term(struct vp *p, struct lt *out, int depth);

static bool number(struct vp *p, struct lt *out)
{
    char buf[VNN_MAX_NUMBER + 1];
    if (tlen(p) > VNN_MAX_NUMBER)
        return fail(p, p->tloc, "number longer than %d characters", VNN_MAX_NUMBER);
    memcpy(buf, p->s + p->tstart, tlen(p));
    buf[tlen(p)] = 0;
    if (!vq_parse(out->c0, buf))
        return fail(p, p->tloc, "malformed number '%s'", buf);
    return next(p);
}

/* (+ T ...), (- T), (- T T ...), (* T ...) with at most one factor that is not a number. */
static bool compound(struct vp *p, struct lt *out, int depth)
{
    mlp_srcloc at = p->tloc;
    int op = tok_is(p, "+") ? '+' : tok_is(p, "-") ? '-' : tok_is(p, "*") ? '*' : 0;
    if (!op) {
        char b[100];
        return fail(p, at, "expected a term (+, -, * or a number or variable), found %s",
                    tok_desc(p, b, sizeof b));
    }
    if (!next(p))
        return false;
    mpq_t one;
    mpq_init(one);
    mpq_set_ui(one, op == '*' ? 1 : 0, 1);
    mpq_set_ui(out->c0, op == '*' ? 1 : 0, 1);
    bool ok = true, has_var = false;
    int nargs = 0;
    while (ok && p->tk != TK_RP) {
        struct lt a;
        lt_init(&a);
        mlp_srcloc aloc = p->tloc;
        ok = term(p, &a, depth + 1);
        if (ok && op != '*') {
            mpq_set_si(one, op == '-' && nargs > 0 ? -1 : 1, 1);
            lt_add(out, &a, one);
        } else if (ok && !lt_is_const(&a) && has_var) {
            ok = fail(p, aloc, "nonlinear term: a product of two terms with variables");
        } else if (ok && !lt_is_const(&a)) { /* out is a number so far: out = out * a */
            has_var = true;
            mpq_set(one, out->c0);
            mpq_set_ui(out->c0, 0, 1);
            lt_add(out, &a, one);
        } else if (ok) { /* scale what we have by the number a */
            struct lt s;
            lt_init(&s);
            lt_add(&s, out, a.c0);
            vnn_lt_clear(out);
            *out = s;
        }
        vnn_lt_clear(&a);
        nargs++;
    }
    if (ok && nargs == 0)
        ok = fail(p, at, "'%c' needs at least one argument", op);
    if (ok && op == '-' && nargs == 1) { /* (- T) negates */
        mpq_set_si(one, -1, 1);
        struct lt s;
        lt_init(&s);
        lt_add(&s, out, one);
        vnn_lt_clear(out);
        *out = s;
    }
    mpq_clear(one);
    return ok && next(p);
}

static bool term(struct vp *p, struct lt *out, int depth)
{
    if (depth > VNN_MAX_DEPTH)
        return fail(p, p->tloc, "terms nested more than %d deep", VNN_MAX_DEPTH);
    if (p->tk == TK_LP)
        return next(p) && compound(p, out, depth);
    char b[100];
    if (p->tk != TK_SYM)
        return fail(p, p->tloc, "expected a term, found %s", tok_desc(p, b, sizeof b));
    unsigned char c = (unsigned char)p->s[p->tstart];
    unsigned char c1 = tlen(p) > 1 ? (unsigned char)p->s[p->tstart + 1] : 0;
    if (isdigit(c) || ((c == '-' || c == '+' || c == '.') && (isdigit(c1) || c1 == '.')))
        return number(p, out);
    int kind, index;
    if (!var_name(p->s + p->tstart, tlen(p), &kind, &index) || !declared(p, kind, index))
        return fail(p, p->tloc, "unknown name %s (declare it first with declare-const)",
                    tok_desc(p, b, sizeof b));
    mpq_t one;
    mpq_init(one);
    mpq_set_ui(one, 1, 1);
    lt_addvar(out, 2 * index + kind, one);
    mpq_clear(one);
    return next(p);
}

/* ---- formulas ---- */

static int new_node(struct vp *p, int op, int a)
{
    mlp_xreserve(&p->f, &p->capf, p->nf + 1, sizeof *p->f);
    p->f[p->nf] = (struct fnode){op, a, -1, -1, -1};
    return p->nf++;
}

static void add_child(struct vp *p, int parent, int child)
{
    if (p->f[parent].last < 0)
        p->f[parent].first = child;
    else
        p->f[p->f[parent].last].next = child;
    p->f[parent].last = child;
}

/* a - b >= 0 (ge) or b - a >= 0, strict or not, as a new atom. */
static int new_atom(struct vp *p, const struct lt *a, const struct lt *b, bool ge, bool strict)
{
    mlp_xreserve(&p->atoms, &p->capatoms, p->natoms + 1, sizeof *p->atoms);
    struct satom *s = &p->atoms[p->natoms];
    lt_init(&s->t);
    s->strict = strict;
    mpq_t k;
    mpq_init(k);
    mpq_set_si(k, ge ? 1 : -1, 1);
    lt_add(&s->t, a, k);
    mpq_neg(k, k);
    lt_add(&s->t, b, k);
    mpq_clear(k);
    return new_node(p, F_ATOM, p->natoms++);
}

/* (<= T T ...) and the like: a chain, each neighbouring pair one atom, joined by and. */
static bool comparison(struct vp *p, int *node, int depth)
{
    bool ge = tok_is(p, ">=") || tok_is(p, ">"), strict = tok_is(p, "<") || tok_is(p, ">");
    mlp_srcloc at = p->tloc;
    if (!next(p))
        return false;
    *node = new_node(p, F_AND, -1);
    struct lt prev, cur;
    lt_init(&prev);
    bool ok = term(p, &prev, depth + 1);
    int n = 1;
    while (ok && p->tk != TK_RP) {
        lt_init(&cur);
        ok = term(p, &cur, depth + 1);
        if (ok)
            add_child(p, *node, new_atom(p, &prev, &cur, ge, strict));
        vnn_lt_clear(&prev);
        prev = cur;
        n++;
    }
    vnn_lt_clear(&prev);
    if (ok && n < 2)
        ok = fail(p, at, "a comparison needs two terms");
    return ok && next(p);
}

static bool formula(struct vp *p, int *node, int depth)
{
    char b[100];
    if (depth > VNN_MAX_DEPTH)
        return fail(p, p->tloc, "formulas nested more than %d deep", VNN_MAX_DEPTH);
    if (p->tk != TK_LP)
        return fail(p, p->tloc, "expected a formula '(...)', found %s", tok_desc(p, b, sizeof b));
    if (!next(p))
        return false;
    if (tok_is(p, "<=") || tok_is(p, ">=") || tok_is(p, "<") || tok_is(p, ">"))
        return comparison(p, node, depth);
    if (!tok_is(p, "and") && !tok_is(p, "or")) {
        if (tok_is(p, "=") || tok_is(p, "not") || tok_is(p, "distinct") || tok_is(p, "=>"))
            return fail(p, p->tloc, "%s is not supported (VNNLIB properties use <=, >=, <, >, "
                        "and, or)", tok_desc(p, b, sizeof b));
        return fail(p, p->tloc, "expected and, or or a comparison, found %s",
                    tok_desc(p, b, sizeof b));
    }
    *node = new_node(p, tok_is(p, "and") ? F_AND : F_OR, -1);
    if (!next(p))
        return false;
    while (p->tk != TK_RP) {
        int child;
        if (!formula(p, &child, depth + 1))
            return false;
        add_child(p, *node, child);
    }
    return next(p);
}

/* One top-level command. */
static bool command(struct vp *p)
{
    if (!expect(p, TK_LP, "'(' starting a command"))
        return false;
    if (tok_is(p, "declare-const"))
        return next(p) && declare(p);
    if (tok_is(p, "assert")) {
        int node;
        if (!next(p) || !formula(p, &node, 1))
            return false;
        add_child(p, p->root, node);
        return expect(p, TK_RP, "')' closing the assert");
    }
    if (tok_is(p, "check-sat") || tok_is(p, "get-model") || tok_is(p, "exit"))
        return next(p) && expect(p, TK_RP, "')'");
    char b[100];
    return fail(p, p->tloc, "unknown command %s (VNNLIB has declare-const and assert)",
                tok_desc(p, b, sizeof b));
}

static void vp_free(struct vp *p)
{
    for (int i = 0; i < p->natoms; i++)
        vnn_lt_clear(&p->atoms[i].t);
    free(p->atoms);
    free(p->f);
    free(p->decl[0]);
    free(p->decl[1]);
}

int vnnlib_parse(struct vnnlib *out, const char *text, size_t len, const char *file,
                 mlp_error *err)
{
    memset(out, 0, sizeof *out);
    struct vp p = {.s = text, .len = len, .line = 1, .col = 1, .file = file, .err = err,
                   .text = text};
    p.root = new_node(&p, F_AND, -1);
    bool ok = memchr(text, 0, len) == NULL ||
              fail(&p, MLP_NOLOC, "the file has a NUL byte (VNNLIB is text)");
    ok = ok && next(&p);
    while (ok && p.tk != TK_END)
        ok = command(&p);
    ok = ok && vnn_build(&p, out);
    vp_free(&p);
    if (!ok) {
        vnnlib_free(out);
        if (!mlp_failed(err))
            mlp_fail(err, MLP_ERR_INPUT, file, MLP_NOLOC, "invalid VNNLIB");
        return MLP_ERR_INPUT;
    }
    return MLP_OK;
}

int vnnlib_load(struct vnnlib *p, const char *path, mlp_error *err)
{
    memset(p, 0, sizeof *p);
    struct stat st;
    if (stat(path, &st) != 0)
        return mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot open the property file");
    if ((size_t)st.st_size > VNN_MAX_BYTES)
        return mlp_fail(err, MLP_ERR_INPUT, path, MLP_NOLOC, "property file larger than %zu MB",
                        VNN_MAX_BYTES >> 20);
    size_t len;
    char *text = mlp_read_file(path, &len);
    if (!text)
        return mlp_fail(err, MLP_ERR_IO, path, MLP_NOLOC, "cannot read the property file");
    int rc = vnnlib_parse(p, text, len, path, err);
    free(text);
    return rc;
}
