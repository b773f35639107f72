/* HH_cond_exp kernel: single-compartment Hodgkin-Huxley neuron with Traub & Miles (1991)
 * sodium and potassium channels and exponentially decaying synaptic conductances, with
 * the semantics of NEST's hh_cond_exp_traub. The declaration (parameters, state, derived
 * constants) is in __init__.py; the structs used here are generated from it.
 *
 * The equations have no closed-form solution, so every time step is integrated with the
 * adaptive Runge-Kutta-Fehlberg 4(5) scheme of sf_ode.h, with the step-size control NEST
 * uses for this model (gsl_odeiv_control_y_new(1e-3, 0): absolute error 1e-3 on every
 * component). The tolerance applies to the numbers the integrator sees, so the ODE is
 * written in NEST's units (mV, nS, pF, pA) rather than PyNN's (uS, nF, nA): then the same
 * error test accepts and rejects the same internal steps as NEST does. */
#include "sf_ode.h"

/* Dead time of the spike detector (ms): NEST's default t_ref for hh_cond_exp_traub, which
 * pyNN.nest leaves unchanged because PyNN's HH_cond_exp has no refractory parameter. */
#define HH_DETECTOR_DEAD_TIME_MS 2.0

/* Index of each component in the integrated vector. */
enum { HH_V = 0, HH_M, HH_H, HH_N, HH_GE, HH_GI, HH_DIM };

/* What the right-hand side needs besides y: parameters in NEST units and the current
 * injected during this step (pA). */
typedef struct hh_rhs_ctx {
    const sf_params_t *p;
    const sf_derived_t *d;
    sf_real i_stim;
} hh_rhs_ctx;

/* c * x / (exp(x / k) - 1), the form of the Traub-Miles alpha_n and alpha_m (and beta_m).
 * Evaluated as NEST writes it, so that results agree to rounding; only where the
 * denominator rounds to exactly 0 (x within about 1e-16 k of 0, where NEST gets 0/0 = NaN)
 * the removable singularity is replaced by its limit c * k. */
static inline sf_real hh_vtrap(sf_real c, sf_real x, sf_real k) {
    const sf_real den = SF_EXP(x / k) - SF_REAL(1.);
    if (den == SF_REAL(0.0)) return c * k;
    return c * x / den;
}

static void hh_rhs(const sf_real *y, sf_real *f, const void *vctx) {
    const hh_rhs_ctx *c = (const hh_rhs_ctx *)vctx;
    const sf_params_t *p = c->p;
    const sf_derived_t *d = c->d;
    const sf_real v = y[HH_V];
    /* ionic currents (pA), left to right as in NEST so rounding matches */
    const sf_real i_na = d->g_na * y[HH_M] * y[HH_M] * y[HH_M] * y[HH_H] * (v - p->e_rev_Na);
    const sf_real i_k = d->g_k * y[HH_N] * y[HH_N] * y[HH_N] * y[HH_N] * (v - p->e_rev_K);
    const sf_real i_l = d->g_l * (v - p->e_rev_leak);
    const sf_real i_syn_exc = y[HH_GE] * (v - p->e_rev_E);
    const sf_real i_syn_inh = y[HH_GI] * (v - p->e_rev_I);
    f[HH_V] = (-i_na - i_k - i_l - i_syn_exc - i_syn_inh + c->i_stim + d->i_e) / d->c_m;

    /* gating kinetics (1/ms), with v measured from v_offset (NEST's V_T) */
    const sf_real u = v - p->v_offset;
    const sf_real alpha_n = hh_vtrap(SF_REAL(0.032), SF_REAL(15.) - u, SF_REAL(5.));
    const sf_real beta_n = SF_REAL(0.5) * SF_EXP((SF_REAL(10.) - u) / SF_REAL(40.));
    const sf_real alpha_m = hh_vtrap(SF_REAL(0.32), SF_REAL(13.) - u, SF_REAL(4.));
    const sf_real beta_m = hh_vtrap(SF_REAL(0.28), u - SF_REAL(40.), SF_REAL(5.));
    const sf_real alpha_h = SF_REAL(0.128) * SF_EXP((SF_REAL(17.) - u) / SF_REAL(18.));
    const sf_real beta_h = SF_REAL(4.) / (SF_REAL(1.) + SF_EXP((SF_REAL(40.) - u) / SF_REAL(5.)));
    f[HH_M] = alpha_m - (alpha_m + beta_m) * y[HH_M];
    f[HH_H] = alpha_h - (alpha_h + beta_h) * y[HH_H];
    f[HH_N] = alpha_n - (alpha_n + beta_n) * y[HH_N];

    f[HH_GE] = -y[HH_GE] / p->tau_syn_E;
    f[HH_GI] = -y[HH_GI] / p->tau_syn_I;
}

