/* test_gemm.c - GEMM against a naive reference: every transpose combination, sizes that are odd,
 * tiny, and that cross every blocking boundary, row strides wider than the rows, alpha and beta,
 * both element types, and every kernel set this CPU can run. */
#include "test.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>

#include "base/rng.h"
#include "mlp.h"
#include "tensor/gemm.h"

struct dims {
    int M, N, K;
};

/* Tiny, odd, exactly one micro-tile (6 x 16 / 6 x 8), just past it, and across KC (256),
 * MC (144 float rows, 72 double rows) and NC (1024 float columns, 512 double columns). */
static const struct dims cases[] = {
    {1, 1, 1},    {1, 7, 3},     {5, 1, 9},    {3, 3, 3},      {4, 4, 4},     {6, 16, 1},
    {6, 8, 2},    {7, 17, 5},    {16, 16, 16}, {17, 17, 17},   {13, 35, 29},  {129, 33, 17},
    {37, 129, 65}, {150, 40, 300}, {80, 1030, 9}, {73, 515, 257}, {2, 300, 40}, {300, 2, 40},
};

static void fill(mlp_rng *rng, double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = mlp_rng_uniform(rng) * 2 - 1;
}

/* C = alpha op(A) op(B) + beta C in the given dtype, through mlp_gemm_f32/f64 (values in and out
 * as double). */
