/* GIF_cond_exp kernel: generalized integrate-and-fire neuron (Mensi et al. 2012, Pozzorini
 * et al. 2015) with exponential conductances, a spike-triggered current eta, a moving
 * threshold gamma and stochastic spike emission (escape noise), with the semantics of
 * NEST's gif_cond_exp. The declaration is in __init__.py; the structs are generated from
 * it.
 *
 * Per time step, in NEST's order:
 *   1. i_eta = sum of the eta components, v_t = v_t_star + sum of the gamma components
 *      (values at the start of the step, used during it); then every component decays by
 *      exp(-dt/tau).
 *   2. v, g_exc, g_inh are integrated over the step with adaptive RKF45 (sf_ode.h) and
 *      NEST's control, gsl_odeiv_control_y_new(1e-3, 0), in NEST's units (mV, nS, pF,
 *      pA) so that the error test sees the same numbers. i_eta is constant within the
 *      step. While refractory, v is clamped (dv/dt = 0, currents computed at v_reset).
 *   3. Spikes arriving at the end of the step are added to the conductances.
 *   4. Not refractory: with the hazard lambda = lambda0 exp((v - v_t) / delta_v), the
 *      neuron fires with probability 1 - exp(-lambda dt). A spike adds a_eta / a_gamma to
 *      the components and starts the refractory period; v itself is not reset in this
 *      step. Refractory: the counter is decremented and v is set to v_reset.
 *   Hence with tau_refrac < dt/2 (0 steps) a spike never resets v, exactly as in NEST.
 *
 * The array parameters tau_eta, a_eta, tau_gamma, a_gamma are sequence parameters (slices
 * of ctx->seq). The state keeps GIF_MAX_COMPONENTS components of each kind; unused ones
 * have zero amplitude and zero decay factor, so they stay exactly 0 and add nothing.
 *
 * Random numbers: each neuron owns a stream (sf_rng_*), seeded in sf_start from the
 * population seed and the neuron index, so results do not depend on the thread count. */
#include "sf_ode.h"

/* Must match MAX_COMPONENTS in __init__.py (the fields eta0.., gamma0.., p_eta0.. below). */
#define GIF_MAX_COMPONENTS 4
#define GIF_COMPONENTS(X) X(0) X(1) X(2) X(3)

enum { GIF_V = 0, GIF_GE, GIF_GI, GIF_DIM };

typedef struct gif_rhs_ctx {
    const sf_params_t *p;
    const sf_derived_t *d;
    sf_real i_stim;      /* injected current during the step, pA */
    sf_real stc;         /* spike-triggered current (eta), pA */
    int refractory;
} gif_rhs_ctx;

static void gif_rhs(const sf_real *y, sf_real *f, const void *vctx) {
    const gif_rhs_ctx *c = (const gif_rhs_ctx *)vctx;
    const sf_params_t *p = c->p;
    const sf_derived_t *d = c->d;
    /* while refractory the membrane is clamped at v_reset */
    const sf_real v = c->refractory ? p->v_reset : y[GIF_V];
    const sf_real i_syn_exc = y[GIF_GE] * (v - p->e_rev_E);
    const sf_real i_syn_inh = y[GIF_GI] * (v - p->e_rev_I);
    const sf_real i_l = d->g_l * (v - p->v_rest);
    /* left to right as in NEST, so that rounding agrees */
    f[GIF_V] = c->refractory ? SF_REAL(0.0)
        : (-i_l + c->i_stim + d->i_e - i_syn_exc - i_syn_inh - c->stc) / d->c_m;
    f[GIF_GE] = -y[GIF_GE] / p->tau_syn_E;
    f[GIF_GI] = -y[GIF_GI] / p->tau_syn_I;
}

/* Component k of an array parameter, or 0 beyond its end. */
static inline double gif_seq(const sf_context *ctx, sf_sequence s, uint32_t k) {
    return k < s.length ? ctx->seq[s.start + k] : 0.0;
}

/* 1 if every component is finite. sf_ode_evolve's NaN check is not enough on its own: a
 * NaN error estimate is caught only if no later component has a finite one (as in GSL,
 * whose step control ignores NaN), so a NaN state could be accepted. */
static inline int gif_all_finite(const sf_real *y) {
    for (int i = 0; i < GIF_DIM; i++)
        if (!SF_ISFINITE(y[i])) return 0;
    return 1;
}

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    const double h = ctx->dt;
    /* PyNN units -> NEST units, with the operations pyNN.nest applies */
    d->c_m = p->cm * SF_UNITS_PER_PYNN;
    d->g_l = p->cm / p->tau_m * SF_UNITS_PER_PYNN;
    d->i_e = p->i_offset * SF_UNITS_PER_PYNN;
    d->lambda0_per_ms = p->lambda0 / 1000.0;         /* Hz -> 1/ms */
    d->refrac_steps = sf_duration_steps(p->tau_refrac, h);   /* NEST's rounding */
    /* Paired arrays of different lengths are not accepted by NEST; here the components
     * present in both are used (and at most GIF_MAX_COMPONENTS; longer arrays are
     * rejected when the parameters are set). */
    uint32_t n_eta = p->tau_eta.length < p->a_eta.length ? p->tau_eta.length
                                                         : p->a_eta.length;
    uint32_t n_gamma = p->tau_gamma.length < p->a_gamma.length ? p->tau_gamma.length
                                                               : p->a_gamma.length;
    if (n_eta > GIF_MAX_COMPONENTS) n_eta = GIF_MAX_COMPONENTS;
    if (n_gamma > GIF_MAX_COMPONENTS) n_gamma = GIF_MAX_COMPONENTS;
    d->n_eta = (int32_t)n_eta;
    d->n_gamma = (int32_t)n_gamma;
