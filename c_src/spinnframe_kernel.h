/*
 * spinnframe kernel SDK: the interface between a neuron-model kernel and an engine.
 *
 * A neuron-model plugin ships one C file (its kernel). It is never compiled on its own:
 * spinnframe generates a wrapper translation unit from the model's Python declaration that
 *
 *   1. defines the per-model structs   sf_params_t   (parameters, one per parameter set),
 *                                      sf_derived_t  (constants the kernel derives from them),
 *                                      sf_state_t    (state variables, one per neuron),
 *      plus SF_RECEPTOR_<NAME> index macros and SF_N_RECEPTORS,
 *   2. includes this header and then the kernel source,
 *   3. adds the neuron loop and the exported entry points (see "Generated exports").
 *
 * The kernel implements three functions (static inline, names fixed):
 *
 *   void     sf_prepare(const sf_params_t *p, sf_derived_t *d, const sf_context *ctx);
 *       Compute derived constants (propagators, step counts) for one parameter set.
 *       Called whenever parameters or the time step change.
 *
 *   void     sf_start(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
 *                     const sf_context *ctx, uint64_t neuron);
 *       Called for every neuron at the start of each run() call (ctx->t is the current time,
 *       ctx->params_changed tells whether parameters were changed since the last run).
 *       Most models leave it empty; sources use it to position themselves in time.
 *
 *   uint32_t sf_step(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
 *                    const sf_input *in, const sf_context *ctx);
 *       Advance one neuron by one time step, from ctx->t to ctx->t + ctx->dt.
 *       in->syn[r] is the summed weight of the spikes arriving on receptor r at the end of
 *       this step; in->i_inj is injected current (nA) during the step.
 *       Returns the number of spikes emitted in this step (0 almost always; a spike source
 *       may emit several). Spikes are time-stamped at the end of the step.
 *
 * Numeric type: kernels use sf_real for every physical quantity. On the host engine it is
 * double. On fixed-point targets (SPINNFRAME_FIXED_POINT defined, e.g. ARM968 cores) it is
 * a signed 16.15 accum, and SF_REAL(x), SF_EXP(), SF_MUL() etc. map to the fixed-point
 * versions; a kernel written with these macros compiles for both.
 */
#ifndef SPINNFRAME_KERNEL_H
#define SPINNFRAME_KERNEL_H

#include <stdint.h>
#include <stddef.h>

/* Version of this interface. The loader refuses a kernel built against another major. */
#define SF_KERNEL_ABI_VERSION 1u

#ifdef SPINNFRAME_FIXED_POINT
/* s16.15 fixed point, as on SpiNNaker's ARM968 cores (ISO/IEC TR 18037 accum). */
#include <stdfix.h>
typedef accum sf_real;
#define SF_REAL(x) ((accum)(x))
#define SF_MUL(a, b) ((a) * (b))
#define SF_DIV(a, b) ((a) / (b))
/* sf_prepare runs once per parameter set when a population is loaded, so it may use the
 * C library's double-precision functions (soft-float on the ARM968, which has no FPU);
 * sf_step runs every time step and must stay in fixed point: SF_EXP is not available. */
#include <math.h>
#define SF_EXP(x) sf_fixed_exp_unavailable_in_step(x)
#else
typedef double sf_real;
#define SF_REAL(x) ((double)(x))
#define SF_MUL(a, b) ((a) * (b))
#define SF_DIV(a, b) ((a) / (b))
#include <math.h>
#define SF_EXP(x) exp(x)
#define SF_EXPM1(x) expm1(x)
#define SF_LOG(x) log(x)
#define SF_FABS(x) fabs(x)
#endif

#ifdef SF_EMULATE_S1615
/* numerics="fixed" on the host: values are kept on the s16.15 grid of SpiNNaker's ARM968
 * (steps of 2^-15, range [-65536, 65536)), rounded to nearest and saturated, after every
 * step (state), when prepared (parameters, derived constants) and on input. The arithmetic
 * in between stays double, so this shows the effect of the hardware's resolution and
 * range, not bit-exact ARM results. */
static inline double sf_s1615(double x) {
    const double top = 65536.0 - 1.0 / 32768.0;
    if (!(x == x)) return x;                     /* NaN stays NaN */
    if (x > top) return top;
    if (x < -65536.0) return -65536.0;
    return nearbyint(x * 32768.0) / 32768.0;
}
#endif

