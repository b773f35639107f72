/* IF_curr_alpha kernel: exact integration of a LIF membrane driven by alpha-shaped
 * currents, step for step as NEST's grid-based iaf_psc_alpha.
 * The declaration (parameters, state, derived constants) is in __init__.py; the structs
 * used here are generated from it.
 *
 * Per receptor the alpha current is a pair (isyn, disyn) with
 *     d isyn/dt = disyn - isyn/tau_s,   d disyn/dt = -disyn/tau_s,
 * so over one step h:  isyn' = e^{-h/tau_s} (isyn + h disyn),  disyn' = e^{-h/tau_s} disyn.
 * The membrane V (relative to v_rest) obeys dV/dt = -V/tau_m + (isyn + I)/c_m; its exact
 * one-step solution is linear in the states at the start of the step, with the
 * propagators p30 (constant current), p32 (isyn) and p31 (disyn). */

/* Response of V over one step h to isyn (*p32) and to disyn (*p31), per unit value, for
 * synaptic time constant tau_s, membrane time constant tau_m and capacitance c_m.
 *
 * With k = 1/tau_s - 1/tau_m and b = 1/k = tau_s tau_m / (tau_m - tau_s):
 *     p32 = b/c_m (e^{-h/tau_m} - e^{-h/tau_s})      = b/c_m e^{-h/tau_s} expm1(h k)
 *     p31 = b/c_m e^{-h/tau_s} (b expm1(h k) - h)
 * Both have a removable singularity at tau_s == tau_m, where they tend to
 *     p32 -> h/c_m e^{-h/tau_m},   p31 -> h^2/(2 c_m) e^{-h/tau_m}.
 * p31 loses digits to cancellation as tau_s approaches tau_m. The switch to the limit
 * forms uses the same criteria as NEST (its IAFPropagatorAlpha), so that both pick the
 * same branch for the same parameters: p32 falls back on the limit only when the regular
 * value is not a positive normal number (it is exact otherwise, thanks to expm1); p31
 * uses the regular form only when h > 1e-7 tau_m^2 / |tau_m - tau_s|, i.e. when the
 * cancellation costs at most about 7 of the 16 digits. p31 and p32 are written as sf_real,
 * so the same code fills a fixed-point derived struct. */
static inline void alpha_propagators(double tau_s, double tau_m, double c_m, double h,
                                     sf_real *p31, sf_real *p32) {
    const double b = tau_s * tau_m / (tau_m - tau_s);   /* +-inf when tau_s == tau_m */
    const double k = (tau_m - tau_s) / (tau_s * tau_m); /* 0 when tau_s == tau_m */
    const double exp_s = exp(-h / tau_s);
    const double em1 = expm1(h * k);
    const double limit_factor = exp(-h / tau_m) / c_m;

    const double regular32 = b / c_m * exp_s * em1;     /* NaN at tau_s == tau_m */
    *p32 = (isnormal(regular32) && regular32 > 0.0) ? regular32 : h * limit_factor;

    if (h > 1e-7 * tau_m * tau_m / fabs(tau_m - tau_s))  /* false at tau_s == tau_m */
        *p31 = b / c_m * exp_s * (b * em1 - h);
    else
        *p31 = 0.5 * h * h * limit_factor;
}

/* Euler's number, spelled out: M_E is not part of C99. */
#define IF_CURR_ALPHA_E 2.718281828459045235360287

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    const double h = ctx->dt;
    /* V is advanced as V + V*expm1(-h/tau_m) rather than V*exp(-h/tau_m): the decay is
     * then exact to rounding even when h << tau_m (and it is how NEST does it). */
    d->expm1_m = expm1(-h / p->tau_m);
    d->p30 = -p->tau_m / p->cm * d->expm1_m;
    alpha_propagators(p->tau_syn_E, p->tau_m, p->cm, h, &d->p31_exc, &d->p32_exc);
    alpha_propagators(p->tau_syn_I, p->tau_m, p->cm, h, &d->p31_inh, &d->p32_inh);
    d->p11_exc = exp(-h / p->tau_syn_E);
    d->p11_inh = exp(-h / p->tau_syn_I);
    d->p21_exc = h * d->p11_exc;
    d->p21_inh = h * d->p11_inh;
    /* A spike of weight w adds w e/tau_s to disyn: the resulting current
     * w (t/tau_s) e^{1 - t/tau_s} then peaks at exactly w, at t = tau_s. */
    d->jump_exc = IF_CURR_ALPHA_E / p->tau_syn_E;
    d->jump_inh = IF_CURR_ALPHA_E / p->tau_syn_I;
    d->refrac_steps = sf_duration_steps(p->tau_refrac, h);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)s; (void)ctx; (void)neuron;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)ctx;
    /* 1. The membrane, with the currents as they were at the start of the step. While
     *    refractory V stays clamped at v_reset and only the counter runs down. */
    if (s->refrac == 0) {
        const sf_real vm = s->v - p->v_rest;
        const sf_real dv = (p->i_offset + in->i_inj) * d->p30
                           + d->p31_exc * s->disyn_exc + d->p32_exc * s->isyn_exc
                           + d->p31_inh * s->disyn_inh + d->p32_inh * s->isyn_inh
                           + d->expm1_m * vm;
        s->v = p->v_rest + (vm + dv);
    } else {
        s->refrac--;
    }
    /* 2. The currents, over the whole step (isyn first: it needs disyn at the start), then
     *    the spikes arriving at the end of the step start new alpha functions; they reach
     *    V from the next step on. */
    s->isyn_exc = d->p21_exc * s->disyn_exc + d->p11_exc * s->isyn_exc;
    s->disyn_exc = d->p11_exc * s->disyn_exc + d->jump_exc * in->syn[SF_RECEPTOR_EXCITATORY];
    s->isyn_inh = d->p21_inh * s->disyn_inh + d->p11_inh * s->isyn_inh;
    s->disyn_inh = d->p11_inh * s->disyn_inh + d->jump_inh * in->syn[SF_RECEPTOR_INHIBITORY];
    /* 3. Threshold (inclusive); the spike is stamped at the end of the step. */
    if (s->v >= p->v_thresh) {
        s->refrac = d->refrac_steps;
        s->v = p->v_reset;
        return 1;
    }
    return 0;
}
