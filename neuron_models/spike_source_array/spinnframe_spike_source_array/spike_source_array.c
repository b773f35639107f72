/* SpikeSourceArray kernel. spike_times is a slice of ctx->seq (ms, sorted). A spike at time
 * t is emitted at the end of the step that ends at the first grid point at or after t (as
 * NEST does): SF_SEQ_STEPS gives that grid point, computed from ctx->seq on the host and
 * read from the runtime's integer table on fixed-point targets (no floating point per
 * step). */

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    (void)p; (void)d; (void)ctx;
}

/* The grid point of spike k (the step at whose end it is emitted), UINT64_MAX if none. */
static inline uint64_t ssa_step_of(const sf_params_t *p, const sf_context *ctx, uint32_t k) {
    if (k >= p->spike_times.length) return UINT64_MAX;
    const int64_t g = SF_SEQ_STEPS(ctx, p->spike_times, k);
    return g > 0 ? (uint64_t)g : 0;
}

/* Skip every spike whose emission step is already past (run start, reset, new times). */
static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)d; (void)neuron;
    uint32_t k = 0;
    while (k < p->spike_times.length &&
           SF_SEQ_STEPS(ctx, p->spike_times, k) <= (int64_t)ctx->step) k++;
    s->next = (int32_t)k;
    s->next_step = ssa_step_of(p, ctx, k);
}

/* The spikes due by the end of this step, from s->next on. */
static inline uint32_t ssa_emit(const sf_params_t *p, sf_state_t *s, const sf_context *ctx) {
    const int64_t end_of_step = (int64_t)ctx->step + 1;
    uint32_t count = 0;
    while ((uint32_t)s->next < p->spike_times.length &&
           SF_SEQ_STEPS(ctx, p->spike_times, s->next) <= end_of_step) {
        s->next++;
        count++;
    }
    s->next_step = ssa_step_of(p, ctx, (uint32_t)s->next);
    return count;
}

#ifdef SPINNFRAME_FIXED_POINT
static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)d; (void)in;
    return ssa_emit(p, s, ctx);
}
#else
/* On the host the step is a comparison with the next spike's step, vectorised over the
 * population (SF_STEP_DEFERRED); the sources with a spike due count them afterwards. */
#define SF_STEP_DEFERRED 1
static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)p; (void)d; (void)in;
    return s->next_step <= ctx->step + 1 ? SF_DEFER : 0;
}
static inline uint32_t sf_step_deferred(const sf_params_t *p, const sf_derived_t *d,
                                        sf_state_t *s, const sf_input *in,
                                        const sf_context *ctx) {
    (void)d; (void)in;
    return ssa_emit(p, s, ctx);
}
#endif
