/*
 * neuron_cpu.c: the fused multi-step neuron kernels for the CPU.
 *
 * The arithmetic is in neuron_step.h (shared with the CUDA kernels); this file only arranges the
 * loops. N is cut into blocks of SA_BLOCK neurons; a block runs all T steps with its state in
 * small local buffers (so each [T, N] array is streamed once, forward and backward); the inner
 * loops over a block's neurons are what the compiler vectorises; the blocks are shared out over
 * OpenMP threads (none for small calls).
 *
 * Build (see spikeagents/snn/kernels/_build.py):
 *     cc -O3 -ffp-contract=off -fno-trapping-math -fPIC -shared -fopenmp -DSA_DTYPE=0 ...
 * One library per dtype holds every variant: the flags are run-time arguments, turned into
 * compile-time constants by the dispatch switches below, so each combination of the flags that
 * shape the inner loops gets its own loop (the rest are per-row choices between small loops).
 *
 * Layout: every [T, N] array is C-contiguous (row t at offset t * N); v0 and the per-neuron
 * arrays are [N]. The input X is either such a [T, N] array (xs = N) or one [N] row fed at
 * every step (xs = 0: a constant input current, as under direct encoding); its gradient has the
 * input's shape, so for a constant input the backward sums dL/dX over the steps itself. The
 * backward reads X and V (the forward's input and output) and recomputes
 * H[t] = charge(V[t-1], X[t]) exactly as the forward computed it, so nothing else is saved.
 */
#include <stddef.h>
#include <stdint.h>

#include "neuron_step.h"

#ifdef _OPENMP
#include <omp.h>
#endif
#if defined(__linux__)
#include <sys/mman.h>
#endif

#define SA_INLINE static inline __attribute__((always_inline))
#define SA_NOINLINE static __attribute__((noinline))
#define SA_BLOCK 256                /* neurons per block: the local buffers stay in L1 */
/* elements (T * N) per thread: calls under 2 * SA_GRAIN run on the calling thread alone, so the
 * small calls of RL policies never wait for a second thread (costly when the cores are shared
 * with environment workers) */
#define SA_GRAIN ((int64_t)1 << 17)
#define SA_ABI_VERSION 3

typedef struct {
    const sa_real *x;  /* [T, N] input current, or [N] when xs == 0 */
    const sa_real *v0; /* [N] initial potential */
    sa_real *out;      /* [T, N] spikes (not written for non-spiking readouts) */
    sa_real *v;        /* [T, N] potential after reset */
    int64_t T, N, xs;  /* xs: the input's step stride, N or 0 (the same row at every step) */
    sa_real d, v_rest, v_th, v_reset;
} sa_fwd_args;

typedef struct {
    const sa_real *x;  /* [T, N] input current, or [N] when xs == 0 */
    const sa_real *v0; /* [N] initial potential */
    const sa_real *v;  /* [T, N] the forward's potential after reset */
    const sa_real *gs; /* [T, N] dL/dout (not read for non-spiking readouts) */
    const sa_real *gv; /* [T, N] dL/dV output (NULL: none) */
    sa_real *gx;       /* dL/dX, shaped as X: [T, N], or [N] summed over T when xs == 0 */
    sa_real *gv0;      /* [N] dL/dV0 */
    double *gd;        /* [N] dL/dd per neuron, summed over T (NULL: not needed) */
    int64_t T, N, xs;
    sa_real d, v_rest, v_th, v_reset, p0, p1;
    int charge, mode, detach, surrogate;
} sa_bwd_args;

#define SA_HUGE_BYTES ((int64_t)8 << 20) /* arrays from this size on get the two treatments: */

/*
 * Ask Linux to back a fresh output array with 2 MB pages. The first touch of a new 32 MB array
 * costs 8192 page faults in 4 KB pages (tens of ms in a VM), 16 in huge pages. Only a hint: it
 * changes no value, and the aligned range lies inside the array.
 */
