/* gemm_simd.h - AVX-512 helpers for the float kernels where the vector extensions of
 * gemm_impl.h have no good spelling (in-register transposes); included by gemm_impl.h only in
 * builds for AVX-512F. Data movement only: no value changes. */
#ifndef MLP_TENSOR_GEMM_SIMD_H
#define MLP_TENSOR_GEMM_SIMD_H

#include <immintrin.h>
#include <stddef.h>

/* r[i] (row i of a 16 x 16 block) becomes column i: unpack pairs of floats, then of doubles,
 * then shuffle 128-bit lanes twice (64 shuffles for 256 values). */
static inline void mlp_transpose16_ps(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++)
        for (int h = 0; h < 2; h++) {
            __m512d a = _mm512_castps_pd(t[4 * i + h]), b = _mm512_castps_pd(t[4 * i + h + 2]);
            r[4 * i + 2 * h] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
            r[4 * i + 2 * h + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        }
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 4; k++) {
            t[8 * i + k] = _mm512_shuffle_f32x4(r[8 * i + k], r[8 * i + 4 + k], 0x88);
            t[8 * i + 4 + k] = _mm512_shuffle_f32x4(r[8 * i + k], r[8 * i + 4 + k], 0xDD);
        }
    for (int k = 0; k < 8; k++) {
        r[k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0x88);
        r[8 + k] = _mm512_shuffle_f32x4(t[k], t[8 + k], 0xDD);
    }
}

/* dst[p * ld_dst + j] = src[j * ld_src + p] for j < 16 * jb (jb blocks of 16 rows of src) and
 * p < kc: the transposed packing of op(B) = B^T. */
static inline void mlp_pack_t16_ps(const float *src, int ld_src, int jb, int kc, float *dst,
                                   int ld_dst)
{
    int full = kc / 16 * 16;
    for (int h = 0; h < jb; h++) {
        const float *s = src + (size_t)h * 16 * ld_src;
        float *d = dst + h * 16;
        for (int p = 0; p < full; p += 16) {
            __m512 r[16];
            for (int i = 0; i < 16; i++)
                r[i] = _mm512_loadu_ps(s + (size_t)i * ld_src + p);
            mlp_transpose16_ps(r);
            for (int q = 0; q < 16; q++)
                _mm512_storeu_ps(d + (size_t)(p + q) * ld_dst, r[q]);
        }
        for (int p = full; p < kc; p++)
            for (int i = 0; i < 16; i++)
                d[(size_t)p * ld_dst + i] = s[(size_t)i * ld_src + p];
    }
}

/* The p in [p, p + 16) where one of rows[0 : nrows] is not +-0 (NaN counts), appended to list
 * at n by one compress (16 ints are written there, the list needs that slack); returns the new
 * count. */
static inline int mlp_nonzero16_ps(const float *const *rows, int nrows, int p, int *list, int n)
{
    __mmask16 k = 0;
    for (int i = 0; i < nrows; i++)
        k |= _mm512_cmp_ps_mask(_mm512_loadu_ps(rows[i] + p), _mm512_setzero_ps(), _CMP_NEQ_UQ);
    __m512i at = _mm512_add_epi32(_mm512_set1_epi32(p), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7,
                                                                        8, 9, 10, 11, 12, 13,
                                                                        14, 15));
    _mm512_storeu_si512(list + n, _mm512_maskz_compress_epi32(k, at));
    return n + __builtin_popcount(k);
}

/* masks[p] bit c: src[p * ld + c] is not +-0 (NaN counts), for c < 16 and p < kc. */
static inline void mlp_nonzero_masks16_ps(const float *src, ptrdiff_t ld, int kc,
                                          unsigned short *masks)
{
    for (int p = 0; p < kc; p++)
        masks[p] = _mm512_cmp_ps_mask(_mm512_loadu_ps(src + p * ld), _mm512_setzero_ps(),
                                      _CMP_NEQ_UQ);
}

/* The p < kc where masks[p] & sel is nonzero, into list (16 ints of slack past its end); returns
 * how many. Sixteen p per compress. */
static inline int mlp_mask_list16(const unsigned short *masks, int kc, unsigned sel, int *list)
{
    int n = 0, p = 0;
    for (; p + 16 <= kc; p += 16) {
        __m512i m = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(masks + p)));
        __mmask16 k = _mm512_test_epi32_mask(m, _mm512_set1_epi32((int)sel));
        __m512i at = _mm512_add_epi32(_mm512_set1_epi32(p),
                                      _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
                                                        13, 14, 15));
        _mm512_storeu_si512(list + n, _mm512_maskz_compress_epi32(k, at));
        n += __builtin_popcount(k);
    }
    for (; p < kc; p++) {
        list[n] = p;
        n += (masks[p] & sel) != 0;
    }
    return n;
}

#endif
