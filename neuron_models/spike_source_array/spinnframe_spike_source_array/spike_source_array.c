/* SpikeSourceArray kernel. spike_times is a slice of ctx->seq (ms, sorted). A spike at time
 * t is emitted at the end of the step that ends at the first grid point at or after t (as
 * NEST does): SF_SEQ_STEPS gives that grid point, computed from ctx->seq on the host and
 * read from the runtime's integer table on fixed-point targets (no floating point per
 * step). */

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    (void)p; (void)d; (void)ctx;
}

/* Skip every spike whose emission step is already past (run start, reset, new times). */
static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)d; (void)neuron;
    uint32_t k = 0;
    while (k < p->spike_times.length &&
           SF_SEQ_STEPS(ctx, p->spike_times, k) <= (int64_t)ctx->step) k++;
    s->next = (int32_t)k;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)d; (void)in;
    const int64_t end_of_step = (int64_t)ctx->step + 1;
    uint32_t count = 0;
    while ((uint32_t)s->next < p->spike_times.length &&
           SF_SEQ_STEPS(ctx, p->spike_times, s->next) <= end_of_step) {
        s->next++;
        count++;
    }
    return count;
}
