/*
 * neuron_step.h: the per-element arithmetic of the fused multi-step neuron kernels.
 *
 * Written once, compiled twice: by the C compiler for the CPU kernel (neuron_cpu.c) and by NVRTC
 * for the CUDA kernels (neuron_cuda.cu, run through CuPy). Only the loops and the thread indexing
 * live in those files; every equation lives here, so the CPU test suite exercises the arithmetic
 * the GPU runs. The equations are those of spikeagents/snn/dynamics.py, in the same order of
 * floating-point operations (the torch reference kernel is the oracle; spikes must match it
 * bitwise, so compile with -ffp-contract=off: no fused multiply-add).
 *
 * Forward, one element, one step (V = V[t-1], X = X[t], d = 1/tau, V_rest = V_reset or 0):
 *
 *     H = V + X                               IF
 *     H = V + (X - (V - V_rest)) * d          LIF / ParametricLIF, decay_input
 *     H = (V - (V - V_rest) * d) + X          LIF / ParametricLIF, no decay_input
 *     S = Theta(H - V_th)                     (1 if H - V_th >= 0 else 0)
 *     V[t] = H * (1 - S) + V_reset * S        hard reset
 *     V[t] = H - V_th * S                     soft reset
 *     V[t] = H, out = V[t]                    non-spiking readout (no fire, no reset)
 *
 * (With V_rest = 0, V - V_rest == V exactly, so one formula covers dynamics.charge_lif's two.)
 *
 * Backward, one element, one step, going from t = T-1 down to 0. Incoming: gS = dL/dS[t] (the
 * spike output), gVout = dL/dV[t] (the voltage output), gV = dL/dV[t] through step t+1 (0 at
 * t = T-1). With sg = surrogate'(H - V_th) and nd = 0 if detach_reset else 1:
 *
 *     dS/dH = sg
 *     dV/dH = (1 - S) + (V_reset - H) * sg * nd    hard reset
 *     dV/dH = 1 - V_th * sg * nd                   soft reset
 *     dV/dH = 1, dS/dH = 0                         non-spiking (out is V itself)
 *     gH    = gS * sg + (gV + gVout) * dV/dH
 *     dL/dX[t]   = gH * dH/dX       dH/dX = 1 (IF, no decay_input), d (decay_input)
 *     dL/dV[t-1] = gH * dH/dV       dH/dV = 1 (IF), 1 - d (LIF)
 *     dL/dd     += gH * dH/dd       dH/dd = X - (V - V_rest) (decay_input), -(V - V_rest) (else)
 *
 * and dL/dV0 is dL/dV[-1]. The backward reads the forward's input X and output V and recomputes
 * H[t] = sa_charge(V[t-1], X[t]) (bitwise the forward's H) and S = sa_fire(H): it keeps nothing
 * but the forward's own input and output.
 *
 * Types: SA_DTYPE selects the storage type (sa_store) and the compute type (sa_real):
 *     0 float32 -> float, 1 float64 -> double (CPU and CUDA);
 *     2 float16, 3 bfloat16 -> stored as 16 bits, computed in float (CUDA only).
 * For the 16-bit types every forward operation is rounded to the storage type (SA_ROUND), as
 * torch rounds the result of each elementwise op, and the scalars (d, V_th, ...) are rounded too.
 */
#ifndef SPIKEAGENTS_NEURON_STEP_H
#define SPIKEAGENTS_NEURON_STEP_H

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define SA_CUDA 1
#define SA_DEVICE __device__ __forceinline__
#else
#include <math.h>
#define SA_DEVICE static inline __attribute__((always_inline))
#endif

#ifndef SA_DTYPE
#define SA_DTYPE 0
#endif

