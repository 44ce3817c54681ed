/* gemm_sparse_t.h - skipping zeros of op(B) = B in C = alpha A^T B + beta C, included by
 * gemm_impl.h (same macros).
 *
 * A layer's weight gradient dW = dY^T X has its zeros in X (Fashion-MNIST pixels: 50%), the
 * operand the packed kernel streams as vectors, so it cannot skip them (a p is skippable only
 * where all NR columns of a panel are zero: 13% of the p for 32 pixels). Computed as the
 * transposed product C^T = B^T A instead, B is the broadcast operand: a tile holds TC columns of
 * C (TC pixels) by TR rows (outputs), and for each p broadcasts B[p][j .. j+TC) against the
 * contiguous row A[p][i .. i+TR) (read where it lies, no packing); a p where the TC values of B
 * are all zero is skipped (TC = 4 skips 39% of the p on Fashion-MNIST batches). The tile is then
 * stored transposed.
 *
 * Same bits as the packed path: element (i, j) is accumulated from +0 by the same multiply-adds
 * over p in order within the same KC slices, only terms B[p][j] A[p][i] = +-0 are dropped (A
 * finite: checked per slice; a tile whose sums have a -0 is summed again over every p, see
 * gemm_sparse.h), and the store
 * computes alpha acc (+ C): taken only where that is one rounding whichever way the compiler
 * contracts it (beta = 0, or alpha = beta = 1, which is how slices after the first accumulate
 * when alpha = 1). */

#if (VEC_BYTES == 64 && defined(__AVX512F__)) || (VEC_BYTES == 32 && defined(__AVX2__))
#include <immintrin.h>
#endif

#define TV (VEC_BYTES == 64 ? 4 : 2) /* vectors of rows per tile: 16 or 8 accumulators */
#define TR (TV * VL)                 /* rows of C per tile */
#define TC 4                         /* columns of C per tile */

/* A whole tile's transposed store for float on AVX2 and AVX-512: the four column vectors of
 * each block of four rows are transposed within 128-bit lanes (unpack, shuffle), and each row's
 * four values stored at once. Returns 0 where there is none (double; other targets): the caller
 * then goes through a buffer. */
static int G(store_t)(G(vec) acc[TC][TV], REAL *C, int ldc, REAL alpha, REAL beta)
{
#if (VEC_BYTES == 64 && defined(__AVX512F__)) || (VEC_BYTES == 32 && defined(__AVX2__))
    if (sizeof(REAL) != 4)
        return 0;
#if VEC_BYTES == 64
#define T_PS(op) _mm512_##op##_ps
    typedef __m512 wide;
#else
#define T_PS(op) _mm256_##op##_ps
    typedef __m256 wide;
#endif
    __m128 va = _mm_set1_ps((float)alpha), vb = _mm_set1_ps((float)beta);
    for (int v = 0; v < TV; v++) {
        wide t0 = T_PS(unpacklo)((wide)acc[0][v], (wide)acc[1][v]);
        wide t1 = T_PS(unpackhi)((wide)acc[0][v], (wide)acc[1][v]);
        wide t2 = T_PS(unpacklo)((wide)acc[2][v], (wide)acc[3][v]);
        wide t3 = T_PS(unpackhi)((wide)acc[2][v], (wide)acc[3][v]);
        /* r[k], 128-bit lane l: columns 0..3 of row 4 l + k of this block */
        wide r[4] = {T_PS(shuffle)(t0, t2, 0x44), T_PS(shuffle)(t0, t2, 0xEE),
                     T_PS(shuffle)(t1, t3, 0x44), T_PS(shuffle)(t1, t3, 0xEE)};
        for (int k = 0; k < 4; k++) {
            /* the lanes of r[k] (the lane number must be a constant for clang) */
#if VEC_BYTES == 64
            __m128 lane[4] = {_mm512_castps512_ps128(r[k]), _mm512_extractf32x4_ps(r[k], 1),
                              _mm512_extractf32x4_ps(r[k], 2), _mm512_extractf32x4_ps(r[k], 3)};
#else
            __m128 lane[2] = {_mm256_castps256_ps128(r[k]), _mm256_extractf128_ps(r[k], 1)};
#endif
            for (int l = 0; l < VL / 4; l++) {
                float *c = (float *)C + (size_t)(v * VL + 4 * l + k) * ldc;
                __m128 x = _mm_mul_ps(va, lane[l]);
                if (beta != 0)
                    x = _mm_add_ps(x, _mm_mul_ps(vb, _mm_loadu_ps(c)));
                _mm_storeu_ps(c, x);
            }
        }
    }
#undef T_PS
    return 1;
#else
    (void)acc, (void)C, (void)ldc, (void)alpha, (void)beta;
    return 0;
#endif
}

