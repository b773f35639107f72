/* IF_cond_exp kernel: LIF membrane with exponentially decaying conductances, integrated
 * with adaptive RKF45 as NEST's iaf_cond_exp does. The declaration (parameters, state,
 * derived constants) is in __init__.py; the structs used here are generated from it. */
#include "if_cond_common.h"

/* State vector of the ODE, in NEST's units and order. */
enum { V_M = 0, G_EXC = 1, G_INH = 2, N_Y = 3 };

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    if_cond_prepare_membrane(p, d, ctx);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)ctx; (void)neuron;
    if_cond_start_conductances(s);
}

/* dy/dt in mV/ms and nS/ms. The order of the terms of the membrane current is NEST's,
 * so that the floating-point sums round the same way. */
static void if_cond_exp_rhs(const sf_real *y, sf_real *f, const void *vctx) {
    const if_cond_rhs_ctx *c = (const if_cond_rhs_ctx *)vctx;
    const sf_params_t *p = c->p;
    const sf_real v = if_cond_effective_v(c, y[V_M]);
    const sf_real i_syn_exc = y[G_EXC] * (v - p->e_rev_E);
    const sf_real i_syn_inh = y[G_INH] * (v - p->e_rev_I);
    const sf_real i_leak = c->d->g_l * (v - p->v_rest);
    f[V_M] = c->refractory ? SF_REAL(0.0)
             : (-i_leak + c->i_stim + c->d->i_e - i_syn_exc - i_syn_inh) / c->d->c_m;
    f[G_EXC] = -y[G_EXC] / p->tau_syn_E;
    f[G_INH] = -y[G_INH] / p->tau_syn_I;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    sf_real y[N_Y] = {s->v, s->g_exc_ns, s->g_inh_ns};
    const if_cond_rhs_ctx rc = {p, d, s->refrac > 0, in->i_inj * IF_COND_NS_PER_US};
    const sf_ode_control control = sf_ode_control_y(IF_COND_EPS_ABS, IF_COND_EPS_REL);
    if (sf_ode_evolve(if_cond_exp_rhs, &rc, N_Y, y, SF_DT(ctx), &s->h, &control) < 0) {
        /* NEST would stop with GSLSolverFailure; mark the state invalid instead. */
        s->v = s->gsyn_exc = s->gsyn_inh = s->g_exc_ns = s->g_inh_ns = SF_INVALID;
        s->h = SF_REAL(0.0);
        return 0;
    }
    /* spikes arriving at the end of the step */
    y[G_EXC] += in->syn[SF_RECEPTOR_EXCITATORY] * IF_COND_NS_PER_US;
    y[G_INH] += in->syn[SF_RECEPTOR_INHIBITORY] * IF_COND_NS_PER_US;

    uint32_t spiked = 0;
    if (s->refrac > 0) {
        s->refrac--;
        y[V_M] = p->v_reset;
    } else if (y[V_M] >= p->v_thresh) {
        s->refrac = d->refrac_steps;
        y[V_M] = p->v_reset;
        spiked = 1;
    }
    s->v = y[V_M];
    s->g_exc_ns = y[G_EXC];
    s->g_inh_ns = y[G_INH];
    s->gsyn_exc = y[G_EXC] / IF_COND_NS_PER_US;
    s->gsyn_inh = y[G_INH] / IF_COND_NS_PER_US;
    return spiked;
}
