/*
 * Exact samplers shared by the renewal spike sources of this package
 * (SpikeSourcePoissonRefractory, SpikeSourceGamma, SpikeSourceInhGamma).
 *
 * Everything draws from the caller's per-neuron stream (sf_rng_uniform of
 * spinnframe_kernel.h), so a neuron's spike train depends only on the seed and its index,
 * never on the thread count or on how the simulation is split into run() calls.
 *
 * Gamma variates use the scale-1 parametrisation: X ~ Gamma(a, 1) has density
 * x^(a-1) e^(-x) / Gamma(a); multiply by the scale (ms) to get an interval.
 *
 * No approximation is made anywhere: the samplers are exact rejection methods, so the
 * only error is floating-point rounding.
 *
 * Fixed point (SPINNFRAME_FIXED_POINT, SpiNNaker's ARM968): sf_step draws no intervals in
 * continuous time but advances each source by whole time steps in 32-bit integers (Q32:
 * units of 2^-32), with no floating point and no logarithm:
 *  - A gamma renewal process of integer shape n is the Poisson process of its "phase
 *    events" (rate n / mean interval) with a spike at every n-th event (an Erlang process).
 *    Each step draws the number of phase events in it (sf_rng_poisson_q32: Knuth's product
 *    of 32-bit uniforms against exp(-events per step) in Q32) and counts the phase on.
 *    This is exact in distribution for the counts per step, up to the rounding of
 *    exp(-events per step) to 2^-32: the rate's relative error is about 1e-9 / (rate dt)
 *    (rate in kHz, dt in ms), e.g. 1e-4 at 0.1 Hz and dt = 0.1 ms, 1e-7 at 100 Hz.
 *    (SpikeSourceInhGamma computes a bin's rate from its a and b in 32.32 fixed point,
 *    then exp with sf_exp_neg_q32: the same order of error.)
 *  - A non-integer shape is rounded to the nearest integer n >= 1, keeping the mean
 *    interval: the rate is exact, the CV of the intervals becomes 1/sqrt(n) instead of
 *    1/sqrt(shape). This is the one approximation of the model itself.
 *  - A stationary start draws the phase uniformly (exact for an Erlang process) and the
 *    age (time since the last spike, in steps) from its law given the phase,
 *    Gamma(phase + 1) phase-event intervals (in sf_start, which may use double).
 *  - When the parameters change (between runs; SpikeSourceInhGamma at each bin) the
 *    hazard definition continues the interval in progress from its age x: the phase is
 *    redrawn from its law given x and no spike since, P(j) ~ m^j / j! for j < n with m the
 *    expected phase events in x (weights computed in 32.32 fixed point, 2^-32 resolution).
 *    The age is counted in whole steps, as if the last spike had been at its step's end.
 *  - Spikes are stamped at the end of their step, as on the host.
 */
#ifndef SF_RENEWAL_H
#define SF_RENEWAL_H

#include <math.h>
#include <stdint.h>

/* Standard normal variate, Marsaglia's polar method. The second variate of each pair is
 * dropped on purpose: keeping it would need a cache in the neuron state. */
static inline double ssx_normal(uint64_t *rng) {
    for (;;) {
        const double u = 2.0 * sf_rng_uniform(rng) - 1.0;
        const double v = 2.0 * sf_rng_uniform(rng) - 1.0;
        const double s = u * u + v * v;
        if (s < 1.0 && s > 0.0) return u * sqrt(-2.0 * log(s) / s);
    }
}

/* Gamma(a, 1) for a >= 1: Marsaglia & Tsang (2000), "A simple method for generating gamma
 * variables", ACM TOMS 26:363. Acceptance is above 95 % for every a >= 1. */
static inline double ssx_gamma_ge1(uint64_t *rng, double a) {
    const double d = a - 1.0 / 3.0;
    const double c = 1.0 / sqrt(9.0 * d);
    for (;;) {
        double x, v;
        do {
            x = ssx_normal(rng);
            v = 1.0 + c * x;
        } while (v <= 0.0);
        v = v * v * v;
        const double u = sf_rng_uniform(rng);
        const double x2 = x * x;
        if (u < 1.0 - 0.0331 * x2 * x2) return d * v;           /* cheap squeeze */
        if (log(u) < 0.5 * x2 + d * (1.0 - v + log(v))) return d * v;
    }
}

/* Gamma(a, 1) for any a > 0. For a < 1, Gamma(a) = Gamma(a + 1) * U^(1/a) (same paper,
 * section 6). For very small a the result can underflow to 0 (the distribution then has
 * almost all its mass there); the sources treat a zero interval as two spikes in the same
 * step. */
static inline double ssx_gamma(uint64_t *rng, double a) {
    if (a >= 1.0) return ssx_gamma_ge1(rng, a);
    const double g = ssx_gamma_ge1(rng, a + 1.0);
    return g * pow(sf_rng_uniform(rng), 1.0 / a);
}

