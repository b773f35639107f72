/*
 * spinnframe host engine runtime: time loop, delay ring buffers, synaptic rows, recording.
 *
 * Memory ownership: the caller (the Python host backend) owns every array passed in
 * (neuron state, parameter sets, synaptic rows, recording buffers) and keeps it alive while
 * the engine uses it. The engine owns only its ring buffers and its spike logs.
 */
#ifndef SPINNFRAME_ENGINE_H
#define SPINNFRAME_ENGINE_H

#include "spinnframe_kernel.h"

#define SF_ENGINE_ABI_VERSION 17u
/* Most threads an engine runs. */
#define SF_MAX_THREADS 256

typedef void (*sf_update_fn)(sf_population_view *pv, uint32_t begin, uint32_t end,
                             const sf_context *ctx, uint32_t *spikes, uint32_t *counts,
                             uint32_t *n_spikes);

/* One population as the engine sees it. */
typedef struct sf_pop_desc {
    sf_update_fn update;
    uint32_t n;
    uint32_t n_receptors;
    uint32_t state_size;           /* bytes per neuron in state (sizeof(sf_state_t)) */
    uint32_t state_by_field;       /* 1: state field by field (see sf_population_view);
                                    * 0: an array of n sf_state_t (state_layout="structs") */
    void *state;
    const void *params;
    void *derived;
    const uint32_t *param_index;   /* may be NULL */
    const double *seq;             /* sequence storage, may be NULL */
    const uint8_t *record_spikes;  /* per neuron 0/1, or NULL: no spike recording */
    const double *i_inj;           /* per neuron injected current, or NULL */
    uint64_t seed;
    const uint32_t *parts;         /* n_threads + 1 non-decreasing bounds from 0 to n: part
                                    * t is neurons [parts[t], parts[t + 1]) (may be empty);
                                    * NULL: sf_engine_thread_range's even split. Copied. */
    const uint32_t *state_fields;  /* n_state_fields (offset, size) pairs: the fields of
                                    * sf_state_t (state_by_field), or NULL. Copied. With
                                    * them, a population split between threads runs on the
                                    * engine's own copy of its state with a gap between the
                                    * parts (SF_PART_GAP), copied in and out at each
                                    * sf_engine_run; without them, on `state` itself. */
    uint32_t n_state_fields;
} sf_pop_desc;

/* Elements left free after each non-empty part but the last of a split population, in
 * every array the threads write per neuron and step (state, ring planes, spike lists): a
 * thread streaming up through its part makes the CPU fetch ahead past its end, and where
 * the next thread's part began right there, those lines moved between the two cores at
 * every step (the upper part updated 1.1-1.5x slower; benchmarks/scripts/split_boundary.c:
 * 128 elements already suffice). The arrays grow by at most a quarter (parts hold at least
 * 1024 neurons); a part then begins on a 1 KB boundary rather than on a page, which costs
 * nothing measurable. */
#define SF_PART_GAP 256u

/* A block of synapses from one population to another, onto one receptor, as rows per
 * presynaptic neuron (CSR): row i spans [row_ptr[i], row_ptr[i+1]) (or row_ptr32).
 * With several threads, the neurons of every population are divided into contiguous parts
 * (sf_pop_desc.parts) and each block holds only the synapses onto one thread's part,
 * so threads never write the same ring-buffer entries, and every target sums its inputs in
 * the same order whatever the thread count (bitwise identical results).
 * Static synapses are stored compactly (bytes per synapse: 2 for the target, 0-2 for the
 * delay, 0-4 for the weight):
 *  - target: post_base + post16[s]; a block spans at most 65536 targets (16384 with coded
 *    delays, below; the host backend makes them all that small) (a thread's range
 *    wider than that is split into several blocks);
 *  - delay in steps: delay8[s], delay16[s], or delay_const for every synapse of the block;
 *  - weight: exact, as a 16-bit index per synapse into a table of doubles (at most 65536
 *    distinct weights), weight_table[0] for every synapse when weight_index is NULL
 *    (homogeneous weights), one float per synapse (weight_table == NULL), or that float
 *    in 3 bytes (weight24, below).
 * 24-bit weights (weight24 != NULL): the float32 weights of a block whose bit patterns
 * span fewer than 2^24 - 1 values (one sign, magnitudes within a factor of about 3.9, as
 * random weights around a mean usually are) are kept exactly as code = bits - base, a
 * little-endian 24-bit integer per synapse (weight24[3s .. 3s + 2]; the array has one
 * byte more, so that four bytes can be read at every synapse); code 0 is a weight of 0
 * (a filler, below), every other code the float whose bits are weight24_base + code.
 * Coded delays (row_delay != NULL; static synapses with delays of at most 255 steps, in a
 * block of at most 16384 targets): the delay costs no byte of its own. Rows are sorted by
 * delay, so each synapse's delay is the previous one's plus a step of 0-3, kept in the two
 * low bits of post16 (the target offset is post16 >> 2); the first synapse of row i has
 * delay row_delay[i] and step 0. Where a row's delays jump by more than 3 steps, fillers
 * (weight 0, which leaves every sum unchanged: ring entries are never -0) bridge the gap;
 * sf_code_delays lists their positions for reading back. */
