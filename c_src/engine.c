/*
 * spinnframe host engine runtime. See engine.h for the contract.
 *
 * Per time step, for every population: the generated neuron loop of its model consumes the
 * ring-buffer slot of this step (spikes arriving now), updates every neuron, and lists the
 * neurons that fired; each spike is then delivered, row by row, into the ring buffers of
 * the target populations at slot (now + delay). Delays are at least one step, so the slot
 * being consumed is never written while it is read, and the order in which populations are
 * updated does not matter.
 */
#include <stdlib.h>
#include <time.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif
#include "engine.h"


/* One entry of a neuron's spike archive (NEST's histentry). */
typedef struct sf_hist {
    double t;                 /* spike time, ms */
    double kminus;            /* K- trace just after this spike */
    uint32_t access;          /* how many incoming plastic synapses have read it */
    uint32_t pad;
} sf_hist;

typedef struct sf_archive {
    sf_hist *h;
    uint32_t head, len, cap;  /* entries h[head .. head+len) */
    uint32_t n_incoming;      /* plastic synapses onto this neuron */
    double kminus;
    double last_spike;
} sf_archive;

/* Time comparisons of spike times use NEST's tolerance. */
#define SF_STDP_EPS 1e-6

/* Events bound for one slot of one population, emitted by one thread, in emission order
 * (sf_engine_set_event_bins): cell = receptor * n + neuron, the index in the slot's plane. */
typedef struct sf_bin {
    uint32_t *cell;
    sf_real *w;
    uint32_t n, cap;
} sf_bin;

typedef struct sf_pop {
    sf_pop_desc d;
    sf_real *ring;            /* n_slots x n_receptors x stride */
    sf_bin *bins;             /* event bins, n_threads x n_slots, or NULL (ring only) */
    uint8_t *dirty;           /* n_threads x n_slots: the ring's plane of that slot holds
                                 events of that thread's range (a full bin was applied to
                                 it), so the slot's input is read from the ring */
    sf_real *scratch;         /* n_receptors x stride, all zero between steps: the input
                                 plane of a slot whose ring plane is clean */
    uint32_t bin_max;         /* most events a bin holds before it is applied to the ring */
    uint32_t *part;           /* n_threads + 1 bounds: part t is neurons [part[t],
                                 part[t + 1]) (sf_pop_desc.parts) */
    uint32_t *deliver_by;     /* per part: the thread that delivers the blocks onto it
                                 (UINT32_MAX: none yet; the part's own thread by default) */
    size_t stride;            /* sf_stride(n + gaps): elements from one state array or
                                 one ring plane (receptor) to the next */
    uint32_t *shift;          /* per part: part t's neuron i lies at i + shift[t] in the
                                 ring, spike lists, injected currents and gstate
                                 (SF_PART_GAP times the non-empty parts before it for a
                                 population with gstate, else all 0) */
    void *gstate;             /* for a population split between threads (with its state
                                 fields known): the state with the gaps, stride apart,
                                 copied from and back to d.state at each sf_engine_run;
                                 else NULL (the kernels run on d.state) */
    uint32_t *fields;         /* (offset, size) per state field (with gstate) */
    uint32_t n_fields;
    uint32_t *spk_index;      /* neurons that fired at a step, two lists of stride
                                 entries: list step & 1 holds step's (the threads' updates of
                                 the next step write the other while this one is delivered);
                                 thread t writes from the start of its range */
    uint32_t *spk_count;      /* how many times each fired, the same two lists (how many
                                 fired in each thread's range: sf_engine.fired) */
    uint32_t *out_blocks;     /* indices of the blocks leaving this population */
    uint32_t n_out;
    double *i_inj;            /* injected current per neuron (current sources), or NULL:
                                 two arrays of stride, that of step & 1 read at step (the next
                                 step's is computed while the threads update this one) */
    int injected;             /* some current source targets this population now */
    sf_archive *arch;         /* spike archive per neuron (plastic targets), or NULL */
    double tau_minus_inv;
    /* Written by the bookkeeping thread at each step with spikes, so on lines of their
     * own: a write takes its line away from the other threads, which read the fields
     * above at every step. */
    uint64_t *log_step __attribute__((aligned(64)));   /* recorded spikes: step at which
                                                           it was stamped */
    uint32_t *log_index;
    uint64_t log_n, log_cap;
    uint64_t total;
} sf_pop;

static void archive_clear(sf_pop *p);
static inline size_t plane_size(const sf_pop *p);
static void bins_free(sf_engine *e, sf_pop *p, int apply);
static int bins_alloc(sf_engine *e, sf_pop *p);

/* Where neuron i of population p lies in its per-neuron arrays (see sf_pop.shift). */
static inline uint32_t mem_index(const sf_pop *p, uint32_t i) {
    if (!p->gstate) return i;
    uint32_t t = 0;
    while (i >= p->part[t + 1]) t++;
    return i + p->shift[t];
}

/* The state the kernels and samples of population p work on (see sf_pop.gstate). */
static inline void *run_state(const sf_pop *p) { return p->gstate ? p->gstate : p->d.state; }

/* A row to deliver: row i of block b, for a neuron that fired mult times. */
typedef struct sf_row_task {
    const sf_block_desc *b;
    uint32_t i, mult;
} sf_row_task;

/* Rows per delivery batch, and how far ahead their row pointers and beginnings are
 * fetched (deliver_rows). */
#define SF_TASKS 1024
#define SF_AHEAD_PTR 8
#define SF_AHEAD_ROW 4
#define SF_ROW_HEAD 128

struct sf_engine {
    double dt;
    uint32_t n_slots;
    uint32_t n_pops, n_blocks, n_threads;
    uint64_t step;
    sf_pop *pops;
    sf_block_desc *blocks;
    uint32_t *block_shift;    /* per block: its targets' part's shift (sf_pop.shift) */
    sf_sample_desc *samples;
    uint32_t n_samples;
    sf_source_desc *sources;
    uint32_t n_sources;
    uint32_t *source_at;      /* every source's targets' places in their populations'
                                 arrays (mem_index), one source after another; NULL when
                                 no target population has gaps (the places are the indices) */
    volatile int archive_error;   /* an archive could not grow (out of memory) */
    uint32_t event_bins;          /* event bins on (sf_engine_set_event_bins) */
    uint32_t bin_capacity;        /* its capacity argument (0: the default) */
    /* ticks (sf_ticks) per thread spent in each phase of the time loop (SF_PHASE_*) */
    uint64_t phase[SF_MAX_THREADS][SF_N_PHASES];
    /* how the parts run (sf_engine_set_thread_mode): the mode, and for the adaptive one
     * the way now running (1: parallel, 0: one after another), whether it is a probe, the
     * way that ran before it (2: none yet), the time and steps of the current stretch,
     * the latest seconds per step of each way (0: not measured yet) and the current
     * interval between probes (s) */
    uint32_t thread_mode;
    uint32_t way, probing, settled_way;
    double stretch_s;
    uint64_t stretch_steps;
    double step_s[2];
    uint32_t probe_chunks[2];     /* the current probe: chunks run each way, */
    double probe_per[2][SF_PROBE_ROUNDS];   /* and the seconds per unit of work of each, */
    double probe_step[2][SF_PROBE_ROUNDS];  /* and per step */
    double settle_s;
    uint64_t way_steps[2];        /* steps run each way: [0] one after another, [1] parallel */
    /* the adaptive mode's watch on the cores (SF_CONTENDED_*): whether run_parallel
     * watches (its parallel chunks and stretches), and whether it ended its last run early
     * since most steps kept a thread waiting long (another program holding a core); the
     * steps run_parallel / run_parallel_balanced ran */
    uint32_t watch, contended;
    uint32_t watched;             /* the way runs serially as the watch last stopped it */
    uint64_t par_steps;
    double watch_wait_s, watch_ratio;   /* SF_CONTENDED_WAIT_S, SF_CONTENDED_RATIO */
    uint64_t watch_stops;               /* parallel runs the watch stopped so far */
    sf_row_task *tasks[SF_MAX_THREADS];   /* per part: a batch of rows to deliver */
    /* how many neurons of population k fired in part t's range at a step of parity b:
     * fired[(b * n_threads + t) * fired_stride + k], a row of whole pages per part (each
     * part writes its own, every part reads them all) */
    uint32_t *fired;
    uint32_t fired_stride;
    /* run-time balance (sf_engine_set_balance): the mode, the populations moved so far,
     * and the synaptic events each part delivered onto each population since the last
     * look (events[t * ev_stride + k], a row of whole cache lines per part) */
    uint32_t balance;
    uint32_t ev_stride;
    uint64_t moves;
    uint64_t *events;
    /* what each population cost at the timed steps (every SF_TIME_EVERY-th step while
     * the balance is on: timing), per part, a row of whole cache lines each like events:
     * the ticks of its neuron updates and of the deliveries onto it, and the events those
     * deliveries carried */
    uint32_t timing;
    uint64_t *upd_ticks, *del_ticks, *del_events;
    /* the balance's window: the stretches since it opened (at most SF_BALANCE_STRETCHES
     * before the balance looks), whose counts (events, upd_ticks, del_ticks, del_events)
     * are summed: open or not, the next step it expects, its steps, timed steps and
     * stretches, and each thread's busy ticks when it opened */
    uint32_t win_open;
    uint64_t win_next, win_steps, win_timed, win_stretches;
    uint64_t win_busy0[SF_MAX_THREADS];
    /* the last rearrangement, to be judged by the next window: the part each population
     * it moved came from (UINT32_MAX: not moved), how many it moved, and the busiest
     * thread's share of the busy time before it and as predicted after it (balance);
     * after a rearrangement that did not pay, the windows to let pass before the next
     * (hold), doubling with each such one in a row (undone) */
    uint32_t *undo_part;
    uint32_t n_undo;
    double last_share, last_predicted;
    uint32_t hold, undone;
};

#define SF_FIRED(e, b, t, k) \
    ((e)->fired[((size_t)(b) * (e)->n_threads + (t)) * (e)->fired_stride + (k)])
/* The spike lists of a step of parity b (sf_pop.spk_index) */
#define SF_SPK_INDEX(p, b) ((p)->spk_index + (size_t)(b) * (p)->stride)
#define SF_SPK_COUNT(p, b) ((p)->spk_count + (size_t)(b) * (p)->stride)

