/* DCSource: a constant amplitude between start and stop. */
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
    return CS_IS_ON(d, ctx->step) ? p->amplitude : 0.0;
}
