/* SpikeSourcePoissonRefractory kernel: a Poisson process with dead time.
 *
 * Every inter-spike interval is tau_refrac + an exponential interval of mean
 * 1/rate - tau_refrac, so the mean rate is `rate` whatever tau_refrac is (the convention of
 * NEST's ppd_sup_generator and of pyNN.neuron). Intervals are drawn exactly in continuous
 * time; each spike is emitted in the time step it falls in (stamped at the step's end), so
 * two stamped spikes are never closer than tau_refrac when tau_refrac is a multiple of dt.
 */
#include "sf_renewal.h"

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
    (void)ctx;
    /* rate * tau_refrac >= 1000 is not a valid process: the declaration's validate rule
     * refuses it, as NEST does. Should it reach the kernel anyway, clamp: intervals are
     * then exactly tau_refrac (never a negative mean). */
    const double m = 1000.0 / p->rate - p->tau_refrac;
    d->mean_exp = p->rate > 0.0 ? (m > 0.0 ? m : 0.0) : INFINITY;
}

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

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)in;
    const double t_end = ctx->t + ctx->dt;
    const double stop = p->start + p->duration;
    uint32_t count = 0;
    while (s->next_t <= t_end && s->next_t < stop) {
        count++;
        s->t_last = s->next_t;
        s->next_t = s->t_last + p->tau_refrac + sf_rng_exponential(&s->rng, d->mean_exp);
    }
    return count;
}
