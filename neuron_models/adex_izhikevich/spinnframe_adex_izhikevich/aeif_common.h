/* Shared part of the two adaptive exponential integrate-and-fire kernels
 * (EIF_cond_exp_isfa_ista, EIF_cond_alpha_isfa_ista).
 *
 * Included by the kernels after the generated structs (sf_params_t, sf_derived_t), so the
 * helpers below see the model's own parameter layout. Both models declare the same
 * parameter names and the derived constants g_L, C_m, I_e, b_pA and v_detect.
 *
 * Integration follows NEST's aeif_cond_exp / aeif_cond_alpha, in NEST's units (mV, pF,
 * nS, pA, ms), because GSL's error control compares absolute errors in those units: the
 * same units give the same internal step sizes.
 *
 *   - Runge-Kutta-Fehlberg 4(5) steps (sf_rkf45_step from sf_ode.h), with GSL's standard
 *     step-size control built as gsl_odeiv_control_yp_new(tol, tol): eps_abs = eps_rel =
 *     gsl_error_tol = 1e-6, a_y = 0, a_dydt = 1. (sf_ode_control_yp() in sf_ode.h sets
 *     a_y = 1, which is not GSL's yp control, so the struct is filled in here.)
 *   - NEST advances one time step by calling gsl_odeiv_evolve_apply repeatedly; each call
 *     makes exactly one accepted internal step, and after each one NEST checks for a spike
 *     (v >= V_peak: v = V_reset, w += b, refractory counter set) so that a spike in the
 *     middle of a time step resets v there and the rest of the step is integrated from the
 *     reset. sf_ode_evolve integrates a whole time step without such a hook, so the
 *     single-step "apply" is written here (aeif_apply), reproducing GSL's evolve_apply:
 *     truncation of the last step to the end of the interval, retry with a smaller step
 *     when the error is too large, suggested step carried to the next call (and the next
 *     time step). The first step tried is the whole time step dt.
 *   - While refractory, the equations see v = V_reset and dv/dt = 0, and v is put back to
 *     V_reset after every internal step. Otherwise the equations see min(v, V_peak), so
 *     the exponential cannot run away between the detection points.
 */
#ifndef SPINNFRAME_AEIF_COMMON_H
#define SPINNFRAME_AEIF_COMMON_H

#include <float.h>
#include <math.h>
#include <string.h>
#include "sf_ode.h"

/* NEST raises NumericalInstability when an internal step leaves v < -1000 mV or
 * |w| > 1e6 pA. A kernel cannot raise, so those bounds clamp the state instead. */
#define AEIF_V_MIN SF_REAL(-1e3)
#define AEIF_W_LIMIT SF_REAL(1e3 * SF_UNITS_PER_PYNN)   /* 1e6 pA on the host */
/* NEST's default gsl_error_tol for the aeif models (pyNN.nest leaves it unchanged).
 * Overridable at compile time (SPINNFRAME_CFLAGS=-DAEIF_GSL_ERROR_TOL=...) to measure how
 * far NEST's tolerance is from the exact solution. */
#ifndef AEIF_GSL_ERROR_TOL
#define AEIF_GSL_ERROR_TOL 1e-6
#endif
/* NEST refuses parameters with (V_peak - V_th) / Delta_T >= log(DBL_MAX / 1e20) (the
 * exponential would overflow at the peak). PyNN parameters are checked one at a time, so
 * such a combination reaches the kernel; the exponent is capped there, which leaves every
 * combination NEST accepts unchanged and keeps the state finite for the others. */
#define AEIF_EXP_ARG_MAX SF_REAL(663.7310110335031) /* log(DBL_MAX / 1e20) */
/* Guard against a step size that no longer advances time: more internal steps than this
 * in one time step counts as a failure (see aeif_fail); ordinary dynamics need far
 * fewer, even in a burst of several spikes per step. */
#define AEIF_MAX_STEPS 100000

/* What the right-hand side needs besides y: parameters, derived constants, whether the
 * neuron is refractory (changes in the middle of a step after a spike) and the injected
 * current during this step (pA). */
typedef struct aeif_rhs_ctx {
    const sf_params_t *p;
    const sf_derived_t *d;
    int refractory;
    sf_real i_stim;
} aeif_rhs_ctx;

/* The membrane potential the equations use: V_reset while refractory, else v bounded
 * above by V_peak (v_spike; not the detection threshold, which is v_thresh if
 * delta_T == 0, as in NEST). */
static inline sf_real aeif_v_eff(const aeif_rhs_ctx *c, sf_real v) {
    if (c->refractory) return c->p->v_reset;
    return (c->p->v_spike < v) ? c->p->v_spike : v;
}

/* dv/dt (mV/ms) and dw/dt (pA/ms) for the effective potential V, conductances in nS and
 * w in pA. Written term by term in the order NEST sums them, so that rounding agrees. */