static inline double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* A clock for the phase timings, read several times per step and part: the CPU's time
 * stamp counter where there is one (a read costs a few ns; clock_gettime 26 ns on the
 * development machine, 3-5 % of a small network's loop), else clock_gettime in ns.
 * Converted to seconds when asked for (sf_engine_phase_times), by the ticks and seconds
 * elapsed since the engine was made. */
static inline uint64_t sf_ticks(void) {
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#elif defined(__aarch64__)
    uint64_t v;
    __asm__ volatile("mrs %0, cntvct_el0" : "=r"(v));
    return v;
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
#endif
}

/* The tick counter and the clock when the library was loaded, which give the counter's
 * rate later (seconds_per_tick). */
static uint64_t load_tick;
static double load_second;
__attribute__((constructor)) static void mark_load(void) {
    load_tick = sf_ticks();
    load_second = now_s();
}

/* Seconds per tick of sf_ticks, measured since the library was loaded; 0 where less
 * than min_seconds have passed since (too short to tell well enough). */
static double seconds_per_tick(double min_seconds) {
    const double secs = now_s() - load_second;
    const uint64_t ticks = sf_ticks() - load_tick;
    return secs >= min_seconds && ticks ? secs / (double)ticks : 0.0;
}

uint32_t sf_engine_abi_version(void) { return SF_ENGINE_ABI_VERSION; }

/* Zeroed memory for an array of population p that threads write at every step: for a
 * population that may be split between threads (at least SF_STRIDE_MIN neurons) on pages
 * of its own (the size rounded up to whole pages), since a page shared with another array
 * written by another thread would slow both (see SF_STRIDE_ALIGN); for a smaller one, which
 * one thread updates whole, on cache lines of its own (a network of many small
 * populations would otherwise spend pages on each). NULL when out of memory. */
static void *alloc_array(const sf_pop *p, size_t bytes) {
    const size_t align = p->d.n >= SF_STRIDE_MIN ? 4096u : 64u;
    const size_t size = bytes ? (bytes + align - 1) & ~(align - 1) : align;
    void *mem = NULL;
    if (posix_memalign(&mem, align, size)) return NULL;
    memset(mem, 0, size);
    return mem;
}

sf_engine *sf_engine_new(double dt, uint32_t n_slots, uint32_t n_pops, uint32_t n_blocks,
                         uint32_t n_threads) {
    if (dt <= 0.0 || n_slots < 2) return NULL;
    sf_engine *e = calloc(1, sizeof(*e));
    if (!e) return NULL;
    e->dt = dt;
    e->n_slots = n_slots;
    e->n_pops = n_pops;
    e->n_blocks = n_blocks;
#ifdef _OPENMP
    e->n_threads = n_threads ? (n_threads > SF_MAX_THREADS ? SF_MAX_THREADS : n_threads) : 1;
#else
    (void)n_threads;
    e->n_threads = 1;
#endif
    /* each population on cache lines of its own (sf_pop is a multiple of 64 bytes) */
    void *mem = NULL;
    if (posix_memalign(&mem, 64, (n_pops ? n_pops : 1) * sizeof(sf_pop))) mem = NULL;
    e->pops = mem;
    if (e->pops) memset(e->pops, 0, (n_pops ? n_pops : 1) * sizeof(sf_pop));
    else e->n_pops = 0;
    e->blocks = calloc(n_blocks ? n_blocks : 1, sizeof(sf_block_desc));
    e->block_shift = calloc(n_blocks ? n_blocks : 1, sizeof(uint32_t));
    /* a page per row: each thread writes its rows at every step (see alloc_array) */
    e->fired_stride = (n_pops + 1023u) & ~1023u;
    if (!e->fired_stride) e->fired_stride = 1024;
    mem = NULL;
    const size_t fired_size = 2 * (size_t)e->n_threads * e->fired_stride * sizeof(uint32_t);
    if (posix_memalign(&mem, 4096, fired_size)) mem = NULL;
    e->fired = mem;
    if (e->fired) memset(e->fired, 0, fired_size);
    e->ev_stride = (n_pops + 7u) & ~7u;
    if (!e->ev_stride) e->ev_stride = 8;
    mem = NULL;
    const size_t ev_size = (size_t)e->n_threads * e->ev_stride * sizeof(uint64_t);
    if (posix_memalign(&mem, 64, ev_size)) mem = NULL;
    e->events = mem;
    if (e->events) memset(e->events, 0, ev_size);
    uint64_t **timed[3] = {&e->upd_ticks, &e->del_ticks, &e->del_events};
    for (int a = 0; a < 3; a++) {
        mem = NULL;
        if (posix_memalign(&mem, 64, ev_size)) mem = NULL;
        if (mem) memset(mem, 0, ev_size);
        *timed[a] = mem;
    }
    e->balance = SF_BALANCE_AUTO;
    e->watch_wait_s = SF_CONTENDED_WAIT_S;
    e->watch_ratio = SF_CONTENDED_RATIO;
    e->undo_part = malloc((n_pops ? n_pops : 1) * sizeof(uint32_t));
    if (e->undo_part)
        for (uint32_t k = 0; k < n_pops; k++) e->undo_part[k] = UINT32_MAX;
    if (!e->pops || !e->blocks || !e->block_shift || !e->fired || !e->events ||
        !e->upd_ticks || !e->del_ticks || !e->del_events || !e->undo_part) {
        sf_engine_free(e);
        return NULL;
    }
    for (uint32_t t = 0; t < e->n_threads; t++) {
        void *task = NULL;   /* on pages of its own: its thread writes it at every step */
        if (posix_memalign(&task, 4096, SF_TASKS * sizeof(sf_row_task))) task = NULL;
        e->tasks[t] = task;
        if (!e->tasks[t]) { sf_engine_free(e); return NULL; }
    }
    sf_engine_set_thread_mode(e, SF_THREADS_ADAPTIVE);
    return e;
}

void sf_engine_free(sf_engine *e) {
    if (!e) return;
    if (e->pops) {
        for (uint32_t k = 0; k < e->n_pops; k++) {
            sf_pop *p = &e->pops[k];
            bins_free(e, p, 0);
            free(p->ring); free(p->spk_index); free(p->spk_count); free(p->part);
            free(p->deliver_by); free(p->log_step); free(p->log_index); free(p->out_blocks);
            free(p->i_inj); free(p->gstate); free(p->fields); free(p->shift);
            if (p->arch) {
                for (uint32_t i = 0; i < p->d.n; i++) free(p->arch[i].h);
                free(p->arch);
            }
        }
        free(e->pops);
    }
    free(e->blocks);
    free(e->fired);
    free(e->events);
    free(e->upd_ticks);
    free(e->del_ticks);
    free(e->del_events);
    free(e->undo_part);
    free(e->block_shift);
    free(e->source_at);
    for (uint32_t t = 0; t < SF_MAX_THREADS; t++) free(e->tasks[t]);
    free(e);
}

int sf_engine_set_population(sf_engine *e, uint32_t k, const sf_pop_desc *desc) {
    if (!e || k >= e->n_pops || !desc || !desc->update || desc->n_receptors > SF_MAX_RECEPTORS)
        return SF_ERR_ARG;
    if (desc->parts) {             /* bounds from 0 to n, non-decreasing */
        if (desc->parts[0] != 0 || desc->parts[e->n_threads] != desc->n) return SF_ERR_ARG;
        for (uint32_t t = 0; t < e->n_threads; t++)
            if (desc->parts[t] > desc->parts[t + 1]) return SF_ERR_ARG;
    }
    sf_pop *p = &e->pops[k];
    bins_free(e, p, 0);
    free(p->ring); free(p->spk_index); free(p->spk_count); free(p->part); free(p->deliver_by);
    free(p->gstate); free(p->fields); free(p->i_inj); free(p->shift);
    p->shift = NULL;
    p->gstate = NULL; p->fields = NULL; p->n_fields = 0; p->i_inj = NULL;
    p->injected = 0;
    p->d = *desc;
    p->d.parts = NULL;
    p->d.state_fields = NULL;
    p->d.i_inj = NULL;
    p->part = malloc(((size_t)e->n_threads + 1) * sizeof(uint32_t));
    p->deliver_by = malloc((size_t)e->n_threads * sizeof(uint32_t));
    if (!p->part || !p->deliver_by) return SF_ERR_NOMEM;
    for (uint32_t t = 0; t < e->n_threads; t++) p->deliver_by[t] = UINT32_MAX;
    for (uint32_t t = 0; t <= e->n_threads; t++) {
        uint32_t b = desc->n, end;
        if (desc->parts) b = desc->parts[t];
        else if (t < e->n_threads) sf_engine_thread_range(desc->n, e->n_threads, t, &b, &end);
        p->part[t] = b;
    }
    uint32_t n_parts = 0;
    for (uint32_t t = 0; t < e->n_threads; t++) n_parts += p->part[t + 1] > p->part[t];
    const uint32_t gap = n_parts > 1 && desc->state_by_field && desc->state_fields &&
                         desc->n_state_fields && desc->state ? SF_PART_GAP : 0;
    if (gap) {
        p->n_fields = desc->n_state_fields;
        p->fields = malloc(2 * (size_t)p->n_fields * sizeof(uint32_t));
        if (!p->fields) return SF_ERR_NOMEM;
        memcpy(p->fields, desc->state_fields, 2 * (size_t)p->n_fields * sizeof(uint32_t));
        for (uint32_t f = 0; f < p->n_fields; f++)
            if ((uint64_t)p->fields[2 * f] + p->fields[2 * f + 1] > desc->state_size)
                return SF_ERR_ARG;
    }
    p->shift = calloc(e->n_threads, sizeof(uint32_t));
    if (!p->shift) return SF_ERR_NOMEM;
    uint32_t before = 0;              /* non-empty parts before part t */
    for (uint32_t t = 0; t < e->n_threads; t++) {
        p->shift[t] = before * gap;
        before += p->part[t + 1] > p->part[t];
    }
    p->stride = (size_t)sf_stride((uint64_t)(desc->n ? desc->n : 1) +
                                  (uint64_t)(n_parts ? n_parts - 1 : 0) * gap);
    if (gap) {
        p->gstate = alloc_array(p, (size_t)desc->state_size * p->stride);
        if (!p->gstate) return SF_ERR_NOMEM;
    }
    p->ring = alloc_array(p, (size_t)e->n_slots * plane_size(p) * sizeof(sf_real));
    p->spk_index = alloc_array(p, 2 * p->stride * sizeof(uint32_t));
    p->spk_count = alloc_array(p, 2 * p->stride * sizeof(uint32_t));
    if (!p->ring || !p->spk_index || !p->spk_count) return SF_ERR_NOMEM;
    if (e->event_bins && bins_alloc(e, p)) return SF_ERR_NOMEM;
    return SF_OK;
}

int sf_engine_set_params(sf_engine *e, uint32_t k, const void *params, void *derived,
                         const uint32_t *param_index, const double *seq) {
    if (!e || k >= e->n_pops || !params || !derived) return SF_ERR_ARG;
    sf_pop *p = &e->pops[k];
    p->d.params = params;
    p->d.derived = derived;
    p->d.param_index = param_index;
    p->d.seq = seq;
    return SF_OK;
}

int sf_engine_set_record_spikes(sf_engine *e, uint32_t k, const uint8_t *mask) {
    if (!e || k >= e->n_pops) return SF_ERR_ARG;
    e->pops[k].d.record_spikes = mask;
    return SF_OK;
}

int sf_engine_set_seed(sf_engine *e, uint32_t k, uint64_t seed) {
    if (!e || k >= e->n_pops) return SF_ERR_ARG;
    e->pops[k].d.seed = seed;
    return SF_OK;
}

int sf_engine_set_block(sf_engine *e, uint32_t b, const sf_block_desc *desc) {
    if (!e || b >= e->n_blocks || !desc || desc->pre >= e->n_pops || desc->post >= e->n_pops)
        return SF_ERR_ARG;
    if (desc->receptor >= e->pops[desc->post].d.n_receptors || desc->thread >= e->n_threads)
        return SF_ERR_ARG;
    if (!desc->row_ptr == !desc->row_ptr32) return SF_ERR_ARG;   /* exactly one of them */
    if (desc->weight24 && (desc->kind != SF_SYN_STATIC || desc->weight || desc->weight_table))
        return SF_ERR_ARG;
    const int replacing = e->blocks[b].row_ptr != NULL || e->blocks[b].row_ptr32 != NULL;
    if (replacing && e->blocks[b].pre != desc->pre) return SF_ERR_ARG;
    /* a block replaced (new weights) stays with the thread that delivers it now, which
     * the run-time balance may have changed (sf_engine_set_balance) */
    const uint32_t thread = replacing && e->blocks[b].post == desc->post ?
        e->blocks[b].thread : desc->thread;
    /* every block onto one part of a population is delivered by the same thread, so that
     * the part's ring entries (or bins) receive their inputs in one thread's order */
    sf_pop *q = &e->pops[desc->post];
    uint32_t shift = 0;
    if (desc->post_base < q->d.n) {
        uint32_t t = 0;
        while (t + 1 < e->n_threads && q->part[t + 1] <= desc->post_base) t++;
        if (q->deliver_by[t] == UINT32_MAX) q->deliver_by[t] = thread;
        else if (q->deliver_by[t] != thread) return SF_ERR_ARG;
        shift = q->shift[t];
    }
    e->block_shift[b] = shift;
    e->blocks[b] = *desc;
    e->blocks[b].thread = thread;
    if (replacing) return SF_OK;   /* new rows for a block already listed (weights changed) */
    sf_pop *p = &e->pops[desc->pre];
    uint32_t *ob = realloc(p->out_blocks, (p->n_out + 1) * sizeof(uint32_t));
    if (!ob) return SF_ERR_NOMEM;
    ob[p->n_out++] = b;
    p->out_blocks = ob;
    return SF_OK;
}

void sf_engine_set_samples(sf_engine *e, sf_sample_desc *samples, uint32_t n_samples) {
    e->samples = samples;
    e->n_samples = n_samples;
}

uint64_t sf_engine_step(const sf_engine *e) { return e->step; }
void sf_engine_set_step(sf_engine *e, uint64_t step) { e->step = step; }

uint32_t sf_engine_slots(const sf_engine *e) { return e->n_slots; }

int sf_engine_resize_slots(sf_engine *e, uint32_t n_slots) {
    if (!e) return SF_ERR_ARG;
    if (n_slots <= e->n_slots) return SF_OK;
    /* binned events go to the ring first; the bins are made anew for the new slots */
    for (uint32_t k = 0; k < e->n_pops; k++) bins_free(e, &e->pops[k], 1);
    for (uint32_t k = 0; k < e->n_pops; k++) {
        sf_pop *p = &e->pops[k];
        const size_t plane = plane_size(p);
        sf_real *ring = alloc_array(p, (size_t)n_slots * plane * sizeof(sf_real));
        if (!ring) return SF_ERR_NOMEM;
        /* slot of time step s is s % n_slots: move every pending slot to its new place */
        for (uint32_t j = 0; j < e->n_slots; j++) {
            const uint64_t s = e->step + j;
            memcpy(ring + (s % n_slots) * plane, p->ring + (s % e->n_slots) * plane,
                   plane * sizeof(sf_real));
        }
        free(p->ring);
        p->ring = ring;
    }
    e->n_slots = n_slots;
    if (e->event_bins)
        for (uint32_t k = 0; k < e->n_pops; k++)
            if (bins_alloc(e, &e->pops[k])) return SF_ERR_NOMEM;
    return SF_OK;
}

/* ---- event bins --------------------------------------------------------------------- */

static inline size_t plane_size(const sf_pop *p) {
    return (size_t)(p->d.n_receptors ? p->d.n_receptors : 1) * p->stride;
}

/* Add the events of a bin to a plane, in the order they were emitted, and empty it. */
static void bin_apply(sf_bin *b, sf_real *plane) {
    const uint32_t *c = b->cell;
    const sf_real *w = b->w;
    const uint32_t n = b->n;
    for (uint32_t k = 0; k < n; k++) plane[c[k]] += w[k];
    b->n = 0;
}

/* Bin (tid, slot s) of q is full: grow it up to bin_max, else (or when memory runs out)
 * apply it to the ring's plane of s, which then holds events of this thread's range. */
static void bin_make_room(sf_pop *q, uint32_t n_slots, uint32_t tid, uint32_t s) {
    const size_t k = (size_t)tid * n_slots + s;
    sf_bin *b = &q->bins[k];
    if (b->cap < q->bin_max) {
        uint32_t cap = b->cap ? (b->cap > q->bin_max / 2 ? q->bin_max : 2 * b->cap)
                              : (q->bin_max < 4096 ? q->bin_max : 4096);
        uint32_t *c = realloc(b->cell, (size_t)cap * sizeof(uint32_t));
        if (c) {
            b->cell = c;
            sf_real *w = realloc(b->w, (size_t)cap * sizeof(sf_real));
            if (w) {
                b->w = w;
                b->cap = cap;
                return;
            }
        }
    }
    bin_apply(b, q->ring + (size_t)s * plane_size(q));
    q->dirty[k] = 1;
}

/* Bins for population p (only where its planes can be indexed with 32 bits); every ring
 * plane counts as holding events until its slot has been read once. */
static int bins_alloc(sf_engine *e, sf_pop *p) {
    if (p->bins || !p->d.n_receptors || plane_size(p) > UINT32_MAX || !p->ring) return 0;
    const size_t nb = (size_t)e->n_threads * e->n_slots;
    p->bins = calloc(nb, sizeof(sf_bin));
    p->dirty = malloc(nb);
    p->scratch = alloc_array(p, plane_size(p) * sizeof(sf_real));
    if (!p->bins || !p->dirty || !p->scratch) {
        free(p->bins); free(p->dirty); free(p->scratch);
        p->bins = NULL; p->dirty = NULL; p->scratch = NULL;
        return SF_ERR_NOMEM;
    }
    memset(p->dirty, 1, nb);
    /* default: one bin may hold as many events as its thread's part of a plane has cells */
    uint64_t part = 0;
    for (uint32_t t = 0; t < e->n_threads; t++)
        if (p->part[t + 1] - p->part[t] > part) part = p->part[t + 1] - p->part[t];
    part *= p->d.n_receptors;
    const uint64_t cap = e->bin_capacity ? e->bin_capacity : (part < 1024 ? 1024 : part);
    p->bin_max = cap > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)cap;
    return 0;
}

