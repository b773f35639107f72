/* StepCurrentSource: amplitudes[i] from times[i] on (0 before the first time). Times are
 * rounded to the nearest step; of several times in the same step the last one counts. */
#include "window.h"

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    (void)p; (void)d; (void)ctx;
}

/* Scan again from the first change at every run start: parameters may have changed. */
static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx) {
    (void)p; (void)d; (void)ctx;
    s->pos = 0;
    s->amp = 0.0;
}

static inline double sf_current(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                                const sf_context *ctx) {
    (void)d;
    const double *times = ctx->seq + p->times.start;
    const double *amps = ctx->seq + p->amplitudes.start;
    while ((uint32_t)s->pos < p->times.length &&
           cs_steps(times[s->pos], ctx->dt) <= ctx->step) {
        s->amp = amps[s->pos];
        s->pos++;
    }
    return s->amp;
}
