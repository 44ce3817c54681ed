/* gemm_impl.h - the packed GEMM body, instantiated per element type and vector width.
 *
 * Expects REAL (element type), VEC_BYTES (SIMD register width the build targets: 16 for the
 * x86-64 baseline, 32 for AVX2) and SUFFIX (pasted onto the names). Defines
 * mlp_gemm_packed_<SUFFIX>, declared in gemm_kernels.h.
 *
 * The classic three-level blocking (Goto; BLIS): for each NC-wide column block of op(B) and each
 * KC-deep slice, op(B) is packed into NR-column micro-panels; for each MC-row block of op(A),
 * op(A) is packed into MR-row micro-panels; then a micro-kernel keeps an MR x NR tile of C in
 * registers (MR = 6 rows by 2 vectors: 12 accumulators, 2 B vectors and a broadcast A value fill
 * the 16 vector registers of SSE2 and AVX2) and streams the two panels with one
 * multiply-add per accumulator per step. Packing pads panels with zeros, so the micro-kernel
 * never branches on edges; partial tiles are written back through a small buffer. Transposed
 * operands differ only in how they are packed. The vector code uses GCC vector extensions (also
 * understood by clang), so the same source serves every target; -ffp-contract=fast turns the
 * multiply-adds into FMA instructions where the target has them.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tensor/gemm_kernels.h"
#if VEC_BYTES == 64 && defined(__AVX512F__)
#include "tensor/gemm_simd.h"
#endif

#define G_CAT2(a, b) a##_##b
#define G_CAT(a, b) G_CAT2(a, b)
#define G(name) G_CAT(name, SUFFIX)

#define VL ((int)(VEC_BYTES / sizeof(REAL))) /* lanes per vector */
#define MR 6
#define NR (2 * VL)
#define KC MLP_GEMM_KC
/* Whole micro-tiles: balanced() rounds block sizes up to MR and NR multiples within these. */
#define MC (MLP_GEMM_A_BYTES / (KC * (int)sizeof(REAL)) / MR * MR)
#define NC (MLP_GEMM_B_BYTES / (KC * (int)sizeof(REAL)) / NR * NR)

typedef REAL G(vec) __attribute__((vector_size(VEC_BYTES)));

static inline int G(min)(int a, int b) { return a < b ? a : b; }

