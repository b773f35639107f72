/* SpikeSourcePoisson kernel: one random stream per neuron.
 *
 * Host: exponential inter-spike intervals drawn exactly in continuous time, each spike
 * emitted in the time step it falls in.
 * Fixed-point targets (no floating point per step): the number of spikes of each step is
 * drawn directly, Poisson with mean rate dt, by Knuth's product of uniforms (32-bit
 * integers) against the derived silence = exp(-rate dt); the same distribution of counts
 * per step. The window [start, start + duration) is rounded to whole steps there. */

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    const double silence = exp(-(double)p->rate * ctx->dt / 1000.0);
    d->silence = (uint64_t)llround(silence * 4294967296.0);
    const int64_t start = sf_time_steps(p->start, ctx->dt);
    const int64_t stop = sf_time_steps((double)p->start + (double)p->duration, ctx->dt);
    d->start_step = start > 0 ? (uint64_t)start : 0;
    d->stop_step = stop > 0 ? (uint64_t)stop : 0;
}

#ifdef SPINNFRAME_FIXED_POINT
static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d;
    if (!s->seeded) {
        s->rng = sf_rng_seed(ctx->seed, neuron);
        s->seeded = 1;
    }
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)p; (void)in;
    if (ctx->step < d->start_step || ctx->step >= d->stop_step) return 0;
    return sf_rng_poisson_q32(&s->rng, d->silence);
}
#else
static inline void poisson_draw_from(const sf_params_t *p, sf_state_t *s, double t) {
    const double from = t > p->start ? t : p->start;
    s->next_t = p->rate > 0.0 ? from + sf_rng_exponential(&s->rng, 1000.0 / p->rate)
                              : INFINITY;
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)d;
    if (!s->seeded) {
        s->rng = sf_rng_seed(ctx->seed, neuron);
        s->seeded = 1;
        poisson_draw_from(p, s, ctx->t);
    } else if (ctx->params_changed) {
        poisson_draw_from(p, s, ctx->t);
    }
}

/* The step is a check (the next spike falls in this step?), vectorised over the sources;
 * only the few sources that spike draw their next intervals, in sf_step_deferred. */
#define SF_STEP_DEFERRED 1
static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)d; (void)in;
    const double t_end = ctx->t + ctx->dt;
    const double stop = p->start + p->duration;
    return (s->next_t <= t_end) & (s->next_t < stop) ? SF_DEFER : 0;   /* no branch */
}
static inline uint32_t sf_step_deferred(const sf_params_t *p, const sf_derived_t *d,
                                        sf_state_t *s, const sf_input *in,
                                        const sf_context *ctx) {
    (void)d; (void)in;
    const double t_end = ctx->t + ctx->dt;
    const double stop = p->start + p->duration;
    uint32_t count = 0;
    while (s->next_t <= t_end && s->next_t < stop) {
        count++;
        s->next_t += sf_rng_exponential(&s->rng, 1000.0 / p->rate);
    }
    return count;
}
#endif