#define GIF_PREPARE(k)                                                                     \
    d->p_eta##k = (k) < n_eta ? exp(-h / gif_seq(ctx, p->tau_eta, k)) : 0.0;               \
    d->q_eta##k = (k) < n_eta ? gif_seq(ctx, p->a_eta, k) * SF_UNITS_PER_PYNN : 0.0; /* nA -> pA */ \
    d->p_gamma##k = (k) < n_gamma ? exp(-h / gif_seq(ctx, p->tau_gamma, k)) : 0.0;         \
    d->q_gamma##k = (k) < n_gamma ? gif_seq(ctx, p->a_gamma, k) : 0.0;
    GIF_COMPONENTS(GIF_PREPARE)
#undef GIF_PREPARE
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p;
    if (!s->seeded) {   /* first run after creation or reset(): the state was zeroed */
        s->rng = sf_rng_seed(ctx->seed, neuron);
        s->seeded = 1;
    }
    if (ctx->params_changed) {
        /* like NEST's resize of the component vectors: components beyond the new
         * lengths are dropped */
#define GIF_DROP(k)                                \
        if ((k) >= d->n_eta) s->eta##k = 0.0;      \
        if ((k) >= d->n_gamma) s->gamma##k = 0.0;
        GIF_COMPONENTS(GIF_DROP)
#undef GIF_DROP
    }
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    const sf_real h = SF_DT(ctx);
    /* 1. adaptation: values for this step, then decay (NEST's summation order) */
    sf_real stc = SF_REAL(0.0);
    sf_real sfa = p->v_t_star;
#define GIF_DECAY(k)                   \
    stc += s->eta##k;                  \
    s->eta##k *= d->p_eta##k;          \
    sfa += s->gamma##k;                \
    s->gamma##k *= d->p_gamma##k;
    GIF_COMPONENTS(GIF_DECAY)
#undef GIF_DECAY
    s->i_eta = stc * SF_REAL(SF_PYNN_PER_UNIT);   /* pA -> nA, as pyNN.nest scales I_stc */
    s->v_t = sfa;

    /* 2. membrane and conductances over the step */
    sf_real y[GIF_DIM] = {s->v, s->gsyn_exc * SF_REAL(SF_UNITS_PER_PYNN), s->gsyn_inh * SF_REAL(SF_UNITS_PER_PYNN)};
    const gif_rhs_ctx rc = {p, d, in->i_inj * SF_REAL(SF_UNITS_PER_PYNN), stc, s->refrac > 0};
    const sf_ode_control ctl = sf_ode_control_y(1e-3, 0.0);
    if (sf_ode_evolve(gif_rhs, &rc, GIF_DIM, y, h, &s->ode_step, &ctl) < 0
        || !gif_all_finite(y)) {
        /* Not finite or step-size underflow (absurd parameters only; NEST aborts with
         * GSLSolverFailure or carries on with NaN): keep the last finite state for this
         * step, and restart the step-size search from dt on the next step. */
        y[GIF_V] = s->v;
        y[GIF_GE] = s->gsyn_exc * SF_REAL(SF_UNITS_PER_PYNN);
        y[GIF_GI] = s->gsyn_inh * SF_REAL(SF_UNITS_PER_PYNN);
        s->ode_step = 0.0;
        if (s->ode_failures < INT32_MAX) s->ode_failures++;   /* a diagnostic count */
    }
    /* 3. spikes arriving at the end of the step (uS -> nS) */
    y[GIF_GE] += in->syn[SF_RECEPTOR_EXCITATORY] * SF_REAL(SF_UNITS_PER_PYNN);
    y[GIF_GI] += in->syn[SF_RECEPTOR_INHIBITORY] * SF_REAL(SF_UNITS_PER_PYNN);
    s->v = y[GIF_V];
    s->gsyn_exc = y[GIF_GE] / SF_REAL(SF_UNITS_PER_PYNN);
    s->gsyn_inh = y[GIF_GI] / SF_REAL(SF_UNITS_PER_PYNN);

    /* 4. escape noise, or refractoriness */
    if (s->refrac == 0) {
        const sf_real lambda = d->lambda0_per_ms * SF_EXP((s->v - sfa) / p->delta_v);
        /* lambda0 = 0 (or exp underflow) draws nothing, as in NEST; lambda = inf fires */
        if (lambda > SF_REAL(0.0)) {
            /* 1 - u is uniform in [0, 1), like NEST's drand(); fire if below the
             * probability of at least one event of rate lambda within the step */
            const sf_real r = SF_REAL(1.0) - sf_rng_uniform_real(&s->rng);
            if (r < -SF_EXPM1(-lambda * h)) {
#define GIF_JUMP(k)                    \
                s->eta##k += d->q_eta##k;  \
                s->gamma##k += d->q_gamma##k;
                GIF_COMPONENTS(GIF_JUMP)
#undef GIF_JUMP
                s->refrac = d->refrac_steps;
                return 1;
            }
        }
    } else {
        s->refrac--;
        s->v = p->v_reset;
    }
    return 0;
}