/* Age of a stationary gamma renewal process seen at a fixed time: the interval that covers
 * a fixed time is length-biased, Gamma(a + 1, 1), and the time already elapsed in it is a
 * uniform fraction of it. Its density is Q(a, x) / a (Q: regularised upper incomplete gamma
 * function), the equilibrium age distribution of renewal theory. */
static inline double ssx_stationary_age(uint64_t *rng, double a) {
    return sf_rng_uniform(rng) * ssx_gamma_ge1(rng, a + 1.0);
}

/* The remaining time Y = X - t of X ~ Gamma(a, 1) conditioned on X > t (t >= 0): when the
 * next spike comes if the current interval has already lasted t (in scale units). This is
 * what the hazard-rate definition of a (possibly inhomogeneous) gamma renewal process
 * needs whenever the parameters change in the middle of an interval.
 *
 * Three exact methods, chosen by which is cheaper (measured in random numbers per draw):
 *  - a > 1, t < a - 1.5 sqrt(a) (t well below the bulk of the distribution): draw X until
 *    X > t (acceptance P(X > t) > 0.9);
 *  - a > 1 otherwise: the tail density (t + y)^(a-1) e^(-y) is log-concave; an exponential
 *    proposal with the rate that maximises the acceptance (Dagpunar 1978,
 *    lambda = (t - a + sqrt((t - a)^2 + 4t)) / 2t), acceptance > 0.55 here, and -> 1 as t
 *    grows;
 *  - a < 1: for t < 1/4 draw X until X > t; beyond, the tail density (1 + y/t)^(a-1) e^(-y)
 *    is bounded by e^(-y): exponential proposal, acceptance (1 + y/t)^(a-1) (> 1/3).
 *    (For small a and t near 1/4 either way takes tens of draws; a >= 0.5 stays below 10.)
 * a == 1 is the memoryless exponential. */
static inline double ssx_gamma_residual(uint64_t *rng, double a, double t) {
    if (!(t > 0.0)) return ssx_gamma(rng, a);
    if (a == 1.0) return -log(sf_rng_uniform(rng));
    if ((a > 1.0 && t < a - 1.5 * sqrt(a)) || (a < 1.0 && t < 0.25)) {
        for (;;) {
            const double x = ssx_gamma(rng, a);
            if (x > t) return x - t;
        }
    }
    if (a > 1.0) {
        const double am1 = a - 1.0;
        /* c = 1 - lambda, written without cancellation */
        const double c = 2.0 * am1 / (t + a + sqrt((t - a) * (t - a) + 4.0 * t));
        const double lambda = 1.0 - c;
        for (;;) {
            const double y = -log(sf_rng_uniform(rng)) / lambda;
            /* log of (target / proposal) / its maximum, <= 0: am1 (log z - z + 1), z >= 0 */
            const double z = c * (t + y) / am1;
            if (log(sf_rng_uniform(rng)) <= am1 * (log(z) - z + 1.0)) return y;
        }
    }
    for (;;) {
        const double y = -log(sf_rng_uniform(rng));
        if (log(sf_rng_uniform(rng)) <= (a - 1.0) * log1p(y / t)) return y;
    }
}

/* The host step of a renewal source is split (SF_STEP_DEFERRED in spinnframe_kernel.h):
 * sf_step only checks whether the next spike falls in this step and the source's window
 * (SSX_DUE, no branch, vectorised over the population), and sf_step_deferred counts the
 * spikes with SSX_COUNT_SPIKES for the few sources where it does. */
#define SSX_DUE() ((s->next_t <= ctx->t + ctx->dt) & (s->next_t < p->start + p->duration))

/* The host step of a renewal source: counts the spikes at next_t in this step, each time
 * drawing the next one with NEXT (an expression of s->t_last, the spike just counted),
 * until one falls after the step or past start + duration. Declares `count`. */
#define SSX_COUNT_SPIKES(NEXT)                                                            \
    const double t_end = ctx->t + ctx->dt;                                                \
    const double stop = p->start + p->duration;                                           \
    uint32_t count = 0;                                                                   \
    while (s->next_t <= t_end && s->next_t < stop) {                                      \
        count++;                                                                          \
        s->t_last = s->next_t;                                                            \
        s->next_t = (NEXT);                                                               \
    }

/* The steps in which a source may fire, [first, stop), from start and duration (ms):
 * the grid points at or after each time (sf_time_steps). */
static inline void ssx_window_steps(double start, double duration, double dt,
                                    uint64_t *first, uint64_t *stop) {
    const int64_t a = sf_time_steps(start, dt), b = sf_time_steps(start + duration, dt);
    *first = a > 0 ? (uint64_t)a : 0;
    *stop = b > 0 ? (uint64_t)b : 0;
}

#ifdef SPINNFRAME_FIXED_POINT
/* Rates, expected counts and weights: 32.32 unsigned fixed point (ISO/IEC TR 18037
 * unsigned long accum), whose raw word is the Q32 integer. */