/* Synapse dynamics of a block (the rules are those of NEST's synapse models). */
enum {
    SF_SYN_STATIC = 0,
    SF_SYN_TSODYKS = 1,      /* tsodyks_synapse: per synapse u, x, y, t_last; tau_psc */
    SF_SYN_STDP = 2,         /* stdp_synapse: pair rule, weight dependence via mu+/mu- */
    SF_SYN_VOGELS = 3,       /* vogels_sprekeler_synapse */
    SF_SYN_STOCHASTIC = 4    /* bernoulli_synapse: transmitted with probability p */
};

/* Parameters shared by every synapse of a block (meaning depends on the kind):
 * TSODYKS: a = U, b = tau_rec, c = tau_fac
 * STDP:    a = tau_plus, b = A+ (NEST's lambda), c = A- (NEST's alpha * lambda),
 *          d = mu_plus, e = mu_minus, f = w_max (weights handled as magnitudes; the sign
 *          is applied on delivery)
 * VOGELS:  a = tau, b = eta, c = alpha, f = w_max
 * STOCHASTIC: a = p */
typedef struct sf_dyn_params {
    double a, b, c, d, e, f;
    double sign;             /* +1 or -1: sign of every weight of the block */
    uint64_t seed;           /* STOCHASTIC */
} sf_dyn_params;

typedef struct sf_block_desc {
    uint32_t pre;
    uint32_t post;
    uint32_t receptor;
    uint32_t thread;               /* the thread that delivers it. All its targets lie in
                                      one part of the post population, and every block onto
                                      that part must name the same thread (it may differ
                                      from the part's own, which updates the neurons) */
    const uint64_t *row_ptr;       /* n_pre + 1, or NULL when row_ptr32 is given */
    const uint16_t *post16;        /* per synapse, target - post_base */
    uint32_t post_base;
    uint32_t delay_const;          /* delay of every synapse when delay8, delay16 are NULL */
    const uint8_t *delay8;         /* per synapse, in time steps, 1 .. n_slots - 1 */
    const uint16_t *delay16;
    const float *weight;           /* per synapse, when weight_table is NULL */
    const uint16_t *weight_index;  /* per synapse, into weight_table (NULL: entry 0) */
    const double *weight_table;
    /* synapse dynamics (kind != SF_SYN_STATIC): weights are then per synapse, mutable */
    uint32_t kind;
    uint32_t reserved2;
    const sf_dyn_params *dyn;
    double *w;                     /* per synapse weight (magnitude for STDP/VOGELS) */
    double *s0, *s1, *s2, *s3;     /* per synapse state: TSODYKS u, x, y, t_last (ms);
                                      STDP/VOGELS Kplus, t_last (ms) */
    const double *tau_psc;         /* TSODYKS: per synapse, the target's synaptic tau */
    const uint64_t *syn_id;        /* STOCHASTIC: per synapse id for its random draws */
    /* per-synapse parameters where they differ between synapses (NULL: the block's):
     * TSODYKS q0 = U, q1 = tau_rec, q2 = tau_fac; STOCHASTIC q0 = p */
    const double *q0, *q1, *q2;
    const uint8_t *row_delay;      /* coded delays: delay of each row's first synapse */
    const uint32_t *row_ptr32;     /* the row pointers in 4 bytes each, for a block of
                                      fewer than 2^32 synapses (row_ptr NULL) */
    const uint8_t *weight24;       /* static synapses: 3 bytes per synapse (weight and
                                      weight_table NULL), see sf_weights24 */
    uint32_t weight24_base;
    uint32_t reserved3;
} sf_block_desc;


