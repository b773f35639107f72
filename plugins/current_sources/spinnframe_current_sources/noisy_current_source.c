/* NoisyCurrentSource: mean + stdev N(0, 1), a new value every `dt` ms from start, held in
 * between, 0 outside [start, stop). One random stream per source. */
#include "window.h"

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    CS_WINDOW_PREPARE(p, d, ctx->dt);
    const uint64_t k = cs_steps(p->dt, ctx->dt);
    d->interval = k ? k : 1;
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx) {
    (void)p;
    if (!s->seeded) {
        s->rng = sf_rng_seed(ctx->seed, 0);
        s->next_step = d->start_step;
        s->value = 0.0;
        s->seeded = 1;
    }
}

/* Asked twice for the same step it gives the same value: it only draws when the step
 * reaches the next change. */
static inline double sf_current(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                                const sf_context *ctx) {
    if (!CS_IS_ON(d, ctx->step)) return 0.0;
    while (ctx->step >= s->next_step) {
        s->value = p->mean + p->stdev * sf_rng_normal(&s->rng);
        s->next_step += d->interval;
    }
    return s->value;
}
