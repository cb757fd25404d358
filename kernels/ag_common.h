/* Shared C helpers for the autograd kernels (included by every kernels/ module).
 *
 * Why C and not Cython: the row loops below need `#pragma omp simd` so that
 * float reductions (max, sum) vectorize without -ffast-math, and a
 * branch-free exp that the compiler can vectorize (libm's expf/exp are
 * scalar calls and would make softmax slower than NumPy's SIMD exp).
 *
 * OpenMP is optional: without it the omp_* functions below are serial
 * stand-ins and the Cython prange loops compile to plain loops.
 */
#ifndef AG_COMMON_H
#define AG_COMMON_H

#include <stdint.h>
#include <string.h>
#include <math.h>

#ifdef _OPENMP
#include <omp.h>
#define AG_HAVE_OPENMP 1
#else
#define AG_HAVE_OPENMP 0
static inline int omp_get_max_threads(void) { return 1; }
static inline void omp_set_num_threads(int n) { (void)n; }
static inline int omp_get_num_procs(void) { return 1; }
#endif

#if defined(_OPENMP) || defined(AG_OPENMP_SIMD)
#define AG_PRAGMA(x) _Pragma(#x)
#else
#define AG_PRAGMA(x)
#endif
#define AG_SIMD AG_PRAGMA(omp simd)
#define AG_SIMD_SUM(v) AG_PRAGMA(omp simd reduction(+:v))
#define AG_SIMD_MAX(v) AG_PRAGMA(omp simd reduction(max:v))

/* The row primitives are compiled twice, for AVX2 and for baseline x86-64,
 * and the loader picks one at run time (GCC/Clang function multiversioning
 * through an ifunc), so a default build runs on any x86-64 CPU and still
 * uses 8-wide vectors where the CPU has them.  Not needed when the whole
 * build already targets AVX2 (AUTOGRAD_NATIVE=1). */
#if defined(__x86_64__) && defined(__GLIBC__) && !defined(__AVX2__) && !defined(AG_NO_CLONES) \
    && defined(__has_attribute)
#if __has_attribute(target_clones)
#define AG_CLONES __attribute__((target_clones("avx2", "default")))
#endif
#endif
#ifndef AG_CLONES
#define AG_CLONES
#endif

/* Threads used by the kernels of one extension module.  Each module has its
 * own copy (a static in a header); autograd._C.set_num_threads sets them all.
 * 0 means "OpenMP's default". */
static int ag_num_threads_setting = 0;

static inline void ag_set_module_threads(int n) { ag_num_threads_setting = n; }

/* Below these sizes a kernel runs on the calling thread only.  Starting a
 * team costs a few microseconds, but the real cost is on a machine whose
 * cores are shared with other processes: a parallel region waits for its
 * slowest thread, and a descheduled worker makes it wait a scheduler tick
 * (~10 ms) for ~0.1 ms of work.  So a region is only worth that risk when
 * two threads are clearly (> 1.5x) faster on a quiet machine; measured on a
 * 2-core VM with bench/kernels.py.  Per module, like the thread count;
 * autograd._C._set_parallel_thresholds sets them all (the tests lower them
 * to exercise the threaded paths on small arrays). */
#define AG_PARALLEL_MIN_ELEMENTS ((Py_ssize_t)1 << 20) /* elementwise, optimizers: elements */
#define AG_PARALLEL_MIN_ROW_WORK ((Py_ssize_t)1 << 19) /* softmax, log-softmax, CE: rows*cols */
static Py_ssize_t ag_parallel_min_elements = AG_PARALLEL_MIN_ELEMENTS;
static Py_ssize_t ag_parallel_min_row_work = AG_PARALLEL_MIN_ROW_WORK;

static inline void ag_set_module_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work) {
    ag_parallel_min_elements = elements;
    ag_parallel_min_row_work = row_work;
}

static inline int ag_threads(void) {
    int n = ag_num_threads_setting;
    return n > 0 ? n : omp_get_max_threads();
}