static void sa_prefer_huge_pages(void *p, int64_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    const uintptr_t huge = (uintptr_t)2 << 20;
    if (p == NULL || bytes < SA_HUGE_BYTES) return;
    const uintptr_t a = ((uintptr_t)p + huge - 1) & ~(huge - 1);
    const uintptr_t e = ((uintptr_t)p + (uintptr_t)bytes) & ~(huge - 1);
    if (e > a) (void)madvise((void *)a, e - a, MADV_HUGEPAGE);
#else
    (void)p;
    (void)bytes;
#endif
}

/*
 * Fault in this thread's share of a fresh output array (by address: thread k of n takes the k-th
 * n-th), one store per 4 KB page; the caller then waits for all threads (omp barrier). A 2 MB
 * page holds whole rows and the compute loops split the neurons, so without this every thread
 * would fault the same pages, one zeroing while the others wait. The zeros are overwritten.
 * Returns whether it touched (the same answer in every thread).
 */
#ifdef _OPENMP
static int sa_touch_pages(void *p, int64_t bytes, int64_t k, int64_t n) {
    const int64_t page = 4096;
    char *c = (char *)p;
    if (p == NULL || bytes < SA_HUGE_BYTES) return 0;
    const int64_t lo = bytes * k / n, hi = bytes * (k + 1) / n;
    for (int64_t off = (lo + page - 1) / page * page; off < hi; off += page) c[off] = 0;
    return 1;
}
#endif

/* ---- forward ---------------------------------------------------------------------------------- */

/* All T steps of neurons [n0, n0 + len): charge, fire, reset (neuron_step.h). */
SA_INLINE void fwd_block(const sa_fwd_args *a, int64_t n0, int64_t len, const int charge,
                         const int mode) {
    sa_real vb[SA_BLOCK]; /* V[t-1] of the block */
    const sa_real d = a->d, v_rest = a->v_rest, v_th = a->v_th, v_reset = a->v_reset;
    const int64_t N = a->N;
    for (int64_t j = 0; j < len; ++j) vb[j] = a->v0[n0 + j];
    for (int64_t t = 0; t < a->T; ++t) {
        const int64_t off = t * N + n0;
        const sa_real *restrict x = a->x + t * a->xs + n0;
        sa_real *restrict v = a->v + off;
        if (mode == SA_MODE_NONSPIKING) {
            for (int64_t j = 0; j < len; ++j) {
                const sa_real h = sa_charge(charge, vb[j], x[j], d, v_rest);
                v[j] = h;
                vb[j] = h;
            }
        } else {
            sa_real *restrict out = a->out + off;
            for (int64_t j = 0; j < len; ++j) {
                const sa_real h = sa_charge(charge, vb[j], x[j], d, v_rest);
                const sa_real s = sa_fire(h, v_th);
                const sa_real vn = sa_reset(mode, h, s, v_th, v_reset);
                out[j] = s;
                v[j] = vn;
                vb[j] = vn;
            }
        }
    }
}

SA_INLINE void fwd_blocks(const sa_fwd_args *a, int64_t b0, int64_t b1, const int charge,
                          const int mode) {
    for (int64_t b = b0; b < b1; ++b) {
        const int64_t n0 = b * SA_BLOCK;
        const int64_t len = a->N - n0 < SA_BLOCK ? a->N - n0 : SA_BLOCK;
        fwd_block(a, n0, len, charge, mode);
    }
}

/* Run-time flags -> one specialised loop per (charge, mode). */
static void fwd_range(const sa_fwd_args *a, int64_t b0, int64_t b1, int charge, int mode) {
#define SA_FWD_CASE(C, M)                   \
    case (C) * 3 + (M):                     \
        fwd_blocks(a, b0, b1, (C), (M));    \
        break;
#define SA_FWD_CASES(C)                     \
    SA_FWD_CASE(C, SA_MODE_NONSPIKING)      \
    SA_FWD_CASE(C, SA_MODE_HARD)            \
    SA_FWD_CASE(C, SA_MODE_SOFT)
    switch (charge * 3 + mode) {
        SA_FWD_CASES(SA_CHARGE_IF)
        SA_FWD_CASES(SA_CHARGE_LIF)
        SA_FWD_CASES(SA_CHARGE_LIF_NODI)
        default:
            break;
    }
#undef SA_FWD_CASES
#undef SA_FWD_CASE
}

