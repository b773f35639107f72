/* SpikeSourceInhGamma kernel: an inhomogeneous gamma renewal process.
 *
 * Parameters a (shape) and b (scale, seconds) are piecewise constant: a[k], b[k] hold from
 * tbins[k] (ms) to tbins[k+1], and the last pair holds for ever after. The process is
 * defined by its hazard (Muller et al. 2007, the definition of NEST's inh_gamma_generator):
 * at time t, with age x = t - (time of the last spike), the spike intensity is the hazard
 * of Gamma(a(t), b(t)) at x. With constant parameters it is a gamma renewal process of
 * rate 1/(a b).
 *
 * Sampling is exact, without thinning: within a bin the hazard is that of one gamma
 * distribution, so the next spike, given the age on entering the bin, is a gamma variate
 * conditioned on exceeding that age (ssx_gamma_residual). If it falls beyond the bin's end,
 * the interval has survived the bin and the draw restarts from the new bin with the age
 * reached there. This also works for a < 1 (unbounded hazard), where thinning cannot.
 *
 * Start: no spikes before tbins[0] nor before `start`; the process starts there in its
 * stationary state for the parameters in force (as SpikeSourceGamma does), and stops
 * emitting at start + duration.
 * a, b and tbins must have the same length; if they do not, the common length is used.
 *
 * Fixed-point targets (no floating point per step): an Erlang process in whole steps (see
 * sf_renewal.h), each shape rounded to the nearest integer >= 1 with the bin's rate kept;
 * bins start at their grid point (SF_SEQ_STEPS), where the phase is redrawn for the new
 * bin's parameters given the age. a[k] and b[k] are read as Q32 from their double bits.
 */
#include "sf_renewal.h"

static inline void sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx) {
#ifdef SPINNFRAME_FIXED_POINT
    ssx_window_steps(p->start, p->duration, ctx->dt, &d->start_step, &d->stop_step);
#else
    (void)p; (void)d; (void)ctx;
#endif
}

static inline uint32_t ig_nbins(const sf_params_t *p) {
    uint32_t n = p->a.length;
    if (p->b.length < n) n = p->b.length;
    if (p->tbins.length < n) n = p->tbins.length;
    return n;
}

#ifdef SPINNFRAME_FIXED_POINT
/* The bin in force in step `step` (the last k with tbins[k] at or before its start),
 * searching forward from k. */
static inline uint32_t ig_bin_at(const sf_params_t *p, const sf_context *ctx, uint32_t n,
                                 uint32_t k, uint64_t step) {
    while (k + 1 < n && (int64_t)step >= SF_SEQ_STEPS(ctx, p->tbins, k + 1)) k++;
    return k;
}

/* Enter bin k: its shape, phase events per step n dt / (1000 a b) and exp(-that), in Q32. */
static inline void ig_enter(const sf_params_t *p, sf_state_t *s, const sf_context *ctx,
                            uint32_t k) {
    const uint64_t a = sf_double_to_q32(ctx->seq[p->a.start + k]);
    const ssx_q32 interval_ms = ssx_q32_of(a) * ssx_q32_of(sf_double_to_q32(
        ctx->seq[p->b.start + k])) * 1000.0ULK;
    const ssx_q32 tiny = ssx_q32_of(1);          /* a zero product would divide by zero */
    s->bin = (int32_t)k;
    s->shape = ssx_shape(a);
    const ssx_q32 dt_n = ssx_q32_of(sf_double_to_q32(ctx->dt)) * ssx_q32_of(
        (uint64_t)s->shape << 32);
    s->events = ssx_raw(dt_n / (interval_ms > tiny ? interval_ms : tiny));
    s->silence = sf_exp_neg_q32(s->events);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    const uint32_t n = ig_nbins(p);
    if (ssx_seed_once(&s->rng, &s->seeded, ctx, neuron)) {
        s->phase = -1;
    } else if (!ctx->params_changed) {
        return;
    }
    if (n == 0) {
        s->phase = -1;
        return;
    }
    /* starts (stationary) in its first step, or goes on from its age in this one */
    const int64_t tb0 = SF_SEQ_STEPS(ctx, p->tbins, 0);
    uint64_t first = ctx->step > d->start_step ? ctx->step : d->start_step;
    if ((int64_t)first < tb0) first = (uint64_t)tb0;
    const int fresh = s->phase < 0 || first > ctx->step;
    ig_enter(p, s, ctx, ig_bin_at(p, ctx, n, 0, fresh ? first : ctx->step));
    if (fresh) ssx_erlang_begin(&s->rng, s->shape, s->events, &s->phase, &s->age);
    else s->phase = ssx_phase_given_age(&s->rng, s->shape, s->age, s->events);
}

