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
 * Optionally, for a model without receptors (a spike source) whose step is a cheap check
 * almost always and real work rarely (drawing the next interval): the kernel defines
 * SF_STEP_DEFERRED and
 *
 *   uint32_t sf_step_deferred(const sf_params_t *p, const sf_derived_t *d, sf_state_t *s,
 *                             const sf_input *in, const sf_context *ctx);
 *
 *       and sf_step returns SF_DEFER, having changed nothing, when the step needs the work;
 *       the neuron loop then calls sf_step_deferred for that neuron (same inputs, same
 *       context) after the others, and takes its return value as the spike count. sf_step
 *       is then straight-line code the compiler vectorises over the population.
 *
 * Numeric type: kernels use sf_real for every physical quantity. On the host engine it is
 * double. On fixed-point targets (SPINNFRAME_FIXED_POINT defined, e.g. ARM968 cores) it is
 * a signed 16.15 accum, and SF_REAL(x), SF_EXP(), SF_MUL(), SF_DT(ctx) etc. map to the
 * fixed-point versions (sf_fixed_exp below; sf_ode.h's fixed-step RK4); a kernel written
 * with these macros compiles for both, and its sf_step then needs no floating point there
 * (tests/test_arm_fixed_point.py checks every bundled kernel).
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
/* sf_prepare and sf_start run once per parameter set / run, so they may use the C
 * library's double-precision functions (soft-float on the ARM968, which has no FPU);
 * sf_step runs every time step and must stay in fixed point: the SF_ functions below map
 * to the fixed-point versions defined further down. */
#include <math.h>
#define SF_EXP(x) sf_fixed_exp(x)
#define SF_EXPM1(x) (sf_fixed_exp(x) - SF_REAL(1.0))
#define SF_FABS(x) ((x) < SF_REAL(0.0) ? -(x) : (x))
/* No NaN nor infinity exists in fixed point: "never" is the largest value, and a state
 * marked invalid holds the most negative one. Fixed-point results are always "finite". */
#define SF_INFINITY ACCUM_MAX
#define SF_INVALID ACCUM_MIN
#define SF_ISFINITE(x) ((void)(x), 1)
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
#define SF_INFINITY INFINITY
#define SF_INVALID NAN
#define SF_ISFINITE(x) isfinite(x)
#endif

/* The time step (ms) as sf_real, for sf_step: ctx->dt on the host; on fixed-point targets
 * ctx->dt_fx, so that the step converts nothing from double. */
#ifdef SPINNFRAME_FIXED_POINT
#define SF_DT(ctx) ((ctx)->dt_fx)
#else
#define SF_DT(ctx) ((ctx)->dt)
#endif

/* Conductance-based kernels integrate in scaled units: PyNN's uS, nA and nF times
 * SF_UNITS_PER_PYNN (with SF_PYNN_PER_UNIT its reciprocal, as the host writes it).
 * On the host that is NEST's nS, pA and pF (x 1000), whose absolute error tolerances the
 * adaptive integrator then applies exactly as NEST does. In s16.15 that would overflow
 * (a Hodgkin-Huxley sodium current reaches 10^5 pA), so fixed-point targets use units of
 * 100 nS, 100 pA, 100 pF (x 10): currents stay below 65536 units (e.g. 20 uS x 150 mV =
 * 30000) and conductances keep a resolution of 2^-15 units, about 3 pS. */
#ifdef SPINNFRAME_FIXED_POINT
#define SF_UNITS_PER_PYNN 10.0
#define SF_PYNN_PER_UNIT 0.1
#else
#define SF_UNITS_PER_PYNN 1000.0
#define SF_PYNN_PER_UNIT 0.001
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
#ifdef SPINNFRAME_FIXED_POINT
    /* What sf_step reads on fixed-point targets instead of the doubles above (the
     * fixed-point runtime fills them when it loads the population): */
    sf_real dt_fx;             /* dt in s16.15 (see SF_DT) */
    const int64_t *seq_steps;  /* sf_time_steps(seq[k], dt) for every k (see SF_SEQ_STEPS) */
#endif
} sf_context;

#ifndef SF_MAX_RECEPTORS
#define SF_MAX_RECEPTORS 8
#endif

/* What sf_step returns to ask for sf_step_deferred (see SF_STEP_DEFERRED above). */
#define SF_DEFER 0xFFFFFFFFu

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

/* The grid point (index of a step boundary, t = k dt) at or after time t (ms), with a
 * tolerance for the rounding error in t / dt: the step at whose end an event at time t is
 * emitted, as NEST stamps spike times. */
static inline int64_t sf_time_steps(double t, double dt) {
    return (int64_t)ceil(t / dt - 1e-6);
}

