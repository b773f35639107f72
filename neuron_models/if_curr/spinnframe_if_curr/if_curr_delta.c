/* IF_curr_delta kernel: exact integration of a LIF membrane whose synaptic input makes
 * v jump, step for step as NEST's grid-based iaf_psc_delta.
 * The declaration (parameters, state, derived constants) is in __init__.py; the structs
 * used here are generated from it.
 *
 * Between input spikes V (relative to v_rest) obeys dV/dt = -V/tau_m + I/c_m, I constant
 * over a step, so V' = p33 V + p30 I exactly. Weights are voltage jumps in mV. */

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    const double h = ctx->dt;
    d->p33 = exp(-h / p->tau_m);
    d->p30 = -p->tau_m / p->cm * expm1(-h / p->tau_m);
    d->refrac_steps = sf_duration_steps(p->tau_refrac, h);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)s; (void)ctx; (void)neuron;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)ctx;
    /* Both receptors add to v; inhibitory weights are already negative. */
    const sf_real jump = in->syn[SF_RECEPTOR_EXCITATORY] + in->syn[SF_RECEPTOR_INHIBITORY];
    if (s->refrac == 0) {
        /* Decay and constant current over the step, then the jumps of the spikes that
         * arrive at its end: they can make the neuron fire in this very step. */
        const sf_real vm = s->v - p->v_rest;
        s->v = p->v_rest + (d->p33 * vm + d->p30 * (p->i_offset + in->i_inj) + jump);
    } else {
        /* Refractory: v stays at v_reset and the spikes arriving now are discarded, not
         * saved for later (NEST's iaf_psc_delta with refractory_input = false, the default
         * that pyNN.nest keeps). */
        s->refrac--;
    }
    /* Threshold (inclusive); the spike is stamped at the end of the step. */
    if (s->v >= p->v_thresh) {
        s->refrac = d->refrac_steps;
        s->v = p->v_reset;
        return 1;
    }
    return 0;
}
