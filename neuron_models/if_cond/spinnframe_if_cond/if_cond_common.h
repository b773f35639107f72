/* Helpers shared by the IF_cond_* kernels (included by each kernel; not a kernel itself).
 *
 * The kernels integrate in NEST's units (mV, nS, pF, pA, ms) rather than PyNN's (mV, uS,
 * nF, nA, ms). The reason is the error control: NEST uses an absolute tolerance of 1e-3 on
 * every component of the state vector with no relative part, and that number means 1e-3 nS
 * for a conductance. Integrating conductances in uS with the same 1e-3 would make the
 * conductance error allowance 1000 times larger than NEST's; integrating in nS reproduces
 * NEST's step-size sequence and hence its numbers, to rounding.
 */
#ifndef SPINNFRAME_IF_COND_COMMON_H
#define SPINNFRAME_IF_COND_COMMON_H

#include "sf_ode.h"

/* NEST's iaf_cond_exp, iaf_cond_alpha and iaf_cond_exp_sfa_rr all use
 * gsl_odeiv_control_y_new(1e-3, 0.0) with the gsl_odeiv_step_rkf45 stepper. */
#define IF_COND_EPS_ABS 1e-3
#define IF_COND_EPS_REL 0.0

/* Euler's number, as NEST's numerics::e (M_E is not part of strict C99). */
#define IF_COND_E 2.718281828459045235360287

/* Conductances scale between PyNN's uS and the integration units: NEST's nS on the host,
 * 100 nS on fixed-point targets (see SF_UNITS_PER_PYNN in the SDK; "ns" in the names
 * below means these units). */
#define IF_COND_NS_PER_US SF_REAL(SF_UNITS_PER_PYNN)

/* The integrated conductance is kept in nS (internal state); the public, recordable copy
 * in uS is derived from it after every step. A user may overwrite the public copy between
 * runs (Population.initialize), so at the start of each run the internal value is taken
 * from the public one unless the public one is still exactly the copy derived from it.
 * This way neither value picks up a rounding error from converting back and forth. */
static inline sf_real if_cond_ns_from_public(sf_real public_us, sf_real internal_ns) {
    if (public_us == internal_ns / IF_COND_NS_PER_US) return internal_ns;
    return public_us * IF_COND_NS_PER_US;
}

/* Refractory period in whole time steps, rounded up as NEST does. */
static inline int32_t if_cond_refrac_steps(double tau_refrac, double dt) {
    return sf_duration_steps(tau_refrac, dt);   /* NEST's rounding (see the SDK) */
}

/* The derived constants every IF_cond_* model has, from the same expressions pyNN.nest
 * uses to hand the parameters to NEST, so that both integrate exactly the same numbers. */
static inline void if_cond_prepare_membrane(const sf_params_t *p, sf_derived_t *d,
                                            const sf_context *ctx) {
    d->c_m = p->cm * SF_UNITS_PER_PYNN;
    d->g_l = p->cm / p->tau_m * SF_UNITS_PER_PYNN;
    d->i_e = p->i_offset * SF_UNITS_PER_PYNN;
    d->refrac_steps = if_cond_refrac_steps(p->tau_refrac, ctx->dt);
}

/* At the start of a run: the internal conductances (nS) from the public ones (uS). */
static inline void if_cond_start_conductances(sf_state_t *s) {
    s->g_exc_ns = if_cond_ns_from_public(s->gsyn_exc, s->g_exc_ns);
    s->g_inh_ns = if_cond_ns_from_public(s->gsyn_inh, s->g_inh_ns);
}

/* What the right-hand side of an IF_cond_* system needs besides the state vector: the
 * parameters and derived constants of the neuron, whether it is refractory (NEST decides
 * this once per time step, from the counter before it is decremented) and the injected
 * current of the step in pA. Inputs are constant within a step, so the system is
 * autonomous over the step, as sf_ode_evolve expects. */
typedef struct if_cond_rhs_ctx {
    const sf_params_t *p;
    const sf_derived_t *d;
    int refractory;
    sf_real i_stim;
} if_cond_rhs_ctx;

/* The membrane potential the currents are computed with: v_reset while refractory (the
 * potential is clamped there), otherwise v but at most v_thresh (within the time step in
 * which v crosses threshold, NEST computes the currents with v_thresh, so the crossing
 * step does not overshoot into the strongly nonlinear range). */
static inline sf_real if_cond_effective_v(const if_cond_rhs_ctx *c, sf_real v) {
    if (c->refractory) return c->p->v_reset;
    return (c->p->v_thresh < v) ? c->p->v_thresh : v;   /* like std::min(v, v_thresh) */
}

#endif /* SPINNFRAME_IF_COND_COMMON_H */
