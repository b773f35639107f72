/*
 * spinnframe kernel SDK: ODE integration for kernels whose equations have no exact
 * solution (conductance-based, exponential, Hodgkin-Huxley models).
 *
 * Host (double): the Runge-Kutta-Fehlberg 4(5) pair with the standard step-size control
 * of the GNU Scientific Library, which is what NEST's conductance-based neurons use
 * (gsl_odeiv_step_rkf45 with gsl_odeiv_control_y_new / _yp_new, evolved over each time
 * step, the step-size suggestion kept per neuron between time steps). Using the same
 * scheme and the same tolerances makes results comparable with NEST's to within the
 * tolerance, not just to within the time step.
 *
 * Fixed-point targets (SPINNFRAME_FIXED_POINT, s16.15): step-size control needs error
 * norms, powers and a retry loop that fixed point resolves poorly, and SpiNNaker's own
 * models use fixed steps, so there each time step is split into n equal substeps, the
 * fewest no longer than SF_ODE_FIXED_MAX_STEP (default 1/32 ms: 4 substeps at dt = 0.1 ms,
 * 32 at dt = 1 ms), each one classical Runge-Kutta step of order 4 (four evaluations of
 * the right-hand side). The truncation error of the scheme is far below the resolution of
 * s16.15 for the time constants of the bundled models (>= 0.1 ms); what limits precision
 * is the rounding of every operation to 2^-15 (~3e-5), which accumulates to about
 * 4 n 2^-15 per component per time step at worst, before the dynamics damp it. The
 * tolerances (sf_ode_control) and the suggested step *h are not used there; *h receives
 * the substep used. The step must be stable: explicit RK4 needs substep x (fastest rate)
 * < 2.7, which 1/32 ms gives for rates up to ~85 per ms.
 *
 * Usage in a kernel (one source for both targets: write the right-hand side in sf_real
 * with the SF_ macros of spinnframe_kernel.h):
 *
 *     #include "sf_ode.h"
 *     static void rhs(const sf_real *y, sf_real *dydt, const void *ctx) { ... }
 *     ...
 *     sf_ode_control c = sf_ode_control_y(1e-3, 0.0);      // like gsl_odeiv_control_y_new
 *     int rc = sf_ode_evolve(rhs, p, 3, y, SF_DT(ctx), &s->h, &c);
 *
 * `s->h` is a per-neuron internal state variable (kind "real") holding the suggested
 * internal step; initialise it to 0 (meaning "start with dt").
 */
#ifndef SPINNFRAME_SF_ODE_H
#define SPINNFRAME_SF_ODE_H

#include <math.h>
#include <float.h>
#include <string.h>
#include "spinnframe_kernel.h"   /* sf_real, SF_REAL */

#define SF_ODE_MAX_DIM 16

/* Right-hand side: dydt = f(y). The equations of a time step are autonomous (inputs are
 * constant within a step), so no time argument is passed. */
typedef void (*sf_ode_fn)(const sf_real *y, sf_real *dydt, const void *ctx);

/* Error control: a step is accepted when, for every component,
 *   |err_i| <= 1.1 * (eps_abs + eps_rel * (a_y |y_i| + a_dydt h |dydt_i|)).
 * (Host only; on fixed-point targets the struct is accepted and ignored.) */
typedef struct sf_ode_control {
    double eps_abs, eps_rel, a_y, a_dydt;
} sf_ode_control;

static inline sf_ode_control sf_ode_control_y(double eps_abs, double eps_rel) {
    sf_ode_control c = {eps_abs, eps_rel, 1.0, 0.0};
    return c;
}

/* As gsl_odeiv_control_yp_new: the relative part weighs only the derivative (a_y = 0). */
static inline sf_ode_control sf_ode_control_yp(double eps_abs, double eps_rel) {
    sf_ode_control c = {eps_abs, eps_rel, 0.0, 1.0};
    return c;
}

#ifdef SPINNFRAME_FIXED_POINT

#ifndef SF_ODE_FIXED_MAX_STEP
#define SF_ODE_FIXED_MAX_STEP SF_REAL(0.03125)
#endif