static void gemm(mlp_dtype t, mlp_gemm_ctx *ctx, int ta, int tb, struct dims d, double alpha,
                 const double *A, int lda, const double *B, int ldb, double beta, double *C, int ldc,
                 size_t na, size_t nb, size_t nc)
{
    if (t == MLP_F64) {
        mlp_gemm_f64(ctx, ta, tb, d.M, d.N, d.K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    float *a = malloc(na * sizeof *a), *b = malloc(nb * sizeof *b), *c = malloc(nc * sizeof *c);
    for (size_t i = 0; i < na; i++)
        a[i] = (float)A[i];
    for (size_t i = 0; i < nb; i++)
        b[i] = (float)B[i];
    for (size_t i = 0; i < nc; i++)
        c[i] = (float)C[i];
    mlp_gemm_f32(ctx, ta, tb, d.M, d.N, d.K, (float)alpha, a, lda, b, ldb, (float)beta, c, ldc);
    for (size_t i = 0; i < nc; i++)
        C[i] = c[i];
    free(a);
    free(b);
    free(c);
}

#define AT(X, t, ld, r, c) ((t) ? X[(size_t)(c) * (ld) + (r)] : X[(size_t)(r) * (ld) + (c)])

/* Compare one product with the naive sum, element by element, within the error bound of a
 * K-term sum: |error| <= (K + 2) eps (|alpha| sum |a b| + |beta c|). Entries of C beyond N in
 * each row (the stride padding) must be untouched. */
static bool check_one(mlp_dtype t, mlp_gemm_ctx *ctx, int ta, int tb, struct dims d, double alpha,
                      double beta, int pad, mlp_rng *rng)
{
    int ar = ta ? d.K : d.M, ac = ta ? d.M : d.K, br = tb ? d.N : d.K, bc = tb ? d.K : d.N;
    int lda = ac + pad, ldb = bc + pad, ldc = d.N + pad;
    size_t na = (size_t)ar * lda, nb = (size_t)br * ldb, nc = (size_t)d.M * ldc;
    double *A = malloc(na * sizeof *A), *B = malloc(nb * sizeof *B), *C = malloc(nc * sizeof *C);
    double *C0 = malloc(nc * sizeof *C0);
    fill(rng, A, na);
    fill(rng, B, nb);
    fill(rng, C, nc);
    if (t == MLP_F32) /* the reference sees exactly the values the float product sees */
        for (size_t i = 0; i < nc; i++)
            C[i] = (float)C[i];
    for (int i = 0; i < d.M && beta == 0; i++)
        for (int j = 0; j < d.N; j++)
            C[(size_t)i * ldc + j] = NAN; /* beta = 0 must not read C */
    memcpy(C0, C, nc * sizeof *C);
    gemm(t, ctx, ta, tb, d, alpha, A, lda, B, ldb, beta, C, ldc, na, nb, nc);
    double eps = t == MLP_F64 ? DBL_EPSILON : FLT_EPSILON;
    bool ok = true;
    for (int i = 0; i < d.M && ok; i++) {
        for (int j = 0; j < ldc && ok; j++) {
            size_t at = (size_t)i * ldc + j;
            if (j >= d.N) {
                ok = C[at] == C0[at];
                continue;
            }
            long double s = 0, mag = 0;
            for (int p = 0; p < d.K; p++) {
                double a = AT(A, ta, lda, i, p), b = AT(B, tb, ldb, p, j);
                if (t == MLP_F32)
                    a = (float)a, b = (float)b;
                s += (long double)a * b;
                mag += fabsl((long double)a * b);
            }
            double c0 = beta != 0 ? C0[at] : 0;
            double want = (double)(alpha * s + beta * c0);
            double bound = (d.K + 2) * eps * (double)(fabs(alpha) * mag + fabs(beta * c0));
            ok = fabs(C[at] - want) <= bound + DBL_MIN;
            if (!ok)
                fprintf(stderr, "C[%d][%d] = %.17g, expected %.17g (bound %g)\n", i, j, C[at],
                        want, bound);
        }
    }
    free(A);
    free(B);
    free(C);
    free(C0);
    return ok;
}

/* The contexts to test: none (the default), each kernel set this CPU runs, and each with
 * threads (3 for generic, so parts end at odd places). */
static int contexts(mlp_gemm_ctx *ctx[7])
{
    int n = 0;
    ctx[n++] = NULL;
    ctx[n++] = mlp_gemm_ctx_new(MLP_GEMM_GENERIC, 1);
    ctx[n++] = mlp_gemm_ctx_new(MLP_GEMM_GENERIC, 3);
    for (int threads = 1; threads <= 2; threads++) {
        mlp_gemm_ctx *avx2 = mlp_gemm_ctx_new(MLP_GEMM_AVX2, threads);
        if (mlp_gemm_ctx_isa(avx2) == MLP_GEMM_AVX2)
            ctx[n++] = avx2;
        else
            mlp_gemm_ctx_free(avx2);
        mlp_gemm_ctx *avx512 = mlp_gemm_ctx_new(MLP_GEMM_AVX512, threads);
        if (mlp_gemm_ctx_isa(avx512) == MLP_GEMM_AVX512)
            ctx[n++] = avx512;
        else
            mlp_gemm_ctx_free(avx512);
    }
    return n;
}

TEST(gemm_matches_reference)
{
    static const double ab[][2] = {{1, 0}, {-2.5, 0}, {1, 1}, {0.5, -2}};
    mlp_gemm_ctx *ctx[7];
    int nctx = contexts(ctx);
    mlp_rng rng;
    mlp_rng_seed(&rng, 42, 3);
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int tr = 0; tr < 4; tr++)
            for (int x = 0; x < nctx; x++)
                for (int t = 0; t < 2; t++) {
                    int ta = tr & 1, tb = tr >> 1, pad = (int)(c % 3);
                    const double *s = ab[(c + (size_t)tr + (size_t)x) % 4];
                    mlp_dtype dt = t ? MLP_F32 : MLP_F64;
                    CHECK_MSG(check_one(dt, ctx[x], ta, tb, cases[c], s[0], s[1], pad, &rng),
                              "%s %s x%d, trans %d%d, %dx%dx%d, alpha %g beta %g, pad %d",
                              dt == MLP_F64 ? "f64" : "f32",
                              mlp_gemm_isa_name(mlp_gemm_ctx_isa(ctx[x])),
                              mlp_gemm_ctx_threads(ctx[x]), ta, tb, cases[c].M,
                              cases[c].N, cases[c].K, s[0], s[1], pad);
                }
    for (int x = 1; x < nctx; x++)
        mlp_gemm_ctx_free(ctx[x]);
}

TEST(gemm_degenerate_sizes)
{
    /* K = 0 or alpha = 0: C = beta C (beta = 0 clears even NaN); M or N = 0: nothing touched. */
    double C[4] = {1, 2, NAN, 4}, A[1] = {5}, B[1] = {7};
    mlp_gemm_f64(NULL, 0, 0, 2, 2, 0, 1.0, A, 1, B, 2, 3.0, C, 2);
    CHECK(C[0] == 3 && C[1] == 6 && isnan(C[2]) && C[3] == 12);
    mlp_gemm_f64(NULL, 0, 0, 2, 2, 3, 0.0, A, 3, B, 2, 0.0, C, 2);
    CHECK(C[0] == 0 && C[1] == 0 && C[2] == 0 && C[3] == 0);
    float Cf[2] = {NAN, 1};
    mlp_gemm_f32(NULL, 1, 1, 0, 2, 3, 1.0f, NULL, 1, NULL, 1, 0.0f, Cf, 2);
    mlp_gemm_f32(NULL, 1, 1, 1, 0, 3, 1.0f, NULL, 1, NULL, 1, 0.0f, Cf, 2);
    CHECK(isnan(Cf[0]) && Cf[1] == 1);
}

TEST(gemm_is_deterministic_for_any_thread_count)
{
    /* The same kernel set gives bit-identical results with or without a context, on a context
     * reused after a product of other sizes, and split over any number of threads. */
    enum { M = 70, N = 333, K = 300 };
    mlp_rng rng;
    mlp_rng_seed(&rng, 5, 1);
    float *A = malloc(M * K * sizeof *A), *B = malloc(K * N * sizeof *B);
    float *C1 = malloc(M * N * sizeof *C1), *C2 = malloc(M * N * sizeof *C2);
    double *D1 = malloc(M * N * sizeof *D1), *D2 = malloc(M * N * sizeof *D2);
    double *Ad = malloc(M * K * sizeof *Ad), *Bd = malloc(K * N * sizeof *Bd);
    for (int i = 0; i < M * K; i++)
        Ad[i] = A[i] = (float)mlp_rng_normal(&rng);
    for (int i = 0; i < K * N; i++)
        Bd[i] = B[i] = (float)mlp_rng_normal(&rng);
    mlp_gemm_f32(NULL, 0, 1, M, N, K, 1, A, K, B, K, 0, C1, N);
    mlp_gemm_f64(NULL, 1, 0, M, N, K, 1, Ad, M, Bd, N, 0, D1, N);
    for (int threads = 1; threads <= 4; threads++) {
        mlp_gemm_ctx *ctx = mlp_gemm_ctx_new(MLP_GEMM_AUTO, threads);
        CHECK(ctx && mlp_gemm_ctx_isa(ctx) == mlp_gemm_ctx_isa(NULL));
        CHECK(mlp_gemm_ctx_threads(ctx) == threads);
        mlp_gemm_f32(ctx, 1, 0, 20, 30, 40, 1, A, 20, B, 30, 0, C2, 30);
        mlp_gemm_f32(ctx, 0, 1, M, N, K, 1, A, K, B, K, 0, C2, N);
        mlp_gemm_f64(ctx, 1, 0, M, N, K, 1, Ad, M, Bd, N, 0, D2, N);
        CHECK_MSG(!memcmp(C1, C2, M * N * sizeof *C1), "float, %d threads", threads);
        CHECK_MSG(!memcmp(D1, D2, M * N * sizeof *D1), "double, %d threads", threads);
        mlp_gemm_ctx_free(ctx);
    }
    free(A);
    free(B);
    free(C1);
    free(C2);
    free(Ad);
    free(Bd);
    free(D1);
    free(D2);
}

/* A pass after the product (mlp_gemm_then_*): it sees each column once, already final (equal
 * to the plain product's), on however many threads the product is split over. */
struct then_check {
    const float *want; /* the product */
    float *C;
    int M, N, bad;
    int *seen; /* per column: calls that covered it */
};

static void then_check_cols(void *arg, int j0, int n)
{
    struct then_check *t = arg;
    for (int j = j0; j < j0 + n; j++) {
        t->seen[j]++;
        for (int i = 0; i < t->M; i++) {
            float *c = &t->C[(size_t)i * t->N + j];
            t->bad |= *c != t->want[(size_t)i * t->N + j];
            *c = *c * 2 + 1;
        }
    }
}

TEST(gemm_then_runs_the_pass_once_per_column_after_the_product)
{
    /* Plain loops (6 x 5 x 4), packed on one part (70 x 40 x 300) and split (70 x 333 x 300). */
    static const struct dims sizes[] = {{6, 5, 4}, {70, 40, 300}, {70, 333, 300}};
    enum { MAXE = 70 * 333 };
    mlp_rng rng;
    mlp_rng_seed(&rng, 7, 1);
    float *A = malloc(MAXE * 5 * sizeof *A), *B = malloc(MAXE * 5 * sizeof *B);
    float *want = malloc(MAXE * sizeof *want), *C = malloc(MAXE * sizeof *C);
    int *seen = malloc(333 * sizeof *seen);
    for (int i = 0; i < MAXE * 5; i++) {
        A[i] = (float)mlp_rng_normal(&rng);
        B[i] = (float)mlp_rng_normal(&rng);
    }
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        struct dims d = sizes[s];
        mlp_gemm_f32(NULL, 0, 1, d.M, d.N, d.K, 1, A, d.K, B, d.K, 0, want, d.N);
        for (int threads = 1; threads <= 4; threads++) {
            mlp_gemm_ctx *ctx = mlp_gemm_ctx_new(MLP_GEMM_AUTO, threads);
            struct then_check t = {want, C, d.M, d.N, 0, seen};
            mlp_gemm_then then = {then_check_cols, &t};
            memset(seen, 0, (size_t)d.N * sizeof *seen);
            mlp_gemm_then_f32(ctx, 0, 1, d.M, d.N, d.K, 1, A, d.K, B, d.K, 0, C, d.N, &then);
            CHECK_MSG(!t.bad, "%dx%dx%d, %d threads: a column not final", d.M, d.N, d.K,
                      threads);
            for (int j = 0; j < d.N; j++)
                CHECK_MSG(seen[j] == 1, "%dx%dx%d, %d threads: column %d seen %d times", d.M,
                          d.N, d.K, threads, j, seen[j]);
            for (int e = 0; e < d.M * d.N; e++)
                t.bad |= C[e] != want[e] * 2 + 1;
            CHECK_MSG(!t.bad, "%dx%dx%d, %d threads: the pass's result", d.M, d.N, d.K, threads);
            mlp_gemm_ctx_free(ctx);
        }
    }
    free(A);
    free(B);
    free(want);
    free(C);
    free(seen);
}