/* ---------------------------------------------------------------------------
 * exp for arguments <= ~0 (softmax, log-softmax, cross-entropy all call it on
 * x - max(x) or x - logsumexp(x)).  Cephes-style: x = n ln2 + r with n
 * rounded to nearest through the 1.5*2^23 (2^52) magic number, a polynomial
 * (float) or Pade form (double) for exp(r), and 2^n built in the exponent
 * bits.  Results below the smallest normal number flush to 0; arguments above
 * 88 (float) / 709 (double) saturate there.  NaN propagates.  Accuracy: about
 * 1 ulp float, 2 ulp double.
 * ------------------------------------------------------------------------- */
typedef union { float f; uint32_t u; } ag_f32_bits;
typedef union { double f; uint64_t u; } ag_f64_bits;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"

static inline float ag_expf_impl(float x, int saturate) {
    const float lo = -87.33654f, hi = 88.0f;
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    float xc = x < lo ? lo : x;
    if (saturate) xc = xc > hi ? hi : xc;
    ag_f32_bits t;
    t.f = xc * 1.44269504088896341f + magic;
    float n = t.f - magic;
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r2 + r + 1.0f;
    ag_f32_bits s;
    s.u = (t.u + 127u) << 23; /* low bits of t hold n: exponent field n+127 */
    y = y * s.f;
    return x < lo ? 0.0f : y;
}

static inline double ag_exp_impl(double x, int saturate) {
    const double lo = -708.3964185322641, hi = 709.0;
    const double magic = 6755399441055744.0; /* 1.5 * 2^52 */
    double xc = x < lo ? lo : x;
    if (saturate) xc = xc > hi ? hi : xc;
    ag_f64_bits t;
    t.f = xc * 1.4426950408889634073599 + magic;
    double n = t.f - magic;
    double r = xc - n * 6.93145751953125e-1;
    r = r - n * 1.42860682030941723212e-6;
    double r2 = r * r;
    double p = ((1.26177193074810590878e-4 * r2 + 3.02994407707441961300e-2) * r2
                + 9.99999999999999999910e-1) * r;
    double q = ((3.00198505138664455042e-6 * r2 + 2.52448340349684104192e-3) * r2
                + 2.27265548208155028766e-1) * r2 + 2.00000000000000000009e0;
    double y = 1.0 + 2.0 * (p / (q - p));
    ag_f64_bits s;
    s.u = (t.u + 1023u) << 52;
    y = y * s.f;
    return x < lo ? 0.0 : y;
}

/* Full range (saturates above 88 / 709), for arguments of unknown sign. */
static inline float ag_expf(float x) { return ag_expf_impl(x, 1); }
static inline double ag_exp(double x) { return ag_exp_impl(x, 1); }
/* For x <= 0 (x - max(x), x - logsumexp(x)): skips the upper clamp, ~15%
 * faster; arguments above 88 / 709 would give wrong results. */
static inline float ag_expf_nonpos(float x) { return ag_expf_impl(x, 0); }
static inline double ag_exp_nonpos(double x) { return ag_exp_impl(x, 0); }

/* exp over the whole range, with IEEE results at both ends: +inf above ln(FLT_MAX)
 * (ln(DBL_MAX)), subnormals below the smallest normal result (rounded once), 0 below
 * those, NaN for NaN.  Same reduction and polynomial as ag_expf_impl; 2^n is applied
 * as 2^(n/2) * 2^(n - n/2) so that n from -150 (-1075) to 128 (1024) never builds an
 * out-of-range exponent.  Branch-free, so the loops below vectorize. */
static inline float ag_expf_full(float x) {
    const float lo = -103.972084f, hi = 88.7228394f;
    const float magic = 12582912.0f; /* 1.5 * 2^23 */
    float xc = x < lo ? lo : (x > hi ? hi : x);
    float n = (xc * 1.44269504088896341f + magic) - magic;
    float r = xc - n * 0.693359375f;
    r = r - n * -2.12194440e-4f;
    float r2 = r * r;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    float y = p * r2 + r + 1.0f;
    int32_t ni = (int32_t)n;
    int32_t n1 = ni >> 1;
    ag_f32_bits s1, s2;
    s1.u = (uint32_t)(n1 + 127) << 23;
    s2.u = (uint32_t)(ni - n1 + 127) << 23;
    y = (y * s1.f) * s2.f;
    y = x > hi ? INFINITY : y;
    return x < lo ? 0.0f : y;
}