/* sf_time_steps of element k of a sequence parameter, as sf_step may read it: computed
 * on the host, read from the table the runtime prepared on fixed-point targets. */
#ifdef SPINNFRAME_FIXED_POINT
#define SF_SEQ_STEPS(ctx, sequence, k) ((ctx)->seq_steps[(sequence).start + (k)])
#else
#define SF_SEQ_STEPS(ctx, sequence, k) \
    sf_time_steps((ctx)->seq[(sequence).start + (k)], (ctx)->dt)
#endif

/* ---- Fixed-point exponential ------------------------------------------------------ */
/* 2^f for |f| <= 1/2, f and the result in Q30: sum (f ln2)^n / n! to degree 7 by Horner,
 * coefficients ln2^n / n! in Q30 (truncation error below 6e-9). */
static inline int64_t sf_exp2_q30(int32_t f) {
    static const int32_t c[8] = {1073741824, 744261118, 257941248, 59597083,
                                 10327387, 1431680, 165394, 16377};
    int64_t p = c[7];
    for (int i = 6; i >= 0; i--) p = c[i] + (((int64_t)f * p) >> 30);
    return p;
}

/* exp(x) for sf_step on fixed-point targets, in integer arithmetic (no libcall):
 * exp(x) = 2^k 2^f with x log2(e) = k + f, k an integer, |f| <= 1/2; 2^f by its Taylor
 * polynomial of degree 7 in Q30 (truncation error below 6e-9), then shifted by k and
 * rounded to the s16.15 grid. The result is exp(x) to within one unit of the last place
 * (2^-15 ~ 3.1e-5) plus a relative error below 2e-8. It saturates: x >= ln(65536) gives
 * the largest s16.15 value, x < -11 gives 0 (exp(x) is then below half a unit).
 * sf_fixed_exp_raw works on the raw s16.15 word, so it compiles (and is tested) on the
 * host as well. */
static inline int32_t sf_fixed_exp_raw(int32_t raw) {   /* raw: x in units of 2^-15 */
    if (raw >= 363407) return INT32_MAX;             /* 11.0903 * 2^15 */
    if (raw < -360448) return 0;                     /* -11 * 2^15 */
    /* x log2(e) in Q30: raw (Q15) times log2(e) in Q28 is Q43 */
    const int64_t y = ((int64_t)raw * 387270501) >> 13;
    const int32_t k = (int32_t)((y + (1 << 29)) >> 30);
    const int32_t f = (int32_t)(y - ((int64_t)k << 30));          /* Q30, |f| <= 1/2 */
    const int64_t p = sf_exp2_q30(f);
    /* the result in Q15 is p 2^(k - 15), rounded to nearest */
    uint32_t out;
    if (k >= 16) {
        if (k > 16 || p > 0x3FFFFFFF) return INT32_MAX;
        out = (uint32_t)p << 1;
    } else if (k == 15) {
        out = (uint32_t)p;
    } else {
        const int32_t shift = 15 - k;
        if (shift >= 31) return 0;
        out = ((uint32_t)p + (1u << (shift - 1))) >> shift;
    }
    return out > (uint32_t)INT32_MAX ? INT32_MAX : (int32_t)out;
}

/* exp(-y) for y >= 0, y and the result in Q32 (units of 2^-32; 1 is 2^32), in integer
 * arithmetic, for probabilities that s16.15 cannot resolve (the chance of no event in a
 * step, 1 - rate dt, with rate dt down to 1e-7). Below y = 2^-8 a cubic Taylor polynomial
 * (error below 2^-31: y^4/24 < 2^-36 plus the truncation of y^2 and y^3); above, the range reduction of sf_fixed_exp_raw with
 * log2(e) in Q30: the result is within 2^-31 plus a relative error below 2e-8. y >= 23
 * gives 0 (exp(-23) is below 2^-33). */
static inline uint64_t sf_exp_neg_q32(uint64_t y) {
    if (y < (1u << 24)) {
        const uint64_t y2 = (y * y) >> 32;
        const uint32_t y3 = (uint32_t)((y2 * y) >> 32);
        return (1ull << 32) - y + (y2 >> 1) - y3 / 6u;
    }
    if (y >= (23ull << 32)) return 0;
    /* y log2(e) in Q30, the product split in 32-bit halves so that none overflows */
    const uint64_t log2e = 1549082005u;                                  /* Q30 */
    const uint64_t z = (y >> 32) * log2e + (((y & 0xFFFFFFFFu) * log2e) >> 32);
    const int32_t k = (int32_t)((z + (1u << 29)) >> 30);
    const int32_t f = (int32_t)((int64_t)z - ((int64_t)k << 30));      /* |f| <= 1/2 */
    const uint64_t p = (uint64_t)sf_exp2_q30(-f);                     /* 2^-f, Q30 */
    return k > 2 ? (p + (1ull << (k - 3))) >> (k - 2) : p << (2 - k);
}