/* A sampled state variable: a double field of the state struct, for a set of neurons. */
typedef struct sf_sample_desc {
    uint32_t pop;
    uint32_t offset;               /* byte offset of the field in the state struct (its
                                    * array starts offset * sf_stride(n) bytes into a block
                                    * laid out field by field) */
    uint32_t n_index;
    uint32_t interval;             /* in time steps */
    uint64_t origin;               /* sample at steps origin + k * interval */
    const uint32_t *index;         /* neurons to sample */
    double *out;                   /* capacity x n_index, row-major by sample */
    uint64_t capacity;             /* samples that fit in out */
    uint64_t count;                /* samples written (engine increments) */
} sf_sample_desc;

/* A current source: its kernel computes one amplitude (nA) per time step, which is added
 * to the injected current of each target neuron. */
typedef double (*sf_current_fn)(const void *params, const void *derived, void *state,
                                const sf_context *ctx);

typedef struct sf_source_desc {
    sf_current_fn current;
    const void *params;
    const void *derived;
    void *state;
    const double *seq;             /* sequence storage of its parameters, may be NULL */
    uint64_t seed;
    uint32_t n_targets;
    uint32_t reserved;
    const uint32_t *target_pop;    /* per target: population number */
    const uint32_t *target_index;  /* per target: neuron index */
    double *record_out;            /* amplitude per step (NULL: not recorded) */
    uint64_t record_capacity;
    uint64_t record_count;         /* the engine increments */
    uint64_t record_first_step;    /* step of record_out[0] (the engine sets it) */
} sf_source_desc;

typedef struct sf_engine sf_engine;

#if defined(__GNUC__) || defined(__clang__)
#define SF_API __attribute__((visibility("default")))
#else
#define SF_API
#endif

SF_API uint32_t sf_engine_abi_version(void);
SF_API sf_engine *sf_engine_new(double dt, uint32_t n_slots, uint32_t n_pops, uint32_t n_blocks,
                         uint32_t n_threads);
SF_API void sf_engine_free(sf_engine *e);
SF_API int sf_engine_set_population(sf_engine *e, uint32_t k, const sf_pop_desc *desc);
/* Replace a population's parameter tables / spike-recording mask between runs, keeping its
 * spikes in flight. */
SF_API int sf_engine_set_params(sf_engine *e, uint32_t k, const void *params, void *derived,
                         const uint32_t *param_index, const double *seq);
SF_API int sf_engine_set_record_spikes(sf_engine *e, uint32_t k, const uint8_t *mask);
SF_API int sf_engine_set_seed(sf_engine *e, uint32_t k, uint64_t seed);
SF_API int sf_engine_set_block(sf_engine *e, uint32_t b, const sf_block_desc *desc);
/* Postsynaptic spike archive for STDP/Vogels targets (NEST's ArchivingNode): per neuron the
 * spike history with its K- trace, pruned once every incoming plastic synapse read it. */
SF_API int sf_engine_set_archive(sf_engine *e, uint32_t pop, double tau_minus,
                                 const uint32_t *n_incoming);
/* Sampling requests for the next run call; the array stays owned by the caller. */
SF_API void sf_engine_set_samples(sf_engine *e, sf_sample_desc *samples, uint32_t n_samples);
/* Build the rows of the blocks of one projection from its connection arrays in two passes
 * over the connections, whatever the number of blocks (a counting sort by block and
 * presynaptic neuron that keeps the original order within a row); sorting rows by delay
 * runs one OpenMP thread per block (at most n_threads at once).
 * Block t holds the synapses whose target lies in [bounds[t], bounds[t + 1]) (bounds has
 * n_blocks + 1 non-decreasing entries, each range at most 65536 wide; targets outside
 * [bounds[0], bounds[n_blocks]) are left out). pre/post are int32 (or int64 when
 * index64 != 0); delay_steps is uint16 per synapse, or NULL when the delay is the same for
 * every synapse.
 * sf_split_count fills each block's row_ptr (n_pre + 1 entries) and its synapse count
 * totals[t], and returns the sum (UINT64_MAX when out of memory); the caller then sizes the outputs, and sf_split_place
 * writes post16_out (target - bounds[t]), the delays (to delay8_out when it is given, else
 * to delay16_out when it is given, else nowhere), either weight_out (float) or, when
 * weight_idx is given, weight_idx_out (uint16) (neither when both are NULL: homogeneous
 * weights), and the original position of every synapse to order_out when it is not NULL
 * (each an array of n_blocks pointers). With by_delay != 0 and uint8 delays, each row is
 * then sorted by delay (stable), so that delivery writes the ring one slot at a time.
 * sf_split_place returns the number of synapses written (UINT64_MAX when out of memory). */
