/* The on-window shared by sources with start/stop: on for the steps that start at
 * t = step * dt with start <= t < stop (times rounded to the nearest step, as numpy's rint). */
#ifndef SPINNFRAME_CURRENT_SOURCES_WINDOW_H
#define SPINNFRAME_CURRENT_SOURCES_WINDOW_H

static inline uint64_t cs_steps(double t, double dt) {
    const double k = rint(t / dt);
    return k > 0.0 ? (uint64_t)k : 0;
}

#define CS_WINDOW_PREPARE(p, d, dt)                \
    do {                                           \
        (d)->start_step = cs_steps((p)->start, dt); \
        (d)->stop_step = cs_steps((p)->stop, dt);   \
    } while (0)

#define CS_IS_ON(d, step) ((step) >= (d)->start_step && (step) < (d)->stop_step)

#endif
