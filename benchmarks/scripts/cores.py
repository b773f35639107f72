#!/usr/bin/env python3
"""How much a second thread gives on this machine right now, independent of any simulator.

    python benchmarks/scripts/cores.py

compiles a small C program with the system's C compiler (OpenMP) and prints one JSON line:

- ``compute_2x``: work done per second by two threads over one thread, each running the
  same independent floating-point loop (no memory traffic). 2.0 means two full cores;
  less means the two CPUs this process sees do not run at once at full speed (a host that
  places both virtual CPUs on one physical core, or other tenants).
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

int main(void) {
    const long iters = 40000000L;
    double one = compute(1, iters), two = compute(2, iters);
    double own = pages(0, 5000), shared = pages(1, 5000);
    printf("{\"compute_1_s\": %.4f, \"compute_2_s\": %.4f, \"compute_2x\": %.2f, "
           "\"own_pages_s\": %.4f, \"shared_pages_s\": %.4f, \"shared_pages_slowdown\": %.2f}\n",
           one, two, 2.0 * one / two, own, shared, shared / own);
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