SF_API uint64_t sf_split_count(uint64_t n_syn, const void *pre, const void *post, int index64,
                               uint32_t n_pre, uint32_t n_blocks, uint32_t n_threads,
                               const uint32_t *bounds, uint64_t *const *row_ptr,
                               uint64_t *totals);
SF_API uint64_t sf_split_place(uint64_t n_syn, const void *pre, const void *post, int index64,
                               const uint16_t *delay_steps, const float *weight,
                               const uint16_t *weight_idx, uint32_t n_pre, uint32_t n_blocks,
                               uint32_t n_threads, int by_delay, const uint32_t *bounds,
                               uint64_t *const *row_ptr, uint16_t *const *post16_out,
                               uint8_t *const *delay8_out, uint16_t *const *delay16_out,
                               float *const *weight_out, uint16_t *const *weight_idx_out,
                               uint64_t *const *order_out);

/* Event bins, for rings larger than the cache. Without them, delivering a spike adds each
 * synapse's weight straight into the ring buffer of its target (a random access into
 * n_slots planes of the population). With them, each thread appends the events for a slot
 * to a bin of that slot (cell, weight: sequential writes) and the bin is added to the slot's
 * plane just before that slot is read, when one plane is all that is written. Events reach
 * every target in the same order either way, so results are bitwise the same. A bin holds
 * at most `capacity` events (0: as many as its thread's part of a plane has cells); a full
 * bin is added to the ring at once, so memory stays bounded in any burst.
 * enable = 0 turns them off (pending events go to the ring). */
SF_API int sf_engine_set_event_bins(sf_engine *e, uint32_t enable, uint32_t capacity);
SF_API uint32_t sf_engine_event_bins(const sf_engine *e);

/* 24-bit weights (see sf_block_desc): when the n floats w span fewer than 2^24 - 1 bit
 * patterns, writes their codes to out (3 * n + 1 bytes) and the base to *base and returns
 * 1; otherwise returns 0 and writes nothing. */
SF_API int sf_weights24(uint64_t n, const float *w, uint8_t *out, uint32_t *base);

/* Coded delays for one block whose rows are sorted by delay (see sf_block_desc):
 * sf_code_delays_count returns how many fillers the block needs, or UINT64_MAX when a
 * target offset is >= 16384. sf_code_delays then writes the coded block: row_ptr_out
 * (n_pre + 1), post_out and, when weight_size is 2, 3 or 4, weight_out (n + fillers
 * weights of weight_size bytes; fillers get *filler_weight), row_delay (n_pre) and the
 * fillers' positions (ascending). */
SF_API uint64_t sf_code_delays_count(uint32_t n_pre, const uint64_t *row_ptr,
                                     const uint16_t *post16, const uint8_t *delay8);
SF_API void sf_code_delays(uint32_t n_pre, const uint64_t *row_ptr, const uint16_t *post16,
                           const uint8_t *delay8, const void *weight, uint32_t weight_size,
                           const void *filler_weight, uint64_t *row_ptr_out,
                           uint16_t *post_out, void *weight_out, uint8_t *row_delay,
                           uint64_t *filler_pos);