/* The number of substeps for a time step t_end and the substep length (*hs). */
static inline int sf_ode_substeps(sf_real t_end, sf_real *hs) {
    int n = 1;
    for (sf_real covered = SF_ODE_FIXED_MAX_STEP; covered < t_end;
         covered += SF_ODE_FIXED_MAX_STEP)
        n++;
    *hs = t_end / n;
    return n;
}

/* The length of substep i of steps: hs, except the last, which takes what the division
 * left over (*left: the rest of the time step), so that the substeps add up to it. */
static inline sf_real sf_ode_substep(int i, int steps, sf_real hs, sf_real *left) {
    const sf_real h = i + 1 < steps ? hs : *left;
    *left -= h;
    return h;
}

/* One classical RK4 step of size h: y <- y + h (k1 + 2 k2 + 2 k3 + k4) / 6. */
static inline void sf_rk4_step(sf_ode_fn f, const void *ctx, int n, sf_real *y, sf_real h) {
    sf_real k[SF_ODE_MAX_DIM], sum[SF_ODE_MAX_DIM], tmp[SF_ODE_MAX_DIM];
    const sf_real half = h * SF_REAL(0.5), sixth = h / SF_REAL(6.0);
    f(y, k, ctx);
    for (int i = 0; i < n; i++) { sum[i] = k[i]; tmp[i] = y[i] + half * k[i]; }
    f(tmp, k, ctx);
    for (int i = 0; i < n; i++) { sum[i] += k[i] + k[i]; tmp[i] = y[i] + half * k[i]; }
    f(tmp, k, ctx);
    for (int i = 0; i < n; i++) { sum[i] += k[i] + k[i]; tmp[i] = y[i] + h * k[i]; }
    f(tmp, k, ctx);
    for (int i = 0; i < n; i++) y[i] += sixth * (sum[i] + k[i]);
}

/* Integrate y over [0, t_end] in fixed substeps (see the top of the file). Returns the
 * number of substeps; never fails. */
static inline int sf_ode_evolve(sf_ode_fn f, const void *ctx, int n, sf_real *y,
                                sf_real t_end, sf_real *h, const sf_ode_control *c) {
    (void)c;
    sf_real hs, left = t_end;
    const int steps = sf_ode_substeps(t_end, &hs);
    for (int i = 0; i < steps; i++) sf_rk4_step(f, ctx, n, y, sf_ode_substep(i, steps, hs, &left));
    *h = hs;
    return steps;
}

#else /* host: double precision, adaptive */

/* One RKF45 step of size h from y (k1 = f(y) given); writes y_out and the error estimate. */
static inline void sf_rkf45_step(sf_ode_fn f, const void *ctx, int n, const double *y,
                                 const double *k1, double h, double *y_out, double *err) {
    double k2[SF_ODE_MAX_DIM], k3[SF_ODE_MAX_DIM], k4[SF_ODE_MAX_DIM], k5[SF_ODE_MAX_DIM],
        k6[SF_ODE_MAX_DIM], tmp[SF_ODE_MAX_DIM];
    for (int i = 0; i < n; i++) tmp[i] = y[i] + h * (1.0 / 4.0) * k1[i];
    f(tmp, k2, ctx);
    for (int i = 0; i < n; i++) tmp[i] = y[i] + h * (3.0 / 32.0 * k1[i] + 9.0 / 32.0 * k2[i]);
    f(tmp, k3, ctx);
    for (int i = 0; i < n; i++)
        tmp[i] = y[i] + h * (1932.0 / 2197.0 * k1[i] - 7200.0 / 2197.0 * k2[i]
                             + 7296.0 / 2197.0 * k3[i]);
    f(tmp, k4, ctx);
    for (int i = 0; i < n; i++)
        tmp[i] = y[i] + h * (8341.0 / 4104.0 * k1[i] - 32832.0 / 4104.0 * k2[i]
                             + 29440.0 / 4104.0 * k3[i] - 845.0 / 4104.0 * k4[i]);
    f(tmp, k5, ctx);
    for (int i = 0; i < n; i++)
        tmp[i] = y[i] + h * (-6080.0 / 20520.0 * k1[i] + 41040.0 / 20520.0 * k2[i]
                             - 28352.0 / 20520.0 * k3[i] + 9295.0 / 20520.0 * k4[i]
                             - 5643.0 / 20520.0 * k5[i]);
    f(tmp, k6, ctx);
    for (int i = 0; i < n; i++) {
        y_out[i] = y[i] + h * (902880.0 / 7618050.0 * k1[i] + 3953664.0 / 7618050.0 * k3[i]
                               + 3855735.0 / 7618050.0 * k4[i] - 1371249.0 / 7618050.0 * k5[i]
                               + 277020.0 / 7618050.0 * k6[i]);
        err[i] = h * (1.0 / 360.0 * k1[i] - 128.0 / 4275.0 * k3[i] - 2197.0 / 75240.0 * k4[i]
                      + 1.0 / 50.0 * k5[i] + 2.0 / 55.0 * k6[i]);
    }
}