TEST(gemm_reading_a_in_place_equals_packing_it)
{
    /* op(A) = A is read in place, op(A) = (A^T)^T is packed first (for a product this wide):
     * the micro-kernel does the same multiply-adds in the same order, so the bits agree. */
    enum { M = 50, N = 100, K = 300 };
    mlp_rng rng;
    mlp_rng_seed(&rng, 9, 2);
    double *A = malloc(M * K * sizeof *A), *At = malloc(K * M * sizeof *At);
    double *B = malloc(K * N * sizeof *B), *C1 = malloc(M * N * sizeof *C1);
    double *C2 = malloc(M * N * sizeof *C2);
    float *Af = malloc(M * K * sizeof *Af), *Atf = malloc(K * M * sizeof *Atf);
    float *Bf = malloc(K * N * sizeof *Bf), *F1 = malloc(M * N * sizeof *F1);
    float *F2 = malloc(M * N * sizeof *F2);
    for (int i = 0; i < M; i++)
        for (int p = 0; p < K; p++)
            Af[i * K + p] = Atf[p * M + i] = (float)(A[i * K + p] = At[p * M + i] = mlp_rng_normal(&rng));
    for (int i = 0; i < K * N; i++)
        Bf[i] = (float)(B[i] = mlp_rng_normal(&rng));
    mlp_gemm_ctx *ctx[7];
    int nctx = contexts(ctx);
    for (int x = 0; x < nctx; x++) {
        mlp_gemm_f64(ctx[x], 0, 0, M, N, K, 1, A, K, B, N, 0, C1, N);
        mlp_gemm_f64(ctx[x], 1, 0, M, N, K, 1, At, M, B, N, 0, C2, N);
        mlp_gemm_f32(ctx[x], 0, 0, M, N, K, 1, Af, K, Bf, N, 0, F1, N);
        mlp_gemm_f32(ctx[x], 1, 0, M, N, K, 1, Atf, M, Bf, N, 0, F2, N);
        CHECK_MSG(!memcmp(C1, C2, M * N * sizeof *C1), "double, context %d", x);
        CHECK_MSG(!memcmp(F1, F2, M * N * sizeof *F1), "float, context %d", x);
    }
    for (int x = 1; x < nctx; x++)
        mlp_gemm_ctx_free(ctx[x]);
    free(A), free(At), free(B), free(C1), free(C2);
    free(Af), free(Atf), free(Bf), free(F1), free(F2);
}