/* Per-step context shared by every neuron of a population. */
typedef struct sf_context {
    double dt;             /* time step, ms */
    double t;              /* time at the start of the step, ms */
    uint64_t step;         /* index of the step since the last reset */
    uint64_t seed;         /* seed for this population and segment */
    const double *seq;     /* flat storage of sequence parameters (e.g. spike times, ms) */
    uint32_t params_changed; /* in sf_start: parameters changed since the previous run */
    uint32_t reserved;
} sf_context;

#ifndef SF_MAX_RECEPTORS
#define SF_MAX_RECEPTORS 8
#endif

/* Input to one neuron for one step. */
typedef struct sf_input {
    sf_real syn[SF_MAX_RECEPTORS]; /* summed weights arriving at the end of the step, per receptor */
    sf_real i_inj;                 /* injected current during the step, nA */
} sf_input;

/* A sequence parameter (e.g. spike_times) is stored as a slice of ctx->seq. */
typedef struct sf_sequence {
    uint32_t start;
    uint32_t length;
} sf_sequence;

/* A duration (ms) as whole time steps, rounded as NEST's grid-based models round
 * refractory periods: to NEST's time resolution of 1 us, then up to whole steps
 * (2.04 ms at dt = 0.1 gives 21 steps). Kernels use it so that their refractory periods
 * agree with NEST's for every value, not only for multiples of dt. */
static inline int32_t sf_duration_steps(double ms, double dt) {
    const long long tics = llround(ms * 1000.0), per_step = llround(dt * 1000.0);
    if (per_step <= 0 || tics <= 0) return 0;
    return (int32_t)((tics + per_step - 1) / per_step);
}

/* ---- Random numbers: counter-seeded, one stream per neuron --------------------------- */
/* Deterministic for a given seed whatever the thread count: each neuron owns its stream. */

static inline uint64_t sf_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Seed a stream from the population seed and the neuron index. */
static inline uint64_t sf_rng_seed(uint64_t seed, uint64_t neuron) {
    uint64_t x = seed ^ (neuron * 0xD1B54A32D192ED03ull);
    (void)sf_splitmix64(&x);
    return x;
}

/* Uniform double in (0, 1]. */
static inline double sf_rng_uniform(uint64_t *state) {
    return ((double)(sf_splitmix64(state) >> 11) + 1.0) * (1.0 / 9007199254740992.0);
}

#ifndef SPINNFRAME_FIXED_POINT
/* Standard normal variate (Box-Muller; uses two uniforms per call). */
static inline double sf_rng_normal(uint64_t *state) {
    const double u1 = sf_rng_uniform(state), u2 = sf_rng_uniform(state);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586476925287 * u2);
}

/* Exponentially distributed double with the given mean. */
static inline double sf_rng_exponential(uint64_t *state, double mean) {
    return -mean * log(sf_rng_uniform(state));
}
#endif

/* ---- Generated exports (for reference; the wrapper defines them) ---------------------- */
/*
 *   const sf_model_info *sf_model_describe(void);
 *   void sf_model_prepare(const void *params, void *derived, uint32_t n_sets,
 *                         const sf_context *ctx);
 *   void sf_model_start(sf_population_view *pv, const sf_context *ctx);
 *   void sf_model_update(sf_population_view *pv, uint32_t begin, uint32_t end,
 *                        const sf_context *ctx, uint32_t *spikes, uint32_t *counts,
 *                        uint32_t *n_spikes);
 */

/* Layout description a kernel library exports, checked by the loader against the
 * declaration (names, offsets, sizes of every field). */
typedef struct sf_field_info {
    const char *name;
    uint32_t offset;
    uint32_t size;
} sf_field_info;

typedef struct sf_model_info {
    uint32_t abi_version;
    const char *model_name;
    uint32_t n_receptors;
    uint32_t params_size, derived_size, state_size;
    uint32_t n_params, n_derived, n_state;
    const sf_field_info *params;
    const sf_field_info *derived;
    const sf_field_info *state;
} sf_model_info;

/* What the engine hands the generated neuron loop for one population. */
typedef struct sf_population_view {
    uint32_t n;                /* number of neurons */
    uint32_t n_receptors;
    void *state;               /* n x sf_state_t */
    const void *params;        /* parameter sets */
    void *derived;             /* derived constants, one per parameter set */
    const uint32_t *param_index; /* per neuron: which parameter set (NULL: all use set 0) */
    sf_real *input;            /* ring slot for this step: n_receptors x n, cleared after use */
    const sf_real *i_inj;      /* injected current per neuron (NULL: none) */
} sf_population_view;

#endif /* SPINNFRAME_KERNEL_H */
