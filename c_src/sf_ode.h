/*
 * spinnframe kernel SDK: adaptive ODE integration for kernels whose equations have no
 * exact solution (conductance-based, exponential, Hodgkin-Huxley models).
 *
 * The method is the Runge-Kutta-Fehlberg 4(5) pair with the standard step-size control of
 * the GNU Scientific Library, which is what NEST's conductance-based neurons use
 * (gsl_odeiv_step_rkf45 with gsl_odeiv_control_y_new / _yp_new, evolved over each time
 * step, the step-size suggestion kept per neuron between time steps). Using the same
 * scheme and the same tolerances makes results comparable with NEST's to within the
 * tolerance, not just to within the time step.
 *
 * Usage in a kernel (host engine only; not available with SPINNFRAME_FIXED_POINT):
 *
 *     #include "sf_ode.h"
 *     static inline void rhs(const double *y, double *dydt, const void *ctx) { ... }
 *     ...
 *     sf_ode_control c = sf_ode_control_y(1e-3, 0.0);      // like gsl_odeiv_control_y_new
 *     int rc = sf_ode_evolve(rhs, p, 3, y, ctx->dt, &s->h, &c);
 *
 * `s->h` is a per-neuron internal state variable (kind "real") holding the suggested
 * internal step; initialise it to 0 (meaning "start with dt").
 */
#ifndef SPINNFRAME_SF_ODE_H
#define SPINNFRAME_SF_ODE_H

#ifdef SPINNFRAME_FIXED_POINT
#error "sf_ode.h needs double precision; it is not available on fixed-point targets"
#endif

#include <math.h>
#include <float.h>
#include <string.h>

#define SF_ODE_MAX_DIM 16

/* Right-hand side: dydt = f(y). The equations of a time step are autonomous (inputs are
 * constant within a step), so no time argument is passed. */
typedef void (*sf_ode_fn)(const double *y, double *dydt, const void *ctx);

/* Error control: a step is accepted when, for every component,
 *   |err_i| <= 1.1 * (eps_abs + eps_rel * (a_y |y_i| + a_dydt h |dydt_i|)). */
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

#endif /* SPINNFRAME_SF_ODE_H */