static inline double ag_exp_full(double x) {
    const double lo = -745.13321910194122, hi = 709.78271289338397;
    const double magic = 6755399441055744.0; /* 1.5 * 2^52 */
    double xc = x < lo ? lo : (x > hi ? hi : x);
    double n = (xc * 1.4426950408889634073599 + magic) - magic;
    double r = xc - n * 6.93145751953125e-1;
    r = r - n * 1.42860682030941723212e-6;
    double r2 = r * r;
    double p = ((1.26177193074810590878e-4 * r2 + 3.02994407707441961300e-2) * r2
                + 9.99999999999999999910e-1) * r;
    double q = ((3.00198505138664455042e-6 * r2 + 2.52448340349684104192e-3) * r2
                + 2.27265548208155028766e-1) * r2 + 2.00000000000000000009e0;
    double y = 1.0 + 2.0 * (p / (q - p));
    int32_t ni = (int32_t)n;   /* (32-bit: AVX2 converts 4 doubles at once) */
    int32_t n1 = ni >> 1;
    ag_f64_bits s1, s2;
    s1.u = (uint64_t)(uint32_t)(n1 + 1023) << 52;
    s2.u = (uint64_t)(uint32_t)(ni - n1 + 1023) << 52;
    y = (y * s1.f) * s2.f;
    y = x > hi ? INFINITY : y;
    return x < lo ? 0.0 : y;
}

/* --------------------------- row primitives ------------------------------ */
#define AG_DEFINE_ROW_OPS(T, SUF, EXP, EXP_ANY, ATTR, TAG)                                            \
ATTR T ag_row_max_##SUF##TAG(const T *x, Py_ssize_t n) {                        \
    T m = x[0];                                                                     \
    AG_SIMD_MAX(m)                                                                  \
    for (Py_ssize_t j = 1; j < n; j++) m = x[j] > m ? x[j] : m;                     \
    return m;                                                                       \
}                                                                                   \
ATTR T ag_row_sum_##SUF##TAG(const T *x, Py_ssize_t n) {                        \
    T s = 0;                                                                        \
    AG_SIMD_SUM(s)                                                                  \
    for (Py_ssize_t j = 0; j < n; j++) s += x[j];                                   \
    return s;                                                                       \
}                                                                                   \
ATTR T ag_row_dot_##SUF##TAG(const T *x, const T *y, Py_ssize_t n) {            \
    T s = 0;                                                                        \
    AG_SIMD_SUM(s)                                                                  \
    for (Py_ssize_t j = 0; j < n; j++) s += x[j] * y[j];                            \
    return s;                                                                       \
}                                                                                   \
/* out = exp(x - shift); returns sum(out) */                                        \
ATTR T ag_row_exp_shift_sum_##SUF##TAG(const T *x, T shift, T *out, Py_ssize_t n) { \
    T s = 0;                                                                        \
    AG_SIMD_SUM(s)                                                                  \
    for (Py_ssize_t j = 0; j < n; j++) { T e = EXP(x[j] - shift); out[j] = e; s += e; } \
    return s;                                                                       \
}                                                                                   \
/* sum(exp(x - shift)) without storing */                                           \
ATTR T ag_row_sum_exp_shift_##SUF##TAG(const T *x, T shift, Py_ssize_t n) {     \
    T s = 0;                                                                        \
    AG_SIMD_SUM(s)                                                                  \
    for (Py_ssize_t j = 0; j < n; j++) s += EXP(x[j] - shift);                      \
    return s;                                                                       \
}                                                                                   \
ATTR void ag_row_scale_##SUF##TAG(T *x, T a, Py_ssize_t n) {                    \
    AG_SIMD                                                                         \
    for (Py_ssize_t j = 0; j < n; j++) x[j] *= a;                                   \
}                                                                                   \
/* out = (x - shift) - shift2: log-softmax as (x - max) - log(sum), so the  \
 * largest entry is exact even when |max| dwarfs log(sum) */                     \