/* 1 if every component is finite. sf_ode_evolve's NaN check is not enough on its own: a
 * NaN error estimate is caught only if no later component has a finite one (as in GSL,
 * whose step control ignores NaN), so a NaN state could be accepted. */
static inline int hh_all_finite(const sf_real *y) {
    for (int i = 0; i < HH_DIM; i++)
        if (!SF_ISFINITE(y[i])) return 0;
    return 1;
}

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    /* PyNN units -> NEST units, with the same operations pyNN.nest applies (x * 1000.0) */
    d->g_na = p->gbar_Na * SF_UNITS_PER_PYNN;
    d->g_k = p->gbar_K * SF_UNITS_PER_PYNN;
    d->g_l = p->g_leak * SF_UNITS_PER_PYNN;
    d->c_m = p->cm * SF_UNITS_PER_PYNN;
    d->i_e = p->i_offset * SF_UNITS_PER_PYNN;
    /* PyNN's HH_cond_exp has no refractory parameter; NEST's t_ref keeps its default,
     * 2 ms, a dead time of the spike detector only (the dynamics are not clamped). */
    d->refrac_steps = sf_duration_steps(HH_DETECTOR_DEAD_TIME_MS, ctx->dt);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)s; (void)ctx; (void)neuron;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    const sf_real v_old = s->v;
    /* conductances enter the integrator in nS (see the top of the file) */
    sf_real y[HH_DIM] = {s->v, s->m, s->h, s->n, s->gsyn_exc * SF_REAL(SF_UNITS_PER_PYNN),
                          s->gsyn_inh * SF_REAL(SF_UNITS_PER_PYNN)};
    const hh_rhs_ctx rc = {p, d, in->i_inj * SF_REAL(SF_UNITS_PER_PYNN)};
    const sf_ode_control ctl = sf_ode_control_y(1e-3, 0.0);
    if (sf_ode_evolve(hh_rhs, &rc, HH_DIM, y, SF_DT(ctx), &s->ode_step, &ctl) < 0
        || !hh_all_finite(y)) {
        /* The state stopped being finite or the step size underflowed: only for absurd
         * parameters or states (e.g. a current of 1e7 nA overflows the rate functions).
         * NEST then either aborts with GSLSolverFailure or, since GSL's control ignores
         * NaN, carries on with a NaN state. Here the neuron keeps its last finite state
         * for this step (deterministic, no NaN spreads to recordings) and the step-size
         * search restarts from dt on the next step. */
        y[HH_V] = s->v; y[HH_M] = s->m; y[HH_H] = s->h; y[HH_N] = s->n;
        y[HH_GE] = s->gsyn_exc * SF_REAL(SF_UNITS_PER_PYNN); y[HH_GI] = s->gsyn_inh * SF_REAL(SF_UNITS_PER_PYNN);
        s->ode_step = 0.0;
        if (s->ode_failures < INT32_MAX) s->ode_failures++;   /* a diagnostic count */
    }
    /* spikes arriving at the end of the step: conductance jumps (uS -> nS) */
    y[HH_GE] += in->syn[SF_RECEPTOR_EXCITATORY] * SF_REAL(SF_UNITS_PER_PYNN);
    y[HH_GI] += in->syn[SF_RECEPTOR_INHIBITORY] * SF_REAL(SF_UNITS_PER_PYNN);
    s->v = y[HH_V];
    s->m = y[HH_M];
    s->h = y[HH_H];
    s->n = y[HH_N];
    s->gsyn_exc = y[HH_GE] / SF_REAL(SF_UNITS_PER_PYNN);
    s->gsyn_inh = y[HH_GI] / SF_REAL(SF_UNITS_PER_PYNN);

    /* NEST's spike detector: outside its dead time, a spike is the step at whose end v is
     * at least v_offset + 30 mV and lower than at the start of the step, i.e. the first
     * step after the peak of an action potential. */
    if (s->refrac > 0) {
        s->refrac--;
        return 0;
    }
    if (s->v >= p->v_offset + SF_REAL(30.) && v_old > s->v) {
        s->refrac = d->refrac_steps;
        return 1;
    }
    return 0;
}
