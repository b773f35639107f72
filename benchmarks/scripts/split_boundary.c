/* What a population split between two threads costs at the boundary of the parts.

       gcc -O3 -march=native -fopenmp benchmarks/scripts/split_boundary.c -o /tmp/split_boundary
       /tmp/split_boundary [GAP]

   Two threads update 20 000 LIF-like neurons laid out as the host engine lays out a large
   population (one block; v, two synaptic currents, two input planes, the refractory
   counter and the spike flags each an array of STRIDE elements, page aligned), thread 0
   neurons 0-10239, thread 1 the 9 760 after them, with a barrier after each of 10 000
   steps. With GAP > 0, thread 1's neurons start GAP elements later in every array, so the
   two threads' regions no longer touch. Prints each thread's update time (TSC ticks, 1e9)
   for three runs with GAP 0 and three with the GAP given (default 256): on a machine where
   the parts' boundary costs nothing, thread 1 takes ~0.95x thread 0's time (it has 4.7 %
   fewer neurons) either way. Results: docs/benchmarks.md, "2026-11-26, session 9". */
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#define N 20000
#define SPLIT 10240
#define STRIDE 21504          /* N + room for a gap, rounded up to 1024 */
#define STEPS 10000

typedef struct { double *v, *ie, *ii, *in; int32_t *ref; uint32_t *flag; size_t stride; } arrays;

static void update(const arrays *a, uint32_t b, uint32_t e) {
    double *restrict v = a->v, *restrict ie = a->ie, *restrict ii = a->ii, *restrict in = a->in;
    int32_t *restrict ref = a->ref;
    uint32_t *restrict flag = a->flag;
    const size_t n = a->stride;     /* from one input plane to the next, known at run time */
    const double p22 = 0.995, p21 = 0.09, p11e = 0.98, p11i = 0.99, vr = -49.0;
#pragma GCC ivdep
    for (uint32_t i = b; i < e; i++) {
        const double xe = in[i], xi = in[n + i];
        double vv = v[i], se = ie[i], si = ii[i];
        int32_t r = ref[i];
        in[i] = 0.0;
        in[n + i] = 0.0;
        if (r == 0) vv = vr + (vv - vr) * p22 + (se + si) * p21; else r--;
        se = se * p11e + xe;
        si = si * p11i + xi;
        const uint32_t f = vv >= -50.0;
        if (f) { r = 20; vv = -60.0; }
        v[i] = vv; ie[i] = se; ii[i] = si; ref[i] = r; flag[i] = f;
    }
}

static void run(const arrays *a, uint32_t gap) {
    uint64_t ticks[2] = {0, 0};
#pragma omp parallel num_threads(2)
    {
        const int t = omp_get_thread_num();
        const uint32_t b = t ? SPLIT + gap : 0, e = t ? N + gap : SPLIT;
        uint64_t sum = 0;
        for (int s = 0; s < STEPS; s++) {
            const uint64_t t0 = __rdtsc();
            update(a, b, e);
            for (uint32_t i = b; i < e; i += 97) a->in[i] += 0.01;     /* some input */
            sum += __rdtsc() - t0;
#pragma omp barrier
        }
        ticks[t] = sum;
    }
    printf("gap %4u: thread 0 %.3f, thread 1 %.3f (1e9 ticks), thread 1 / thread 0 %.2f\n",
           gap, ticks[0] / 1e9, ticks[1] / 1e9, (double)ticks[1] / (double)ticks[0]);
}

int main(int argc, char **argv) {
    const uint32_t gap = argc > 1 ? (uint32_t)atoi(argv[1]) : 256;
    if (gap > STRIDE - N) {
        fprintf(stderr, "GAP must be at most %d elements, got %u\n", STRIDE - N, gap);
        return 2;
    }
    const size_t bytes = 5 * (size_t)STRIDE * 8 + 2 * (size_t)STRIDE * 4;
    char *m = aligned_alloc(4096, (bytes + 4095) & ~(size_t)4095);
    if (!m) return 1;
    memset(m, 0, bytes);
    arrays a;
    a.stride = STRIDE;
    a.v = (double *)m;
    a.ie = a.v + STRIDE;
    a.ii = a.v + 2 * STRIDE;
    a.in = a.v + 3 * STRIDE;                  /* two planes */
    a.ref = (int32_t *)(a.v + 5 * STRIDE);
    a.flag = (uint32_t *)(a.ref + STRIDE);
    for (int i = 0; i < STRIDE; i++) a.v[i] = -65.0 + (i % 15);
    for (int r = 0; r < 3; r++) run(&a, 0);
    for (int r = 0; r < 3; r++) run(&a, gap);
    free(m);
    return 0;
}
