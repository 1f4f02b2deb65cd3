// Square roots as LLVM's sqrt intrinsic. Swift's squareRoot() on Linux calls C's sqrtf/sqrt with errno
// semantics (a scalar square root, a branch and a library call for negative inputs), which no loop vectorises;
// clang's elementwise builtin sets no errno, so a loop of these becomes vector square roots. Same IEEE result.
// A clang without the builtin (older toolchains) gets the errno-setting one: the same values, unvectorised.
#ifndef MSR_CVECTORMATH_SHIM_H
#define MSR_CVECTORMATH_SHIM_H
#if defined(__has_builtin) && __has_builtin(__builtin_elementwise_sqrt)
static inline float msr_sqrtf(float x) { return __builtin_elementwise_sqrt(x); }
static inline double msr_sqrt(double x) { return __builtin_elementwise_sqrt(x); }
#else
static inline float msr_sqrtf(float x) { return __builtin_sqrtf(x); }
static inline double msr_sqrt(double x) { return __builtin_sqrt(x); }
#endif

// The packed GEMM's A slivers from a row-major op(A): eight columns of six rows at a time, out[p·6 + r] = rows[r][p]
// (p < 8, r < 6), as vector loads, a shuffle network and vector stores where element by element it was 48 loads and
// 48 stores. clang's shuffles are portable: the compiler lowers them for whatever CPU the code is built for.
typedef float msr_float8 __attribute__((ext_vector_type(8)));
typedef float msr_float16 __attribute__((ext_vector_type(16)));
typedef float msr_float32 __attribute__((ext_vector_type(32)));
typedef float msr_float48 __attribute__((ext_vector_type(48)));

static inline msr_float8 msr_load_float8(const float *p) {
    msr_float8 v;
    __builtin_memcpy(&v, p, sizeof(float) * 8);
    return v;
}

// (a[0], b[0], a[1], b[1], …, a[7], b[7]).
static inline msr_float16 msr_zip_float8(msr_float8 a, msr_float8 b) {
    return __builtin_shufflevector(a, b, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15);
}

// Two zipped vectors zipped again by pairs: (x[0], x[1], y[0], y[1], x[2], x[3], y[2], y[3], …).
static inline msr_float32 msr_zip_pairs_float16(msr_float16 x, msr_float16 y) {
    return __builtin_shufflevector(x, y, 0, 1, 16, 17, 2, 3, 18, 19, 4, 5, 20, 21, 6, 7, 22, 23,
                                   8, 9, 24, 25, 10, 11, 26, 27, 12, 13, 28, 29, 14, 15, 30, 31);
}

// Four rows' eight columns interleaved: (r0[p], r1[p], r2[p], r3[p]) for p < 8 — a 4-row sliver's eight columns.
static inline msr_float32 msr_zip4_float8(const float *r0, const float *r1, const float *r2, const float *r3) {
    return msr_zip_pairs_float16(msr_zip_float8(msr_load_float8(r0), msr_load_float8(r1)),
                                 msr_zip_float8(msr_load_float8(r2), msr_load_float8(r3)));
}