static inline void aeif_membrane(const aeif_rhs_ctx *c, sf_real V, sf_real g_ex,
                                 sf_real g_in, sf_real w, sf_real *dv, sf_real *dw) {
    const sf_params_t *p = c->p;
    const sf_derived_t *d = c->d;
    const sf_real i_syn_exc = g_ex * (V - p->e_rev_E);
    const sf_real i_syn_inh = g_in * (V - p->e_rev_I);
    sf_real i_spike = SF_REAL(0.0);
    if (p->delta_T != SF_REAL(0.0)) {
        sf_real arg = (V - p->v_thresh) / p->delta_T;
        if (arg > AEIF_EXP_ARG_MAX) arg = AEIF_EXP_ARG_MAX;
        i_spike = d->g_L * p->delta_T * SF_EXP(arg);
    }
    *dv = c->refractory ? SF_REAL(0.0)
        : (-d->g_L * (V - p->v_rest) + i_spike - i_syn_exc - i_syn_inh - w + d->I_e
           + c->i_stim) / d->C_m;
    *dw = (p->a * (V - p->v_rest) - w) / p->tau_w;
}

/* A spike check after every internal step: while refractory v is held at V_reset, else a
 * crossing of v_detect resets v, adds b to w (y[iw]) and starts the refractory counter.
 * Returns 1 for a spike. */
static inline uint32_t aeif_detect(const aeif_rhs_ctx *ctx, sf_real *y, int iw,
                                   int32_t *refrac) {
    if (*refrac > 0) {
        y[0] = ctx->p->v_reset;
        return 0;
    }
    if (y[0] >= ctx->d->v_detect) {
        y[0] = ctx->p->v_reset;
        y[iw] += ctx->d->b_pA;                       /* spike-triggered adaptation */
        *refrac = ctx->d->refrac_steps > 0 ? ctx->d->refrac_steps + 1 : 0;
        return 1;
    }
    return 0;
}

/* Where NEST would stop with NumericalInstability (checked after each internal step, so a
 * spike's w += b is bounded as well). */
static inline void aeif_bound(sf_real *y, int iw) {
    if (y[0] < AEIF_V_MIN) y[0] = AEIF_V_MIN;
    if (y[iw] > AEIF_W_LIMIT) y[iw] = AEIF_W_LIMIT;
    if (y[iw] < -AEIF_W_LIMIT) y[iw] = -AEIF_W_LIMIT;
}

#ifdef SPINNFRAME_FIXED_POINT
/* Fixed-point targets: the time step in sf_ode.h's fixed RK4 substeps, with the spike
 * check after each substep (the host's adaptive scheme below checks after each accepted
 * step). Returns the number of spikes; *h receives the substep. */
static inline uint32_t aeif_advance(sf_ode_fn f, aeif_rhs_ctx *ctx, int n, sf_real *y, int iw,
                                    int32_t *refrac, sf_real *h, sf_real dt) {
    sf_real hs, left = dt;
    const int steps = sf_ode_substeps(dt, &hs);
    uint32_t spikes = 0;
    for (int i = 0; i < steps; i++) {
        ctx->refractory = *refrac > 0;
        sf_rk4_step(f, ctx, n, y, sf_ode_substep(i, steps, hs, &left));
        spikes += aeif_detect(ctx, y, iw, refrac);
        aeif_bound(y, iw);
    }
    *h = hs;
    return spikes;
}
#else
/* One accepted internal step from *t towards t1, as gsl_odeiv_evolve_apply with the
 * rkf45 stepper and the standard control: returns 0, or -1 if the error estimate is not
 * finite (the state is then invalid). *h is the step to try and, on return, the step
 * suggested for the next call. */
static inline int aeif_apply(sf_ode_fn f, const aeif_rhs_ctx *ctx, int n, double *y,
                             double *t, double t1, double *h, const sf_ode_control *c) {
    double y0[SF_ODE_MAX_DIM], k1[SF_ODE_MAX_DIM], err[SF_ODE_MAX_DIM], yp[SF_ODE_MAX_DIM];
    const double t0 = *t;
    const double span = t1 - t0;
    double h0 = *h;
    memcpy(y0, y, (size_t)n * sizeof(double));
    f(y0, k1, ctx);                      /* derivative at the start, reused by retries */
    for (;;) {
        int final_step = 0;
        if (h0 > span) {                 /* never step past the end of the interval */
            h0 = span;
            final_step = 1;
        }
        sf_rkf45_step(f, ctx, n, y0, k1, h0, y, err);
        const double t_new = final_step ? t1 : t0 + h0;
        f(y, yp, ctx);                   /* derivative at the end, for the yp control */
        double rmax = DBL_MIN;
        for (int i = 0; i < n; i++) {
            const double d0 = c->eps_rel * (c->a_y * fabs(y[i]) + c->a_dydt * fabs(h0 * yp[i]))
                              + c->eps_abs;
            const double r = fabs(err[i]) / fabs(d0);
            /* max as GSL takes it, except that a NaN, once met, is kept */
            if (!(r <= rmax) && rmax == rmax) rmax = r;
        }
        if (!isfinite(rmax)) {
            memcpy(y, y0, (size_t)n * sizeof(double));   /* back to the last good state */
            return -1;
        }
        const double h_old = h0;
        if (rmax > 1.1) {                /* too large an error: shrink (at most by 5) */
            double r = 0.9 / pow(rmax, 1.0 / 5.0);
            if (r < 0.2) r = 0.2;
            h0 = r * h_old;
            if (fabs(h0) < fabs(h_old) && t_new + h0 != t_new)
                continue;                /* redo the step from y0 with the smaller size */
            h0 = h_old;                  /* cannot shrink any more: accept */
        } else if (rmax < 0.5) {         /* comfortably accurate: grow (at most by 5) */
            double r = 0.9 / pow(rmax, 1.0 / 6.0);
            if (r > 5.0) r = 5.0;
            if (r < 1.0) r = 1.0;
            h0 = r * h_old;
        }
        *t = t_new;
        *h = h0;
        return 0;
    }
}

