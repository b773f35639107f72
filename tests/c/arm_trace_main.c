/* A bare-metal main for a generated fixed-point wrapper (tests/test_arm_qemu.py appends it
 * to the wrapper and builds for the ARM968 with newlib's semihosting): steps TRACE_N
 * neurons, neuron i with parameter set i, for TRACE_STEPS steps of TRACE_DT ms and prints
 * after each step the raw s16.15 word of state variable TRACE_VAR of every neuron
 * ("v STEP RAW..."), and "spike STEP NEURON COUNT" for each spike. TRACE_INIT (the test
 * writes it) assigns P[k] (parameters) and S[i] (initial state), which go into the
 * population's field-by-field state block (sf_state_store). Raw words, not %f, so that
 * printing needs no floating point and loses nothing. */
#include <stdio.h>
#include <string.h>

static sf_params_t P[TRACE_N];
static sf_derived_t D[TRACE_N];
static sf_state_t S[TRACE_N];
static sf_state_t block[TRACE_N];   /* storage of the same size for the state block */
static uint32_t index_of[TRACE_N], spikes[TRACE_N], counts[TRACE_N];

int main(void) {
    sf_context ctx;
    memset(&ctx, 0, sizeof ctx);
    ctx.dt = TRACE_DT;
    ctx.dt_fx = SF_REAL(TRACE_DT);
    ctx.seed = 1;
    for (uint32_t i = 0; i < TRACE_N; i++) index_of[i] = i;
    TRACE_INIT
    const sf_state_arrays arrays = sf_state_arrays_of(block, (uint32_t)sf_stride(TRACE_N));
    for (uint32_t i = 0; i < TRACE_N; i++) sf_state_store(&arrays, i, &S[i]);
    sf_population_view pv = {TRACE_N, SF_N_RECEPTORS, (uint32_t)sf_stride(TRACE_N), 0, block,
                             P, D, index_of, NULL, NULL};
    static sf_real input[SF_N_RECEPTORS > 0 ? SF_N_RECEPTORS * TRACE_N : 1];
    pv.input = input;
    sf_model_prepare(P, D, TRACE_N, &ctx);
    sf_model_start(&pv, &ctx);
    for (uint32_t step = 0; step < TRACE_STEPS; step++) {
        ctx.step = step;
        ctx.t = step * TRACE_DT;
        uint32_t fired = 0;
        sf_model_update(&pv, 0, TRACE_N, &ctx, spikes, counts, &fired);
        printf("v %lu", (unsigned long)step);
        for (uint32_t i = 0; i < TRACE_N; i++) {
            int32_t raw;
            sf_state_load(&arrays, i, &S[i]);
            memcpy(&raw, &S[i].TRACE_VAR, sizeof raw);
            printf(" %ld", (long)raw);
        }
        printf("\n");
        for (uint32_t j = 0; j < fired; j++)
            printf("spike %lu %lu %lu\n", (unsigned long)step, (unsigned long)spikes[j],
                   (unsigned long)counts[j]);
    }
    return 0;
}