ATTR void ag_row_sub2_##SUF##TAG(const T *x, T shift, T shift2, T *out, Py_ssize_t n) { \
    AG_SIMD                                                                         \
    for (Py_ssize_t j = 0; j < n; j++) out[j] = (x[j] - shift) - shift2;            \
}                                                                                   \
/* softmax backward: out = y * (g - s) */                                           \
ATTR void ag_row_softmax_bwd_##SUF##TAG(const T *g, const T *y, T s, T *out, Py_ssize_t n) { \
    AG_SIMD                                                                         \
    for (Py_ssize_t j = 0; j < n; j++) out[j] = y[j] * (g[j] - s);                  \
}                                                                                   \
/* log-softmax backward: out = g - exp(y) * s */                                    \
ATTR void ag_row_log_softmax_bwd_##SUF##TAG(const T *g, const T *y, T s, T *out, Py_ssize_t n) { \
    AG_SIMD                                                                         \
    for (Py_ssize_t j = 0; j < n; j++) out[j] = g[j] - EXP_ANY(y[j]) * s;               \
}                                                                                   \
/* cross-entropy backward row: out = (exp(x - lse) - smooth) * scale, with   \
 * lse = hi + lo split so that x - lse stays accurate for |x| ~ 1e4 */           \
ATTR void ag_row_ce_bwd_##SUF##TAG(const T *x, T hi, T lo, T smooth, T scale, T *out, \
                                          Py_ssize_t n) {                        \
    AG_SIMD                                                                         \
    for (Py_ssize_t j = 0; j < n; j++) out[j] = (EXP((x[j] - hi) - lo) - smooth) * scale; \
}

/* Short rows (a classifier's 10 logits) go to inline baseline copies (plain
 * loops below AG_SHORT_MAX): the clones' ifunc call and the vector
 * prologue/epilogue cost more than the work there. */