static inline void msr_interleave_6x8(const float *r0, const float *r1, const float *r2, const float *r3,
                                      const float *r4, const float *r5, float *out) {
    msr_float16 ef = msr_zip_float8(msr_load_float8(r4), msr_load_float8(r5));
    msr_float32 abcd = msr_zip4_float8(r0, r1, r2, r3);
    msr_float32 ef2 = __builtin_shufflevector(ef, ef, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                              0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    msr_float48 o = __builtin_shufflevector(abcd, ef2, 0, 1, 2, 3, 32, 33, 4, 5, 6, 7, 34, 35, 8, 9, 10, 11, 36, 37,
                                            12, 13, 14, 15, 38, 39, 16, 17, 18, 19, 40, 41, 20, 21, 22, 23, 42, 43,
                                            24, 25, 26, 27, 44, 45, 28, 29, 30, 31, 46, 47);
    __builtin_memcpy(out, &o, sizeof(float) * 48);
}

// The same for a 4-row sliver (the 4×24 tile): out[p·4 + r] = rows[r][p] (p < 8, r < 4).
static inline void msr_interleave_4x8(const float *r0, const float *r1, const float *r2, const float *r3, float *out) {
    msr_float32 o = msr_zip4_float8(r0, r1, r2, r3);
    __builtin_memcpy(out, &o, sizeof(float) * 32);
}

// The packed GEMM's B panels from a transposed op(B): an 8×8 block, dst[j·dstStride + i] = src[i·srcStride + j].
typedef float msr_float64 __attribute__((ext_vector_type(64)));

static inline void msr_transpose_8x8(const float *src, long srcStride, float *dst, long dstStride) {
    msr_float8 r0 = msr_load_float8(src), r1 = msr_load_float8(src + srcStride);
    msr_float8 r2 = msr_load_float8(src + 2 * srcStride), r3 = msr_load_float8(src + 3 * srcStride);
    msr_float8 r4 = msr_load_float8(src + 4 * srcStride), r5 = msr_load_float8(src + 5 * srcStride);
    msr_float8 r6 = msr_load_float8(src + 6 * srcStride), r7 = msr_load_float8(src + 7 * srcStride);
    msr_float16 s01 = msr_zip_float8(r0, r1);
    msr_float16 s23 = msr_zip_float8(r2, r3);
    msr_float16 s45 = msr_zip_float8(r4, r5);
    msr_float16 s67 = msr_zip_float8(r6, r7);
    msr_float32 s0123 = msr_zip_pairs_float16(s01, s23);
    msr_float32 s4567 = msr_zip_pairs_float16(s45, s67);
    msr_float64 t = __builtin_shufflevector(s0123, s4567,
        0, 1, 2, 3, 32, 33, 34, 35, 4, 5, 6, 7, 36, 37, 38, 39, 8, 9, 10, 11, 40, 41, 42, 43,
        12, 13, 14, 15, 44, 45, 46, 47, 16, 17, 18, 19, 48, 49, 50, 51, 20, 21, 22, 23, 52, 53, 54, 55,
        24, 25, 26, 27, 56, 57, 58, 59, 28, 29, 30, 31, 60, 61, 62, 63);
    for (int j = 0; j < 8; j++) { __builtin_memcpy(dst + j * dstStride, (const float *)&t + 8 * j, sizeof(float) * 8); }
}

// Max pooling's 2×2 windows: the even- and odd-indexed halves of 16 floats.
static inline msr_float8 msr_even_float16(msr_float16 v) { return __builtin_shufflevector(v, v, 0, 2, 4, 6, 8, 10, 12, 14); }
static inline msr_float8 msr_odd_float16(msr_float16 v) { return __builtin_shufflevector(v, v, 1, 3, 5, 7, 9, 11, 13, 15); }

// Winograd's gather: 32 consecutive floats split into their 16 even- and 16 odd-indexed ones.
static inline void msr_deinterleave_32(const float *src, float *even, float *odd) {
    msr_float16 a, b;
    __builtin_memcpy(&a, src, sizeof(float) * 16);
    __builtin_memcpy(&b, src + 16, sizeof(float) * 16);
    msr_float16 e = __builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    msr_float16 o = __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __builtin_memcpy(even, &e, sizeof(float) * 16);
    __builtin_memcpy(odd, &o, sizeof(float) * 16);
}
// Rows of three: 16 consecutive triples (48 floats, a 16 × 3 row-major block) split into their three columns, and three
// columns of 16 joined into 16 triples. SmallGemm's thin products with three columns (rank1's U, K = 3) read B's columns
// contiguously and store C's three columns as rows, where element by element the copies were scalar loads and stores.
static inline void msr_split_triples_16(const float *src, float *x, float *y, float *z) {
    msr_float48 v;
    __builtin_memcpy(&v, src, sizeof(float) * 48);
    msr_float16 a = __builtin_shufflevector(v, v, 0, 3, 6, 9, 12, 15, 18, 21, 24, 27, 30, 33, 36, 39, 42, 45);
    msr_float16 b = __builtin_shufflevector(v, v, 1, 4, 7, 10, 13, 16, 19, 22, 25, 28, 31, 34, 37, 40, 43, 46);
    msr_float16 c = __builtin_shufflevector(v, v, 2, 5, 8, 11, 14, 17, 20, 23, 26, 29, 32, 35, 38, 41, 44, 47);
    __builtin_memcpy(x, &a, sizeof(float) * 16);
    __builtin_memcpy(y, &b, sizeof(float) * 16);
    __builtin_memcpy(z, &c, sizeof(float) * 16);
}

static inline void msr_join_triples_16(msr_float16 x, msr_float16 y, msr_float16 z, float *dst) {
    msr_float32 xy = __builtin_shufflevector(x, y, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                             16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31);
    msr_float32 zz = __builtin_shufflevector(z, z, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
                                             0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    msr_float48 o = __builtin_shufflevector(xy, zz, 0, 16, 32, 1, 17, 33, 2, 18, 34, 3, 19, 35, 4, 20, 36, 5, 21, 37,
                                            6, 22, 38, 7, 23, 39, 8, 24, 40, 9, 25, 41, 10, 26, 42, 11, 27, 43,
                                            12, 28, 44, 13, 29, 45, 14, 30, 46, 15, 31, 47);
    __builtin_memcpy(dst, &o, sizeof(float) * 48);
}
#endif