/* Drop p's bins, first applying their events to the ring when apply != 0. */
static void bins_free(sf_engine *e, sf_pop *p, int apply) {
    if (!p->bins) return;
    const size_t nb = (size_t)e->n_threads * e->n_slots;
    for (size_t k = 0; k < nb; k++) {
        sf_bin *b = &p->bins[k];
        if (apply && b->n) bin_apply(b, p->ring + (k % e->n_slots) * plane_size(p));
        free(b->cell); free(b->w);
    }
    free(p->bins); free(p->dirty); free(p->scratch);
    p->bins = NULL; p->dirty = NULL; p->scratch = NULL;
}

int sf_engine_set_event_bins(sf_engine *e, uint32_t enable, uint32_t capacity) {
    if (!e) return SF_ERR_ARG;
    for (uint32_t k = 0; k < e->n_pops; k++) bins_free(e, &e->pops[k], 1);
    e->event_bins = enable ? 1u : 0u;
    e->bin_capacity = capacity;
    if (enable)
        for (uint32_t k = 0; k < e->n_pops; k++)
            if (bins_alloc(e, &e->pops[k])) return SF_ERR_NOMEM;
    return SF_OK;
}

uint32_t sf_engine_event_bins(const sf_engine *e) { return e ? e->event_bins : 0; }

void sf_engine_clear_ring(sf_engine *e) {
    for (uint32_t k = 0; k < e->n_pops; k++) {
        sf_pop *p = &e->pops[k];
        archive_clear(p);
        if (p->ring) memset(p->ring, 0, (size_t)e->n_slots * plane_size(p) * sizeof(sf_real));
        if (p->bins) {
            const size_t nb = (size_t)e->n_threads * e->n_slots;
            for (size_t j = 0; j < nb; j++) p->bins[j].n = 0;
            memset(p->dirty, 0, nb);
        }
    }
}

void sf_engine_thread_range(uint32_t n, uint32_t n_threads, uint32_t t, uint32_t *begin,
                            uint32_t *end) {
    *begin = (uint32_t)(((uint64_t)n * t) / n_threads);
    *end = (uint32_t)(((uint64_t)n * (t + 1)) / n_threads);
}

uint32_t sf_engine_threads(const sf_engine *e) { return e->n_threads; }

/* The spikes of population k at the step before `stamp` (its lists of parity buf). */
static int log_spikes(sf_engine *e, uint32_t k, uint64_t stamp, uint32_t buf) {
    sf_pop *p = &e->pops[k];
    const uint32_t *spk_index = SF_SPK_INDEX(p, buf), *spk_count = SF_SPK_COUNT(p, buf);
    for (uint32_t t = 0; t < e->n_threads; t++) {
        const uint32_t begin = p->part[t] + p->shift[t];
        for (uint32_t j = begin; j < begin + SF_FIRED(e, buf, t, k); j++) {
            const uint32_t i = spk_index[j];
            p->total += spk_count[j];
            if (!p->d.record_spikes || !p->d.record_spikes[i]) continue;
            for (uint32_t c = 0; c < spk_count[j]; c++) {
                if (p->log_n == p->log_cap) {
                    uint64_t cap = p->log_cap ? 2 * p->log_cap : 1024;
                    uint64_t *ns = realloc(p->log_step, cap * sizeof(uint64_t));
                    if (!ns) return SF_ERR_NOMEM;
                    p->log_step = ns;
                    uint32_t *ni = realloc(p->log_index, cap * sizeof(uint32_t));
                    if (!ni) return SF_ERR_NOMEM;
                    p->log_index = ni;
                    p->log_cap = cap;
                }
                p->log_step[p->log_n] = stamp;
                p->log_index[p->log_n] = i;
                p->log_n++;
            }
        }
    }
    return SF_OK;
}

/* ---- postsynaptic spike archive (as NEST's ArchivingNode) ----------------------------- */

int sf_engine_set_archive(sf_engine *e, uint32_t pop, double tau_minus,
                          const uint32_t *n_incoming) {
    if (!e || pop >= e->n_pops || !(tau_minus > 0.0) || !n_incoming) return SF_ERR_ARG;
    sf_pop *p = &e->pops[pop];
    if (!p->arch) {
        p->arch = calloc(p->d.n ? p->d.n : 1, sizeof(sf_archive));
        if (!p->arch) return SF_ERR_NOMEM;
        for (uint32_t i = 0; i < p->d.n; i++) p->arch[i].last_spike = -1.0;
    }
    p->tau_minus_inv = 1.0 / tau_minus;
    for (uint32_t i = 0; i < p->d.n; i++) p->arch[i].n_incoming = n_incoming[i];
    return SF_OK;
}

static void archive_clear(sf_pop *p) {
    if (!p->arch) return;
    for (uint32_t i = 0; i < p->d.n; i++) {
        sf_archive *a = &p->arch[i];
        a->head = a->len = 0;
        a->kminus = 0.0;
        a->last_spike = -1.0;
    }
}

/* A spike of neuron i at time t (ms): prune what every incoming synapse has read (keeping
 * one entry), update K-, append. Returns SF_ERR_NOMEM if the archive cannot grow. */
static int archive_spike(sf_pop *p, uint32_t i, double t) {
    sf_archive *a = &p->arch[i];
    if (!a->n_incoming) {
        a->last_spike = t;
        return SF_OK;
    }
    while (a->len > 1 && a->h[a->head].access >= a->n_incoming) {
        a->head++;
        a->len--;
    }
    if (a->head + a->len == a->cap) {
        if (a->head > 0) {                   /* compact */
            memmove(a->h, a->h + a->head, a->len * sizeof(sf_hist));
            a->head = 0;
        }
        if (a->len == a->cap) {
            uint32_t cap = a->cap ? 2 * a->cap : 8;
            sf_hist *nh = realloc(a->h, cap * sizeof(sf_hist));
            if (!nh) return SF_ERR_NOMEM;
            a->h = nh;
            a->cap = cap;
        }
    }
    a->kminus = a->kminus * exp((a->last_spike - t) * p->tau_minus_inv) + 1.0;
    a->last_spike = t;
    sf_hist *hent = &a->h[a->head + a->len++];
    hent->t = t;
    hent->kminus = a->kminus;
    hent->access = 0;
    return SF_OK;
}

/* K- trace of neuron i at time t, counting only spikes strictly before t. */
static double archive_k(const sf_pop *p, uint32_t i, double t) {
    const sf_archive *a = &p->arch[i];
    if (a->len == 0) return a->kminus;
    for (uint32_t k = a->len; k-- > 0;) {
        const sf_hist *hent = &a->h[a->head + k];
        if (t - hent->t > SF_STDP_EPS)
            return hent->kminus * exp((hent->t - t) * p->tau_minus_inv);
    }
    return 0.0;
}

/* ---- synapse dynamics --------------------------------------------------------------------- */

static inline double stdp_facilitate(const sf_dyn_params *q, double w, double kplus) {
    const double nw = w / q->f + q->b * pow(1.0 - w / q->f, q->d) * kplus;
    return nw < 1.0 ? nw * q->f : q->f;
}

static inline double stdp_depress(const sf_dyn_params *q, double w, double kminus) {
    const double nw = w / q->f - q->c * pow(w / q->f, q->e) * kminus;
    return nw > 0.0 ? nw * q->f : 0.0;
}

/* Counter-based uniform in [0, 1) for a synapse and a spike: independent of threads. */
static inline double stochastic_uniform(uint64_t seed, uint64_t syn, uint64_t step) {
    uint64_t x = seed ^ (syn * 0x9E3779B97F4A7C15ull) ^ (step * 0xD1B54A32D192ED03ull);
    return (double)(sf_splitmix64(&x) >> 11) * (1.0 / 9007199254740992.0);
}

/* Delay of synapse s of block b, in steps, whatever the storage form. */
static inline uint32_t syn_delay(const sf_block_desc *b, uint64_t s) {
    return b->delay8 ? b->delay8[s] : b->delay16 ? b->delay16[s] : b->delay_const;
}

/* The weight synapse s delivers for a spike emitted at t_spike (ms), updating its state.
 * Returns 0 when nothing is transmitted (stochastic synapses). */
static int dynamic_weight(const sf_engine *e, const sf_block_desc *b, sf_pop *q, uint64_t s,
                          double t_spike, uint64_t step, double *out) {
    const sf_dyn_params *prm = b->dyn;
    switch (b->kind) {
    case SF_SYN_TSODYKS: {
        double u = b->s0[s], x = b->s1[s], y = b->s2[s];
        const double h = t_spike - b->s3[s], tau_psc = b->tau_psc[s];
        const double U = b->q0 ? b->q0[s] : prm->a;
        const double tau_rec = b->q1 ? b->q1[s] : prm->b;
        const double tau_fac = b->q2 ? b->q2[s] : prm->c;
        const double Puu = tau_fac == 0.0 ? 0.0 : exp(-h / tau_fac);
        const double Pyy = exp(-h / tau_psc);
        const double Pzz = exp(-h / tau_rec);
        const double Pxy = ((Pzz - 1.0) * tau_rec - (Pyy - 1.0) * tau_psc) / (tau_psc - tau_rec);
        const double Pxz = 1.0 - Pzz;
        const double z = 1.0 - x - y;
        u *= Puu;               /* propagate from the last spike; the order matters */
        x += Pxy * y + Pxz * z;
        y *= Pyy;
        u += U * (1.0 - u);
        const double dy = u * x;
        x -= dy;
        y += dy;
        b->s0[s] = u; b->s1[s] = x; b->s2[s] = y; b->s3[s] = t_spike;
        *out = dy * b->w[s];
        return 1;
    }
    case SF_SYN_STDP:
    case SF_SYN_VOGELS: {
        const uint32_t j = b->post_base + b->post16[s];
        sf_archive *a = &q->arch[j];
        const double d = (double)syn_delay(b, s) * e->dt;
        const double t_last = b->s1[s], kplus = b->s0[s];
        const double tau = prm->a;
        double w = b->w[s];
        /* facilitation by the postsynaptic spikes in (t_last - d, t_spike - d] */
        const double t1 = t_last - d, t2 = t_spike - d;
        for (uint32_t k = 0; k < a->len; k++) {
            sf_hist *hent = &a->h[a->head + k];
            if (t1 - hent->t > -SF_STDP_EPS) continue;
            if (t2 - hent->t <= -SF_STDP_EPS) break;
            hent->access++;
            const double kp = kplus * exp((t_last - (hent->t + d)) / tau);
            if (b->kind == SF_SYN_STDP) {
                w = stdp_facilitate(prm, w, kp);
            } else {
                const double nw = w + prm->b * kp;
                w = nw < prm->f ? nw : prm->f;
            }
        }
        const double km = archive_k(q, j, t2);
        if (b->kind == SF_SYN_STDP) {
            w = stdp_depress(prm, w, km);
        } else {
            double nw = w + prm->b * km;             /* facilitation by the post trace */
            w = nw < prm->f ? nw : prm->f;
            nw = w - prm->c * prm->b;                /* constant depression */
            w = nw > 0.0 ? nw : 0.0;
        }
        b->w[s] = w;
        b->s0[s] = kplus * exp((t_last - t_spike) / tau) + 1.0;
        b->s1[s] = t_spike;
        *out = prm->sign * w;
        return 1;
    }
    case SF_SYN_STOCHASTIC:
        if (stochastic_uniform(prm->seed, b->syn_id[s], step) >= (b->q0 ? b->q0[s] : prm->a))
            return 0;
        *out = b->w[s];
        return 1;
    default:
        *out = b->w[s];
        return 1;
    }
}

/* One row of static synapses [s0, s1), one run of equal delay at a time (rows are sorted
 * by delay), so that a run writes one ring plane or one bin. NEXT_D is the delay of the run
 * starting at s (d: the previous run's), SAME whether synapse s continues the run,
 * TARGET and WEIGHT read synapse s; the events go to the ring (SF_RING_*) or, with event
 * bins, to the bin of the run's slot (SF_BIN_*). Written out per storage form (below) so
 * that the inner loop has no format test. */
#define SF_ROW_RUNS(NEXT_D, SAME, TARGET, WEIGHT, OPEN, PUT, CLOSE)                       \
    {                                                                                     \
        uint32_t d = rd;                                                                  \
        for (uint64_t s = s0; s < s1;) {                                                  \
            d = (NEXT_D);                                                                 \
            uint32_t target_slot = slot + d;                                              \
            if (target_slot >= n_slots) target_slot -= n_slots;                           \
            OPEN                                                                          \
            do {                                                                          \
                PUT((TARGET), mult * (sf_real)(WEIGHT))                                   \
                s++;                                                                      \
            } while (s < s1 && (SAME));                                                   \
            CLOSE                                                                         \
        }                                                                                 \
    }
#define SF_RING_OPEN sf_real *plane = ring + target_slot * stride;
#define SF_RING_PUT(T, W) plane[T] += (W);
#define SF_RING_CLOSE
/* (locals: the stores into the bin cannot then be taken to change them) */
#define SF_BIN_OPEN                                                                       \
    sf_bin *bn = bins + target_slot;                                                      \
    uint32_t *bc = bn->cell;                                                              \
    sf_real *bw = bn->w;                                                                  \
    uint32_t m = bn->n, cap = bn->cap;
#define SF_BIN_PUT(T, W)                                                                  \
    if (m == cap) {                                                                       \
        bn->n = m;                                                                        \
        bin_make_room(q, n_slots, tid, target_slot);                                      \
        bc = bn->cell; bw = bn->w; m = bn->n; cap = bn->cap;                              \
    }                                                                                     \
    bc[m] = cell0 + (T);                                                                  \
    bw[m] = (W);                                                                          \
    m++;
#define SF_BIN_CLOSE bn->n = m;
/* ... for each weight form (float, table index, one for all) and sink */
#define SF_ROW_SINKS(NEXT_D, SAME, TARGET, W)                                             \
    if (bins) { SF_ROW_RUNS(NEXT_D, SAME, TARGET, W, SF_BIN_OPEN, SF_BIN_PUT, SF_BIN_CLOSE) } \
    else { SF_ROW_RUNS(NEXT_D, SAME, TARGET, W, SF_RING_OPEN, SF_RING_PUT, SF_RING_CLOSE) }
#define SF_STATIC_ROW(NEXT_D, SAME, TARGET)                                               \
    if (b->weight24) { SF_ROW_SINKS(NEXT_D, SAME, TARGET, weight24(w24, w24_base, s)) }    \
    else if (!b->weight_table) { SF_ROW_SINKS(NEXT_D, SAME, TARGET, b->weight[s]) }       \
    else if (b->weight_index) { SF_ROW_SINKS(NEXT_D, SAME, TARGET, wt[b->weight_index[s]]) } \
    else { SF_ROW_SINKS(NEXT_D, SAME, TARGET, w0) }