static inline uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                               const sf_input *in, const sf_context *ctx) {
    (void)in;
    const uint32_t n = ig_nbins(p);
    if (ctx->step < d->start_step || ctx->step >= d->stop_step || s->phase < 0 ||
        (int64_t)ctx->step < SF_SEQ_STEPS(ctx, p->tbins, 0))
        return 0;
    const uint32_t k = ig_bin_at(p, ctx, n, (uint32_t)s->bin, ctx->step);
    if (k != (uint32_t)s->bin) {
        ig_enter(p, s, ctx, k);
        s->phase = ssx_phase_given_age(&s->rng, s->shape, s->age, s->events);
    }
    return ssx_erlang_step(&s->rng, s->silence, s->shape, &s->phase, &s->age);
}
#else

/* The bin in force at time t (the last k with tbins[k] <= t), searching forward from k. */
static inline uint32_t ig_find(const double *tb, uint32_t n, uint32_t k, double t) {
    while (k + 1 < n && tb[k + 1] <= t) k++;
    return k;
}

/* The first spike after time t, given the last (possibly virtual) spike at s->t_last and no
 * spike in between. Leaves s->bin at the bin of the returned time. */
static inline double ig_next_spike(const sf_params_t *p, sf_state_t *s, const sf_context *ctx,
                                   double t) {
    const uint32_t n = ig_nbins(p);
    const double *a = ctx->seq + p->a.start;
    const double *b = ctx->seq + p->b.start;
    const double *tb = ctx->seq + p->tbins.start;
    const double stop = p->start + p->duration;
    uint32_t k = ig_find(tb, n, (uint32_t)s->bin, t);
    for (;;) {
        s->bin = (int32_t)k;
        if (t >= stop) return INFINITY;           /* nothing more will be emitted */
        const double scale = 1000.0 * b[k];       /* b is in seconds */
        const double cand = t + scale * ssx_gamma_residual(&s->rng, a[k], (t - s->t_last) / scale);
        if (k + 1 >= n || cand < tb[k + 1]) return cand;
        t = tb[k + 1];                            /* survived this bin: go on from its end */
        k = ig_find(tb, n, k + 1, t);
    }
}

/* Start the process at t0 (or at tbins[0] if later), stationary for the bin in force. */
static inline void ig_begin(const sf_params_t *p, sf_state_t *s, const sf_context *ctx,
                            double t0) {
    const uint32_t n = ig_nbins(p);
    s->bin = 0;
    if (n == 0) {
        s->t_begin = t0;
        s->t_last = NAN;
        s->next_t = INFINITY;
        return;
    }
    const double *a = ctx->seq + p->a.start;
    const double *b = ctx->seq + p->b.start;
    const double *tb = ctx->seq + p->tbins.start;
    if (t0 < tb[0]) t0 = tb[0];
    s->t_begin = t0;
    const uint32_t k = ig_find(tb, n, 0, t0);
    s->t_last = t0 - 1000.0 * b[k] * ssx_stationary_age(&s->rng, a[k]);
    s->next_t = ig_next_spike(p, s, ctx, t0);
}

static inline void sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
                            const sf_context *ctx, uint64_t neuron) {
    (void)d;
    const double t = ctx->t;
    const double t0 = t > p->start ? t : p->start;
    if (!s->seeded) {
        s->rng = sf_rng_seed(ctx->seed, neuron);
        s->seeded = 1;
        ig_begin(p, s, ctx, t0);
    } else if (ctx->params_changed) {
        const uint32_t n = ig_nbins(p);
        const double *tb = ctx->seq + p->tbins.start;
        if (n == 0 || p->start > t || s->t_begin > t || isnan(s->t_last) || tb[0] > t) {
            ig_begin(p, s, ctx, t0);
        } else {
            /* continue the interval in progress under the new parameters */
            s->bin = 0;
            s->next_t = ig_next_spike(p, s, ctx, t);
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
    (void)d; (void)in;
    SSX_COUNT_SPIKES(ig_next_spike(p, s, ctx, s->t_last))
    return count;
}
#endif