/* Unaligned vector load and store (memcpy compiles to one instruction). */
static inline G(vec) G(load)(const REAL *p)
{
    G(vec) v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void G(store)(REAL *p, G(vec) v) { memcpy(p, &v, sizeof v); }
/* x in every lane: x - 0 is exactly x (also for -0, unlike 0 + x), so compilers fold the
 * subtraction away and emit a single broadcast. */
static inline G(vec) G(splat)(REAL x) { return x - (G(vec)){0}; }

/* op(A)[i0 : i0+mc, p0 : p0+kc] as MR-row micro-panels: panel r holds, for each p, the MR values
 * of rows r*MR .. r*MR+MR-1 (zero past mc). */
static void G(pack_a)(int ta, const REAL *A, int lda, int i0, int mc, int p0, int kc,
                      REAL *restrict dst)
{
    for (int ir = 0; ir < mc; ir += MR, dst += MR * kc) {
        int mr = G(min)(MR, mc - ir);
        if (ta) { /* op(A)[i][p] = A[p][i]: the MR values of one p are contiguous */
            for (int p = 0; p < kc; p++) {
                const REAL *a = A + (size_t)(p0 + p) * lda + i0 + ir;
                for (int i = 0; i < MR; i++)
                    dst[p * MR + i] = i < mr ? a[i] : 0;
            }
        } else { /* row by row, contiguous reads */
            for (int i = 0; i < MR; i++) {
                const REAL *a = A + (size_t)(i0 + ir + i) * lda + p0;
                for (int p = 0; p < kc; p++)
                    dst[p * MR + i] = i < mr ? a[p] : 0;
            }
        }
    }
}

/* op(B)[p0 : p0+kc, j0 : j0+nc] as NR-column micro-panels: panel c holds, for each p, the NR
 * values of columns c*NR .. c*NR+NR-1 (zero past nc). */
static void G(pack_b)(int tb, const REAL *B, int ldb, int p0, int kc, int j0, int nc,
                      REAL *restrict dst)
{
    for (int jr = 0; jr < nc; jr += NR, dst += NR * kc) {
        int nr = G(min)(NR, nc - jr);
#if VEC_BYTES == 64 && defined(__AVX512F__)
        if (tb && nr == NR && sizeof(REAL) == 4) { /* 16 x 16 blocks transposed in registers */
            mlp_pack_t16_ps((const float *)B + (size_t)(j0 + jr) * ldb + p0, ldb, NR / 16, kc,
                            (float *)dst, NR);
            continue;
        }
#endif
        if (tb) { /* op(B)[p][j] = B[j][p]: column by column, contiguous reads */
            for (int j = 0; j < NR; j++) {
                const REAL *b = B + (size_t)(j0 + jr + j) * ldb + p0;
                for (int p = 0; p < kc; p++)
                    dst[p * NR + j] = j < nr ? b[p] : 0;
            }
        } else {
            for (int p = 0; p < kc; p++) {
                const REAL *b = B + (size_t)(p0 + p) * ldb + j0 + jr;
                for (int j = 0; j < NR; j++)
                    dst[p * NR + j] = j < nr ? b[j] : 0;
            }
        }
    }
}

/* C[0:MR, 0:NR] = alpha * acc + beta * C; beta = 0 never reads C. */
static void G(store_tile)(G(vec) acc[MR][2], REAL *C, int ldc, REAL alpha, REAL beta)
{
    for (int i = 0; i < MR; i++)
        for (int h = 0; h < 2; h++) {
            REAL *c = C + (size_t)i * ldc + h * VL;
            G(vec) v = alpha * acc[i][h];
            if (beta != 0)
                v += beta * G(load)(c);
            G(store)(c, v);
        }
}

/* C[0:mr, 0:nr] = alpha * acc + beta * C. A partial tile goes through a buffer and the same
 * store code, so an element's arithmetic never depends on where the tile boundaries fall. */
static void G(store_part)(G(vec) acc[MR][2], REAL *C, int ldc, int mr, int nr, REAL alpha,
                          REAL beta)
{
    if (mr == MR && nr == NR) {
        G(store_tile)(acc, C, ldc, alpha, beta);
        return;
    }
    REAL tile[MR * NR];
    for (int i = 0; i < mr && beta != 0; i++)
        memcpy(tile + i * NR, C + (size_t)i * ldc, (size_t)nr * sizeof *tile);
    G(store_tile)(acc, tile, NR, alpha, beta);
    for (int i = 0; i < mr; i++)
        memcpy(C + (size_t)i * ldc, tile + i * NR, (size_t)nr * sizeof *tile);
}

/* C[0:mr, 0:nr] = alpha * (A panel x B panel) + beta * C. A partial tile goes through a
 * buffer and the same store code, so an element's arithmetic never depends on where the tile
 * boundaries fall (results are identical for any split of the columns over threads). */
static void G(kernel)(int kc, const REAL *restrict a, const REAL *restrict b, REAL *restrict C,
                      int ldc, int mr, int nr, REAL alpha, REAL beta)
{
    G(vec) acc[MR][2];
    for (int i = 0; i < MR; i++)
        acc[i][0] = acc[i][1] = (G(vec)){0};
    for (int p = 0; p < kc; p++, a += MR, b += NR) {
        G(vec) b0 = G(load)(b), b1 = G(load)(b + VL);
        for (int i = 0; i < MR; i++) {
            G(vec) ai = G(splat)(a[i]);
            acc[i][0] += ai * b0;
            acc[i][1] += ai * b1;
        }
    }
    G(store_part)(acc, C, ldc, mr, nr, alpha, beta);
}

/* The same tile with op(A) read where it lies instead of from a packed panel: element (i, p) of
 * the tile's rows at a[i * rs + p * cs]. Rows past mr repeat the last real row (their results
 * are never stored). The products and their order are those of G(kernel), so the result is
 * bit-identical; only the packing pass over A is saved. */
static void G(kernel_direct)(int kc, const REAL *a, ptrdiff_t rs, ptrdiff_t cs,
                             const REAL *restrict b, REAL *restrict C, int ldc, int mr, int nr,
                             REAL alpha, REAL beta)
{
    G(vec) acc[MR][2];
    const REAL *ar[MR];
    for (int i = 0; i < MR; i++) {
        acc[i][0] = acc[i][1] = (G(vec)){0};
        ar[i] = a + (i < mr ? i : mr - 1) * rs;
    }
    for (ptrdiff_t p = 0, off = 0; p < kc; p++, off += cs, b += NR) {
        G(vec) b0 = G(load)(b), b1 = G(load)(b + VL);
        for (int i = 0; i < MR; i++) {
            G(vec) ai = G(splat)(ar[i][off]);
            acc[i][0] += ai * b0;
            acc[i][1] += ai * b1;
        }
    }
    G(store_part)(acc, C, ldc, mr, nr, alpha, beta);
}

#include "tensor/gemm_sparse.h"
#include "tensor/gemm_sparse_t.h"

/* The largest block size <= max that splits n into equal parts (a multiple of `unit`), so no
 * block is a thin remainder: K = 784 runs as 4 slices of 196 rather than 3 x 256 + 16. */
static int G(balanced)(int n, int max, int unit)
{
    int parts = (n + max - 1) / max, size = (n + parts - 1) / parts;
    return (size + unit - 1) / unit * unit;
}

void G(mlp_gemm_packed)(int ta, int tb, int M, int N, int K, REAL alpha, const REAL *A, int lda,
                        const REAL *B, int ldb, REAL beta, REAL *C, int ldc, void *ws)
{
    REAL *Ap = ws, *Bp = (REAL *)((char *)ws + MLP_GEMM_A_BYTES);
    int ncb = G(balanced)(N, NC, NR), kcb = G(balanced)(K, KC, 1), mcb = G(balanced)(M, MC, MR);
    for (int j0 = 0; j0 < N; j0 += ncb) {
        int nc = G(min)(ncb, N - j0);
        for (int p0 = 0; p0 < K; p0 += kcb) {
            int kc = G(min)(kcb, K - p0);
            REAL beta_here = p0 == 0 ? beta : 1; /* later slices accumulate */
            /* A^T B with B's zeros skipped, as (B^T A)^T (gemm_sparse_t.h). */
            if (ta && !tb && G(sparse_t_ok)(M, nc, alpha, beta_here) &&
                G(sparse_t_block)(M, nc, kc, alpha, A + (size_t)p0 * lda, lda,
                                  B + (size_t)p0 * ldb + j0, ldb, beta_here, C + j0, ldc, Ap))
                continue;
            G(pack_b)(tb, B, ldb, p0, kc, j0, nc, Bp);
            /* Wide blocks (where ordering and compacting A costs little against the products)
             * skip the zeros of A when this block of op(B) is finite (gemm_sparse.h). */
            int sparse = !ta && nc > MLP_GEMM_SPARSE_N &&
                         G(all_finite)(Bp, (size_t)kc * ((nc + NR - 1) / NR * NR));
            for (int i0 = 0; i0 < M; i0 += mcb) {
                int mc = G(min)(mcb, M - i0);
                if (sparse) {
                    G(sparse_block)(A, lda, i0, mc, p0, kc, Bp, nc, C + j0, ldc, alpha,
                                    beta_here, (int *)((char *)Bp + MLP_GEMM_B_BYTES));
                    continue;
                }
                if (!ta || N <= MLP_GEMM_DIRECT_N) {
                    /* The kernel reads op(A) in place when its rows are rows of A (six
                     * sequential streams that stay in L1 across the column panels), or when few
                     * column panels reuse an A panel (packing would cost about as much as the
                     * products). Packing a transposed A pays off for wide products. */
                    ptrdiff_t rs = ta ? 1 : lda, cs = ta ? lda : 1;
                    for (int jr = 0; jr < nc; jr += NR)
                        for (int ir = 0; ir < mc; ir += MR)
                            G(kernel_direct)(kc, A + (i0 + ir) * rs + p0 * cs, rs, cs,
                                             Bp + jr * kc, C + (size_t)(i0 + ir) * ldc + j0 + jr,
                                             ldc, G(min)(MR, mc - ir), G(min)(NR, nc - jr),
                                             alpha, beta_here);
                    continue;
                }
                G(pack_a)(ta, A, lda, i0, mc, p0, kc, Ap);
                /* A B micro-panel stays in L1 while the A micro-panels stream from L2. */
                for (int jr = 0; jr < nc; jr += NR)
                    for (int ir = 0; ir < mc; ir += MR)
                        G(kernel)(kc, Ap + ir * kc, Bp + jr * kc,
                                  C + (size_t)(i0 + ir) * ldc + j0 + jr, ldc,
                                  G(min)(MR, mc - ir), G(min)(NR, nc - jr), alpha, beta_here);
            }
        }
    }
}

#undef G_CAT2
#undef G_CAT
#undef G
#undef VL
#undef MR
#undef NR
#undef KC
#undef MC
#undef NC
