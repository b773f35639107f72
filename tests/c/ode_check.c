/* Checks of the SDK's adaptive integrator (sf_ode.h), run by tests/test_sdk.py. */
#include <stdio.h>
#include "sf_ode.h"

static void decay(const double *y, double *dydt, const void *ctx) {
    (void)ctx;
    dydt[0] = -y[0];
}

static void oscillator(const double *y, double *dydt, const void *ctx) {
    const double w = *(const double *)ctx;
    dydt[0] = y[1];
    dydt[1] = -w * w * y[0];
}

static void blow_up(const double *y, double *dydt, const void *ctx) {
    (void)ctx;
    dydt[0] = 1.0;              /* finite */
    dydt[1] = y[1] * y[1] * 1e300;  /* overflows: the second component goes non-finite */
}

int main(void) {
    sf_ode_control c = sf_ode_control_y(1e-10, 0.0);
    double y[2] = {1.0, 0.0}, h = 0.0;
    int steps = 0;
    for (int k = 0; k < 10; k++) steps += sf_ode_evolve(decay, NULL, 1, y, 0.1, &h, &c);
    printf("decay %.17g %d\n", y[0], steps);
    double w = 2.0;
    y[0] = 1.0; y[1] = 0.0; h = 0.0;
    sf_ode_control c2 = sf_ode_control_yp(1e-9, 1e-9);
    for (int k = 0; k < 100; k++) sf_ode_evolve(oscillator, &w, 2, y, 0.05, &h, &c2);
    printf("oscillator %.17g %.17g %.17g\n", y[0], y[1], h);
    double z[2] = {0.0, 10.0};
    h = 0.0;
    int rc = sf_ode_evolve(blow_up, NULL, 2, z, 0.1, &h, &c);
    printf("blowup %d %d\n", rc, (int)(isfinite(z[0]) && isfinite(z[1])));
    return 0;
}
