/* IF_curr_exp kernel: exact integration of a LIF membrane with exponential currents.
 * The declaration (parameters, state, derived constants) is in __init__.py; the structs
 * used here are generated from it. */

/* Response of the membrane (mV) over one step h to a unit synaptic current (nA) that decays
 * with tau_syn, for a membrane with time constant tau_m and capacitance c_m.
 * Written with expm1 so that it stays accurate when tau_syn approaches tau_m, and with the
 * limit h/c_m exp(-h/tau_m) when they are equal. */
static inline double psc_exp_propagator(double tau_syn, double tau_m, double c_m, double h) {
    const double rate_diff = 1.0 / tau_syn - 1.0 / tau_m;
    if (fabs(rate_diff) * h < 1e-12)
        return h / c_m * exp(-h / tau_m);
    return exp(-h / tau_m) * expm1(-h * rate_diff) / (-rate_diff * c_m);
}

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    const double h = ctx->dt;
    d->p22 = exp(-h / p->tau_m);
    d->p20 = -p->tau_m / p->cm * expm1(-h / p->tau_m);
    d->p21_exc = psc_exp_propagator(p->tau_syn_E, p->tau_m, p->cm, h);
    d->p21_inh = psc_exp_propagator(p->tau_syn_I, p->tau_m, p->cm, h);
    d->p11_exc = exp(-h / p->tau_syn_E);
    d->p11_inh = exp(-h / p->tau_syn_I);
    d->refrac_steps = sf_duration_steps(p->tau_refrac, h);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)s; (void)ctx; (void)neuron;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)ctx;
    if (s->refrac == 0) {
        const sf_real vm = s->v - p->v_rest;
        s->v = p->v_rest + vm * d->p22 + s->isyn_exc * d->p21_exc + s->isyn_inh * d->p21_inh
               + (p->i_offset + in->i_inj) * d->p20;
    } else {
        s->refrac--;
    }
    s->isyn_exc = s->isyn_exc * d->p11_exc + in->syn[SF_RECEPTOR_EXCITATORY];
    s->isyn_inh = s->isyn_inh * d->p11_inh + in->syn[SF_RECEPTOR_INHIBITORY];
    if (s->v >= p->v_thresh) {
        s->refrac = d->refrac_steps;
        s->v = p->v_reset;
        return 1;
    }
    return 0;
}