/* ---- backward --------------------------------------------------------------------------------- */

/* h[j] = charge(V[t-1], X[t]): H recomputed exactly as the forward computed it. */
SA_NOINLINE void charge_row(const sa_bwd_args *a, const sa_real *restrict vp,
                            const sa_real *restrict x, sa_real *restrict h, int64_t len) {
    const sa_real d = a->d, v_rest = a->v_rest;
#define SA_CHARGE_LOOP(C)                                                          \
    case C:                                                                        \
        for (int64_t j = 0; j < len; ++j) h[j] = sa_charge(C, vp[j], x[j], d, v_rest); \
        break;
    switch (a->charge) {
        SA_CHARGE_LOOP(SA_CHARGE_IF)
        SA_CHARGE_LOOP(SA_CHARGE_LIF)
        SA_CHARGE_LOOP(SA_CHARGE_LIF_NODI)
        default:
            break;
    }
#undef SA_CHARGE_LOOP
}

/* sg[j] = surrogate'(H[j] - V_th): one loop per surrogate. */
SA_NOINLINE void surrogate_row(const sa_bwd_args *a, const sa_real *restrict h,
                               sa_real *restrict sg, int64_t len) {
    const sa_real v_th = a->v_th, p0 = a->p0, p1 = a->p1;
#define SA_SUR_LOOP(K)                                                                       \
    case K:                                                                                  \
        for (int64_t j = 0; j < len; ++j) sg[j] = sa_surrogate_grad(K, h[j] - v_th, p0, p1); \
        break;
    switch (a->surrogate) {
        SA_SUR_LOOP(SA_SUR_SIGMOID)
        SA_SUR_LOOP(SA_SUR_ATAN)
        SA_SUR_LOOP(SA_SUR_PIECEWISE_QUADRATIC)
        SA_SUR_LOOP(SA_SUR_PIECEWISE_EXP)
        SA_SUR_LOOP(SA_SUR_SOFT_SIGN)
        SA_SUR_LOOP(SA_SUR_NONZERO_SIGN_LOG_ABS)
        SA_SUR_LOOP(SA_SUR_ERF)
        SA_SUR_LOOP(SA_SUR_PIECEWISE_LEAKY_RELU)
        default:
            for (int64_t j = 0; j < len; ++j) sg[j] = (sa_real)0;
    }
#undef SA_SUR_LOOP
}

/* acc[j] += gh[j] * dH/dd (ParametricLIF): X[t] - (V[t-1] - V_rest), or -(V[t-1] - V_rest). */
SA_NOINLINE void decay_row(const sa_bwd_args *a, const sa_real *restrict vp,
                           const sa_real *restrict x, const sa_real *restrict gh,
                           double *restrict acc, int64_t len) {
    const sa_real v_rest = a->v_rest;
    if (a->charge == SA_CHARGE_LIF) {
        for (int64_t j = 0; j < len; ++j)
            acc[j] += (double)(gh[j] * sa_dh_dd(SA_CHARGE_LIF, vp[j], x[j], v_rest));
    } else {
        for (int64_t j = 0; j < len; ++j)
            acc[j] += (double)(gh[j] * sa_dh_dd(SA_CHARGE_LIF_NODI, vp[j], (sa_real)0, v_rest));
    }
}

/*
 * All T steps of neurons [n0, n0 + len), from t = T-1 down to 0 (the recurrence in the header).
 * Per row: recompute H, the surrogate derivative, the recurrence, then (ParametricLIF) the decay
 * gradient, each a loop over the block's local buffers; the recurrence is specialised on
 * (mode, detach), the other loops are chosen per row.
 */
