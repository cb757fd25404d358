# Declarations of the shared C helpers in ag_common.h (OpenMP stand-ins,
# per-module thread setting, vectorizable exp and row primitives).
# Every kernel module cimports what it needs from here.

cdef extern from "ag_common.h" nogil:
    const int AG_HAVE_OPENMP
    int omp_get_max_threads()
    void omp_set_num_threads(int n)
    int omp_get_num_procs()

    void ag_set_module_threads(int n)
    int ag_threads()

    # Below these sizes a kernel runs on the calling thread only (why: see
    # ag_common.h).  PARALLEL_MIN_ELEMENTS: elementwise and optimizer
    # kernels, in elements; PARALLEL_MIN_ROW_WORK: row kernels, rows * cols.
    const Py_ssize_t AG_PARALLEL_MIN_ELEMENTS
    const Py_ssize_t AG_PARALLEL_MIN_ROW_WORK
    Py_ssize_t PARALLEL_MIN_ELEMENTS "ag_parallel_min_elements"
    Py_ssize_t PARALLEL_MIN_ROW_WORK "ag_parallel_min_row_work"
    void ag_set_module_parallel_thresholds(Py_ssize_t elements, Py_ssize_t row_work)

    float ag_expf(float x)
    double ag_exp(double x)
    float ag_expf_nonpos(float x)
    double ag_exp_nonpos(double x)

    float ag_row_max_f32(const float *x, Py_ssize_t n)
    double ag_row_max_f64(const double *x, Py_ssize_t n)
    float ag_row_sum_f32(const float *x, Py_ssize_t n)
    double ag_row_sum_f64(const double *x, Py_ssize_t n)
    float ag_row_dot_f32(const float *x, const float *y, Py_ssize_t n)
    double ag_row_dot_f64(const double *x, const double *y, Py_ssize_t n)
    float ag_row_exp_shift_sum_f32(const float *x, float shift, float *out, Py_ssize_t n)
    double ag_row_exp_shift_sum_f64(const double *x, double shift, double *out, Py_ssize_t n)
    float ag_row_sum_exp_shift_f32(const float *x, float shift, Py_ssize_t n)
    double ag_row_sum_exp_shift_f64(const double *x, double shift, Py_ssize_t n)
    void ag_row_scale_f32(float *x, float a, Py_ssize_t n)
    void ag_row_scale_f64(double *x, double a, Py_ssize_t n)
    void ag_row_sub2_f32(const float *x, float shift, float shift2, float *out, Py_ssize_t n)
    void ag_row_sub2_f64(const double *x, double shift, double shift2, double *out, Py_ssize_t n)
    void ag_row_softmax_bwd_f32(const float *g, const float *y, float s, float *out, Py_ssize_t n)
    void ag_row_softmax_bwd_f64(const double *g, const double *y, double s, double *out, Py_ssize_t n)
    void ag_row_log_softmax_bwd_f32(const float *g, const float *y, float s, float *out, Py_ssize_t n)
    void ag_row_log_softmax_bwd_f64(const double *g, const double *y, double s, double *out, Py_ssize_t n)
    void ag_row_ce_bwd_f32(const float *x, float hi, float lo, float smooth, float scale, float *out, Py_ssize_t n)
    void ag_row_ce_bwd_f64(const double *x, double hi, double lo, double smooth, double scale, double *out, Py_ssize_t n)

    void ag_relu_bwd_colsum_f32(const float *g, const float *y, float *out, float *colsum,
                                Py_ssize_t rows, Py_ssize_t cols)
    void ag_relu_bwd_colsum_f64(const double *g, const double *y, double *out, double *colsum,
                                Py_ssize_t rows, Py_ssize_t cols)

    float ag_sum_f32(const float *a, Py_ssize_t n)
    double ag_sum_f64(const double *a, Py_ssize_t n)

    void ag_adam_f32(float *p, const float *g, float *m, float *v, Py_ssize_t n,
                     float one_minus_beta1, float beta2, float one_minus_beta2,
                     float neg_step_size, float bias_correction2_sqrt, float eps,
                     float weight_decay, float decay_factor, int wd_mode)
    void ag_adam_f64(double *p, const double *g, double *m, double *v, Py_ssize_t n,
                     double one_minus_beta1, double beta2, double one_minus_beta2,
                     double neg_step_size, double bias_correction2_sqrt, double eps,
                     double weight_decay, double decay_factor, int wd_mode)

    void ag_sigmoid_f32(const float *x, float *out, Py_ssize_t n)
    void ag_sigmoid_f64(const double *x, double *out, Py_ssize_t n)
    void ag_exp_f32(const float *x, float *out, Py_ssize_t n)
    void ag_exp_f64(const double *x, double *out, Py_ssize_t n)
