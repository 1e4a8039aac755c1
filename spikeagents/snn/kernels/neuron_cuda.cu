/*
 * neuron_cuda.cu: the fused multi-step neuron kernels for CUDA, compiled by NVRTC through CuPy
 * (spikeagents/snn/kernels/cupy_backend.py) with -DSA_DTYPE=<0..3>.
 *
 * The arithmetic is in neuron_step.h, shared with the CPU kernel (neuron_cpu.c) and tested on
 * the CPU; this file is only the thread indexing: one thread per neuron n, looping over the T
 * steps with the neuron's state in registers. Row t of a [T, N] array starts at t * N, so the
 * threads of a warp read and write consecutive addresses at every step.
 *
 * Integer arguments are 64-bit and scalars are doubles (what CuPy passes for Python ints and
 * floats); pointers may be NULL where noted. xs is the input's step stride: N for a [T, N]
 * input, 0 for one [N] row fed at every step (a constant input, whose gradient gx is then [N],
 * summed over the steps). d_ptr, when not NULL, points to the decay 1/tau in
 * the storage dtype on the device (ParametricLIF: no host sync to read sigmoid(w)).
 */
#include "neuron_step.h"

#define SA_INDEX() ((long long)blockIdx.x * (long long)blockDim.x + (long long)threadIdx.x)

/* Forward: out = S (not written for non-spiking readouts), v = V. */
extern "C" __global__ void sa_forward(const sa_store *__restrict__ x,
                                      const sa_store *__restrict__ v0,
                                      sa_store *__restrict__ out, sa_store *__restrict__ v,
                                      const sa_store *__restrict__ d_ptr, long long T, long long N,
                                      long long xs, double decay, double v_rest, double v_th,
                                      double v_reset, long long charge, long long mode) {
    const long long n = SA_INDEX();
    if (n >= N) return;
    const int ch = (int)charge, md = (int)mode;
    const sa_real d = d_ptr != nullptr ? SA_LOAD(d_ptr[0]) : SA_ROUND((sa_real)decay);
    const sa_real vr = SA_ROUND((sa_real)v_rest), th = SA_ROUND((sa_real)v_th);
    const sa_real vres = SA_ROUND((sa_real)v_reset);
    sa_real vn = SA_LOAD(v0[n]);
    for (long long t = 0; t < T; ++t) {
        const long long i = t * N + n;
        const sa_real h = sa_charge(ch, vn, SA_LOAD(x[t * xs + n]), d, vr);
        if (md == SA_MODE_NONSPIKING) {
            vn = h;
        } else {
            const sa_real s = sa_fire(h, th);
            vn = sa_reset(md, h, s, th, vres);
            out[i] = SA_STORE(s);
        }
        v[i] = SA_STORE(vn);
    }
}

/*
 * Backward from the forward's x, v0 and v (H[t] recomputed from V[t-1] and X[t]): gx = dL/dX,
 * gv0 = dL/dV0, gd[n] = dL/dd of neuron n summed over t (NULL: not needed). gs is not read for
 * readouts; gv may be NULL.
 */
extern "C" __global__ void sa_backward(const sa_store *__restrict__ x,
                                       const sa_store *__restrict__ v0,
                                       const sa_store *__restrict__ v,
                                       const sa_store *__restrict__ gs,
                                       const sa_store *__restrict__ gv,
                                       sa_store *__restrict__ gx, sa_store *__restrict__ gv0,
                                       double *__restrict__ gd,
                                       const sa_store *__restrict__ d_ptr, long long T,
                                       long long N, long long xs, double decay, double v_rest,
                                       double v_th, double v_reset, long long charge,
                                       long long mode,
                                       long long detach, long long surrogate, double p0,
                                       double p1) {
    const long long n = SA_INDEX();
    if (n >= N) return;
    const int ch = (int)charge, md = (int)mode, dt = (int)detach, sur = (int)surrogate;
    const sa_real d = d_ptr != nullptr ? SA_LOAD(d_ptr[0]) : SA_ROUND((sa_real)decay);
    const sa_real vr = SA_ROUND((sa_real)v_rest), th = SA_ROUND((sa_real)v_th);
    const sa_real vres = SA_ROUND((sa_real)v_reset);
    const sa_real a0 = (sa_real)p0, a1 = (sa_real)p1;
    const sa_real dh_dx = sa_dh_dx(ch, d), dh_dv = sa_dh_dv(ch, d);
    sa_real g_next = (sa_real)0; /* dL/dV[t] through step t+1 */
    sa_real g_x = (sa_real)0;    /* dL/dX summed over the steps (constant input) */
    double acc = 0.0;
    for (long long t = T - 1; t >= 0; --t) {
        const long long i = t * N + n;
        const sa_real v_prev = t > 0 ? SA_LOAD(v[i - N]) : SA_LOAD(v0[n]);
        const sa_real xn = SA_LOAD(x[t * xs + n]);
        const sa_real h = sa_charge(ch, v_prev, xn, d, vr);
        const sa_real g_v = gv != nullptr ? g_next + SA_LOAD(gv[i]) : g_next;
        sa_real sg = (sa_real)0, g_s = (sa_real)0;
        if (md != SA_MODE_NONSPIKING) {
            sg = sa_surrogate_grad(sur, h - th, a0, a1);
            g_s = SA_LOAD(gs[i]);
        }
        const sa_real gh = sa_grad_h(md, dt, h, sg, g_s, g_v, th, vres);
        if (xs == 0)
            g_x += gh * dh_dx;
        else
            gx[i] = SA_STORE(gh * dh_dx);
        g_next = gh * dh_dv;
        if (gd != nullptr && ch != SA_CHARGE_IF)
            acc += (double)(gh * sa_dh_dd(ch, v_prev, xn, vr));
    }
    if (xs == 0) gx[n] = SA_STORE(g_x);
    gv0[n] = SA_STORE(g_next);
    if (gd != nullptr) gd[n] = acc;
}