/* Current sources for the next run call (caller-owned array, kept until the next call). */
SF_API int sf_engine_set_sources(sf_engine *e, sf_source_desc *sources, uint32_t n_sources);
/* Advance n_steps time steps. Returns 0 on success, a negative error code otherwise. */
SF_API int sf_engine_run(sf_engine *e, uint64_t n_steps);
SF_API uint64_t sf_engine_step(const sf_engine *e);
SF_API void sf_engine_set_step(sf_engine *e, uint64_t step);
/* Grow the ring buffers to n_slots (longer delays), keeping the spikes in flight. */
SF_API int sf_engine_resize_slots(sf_engine *e, uint32_t n_slots);
SF_API uint32_t sf_engine_slots(const sf_engine *e);
/* Clear all spikes in flight (reset). */
SF_API void sf_engine_clear_ring(sf_engine *e);
/* Spikes recorded since the last take: count, then copy out (and forget). */
SF_API uint64_t sf_engine_spike_count(const sf_engine *e, uint32_t pop);
SF_API void sf_engine_take_spikes(sf_engine *e, uint32_t pop, uint64_t *steps, uint32_t *index);
/* Total spikes emitted by a population since creation (diagnostics). */
SF_API uint64_t sf_engine_total_spikes(const sf_engine *e, uint32_t pop);
/* Where the time loop's time goes, per thread (seconds since the engine was made):
 * neuron updates, the bookkeeping (the spike log and current sources on thread 0;
 * sampling, on thread 0 or each thread its own part), spike delivery, and waiting at the
 * barriers (sf_engine_barriers). */
enum { SF_PHASE_UPDATE = 0, SF_PHASE_BOOKKEEPING = 1, SF_PHASE_DELIVER = 2, SF_PHASE_WAIT = 3,
       SF_N_PHASES = 4 };
/* Copies SF_MAX_THREADS x SF_N_PHASES doubles (row per thread) to out. */
SF_API void sf_engine_phase_times(const sf_engine *e, double *out);
/* How the engine's parts run. The rows, bins and neuron ranges are laid out for n_threads
 * parts, and part t gives the same results whichever thread runs it, so the parts may run
 * on n_threads threads (sf_engine_barriers a step) or one after another on the calling
 * thread (none), with bitwise the same results. SF_THREADS_ADAPTIVE (the default) times both
 * ways in a probe of alternating chunks (SF_PROBE_ROUNDS chunks of about
 * SF_PROBE_CHUNK_SECONDS each way, at least SF_PROBE_MIN_STEPS steps), so that both meet
 * about the same activity, runs the faster by each way's median chunk in seconds per unit
 * of work (the chunk's synaptic events and neuron updates in the balance model's units,
 * SF_COST_*: in a network that fires in bursts one chunk can hold many times the spikes
 * of the next), and probes again after SF_SETTLE_MIN_SECONDS of running, an interval that
 * doubles (up to SF_SETTLE_MAX_SECONDS) while the same way keeps winning by more than
 * 1.25x. While the parts run in parallel
 * (probe chunks and the stretches between), each thread counts its waits at the barrier
 * longer than SF_CONTENDED_WAIT_S and than SF_CONTENDED_RATIO times its own work since
 * the barrier before; where every SF_CONTENDED_EVERY steps these number half the steps or
 * more, another program holds a core (a thread then waits at nearly every step, many
 * times its own work, for one that is off its core; a burst of spikes keeps a thread
 * waiting for a part of its own work, at a few steps), and the parts run one after
 * another at once, for SF_SETTLE_MIN_SECONDS, twice as long each time the next probe
 * finds the same (sf_engine_watch_stops). The state carries over from one sf_engine_run
 * to the next. */
enum { SF_THREADS_ADAPTIVE = 0, SF_THREADS_PARALLEL = 1, SF_THREADS_SERIAL = 2 };
#define SF_PROBE_CHUNK_SECONDS 0.001
#define SF_PROBE_ROUNDS 4
#define SF_CONTENDED_WAIT_S 50e-6
#define SF_CONTENDED_RATIO 4
#define SF_CONTENDED_EVERY 8
/* looks a thread waiting at the barrier of the parallel loop takes, pausing, before it
 * gives its core away between looks (where each thread has a core of its own) */
#define SF_BARRIER_SPINS 16384u
#define SF_PROBE_MIN_STEPS 16
#define SF_SETTLE_MIN_SECONDS 0.1
#define SF_SETTLE_MAX_SECONDS 3.2
SF_API int sf_engine_set_thread_mode(sf_engine *e, uint32_t mode);
/* The adaptive mode's watch for this engine: the waits it counts are at least wait_s
 * seconds and ratio times the thread's own work (SF_CONTENDED_WAIT_S, SF_CONTENDED_RATIO
 * by default; tests set both 0, so that every parallel chunk stops at its
 * SF_CONTENDED_EVERY-th step). */
