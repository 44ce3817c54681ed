/* gemm_sparse.h - skipping zeros of op(A) = A, included by gemm_impl.h (same macros).
 *
 * Inputs such as images are half zeros (Fashion-MNIST: 50% of the pixels). Element (i, j) of C
 * is the sum over p of A[i][p] B[p][j], accumulated from +0 by multiply-adds in the order of p.
 * Adding a term A[i][p] B[p][j] = +-0 (B[p][j] finite: 0 x inf is NaN) leaves a nonzero sum
 * unchanged and a zero sum zero, so dropping the p where A[i][p] is zero changes at most the
 * sign of a zero: the accumulator starts at +0, but a multiply-add whose exact result underflows
 * gives -0 (fma(1e-30, -1e-30, +0) in float), which a dropped +0 term would have made +0. The
 * sums of the two can differ only as sparse -0 against dense +0 (from equal sums, a dropped term
 * can turn only -0 into +0; the next kept term gives both the same value), so a tile whose sums
 * have a -0 (rare) is summed again over every p, and otherwise has the dense kernel's bits. For
 * each MR-row micro-panel the kernel runs only over the p where some row is nonzero, and the rows
 * of an MC block are first ordered by where their nonzeros begin and end (the i-th result
 * depends only on row i, so the order of rows in the panels changes no value); for images,
 * rows with the same outline then share their zero columns (Fashion-MNIST, KC slices of 196:
 * 33% of the p skipped, against 17% for rows in their given order). A block of op(B) with an
 * inf or NaN takes the dense path. Nothing is allocated: the lists live in the workspace, and
 * the kernel reads A where it lies. */

/* Every value finite (x - x is 0 exactly for finite x, NaN otherwise). */
static int G(all_finite)(const REAL *b, size_t n)
{
    int bad = 0;
    for (size_t i = 0; i < n; i++)
        bad |= !(b[i] - b[i] == 0);
    return !bad;
}

/* Whether the four values at a are all +-0: as 64-bit words with the sign bits cleared. */
static int G(zero4)(const REAL *a)
{
    enum { W = 4 * sizeof(REAL) / sizeof(uint64_t) };
    const uint64_t keep = sizeof(REAL) == 4 ? 0x7fffffff7fffffffULL : 0x7fffffffffffffffULL;
    uint64_t w[W], any = 0;
    memcpy(w, a, sizeof w);
    for (int i = 0; i < W; i++)
        any |= w[i];
    return (any & keep) == 0;
}

/* Sort key of a row of kc values: (first nonzero p, last nonzero p); kc for both if none. The
 * zero runs at both ends (an image's border) are skipped four values at a time. */
static int G(row_key)(const REAL *a, int kc)
{
    int f = 0, l = kc - 1;
    while (f + 4 <= kc && G(zero4)(a + f))
        f += 4;
    while (f < kc && a[f] == 0)
        f++;
    while (l - 3 > f && G(zero4)(a + l - 3))
        l -= 4;
    while (l > f && a[l] == 0)
        l--;
    return f == kc ? kc * (kc + 1) + kc : f * (kc + 1) + l;
}

/* Whether one of the n vectors at v has a lane -0: the bits of the smallest integer of REAL's
 * width (the sign bit alone). */
static int G(any_neg_zero)(const G(vec) *v, int n)
{
#define G_NEG_ZERO(T, MIN)                                                                         \
    do {                                                                                           \
        typedef T ints __attribute__((vector_size(VEC_BYTES)));                                    \
        ints m = {0}, b;                                                                           \
        for (int k = 0; k < n; k++) {                                                              \
            memcpy(&b, &v[k], sizeof b);                                                           \
            m |= b == MIN;                                                                         \
        }                                                                                          \
        for (size_t e = 0; e < sizeof m / sizeof m[0]; e++)                                        \
            any |= m[e] != 0;                                                                      \
    } while (0)
    int any = 0;
    if (sizeof(REAL) == 4)
        G_NEG_ZERO(int32_t, INT32_MIN);
    else
        G_NEG_ZERO(int64_t, INT64_MIN);
#undef G_NEG_ZERO
    return any;
}

/* C rows crow[0:mr], columns 0:nr = alpha * sum over the n listed p (idx; all kc p in order
 * when idx is NULL) of A rows ar[0:MR] times the B panel + beta * C, with store_tile's
 * arithmetic. */
static void G(kernel_rows)(int n, const int *restrict idx, int kc, const REAL *const *ar,
                           const REAL *restrict b, REAL *const *crow, int mr, int nr, REAL alpha,
                           REAL beta)
{
    G(vec) acc[MR][2];
    for (int i = 0; i < MR; i++)
        acc[i][0] = acc[i][1] = (G(vec)){0};
    const REAL *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3], *a4 = ar[4], *a5 = ar[5];
