/* EIF_cond_alpha_isfa_ista kernel: adaptive exponential integrate-and-fire neuron with
 * alpha-shaped synaptic conductances, integrated as NEST's aeif_cond_alpha (see
 * aeif_common.h for the integration scheme). The declaration is in __init__.py.
 *
 * ODE state, NEST units: y = (v [mV], dg_ex [nS/ms], g_ex [nS], dg_in [nS/ms],
 * g_in [nS], w [pA]). A spike of weight q (nS) adds q e / tau_syn to dg, so that the
 * conductance peaks at q, tau_syn after the spike. */
#include "aeif_common.h"

/* Euler's number (M_E is POSIX, not C99); rounds to the same double as NEST's
 * numerics::e. */
#define ALP_EULER 2.718281828459045235360287

enum { ALP_V = 0, ALP_DGE = 1, ALP_GE = 2, ALP_DGI = 3, ALP_GI = 4, ALP_W = 5, ALP_N = 6 };

static inline void eif_alpha_rhs(const sf_real *y, sf_real *dydt, const void *vctx) {
    const aeif_rhs_ctx *c = (const aeif_rhs_ctx *)vctx;
    const sf_real V = aeif_v_eff(c, y[ALP_V]);
    aeif_membrane(c, V, y[ALP_GE], y[ALP_GI], y[ALP_W], &dydt[ALP_V], &dydt[ALP_W]);
    dydt[ALP_DGE] = -y[ALP_DGE] / c->p->tau_syn_E;
    dydt[ALP_GE] = y[ALP_DGE] - y[ALP_GE] / c->p->tau_syn_E;
    dydt[ALP_DGI] = -y[ALP_DGI] / c->p->tau_syn_I;
    dydt[ALP_GI] = y[ALP_DGI] - y[ALP_GI] / c->p->tau_syn_I;
}

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    AEIF_PREPARE_COMMON(p, d, ctx);
    d->g0_ex = ALP_EULER / p->tau_syn_E;
    d->g0_in = ALP_EULER / p->tau_syn_I;
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)ctx; (void)neuron;
    aeif_sync(s->w, &s->w_pA);
    aeif_sync(s->gsyn_exc, &s->g_ex_nS);
    aeif_sync(s->gsyn_inh, &s->g_in_nS);
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    aeif_rhs_ctx rc = {p, d, 0, in->i_inj * SF_REAL(SF_UNITS_PER_PYNN)};
    sf_real y[ALP_N] = {s->v, s->dg_ex, s->g_ex_nS, s->dg_in, s->g_in_nS, s->w_pA};
    const uint32_t spikes = aeif_advance(eif_alpha_rhs, &rc, ALP_N, y, ALP_W, &s->refrac,
                                         &s->h, SF_DT(ctx));
    if (s->refrac > 0) s->refrac--;
    /* spikes arriving at the end of the step (weights uS -> nS) kick the derivative */
    y[ALP_DGE] += in->syn[SF_RECEPTOR_EXCITATORY] * SF_REAL(SF_UNITS_PER_PYNN) * d->g0_ex;
    y[ALP_DGI] += in->syn[SF_RECEPTOR_INHIBITORY] * SF_REAL(SF_UNITS_PER_PYNN) * d->g0_in;
    s->v = y[ALP_V];
    s->dg_ex = y[ALP_DGE];
    s->g_ex_nS = y[ALP_GE];
    s->dg_in = y[ALP_DGI];
    s->g_in_nS = y[ALP_GI];
    s->w_pA = y[ALP_W];
    s->gsyn_exc = s->g_ex_nS * SF_REAL(SF_PYNN_PER_UNIT);
    s->gsyn_inh = s->g_in_nS * SF_REAL(SF_PYNN_PER_UNIT);
    s->w = s->w_pA * SF_REAL(SF_PYNN_PER_UNIT);
    return spikes;
}
