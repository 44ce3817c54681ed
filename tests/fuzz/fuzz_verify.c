/* fuzz_verify.c - `mlp verify` specs and --bounds (vspec_parse, vbounds_parse), decided
 * against a small fixed piecewise-linear model.
 *
 * The input is the spec, then optionally a NUL byte and one bounds text.
 * For a spec or bounds that does not parse: an input error about "spec" or "bounds" whose
 * column lies inside that text (one line).
 * For a spec that parses, mlp_verify decides it, and the verdict is checked from the other side
 * with the input pinned by bounds 'x[i] in [v, v]' to the counterexample the search printed:
 *  - violated at x: the spec pinned to x is violated again, at x, and `not (SPEC)` pinned to x
 *    holds;
 *  - holds: `not (SPEC)` over the same bounds is violated (the box is never empty), and the spec
 *    pinned to that counterexample holds.
 * The model is tiny (two hidden ReLUs, one step), so each input takes a few solver calls.
 */
#include "fuzz.h"

#include <string.h>

#include "base/strbuf.h"

static const char model_text[] =
    "input x[2]\n"
    "input t\n"
    "param W[2,2] = [[1, -1], [1/2, 2]]\n"
    "param b[2] = [0, -1]\n"
    "const c = 3\n"
    "h = relu(W @ x + b)\n"
    "y = step(h[0] - h[1] + t)\n"
    "z = h[0] + c * x[1] - t\n"
    "output y, z\n";

/* Parsed once: the harness's own state. */
static mlp_model *model;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    model = fuzz_fixed_model(model_text, "fixed.mlp");
    return 0;
}

/* Bounds that pin every input the verdict names to its value there: "x[0] in [v, v], ...".
 * False when a value is too long to write as a number token of a spec. */
static bool pin(const mlp_verify_result *r, mlp_strbuf *out)
{
    for (int i = 0; i < r->ninputs; i++) {
        const mlp_exact_value *v = &r->inputs[i];
        for (size_t e = 0; e < v->size; e++) {
            if (strlen(v->values[e]) > 100)
                return false;
            mlp_sb_printf(out, "%s%s", out->len ? ", " : "", v->name);
            if (v->rank)
                mlp_sb_printf(out, "[%zu]", e); /* inputs here are scalars or vectors */
            mlp_sb_printf(out, " in [%s, %s]", v->values[e], v->values[e]);
        }
    }
    return true;
}

static bool same_point(const mlp_verify_result *a, const mlp_verify_result *b)
{
    if (a->ninputs != b->ninputs)
        return false;
    for (int i = 0; i < a->ninputs; i++)
        for (size_t e = 0; e < a->inputs[i].size; e++)
            if (strcmp(a->inputs[i].name, b->inputs[i].name) ||
                strcmp(a->inputs[i].values[e], b->inputs[i].values[e]))
                return false;
    return true;
}

/* Decide spec within the bounds text (NULL: none); the status. */
static int decide(const char *spec, const char *bounds, mlp_verify_result *r, mlp_error *err)
{
    const char *b[1] = {bounds};
    memset(err, 0, sizeof *err);
    return mlp_verify(model, spec, b, bounds && bounds[0] ? 1 : 0, r, err);
}

/* The spec decided within `pinned` must come out as `holds`; when violated, at that point. */
static void check_pinned(const char *spec, const char *pinned, int holds,
                         const mlp_verify_result *at, const char *why)
{
    mlp_verify_result r;
    mlp_error err;
    int rc = decide(spec, pinned, &r, &err);
    FUZZ_ASSERT(rc == MLP_OK, "%s: '%s' within '%s' fails: %s", why, spec, pinned, err.message);
    FUZZ_ASSERT(r.holds == holds, "%s: '%s' %s within '%s'", why, spec,
                r.holds ? "holds" : "is violated", pinned);
    FUZZ_ASSERT(holds || same_point(&r, at), "%s: '%s' is violated elsewhere within '%s'", why,
                spec, pinned);
    mlp_verify_result_free(&r);
}

/* `not (spec)` decided within bounds; false when wrapping the spec nests it too deeply. */
static bool negation(const char *spec, const char *bounds, mlp_strbuf *neg, mlp_verify_result *r)
{
    mlp_sb_printf(neg, "not (%s)", spec);
    mlp_error err;
    int rc = decide(mlp_sb_str(neg), bounds, r, &err);
    if (rc != MLP_OK && strstr(err.message, "nests too deeply"))
        return false;
    FUZZ_ASSERT(rc == MLP_OK, "'%s' decides but '%s' fails: %s", spec, mlp_sb_str(neg),
                err.message);
    return true;
}

static void check_verdict(const char *spec, const char *bounds, const mlp_verify_result *r)
{
    mlp_strbuf pinned = {0}, neg = {0};
    /* '#' starts a comment, which would swallow the ')' of the negation. */
    bool negatable = !strchr(spec, '#');
    if (!r->holds) {
        if (pin(r, &pinned)) {
            check_pinned(spec, mlp_sb_str(&pinned), 0, r, "counterexample");
            mlp_sb_printf(&neg, "not (%s)", spec);
            if (negatable)
                check_pinned(mlp_sb_str(&neg), mlp_sb_str(&pinned), 1, r, "its negation");
        }
    } else if (negatable) {
        mlp_verify_result nr;
        if (negation(spec, bounds, &neg, &nr)) {
            FUZZ_ASSERT(!nr.holds, "'%s' and '%s' both hold", spec, mlp_sb_str(&neg));
            if (pin(&nr, &pinned))
                check_pinned(spec, mlp_sb_str(&pinned), 1, &nr, "the negation's counterexample");
            mlp_verify_result_free(&nr);
        }
    }
    mlp_sb_free(&pinned);
    mlp_sb_free(&neg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    size_t slen = strlen(text);
    const char *bounds = slen < size ? text + slen + 1 : NULL;
    mlp_verify_result r;
    mlp_error err;
    if (decide(text, bounds, &r, &err) != MLP_OK) {
        bool in_bounds = !strcmp(err.file, "bounds");
        FUZZ_ASSERT(in_bounds || !strcmp(err.file, "spec"), "error about '%s': %s", err.file,
                    err.message);
        const char *t = in_bounds ? bounds : text;
        FUZZ_ASSERT(t, "an error about bounds that were not given: %s", err.message);
        fuzz_check_error(&err, t, strlen(t), err.file);
    } else {
        check_verdict(text, bounds, &r);
        mlp_verify_result_free(&r);
    }
    free(text);
    return 0;
}