TEST(gemm_skipping_zeros_of_a_keeps_the_bits)
{
    /* Rows of A that are mostly zeros, in bands at varying places (like images), and -0s: the
     * sparse path (op(A) = A, wide) skips them; packing A^T runs every p. Same bits. A column of
     * B with an inf over a zero of A must still give NaN, as the dense sums do. */
    enum { M = 150, N = 200, K = 300 };
    mlp_rng rng;
    mlp_rng_seed(&rng, 11, 4);
    float *A = malloc(M * K * sizeof *A), *At = malloc(K * M * sizeof *At);
    float *B = malloc(K * N * sizeof *B), *C1 = malloc(M * N * sizeof *C1);
    float *C2 = malloc(M * N * sizeof *C2);
    double *D = malloc(M * K * sizeof *D), *Dt = malloc(K * M * sizeof *Dt);
    double *E = malloc(K * N * sizeof *E), *G1 = malloc(M * N * sizeof *G1);
    double *G2 = malloc(M * N * sizeof *G2);
    for (int i = 0; i < M; i++) {
        int lo = (int)(mlp_rng_uniform(&rng) * K), hi = lo + (int)(mlp_rng_uniform(&rng) * K / 3);
        for (int p = 0; p < K; p++) {
            double v = p >= lo && p < hi && mlp_rng_uniform(&rng) < 0.7 ? mlp_rng_normal(&rng)
                       : p % 7 == 0 ? -0.0 : 0.0;
            A[i * K + p] = At[p * M + i] = (float)v;
            D[i * K + p] = Dt[p * M + i] = v;
        }
    }
    for (int i = 0; i < K * N; i++)
        B[i] = (float)(E[i] = mlp_rng_normal(&rng));
    mlp_gemm_ctx *ctx[7];
    int nctx = contexts(ctx);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) /* an inf in column 5, at a p where row 0 of A is zero */
            for (int p = 0; p < K; p++)
                if (A[p] == 0) {
                    B[p * N + 5] = (float)(E[p * N + 5] = HUGE_VAL);
                    break;
                }
        for (int x = 0; x < nctx; x++) {
            for (int beta = 0; beta < 2; beta++) {
                for (int i = 0; i < M * N; i++)
                    C1[i] = C2[i] = (float)(G1[i] = G2[i] = 0.25 * (i % 5));
                mlp_gemm_f32(ctx[x], 0, 0, M, N, K, 1, A, K, B, N, beta, C1, N);
                mlp_gemm_f32(ctx[x], 1, 0, M, N, K, 1, At, M, B, N, beta, C2, N);
                mlp_gemm_f64(ctx[x], 0, 0, M, N, K, 1, D, K, E, N, beta, G1, N);
                mlp_gemm_f64(ctx[x], 1, 0, M, N, K, 1, Dt, M, E, N, beta, G2, N);
                CHECK_MSG(!memcmp(C1, C2, M * N * sizeof *C1), "float, context %d", x);
                CHECK_MSG(!memcmp(G1, G2, M * N * sizeof *G1), "double, context %d", x);
                if (pass == 1)
                    CHECK_MSG(C1[5] != C1[5] && G1[5] != G1[5], "inf x 0 is NaN, context %d", x);
            }
        }
    }
    for (int x = 1; x < nctx; x++)
        mlp_gemm_ctx_free(ctx[x]);
    free(A), free(At), free(B), free(C1), free(C2);
    free(D), free(Dt), free(E), free(G1), free(G2);
}