#define G_STEP(p)                                                                                  \
    do {                                                                                           \
        const REAL *bp = b + (size_t)(p) * NR;                                                     \
        G(vec) b0 = G(load)(bp), b1 = G(load)(bp + VL), ai;                                        \
        ai = G(splat)(a0[p]), acc[0][0] += ai * b0, acc[0][1] += ai * b1;                          \
        ai = G(splat)(a1[p]), acc[1][0] += ai * b0, acc[1][1] += ai * b1;                          \
        ai = G(splat)(a2[p]), acc[2][0] += ai * b0, acc[2][1] += ai * b1;                          \
        ai = G(splat)(a3[p]), acc[3][0] += ai * b0, acc[3][1] += ai * b1;                          \
        ai = G(splat)(a4[p]), acc[4][0] += ai * b0, acc[4][1] += ai * b1;                          \
        ai = G(splat)(a5[p]), acc[5][0] += ai * b0, acc[5][1] += ai * b1;                          \
    } while (0)
    if (idx)
        for (int t = 0; t < n; t++) {
            int p = idx[t];
            G_STEP(p);
        }
    else
        for (int p = 0; p < n; p++)
            G_STEP(p);
#undef G_STEP
    if (idx && n > 0 && G(any_neg_zero)(&acc[0][0], 2 * mr)) { /* perhaps +0 densely */
        G(kernel_rows)(kc, NULL, kc, ar, b, crow, mr, nr, alpha, beta);
        return;
    }
    if (nr == NR) {
        for (int i = 0; i < mr; i++)
            for (int h = 0; h < 2; h++) {
                G(vec) v = alpha * acc[i][h];
                if (beta != 0)
                    v += beta * G(load)(crow[i] + h * VL);
                G(store)(crow[i] + h * VL, v);
            }
        return;
    }
    REAL tile[MR * NR];
    for (int i = 0; i < mr && beta != 0; i++)
        memcpy(tile + i * NR, crow[i], (size_t)nr * sizeof *tile);
    G(store_tile)(acc, tile, NR, alpha, beta);
    for (int i = 0; i < mr; i++)
        memcpy(crow[i], tile + i * NR, (size_t)nr * sizeof *tile);
}

/* The p in [0, kc) where some of the MR rows is nonzero (or NaN), in order, into list; returns
 * how many. Vector compares, and a branch-free append per p. */
static int G(nonzero_columns)(const REAL *const *ar, int kc, int *restrict list)
{
    typedef __typeof__((G(vec)){0} != (G(vec)){0}) mask;
    int n = 0, p = 0;
#if VEC_BYTES == 64 && defined(__AVX512F__)
    if (sizeof(REAL) == 4)
        for (; p + 16 <= kc; p += 16)
            n = mlp_nonzero16_ps((const float *const *)ar, MR, p, list, n);
#endif
    for (; p + VL <= kc; p += VL) {
        mask m = G(load)(ar[0] + p) != (G(vec)){0};
        for (int i = 1; i < MR; i++)
            m |= G(load)(ar[i] + p) != (G(vec)){0};
        for (int l = 0; l < VL; l++) {
            list[n] = p + l;
            n += m[l] != 0;
        }
    }
    for (; p < kc; p++) {
        int any = 0;
        for (int i = 0; i < MR; i++)
            any |= ar[i][p] != 0;
        list[n] = p;
        n += any;
    }
    return n;
}

/* Rows i0 : i0+mc of C[:, 0 : nc] (+)= A[i0 : i0+mc, p0 : p0+kc] times the packed block Bp,
 * skipping the zero columns of each micro-panel. x: MLP_GEMM_X_BYTES of workspace. */
static void G(sparse_block)(const REAL *A, int lda, int i0, int mc, int p0, int kc,
                            const REAL *Bp, int nc, REAL *C, int ldc, REAL alpha, REAL beta,
                            int *restrict x)
{
    int *perm = x, *key = x + MC, *idx = x + 2 * MC, count[MC / MR];
    for (int r = 0; r < mc; r++) { /* insertion sort, stable: mc <= MC rows */
        int k = G(row_key)(A + (size_t)(i0 + r) * lda + p0, kc), s = r;
        for (; s > 0 && key[s - 1] > k; s--)
            key[s] = key[s - 1], perm[s] = perm[s - 1];
        key[s] = k, perm[s] = r;
    }
    for (int g = 0; g * MR < mc; g++) {
        const REAL *ar[MR];
        for (int i = 0; i < MR; i++) /* past mc: repeat the last row (never stored) */
            ar[i] = A + (size_t)(i0 + perm[G(min)(g * MR + i, mc - 1)]) * lda + p0;
        count[g] = G(nonzero_columns)(ar, kc, idx + g * kc);
    }
    for (int jr = 0; jr < nc; jr += NR)
        for (int g = 0; g * MR < mc; g++) {
            int mr = G(min)(MR, mc - g * MR);
            const REAL *ar[MR];
            REAL *crow[MR];
            for (int i = 0; i < MR; i++) {
                int r = i0 + perm[G(min)(g * MR + i, mc - 1)];
                ar[i] = A + (size_t)r * lda + p0;
                crow[i] = C + (size_t)r * ldc + jr;
            }
            G(kernel_rows)(count[g], count[g] == kc ? NULL : idx + g * kc, kc, ar,
                           Bp + (size_t)jr * kc, crow, mr, G(min)(NR, nc - jr), alpha, beta);
        }
}