/* Integrate y over [0, t_end] with adaptive steps. *h holds the step size suggested by the
 * previous call (0: start with t_end) and is updated for the next call.
 * Returns the number of accepted steps, or -1 if the step size underflowed or y stopped
 * being finite; y then holds the last finite state (the caller decides what the neuron
 * does, e.g. marks its state invalid). */
static inline int sf_ode_evolve(sf_ode_fn f, const void *ctx, int n, double *y, double t_end,
                                double *h, const sf_ode_control *c) {
    const double order = 5.0, safety = 0.9;
    double y0[SF_ODE_MAX_DIM], k1[SF_ODE_MAX_DIM], err[SF_ODE_MAX_DIM], yp[SF_ODE_MAX_DIM];
    double t = 0.0;
    double step = (*h > 0.0) ? *h : t_end;
    int accepted = 0;
    while (t < t_end) {
        double h0 = step;
        int final_step = 0;
        if (h0 > t_end - t) {
            h0 = t_end - t;
            final_step = 1;
        }
        memcpy(y0, y, (size_t)n * sizeof(double));
        f(y0, k1, ctx);
        for (;;) {
            sf_rkf45_step(f, ctx, n, y0, k1, h0, y, err);
            if (c->a_dydt != 0.0) f(y, yp, ctx);
            /* the largest error ratio, compared as GSL does (a NaN ratio is ignored, an
             * infinite one shrinks the step); a state that is no longer finite is reported */
            double rmax = DBL_MIN;
            int finite = 1;
            for (int i = 0; i < n; i++) {
                const double d = c->eps_rel * (c->a_y * fabs(y[i])
                                 + (c->a_dydt != 0.0 ? c->a_dydt * fabs(h0 * yp[i]) : 0.0))
                                 + c->eps_abs;
                const double r = fabs(err[i]) / fabs(d);
                if (r > rmax) rmax = r;
                if (!isfinite(y[i])) finite = 0;
            }
            if (!finite) {
                memcpy(y, y0, (size_t)n * sizeof(double));
                return -1;
            }
            const double h_old = h0;
            if (rmax > 1.1) {
                double r = safety / pow(rmax, 1.0 / order);
                if (r < 0.2) r = 0.2;
                h0 = r * h_old;
                if (h0 < h_old && t + h0 != t) {   /* retry the step with the smaller size */
                    final_step = 0;
                    continue;
                }
                h0 = h_old;                        /* precision limit: accept */
                if (h0 < 1e-12 * t_end || isinf(rmax)) {
                    memcpy(y, y0, (size_t)n * sizeof(double));
                    return -1;
                }
            } else if (rmax < 0.5) {
                double r = safety / pow(rmax, 1.0 / (order + 1.0));
                if (r > 5.0) r = 5.0;
                if (r < 1.0) r = 1.0;
                h0 = r * h_old;
            }
            t = final_step ? t_end : t + h_old;
            step = h0;
            accepted++;
            break;
        }
    }
    *h = step;
    return accepted;
}

#endif /* SPINNFRAME_FIXED_POINT */

#endif /* SPINNFRAME_SF_ODE_H */
