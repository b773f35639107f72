/* SpikeSourcePoissonRefractory kernel: a Poisson process with dead time.
 *
 * Every inter-spike interval is tau_refrac + an exponential interval of mean
 * 1/rate - tau_refrac, so the mean rate is `rate` whatever tau_refrac is (the convention of
 * NEST's ppd_sup_generator and of pyNN.neuron). Intervals are drawn exactly in continuous
 * time; each spike is emitted in the time step it falls in (stamped at the step's end), so
 * two stamped spikes are never closer than tau_refrac when tau_refrac is a multiple of dt.
 *
 * Fixed-point targets (no floating point per step) work in whole steps: after a spike the
 * source is dead for the next `dead` - 1 steps (dead = tau_refrac rounded up to whole
 * steps, sf_duration_steps), then fires in each step with the probability `fire` (Q32)
 * chosen so that the mean interval, dead - 1 + 1/fire steps, is 1000/rate ms: the rate is
 * exact, intervals are at least tau_refrac, and the exponential part becomes geometric.
 * Without dead time (tau_refrac = 0) each step draws a Poisson count, as
 * SpikeSourcePoisson does. The window [start, start + duration) is rounded to whole
 * steps there.
 */
#include "sf_renewal.h"

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    (void)ctx;
    /* rate * tau_refrac >= 1000 is not a valid process: the declaration's validate rule
     * refuses it, as NEST does. Should it reach the kernel anyway, clamp: intervals are
     * then exactly tau_refrac (never a negative mean). */
    const double m = 1000.0 / p->rate - p->tau_refrac;
    d->mean_exp = p->rate > 0.0 ? (m > 0.0 ? m : 0.0) : INFINITY;
#ifdef SPINNFRAME_FIXED_POINT
    const double dt = ctx->dt, rate_dt = (double)p->rate * dt / 1000.0;
    d->dead = sf_duration_steps(p->tau_refrac, dt);
    d->silence = (uint64_t)llround(exp(-rate_dt) * 4294967296.0);
    /* mean interval dead - 1 + 1/fire steps = 1/rate_dt; certain when dead alone is longer */
    const double live = rate_dt > 0.0 ? 1.0 / rate_dt - d->dead + 1.0 : INFINITY;
    d->fire = live > 1.0 ? (uint64_t)llround(4294967296.0 / live) : 1ull << 32;
    ssx_window_steps(p->start, p->duration, dt, &d->start_step, &d->stop_step);
#endif
}

#ifdef SPINNFRAME_FIXED_POINT
static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)p; (void)d;
    /* not refractory before the first spike */
    if (ssx_seed_once(&s->rng, &s->seeded, ctx, neuron)) s->refrac = 0;
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)p; (void)in;
    if (s->refrac > 0) {
        s->refrac--;
        return 0;
    }
    if (ctx->step < d->start_step || ctx->step >= d->stop_step) return 0;
    if (d->dead == 0) return sf_rng_poisson_q32(&s->rng, d->silence);
    if ((sf_splitmix64(&s->rng) >> 32) >= d->fire) return 0;
    s->refrac = d->dead - 1;
    return 1;
}
#else

/* Draw the next spike for a process that is (re)started at time t: it starts at `start`,
 * and the dead time after the last emitted spike still applies. Before its first spike the
 * source is not refractory (NEST's ppd_sup_generator starts the same way). */
static inline void ppr_draw_from(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                                 double t) {
    double from = t > p->start ? t : p->start;
    if (s->t_last + p->tau_refrac > from) from = s->t_last + p->tau_refrac;
    s->next_t = p->rate > 0.0 ? from + sf_rng_exponential(&s->rng, d->mean_exp) : INFINITY;
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    if (!s->seeded) {
        s->rng = sf_rng_seed(ctx->seed, neuron);
        s->seeded = 1;
        s->t_last = -INFINITY;
        ppr_draw_from(p, d, s, ctx->t);
    } else if (ctx->params_changed) {
        /* memoryless beyond the dead time: redrawing from now is exact */
        ppr_draw_from(p, d, s, ctx->t);
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
    SSX_COUNT_SPIKES(s->t_last + p->tau_refrac + sf_rng_exponential(&s->rng, d->mean_exp))
    return count;
}
#endif