typedef unsigned long accum ssx_q32;

static inline ssx_q32 ssx_q32_of(uint64_t raw) {
    ssx_q32 x;
    __builtin_memcpy(&x, &raw, sizeof x);
    return x;
}

static inline uint64_t ssx_raw(ssx_q32 x) {
    uint64_t raw;
    __builtin_memcpy(&raw, &x, sizeof raw);
    return raw;
}

/* Seeds a source's stream on its first start; returns whether it did (the source then
 * starts afresh). */
static inline int ssx_seed_once(uint64_t *rng, int32_t *seeded, const sf_context *ctx,
                                uint64_t neuron) {
    if (*seeded) return 0;
    *rng = sf_rng_seed(ctx->seed, neuron);
    *seeded = 1;
    return 1;
}

/* The nearest integer shape >= 1 to a shape given in Q32. */
static inline int32_t ssx_shape(uint64_t shape_q32) {
    const uint64_t n = (shape_q32 + (1ull << 31)) >> 32;
    return n < 1 ? 1 : (n > INT32_MAX ? INT32_MAX : (int32_t)n);
}

/* One step of an Erlang process of shape n: draws the phase events of the step (P(none)
 * = silence / 2^32) and returns how many spikes (every n-th event) fall in it. The age
 * restarts at each spike (stamped at the step's end) and otherwise grows by the step. */
static inline uint32_t ssx_erlang_step(uint64_t *rng, uint64_t silence, int32_t n,
                                       int32_t *phase, int32_t *age) {
    uint32_t spikes = 0;
    for (uint32_t e = sf_rng_poisson_q32(rng, silence); e > 0; e--) {
        if (++*phase >= n) {
            *phase = 0;
            spikes++;
        }
    }
    if (spikes) *age = 0;
    else if (*age < INT32_MAX) (*age)++;
    return spikes;
}

/* Walks the weights m^j / j! (j < n) relative to the one at the mode (all <= 1, so none
 * overflows), from the mode up and then down, adding them; returns the first j at which
 * the sum exceeds target, or -1 with the total in *total. */
static inline int32_t ssx_phase_walk(int32_t n, ssx_q32 m, ssx_q32 target, ssx_q32 *total) {
    const uint64_t whole = ssx_raw(m) >> 32;
    const int32_t mode = whole >= (uint64_t)(n - 1) ? n - 1 : (int32_t)whole;
    ssx_q32 sum = 0, w = 1;
    for (int32_t j = mode; j < n; j++) {
        sum += w;
        if (sum > target) return j;
        w = w * m / ssx_q32_of((uint64_t)(j + 1) << 32);
    }
    w = 1;
    for (int32_t j = mode; j > 0; j--) {
        w = w * ssx_q32_of((uint64_t)j << 32) / m;
        sum += w;
        if (sum > target) return j - 1;
    }
    *total = sum;
    return -1;
}

/* The phase of an Erlang process of shape n given that its interval has lasted age steps
 * without a spike, with events_q32 phase events expected per step: P(j) ~ m^j / j!,
 * j < n, m = age x events per step. */
static inline int32_t ssx_phase_given_age(uint64_t *rng, int32_t n, int32_t age,
                                          uint64_t events_q32) {
    uint64_t m_raw;
    if (__builtin_mul_overflow(events_q32, (uint64_t)(age > 0 ? age : 0), &m_raw))
        m_raw = UINT64_MAX;
    if (n <= 1 || m_raw == 0) return 0;
    if (m_raw >> 63) return n - 1;   /* 2^31 expected events: the last phase, surely */
    const ssx_q32 m = ssx_q32_of(m_raw);
    ssx_q32 total = 0;
    (void)ssx_phase_walk(n, m, ssx_q32_of(UINT64_MAX), &total);
    const ssx_q32 u = ssx_q32_of(sf_splitmix64(rng) >> 32);         /* [0, 1) */
    const int32_t j = ssx_phase_walk(n, m, u * total, &total);
    return j < 0 ? n - 1 : j;
}

/* Start an Erlang process of shape n in its stationary state (in sf_start: may use
 * double): phase uniform in 0 .. n-1, age Gamma(phase + 1) phase-event intervals, in
 * steps. A silent process (no events) gets phase -1, which makes it start afresh when its
 * parameters change. */
static inline void ssx_erlang_begin(uint64_t *rng, int32_t n, uint64_t events_q32,
                                    int32_t *phase, int32_t *age) {
    if (events_q32 == 0) {
        *phase = -1;
        *age = 0;
        return;
    }
    *phase = (int32_t)(((sf_splitmix64(rng) >> 32) * (uint64_t)n) >> 32);
    const double steps = ssx_gamma_ge1(rng, *phase + 1.0) * 4294967296.0 / (double)events_q32;
    *age = steps < (double)INT32_MAX ? (int32_t)llround(steps) : INT32_MAX;
}
#endif

#endif /* SF_RENEWAL_H */