/* The weight of synapse s of a block in 24-bit weights (engine.h, sf_block_desc). */
static inline float weight24(const uint8_t *w24, uint32_t base, uint64_t s) {
    uint32_t code, bits;
    memcpy(&code, w24 + 3 * s, 4);
    code &= 0xFFFFFFu;
    bits = base + code;
    float w;
    memcpy(&w, &bits, 4);
    return code ? w : 0.0f;
}

/* Where row i of block b begins (its end: row_at(b, i + 1)), and its pointer's address. */
static inline uint64_t row_at(const sf_block_desc *b, uint32_t i) {
    return b->row_ptr32 ? b->row_ptr32[i] : b->row_ptr[i];
}
static inline const void *row_ptr_addr(const sf_block_desc *b, uint32_t i) {
    return b->row_ptr32 ? (const void *)(b->row_ptr32 + i) : (const void *)(b->row_ptr + i);
}

/* The first cache lines of row [s0, s1): its first SF_ROW_HEAD synapses in each array. */
static inline void prefetch_row(const sf_block_desc *b, uint64_t s0, uint64_t s1) {
    const uint64_t e1 = s1 - s0 > SF_ROW_HEAD ? s0 + SF_ROW_HEAD : s1;
    for (uint64_t s = s0; s < e1; s += 32) __builtin_prefetch(b->post16 + s);
    if (b->delay8) for (uint64_t s = s0; s < e1; s += 64) __builtin_prefetch(b->delay8 + s);
    if (b->delay16) for (uint64_t s = s0; s < e1; s += 32) __builtin_prefetch(b->delay16 + s);
    if (b->weight24) {
        for (uint64_t s = s0; s < e1; s += 21) __builtin_prefetch(b->weight24 + 3 * s);
        __builtin_prefetch(b->weight24 + 3 * e1);
    } else if (b->weight_index) {
        for (uint64_t s = s0; s < e1; s += 32) __builtin_prefetch(b->weight_index + s);
    } else if (b->weight && !b->weight_table) {
        for (uint64_t s = s0; s < e1; s += 16) __builtin_prefetch(b->weight + s);
    }
}

/* One row of a spike's synapses: row i of block b, for a neuron that fired mult times. */
static void deliver_row(sf_engine *e, const sf_block_desc *b, uint32_t i, uint32_t mult_n,
                        uint32_t slot, uint32_t tid, uint64_t step) {
    const uint32_t n_slots = e->n_slots;
    sf_pop *q = &e->pops[b->post];
    const size_t nq = q->stride;                          /* one receptor's plane */
    const size_t stride = (size_t)q->d.n_receptors * nq;  /* one slot's planes */
    /* the targets' places in the ring: their part's shift along (sf_pop.shift) */
    const size_t base = (size_t)b->post_base + e->block_shift[b - e->blocks];
    sf_real *ring = q->ring + (size_t)b->receptor * nq + base;
    sf_bin *bins = q->bins ? q->bins + (size_t)tid * n_slots : NULL;
    const uint32_t cell0 = (uint32_t)((size_t)b->receptor * nq + base);
    const uint16_t *tg = b->post16;
    const double *wt = b->weight_table;
    const double w0 = wt ? wt[0] : 0.0;
    const uint8_t *w24 = b->weight24;
    const uint32_t w24_base = b->weight24_base;
    const uint32_t dc = b->delay_const;
    const sf_real mult = (sf_real)mult_n;
    const uint64_t s0 = row_at(b, i), s1 = row_at(b, i + 1);
    e->events[(size_t)tid * e->ev_stride + b->post] += s1 - s0;
    if (b->kind != SF_SYN_STATIC) {
        /* dynamic synapses: one update per spike (a multiple spike repeats it) */
        const double t_spike = (double)(step + 1) * e->dt;
        for (uint32_t c = 0; c < mult_n; c++) {
            for (uint64_t s = s0; s < s1; s++) {
                double w;
                if (!dynamic_weight(e, b, q, s, t_spike, step, &w)) continue;
                uint32_t target_slot = slot + syn_delay(b, s);
                if (target_slot >= n_slots) target_slot -= n_slots;
                if (bins) {
                    sf_bin *bn = bins + target_slot;
                    if (bn->n == bn->cap) bin_make_room(q, n_slots, tid, target_slot);
                    bn->cell[bn->n] = cell0 + tg[s];
                    bn->w[bn->n++] = (sf_real)w;
                } else {
                    ring[target_slot * stride + tg[s]] += (sf_real)w;
                }
            }
        }
    } else if (b->row_delay) {          /* coded delays: steps in tg & 3 */
        const uint32_t rd = b->row_delay[i];
        SF_STATIC_ROW(d + (tg[s] & 3u), (tg[s] & 3u) == 0, tg[s] >> 2)
    } else {
        const uint32_t rd = 0;
        if (b->delay8) {
            SF_STATIC_ROW(b->delay8[s], b->delay8[s] == d, tg[s])
        } else if (b->delay16) {
            SF_STATIC_ROW(b->delay16[s], b->delay16[s] == d, tg[s])
        } else {
            SF_STATIC_ROW(dc, 1, tg[s])
        }
    }
}

/* The rows of a batch of the step's spikes, in order, fetching ahead: the row pointers
 * SF_AHEAD_PTR rows ahead, the beginning of each row (SF_ROW_HEAD synapses of each of
 * its arrays) SF_AHEAD_ROW rows ahead. A row starts at a random place in memory, and at
 * low rates most rows are the only one of their block in a step, so fetching only within
 * a block (the next spike's row) would leave them to wait for memory. */
static inline __attribute__((always_inline)) void
deliver_rows_in(sf_engine *e, const sf_row_task *task, uint32_t n, uint32_t slot,
                uint32_t tid, uint64_t step, const int timed) {
    for (uint32_t r = 0; r < n && r < SF_AHEAD_PTR; r++)
        __builtin_prefetch(row_ptr_addr(task[r].b, task[r].i));
    for (uint32_t r = 0; r < n && r < SF_AHEAD_ROW; r++)
        prefetch_row(task[r].b, row_at(task[r].b, task[r].i), row_at(task[r].b, task[r].i + 1));
    uint64_t t0 = timed && n ? sf_ticks() : 0;
    uint32_t post = n ? task[0].b->post : 0;
    for (uint32_t r = 0; r < n; r++) {
        if (r + SF_AHEAD_PTR < n)
            __builtin_prefetch(row_ptr_addr(task[r + SF_AHEAD_PTR].b, task[r + SF_AHEAD_PTR].i));
        if (r + SF_AHEAD_ROW < n) {
            const sf_row_task *a = &task[r + SF_AHEAD_ROW];
            prefetch_row(a->b, row_at(a->b, a->i), row_at(a->b, a->i + 1));
        }
        if (timed) {
            /* the time since the last mark goes to the population the rows before ended
             * in; the fetching ahead goes on across, as at the other steps */
            const sf_block_desc *b = task[r].b;
            if (b->post != post) {
                const uint64_t t1 = sf_ticks();
                e->del_ticks[(size_t)tid * e->ev_stride + post] += t1 - t0;
                t0 = t1;
                post = b->post;
            }
            e->del_events[(size_t)tid * e->ev_stride + post] +=
                row_at(b, task[r].i + 1) - row_at(b, task[r].i);
        }
        deliver_row(e, task[r].b, task[r].i, task[r].mult, slot, tid, step);
    }
    if (timed && n) e->del_ticks[(size_t)tid * e->ev_stride + post] += sf_ticks() - t0;
}

static void deliver_rows(sf_engine *e, const sf_row_task *task, uint32_t n, uint32_t slot,
                         uint32_t tid, uint64_t step) {
    deliver_rows_in(e, task, n, slot, tid, step, 0);
}

/* deliver_rows at a timed step (sf_engine.timing): the ticks spent on the rows onto each
 * population, and the events they carried, are added to its del_ticks and del_events. */
static void deliver_rows_timed(sf_engine *e, const sf_row_task *task, uint32_t n,
                               uint32_t slot, uint32_t tid, uint64_t step) {
    deliver_rows_in(e, task, n, slot, tid, step, 1);
}

/* Whether step is one at which the balance times each population (sf_engine.timing). */
static inline int timed_step(const sf_engine *e, uint64_t step) {
    return e->timing && step % SF_TIME_EVERY == 0;
}

/* Phase 2 of a step for part tid: the spikes of every population through the blocks this
 * part delivers, in the order population, block, spike, synapse (each ring entry sums its
 * inputs in that order whatever the thread count), queued in batches so that the rows can
 * be fetched ahead across blocks and populations. */
static void deliver_phase(sf_engine *e, uint32_t slot, uint32_t tid, uint64_t step) {
    sf_row_task *task = e->tasks[tid];
    const uint32_t buf = (uint32_t)(step & 1);
    const int timed = timed_step(e, step);
    uint32_t n = 0;
    for (uint32_t k = 0; k < e->n_pops; k++) {
        const sf_pop *p = &e->pops[k];
        uint32_t fired = 0;
        for (uint32_t t = 0; t < e->n_threads; t++) fired += SF_FIRED(e, buf, t, k);
        if (!fired) continue;
        const uint32_t *spk_index = SF_SPK_INDEX(p, buf), *spk_count = SF_SPK_COUNT(p, buf);
        for (uint32_t ob = 0; ob < p->n_out; ob++) {
            const sf_block_desc *b = &e->blocks[p->out_blocks[ob]];
            if (b->thread != tid) continue;
            for (uint32_t t = 0; t < e->n_threads; t++) {
                const uint32_t begin = p->part[t] + p->shift[t];
                for (uint32_t j = begin; j < begin + SF_FIRED(e, buf, t, k); j++) {
                    if (n == SF_TASKS) {
                        if (timed) deliver_rows_timed(e, task, n, slot, tid, step);
                        else deliver_rows(e, task, n, slot, tid, step);
                        n = 0;
                    }
                    task[n].b = b;
                    task[n].i = spk_index[j];
                    task[n].mult = spk_count[j];
                    n++;
                }
            }
        }
    }
    if (timed) deliver_rows_timed(e, task, n, slot, tid, step);
    else deliver_rows(e, task, n, slot, tid, step);
}

/* Stamps s < x with s >= origin and (s - origin) % interval == 0: the samples due before x. */
static inline uint64_t due_before(const sf_sample_desc *sd, uint64_t x) {
    return x <= sd->origin ? 0 : (x - sd->origin + sd->interval - 1) / sd->interval;
}

/* Write sample `row` of sd for the indices in [lo, hi) (every index: 0, UINT32_MAX),
 * which lie `shift` places further in the state's arrays (sf_pop.shift). */
static void sample_row(const sf_engine *e, const sf_sample_desc *sd, uint64_t row,
                       uint32_t lo, uint32_t hi, uint32_t shift) {
    const sf_pop *p = &e->pops[sd->pop];
    double *out = sd->out + row * sd->n_index;
    if (p->d.state_by_field) {   /* the variable's array in the block */
        const double *var = (const double *)((const char *)run_state(p)
                                             + (size_t)sd->offset * p->stride);
        for (uint32_t k = 0; k < sd->n_index; k++) {
            const uint32_t i = sd->index[k];
            if (i >= lo && i < hi) out[k] = var[i + shift];
        }
    } else {                     /* the field of each neuron's struct */
        const char *base = (const char *)p->d.state + sd->offset;
        for (uint32_t k = 0; k < sd->n_index; k++) {
            const uint32_t i = sd->index[k];
            if (i >= lo && i < hi) out[k] = *(const double *)(base + (size_t)i * p->d.state_size);
        }
    }
}

static void sample(sf_engine *e, uint64_t stamp) {
    for (uint32_t r = 0; r < e->n_samples; r++) {
        sf_sample_desc *sd = &e->samples[r];
        if (stamp < sd->origin || (stamp - sd->origin) % sd->interval != 0 || sd->count >= sd->capacity)
            continue;
        const sf_pop *p = &e->pops[sd->pop];
        if (!p->gstate) sample_row(e, sd, sd->count, 0, UINT32_MAX, 0);
        else
            for (uint32_t t = 0; t < e->n_threads; t++)
                sample_row(e, sd, sd->count, p->part[t], p->part[t + 1], p->shift[t]);
        sd->count++;
    }
}

/* Part tid's neurons of the samples due at `stamp`, in a loop whose first stamp is `first`
 * and that found `count0[r]` samples written: the row is found from the stamp, not from
 * sd->count, which the loop sets at its end (sample_counts), so that no thread writes
 * what another reads while the threads run apart. */
static void sample_part(const sf_engine *e, uint64_t stamp, uint64_t first,
                        const uint64_t *count0, uint32_t tid) {
    for (uint32_t r = 0; r < e->n_samples; r++) {
        const sf_sample_desc *sd = &e->samples[r];
        if (stamp < sd->origin || (stamp - sd->origin) % sd->interval != 0) continue;
        const uint64_t row = count0[r] + due_before(sd, stamp) - due_before(sd, first);
        if (row >= sd->capacity) continue;
        const sf_pop *p = &e->pops[sd->pop];
        if (p->part[tid] < p->part[tid + 1])
            sample_row(e, sd, row, p->part[tid], p->part[tid + 1], p->shift[tid]);
    }
}

/* sd->count after the loop of sample_part over stamps [first, end). */
static void sample_counts(sf_engine *e, uint64_t first, uint64_t end, const uint64_t *count0) {
    for (uint32_t r = 0; r < e->n_samples; r++) {
        sf_sample_desc *sd = &e->samples[r];
        const uint64_t c = count0[r] + due_before(sd, end) - due_before(sd, first);
        sd->count = c < sd->capacity ? c : sd->capacity;
    }
}