SF_API int sf_engine_set_contention_watch(sf_engine *e, double wait_s, double ratio);
/* How many parallel chunks or stretches the watch has stopped so far. */
SF_API uint64_t sf_engine_watch_stops(const sf_engine *e);
/* Run-time balance of the parts (SF_BALANCE_AUTO, the default): while the parts run in
 * parallel (the adaptive mode's stretches, or the parallel mode), the engine stops every
 * SF_BALANCE_SECONDS or so (at least SF_BALANCE_MIN_STEPS steps apart), and after every
 * SF_BALANCE_STRETCHES such stretches (a window) it may rearrange the populations that
 * lie whole in one part between the parts, moving one or several at once, where that is
 * predicted to shorten the busiest thread's time by at least SF_BALANCE_MIN_GAIN. The
 * prediction uses what each population cost over the window: at every SF_TIME_EVERY-th
 * step the engine reads the tick counter around each population's neuron updates and
 * where a batch of rows passes from one target population to the next (the batches as
 * at the other steps), which gives its updates' ticks and its deliveries' ticks per
 * event, and it counts the events delivered onto it at every step. With event bins the
 * pending events go along. A rearrangement whose next window shows less than half the
 * predicted fall of the busiest thread's share of the busy time is undone, and the next
 * SF_BALANCE_HOLD windows (doubling with each one undone in a row, at most
 * SF_BALANCE_HOLD_DOUBLINGS times) pass without one. Only with each part's inputs
 * delivered by its own thread. The results do not change (a whole population's spikes
 * and ring inputs keep their order on any part); the moves carry over to later runs.
 * SF_BALANCE_EVERY moves a population at each stop, for tests. SF_BALANCE_MODEL decides
 * as AUTO but with each population's cost in a model of the work (SF_COST_NEURON_STEP
 * per neuron and step, SF_COST_EVENT per synaptic event delivered onto it), each thread
 * exactly as busy as its part's cost, and stretches of SF_BALANCE_MIN_STEPS steps, so
 * its moves depend on the network alone, never on the machine's timing (tests, and runs
 * whose moves must repeat). */
enum { SF_BALANCE_OFF = 0, SF_BALANCE_AUTO = 1, SF_BALANCE_EVERY = 2, SF_BALANCE_MODEL = 3 };
#define SF_BALANCE_SECONDS 0.02
#define SF_BALANCE_MIN_STEPS 200
#define SF_BALANCE_STRETCHES 2
#define SF_BALANCE_HOLD 2
#define SF_BALANCE_HOLD_DOUBLINGS 4
#define SF_BALANCE_MIN_GAIN 0.04
/* most movable populations for which the balance's search also tries swaps (each round
 * of it costs the square of their number) */
#define SF_BALANCE_SWAPS_MAX 64
#define SF_TIME_EVERY 16
#define SF_COST_NEURON_STEP 1.0
#define SF_COST_EVENT 2.0
SF_API int sf_engine_set_balance(sf_engine *e, uint32_t mode);
/* The gap between the parts of population k in its arrays (SF_PART_GAP where it is split
 * between threads and runs on the engine's copy of its state, else 0). */
SF_API uint32_t sf_engine_part_gap(const sf_engine *e, uint32_t k);
/* Populations moved so far by the balance. */
SF_API uint64_t sf_engine_moves(const sf_engine *e);
/* The part that holds every neuron of population k now (the balance may have moved it),
 * or UINT32_MAX where it is split between parts, empty, or k is out of range. */
SF_API uint32_t sf_engine_whole_part(const sf_engine *e, uint32_t k);
/* Steps run so far with the parts in parallel (out[0]) and one after another (out[1]). */
SF_API void sf_engine_thread_mode_steps(const sf_engine *e, uint64_t *out);
/* Barriers a step when the parts run in parallel: 1 when the blocks onto every part are
 * delivered by the part's own thread (a thread goes on to its next update as soon as it
 * has delivered), else 2 (a thread waits until every delivery onto its part is done). */
SF_API uint32_t sf_engine_barriers(const sf_engine *e);
/* Neurons [begin, end) of a population of n handled by thread t of n_threads. */
SF_API void sf_engine_thread_range(uint32_t n, uint32_t n_threads, uint32_t t, uint32_t *begin,
                                   uint32_t *end);
/* Threads the engine will really use (1 if built without OpenMP). */
SF_API uint32_t sf_engine_threads(const sf_engine *e);

#define SF_OK 0
#define SF_ERR_NOMEM (-1)
#define SF_ERR_ARG (-2)

#endif