/* ---- types ---------------------------------------------------------------------------------- */
#if SA_DTYPE == 0
typedef float sa_real;
typedef float sa_store;
#define SA_EXP expf
#define SA_FABS fabsf
#define SA_LOAD(p) (p)
#define SA_STORE(x) (x)
#define SA_ROUND(x) (x)
#elif SA_DTYPE == 1
typedef double sa_real;
typedef double sa_store;
#define SA_EXP exp
#define SA_FABS fabs
#define SA_LOAD(p) (p)
#define SA_STORE(x) (x)
#define SA_ROUND(x) (x)
#elif (SA_DTYPE == 2 || SA_DTYPE == 3) && defined(SA_CUDA)
typedef float sa_real;
typedef unsigned short sa_store;
#define SA_EXP expf
#define SA_FABS fabsf
#if SA_DTYPE == 2
/* IEEE half <-> float with the hardware conversions (round to nearest even). */
SA_DEVICE float sa_half_to_float(unsigned short h) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
    return f;
}
SA_DEVICE unsigned short sa_float_to_half(float f) {
    unsigned short h;
    asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
    return h;
}
#define SA_LOAD(p) sa_half_to_float(p)
#define SA_STORE(x) sa_float_to_half(x)
#else
/* bfloat16 is the top half of a float: widen by shifting, narrow with round to nearest even. */
SA_DEVICE float sa_half_to_float(unsigned short h) {
    return __uint_as_float(((unsigned int)h) << 16);
}
SA_DEVICE unsigned short sa_float_to_half(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) return (unsigned short)((u >> 16) | 0x40u); /* NaN */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}
#define SA_LOAD(p) sa_half_to_float(p)
#define SA_STORE(x) sa_float_to_half(x)
#endif
#define SA_ROUND(x) sa_half_to_float(sa_float_to_half(x))
#else
#error "SA_DTYPE must be 0 (float32), 1 (float64), or 2/3 (float16/bfloat16, CUDA only)"
#endif

/* ---- configuration codes (kept in step with spikeagents/snn/kernels/_fused.py) --------------- */
#define SA_CHARGE_IF 0        /* H = V + X */
#define SA_CHARGE_LIF 1       /* H = V + (X - (V - V_rest)) * d        (decay_input) */
#define SA_CHARGE_LIF_NODI 2  /* H = (V - (V - V_rest) * d) + X        (no decay_input) */

#define SA_MODE_NONSPIKING 0  /* readout: V[t] = H, out = V */
#define SA_MODE_HARD 1        /* V[t] = H (1 - S) + V_reset S */
#define SA_MODE_SOFT 2        /* V[t] = H - V_th S */

/* surrogates: the order of spikeagents.snn.kernels._fused.SURROGATE_CODES */
#define SA_SUR_SIGMOID 0
#define SA_SUR_ATAN 1
#define SA_SUR_PIECEWISE_QUADRATIC 2
#define SA_SUR_PIECEWISE_EXP 3
#define SA_SUR_SOFT_SIGN 4
#define SA_SUR_NONZERO_SIGN_LOG_ABS 5
#define SA_SUR_ERF 6
#define SA_SUR_PIECEWISE_LEAKY_RELU 7

/* ---- forward ---------------------------------------------------------------------------------- */

/* Charge: H[t] = f(V[t-1], X[t]). d and v_rest are already in the storage precision. */
SA_DEVICE sa_real sa_charge(const int charge, sa_real v, sa_real x, sa_real d, sa_real v_rest) {
    if (charge == SA_CHARGE_IF) return SA_ROUND(v + x);
    if (charge == SA_CHARGE_LIF) {
        /* dynamics.charge_lif, decay_input: v + (x - (v - v_rest)) * decay */
        const sa_real leak = SA_ROUND(SA_ROUND(x - SA_ROUND(v - v_rest)) * d);
        return SA_ROUND(v + leak);
    }
    /* dynamics.charge_lif, no decay_input: v - (v - v_rest) * decay + x */
    const sa_real leaked = SA_ROUND(v - SA_ROUND(SA_ROUND(v - v_rest) * d));
    return SA_ROUND(leaked + x);
}

/* Fire: S = Theta(H - V_th), exactly surrogate.heaviside (NaN does not fire). */
SA_DEVICE sa_real sa_fire(sa_real h, sa_real v_th) {
    return SA_ROUND(h - v_th) >= (sa_real)0 ? (sa_real)1 : (sa_real)0;
}

/* Reset: hard V = H * (1 - S) + V_reset * S; soft V = H - V_th * S; non-spiking V = H. */
SA_DEVICE sa_real sa_reset(const int mode, sa_real h, sa_real s, sa_real v_th, sa_real v_reset) {
    if (mode == SA_MODE_HARD)
        return SA_ROUND(SA_ROUND(h * ((sa_real)1 - s)) + SA_ROUND(v_reset * s));
    if (mode == SA_MODE_SOFT) return SA_ROUND(h - SA_ROUND(v_th * s));
    return h;
}

/* ---- backward --------------------------------------------------------------------------------- */

