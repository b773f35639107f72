/* SpikeSourceGamma kernel: a gamma renewal process, shape alpha, rate beta (Hz).
 *
 * Inter-spike intervals are Gamma(alpha, scale 1/beta), drawn exactly (Marsaglia-Tsang);
 * mean interval alpha/beta, CV 1/sqrt(alpha). Each spike is emitted in the time step it
 * falls in (stamped at the step's end).
 *
 * Start: the process is stationary from `start` on (as if it had always been running): its
 * age at `start` is drawn from the equilibrium age distribution, so the expected rate is
 * beta/alpha at every time, including just after `start`.
 * Parameter changes between runs: the interval in progress continues under the new
 * parameters from its current age (hazard-rate definition, as SpikeSourceInhGamma at a bin
 * boundary); a `start` in the future restarts the process there.
 *
 * Fixed-point targets (no floating point per step): an Erlang process in whole steps, the
 * shape rounded to the nearest integer >= 1 with the rate kept (see sf_renewal.h).
 */
#include "sf_renewal.h"

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    (void)ctx;
    d->scale = p->beta > 0.0 ? 1000.0 / p->beta : INFINITY;   /* ms */
#ifdef SPINNFRAME_FIXED_POINT
    d->shape = ssx_shape(sf_double_to_q32(p->alpha));
    /* phase events per step: shape / mean interval, mean interval alpha / beta */
    const double events = d->shape * (double)p->beta / (double)p->alpha * ctx->dt / 1000.0;
    d->events = (uint64_t)llround(events * 4294967296.0);
    d->silence = (uint64_t)llround(exp(-events) * 4294967296.0);
    ssx_window_steps(p->start, p->duration, ctx->dt, &d->start_step, &d->stop_step);
#endif
}

#ifdef SPINNFRAME_FIXED_POINT
static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    if (ssx_seed_once(&s->rng, &s->seeded, ctx, neuron)) {
        ssx_erlang_begin(&s->rng, d->shape, d->events, &s->phase, &s->age);
    } else if (ctx->params_changed) {
        if (p->start > ctx->t || s->phase < 0)
            ssx_erlang_begin(&s->rng, d->shape, d->events, &s->phase, &s->age);
        else if (d->events == 0)
            s->phase = -1;
        else
            s->phase = ssx_phase_given_age(&s->rng, d->shape, s->age, d->events);
    }
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)p; (void)in;
    if (ctx->step < d->start_step || ctx->step >= d->stop_step || s->phase < 0) return 0;
    return ssx_erlang_step(&s->rng, d->silence, d->shape, &s->phase, &s->age);
}
#else

/* Start a stationary process at t0: a virtual last spike at t0 - age. */
static inline void gamma_begin(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               double t0) {
    s->t_begin = t0;
    if (!(p->beta > 0.0)) {          /* silent: no age to keep */
        s->t_last = NAN;
        s->next_t = INFINITY;
        return;
    }
    const double age = ssx_stationary_age(&s->rng, p->alpha);   /* scale units */
    s->t_last = t0 - d->scale * age;
    s->next_t = t0 + d->scale * ssx_gamma_residual(&s->rng, p->alpha, age);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    const double t = ctx->t;
    if (!s->seeded) {
        s->rng = sf_rng_seed(ctx->seed, neuron);
        s->seeded = 1;
        gamma_begin(p, d, s, t > p->start ? t : p->start);
    } else if (ctx->params_changed) {
        if (p->start > t || s->t_begin > t || isnan(s->t_last) || !(p->beta > 0.0)) {
            gamma_begin(p, d, s, t > p->start ? t : p->start);
        } else {
            const double age = (t - s->t_last) / d->scale;
            s->next_t = t + d->scale * ssx_gamma_residual(&s->rng, p->alpha, age);
        }
    }
}

#define SF_STEP_DEFERRED 1
static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)d; (void)in;
    return SSX_DUE() ? SF_DEFER : 0;
}
static inline uint32_t sf_step_deferred(const sf_params_t *p, const sf_derived_t *d,
                                        sf_state_t *s, const sf_input *in,
                                        const sf_context *ctx) {
    (void)in;
    SSX_COUNT_SPIKES(s->t_last + d->scale * ssx_gamma(&s->rng, p->alpha))
    return count;
}
#endif