int sf_engine_set_sources(sf_engine *e, sf_source_desc *sources, uint32_t n_sources) {
    if (!e) return SF_ERR_ARG;
    for (uint32_t k = 0; k < e->n_pops; k++) e->pops[k].injected = 0;
    for (uint32_t j = 0; j < n_sources; j++) {
        const sf_source_desc *sd = &sources[j];
        if (!sd->current) return SF_ERR_ARG;
        for (uint32_t t = 0; t < sd->n_targets; t++) {
            const uint32_t k = sd->target_pop[t];
            if (k >= e->n_pops || sd->target_index[t] >= e->pops[k].d.n) return SF_ERR_ARG;
            sf_pop *p = &e->pops[k];
            if (!p->i_inj) {
                p->i_inj = calloc(2 * p->stride, sizeof(double));
                if (!p->i_inj) return SF_ERR_NOMEM;
            }
            p->injected = 1;
        }
    }
    for (uint32_t k = 0; k < e->n_pops; k++) {
        sf_pop *p = &e->pops[k];
        if (p->i_inj && !p->injected) memset(p->i_inj, 0, 2 * p->stride * sizeof(double));
        p->d.i_inj = p->injected ? p->i_inj : NULL;
    }
    free(e->source_at);
    e->source_at = NULL;
    size_t n_at = 0;
    int gapped = 0;
    for (uint32_t j = 0; j < n_sources; j++)
        for (uint32_t t = 0; t < sources[j].n_targets; t++, n_at++)
            gapped |= e->pops[sources[j].target_pop[t]].gstate != NULL;
    if (gapped) {
        e->source_at = malloc(n_at * sizeof(uint32_t));
        if (!e->source_at) return SF_ERR_NOMEM;
        uint32_t *at = e->source_at;
        for (uint32_t j = 0; j < n_sources; j++)
            for (uint32_t t = 0; t < sources[j].n_targets; t++)
                *at++ = mem_index(&e->pops[sources[j].target_pop[t]],
                                  sources[j].target_index[t]);
    }
    e->sources = sources;
    e->n_sources = n_sources;
    return SF_OK;
}

/* Compute every source's amplitude for time step `step` and add it to its targets'
 * injected current of that step's parity (one thread; the neuron updates of `step` read it
 * afterwards, those of step - 1 read the other array meanwhile). */
static void inject(sf_engine *e, uint64_t step) {
    if (!e->n_sources) return;
    const size_t off = (size_t)(step & 1);
    for (uint32_t k = 0; k < e->n_pops; k++) {
        sf_pop *p = &e->pops[k];
        if (p->injected) memset(p->i_inj + off * p->stride, 0, p->stride * sizeof(double));
    }
    const uint32_t *at = e->source_at;
    for (uint32_t j = 0; j < e->n_sources; j++) {
        sf_source_desc *sd = &e->sources[j];
        sf_context ctx;
        ctx.dt = e->dt;
        ctx.t = (double)step * e->dt;
        ctx.step = step;
        ctx.seed = sd->seed;
        ctx.seq = sd->seq;
        ctx.params_changed = 0;
        ctx.reserved = 0;
        const double amp = sd->current(sd->params, sd->derived, sd->state, &ctx);
        for (uint32_t t = 0; t < sd->n_targets; t++) {
            sf_pop *p = &e->pops[sd->target_pop[t]];
            p->i_inj[off * p->stride + (at ? at[t] : sd->target_index[t])] += amp;
        }
        if (at) at += sd->n_targets;
        if (sd->record_out) {
            if (sd->record_count == 0) sd->record_first_step = step;
            if (sd->record_count < sd->record_capacity)
                sd->record_out[sd->record_count++] = amp;
        }
    }
}

/* Phase 1 of a step for thread tid: update its range of every population. */
static void update_phase(sf_engine *e, uint64_t step, uint32_t slot, uint32_t tid) {
    const uint32_t buf = (uint32_t)(step & 1);
    const int timed = timed_step(e, step);
    uint64_t t0 = timed ? sf_ticks() : 0;
    for (uint32_t k = 0; k < e->n_pops; k++) {
        if (timed && k) {           /* the time since the last mark: population k - 1's */
            const uint64_t t1 = sf_ticks();
            e->upd_ticks[(size_t)tid * e->ev_stride + k - 1] += t1 - t0;
            t0 = t1;
        }
        sf_pop *p = &e->pops[k];
        const uint32_t begin = p->part[tid], end = p->part[tid + 1];
        const uint32_t shift = p->shift[tid];     /* where the part lies in the arrays */
        /* dirty is written only when it changes: the threads' entries share cache lines,
         * and a write that leaves a line as it was still takes it away from the others */
        if (begin == end) {
            SF_FIRED(e, buf, tid, k) = 0;
            continue;
        }
        sf_context ctx;
        ctx.dt = e->dt;
        ctx.t = (double)step * e->dt;
        ctx.step = step;
        ctx.seed = p->d.seed;
        ctx.seq = p->d.seq;
        ctx.params_changed = 0;
        ctx.reserved = 0;
        sf_population_view pv;
        pv.n = p->d.n;
        pv.n_receptors = p->d.n_receptors;
        pv.stride = (uint32_t)p->stride;
        pv.reserved = 0;
        pv.state = run_state(p);
        pv.params = p->d.params;
        pv.derived = p->d.derived;
        pv.param_index = p->d.param_index;
        pv.input = p->ring + (size_t)slot * p->d.n_receptors * p->stride;
        if (p->bins) {
            /* the slot's events (in the bins of the thread that delivers onto this part):
             * into the scratch plane unless the ring's holds some */
            const uint32_t by = p->deliver_by[tid] == UINT32_MAX ? tid : p->deliver_by[tid];
            const size_t kb = (size_t)by * e->n_slots + slot;
            if (!p->dirty[kb]) pv.input = p->scratch;
            bin_apply(&p->bins[kb], pv.input);
            if (p->dirty[kb]) p->dirty[kb] = 0;
        }
        pv.i_inj = p->d.i_inj ? p->d.i_inj + (size_t)buf * p->stride : NULL;
        uint32_t *spk_index = SF_SPK_INDEX(p, buf), *spk_count = SF_SPK_COUNT(p, buf);
        uint32_t n_fired = 0;
        p->d.update(&pv, begin + shift, end + shift, &ctx, spk_index + begin + shift,
                    spk_count + begin + shift, &n_fired);
        SF_FIRED(e, buf, tid, k) = n_fired;
        if (shift)       /* the list names neurons, not places in the arrays */
            for (uint32_t j = begin + shift; j < begin + shift + n_fired; j++)
                spk_index[j] -= shift;
        if (p->arch) {   /* this thread's neurons only: their archives are its own */
            const double t_stamp = (double)(step + 1) * e->dt;
            for (uint32_t j = begin + shift; j < begin + shift + n_fired; j++)
                for (uint32_t c = 0; c < spk_count[j]; c++)
                    if (archive_spike(p, spk_index[j], t_stamp)) e->archive_error = 1;
        }
    }
    if (timed && e->n_pops)
        e->upd_ticks[(size_t)tid * e->ev_stride + e->n_pops - 1] += sf_ticks() - t0;
}

/* Between the phases, one thread does the bookkeeping that needs every range. */
static int bookkeeping(sf_engine *e, uint64_t step) {
    for (uint32_t k = 0; k < e->n_pops; k++) {
        int rc = log_spikes(e, k, step + 1, (uint32_t)(step & 1));
        if (rc) return rc;
    }
    sample(e, step + 1);
    inject(e, step + 1);   /* input of the next step: its updates start after a barrier */
    return SF_OK;
}

/* Steps [first, first + n_steps) with every part run by the calling thread, the parts in
 * turn for each phase: the order the barriers of the parallel loop impose, and each part's
 * own order within it, so the results are the parallel loop's. */
static int run_serial(sf_engine *e, uint64_t first, uint64_t n_steps) {
    int err = SF_OK;
    const uint32_t n_parts = e->n_threads;
    for (uint64_t s = 0; s < n_steps && !err; s++) {
        const uint64_t step = first + s;
        const uint32_t slot = (uint32_t)(step % e->n_slots);
        uint64_t t0 = sf_ticks();
        for (uint32_t tid = 0; tid < n_parts; tid++) {
            update_phase(e, step, slot, tid);
            const uint64_t t1 = sf_ticks();
            e->phase[tid][SF_PHASE_UPDATE] += t1 - t0;
            t0 = t1;
        }
        err = bookkeeping(e, step);
        uint64_t t2 = sf_ticks();
        e->phase[0][SF_PHASE_BOOKKEEPING] += t2 - t0;
        for (uint32_t tid = 0; tid < n_parts; tid++) {
            deliver_phase(e, slot, tid, step);
            const uint64_t t3 = sf_ticks();
            e->phase[tid][SF_PHASE_DELIVER] += t3 - t2;
            t2 = t3;
        }
    }
    return err;
}

/* Whether every part's ring entries are written only by the thread that updates it (the
 * blocks onto each part delivered by the part's own thread), so that a thread may update
 * its part of the next step as soon as it has delivered this one: one barrier a step. */
static int own_delivery(const sf_engine *e) {
    for (uint32_t k = 0; k < e->n_pops; k++)
        for (uint32_t t = 0; t < e->n_threads; t++)
            if (e->pops[k].deliver_by[t] != UINT32_MAX && e->pops[k].deliver_by[t] != t) return 0;
    return 1;
}

#ifdef _OPENMP
/* The barrier of run_parallel's steps: a counter and a flag whose value flips at each
 * round (the last thread to arrive resets the counter and flips it), on cache lines of
 * their own. Waiting threads spin (a pause per look) up to `spins` looks, then give the
 * core away between looks, so that more threads than cores still make progress. The
 * counter's read-modify-write releases each thread's writes before the barrier and the
 * flag acquires them after, as OpenMP's barrier does; it costs about a tenth of
 * libgomp's on two cores (0.03 against 0.25-0.58 us a round, a test loop). */
typedef struct sf_barrier {
    uint32_t count __attribute__((aligned(64)));
    uint32_t flag __attribute__((aligned(64)));
    char pad[60];
} sf_barrier;

/* A counter on a cache line of its own (one per thread). */
typedef struct sf_mark {
    uint64_t v __attribute__((aligned(64)));
    char pad[56];
} sf_mark;

static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    _mm_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static void barrier_wait(sf_barrier *b, uint32_t n, uint32_t *round, uint32_t spins) {
    const uint32_t r = (*round ^= 1u);
    if (__atomic_fetch_add(&b->count, 1u, __ATOMIC_ACQ_REL) == n - 1) {
        __atomic_store_n(&b->count, 0u, __ATOMIC_RELAXED);
        __atomic_store_n(&b->flag, r, __ATOMIC_RELEASE);
        return;
    }
    for (uint32_t k = 0; __atomic_load_n(&b->flag, __ATOMIC_ACQUIRE) != r; k++) {
        if (k < spins) cpu_relax();
        else sched_yield();
    }
}

/* The same steps with part t run by thread t. With own delivery (own_delivery), one
 * barrier a step, between the updates, which list the step's spikes, and the deliveries,
 * which read every part's list: a thread then goes on to its next update while the
 * others still deliver, since what it reads there (its part's ring slot or bins, the
 * injected currents, its neurons' state and archives) no other thread writes, and what it
 * writes (the other spike lists, the next injected currents, its samples) no other thread
 * reads before the next barrier. Otherwise a second barrier after the deliveries, since
 * another thread's delivery writes the part's input. Either way the results are
 * run_serial's. */
static int run_parallel(sf_engine *e, uint64_t first, uint64_t n_steps) {
    int err = SF_OK;
    const uint32_t n_threads = e->n_threads;
    const int one = own_delivery(e);
    uint64_t *count0 = NULL;       /* the samples' counts before the loop (sample_part) */
    if (one && e->n_samples) {
        count0 = malloc(e->n_samples * sizeof(uint64_t));
        if (!count0) return SF_ERR_NOMEM;
        for (uint32_t r = 0; r < e->n_samples; r++) count0[r] = e->samples[r].count;
    }
    int short_team = 0;
    sf_barrier bar;
    memset(&bar, 0, sizeof(bar));
    /* With the watch on (sf_engine.watch), each thread counts its waits at the (first)
     * barrier that are longer than SF_CONTENDED_WAIT_S and than SF_CONTENDED_RATIO times
     * the work it did since the barrier before, and every SF_CONTENDED_EVERY steps thread
     * 0 sums the counts: where they reach half the steps, the cores are not the threads'
     * own (a thread then waits at nearly every step, many times its own work, for one
     * that is off its core; a burst of spikes keeps a thread waiting for a part of its
     * own work, at a few steps), and the run stops after the step: thread 0 names it
     * before that step's first barrier, every thread reads it after that barrier and
     * stops once the step is done (a thread still finishing the step before sees
     * another step). */
    uint64_t last = UINT64_MAX;
    sf_mark long_waits[SF_MAX_THREADS];
    for (uint32_t t = 0; t < n_threads; t++) long_waits[t].v = 0;
    uint64_t long_ticks = 0;                 /* watch_wait_s in ticks (0: no watch) */
    int watching = 0;
    e->contended = 0;
    const double per_tick = e->watch ? seconds_per_tick(1e-3) : 0.0;
    if (per_tick > 0.0) {
        watching = 1;
        long_ticks = (uint64_t)(e->watch_wait_s / per_tick);
    }
    const double ratio = e->watch_ratio;
    /* spin long where each thread has a core of its own, hardly at all where not */
    const uint32_t spins = (int)n_threads <= omp_get_num_procs() ? SF_BARRIER_SPINS : 16u;
#pragma omp parallel num_threads(e->n_threads)
    {
        const uint32_t tid = (uint32_t)omp_get_thread_num();
        uint32_t round = 0;
        /* a team with fewer threads (OMP_THREAD_LIMIT, nested regions) would leave parts
         * out and never pass the barrier: the parts then run one after another */
        uint64_t steps = n_steps;
        if ((uint32_t)omp_get_num_threads() != n_threads) {
            if (tid == 0) short_team = 1;
            steps = 0;
        }
        uint64_t ph[SF_N_PHASES] = {0};   /* summed here: the threads' rows share lines */
        uint64_t prev_del = 0;            /* (the watch) the last delivery's ticks */
        for (uint64_t s = 0; s < steps; s++) {
            const uint64_t step = first + s;
            const uint32_t slot = (uint32_t)(step % e->n_slots);
            const uint64_t t0 = sf_ticks();
            update_phase(e, step, slot, tid);
            const uint64_t t1 = sf_ticks();
            if (one) {
                sample_part(e, step + 1, first + 1, count0, tid);
                if (tid == 0) inject(e, step + 1);   /* into the other step's array */
            }
            const uint64_t t2 = sf_ticks();
            if (tid == 0 && watching && (s + 1) % SF_CONTENDED_EVERY == 0 &&
                last == UINT64_MAX) {
                uint64_t n_long = 0;
                for (uint32_t t = 0; t < n_threads; t++)
                    n_long += __atomic_load_n(&long_waits[t].v, __ATOMIC_RELAXED);
                if (2 * n_long >= s + 1) {
                    e->contended = 1;
                    __atomic_store_n(&last, s, __ATOMIC_RELAXED);
                }
            }
            barrier_wait(&bar, n_threads, &round, spins);
            const uint64_t t3 = sf_ticks();
            if (watching && t3 - t2 >= long_ticks &&
                (double)(t3 - t2) >= ratio * (double)(prev_del + (t2 - t0)))
                __atomic_store_n(&long_waits[tid].v, long_waits[tid].v + 1, __ATOMIC_RELAXED);
            /* err was set before this barrier (one barrier) or the one after the last
             * delivery (two), so every thread stops at the same step */
            if (one && err) break;
            if (tid == 0) {
                int rc = SF_OK;
                if (one) {
                    for (uint32_t k = 0; k < e->n_pops && !rc; k++)
                        rc = log_spikes(e, k, step + 1, (uint32_t)(step & 1));
                } else {
                    rc = bookkeeping(e, step);
                }
                if (rc) err = rc;
            }
            const uint64_t t4 = sf_ticks();
            deliver_phase(e, slot, tid, step);
            const uint64_t t5 = sf_ticks();
            if (one) prev_del = t5 - t4;
            uint64_t t6 = t5;
            if (!one) {
                barrier_wait(&bar, n_threads, &round, spins);
                t6 = sf_ticks();
            }
            ph[SF_PHASE_UPDATE] += t1 - t0;
            ph[SF_PHASE_WAIT] += (t3 - t2) + (t6 - t5);
            ph[SF_PHASE_BOOKKEEPING] += (t2 - t1) + (t4 - t3);
            ph[SF_PHASE_DELIVER] += t5 - t4;
            if (!one && err) break;   /* every thread reads err after the same barrier */
            if (__atomic_load_n(&last, __ATOMIC_RELAXED) == s) break;
        }
        for (int k = 0; k < SF_N_PHASES; k++) e->phase[tid][k] += ph[k];
    }
    e->par_steps = short_team || last == UINT64_MAX ? n_steps : last + 1;
    if (e->contended) e->watch_stops++;
    if (count0 && !short_team) sample_counts(e, first + 1, first + e->par_steps + 1, count0);
    free(count0);
    if (short_team) return run_serial(e, first, n_steps);
    return err;
}
#endif

