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

#endif /* SF_RENEWAL_H */
