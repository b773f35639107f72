/* Izhikevich kernel, as NEST's izhikevich with consistent_integration = true (its
 * default) driven through pyNN.nest. The declaration is in __init__.py.
 *
 *   dv/dt = 0.04 v^2 + 5 v + 140 - u + I,    du/dt = a (b v - u),
 *   v >= 30 mV: spike, v = c, u = u + d.
 *
 * NEST integrates with one forward Euler step per time step, v and u both from the values
 * at the start of the step; the weights of the spikes arriving at the end of the step
 * are added to v directly (a jump in mV), before the threshold check. There is no
 * refractory period.
 *
 * Units as pyNN.nest makes them: i_offset (nA) becomes NEST's I_e = 1000 i_offset (pA),
 * which the model adds to dv/dt as a number in mV/ms; likewise injected current. A
 * synaptic weight w (PyNN calls it nA) becomes a jump of w mV (pyNN.nest's receptor_scale
 * of 1e-3 undoes its usual nA -> pA factor). Inhibitory weights are negative. */

/* NEST's V_th for izhikevich; PyNN's Izhikevich has no parameter for it. */
#define IZH_V_PEAK SF_REAL(30.0)

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    d->I_e = p->i_offset * 1000.0;
    d->h = ctx->dt;   /* as sf_real: the step then converts nothing from double */
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d; (void)s; (void)ctx; (void)neuron;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)ctx;
    const sf_real h = d->h;
    const sf_real v_old = s->v, u_old = s->u;
    const sf_real jump = in->syn[SF_RECEPTOR_EXCITATORY] + in->syn[SF_RECEPTOR_INHIBITORY];
    /* same grouping as NEST, so that doubles round the same way:
     * v += h * (0.04 v v + 5 v + 140 - u + I + I_e) + jump, summed left to right */
    const sf_real drive = SF_MUL(SF_MUL(SF_REAL(0.04), v_old), v_old)
                          + SF_MUL(SF_REAL(5.0), v_old) + SF_REAL(140.0) - u_old
                          + SF_MUL(in->i_inj, SF_REAL(1000.0)) + d->I_e;
    s->v += SF_MUL(h, drive) + jump;
    s->u += SF_MUL(SF_MUL(h, p->a), SF_MUL(p->b, v_old) - u_old);
#ifndef SPINNFRAME_FIXED_POINT
    /* A non-finite u (only from absurd inputs) would poison v from the next step on;
     * put it on its nullcline instead. A non-finite v fails the "v < peak" test below
     * and is reset like a spike. NEST has neither guard. */
    if (!isfinite(s->u)) s->u = SF_MUL(p->b, p->c);
#endif
    if (!(s->v < IZH_V_PEAK)) {
        s->v = p->c;
        s->u = s->u + p->d;
        return 1;
    }
    return 0;
}