/* C[0:mr, 0:nc] = alpha * sum over the n listed p (all kc p in order when idx is NULL) of the
 * rows A[p][0:TR) (row stride lda) times B[p][col[c]] + beta * C, stored transposed. */
static void G(kernel_t)(int n, const int *restrict idx, int kc, const REAL *a, ptrdiff_t lda,
                        const REAL *const *col, ptrdiff_t ldb, REAL *C, int ldc, int mr, int nc,
                        REAL alpha, REAL beta)
{
    G(vec) acc[TC][TV];
    for (int c = 0; c < TC; c++)
        for (int v = 0; v < TV; v++)
            acc[c][v] = (G(vec)){0};
    const REAL *b0 = col[0], *b1 = col[1], *b2 = col[2], *b3 = col[3];
#define T_STEP(p)                                                                                  \
    do {                                                                                           \
        const REAL *ap = a + (ptrdiff_t)(p) * lda;                                                 \
        ptrdiff_t bo = (ptrdiff_t)(p) * ldb;                                                       \
        G(vec) av[TV], s0 = G(splat)(b0[bo]), s1 = G(splat)(b1[bo]), s2 = G(splat)(b2[bo]),        \
                       s3 = G(splat)(b3[bo]);                                                      \
        for (int v = 0; v < TV; v++)                                                               \
            av[v] = G(load)(ap + v * VL);                                                          \
        for (int v = 0; v < TV; v++) {                                                             \
            acc[0][v] += s0 * av[v];                                                               \
            acc[1][v] += s1 * av[v];                                                               \
            acc[2][v] += s2 * av[v];                                                               \
            acc[3][v] += s3 * av[v];                                                               \
        }                                                                                          \
    } while (0)
    if (idx)
        for (int t = 0; t < n; t++) {
            int p = idx[t];
            T_STEP(p);
        }
    else
        for (int p = 0; p < n; p++)
            T_STEP(p);
#undef T_STEP
    if (idx && n > 0 && G(any_neg_zero)(&acc[0][0], TC * TV)) { /* perhaps +0 densely */
        G(kernel_t)(kc, NULL, kc, a, lda, col, ldb, C, ldc, mr, nc, alpha, beta);
        return;
    }
    if (mr == TR && nc == TC && G(store_t)(acc, C, ldc, alpha, beta))
        return;
    REAL tile[TC][TR];
    for (int c = 0; c < TC; c++)
        for (int v = 0; v < TV; v++)
            G(store)(tile[c] + v * VL, acc[c][v]);
    for (int r = 0; r < mr; r++) {
        REAL *crow = C + (size_t)r * ldc;
        for (int c = 0; c < nc; c++) {
            REAL v = alpha * tile[c][r];
            if (beta != 0)
                v += beta * crow[c];
            crow[c] = v;
        }
    }
}

/* Whether this slice may take the transposed sparse path: the store's rounding (above), and a
 * product wide and tall enough for whole tiles to pay for the column lists. */
static int G(sparse_t_ok)(int M, int nc, REAL alpha, REAL beta)
{
    return M >= TR && nc >= 4 * TC && (beta == 0 || (beta == 1 && alpha == 1));
}

/* The p in [0, kc) where one of the TC values b[p ldb .. p ldb + TC) is not +-0 (NaN counts),
 * into list; returns how many. The values are read as 64-bit words with the sign bits
 * cleared: a few integer operations per p. */