SA_INLINE void bwd_block(const sa_bwd_args *a, int64_t n0, int64_t len, const int mode,
                         const int detach) {
    sa_real gvb[SA_BLOCK]; /* dL/dV[t]: through step t+1, then plus the voltage output's */
    sa_real hb[SA_BLOCK];  /* H[t] */
    sa_real sg[SA_BLOCK];  /* surrogate'(H[t] - V_th) */
    sa_real ghb[SA_BLOCK]; /* dL/dH[t] */
    sa_real gxb[SA_BLOCK]; /* dL/dX summed over t (constant input) */
    double acc[SA_BLOCK];  /* dL/dd summed over t */
    const sa_real v_th = a->v_th, v_reset = a->v_reset;
    const sa_real dh_dx = sa_dh_dx(a->charge, a->d), dh_dv = sa_dh_dv(a->charge, a->d);
    const int grad_d = a->gd != NULL && a->charge != SA_CHARGE_IF;
    const int64_t N = a->N;
    const int constant = a->xs == 0;
    for (int64_t j = 0; j < len; ++j) {
        gvb[j] = (sa_real)0;
        sg[j] = (sa_real)0;
        gxb[j] = (sa_real)0;
        acc[j] = 0.0;
    }
    for (int64_t t = a->T - 1; t >= 0; --t) {
        const int64_t off = t * N + n0;
        const sa_real *x = a->x + t * a->xs + n0;
        const sa_real *vp = t > 0 ? a->v + off - N : a->v0 + n0; /* V[t-1] */
        charge_row(a, vp, x, hb, len);
        if (mode != SA_MODE_NONSPIKING) surrogate_row(a, hb, sg, len);
        if (a->gv != NULL) {
            const sa_real *restrict gvo = a->gv + off;
            for (int64_t j = 0; j < len; ++j) gvb[j] += gvo[j];
        }
        const sa_real *restrict gs = mode == SA_MODE_NONSPIKING ? NULL : a->gs + off;
        sa_real *restrict gx = constant ? gxb : a->gx + off;
        for (int64_t j = 0; j < len; ++j) {
            const sa_real g_s = mode == SA_MODE_NONSPIKING ? (sa_real)0 : gs[j];
            const sa_real gh = sa_grad_h(mode, detach, hb[j], sg[j], g_s, gvb[j], v_th, v_reset);
            ghb[j] = gh;
            /* a constant input collects its gradient over the steps, from t = T-1 down */
            gx[j] = constant ? gx[j] + gh * dh_dx : gh * dh_dx;
            gvb[j] = gh * dh_dv;
        }
        if (grad_d) decay_row(a, vp, x, ghb, acc, len);
    }
    if (constant)
        for (int64_t j = 0; j < len; ++j) a->gx[n0 + j] = gxb[j];
    for (int64_t j = 0; j < len; ++j) a->gv0[n0 + j] = gvb[j];
    if (grad_d)
        for (int64_t j = 0; j < len; ++j) a->gd[n0 + j] = acc[j];
}

SA_INLINE void bwd_blocks(const sa_bwd_args *a, int64_t b0, int64_t b1, const int mode,
                          const int detach) {
    for (int64_t b = b0; b < b1; ++b) {
        const int64_t n0 = b * SA_BLOCK;
        const int64_t len = a->N - n0 < SA_BLOCK ? a->N - n0 : SA_BLOCK;
        bwd_block(a, n0, len, mode, detach);
    }
}

/* Run-time flags -> one specialised recurrence per (mode, detach). */
static void bwd_range(const sa_bwd_args *a, int64_t b0, int64_t b1) {
    if (a->mode == SA_MODE_NONSPIKING)
        bwd_blocks(a, b0, b1, SA_MODE_NONSPIKING, 0);
    else if (a->mode == SA_MODE_HARD && a->detach)
        bwd_blocks(a, b0, b1, SA_MODE_HARD, 1);
    else if (a->mode == SA_MODE_HARD)
        bwd_blocks(a, b0, b1, SA_MODE_HARD, 0);
    else if (a->detach)
        bwd_blocks(a, b0, b1, SA_MODE_SOFT, 1);
    else
        bwd_blocks(a, b0, b1, SA_MODE_SOFT, 0);
}

/* ---- entry points (called through ctypes) ----------------------------------------------------- */

/* Threads for a call: at most `nthreads`, one per block at most, none for small calls. */
static int sa_num_threads(int64_t T, int64_t N, int64_t nblocks, int nthreads) {
    const int64_t by_work = (T * N) / SA_GRAIN;
    int64_t n = nthreads;
    if (n > by_work) n = by_work;
    if (n > nblocks) n = nblocks;
    return n < 1 ? 1 : (int)n;
}