TEST(gemm_skipping_zeros_of_b_keeps_the_bits)
{
    /* A^T B with B mostly zeros in groups of columns (as the pixels of images, in a weight
     * gradient dY^T X) takes the transposed sparse path (gemm_sparse_t.h); A^T (B^T)^T, B
     * packed from its transpose, runs every p. Same bits, for a partial row tile (M), a
     * partial column group (N), two KC slices (K), beta 0 and 1, alpha 1 and not; an inf in
     * A over zeros of B must still give NaN. */
    enum { M = 150, N = 203, K = 300 };
    mlp_rng rng;
    mlp_rng_seed(&rng, 12, 5);
    float *A = malloc(K * M * sizeof *A), *B = malloc(K * N * sizeof *B);
    float *Bt = malloc(N * K * sizeof *Bt), *C1 = malloc(M * N * sizeof *C1);
    float *C2 = malloc(M * N * sizeof *C2);
    double *D = malloc(K * M * sizeof *D), *E = malloc(K * N * sizeof *E);
    double *Et = malloc(N * K * sizeof *Et), *G1 = malloc(M * N * sizeof *G1);
    double *G2 = malloc(M * N * sizeof *G2);
    for (int i = 0; i < K * M; i++)
        A[i] = (float)(D[i] = mlp_rng_normal(&rng));
    for (int p = 0; p < K; p++)
        for (int j = 0; j < N; j++) {
            bool band = (p / 10 + j / 8) % 5 < 2; /* whole groups of 4 columns zero */
            double v = !band && mlp_rng_uniform(&rng) < 0.6 ? mlp_rng_normal(&rng)
                       : j % 3 == 0 ? -0.0 : 0.0;
            B[p * N + j] = Bt[j * K + p] = (float)v;
            E[p * N + j] = Et[j * K + p] = v;
        }
    mlp_gemm_ctx *ctx[7];
    int nctx = contexts(ctx);
    for (int pass = 0; pass < 2; pass++) {
        if (pass == 1) /* an inf in A's row 0 (column 0 of C) at a p where B's row is zero */
            for (int p = 0; p < K; p++)
                if (B[p * N] == 0 && B[p * N + 1] == 0) {
                    A[p * M] = (float)(D[p * M] = HUGE_VAL);
                    break;
                }
        for (int x = 0; x < nctx; x++) {
            static const double ab[][2] = {{1, 0}, {1, 1}, {-2.5, 0}, {0.5, 1}};
            for (int c = 0; c < 4; c++) {
                for (int i = 0; i < M * N; i++)
                    C1[i] = C2[i] = (float)(G1[i] = G2[i] = 0.25 * (i % 5));
                float al = (float)ab[c][0], be = (float)ab[c][1];
                mlp_gemm_f32(ctx[x], 1, 0, M, N, K, al, A, M, B, N, be, C1, N);
                mlp_gemm_f32(ctx[x], 1, 1, M, N, K, al, A, M, Bt, K, be, C2, N);
                mlp_gemm_f64(ctx[x], 1, 0, M, N, K, ab[c][0], D, M, E, N, ab[c][1], G1, N);
                mlp_gemm_f64(ctx[x], 1, 1, M, N, K, ab[c][0], D, M, Et, K, ab[c][1], G2, N);
                CHECK_MSG(!memcmp(C1, C2, M * N * sizeof *C1), "float, context %d, case %d", x, c);
                CHECK_MSG(!memcmp(G1, G2, M * N * sizeof *G1), "double, context %d, case %d", x,
                          c);
                if (pass == 1)
                    CHECK_MSG(C1[0] != C1[0] && G1[0] != G1[0], "inf x 0 is NaN, context %d", x);
            }
        }
    }
    for (int x = 1; x < nctx; x++)
        mlp_gemm_ctx_free(ctx[x]);
    free(A), free(B), free(Bt), free(C1), free(C2);
    free(D), free(E), free(Et), free(G1), free(G2);
}