static int G(nonzero_rows)(const REAL *b, ptrdiff_t ldb, int kc, int *restrict list)
{
    enum { W = TC * sizeof(REAL) / sizeof(uint64_t) };
    const uint64_t keep = sizeof(REAL) == 4 ? 0x7fffffff7fffffffULL : 0x7fffffffffffffffULL;
    int n = 0;
    for (int p = 0; p < kc; p++) {
        uint64_t w[W], any = 0;
        memcpy(w, b + (ptrdiff_t)p * ldb, sizeof w);
        for (int i = 0; i < W; i++)
            any |= w[i];
        list[n] = p;
        n += (any & keep) != 0;
    }
    return n;
}

/* The list of p for the group of TC columns at b + j (of nc): with AVX-512 (float), from
 * masks of 16 columns made once per four groups (masks: kc of them); else nonzero_rows. */
static int G(group_list)(const REAL *b, ptrdiff_t ldb, int j, int nc, int kc, int *list,
                         unsigned short *masks)
{
#if VEC_BYTES == 64 && defined(__AVX512F__)
    int j16 = j / 16 * 16;
    if (sizeof(REAL) == 4 && TC == 4 && j16 + 16 <= nc) {
        if (j == j16)
            mlp_nonzero_masks16_ps((const float *)b + j16, ldb, kc, masks);
        return mlp_mask_list16(masks, kc, 0xFu << (j - j16), list);
    }
#else
    (void)nc, (void)masks;
#endif
    return G(nonzero_rows)(b + j, ldb, kc, list);
}

/* C[0:M, j0:j0+nc] (+)= alpha A[p0:p0+kc, 0:M]^T B[p0:p0+kc, j0:j0+nc], skipping zeros of B.
 * Returns 0, computing nothing, when A has a value that is not finite there or B too few zeros
 * (then the packed path runs). ws: room for a zero-padded copy of the last partial row tile of
 * A (kc x TR), a list of kc + 16 ints and kc masks. */
static int G(sparse_t_block)(int M, int nc, int kc, REAL alpha, const REAL *A, int lda,
                             const REAL *B, int ldb, REAL beta, REAL *C, int ldc, REAL *ws)
{
    int full = M / TR * TR, *list = (int *)(ws + (size_t)kc * TR);
    unsigned short *masks = (unsigned short *)(list + kc + 16);
    /* Every 8th group's list first: where B has too few zeros at this grain (a hidden layer's
     * activations: ~10%), the packed path is faster (the transposed tile costs more per step). */
    int groups = nc / TC, kept = 0, tried = 0;
    for (int g = 0; g < groups; g += 8, tried += kc)
        kept += G(nonzero_rows)(B + g * TC, ldb, kc, list);
    if (kept > tried - tried / MLP_GEMM_SPARSE_T_MIN)
        return 0;
    for (int p = 0; p < kc; p++)
        if (!G(all_finite)(A + (size_t)p * lda, (size_t)M))
            return 0;
    if (full < M) /* rows past M are zero: computed, never stored */
        for (int p = 0; p < kc; p++)
            for (int i = 0; i < TR; i++)
                ws[(size_t)p * TR + i] = full + i < M ? A[(size_t)p * lda + full + i] : 0;
    for (int j = 0; j < nc; j += TC) {
        int ncol = G(min)(TC, nc - j), n = kc;
        const REAL *col[TC];
        for (int c = 0; c < TC; c++) /* past nc: repeat the last column (never stored) */
            col[c] = B + j + G(min)(c, ncol - 1);
        if (ncol == TC) /* a last partial group runs every p */
            n = G(group_list)(B, ldb, j, nc, kc, list, masks);
        const int *idx = n == kc ? NULL : list;
        for (int i = 0; i < M; i += TR) {
            const REAL *a = i < full ? A + i : ws;
            G(kernel_t)(n, idx, kc, a, i < full ? lda : TR, col, ldb, C + (size_t)i * ldc + j, ldc,
                        G(min)(TR, M - i), ncol, alpha, beta);
        }
    }
    return 1;
}

#undef TV
#undef TR
#undef TC