/* A non-negative double as Q32 (x 2^32, truncated) from its IEEE-754 bits, with no
 * floating-point operation: how sf_step reads a double (a sequence parameter, ctx->dt) on
 * fixed-point targets. Negative values and NaN give 0, values from 2^32 on UINT64_MAX. */
static inline uint64_t sf_double_to_q32(double x) {
    uint64_t bits;
    __builtin_memcpy(&bits, &x, sizeof bits);
    const int32_t biased = (int32_t)(bits >> 52);          /* sign bit included: < 0 */
    if (biased == 0x7FF && (bits & ((1ull << 52) - 1))) return 0;      /* NaN */
    if (biased <= 0 || biased > 0x7FF) return 0;          /* zero, subnormal, negative */
    const uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    const int32_t shift = biased - 1075 + 32;              /* x 2^32 = m 2^shift */
    if (shift > 11) return UINT64_MAX;                     /* m 2^shift >= 2^64 */
    if (shift >= 0) return m << shift;
    return shift > -64 ? m >> -shift : 0;
}

#ifdef SPINNFRAME_FIXED_POINT
static inline sf_real sf_fixed_exp(sf_real x) {
    int32_t raw;
    __builtin_memcpy(&raw, &x, sizeof raw);          /* the s16.15 word */
    raw = sf_fixed_exp_raw(raw);
    __builtin_memcpy(&x, &raw, sizeof x);
    return x;
}
#endif

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

/* The count of a Poisson variate whose probability of 0 is silence / 2^32 (silence =
 * exp(-mean) in Q32; 2^32 gives 0 always), in 32-bit integers by Knuth's method: the
 * number of uniforms whose running product stays above silence. */
static inline uint32_t sf_rng_poisson_q32(uint64_t *state, uint64_t silence) {
    uint32_t count = 0;
    uint64_t product = sf_splitmix64(state) >> 32;
    while (product > silence) {
        product = (product * (sf_splitmix64(state) >> 32)) >> 32;
        count++;
    }
    return count;
}

/* Uniform sf_real in (0, 1] for sf_step: sf_rng_uniform on the host; on fixed-point
 * targets 15 random bits, (k + 1) 2^-15 for k in 0 .. 32767, with no floating point. */
#ifdef SPINNFRAME_FIXED_POINT
static inline sf_real sf_rng_uniform_real(uint64_t *state) {
    const int32_t raw = (int32_t)(sf_splitmix64(state) >> 49) + 1;
    sf_real u;
    __builtin_memcpy(&u, &raw, sizeof u);
    return u;
}
#else
#define sf_rng_uniform_real(state) sf_rng_uniform(state)
#endif

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

/* Elements from one variable's array to the next in a population's state block (laid out
 * field by field), and from one receptor's plane of its ring buffer to the next: n, or for
 * a population of at least SF_STRIDE_MIN neurons (which the host engine may split between
 * threads) n rounded up to a multiple of SF_STRIDE_ALIGN, so that with the block on a page
 * boundary every array starts on one, and so does every thread's part (parts begin at
 * multiples of SF_STRIDE_ALIGN): threads that write to the same page slow each other
 * down even where they never write the same cache line. */
#define SF_STRIDE_MIN 2048u
#define SF_STRIDE_ALIGN 1024u
static inline uint64_t sf_stride(uint64_t n) {
    return n < SF_STRIDE_MIN ? n : (n + SF_STRIDE_ALIGN - 1) / SF_STRIDE_ALIGN * SF_STRIDE_ALIGN;
}

/* What the engine hands the generated neuron loop for one population. */
typedef struct sf_population_view {
    uint32_t n;                /* number of neurons */
    uint32_t n_receptors;
    uint32_t stride;           /* sf_stride(n) */
    uint32_t reserved;
    void *state;               /* n neurons' sf_state_t, field by field: variable f is an
                                * array of n from offsetof(sf_state_t, f) * stride bytes on */
    const void *params;        /* parameter sets */
    void *derived;             /* derived constants, one per parameter set */
    const uint32_t *param_index; /* per neuron: which parameter set (NULL: all use set 0) */
    sf_real *input;            /* ring slot for this step: n_receptors planes of stride
                                * elements (n of them used), cleared after use */
    const sf_real *i_inj;      /* injected current per neuron (NULL: none) */
} sf_population_view;

#endif /* SPINNFRAME_KERNEL_H */