int sf_engine_set_thread_mode(sf_engine *e, uint32_t mode) {
    if (!e || mode > SF_THREADS_SERIAL) return SF_ERR_ARG;
    e->thread_mode = mode;
    e->way = 1;                   /* the adaptive mode probes the parallel way first */
    e->probing = 1;
    e->settled_way = 2;
    e->stretch_s = 0.0;
    e->stretch_steps = 0;
    e->step_s[0] = e->step_s[1] = 0.0;
    e->probe_chunks[0] = e->probe_chunks[1] = 0;
    e->settle_s = SF_SETTLE_MIN_SECONDS;
    return SF_OK;
}

uint32_t sf_engine_barriers(const sf_engine *e) { return own_delivery(e) ? 1u : 2u; }

void sf_engine_thread_mode_steps(const sf_engine *e, uint64_t *out) {
    out[0] = e->way_steps[1];
    out[1] = e->way_steps[0];
}

/* Steps of the next chunk: in a probe, about SF_PROBE_CHUNK_SECONDS at the way's last
 * seconds per step; in a stretch, about the time the stretch has left at the seconds per
 * step seen so far in it (else the way's median in the last probe). At least
 * SF_PROBE_MIN_STEPS. Stretches end on time, not on a count of steps, so a change in
 * activity (a quiet start, then bursts) cannot stretch one out. */
static uint64_t next_chunk(const sf_engine *e) {
    double left, per;
    if (e->probing) {
        left = SF_PROBE_CHUNK_SECONDS;
        per = e->step_s[e->way];
    } else {
        left = e->settle_s - e->stretch_s;
        per = e->stretch_steps ? e->stretch_s / (double)e->stretch_steps : e->step_s[e->way];
    }
    if (!(per > 0.0) || !(left > 0.0)) return SF_PROBE_MIN_STEPS;
    const double k = left / per;
    if (k < (double)SF_PROBE_MIN_STEPS) return SF_PROBE_MIN_STEPS;
    return k > 1e9 ? (uint64_t)1e9 : (uint64_t)k;
}

/* The synaptic events delivered so far by every part onto every population
 * (sf_engine.events, which the balance's windows set back to 0). */
static uint64_t events_total(const sf_engine *e) {
    uint64_t n = 0;
    for (uint32_t t = 0; t < e->n_threads; t++)
        for (uint32_t k = 0; k < e->n_pops; k++) n += e->events[(size_t)t * e->ev_stride + k];
    return n;
}

/* The adaptive mode, after a chunk of `steps` steps that took `seconds` the current way.
 * A probe runs the two ways in alternating chunks (parallel first), SF_PROBE_ROUNDS each,
 * so that both see about the same stretch of the network's activity, and compares their
 * seconds per unit of work (`work`: the chunk's synaptic events and neuron updates in the
 * balance model's units, SF_COST_*; per step where it is 0), since in a network that
 * fires in bursts one chunk can hold many times the spikes of the next; the faster then
 * runs for settle_s, and another probe follows. The
 * interval doubles (up to SF_SETTLE_MAX_SECONDS) while the way that ran before the probe
 * keeps winning by more than 1.25x. */
/* The median of SF_PROBE_ROUNDS values (the mean of the middle two for an even count). */
static double median_of_rounds(const double *x) {
    double v[SF_PROBE_ROUNDS];
    for (uint32_t i = 0; i < SF_PROBE_ROUNDS; i++) {      /* insertion sort: a few values */
        uint32_t j = i;
        while (j > 0 && v[j - 1] > x[i]) { v[j] = v[j - 1]; j--; }
        v[j] = x[i];
    }
    return SF_PROBE_ROUNDS % 2 ? v[SF_PROBE_ROUNDS / 2]
                               : 0.5 * (v[SF_PROBE_ROUNDS / 2 - 1] + v[SF_PROBE_ROUNDS / 2]);
}

static void adapt(sf_engine *e, double seconds, uint64_t steps, int contended, double work) {
    const uint32_t way = e->way;
    if (contended) {
        /* a parallel chunk or stretch stopped by the watch (run_parallel): the parts run
         * one after another now, for twice as long as before if the watch stopped the
         * last probe too */
        e->step_s[1] = seconds / (double)steps;
        e->settle_s = e->watched ? 2.0 * e->settle_s : SF_SETTLE_MIN_SECONDS;
        if (e->settle_s > SF_SETTLE_MAX_SECONDS) e->settle_s = SF_SETTLE_MAX_SECONDS;
        e->watched = 1;
        e->stretch_s = 0.0;
        e->stretch_steps = 0;
        e->way = e->settled_way = 0;
        e->probing = 0;
        return;
    }
    if (!e->probing) {
        e->stretch_s += seconds;
        e->stretch_steps += steps;
        if (e->stretch_s < e->settle_s || e->stretch_steps < SF_PROBE_MIN_STEPS) return;
        e->step_s[way] = e->stretch_s / (double)e->stretch_steps;
        e->stretch_s = 0.0;
        e->stretch_steps = 0;
        e->probing = 1;                       /* a new probe, parallel first */
        e->probe_chunks[0] = e->probe_chunks[1] = 0;
        e->way = 1;
        return;
    }
    if (e->probe_chunks[way] < SF_PROBE_ROUNDS) {
        e->probe_per[way][e->probe_chunks[way]] = work > 0.0 ? seconds / work
                                                             : seconds / (double)steps;
        e->probe_step[way][e->probe_chunks[way]] = seconds / (double)steps;
    }
    e->probe_chunks[way]++;
    e->step_s[way] = seconds / (double)steps;  /* sizes the way's next chunk */
    if (e->probe_chunks[0] < SF_PROBE_ROUNDS || e->probe_chunks[1] < SF_PROBE_ROUNDS) {
        e->way = way ^ 1;
        return;
    }
    /* each way's median chunk: a chunk in which the machine took a core away for a
     * moment (which hits the parallel way whichever core it was) cannot decide alone */
    const double per[2] = {median_of_rounds(e->probe_per[0]), median_of_rounds(e->probe_per[1])};
    e->step_s[0] = median_of_rounds(e->probe_step[0]);    /* (sizes the chunks) */
    e->step_s[1] = median_of_rounds(e->probe_step[1]);
    e->watched = 0;
    const uint32_t best = per[0] < per[1] ? 0 : 1;
    if (best == e->settled_way && per[best ^ 1] > 1.25 * per[best]) {
        e->settle_s *= 2.0;
        if (e->settle_s > SF_SETTLE_MAX_SECONDS) e->settle_s = SF_SETTLE_MAX_SECONDS;
    } else {
        e->settle_s = SF_SETTLE_MIN_SECONDS;
    }
    e->way = e->settled_way = best;
    e->probing = 0;
}

/* ---- run-time balance (sf_engine_set_balance) ---------------------------------------- */

/* The part that holds every neuron of population p, or UINT32_MAX when p is split (or
 * empty). */
static uint32_t whole_part(const sf_engine *e, const sf_pop *p) {
    uint32_t at = UINT32_MAX;
    for (uint32_t t = 0; t < e->n_threads; t++) {
        if (p->part[t + 1] == p->part[t]) continue;
        if (at != UINT32_MAX) return UINT32_MAX;
        at = t;
    }
    return at;
}

#ifdef _OPENMP
/* Population k, whole on one part, onto part `to`: from the next step on, thread `to`
 * updates its neurons and delivers the blocks onto it. Only while no thread runs, and
 * with every part's inputs delivered by its own thread. The results do not
 * change: a whole population's spikes are listed in the same order on any part, and its
 * ring entries receive their inputs in the same order from any thread (population,
 * block, spike, synapse). */
static void move_pop(sf_engine *e, uint32_t k, uint32_t to) {
    sf_pop *p = &e->pops[k];
    const uint32_t from = whole_part(e, p);
    if (p->bins && from != UINT32_MAX) {
        /* the events pending in the bins go with the delivery (thread `to` has none for
         * p: only the delivering thread's bins of a population ever hold events), and
         * with them the marks of ring planes that hold events (dirty) */
        for (uint32_t sl = 0; sl < e->n_slots; sl++) {
            const size_t a = (size_t)from * e->n_slots + sl, b = (size_t)to * e->n_slots + sl;
            const sf_bin tb = p->bins[a];
            p->bins[a] = p->bins[b];
            p->bins[b] = tb;
            const uint8_t td = p->dirty[a];
            p->dirty[a] = p->dirty[b];
            p->dirty[b] = td;
        }
    }
    for (uint32_t t = 0; t <= e->n_threads; t++) p->part[t] = t <= to ? 0u : p->d.n;
    for (uint32_t t = 0; t < e->n_threads; t++) p->deliver_by[t] = UINT32_MAX;
    p->deliver_by[to] = to;
    for (uint32_t b = 0; b < e->n_blocks; b++) {
        sf_block_desc *bd = &e->blocks[b];
        if (bd->post == k && (bd->row_ptr || bd->row_ptr32)) bd->thread = to;
    }
    e->moves++;
}

static inline uint64_t busy_ticks(const sf_engine *e, uint32_t t) {
    return e->phase[t][SF_PHASE_UPDATE] + e->phase[t][SF_PHASE_BOOKKEEPING] +
           e->phase[t][SF_PHASE_DELIVER];
}

/* The cost of population k over `steps` steps in the balance's model (SF_COST_*): its
 * neuron updates and the synaptic events delivered onto it (counted in deliver_row). */
static double pop_cost(const sf_engine *e, uint32_t k, uint64_t steps) {
    uint64_t ev = 0;
    for (uint32_t t = 0; t < e->n_threads; t++) ev += e->events[(size_t)t * e->ev_stride + k];
    return SF_COST_NEURON_STEP * (double)e->pops[k].d.n * (double)steps +
           SF_COST_EVENT * (double)ev;
}

/* What population k cost over the balance's window of `steps` steps, of which `timed`
 * were timed: in ticks, its neuron updates at the timed steps scaled to all steps, and the
 * synaptic events delivered onto it at the ticks per event of its timed deliveries (of
 * every population's timed deliveries where its own carried none); in SF_BALANCE_MODEL,
 * the model's cost (pop_cost). */
static double measured_cost(const sf_engine *e, uint32_t k, uint64_t steps, uint64_t timed,
                            double ticks_per_event) {
    if (e->balance == SF_BALANCE_MODEL) return pop_cost(e, k, steps);
    uint64_t upd = 0, dt = 0, dev = 0, ev = 0;
    for (uint32_t t = 0; t < e->n_threads; t++) {
        const size_t at = (size_t)t * e->ev_stride + k;
        upd += e->upd_ticks[at];
        dt += e->del_ticks[at];
        dev += e->del_events[at];
        ev += e->events[at];
    }
    const double per_event = dev ? (double)dt / (double)dev : ticks_per_event;
    return (double)upd * (double)steps / (double)timed + per_event * (double)ev;
}

/* A population and its cost, to sort by cost (larger first, then by population). */
typedef struct sf_cost_k {
    double cost;
    uint32_t k;
} sf_cost_k;

