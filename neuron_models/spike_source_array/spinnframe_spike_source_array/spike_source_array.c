/* SpikeSourceArray kernel. spike_times is a slice of ctx->seq (ms, sorted). */

/* The step at whose end a spike at time t (ms) is emitted: the first grid point at or after
 * t (as NEST does), with a tolerance for the rounding error in t / dt. */
static inline int64_t ssa_stamp(double t, double dt) {
    return (int64_t)ceil(t / dt - 1e-6);
}

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    (void)p; (void)d; (void)ctx;
}

/* Skip every spike whose emission step is already past (run start, reset, new times). */
static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)d; (void)neuron;
    const double *t = ctx->seq + p->spike_times.start;
    uint32_t k = 0;
    while (k < p->spike_times.length && ssa_stamp(t[k], ctx->dt) <= (int64_t)ctx->step) k++;
    s->next = (int32_t)k;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)d; (void)in;
    const double *t = ctx->seq + p->spike_times.start;
    const int64_t end_of_step = (int64_t)ctx->step + 1;
    uint32_t count = 0;
    while ((uint32_t)s->next < p->spike_times.length &&
           ssa_stamp(t[s->next], ctx->dt) <= end_of_step) {
        s->next++;
        count++;
    }
    return count;
}
