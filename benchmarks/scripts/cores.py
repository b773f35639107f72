#!/usr/bin/env python3
"""How much a second thread gives on this machine right now, independent of any simulator.

    python benchmarks/scripts/cores.py

compiles a small C program with the system's C compiler (OpenMP) and prints one JSON line:

- ``compute_2x``: work done per second by two threads over one thread, each running the
  same independent floating-point loop (no memory traffic). 2.0 means two full cores;
  less means the two CPUs this process sees do not run at once at full speed (a host that
  places both virtual CPUs on one physical core, or other tenants).
- ``stepped_2x``: a simulator's time loop in miniature (two parts of 8192 "neurons", six
  arrays each, updated at every step) run on two threads with a barrier after every step,
  against one thread running both parts: what a second thread can give a time-stepped
  loop of about 10 us per part and step right now (the fastest of three runs each way,
  alternating).
- ``shared_pages_slowdown``: time of two threads writing the two halves of the same 4 KB
  pages (no cache line shared, a barrier between rounds) over the time of each writing
  pages of its own. Above 1: cores slow each other down when they write the same page,
  which is why the host engine gives small populations whole to one thread
  (docs/architecture.md, Threads).

benchmarks/run.py runs it at the start and at the end of a benchmark run and puts both in
the report, so that the 2-thread rows can be read against what the machine gave.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <omp.h>

static double compute(int threads, long iters) {
    double t0 = omp_get_wtime(), sink = 0.0;
#pragma omp parallel num_threads(threads) reduction(+:sink)
    {
        double a[16];
        for (int k = 0; k < 16; k++) a[k] = 1.0 + k * 1e-9;
        for (long i = 0; i < iters; i++)
            for (int k = 0; k < 16; k++) a[k] = a[k] * 0.999999999 + 1e-9;
        for (int k = 0; k < 16; k++) sink += a[k];
    }
    if (sink == 42.0) printf("#");
    return omp_get_wtime() - t0;
}

static double pages(int shared, int rounds) {
    const int npg = 64;
    char *buf = NULL;
    if (posix_memalign((void **)&buf, 4096, (size_t)npg * 2 * 4096)) return -1.0;
    memset(buf, 0, (size_t)npg * 2 * 4096);
    double t0 = omp_get_wtime();
#pragma omp parallel num_threads(2)
    {
        const int t = omp_get_thread_num();
        for (int r = 0; r < rounds; r++) {
            for (int p = 0; p < npg; p++) {
                double *d = shared ? (double *)(buf + (size_t)p * 4096 + t * 2048)
                                   : (double *)(buf + ((size_t)t * npg + p) * 4096);
                for (int i = 0; i < 256; i++) d[i] += 1.0;
            }
#pragma omp barrier
        }
    }
    double dt = omp_get_wtime() - t0;
    free(buf);
    return dt;
}

/* A simulator's time loop in miniature: each of two parts updates 8192 "neurons" (six
 * arrays, read then written, as a neuron loop does) at every step; the parts run one
 * after the other on one thread, or on two threads with a barrier after every step. */
#define NS 8192
static double *arrays[2][6];

static void step_part(int k) {
    double *v = arrays[k][0], *a = arrays[k][1], *b = arrays[k][2], *r = arrays[k][3];
    double *x = arrays[k][4], *y = arrays[k][5];
    for (int i = 0; i < NS; i++) {
        const double xi = x[i], yi = y[i], vi = v[i], ai = a[i], bi = b[i], ri = r[i];
        x[i] = 0.0;
        y[i] = 0.0;
        const double an = ai * 0.98 + xi, bn = bi * 0.9 + yi;
        double vn = ri > 0.0 ? vi : vi * 0.995 + 0.01 * (an + bn) + 0.3;
        const int fired = vn > -50.0;
        v[i] = fired ? -60.0 : vn;
        r[i] = fired ? 20.0 : (ri > 0.0 ? ri - 1.0 : 0.0);
        a[i] = an;
        b[i] = bn;
    }
}

static double stepped(int parallel, int steps) {
    double t0 = omp_get_wtime();
    if (!parallel) {
        for (int s = 0; s < steps; s++) { step_part(0); step_part(1); }
    } else {
#pragma omp parallel num_threads(2)
        {
            const int k = omp_get_thread_num();
            for (int s = 0; s < steps; s++) {
                step_part(k);
#pragma omp barrier
            }
        }
    }
    return omp_get_wtime() - t0;
}

int main(void) {
    const long iters = 40000000L;
    double one = compute(1, iters), two = compute(2, iters);
    double own = pages(0, 5000), shared = pages(1, 5000);
    for (int k = 0; k < 2; k++)
        for (int f = 0; f < 6; f++) {
            if (posix_memalign((void **)&arrays[k][f], 4096, NS * sizeof(double))) return 1;
            for (int i = 0; i < NS; i++) arrays[k][f][i] = f == 0 ? -65.0 + i % 15 : 0.0;
        }
    /* alternating, the fastest of three each: the machine's speed drifts */
    double ser = 1e30, par = 1e30;
    for (int r = 0; r < 3; r++) {
        const double a = stepped(0, 3000), b = stepped(1, 3000);
        if (a < ser) ser = a;
        if (b < par) par = b;
    }
    printf("{\"compute_1_s\": %.4f, \"compute_2_s\": %.4f, \"compute_2x\": %.2f, "
           "\"own_pages_s\": %.4f, \"shared_pages_s\": %.4f, \"shared_pages_slowdown\": %.2f, "
           "\"stepped_1_s\": %.4f, \"stepped_2_s\": %.4f, \"stepped_2x\": %.2f}\n",
           one, two, 2.0 * one / two, own, shared, shared / own, ser, par, ser / par);
    return 0;
}
"""


def check(timeout: float = 120.0) -> dict:
    """Compile and run the program; {"status": "ok", ...figures} or {"status": "failed",
    "reason": ...}."""
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not cc:
        return {"status": "failed", "reason": "no C compiler"}
    with tempfile.TemporaryDirectory() as tmp:
        src, exe = Path(tmp) / "cores.c", Path(tmp) / "cores"
        src.write_text(SOURCE)
        build = subprocess.run([cc, "-O2", "-fopenmp", "-o", str(exe), str(src)],
                               capture_output=True, text=True)
        if build.returncode != 0:
            return {"status": "failed", "reason": f"compile: {build.stderr.strip()[-300:]}"}
        try:
            run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return {"status": "failed", "reason": f"timed out after {timeout:g} s"}
        if run.returncode != 0:
            return {"status": "failed", "reason": run.stderr.strip()[-300:]}
        return {"status": "ok", **json.loads(run.stdout.strip().splitlines()[-1])}


if __name__ == "__main__":
    out = check()
    print(json.dumps(out))
    sys.exit(0 if out["status"] == "ok" else 1)
