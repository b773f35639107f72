/* AdaptiveIF_curr_exp kernel: LIF membrane, adaptation current, exponential synapses.
 *
 * The declaration (parameters, state, derived constants, receptors) is in __init__.py;
 * spinnframe generates sf_params_t, sf_derived_t, sf_state_t and the SF_RECEPTOR_* macros
 * from it, then includes this file. It defines sf_prepare, sf_start and sf_step.
 */
#if SF_KERNEL_ABI_VERSION != 1
#error "spinnframe-adaptive-lif was written for spinnframe kernel interface 1"
#endif

#include "sf_ode.h"

/* Accuracy of each time step: the RKF45 error estimate of every component is kept below
 * ALIF_EPS_ABS + ALIF_EPS_REL * |value| (mV or nA). */
#define ALIF_EPS_ABS 1e-9
#define ALIF_EPS_REL 1e-9
#define ALIF_DIM 4

/* What the right-hand side needs besides the state: held constant over one step. */
typedef struct alif_rhs_ctx {
    const sf_params_t *p;
    sf_real i_ext;  /* i_offset + injected current, nA */
    int clamped;    /* 1 while refractory: v is held at v_reset */
} alif_rhs_ctx;

/* y = (v, w, isyn_exc, isyn_inh) */
static void alif_rhs(const sf_real *y, sf_real *dydt, const void *vctx) {
    const alif_rhs_ctx *c = (const alif_rhs_ctx *)vctx;
    const sf_params_t *p = c->p;
    const sf_real v = y[0], w = y[1], ie = y[2], ii = y[3];
    dydt[0] = c->clamped ? SF_REAL(0.0)
                         : (p->v_rest - v) / p->tau_m + (ie + ii - w + c->i_ext) / p->cm;
    dydt[1] = (p->a * SF_REAL(1e-3) * (v - p->v_rest) - w) / p->tau_w;   /* nS * mV = pA */
    dydt[2] = -ie / p->tau_syn_E;
    dydt[3] = -ii / p->tau_syn_I;
}

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    d->refrac_steps = sf_duration_steps(p->tau_refrac, ctx->dt);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)s; (void)ctx; (void)neuron;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    const alif_rhs_ctx rc = {p, p->i_offset + in->i_inj, s->refrac > 0};
    sf_real y[ALIF_DIM] = {s->v, s->w, s->isyn_exc, s->isyn_inh};
    const sf_ode_control ctl = sf_ode_control_y(ALIF_EPS_ABS, ALIF_EPS_REL);
    /* On failure (not expected: the equations are linear and stable) y holds the last
     * finite state, and the neuron continues from it. */
    (void)sf_ode_evolve(alif_rhs, &rc, ALIF_DIM, y, SF_DT(ctx), &s->ode_step, &ctl);
    s->v = y[0];
    s->w = y[1];
    if (s->refrac > 0) s->refrac--;
    /* spikes arriving at the end of the step */
    s->isyn_exc = y[2] + in->syn[SF_RECEPTOR_EXCITATORY];
    s->isyn_inh = y[3] + in->syn[SF_RECEPTOR_INHIBITORY];
    if (s->v >= p->v_thresh) {
        s->v = p->v_reset;
        s->w += p->b;
        s->refrac = d->refrac_steps;
        return 1;
    }
    return 0;
}