/*
 * Surrogate derivative g'(x) at x = H - V_th: the closed forms of spikeagents/snn/surrogate.py.
 * p0 is alpha (w for the piecewise leaky ReLU), p1 is c (piecewise leaky ReLU only).
 */
SA_DEVICE sa_real sa_surrogate_grad(const int kind, sa_real x, sa_real p0, sa_real p1) {
    const sa_real one = (sa_real)1;
    if (kind == SA_SUR_SIGMOID) {
        /* g' = alpha * sigmoid(alpha x) * (1 - sigmoid(alpha x)) */
        const sa_real sg = one / (one + SA_EXP(-(p0 * x)));
        return p0 * sg * (one - sg);
    }
    if (kind == SA_SUR_ATAN) {
        /* g' = alpha / 2 / (1 + (pi/2 alpha x)^2) */
        const sa_real k = (sa_real)(1.57079632679489661923 * (double)p0) * x;
        return p0 / (sa_real)2 / (one + k * k);
    }
    if (kind == SA_SUR_PIECEWISE_QUADRATIC) {
        /* g' = max(0, alpha - alpha^2 |x|) */
        const sa_real g = p0 - p0 * p0 * SA_FABS(x);
        return g > (sa_real)0 ? g : (sa_real)0;
    }
    if (kind == SA_SUR_PIECEWISE_EXP) {
        /* g' = alpha / 2 * exp(-alpha |x|) */
        return p0 / (sa_real)2 * SA_EXP(-p0 * SA_FABS(x));
    }
    if (kind == SA_SUR_SOFT_SIGN) {
        /* g' = alpha / 2 / (1 + |alpha x|)^2 */
        const sa_real a = one + SA_FABS(p0 * x);
        return p0 / (sa_real)2 / (a * a);
    }
    if (kind == SA_SUR_NONZERO_SIGN_LOG_ABS) {
        /* g' = alpha / (1 + |alpha x|) */
        return p0 / (one + SA_FABS(p0 * x));
    }
    if (kind == SA_SUR_ERF) {
        /* g' = alpha / sqrt(pi) * exp(-(alpha x)^2) */
        const sa_real ax = p0 * x;
        return (sa_real)(0.56418958354775628695 * (double)p0) * SA_EXP(-(ax * ax));
    }
    /* SA_SUR_PIECEWISE_LEAKY_RELU: g' = 1 / (2 w) if |x| <= w else c */
    return SA_FABS(x) <= p0 ? one / ((sa_real)2 * p0) : p1;
}

/*
 * gH = gS * sg + gV * dV/dH, with gV the total gradient of V[t] (next step + voltage output).
 * For a non-spiking readout (out is V) gH = gV: pass gS = 0.
 */
SA_DEVICE sa_real sa_grad_h(const int mode, const int detach, sa_real h, sa_real sg, sa_real g_s,
                            sa_real g_v, sa_real v_th, sa_real v_reset) {
    if (mode == SA_MODE_NONSPIKING) return g_v;
    sa_real dv_dh;
    if (mode == SA_MODE_HARD) {
        const sa_real s = sa_fire(h, v_th);
        dv_dh = (sa_real)1 - s; /* dV/dH through H itself */
        if (!detach) dv_dh = dv_dh + (v_reset - h) * sg; /* ... and through S */
    } else {
        dv_dh = (sa_real)1;
        if (!detach) dv_dh = dv_dh - v_th * sg;
    }
    return g_s * sg + g_v * dv_dh;
}

/* dH/dX: 1 for IF and LIF without decay_input, d for decay_input. */
SA_DEVICE sa_real sa_dh_dx(const int charge, sa_real d) {
    return charge == SA_CHARGE_LIF ? d : (sa_real)1;
}

/* dH/dV[t-1]: 1 for IF, 1 - d for LIF. */
SA_DEVICE sa_real sa_dh_dv(const int charge, sa_real d) {
    return charge == SA_CHARGE_IF ? (sa_real)1 : (sa_real)1 - d;
}

/* dH/dd: X - (V - V_rest) with decay_input, -(V - V_rest) without, 0 for IF. */
SA_DEVICE sa_real sa_dh_dd(const int charge, sa_real v_prev, sa_real x, sa_real v_rest) {
    if (charge == SA_CHARGE_LIF) return x - (v_prev - v_rest);
    if (charge == SA_CHARGE_LIF_NODI) return -(v_prev - v_rest);
    return (sa_real)0;
}

#endif /* SPIKEAGENTS_NEURON_STEP_H */