TEST(gemm_skipping_zeros_keeps_the_sign_of_a_zero)
{
    /* A multiply-add whose exact result underflows gives a zero with that result's sign:
     * fma(1e-30, -1e-30, +0) = -0. Then a skipped term 0 * 1 = +0 would have made the dense
     * sum +0 again, so a sparse sum that ends at -0 must not be taken as it is. Both sparse
     * paths (zeros of A, op(A) = A; zeros of B, op(A) = A^T) against the packed ones, which
     * run every p, in float and double (tiny values 1e-30 and 1e-200). */
    enum { M = 70, N = 130, K = 40 };
    float *A = calloc(M * K, sizeof *A), *At = calloc(K * M, sizeof *At);
    float *B = malloc(K * N * sizeof *B), *Bt = malloc(N * K * sizeof *Bt);
    float *C1 = malloc(M * N * sizeof *C1), *C2 = malloc(M * N * sizeof *C2);
    double *D = calloc(M * K, sizeof *D), *Dt = calloc(K * M, sizeof *Dt);
    double *E = malloc(K * N * sizeof *E), *Et = malloc(N * K * sizeof *Et);
    double *G1 = malloc(M * N * sizeof *G1), *G2 = malloc(M * N * sizeof *G2);
    for (int i = 0; i < M; i++) { /* A: a tiny value at p = 0 in every row, ones at p = 39 in
                                   * rows 40 and up, zeros elsewhere */
        A[i * K] = At[i] = 1e-30f;
        D[i * K] = Dt[i] = 1e-200;
        if (i >= 40)
            A[i * K + K - 1] = At[(K - 1) * M + i] = 1, D[i * K + K - 1] = Dt[(K - 1) * M + i] = 1;
    }
    for (int p = 0; p < K; p++)
        for (int j = 0; j < N; j++) {
            bool tiny = p == 0;
            B[p * N + j] = Bt[j * K + p] = tiny ? -1e-30f : 1;
            E[p * N + j] = Et[j * K + p] = tiny ? -1e-200 : 1;
        }
    mlp_gemm_ctx *ctx[7];
    int nctx = contexts(ctx);
    for (int x = 0; x < nctx; x++) {
        /* zeros of A: A B (sparse) against (A^T)^T B (packed) */
        mlp_gemm_f32(ctx[x], 0, 0, M, N, K, 1, A, K, B, N, 0, C1, N);
        mlp_gemm_f32(ctx[x], 1, 0, M, N, K, 1, At, M, B, N, 0, C2, N);
        mlp_gemm_f64(ctx[x], 0, 0, M, N, K, 1, D, K, E, N, 0, G1, N);
        mlp_gemm_f64(ctx[x], 1, 0, M, N, K, 1, Dt, M, E, N, 0, G2, N);
        CHECK_MSG(!memcmp(C1, C2, M * N * sizeof *C1), "A's zeros, float, context %d", x);
        CHECK_MSG(!memcmp(G1, G2, M * N * sizeof *G1), "A's zeros, double, context %d", x);
        CHECK_MSG(!signbit(C2[0]) && !signbit(G2[0]), "the dense sum is +0, context %d", x);
        /* zeros of B: Y^T X with X = At (K x M: the tiny values and zeros) and Y = B (K x N),
         * a C of N x M, against Y^T (A)^T, X packed from its transpose */
        mlp_gemm_f32(ctx[x], 1, 0, N, M, K, 1, B, N, At, M, 0, C1, M);
        mlp_gemm_f32(ctx[x], 1, 1, N, M, K, 1, B, N, A, K, 0, C2, M);
        mlp_gemm_f64(ctx[x], 1, 0, N, M, K, 1, E, N, Dt, M, 0, G1, M);
        mlp_gemm_f64(ctx[x], 1, 1, N, M, K, 1, E, N, D, K, 0, G2, M);
        CHECK_MSG(!memcmp(C1, C2, M * N * sizeof *C1), "B's zeros, float, context %d", x);
        CHECK_MSG(!memcmp(G1, G2, M * N * sizeof *G1), "B's zeros, double, context %d", x);
        CHECK_MSG(!signbit(C2[0]) && !signbit(G2[0]), "the dense sum is +0, context %d", x);
    }
    for (int x = 1; x < nctx; x++)
        mlp_gemm_ctx_free(ctx[x]);
    free(A), free(At), free(B), free(Bt), free(C1), free(C2);
    free(D), free(Dt), free(E), free(Et), free(G1), free(G2);
}
