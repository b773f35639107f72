/* ACSource: offset + amplitude sin(2 pi f (t - start) + phase) between start and stop
 * (phase in degrees, relative to start, as PyNN defines it across simulators). */
#include "window.h"

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    CS_WINDOW_PREPARE(p, d, ctx->dt);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx) {
    (void)p; (void)d; (void)s; (void)ctx;
}

static inline double sf_current(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                                const sf_context *ctx) {
    (void)s;
    if (!CS_IS_ON(d, ctx->step)) return 0.0;
    const double two_pi = 6.283185307179586476925287;
    const double elapsed = ((double)ctx->step - (double)d->start_step) * ctx->dt;  /* ms */
    return p->offset + p->amplitude * sin(two_pi * p->frequency * elapsed / 1000.0
                                          + p->phase * two_pi / 360.0);
}