static int larger_cost_first(const void *a, const void *b) {
    const sf_cost_k *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

/* The busiest of the parts' loads (fixed[t] + load[t]), and which part it is. */
static double busiest(const double *fixed, const double *load, uint32_t n, uint32_t *at) {
    double m = -1.0;
    for (uint32_t t = 0; t < n; t++)
        if (fixed[t] + load[t] > m) { m = fixed[t] + load[t]; *at = t; }
    return m;
}

/* Local search on an arrangement: at[k] is the part of movable population k (UINT32_MAX:
 * not movable), cost[k] its cost, fixed[t] the rest of part t's load and load[t] the sum
 * of its populations' costs. While it lowers the busiest part's load by more than a
 * thousandth, the best move of one population, or swap of two (`swaps`), between the
 * busiest part and another is made. Returns the busiest load. */
static double improve(uint32_t *at, const double *cost, const double *fixed, double *load,
                      uint32_t n_pops, uint32_t n_threads, int swaps) {
    uint32_t h = 0;
    double now = busiest(fixed, load, n_threads, &h);
    for (uint32_t round = 0; round < 4 * n_pops + 4; round++) {
        double best = now * (1.0 - 1e-3);
        uint32_t bk = UINT32_MAX, bj = UINT32_MAX, bt = 0;
        for (uint32_t t = 0; t < n_threads; t++) {
            if (t == h) continue;
            double rest = 0.0;         /* the other parts' loads stay */
            for (uint32_t u = 0; u < n_threads; u++)
                if (u != h && u != t && fixed[u] + load[u] > rest) rest = fixed[u] + load[u];
            for (uint32_t k = 0; k < n_pops; k++) {
                if (at[k] != h) continue;
                for (uint32_t j = swaps ? 0 : n_pops; j <= n_pops; j++) {   /* n_pops: a move */
                    if (j < n_pops && at[j] != t) continue;
                    const double cj = j < n_pops ? cost[j] : 0.0;
                    const double x = fixed[h] + load[h] - cost[k] + cj;
                    const double y = fixed[t] + load[t] + cost[k] - cj;
                    double m = x > y ? x : y;
                    if (rest > m) m = rest;
                    if (m < best) { best = m; bk = k; bj = j; bt = t; }
                }
            }
        }
        if (bk == UINT32_MAX) break;
        at[bk] = bt;
        load[h] -= cost[bk];
        load[bt] += cost[bk];
        if (bj < n_pops) {
            at[bj] = h;
            load[bt] -= cost[bj];
            load[h] += cost[bj];
        }
        now = busiest(fixed, load, n_threads, &h);
    }
    return now;
}

/* After `steps` steps in parallel (`timed` of them timed) in which thread t was busy
 * (updating, bookkeeping, delivering) for ticks[t]: rearrange the populations that lie
 * whole in one part where that is predicted to shorten the busiest part's time by at
 * least SF_BALANCE_MIN_GAIN. Each such population's cost is what it took over the
 * window (measured_cost); what else a thread did (split populations, bookkeeping) stays
 * with it. Two arrangements are improved by local search (improve):
 * the present one, and one made afresh (largest population first, each to the part that
 * ends least loaded); the fresh one is taken only where it is better by more than
 * SF_BALANCE_MIN_GAIN / 4, so that few populations move. A rearrangement is judged by
 * the next window by the busiest thread's share of the threads' busy time, which does
 * not change with the network's activity as the times themselves do. Returns whether
 * the window is done with (else it goes on: fewer than SF_BALANCE_STRETCHES stretches or
 * SF_BALANCE_MIN_STEPS steps). */
static int balance(sf_engine *e, const uint64_t *ticks, uint64_t steps, uint64_t timed,
                   uint64_t stretches) {
    const uint32_t n_threads = e->n_threads, n_pops = e->n_pops;
    uint64_t busy[SF_MAX_THREADS];
    for (uint32_t t = 0; t < n_threads; t++) busy[t] = ticks[t];
    if (e->balance == SF_BALANCE_MODEL) {
        /* each thread as busy as its part's cost in the model, so that the decisions
         * depend on the network and its activity only, not on the machine */
        double cost[SF_MAX_THREADS] = {0};
        for (uint32_t k = 0; k < n_pops; k++) {
            const sf_pop *p = &e->pops[k];
            if (!p->d.n) continue;
            const double c = pop_cost(e, k, steps) / (double)p->d.n;
            for (uint32_t t = 0; t < n_threads; t++)
                cost[t] += c * (double)(p->part[t + 1] - p->part[t]);
        }
        for (uint32_t t = 0; t < n_threads; t++) busy[t] = (uint64_t)(cost[t] + 0.5);
    }
    uint32_t hi = 0, lo = 0;
    uint64_t total = 0;
    for (uint32_t t = 0; t < n_threads; t++) {
        if (busy[t] > busy[hi]) hi = t;
        if (busy[t] < busy[lo]) lo = t;
        total += busy[t];
    }
    if (e->balance == SF_BALANCE_EVERY) {     /* (tests) move something every time */
        if (lo == hi) lo = (hi + 1) % n_threads;
        for (uint32_t k = 0; k < n_pops; k++) {
            const uint32_t at = whole_part(e, &e->pops[k]);
            if (at != UINT32_MAX && at != lo) { move_pop(e, k, lo); return 1; }
        }
        return 1;
    }
    if (stretches < SF_BALANCE_STRETCHES || steps < SF_BALANCE_MIN_STEPS) return 0;
    if (busy[hi] == 0) return 1;
    /* the busiest thread's share, times the threads: 1 when balanced */
    const double share = (double)busy[hi] * n_threads / (double)total;
    if (e->n_undo) {
        /* the last rearrangement: kept if the busiest share fell by at least half what
         * was predicted, else undone, and the next SF_BALANCE_HOLD << (undone in a row)
         * windows pass without one */
        const int undo = share > e->last_share - 0.5 * (e->last_share - e->last_predicted);
        for (uint32_t k = 0; k < n_pops; k++) {
            if (e->undo_part[k] == UINT32_MAX) continue;
            if (undo) move_pop(e, k, e->undo_part[k]);
            e->undo_part[k] = UINT32_MAX;
        }
        e->n_undo = 0;
        if (undo) {
            e->hold = SF_BALANCE_HOLD << (e->undone < SF_BALANCE_HOLD_DOUBLINGS
                                              ? e->undone : SF_BALANCE_HOLD_DOUBLINGS);
            e->undone++;
        } else {
            e->undone = 0;
        }
        return 1;
    }
    if (e->hold) {
        e->hold--;
        return 1;
    }
    if (hi == lo || (e->balance != SF_BALANCE_MODEL && !timed)) return 1;
    /* ticks per event of all timed deliveries: for populations whose own carried none */
    uint64_t dt = 0, dev = 0;
    for (size_t i = 0; i < (size_t)n_threads * e->ev_stride; i++) {
        dt += e->del_ticks[i];
        dev += e->del_events[i];
    }
    const double ticks_per_event = dev ? (double)dt / (double)dev : 0.0;
    /* the movable populations' parts and costs; the rest of each thread's time is fixed */
    double fixed[SF_MAX_THREADS], load[SF_MAX_THREADS] = {0}, fresh[SF_MAX_THREADS] = {0};
    for (uint32_t t = 0; t < n_threads; t++) fixed[t] = (double)busy[t];
    const size_t np = n_pops ? n_pops : 1;
    double *cost = malloc(np * sizeof(double));
    uint32_t *at = malloc(2 * np * sizeof(uint32_t));
    sf_cost_k *byc = malloc(np * sizeof(sf_cost_k));   /* the movable ones, by cost */
    if (!cost || !at || !byc) {
        free(cost); free(at); free(byc);
        return 1;
    }
    uint32_t *alt = at + np;
    uint32_t n_mov = 0;
    for (uint32_t k = 0; k < n_pops; k++) {
        at[k] = whole_part(e, &e->pops[k]);
        alt[k] = UINT32_MAX;
        cost[k] = 0.0;
        if (at[k] == UINT32_MAX) continue;
        cost[k] = measured_cost(e, k, steps, timed, ticks_per_event);
        fixed[at[k]] -= cost[k];
        load[at[k]] += cost[k];
        byc[n_mov++] = (sf_cost_k){cost[k], k};
    }
    for (uint32_t t = 0; t < n_threads; t++)
        if (fixed[t] < 0.0) fixed[t] = 0.0;
    uint32_t h = 0;
    const double start = busiest(fixed, load, n_threads, &h);
    /* the fresh arrangement: largest first */
    qsort(byc, n_mov, sizeof(sf_cost_k), larger_cost_first);
    for (uint32_t i = 0; i < n_mov; i++) {
        const uint32_t k = byc[i].k;
        uint32_t best = 0;
        for (uint32_t t = 1; t < n_threads; t++)
            if (fixed[t] + fresh[t] < fixed[best] + fresh[best]) best = t;
        alt[k] = best;
        fresh[best] += cost[k];
    }
    const int swaps = n_mov <= SF_BALANCE_SWAPS_MAX;
    const double kept = improve(at, cost, fixed, load, n_pops, n_threads, swaps);
    const double afresh = improve(alt, cost, fixed, fresh, n_pops, n_threads, swaps);
    const uint32_t *pick = afresh < (1.0 - 0.25 * SF_BALANCE_MIN_GAIN) * kept ? alt : at;
    const double now = pick == alt ? afresh : kept;
    if (start > 0.0 && now <= (1.0 - SF_BALANCE_MIN_GAIN) * start) {
        for (uint32_t k = 0; k < n_pops; k++) {
            if (pick[k] == UINT32_MAX) continue;
            const uint32_t was = whole_part(e, &e->pops[k]);
            if (pick[k] == was) continue;
            move_pop(e, k, pick[k]);
            e->undo_part[k] = was;
            e->n_undo++;
        }
        e->last_share = share;
        e->last_predicted = share * now / start;   /* the busiest load falls by now/start */
    }
    free(cost);
    free(at);
    free(byc);
    return 1;
}

/* run_parallel in stretches of about SF_BALANCE_SECONDS, each followed by a look of the
 * balance at its window (the stretches since the last look that used one, steps in a
 * row, possibly over several calls), where the balance may move populations (on, more
 * than one thread, every part's inputs delivered by its own thread); else run_parallel. */
static int run_parallel_balanced(sf_engine *e, uint64_t first, uint64_t n_steps) {
    if (!e->balance || e->n_threads < 2 || !own_delivery(e))
        return run_parallel(e, first, n_steps);
    uint64_t ran = 0;                         /* (run_parallel may stop early: watch) */
    double per = e->step_s[1];                /* seconds per step in parallel, if known */
    const size_t ev_size = (size_t)e->n_threads * e->ev_stride * sizeof(uint64_t);
    int err = SF_OK;
    for (uint64_t s = 0; s < n_steps && !err;) {
        uint64_t n = SF_BALANCE_MIN_STEPS;
        if (e->balance == SF_BALANCE_EVERY) n = n_steps / 4 ? n_steps / 4 : 1;
        else if (e->balance == SF_BALANCE_MODEL) n = SF_BALANCE_MIN_STEPS;
        else if (per > 0.0 && SF_BALANCE_SECONDS / per > (double)n)
            n = SF_BALANCE_SECONDS / per > 1e9 ? (uint64_t)1e9
                                               : (uint64_t)(SF_BALANCE_SECONDS / per);
        if (n > n_steps - s) n = n_steps - s;
        if (!e->win_open || e->win_next != first + s) {
            /* a new window (also where steps ran otherwise since the last stretch) */
            memset(e->events, 0, ev_size);
            memset(e->upd_ticks, 0, ev_size);
            memset(e->del_ticks, 0, ev_size);
            memset(e->del_events, 0, ev_size);
            for (uint32_t t = 0; t < e->n_threads; t++) e->win_busy0[t] = busy_ticks(e, t);
            e->win_steps = e->win_timed = e->win_stretches = 0;
            e->win_open = 1;
        }
        /* timed steps only where some population can move */
        e->timing = 0;
        for (uint32_t k = 0; k < e->n_pops && e->balance == SF_BALANCE_AUTO; k++)
            if (whole_part(e, &e->pops[k]) != UINT32_MAX) e->timing = 1;
        const double t0 = now_s();
        err = run_parallel(e, first + s, n);
        const int stopped = e->par_steps < n;
        n = e->par_steps;
        ran += n;
        per = (now_s() - t0) / (double)n;
        if (e->timing) {
            /* the timed steps among [first + s, first + s + n): multiples of
             * SF_TIME_EVERY */
            const uint64_t a = first + s, z = first + s + n;
            e->win_timed += (z + SF_TIME_EVERY - 1) / SF_TIME_EVERY -
                            (a + SF_TIME_EVERY - 1) / SF_TIME_EVERY;
        }
        e->timing = 0;
        s += n;
        if (err) break;
        e->win_steps += n;
        e->win_stretches++;
        e->win_next = first + s;
        if (stopped) break;  /* the cores are taken: the rest of the chunk runs otherwise */
        uint64_t busy[SF_MAX_THREADS];
        for (uint32_t t = 0; t < e->n_threads; t++) busy[t] = busy_ticks(e, t) - e->win_busy0[t];
        if (balance(e, busy, e->win_steps, e->win_timed, e->win_stretches)) e->win_open = 0;
    }
    e->par_steps = ran;
    return err;
}
#endif

uint64_t sf_engine_watch_stops(const sf_engine *e) { return e ? e->watch_stops : 0; }

int sf_engine_set_contention_watch(sf_engine *e, double wait_s, double ratio) {
    if (!e || !(wait_s >= 0.0) || !(ratio >= 0.0)) return SF_ERR_ARG;
    e->watch_wait_s = wait_s;
    e->watch_ratio = ratio;
    return SF_OK;
}

int sf_engine_set_balance(sf_engine *e, uint32_t mode) {
    if (!e || mode > SF_BALANCE_MODEL) return SF_ERR_ARG;
    e->balance = mode;
    e->win_open = 0;
    return SF_OK;
}

uint64_t sf_engine_moves(const sf_engine *e) { return e ? e->moves : 0; }

uint32_t sf_engine_whole_part(const sf_engine *e, uint32_t k) {
    if (!e || k >= e->n_pops) return UINT32_MAX;
    return whole_part(e, &e->pops[k]);
}

uint32_t sf_engine_part_gap(const sf_engine *e, uint32_t k) {
    return e && k < e->n_pops && e->pops[k].gstate ? SF_PART_GAP : 0;
}

/* The state of every population with gaps between its parts (sf_pop.shift) from the
 * host's block into the engine's copy (in), or back (out), field by field and part by
 * part. */
static void gapped_state(sf_engine *e, int in) {
    for (uint32_t k = 0; k < e->n_pops; k++) {
        sf_pop *p = &e->pops[k];
        if (!p->gstate) continue;
        const size_t host_stride = (size_t)sf_stride(p->d.n ? p->d.n : 1);
        for (uint32_t f = 0; f < p->n_fields; f++) {
            const size_t off = p->fields[2 * f], size = p->fields[2 * f + 1];
            char *host = (char *)p->d.state + off * host_stride;
            char *own = (char *)p->gstate + off * p->stride;
            for (uint32_t t = 0; t < e->n_threads; t++) {
                const size_t b = p->part[t], n = p->part[t + 1] - b;
                if (!n) continue;
                char *h = host + b * size, *o = own + (b + (size_t)p->shift[t]) * size;
                if (in) memcpy(o, h, n * size);
                else memcpy(h, o, n * size);
            }
        }
    }
}

int sf_engine_run(sf_engine *e, uint64_t n_steps) {
    if (!e) return SF_ERR_ARG;
    const uint64_t first = e->step;
    int err = SF_OK;
    gapped_state(e, 1);
    inject(e, first);
#ifdef _OPENMP
    if (e->n_threads > 1 && e->thread_mode == SF_THREADS_PARALLEL) {
        err = run_parallel_balanced(e, first, n_steps);
        e->way_steps[1] += n_steps;
    } else if (e->n_threads > 1 && e->thread_mode == SF_THREADS_ADAPTIVE) {
        uint64_t s = 0, neurons = 0;
        for (uint32_t k = 0; k < e->n_pops; k++) neurons += e->pops[k].d.n;
        while (s < n_steps && !err) {
            uint64_t chunk = next_chunk(e);
            if (chunk > n_steps - s) chunk = n_steps - s;
            const double t0 = now_s();
            const uint64_t ev0 = events_total(e);
            uint64_t ran = chunk;
            int contended = 0;
            if (!e->way) {
                err = run_serial(e, first + s, chunk);
            } else {
                e->watch = 1;
                if (e->probing) err = run_parallel(e, first + s, chunk);
                else err = run_parallel_balanced(e, first + s, chunk);
                e->watch = 0;
                ran = e->par_steps;
                contended = e->contended;
            }
            e->way_steps[e->way] += ran;
            s += ran;
            /* the chunk's work in the balance model's units (SF_COST_*), so that a probe
             * compares the two ways' time per unit of work, not per step: the activity
             * of a bursting network differs from one chunk to the next */
            const uint64_t ev1 = events_total(e);
            const double work = ev1 >= ev0 ? SF_COST_EVENT * (double)(ev1 - ev0) +
                                             SF_COST_NEURON_STEP * (double)neurons * (double)ran
                                           : 0.0;
            adapt(e, now_s() - t0, ran, contended, work);
        }
    } else
#endif
    {
        err = run_serial(e, first, n_steps);
        e->way_steps[0] += n_steps;
    }
    gapped_state(e, 0);
    e->step = first + n_steps;
    if (!err && e->archive_error) err = SF_ERR_NOMEM;
    return err;
}

void sf_engine_phase_times(const sf_engine *e, double *out) {
    const double per_tick = seconds_per_tick(0.0);
    for (uint32_t t = 0; t < SF_MAX_THREADS; t++)
        for (uint32_t k = 0; k < SF_N_PHASES; k++)
            out[t * SF_N_PHASES + k] = (double)e->phase[t][k] * per_tick;
}

uint64_t sf_engine_spike_count(const sf_engine *e, uint32_t pop) {
    return pop < e->n_pops ? e->pops[pop].log_n : 0;
}

void sf_engine_take_spikes(sf_engine *e, uint32_t pop, uint64_t *steps, uint32_t *index) {
    if (pop >= e->n_pops) return;
    sf_pop *p = &e->pops[pop];
    memcpy(steps, p->log_step, p->log_n * sizeof(uint64_t));
    memcpy(index, p->log_index, p->log_n * sizeof(uint32_t));
    p->log_n = 0;
}

uint64_t sf_engine_total_spikes(const sf_engine *e, uint32_t pop) {
    return pop < e->n_pops ? e->pops[pop].total : 0;
}

/* ---- building rows ------------------------------------------------------------------ */

static inline int64_t idx_at(const void *a, int index64, uint64_t k) {
    return index64 ? ((const int64_t *)a)[k] : (int64_t)((const int32_t *)a)[k];
}

/* Block of each target in [bounds[0], bounds[n_blocks]) (UINT32_MAX: none), so that both
 * passes below visit every synapse once whatever the number of blocks. */
static uint32_t *block_table(uint32_t n_blocks, const uint32_t *bounds) {
    const uint32_t lo = bounds[0], hi = bounds[n_blocks];
    uint32_t *tab = malloc(((size_t)(hi - lo) + 1) * sizeof(uint32_t));
    if (!tab) return NULL;
    for (uint32_t t = 0; t < n_blocks; t++)
        for (uint32_t j = bounds[t]; j < bounds[t + 1]; j++) tab[j - lo] = t;
    return tab;
}

uint64_t sf_split_count(uint64_t n_syn, const void *pre, const void *post, int index64,
                        uint32_t n_pre, uint32_t n_blocks, uint32_t n_threads,
                        const uint32_t *bounds, uint64_t *const *row_ptr, uint64_t *totals) {
    (void)n_threads;
    uint32_t *tab = block_table(n_blocks, bounds);
    if (!tab) return UINT64_MAX;
    const int64_t lo = bounds[0], hi = bounds[n_blocks];
    for (uint32_t t = 0; t < n_blocks; t++)
        memset(row_ptr[t], 0, ((size_t)n_pre + 1) * sizeof(uint64_t));
    for (uint64_t k = 0; k < n_syn; k++) {              /* count per block and row */
        const int64_t j = idx_at(post, index64, k);
        if (j >= lo && j < hi)
            row_ptr[n_blocks == 1 ? 0 : tab[j - lo]][idx_at(pre, index64, k) + 1]++;
    }
    free(tab);
    uint64_t all = 0;
    for (uint32_t t = 0; t < n_blocks; t++) {
        uint64_t *rp = row_ptr[t];
        for (uint32_t i = 0; i < n_pre; i++) rp[i + 1] += rp[i];
        totals[t] = rp[n_pre];
        all += totals[t];
    }
    return all;
}

/* Stable counting sort of every row by delay (uint8 steps), so that delivering a row
 * writes one ring slot after another instead of jumping between slots at random: the part
 * of the ring being written stays in cache. Within a delay the order is the original one,
 * so every ring entry still sums its inputs in the same order (results do not change).
 * Returns nonzero when out of memory. */
static int sort_rows_by_delay(const uint64_t *rp, uint32_t n_pre, uint16_t *po, uint8_t *d8,
                              float *wf, uint16_t *wi, uint64_t *ord) {
    uint64_t longest = 0;
    for (uint32_t i = 0; i < n_pre; i++)
        if (rp[i + 1] - rp[i] > longest) longest = rp[i + 1] - rp[i];
    if (longest < 2) return 0;
    uint16_t *tp = malloc(longest * sizeof(uint16_t));
    uint8_t *td = malloc(longest);
    float *tw = wf ? malloc(longest * sizeof(float)) : NULL;
    uint16_t *ti = wi ? malloc(longest * sizeof(uint16_t)) : NULL;
    uint64_t *to = ord ? malloc(longest * sizeof(uint64_t)) : NULL;
    int bad = !tp || !td || (wf && !tw) || (wi && !ti) || (ord && !to);
    for (uint32_t i = 0; i < n_pre && !bad; i++) {
        const uint64_t b = rp[i], n = rp[i + 1] - b;
        uint64_t k = 1;
        while (k < n && d8[b + k - 1] <= d8[b + k]) k++;
        if (k >= n) continue;                       /* already in order */
        uint64_t start[257] = {0};
        for (k = 0; k < n; k++) start[d8[b + k] + 1]++;
        for (int d = 0; d < 256; d++) start[d + 1] += start[d];
        for (k = 0; k < n; k++) {
            const uint64_t at = start[d8[b + k]]++;
            tp[at] = po[b + k];
            td[at] = d8[b + k];
            if (tw) tw[at] = wf[b + k];
            if (ti) ti[at] = wi[b + k];
            if (to) to[at] = ord[b + k];
        }
        memcpy(po + b, tp, n * sizeof(uint16_t));
        memcpy(d8 + b, td, n);
        if (tw) memcpy(wf + b, tw, n * sizeof(float));
        if (ti) memcpy(wi + b, ti, n * sizeof(uint16_t));
        if (to) memcpy(ord + b, to, n * sizeof(uint64_t));
    }
    free(tp); free(td); free(tw); free(ti); free(to);
    return bad;
}

uint64_t sf_split_place(uint64_t n_syn, const void *pre, const void *post, int index64,
                        const uint16_t *delay_steps, const float *weight,
                        const uint16_t *weight_idx, uint32_t n_pre, uint32_t n_blocks,
                        uint32_t n_threads, int by_delay, const uint32_t *bounds,
                        uint64_t *const *row_ptr, uint16_t *const *post16_out,
                        uint8_t *const *delay8_out, uint16_t *const *delay16_out,
                        float *const *weight_out, uint16_t *const *weight_idx_out,
                        uint64_t *const *order_out) {
    uint32_t *tab = block_table(n_blocks, bounds);
    uint64_t **fill = calloc(n_blocks, sizeof(uint64_t *));
    int failed = !tab || !fill;
    for (uint32_t t = 0; t < n_blocks && !failed; t++) {
        fill[t] = malloc(((size_t)n_pre + 1) * sizeof(uint64_t));
        if (!fill[t]) failed = 1;
        else memcpy(fill[t], row_ptr[t], ((size_t)n_pre + 1) * sizeof(uint64_t));
    }
    uint64_t placed = 0;
    if (!failed) {
        const int64_t lo = bounds[0], hi = bounds[n_blocks];
        const int d8 = delay_steps && delay8_out, d16 = delay_steps && !d8 && delay16_out;
        const int wf = weight && !weight_idx && weight_out, wi = weight_idx && weight_idx_out;
        for (uint64_t k = 0; k < n_syn; k++) {          /* place, stable within a row */
            const int64_t j = idx_at(post, index64, k);
            if (j < lo || j >= hi) continue;
            const uint32_t t = n_blocks == 1 ? 0 : tab[j - lo];
            const uint64_t at = fill[t][idx_at(pre, index64, k)]++;
            post16_out[t][at] = (uint16_t)(j - bounds[t]);
            if (d8) delay8_out[t][at] = (uint8_t)delay_steps[k];
            else if (d16) delay16_out[t][at] = delay_steps[k];
            if (wi) weight_idx_out[t][at] = weight_idx[k];
            else if (wf) weight_out[t][at] = weight[k];
            if (order_out) order_out[t][at] = k;
            placed++;
        }
        if (by_delay && delay_steps && delay8_out) {
            int bad = 0;
            (void)n_threads;
#pragma omp parallel for num_threads(n_threads < n_blocks ? n_threads : n_blocks) \
    schedule(dynamic, 1) reduction(+:bad)
            for (uint32_t t = 0; t < n_blocks; t++)
                bad += sort_rows_by_delay(row_ptr[t], n_pre, post16_out[t], delay8_out[t],
                                          weight_out && wf ? weight_out[t] : NULL,
                                          weight_idx_out && wi ? weight_idx_out[t] : NULL,
                                          order_out ? order_out[t] : NULL);
            failed = bad;
        }
    }
    if (fill)
        for (uint32_t t = 0; t < n_blocks; t++) free(fill[t]);
    free(fill);
    free(tab);
    return failed ? UINT64_MAX : placed;
}

/* ---- coded delays ------------------------------------------------------------------- */

uint64_t sf_code_delays_count(uint32_t n_pre, const uint64_t *row_ptr, const uint16_t *post16,
                              const uint8_t *delay8) {
    const uint64_t n = row_ptr[n_pre];
    uint64_t fillers = 0;
    for (uint64_t s = 0; s < n; s++)
        if (post16[s] >= 16384u) return UINT64_MAX;
    for (uint32_t i = 0; i < n_pre; i++)
        for (uint64_t s = row_ptr[i] + 1; s < row_ptr[i + 1]; s++) {
            const uint32_t gap = (uint32_t)delay8[s] - delay8[s - 1];
            if (gap > 3) fillers += (gap - 1) / 3;
        }
    return fillers;
}

/* One weight of 0, 2, 3 or 4 bytes (a fixed-size copy the compiler inlines). */
static inline void copy_weight(char *dst, const char *src, uint32_t size) {
    if (size == 4) memcpy(dst, src, 4);
    else if (size == 3) memcpy(dst, src, 3);
    else if (size == 2) memcpy(dst, src, 2);
}

int sf_weights24(uint64_t n, const float *w, uint8_t *out, uint32_t *base) {
    uint32_t lo = UINT32_MAX, hi = 0;
    for (uint64_t s = 0; s < n; s++) {
        uint32_t bits;
        memcpy(&bits, w + s, 4);
        lo = bits < lo ? bits : lo;
        hi = bits > hi ? bits : hi;
    }
    if (n && hi - lo >= 0xFFFFFFu) return 0;
    const uint32_t b = n ? lo - 1u : 0u;
    for (uint64_t s = 0; s < n; s++) {
        uint32_t bits;
        memcpy(&bits, w + s, 4);
        const uint32_t code = bits - b;            /* 1 .. 2^24 - 1 */
        out[3 * s] = (uint8_t)code;
        out[3 * s + 1] = (uint8_t)(code >> 8);
        out[3 * s + 2] = (uint8_t)(code >> 16);
    }
    out[3 * n] = 0;
    *base = b;
    return 1;
}

void sf_code_delays(uint32_t n_pre, const uint64_t *row_ptr, const uint16_t *post16,
                    const uint8_t *delay8, const void *weight, uint32_t weight_size,
                    const void *filler_weight, uint64_t *row_ptr_out, uint16_t *post_out,
                    void *weight_out, uint8_t *row_delay, uint64_t *filler_pos) {
    const char *w_in = (const char *)weight;
    char *w_out = (char *)weight_out;
    uint64_t k = 0, f = 0;
    for (uint32_t i = 0; i < n_pre; i++) {
        row_ptr_out[i] = k;
        const uint64_t s0 = row_ptr[i], s1 = row_ptr[i + 1];
        row_delay[i] = s0 < s1 ? delay8[s0] : 0;
        for (uint64_t s = s0; s < s1; s++) {
            uint32_t gap = s == s0 ? 0u : (uint32_t)delay8[s] - delay8[s - 1];
            while (gap > 3) {           /* a filler: 3 steps on, weight 0, same target */
                post_out[k] = (uint16_t)((post16[s] << 2) | 3u);
                copy_weight(w_out + k * weight_size, filler_weight, weight_size);
                filler_pos[f++] = k++;
                gap -= 3;
            }
            post_out[k] = (uint16_t)((post16[s] << 2) | gap);
            copy_weight(w_out + k * weight_size, w_in + s * weight_size, weight_size);
            k++;
        }
    }
    row_ptr_out[n_pre] = k;
}