#define AG_WIDE_MIN 64
#define AG_SHORT_MAX 16
#define AG_DEFINE_ROW_DISPATCH(T, SUF)                                              \
static inline T ag_row_max_##SUF(const T *x, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { return ag_row_max_##SUF##_short(x, n); } \
    if (n < AG_WIDE_MIN) { return ag_row_max_##SUF##_narrow(x, n); } \
    return ag_row_max_##SUF##_wide(x, n); } \
static inline T ag_row_sum_##SUF(const T *x, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { return ag_row_sum_##SUF##_short(x, n); } \
    if (n < AG_WIDE_MIN) { return ag_row_sum_##SUF##_narrow(x, n); } \
    return ag_row_sum_##SUF##_wide(x, n); } \
static inline T ag_row_dot_##SUF(const T *x, const T *y, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { return ag_row_dot_##SUF##_short(x, y, n); } \
    if (n < AG_WIDE_MIN) { return ag_row_dot_##SUF##_narrow(x, y, n); } \
    return ag_row_dot_##SUF##_wide(x, y, n); } \
static inline T ag_row_exp_shift_sum_##SUF(const T *x, T shift, T *out, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { return ag_row_exp_shift_sum_##SUF##_short(x, shift, out, n); } \
    if (n < AG_WIDE_MIN) { return ag_row_exp_shift_sum_##SUF##_narrow(x, shift, out, n); } \
    return ag_row_exp_shift_sum_##SUF##_wide(x, shift, out, n); } \
static inline T ag_row_sum_exp_shift_##SUF(const T *x, T shift, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { return ag_row_sum_exp_shift_##SUF##_short(x, shift, n); } \
    if (n < AG_WIDE_MIN) { return ag_row_sum_exp_shift_##SUF##_narrow(x, shift, n); } \
    return ag_row_sum_exp_shift_##SUF##_wide(x, shift, n); } \
static inline void ag_row_scale_##SUF(T *x, T a, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { ag_row_scale_##SUF##_short(x, a, n); return; } \
    if (n < AG_WIDE_MIN) { ag_row_scale_##SUF##_narrow(x, a, n); return; } \
    ag_row_scale_##SUF##_wide(x, a, n); } \
static inline void ag_row_sub2_##SUF(const T *x, T shift, T shift2, T *out, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { ag_row_sub2_##SUF##_short(x, shift, shift2, out, n); return; } \
    if (n < AG_WIDE_MIN) { ag_row_sub2_##SUF##_narrow(x, shift, shift2, out, n); return; } \
    ag_row_sub2_##SUF##_wide(x, shift, shift2, out, n); } \
static inline void ag_row_softmax_bwd_##SUF(const T *g, const T *y, T s, T *out, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { ag_row_softmax_bwd_##SUF##_short(g, y, s, out, n); return; } \
    if (n < AG_WIDE_MIN) { ag_row_softmax_bwd_##SUF##_narrow(g, y, s, out, n); return; } \
    ag_row_softmax_bwd_##SUF##_wide(g, y, s, out, n); } \
static inline void ag_row_log_softmax_bwd_##SUF(const T *g, const T *y, T s, T *out, Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { ag_row_log_softmax_bwd_##SUF##_short(g, y, s, out, n); return; } \
    if (n < AG_WIDE_MIN) { ag_row_log_softmax_bwd_##SUF##_narrow(g, y, s, out, n); return; } \
    ag_row_log_softmax_bwd_##SUF##_wide(g, y, s, out, n); } \
static inline void ag_row_ce_bwd_##SUF(const T *x, T hi, T lo, T smooth, T scale, T *out, \
                                          Py_ssize_t n) { \
    if (n < AG_SHORT_MAX) { ag_row_ce_bwd_##SUF##_short(x, hi, lo, smooth, scale, out, n); return; } \
    if (n < AG_WIDE_MIN) { ag_row_ce_bwd_##SUF##_narrow(x, hi, lo, smooth, scale, out, n); return; } \
    ag_row_ce_bwd_##SUF##_wide(x, hi, lo, smooth, scale, out, n); }

AG_DEFINE_ROW_OPS(float, f32, ag_expf_nonpos, ag_expf, AG_CLONES static, _wide)
AG_DEFINE_ROW_OPS(double, f64, ag_exp_nonpos, ag_exp, AG_CLONES static, _wide)
AG_DEFINE_ROW_OPS(float, f32, ag_expf_nonpos, ag_expf, static inline, _narrow)
AG_DEFINE_ROW_OPS(double, f64, ag_exp_nonpos, ag_exp, static inline, _narrow)
/* and plain loops for the shortest rows: an `omp simd` reduction sets up a
 * vector of partial sums in memory, which costs more than 10 elements */
#undef AG_SIMD_SUM
#undef AG_SIMD_MAX
#define AG_SIMD_SUM(v)
#define AG_SIMD_MAX(v)
AG_DEFINE_ROW_OPS(float, f32, ag_expf_nonpos, ag_expf, static inline, _short)
AG_DEFINE_ROW_OPS(double, f64, ag_exp_nonpos, ag_exp, static inline, _short)
#undef AG_SIMD_SUM
#undef AG_SIMD_MAX
#define AG_SIMD_SUM(v) AG_PRAGMA(omp simd reduction(+:v))
#define AG_SIMD_MAX(v) AG_PRAGMA(omp simd reduction(max:v))
AG_DEFINE_ROW_DISPATCH(float, f32)
AG_DEFINE_ROW_DISPATCH(double, f64)


/* ------------------------- ReLU backward with the bias gradient -------------
 * out = g * (y > 0) and colsum = out.sum(axis=0) for (rows, cols) C-contiguous
 * arrays, rows added in order (NumPy's sum(axis=0) order).  `restrict`: the
 * four arrays never overlap (the wrapper allocates out and colsum), which is
 * what lets the column loop vectorize. */
#define AG_DEFINE_RELU_BWD_COLSUM(T, SUF)                                           \
AG_CLONES static void ag_relu_bwd_colsum_##SUF(const T *restrict g, const T *restrict y, \
                                               T *restrict out, T *restrict colsum,  \
                                               Py_ssize_t rows, Py_ssize_t cols) {   \
    for (Py_ssize_t j = 0; j < cols; j++) colsum[j] = 0;                            \
    for (Py_ssize_t i = 0; i < rows; i++) {                                         \
        const T *gi = g + i * cols, *yi = y + i * cols;                             \
        T *oi = out + i * cols;                                                     \
        AG_SIMD                                                                     \
        for (Py_ssize_t j = 0; j < cols; j++) {                                     \
            T v = yi[j] <= 0 ? (T)0 : gi[j];   /* NaN passes, as in PyTorch */                                         \
            oi[j] = v;                                                              \
            colsum[j] += v;                                                         \
        }                                                                           \
    }                                                                               \
}
AG_DEFINE_RELU_BWD_COLSUM(float, f32)
AG_DEFINE_RELU_BWD_COLSUM(double, f64)


/* ------------------------- full sums -------------------------------------
 * NumPy's pairwise summation (numpy/_core/src/umath/loops_utils.h.src) with
 * the same order of additions, so a full sum equals numpy.sum of the array
 * in memory order bit for bit: blocks of up to 128 elements are summed in 8
 * interleaved accumulators (one or two vectors), blocks are added pairwise,
 * and the total is added to 0 (numpy's reduction starts from its identity:
 * a sum of -0.0 is +0.0, as in NumPy and PyTorch).  NumPy's own loop takes
 * a runtime stride and does not vectorize; this one does. */
#define AG_PAIRWISE_BLOCK 128
#define AG_DEFINE_PAIRWISE_SUM(T, SUF)                                              \
AG_CLONES static T ag_pairwise_block_##SUF(const T *a, Py_ssize_t n) {              \
    T r[8];                                                                         \
    Py_ssize_t i, k;                                                                \
    for (k = 0; k < 8; k++) r[k] = a[k];                                            \
    for (i = 8; i < n - (n % 8); i += 8) {                                          \
        for (k = 0; k < 8; k++) r[k] += a[i + k];                                   \
    }                                                                               \
    T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));      \
    for (; i < n; i++) res += a[i];                                                 \
    return res;                                                                     \
}                                                                                   \
static T ag_pairwise_sum_##SUF(const T *a, Py_ssize_t n) {                          \
    if (n < 8) {                                                                    \
        T res = 0;                                                                  \
        for (Py_ssize_t i = 0; i < n; i++) res += a[i];                             \
        return res;                                                                 \
    }                                                                               \
    if (n <= AG_PAIRWISE_BLOCK) return ag_pairwise_block_##SUF(a, n);               \
    Py_ssize_t half = n / 2;                                                        \
    half -= half % 8;                                                               \
    return ag_pairwise_sum_##SUF(a, half) + ag_pairwise_sum_##SUF(a + half, n - half); \
}                                                                                   \
static inline T ag_sum_##SUF(const T *a, Py_ssize_t n) {                            \
    return (T)0 + ag_pairwise_sum_##SUF(a, n);                                      \
}
AG_DEFINE_PAIRWISE_SUM(float, f32)
AG_DEFINE_PAIRWISE_SUM(double, f64)


/* ------------------------- optimizer updates ------------------------------
 * Adam's inner loop is bound by sqrt and division, so it also gets the AVX2
 * clone (8 lanes instead of 4).  The arithmetic is torch.optim.Adam's
 * single-tensor path, operation by operation:
 *   [AdamW] p = p * (1 - lr*wd)     [Adam] g = g + wd * p
 *   m = lerp(m, g, 1 - b1);   v = v * b2 + ((1 - b2) * g) * g
 *   p = p + (-step_size * m) / (sqrt(v) / sqrt(bc2) + eps)
 * wd_mode: 0 none, 1 L2 (Adam), 2 decoupled (AdamW).  The loop-invariant
 * choices are made outside the loops so each loop is branch-free. */
#define AG_ADAM_LOOP(T, SQRT, DECAY, LERP)                                           \
    for (Py_ssize_t j = 0; j < n; j++) {                                            \
        T gj = g[j], pj = p[j];                                                     \
        DECAY                                                                       \
        T mj = LERP;                                                                \
        T vj = v[j] * beta2 + one_minus_beta2 * gj * gj;                            \
        m[j] = mj;                                                                  \
        v[j] = vj;                                                                  \
        p[j] = pj + neg_step_size * mj / (SQRT(vj) / bias_correction2_sqrt + eps);  \
    }
#define AG_DEFINE_ADAM(T, SUF, SQRT)                                                \
AG_CLONES static void ag_adam_##SUF(T *p, const T *g, T *m, T *v, Py_ssize_t n,     \
        T one_minus_beta1, T beta2, T one_minus_beta2, T neg_step_size,             \
        T bias_correction2_sqrt, T eps, T weight_decay, T decay_factor, int wd_mode) { \
    if (one_minus_beta1 < (T)0.5) {                                                 \
        if (wd_mode == 1) {                                                         \
            AG_ADAM_LOOP(T, SQRT, gj = gj + weight_decay * pj;,                     \
                         m[j] + one_minus_beta1 * (gj - m[j]))                      \
        } else if (wd_mode == 2) {                                                  \
            AG_ADAM_LOOP(T, SQRT, pj = pj * decay_factor;,                          \
                         m[j] + one_minus_beta1 * (gj - m[j]))                      \
        } else {                                                                    \
            AG_ADAM_LOOP(T, SQRT, , m[j] + one_minus_beta1 * (gj - m[j]))           \
        }                                                                           \
    } else {  /* torch.lerp's other branch, exact at weight 1 */                    \
        if (wd_mode == 1) {                                                         \
            AG_ADAM_LOOP(T, SQRT, gj = gj + weight_decay * pj;,                     \
                         gj - (gj - m[j]) * (1 - one_minus_beta1))                  \
        } else if (wd_mode == 2) {                                                  \
            AG_ADAM_LOOP(T, SQRT, pj = pj * decay_factor;,                          \
                         gj - (gj - m[j]) * (1 - one_minus_beta1))                  \
        } else {                                                                    \
            AG_ADAM_LOOP(T, SQRT, , gj - (gj - m[j]) * (1 - one_minus_beta1))       \
        }                                                                           \
    }                                                                               \
}

AG_DEFINE_ADAM(float, f32, sqrtf)
AG_DEFINE_ADAM(double, f64, sqrt)


/* ----------------------------- sigmoid -------------------------------------
 * out = 1 / (1 + exp(-x)) for x >= 0 and exp(x) / (1 + exp(x)) for x < 0,
 * written branch-free as e = exp(-|x|), r = 1 / (1 + e), out = x >= 0 ? r : e*r
 * so that it vectorizes (one exp of a non-positive argument per element,
 * never an overflow).  Results below the smallest normal number (x < -87.3
 * in float32, -708 in float64) flush to 0; NaN propagates; +-inf give 1 / 0.
 * `out` may be `x`. */
#define AG_DEFINE_SIGMOID(T, SUF, EXP_NONPOS, FABS)                                  \
AG_CLONES static void ag_sigmoid_##SUF(const T *x, T *out, Py_ssize_t n) {          \
    AG_SIMD                                                                         \
    for (Py_ssize_t j = 0; j < n; j++) {                                            \
        T xj = x[j];                                                                \
        T e = EXP_NONPOS(-FABS(xj));                                                \
        T r = (T)1 / ((T)1 + e);                                                    \
        out[j] = xj >= 0 ? r : e * r;                                               \
    }                                                                               \
}

/* out[j] = exp(x[j]) over the whole range (see ag_expf_full); `out` may be `x`. */
#define AG_DEFINE_EXP(T, SUF, EXP_FULL)                                                \
AG_CLONES static void ag_exp_##SUF(const T *x, T *out, Py_ssize_t n) {                \
    AG_SIMD                                                                         \
    for (Py_ssize_t j = 0; j < n; j++) out[j] = EXP_FULL(x[j]);                     \
}

AG_DEFINE_EXP(float, f32, ag_expf_full)
AG_DEFINE_EXP(double, f64, ag_exp_full)

AG_DEFINE_SIGMOID(float, f32, ag_expf_nonpos, fabsf)
AG_DEFINE_SIGMOID(double, f64, ag_exp_nonpos, fabs)

#pragma GCC diagnostic pop

#endif
