/* Accuracy of the SDK's integer fixed-point helpers (spinnframe_kernel.h) against libm,
 * on the host: they are plain integer code, so the results are those of the ARM968.
 * Prints "name worst-error" lines for tests/test_arm_fixed_point.py. */
#include <math.h>
#include <stdio.h>
#include "spinnframe_kernel.h"

int main(void) {
    /* sf_fixed_exp_raw: every s16.15 input from -11 to ln(65536), error in units of 2^-15
     * beyond a relative 2e-8 */
    double worst = 0.0;
    for (int32_t raw = -360448; raw < 363407; raw++) {
        const double want = exp(raw / 32768.0) * 32768.0;
        const double err = fabs(sf_fixed_exp_raw(raw) - want) - 2e-8 * want;
        if (err > worst) worst = err;
    }
    printf("fixed_exp_units %.6g\n", worst);
    /* sf_exp_neg_q32: y from 2^-32 to 23, dense near 0 and 1, error in units of 2^-32
     * beyond a relative 2e-8 */
    double worst_abs = 0.0, worst_small = 0.0;
    for (uint64_t y = 1; y < (23ull << 32); y += 1 + y / 4099) {
        const double want = exp(-ldexp((double)y, -32)) * 4294967296.0;
        const double err = fabs((double)sf_exp_neg_q32(y) - want) - 2e-8 * want;
        if (err > worst_abs) worst_abs = err;
        /* relative error of 1 - exp(-y), the chance of an event: what a rate depends on */
        const double chance = 4294967296.0 - want;
        const double rel = fabs((4294967296.0 - (double)sf_exp_neg_q32(y)) - chance) / chance;
        if (y >= (1ull << 32) / 100000 && rel > worst_small) worst_small = rel;
    }
    printf("exp_neg_q32_units %.6g\n", worst_abs);
    printf("exp_neg_q32_chance_rel %.6g\n", worst_small);
    printf("exp_neg_q32_ends %llu %llu\n", (unsigned long long)sf_exp_neg_q32(0),
           (unsigned long long)sf_exp_neg_q32(23ull << 32));
    /* sf_double_to_q32: truncation of x 2^32, and the edge cases */
    double worst_q32 = 0.0;
    for (double x = 1e-9; x < 4.2e9; x *= 1.0173) {
        const double err = fabs((double)sf_double_to_q32(x) - floor(x * 4294967296.0));
        if (x * 4294967296.0 < 1.8e19 && err / fmax(1.0, x * 4294967296.0) > worst_q32)
            worst_q32 = err / fmax(1.0, x * 4294967296.0);
    }
    printf("double_to_q32_rel %.6g\n", worst_q32);
    printf("double_to_q32_edges %llu %llu %llu %llu %llu\n",
           (unsigned long long)sf_double_to_q32(0.0), (unsigned long long)sf_double_to_q32(-1.5),
           (unsigned long long)sf_double_to_q32(NAN), (unsigned long long)sf_double_to_q32(0.1),
           (unsigned long long)sf_double_to_q32(5e9));
    return 0;
}