/* Deterministic recovery from a failed integration (non-finite error estimate, or a
 * step size that no longer advances time): from the last accepted state, v goes to
 * V_reset, non-finite components to 0, the step size suggestion is reset, and the rest of
 * the time step is skipped. NEST would stop the simulation with an error instead. */
static inline void aeif_fail(double *y, int n, double *h, double v_reset) {
    y[0] = v_reset;
    for (int i = 1; i < n; i++)
        if (!isfinite(y[i])) y[i] = 0.0;
    *h = 0.0;
}

/* Advance y (y[0] = v, y[iw] = w in pA) over one time step dt as NEST's aeif update does,
 * with spike detection and reset after every internal step. Returns the number of spikes
 * (more than one only when tau_refrac rounds to 0 steps). *refrac is NEST's counter:
 * set to refrac_steps + 1 at a spike (0 if refrac_steps is 0), decremented by the caller
 * at the end of the step. */
static inline uint32_t aeif_advance(sf_ode_fn f, aeif_rhs_ctx *ctx, int n, double *y, int iw,
                                    int32_t *refrac, double *h, double dt) {
    /* gsl_odeiv_control_yp_new(tol, tol): eps_abs = eps_rel = tol, a_y = 0, a_dydt = 1 */
    const sf_ode_control ctl = {AEIF_GSL_ERROR_TOL, AEIF_GSL_ERROR_TOL, 0.0, 1.0};
    uint32_t spikes = 0;
    double t = 0.0;
    int steps = 0;
    /* The first internal step tried is the whole time step. (Some NEST versions' source
     * reads min(0.01 ms, resolution) here; NEST 3.10's output is reproduced bit for bit
     * by starting with the resolution, and differs by up to 2e-3 mV with 0.01 ms.) */
    if (!(*h > 0.0)) *h = dt;
    while (t < dt) {
        ctx->refractory = *refrac > 0;
        const int failed = aeif_apply(f, ctx, n, y, &t, dt, h, &ctl) != 0
                           || ++steps > AEIF_MAX_STEPS;
        if (failed)
            aeif_fail(y, n, h, ctx->p->v_reset);
        else
            spikes += aeif_detect(ctx, y, iw, refrac);
        aeif_bound(y, iw);
        if (failed) break;               /* the rest of this time step is skipped */
    }
    return spikes;
}
#endif /* SPINNFRAME_FIXED_POINT */

/* Derived constants common to both models, in NEST's units, computed with the same
 * expressions as pyNN.nest's translations (g_L = cm / tau_m * 1000 etc.). */
#define AEIF_PREPARE_COMMON(p, d, ctx)                                                  \
    do {                                                                                \
        (d)->g_L = (p)->cm / (p)->tau_m * SF_UNITS_PER_PYNN;    /* nS */                 \
        (d)->C_m = (p)->cm * SF_UNITS_PER_PYNN;                 /* pF */                 \
        (d)->I_e = (p)->i_offset * SF_UNITS_PER_PYNN;           /* pA */                 \
        (d)->b_pA = (p)->b * SF_UNITS_PER_PYNN;                 /* pA */                 \
        /* with delta_T = 0 the model is an IF neuron and fires at v_thresh (NEST) */   \
        (d)->v_detect = (p)->delta_T > 0.0 ? (p)->v_spike : (p)->v_thresh;             \
        (d)->refrac_steps = sf_duration_steps((p)->tau_refrac, (ctx)->dt);              \
    } while (0)

/* The public state is in PyNN units (nA, uS); the integration runs on shadow copies in
 * NEST units (pA, nS) so that values carry over between steps without a round trip
 * through the unit conversion. A public value that no longer equals its shadow's
 * conversion was set by the user (initialize()) and replaces the shadow. */
static inline void aeif_sync(sf_real public_value, sf_real *shadow) {
    if (public_value != *shadow * SF_PYNN_PER_UNIT) *shadow = public_value * SF_UNITS_PER_PYNN;
}

#endif /* SPINNFRAME_AEIF_COMMON_H */
