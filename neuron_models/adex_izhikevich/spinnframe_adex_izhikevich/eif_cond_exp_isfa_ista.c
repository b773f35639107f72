/* EIF_cond_exp_isfa_ista kernel: adaptive exponential integrate-and-fire neuron with
 * exponentially decaying synaptic conductances, integrated as NEST's aeif_cond_exp
 * (see aeif_common.h for the integration scheme). The declaration is in __init__.py.
 *
 * ODE state, NEST units: y = (v [mV], g_ex [nS], g_in [nS], w [pA]). */
#include "aeif_common.h"

enum { EXP_V = 0, EXP_GE = 1, EXP_GI = 2, EXP_W = 3, EXP_N = 4 };

static inline void eif_exp_rhs(const sf_real *y, sf_real *dydt, const void *vctx) {
    const aeif_rhs_ctx *c = (const aeif_rhs_ctx *)vctx;
    const sf_real V = aeif_v_eff(c, y[EXP_V]);
    aeif_membrane(c, V, y[EXP_GE], y[EXP_GI], y[EXP_W], &dydt[EXP_V], &dydt[EXP_W]);
    dydt[EXP_GE] = -y[EXP_GE] / c->p->tau_syn_E;
    dydt[EXP_GI] = -y[EXP_GI] / c->p->tau_syn_I;
}

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    AEIF_PREPARE_COMMON(p, d, ctx);
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
    sf_real y[EXP_N] = {s->v, s->g_ex_nS, s->g_in_nS, s->w_pA};
    const uint32_t spikes = aeif_advance(eif_exp_rhs, &rc, EXP_N, y, EXP_W, &s->refrac,
                                         &s->h, SF_DT(ctx));
    if (s->refrac > 0) s->refrac--;
    /* spikes arriving at the end of the step (weights uS -> nS) */
    y[EXP_GE] += in->syn[SF_RECEPTOR_EXCITATORY] * SF_REAL(SF_UNITS_PER_PYNN);
    y[EXP_GI] += in->syn[SF_RECEPTOR_INHIBITORY] * SF_REAL(SF_UNITS_PER_PYNN);
    s->v = y[EXP_V];
    s->g_ex_nS = y[EXP_GE];
    s->g_in_nS = y[EXP_GI];
    s->w_pA = y[EXP_W];
    s->gsyn_exc = s->g_ex_nS * SF_REAL(SF_PYNN_PER_UNIT);
    s->gsyn_inh = s->g_in_nS * SF_REAL(SF_PYNN_PER_UNIT);
    s->w = s->w_pA * SF_REAL(SF_PYNN_PER_UNIT);
    return spikes;
}
