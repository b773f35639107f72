/* SpikeSourcePoisson kernel: exponential inter-spike intervals, one stream per neuron. */

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    (void)p; (void)d; (void)ctx;
}

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

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
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