int sa_abi_version(void) { return SA_ABI_VERSION; }

int sa_dtype(void) { return SA_DTYPE; }

/*
 * Forward over [T, N]: out = S (ignored for non-spiking readouts), v = V. x is [T, N] (xs = N)
 * or one [N] row fed at every step (xs = 0). Scalars come as doubles and are rounded to the
 * dtype here, as torch rounds a Python float it multiplies a tensor by.
 */
void sa_forward(const sa_real *x, const sa_real *v0, sa_real *out, sa_real *v, int64_t T,
                int64_t N, int64_t xs, double d, double v_rest, double v_th, double v_reset,
                int charge, int mode, int nthreads) {
    const sa_fwd_args a = {x, v0, out, v, T, N, xs,
                           (sa_real)d, (sa_real)v_rest, (sa_real)v_th, (sa_real)v_reset};
    const int64_t nblocks = (N + SA_BLOCK - 1) / SA_BLOCK;
    const int nt = sa_num_threads(T, N, nblocks, nthreads);
    if (mode != SA_MODE_NONSPIKING) sa_prefer_huge_pages(out, T * N * (int64_t)sizeof(sa_real));
    sa_prefer_huge_pages(v, T * N * (int64_t)sizeof(sa_real));
    if (nt <= 1) {
        fwd_range(&a, 0, nblocks, charge, mode);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
    {
        const int64_t k = omp_get_thread_num(), n = omp_get_num_threads();
        const int64_t bytes = T * N * (int64_t)sizeof(sa_real);
        const int touched = sa_touch_pages(mode != SA_MODE_NONSPIKING ? out : NULL, bytes, k, n);
        if (sa_touch_pages(v, bytes, k, n) || touched) {
#pragma omp barrier
        }
        fwd_range(&a, nblocks * k / n, nblocks * (k + 1) / n, charge, mode);
    }
#else
    fwd_range(&a, 0, nblocks, charge, mode);
#endif
}

/*
 * Backward over [T, N] from the forward's x, v0 and v: gx = dL/dX (shaped as x: [N] summed over
 * the steps when xs == 0), gv0 = dL/dV0 and, when gd is not NULL, gd[n] = dL/dd of neuron n
 * summed over t (the caller sums over n). gv may be NULL (no gradient on the voltage output);
 * gs is not read for non-spiking readouts.
 */
void sa_backward(const sa_real *x, const sa_real *v0, const sa_real *v, const sa_real *gs,
                 const sa_real *gv, sa_real *gx, sa_real *gv0, double *gd, int64_t T, int64_t N,
                 int64_t xs, double d, double v_rest, double v_th, double v_reset, int charge,
                 int mode, int detach, int surrogate, double p0, double p1, int nthreads) {
    const sa_bwd_args a = {x, v0, v, gs, gv, gx, gv0, gd, T, N, xs,
                           (sa_real)d, (sa_real)v_rest, (sa_real)v_th, (sa_real)v_reset,
                           (sa_real)p0, (sa_real)p1, charge, mode, detach, surrogate};
    const int64_t nblocks = (N + SA_BLOCK - 1) / SA_BLOCK;
    const int nt = sa_num_threads(T, N, nblocks, nthreads);
    const int64_t gx_bytes = (xs == 0 ? N : T * N) * (int64_t)sizeof(sa_real);
    sa_prefer_huge_pages(gx, gx_bytes);
    if (nt <= 1) {
        bwd_range(&a, 0, nblocks);
        return;
    }
#ifdef _OPENMP
#pragma omp parallel num_threads(nt)
    {
        const int64_t k = omp_get_thread_num(), n = omp_get_num_threads();
        if (sa_touch_pages(gx, gx_bytes, k, n)) {
#pragma omp barrier
        }
        bwd_range(&a, nblocks * k / n, nblocks * (k + 1) / n);
    }
#else
    bwd_range(&a, 0, nblocks);
#endif
}
