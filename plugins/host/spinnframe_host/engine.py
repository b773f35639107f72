"""The host backend: drives the C engine through ctypes.

Python prepares everything once per run() call (parameter tables, synaptic rows,
recording buffers); the time loop, the neuron updates and the spike delivery all run in C.
Between calls the engine keeps its ring buffers, so spikes in flight survive run() calls
and parameter changes.
"""
from __future__ import annotations

import ctypes as C
import functools
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
import warnings
import weakref
from pathlib import Path

import attrs
import numpy as np

from spinnframe.errors import EngineError, KernelBuildError
from spinnframe.ir import ConnectionSource
from spinnframe.models import dtypes, generate_wrapper
from spinnframe.models.codegen import generate_source_wrapper
from spinnframe.specs import CurrentSourceSpec
from spinnframe.models.layout import field_table
from spinnframe.models.layout import stride as layout_stride
from spinnframe.plugins import get_manager
from spinnframe.projections.storage import is_uniform
from spinnframe.sdk import include_dir, kernel_abi_version

from . import compiler

ENGINE_ABI = 17
#: engine.h: SF_MAX_THREADS, and the phases of sf_engine_phase_times in order
MAX_THREADS = 256
PHASES = ("update", "bookkeeping", "deliver", "wait")
#: Delays are stored per synapse as uint16 time steps.
MAX_DELAY_STEPS = 65535
#: Largest number of steps per engine call: bounds recording buffers, keeps Ctrl-C and
#: progress reports responsive.
MAX_CHUNK_STEPS = 10000
#: Bytes of sample buffers per chunk before the chunk is shortened.
SAMPLE_BUDGET = 64 << 20
#: Event bins (engine.h, sf_engine_set_event_bins) are used when the ring buffers of all
#: populations together are larger than this fraction of the last-level cache: beyond it,
#: a scattered write into the ring misses the cache on nearly every synaptic event.
EVENT_BINS_CACHE_FRACTION = 0.6
#: Most events a bin holds before it is added to the ring (0: the engine's default, as many
#: as the thread's part of a plane has cells; tests set it small to exercise that path).
EVENT_BIN_CAPACITY = 0
#: Static synapses with per-synapse delays of at most 255 steps are kept in coded delays
#: (engine.h: the delay costs no byte of its own, so 6 bytes per synapse instead of 7 with
#: float32 weights); tests turn it off to compare.
CODE_DELAYS = True
#: Options of setup(host={...}) and the values each takes.
HOST_OPTIONS = {"event_bins": ("auto", True, False), "parallel": ("auto", True, False),
                "compact_weights": ("auto", True, False), "balance": ("auto", True, False)}
#: How the engine's parts run with threads > 1 (engine.h, sf_engine_set_thread_mode): "auto"
#: measures both ways and runs the faster, True always on the threads, False one part after
#: another on one thread. Results are the same every way.
THREAD_MODES = {"auto": 0, True: 1, False: 2}

u32p = C.POINTER(C.c_uint32)


class Context(C.Structure):
    _fields_ = [("dt", C.c_double), ("t", C.c_double), ("step", C.c_uint64),
                ("seed", C.c_uint64), ("seq", C.c_void_p), ("params_changed", C.c_uint32),
                ("reserved", C.c_uint32)]


class PopulationView(C.Structure):
    _fields_ = [("n", C.c_uint32), ("n_receptors", C.c_uint32), ("stride", C.c_uint32),
                ("reserved", C.c_uint32), ("state", C.c_void_p),
                ("params", C.c_void_p), ("derived", C.c_void_p), ("param_index", C.c_void_p),
                ("input", C.c_void_p), ("i_inj", C.c_void_p)]


class PopDesc(C.Structure):
    _fields_ = [("update", C.c_void_p), ("n", C.c_uint32), ("n_receptors", C.c_uint32),
                ("state_size", C.c_uint32), ("state_by_field", C.c_uint32),
                ("state", C.c_void_p),
                ("params", C.c_void_p), ("derived", C.c_void_p), ("param_index", C.c_void_p),
                ("seq", C.c_void_p), ("record_spikes", C.c_void_p), ("i_inj", C.c_void_p),
                ("seed", C.c_uint64), ("parts", C.c_void_p), ("state_fields", C.c_void_p),
                ("n_state_fields", C.c_uint32)]


class DynParams(C.Structure):
    _fields_ = [(n, C.c_double) for n in "abcdef"] + [("sign", C.c_double),
                                                      ("seed", C.c_uint64)]


class BlockDesc(C.Structure):
    _fields_ = [("pre", C.c_uint32), ("post", C.c_uint32), ("receptor", C.c_uint32),
                ("thread", C.c_uint32), ("row_ptr", C.c_void_p), ("post16", C.c_void_p),
                ("post_base", C.c_uint32), ("delay_const", C.c_uint32),
                ("delay8", C.c_void_p), ("delay16", C.c_void_p),
                ("weight", C.c_void_p), ("weight_index", C.c_void_p),
                ("weight_table", C.c_void_p), ("kind", C.c_uint32), ("reserved2", C.c_uint32),
                ("dyn", C.c_void_p), ("w", C.c_void_p), ("s0", C.c_void_p), ("s1", C.c_void_p),
                ("s2", C.c_void_p), ("s3", C.c_void_p), ("tau_psc", C.c_void_p),
                ("syn_id", C.c_void_p), ("q0", C.c_void_p), ("q1", C.c_void_p),
                ("q2", C.c_void_p), ("row_delay", C.c_void_p), ("row_ptr32", C.c_void_p),
                ("weight24", C.c_void_p), ("weight24_base", C.c_uint32),
                ("reserved3", C.c_uint32)]


#: Engine codes of the synapse dynamics (engine.h).
SYN_KIND = {"static": 0, "tsodyks": 1, "stdp": 2, "vogels": 3, "stochastic": 4}


class SampleDesc(C.Structure):
    _fields_ = [("pop", C.c_uint32), ("offset", C.c_uint32), ("n_index", C.c_uint32),
                ("interval", C.c_uint32), ("origin", C.c_uint64), ("index", C.c_void_p),
                ("out", C.c_void_p), ("capacity", C.c_uint64), ("count", C.c_uint64)]


class SourceDesc(C.Structure):
    _fields_ = [("current", C.c_void_p), ("params", C.c_void_p), ("derived", C.c_void_p),
                ("state", C.c_void_p), ("seq", C.c_void_p), ("seed", C.c_uint64),
                ("n_targets", C.c_uint32), ("reserved", C.c_uint32),
                ("target_pop", C.c_void_p), ("target_index", C.c_void_p),
                ("record_out", C.c_void_p), ("record_capacity", C.c_uint64),
                ("record_count", C.c_uint64), ("record_first_step", C.c_uint64)]


class FieldInfo(C.Structure):
    _fields_ = [("name", C.c_char_p), ("offset", C.c_uint32), ("size", C.c_uint32)]


class ModelInfo(C.Structure):
    _fields_ = [("abi_version", C.c_uint32), ("model_name", C.c_char_p),
                ("n_receptors", C.c_uint32), ("params_size", C.c_uint32),
                ("derived_size", C.c_uint32), ("state_size", C.c_uint32),
                ("n_params", C.c_uint32), ("n_derived", C.c_uint32), ("n_state", C.c_uint32),
                ("params", C.POINTER(FieldInfo)), ("derived", C.POINTER(FieldInfo)),
                ("state", C.POINTER(FieldInfo))]


def _ptr(a: np.ndarray | None) -> int | None:
    return None if a is None else a.ctypes.data


# --------------------------------------------------------------------------------------
# Libraries
# --------------------------------------------------------------------------------------
_engine_libs: dict[Path, C.CDLL] = {}
_model_libs: dict[tuple, "ModelLibrary"] = {}


def engine_library(cache: Path) -> C.CDLL:
    src_dir = include_dir()
    deps = [src_dir / "engine.c", src_dir / "engine.h", src_dir / "spinnframe_kernel.h"]
    source = f'#include "{(src_dir / "engine.c").as_posix()}"\n'
    path = compiler.build("engine", source, deps, cache, "the spinnframe host engine",
                          extra_flags=list(compiler.openmp_flags()))
    lib = _engine_libs.get(path)
    if lib is None:
        lib = C.CDLL(str(path))
        lib.sf_engine_abi_version.restype = C.c_uint32
        if lib.sf_engine_abi_version() != ENGINE_ABI:
            raise KernelBuildError(f"engine library {path} has ABI "
                                   f"{lib.sf_engine_abi_version()}, expected {ENGINE_ABI}")
        lib.sf_engine_new.restype = C.c_void_p
        lib.sf_engine_new.argtypes = [C.c_double, C.c_uint32, C.c_uint32, C.c_uint32, C.c_uint32]
        lib.sf_engine_free.argtypes = [C.c_void_p]
        lib.sf_engine_set_population.argtypes = [C.c_void_p, C.c_uint32, C.POINTER(PopDesc)]
        lib.sf_engine_set_block.argtypes = [C.c_void_p, C.c_uint32, C.POINTER(BlockDesc)]
        lib.sf_engine_set_params.argtypes = [C.c_void_p, C.c_uint32, C.c_void_p, C.c_void_p,
                                             C.c_void_p, C.c_void_p]
        lib.sf_engine_set_record_spikes.argtypes = [C.c_void_p, C.c_uint32, C.c_void_p]
        lib.sf_engine_set_seed.argtypes = [C.c_void_p, C.c_uint32, C.c_uint64]
        lib.sf_engine_set_samples.argtypes = [C.c_void_p, C.c_void_p, C.c_uint32]
        lib.sf_engine_run.argtypes = [C.c_void_p, C.c_uint64]
        lib.sf_engine_step.restype = C.c_uint64
        lib.sf_engine_step.argtypes = [C.c_void_p]
        lib.sf_engine_set_step.argtypes = [C.c_void_p, C.c_uint64]
        lib.sf_engine_clear_ring.argtypes = [C.c_void_p]
        lib.sf_engine_spike_count.restype = C.c_uint64
        lib.sf_engine_spike_count.argtypes = [C.c_void_p, C.c_uint32]
        lib.sf_engine_take_spikes.argtypes = [C.c_void_p, C.c_uint32, C.c_void_p, C.c_void_p]
        lib.sf_engine_resize_slots.argtypes = [C.c_void_p, C.c_uint32]
        lib.sf_engine_set_sources.argtypes = [C.c_void_p, C.c_void_p, C.c_uint32]
        lib.sf_engine_set_archive.argtypes = [C.c_void_p, C.c_uint32, C.c_double, C.c_void_p]
        lib.sf_split_count.restype = C.c_uint64
        lib.sf_split_count.argtypes = [C.c_uint64, C.c_void_p, C.c_void_p, C.c_int, C.c_uint32,
                                       C.c_uint32, C.c_uint32, C.c_void_p, C.c_void_p,
                                       C.c_void_p]
        lib.sf_split_place.restype = C.c_uint64
        lib.sf_split_place.argtypes = [C.c_uint64, C.c_void_p, C.c_void_p, C.c_int, C.c_void_p,
                                       C.c_void_p, C.c_void_p, C.c_uint32, C.c_uint32,
                                       C.c_uint32, C.c_int, C.c_void_p] + [C.c_void_p] * 7
        lib.sf_engine_set_balance.argtypes = [C.c_void_p, C.c_uint32]
        lib.sf_engine_set_contention_watch.argtypes = [C.c_void_p, C.c_double, C.c_double]
        lib.sf_engine_watch_stops.restype = C.c_uint64
        lib.sf_engine_watch_stops.argtypes = [C.c_void_p]
        lib.sf_engine_part_gap.argtypes = [C.c_void_p, C.c_uint32]
        lib.sf_engine_part_gap.restype = C.c_uint32
        lib.sf_engine_moves.restype = C.c_uint64
        lib.sf_engine_moves.argtypes = [C.c_void_p]
        lib.sf_engine_whole_part.restype = C.c_uint32
        lib.sf_engine_whole_part.argtypes = [C.c_void_p, C.c_uint32]
        lib.sf_weights24.restype = C.c_int
        lib.sf_weights24.argtypes = [C.c_uint64, C.c_void_p, C.c_void_p,
                                     C.POINTER(C.c_uint32)]
        lib.sf_engine_slots.restype = C.c_uint32
        lib.sf_engine_slots.argtypes = [C.c_void_p]
        lib.sf_engine_phase_times.argtypes = [C.c_void_p, C.c_void_p]
        lib.sf_engine_threads.restype = C.c_uint32
        lib.sf_engine_threads.argtypes = [C.c_void_p]
        lib.sf_code_delays_count.restype = C.c_uint64
        lib.sf_code_delays_count.argtypes = [C.c_uint32] + [C.c_void_p] * 3
        lib.sf_code_delays.argtypes = [C.c_uint32] + [C.c_void_p] * 4 + [C.c_uint32] + \
            [C.c_void_p] * 6
        lib.sf_engine_set_event_bins.argtypes = [C.c_void_p, C.c_uint32, C.c_uint32]
        lib.sf_engine_set_thread_mode.argtypes = [C.c_void_p, C.c_uint32]
        lib.sf_engine_thread_mode_steps.argtypes = [C.c_void_p, C.POINTER(C.c_uint64)]
        lib.sf_engine_barriers.restype = C.c_uint32
        lib.sf_engine_barriers.argtypes = [C.c_void_p]
        lib.sf_engine_event_bins.restype = C.c_uint32
        lib.sf_engine_event_bins.argtypes = [C.c_void_p]
        _engine_libs[path] = lib
    return lib


class ModelLibrary:
    """A compiled model kernel whose layout has been checked against its declaration."""

    def __init__(self, spec, path: Path):
        self.spec = spec
        self.lib = C.CDLL(str(path))
        self.lib.sf_model_describe.restype = C.POINTER(ModelInfo)
        info = self.lib.sf_model_describe().contents
        self.params_dtype, self.derived_dtype, self.state_dtype = dtypes(spec)
        self._check(info, path)
        if isinstance(spec, CurrentSourceSpec):
            self.current_ptr = C.cast(self.lib.sf_source_current, C.c_void_p).value
            self.lib.sf_source_prepare.argtypes = [C.c_void_p, C.c_void_p, C.POINTER(Context)]
            self.lib.sf_source_start.argtypes = [C.c_void_p, C.c_void_p, C.c_void_p,
                                                 C.POINTER(Context)]
            return
        self.update_ptr = C.cast(self.lib.sf_model_update, C.c_void_p).value
        self.lib.sf_model_prepare.argtypes = [C.c_void_p, C.c_void_p, C.c_uint32,
                                              C.POINTER(Context)]
        self.lib.sf_model_start.argtypes = [C.POINTER(PopulationView), C.POINTER(Context)]

    def _check(self, info: ModelInfo, path: Path) -> None:
        spec = self.spec
        if info.abi_version != kernel_abi_version():
            raise KernelBuildError(
                f"kernel of {spec.name} was built for kernel interface version "
                f"{info.abi_version}, this spinnframe has {kernel_abi_version()}")
        for label, dtype, size, n, fields in (
                ("parameters", self.params_dtype, info.params_size, info.n_params, info.params),
                ("derived constants", self.derived_dtype, info.derived_size, info.n_derived,
                 info.derived),
                ("state", self.state_dtype, info.state_size, info.n_state, info.state)):
            expected = field_table(dtype)
            got = [(fields[i].name.decode(), fields[i].offset, fields[i].size) for i in range(n)]
            if size != dtype.itemsize or got != expected:
                raise KernelBuildError(
                    f"the compiled kernel of {spec.name} ({path}) does not match its "
                    f"declaration: {label} layout {got} (size {size}) vs declared {expected} "
                    f"(size {dtype.itemsize})")
        if info.n_receptors != len(getattr(spec, "receptors", ())):
            raise KernelBuildError(
                f"kernel of {spec.name} has {info.n_receptors} receptors, the declaration "
                f"{len(getattr(spec, 'receptors', ()))}")


#: numerics= values and the compiler flags that give them (numerics="fixed": the s16.15
#: emulation of spinnframe_kernel.h).
NUMERICS = {"double": [], "fixed": ["-DSF_EMULATE_S1615"]}


def numerics_flags(numerics: str | None) -> list[str]:
    name = "double" if numerics in (None, "double", "float64") else (
        "fixed" if numerics in ("fixed", "s16.15", "s1615") else numerics)
    if name not in NUMERICS:
        raise EngineError(f"numerics={numerics!r} is not supported; use 'double' (the "
                          f"default) or 'fixed' (SpiNNaker's s16.15 resolution)")
    return NUMERICS[name]


def model_library(spec, cache: Path, numerics: str | None = None) -> ModelLibrary:
    """The compiled, checked library of a neuron model or current source (cached)."""
    flags = numerics_flags(numerics) if not isinstance(spec, CurrentSourceSpec) else []
    key = (spec, str(cache), tuple(flags))
    lib = _model_libs.get(key)
    if lib is None:
        if not spec.kernel.is_file():
            raise KernelBuildError(f"kernel source of {spec.name} not found: {spec.kernel}")
        is_source = isinstance(spec, CurrentSourceSpec)
        kind = "current_source" if is_source else "neuron_model"
        try:
            plugin = get_manager().provider(kind, spec.name).name
        except KeyError:
            plugin = "unregistered"
        # every SDK header and every C file beside the kernel may be included by it
        kernel_dir = spec.kernel.resolve().parent
        deps = sorted(include_dir().glob("*.h")) + sorted(
            p for p in kernel_dir.iterdir() if p.suffix in (".c", ".h"))
        source = generate_source_wrapper(spec) if is_source else generate_wrapper(spec)
        path = compiler.build(
            f"{'source' if is_source else 'model'}_{spec.name}", source, deps, cache,
            f"the C kernel of {'current source' if is_source else 'model'} {spec.name} "
            f"(plugin {plugin!r}, {spec.kernel})", extra_flags=flags)
        lib = ModelLibrary(spec, path)
        _model_libs[key] = lib
    return lib


# --------------------------------------------------------------------------------------
# Packing
# --------------------------------------------------------------------------------------
def pack_parameters(spec, params: dict, params_dtype) -> tuple[np.ndarray, np.ndarray | None,
                                                              np.ndarray]:
    """(unique parameter sets, per-neuron set index or None, flat sequence storage)."""
    n = len(next(iter(params.values()))) if params else 0
    full = np.zeros(max(n, 1), dtype=params_dtype)
    seq_parts, seq_len = [], 0
    for p in spec.parameters:
        values = params[p.name]
        if p.kind == "sequence":
            starts = np.zeros(n, np.uint32)
            lengths = np.zeros(n, np.uint32)
            for i, v in enumerate(values):
                arr = np.asarray(getattr(v, "value", v), dtype=float).ravel()
                starts[i] = seq_len
                lengths[i] = arr.size
                seq_parts.append(arr)
                seq_len += arr.size
            full[p.name]["start"][:n] = starts
            full[p.name]["length"][:n] = lengths
        else:
            full[p.name][:n] = values
    seq = np.concatenate(seq_parts) if seq_parts else np.zeros(1)
    seq = np.ascontiguousarray(seq, dtype=np.float64)
    rows = full.view(np.uint8).reshape(len(full), params_dtype.itemsize)
    if (rows == rows[0]).all():
        # one set for all (the usual case, and set() with scalars between short runs):
        # np.unique's sort of the rows cost 0.4 ms for 3 200 neurons
        return np.ascontiguousarray(full[:1]), None, seq
    raw = full.view(np.dtype((np.void, params_dtype.itemsize)))
    uniq, inverse = np.unique(raw, return_inverse=True)
    table = np.ascontiguousarray(uniq.view(params_dtype).reshape(-1))
    index = None if len(table) == 1 else np.ascontiguousarray(inverse.ravel(), dtype=np.uint32)
    return table, index, seq


#: Most targets one block spans: 16-bit target words, of which coded delays take 2 bits.
BLOCK_SPAN = 16384


def engine_threads(requested: int) -> int:
    """The threads the engine will run for setup(threads=requested): at most MAX_THREADS
    (engine.h, SF_MAX_THREADS), 1 without OpenMP. The parts are laid out for this many, so
    the engine's own limit is never met with parts for more threads than it runs."""
    return min(requested, MAX_THREADS) if compiler.openmp_flags() else 1


#: Populations of at least this many neurons may be split between threads; smaller ones are
#: each given whole to one thread. Two cores writing to the same memory page at every step
#: slow each other down on this machine even where they never share a cache line (two
#: threads writing the two halves of the same pages, a barrier between rounds: 7x slower
#: than each writing pages of its own; the neuron updates of 8 populations of 490 split
#: between two threads ran 3-6x slower in parallel than one after another), so every page
#: a population's arrays share between threads costs at every step.
SPLIT_MIN_NEURONS = 2048
#: Where a population is split, its parts begin at multiples of this many neurons: with
#: the population's arrays page-aligned and spaced by a multiple of it (layout.stride),
#: each part of every array then starts on a page of its own.
PART_GRAIN = 1024


def part_bounds(sizes: tuple[int, ...], threads: int) -> tuple[tuple[int, ...], ...]:
    """Which neurons of each population each engine thread updates (and delivers to):
    for population k, part t is [bounds[k][t], bounds[k][t + 1]) (sf_pop_desc.parts).

    Populations smaller than SPLIT_MIN_NEURONS go whole to one thread, largest first, each
    to the thread with the fewest neurons so far; the larger ones then fill the threads up
    to an equal share in thread order (each split at most where a thread's share ends, at
    a multiple of PART_GRAIN), so a population's parts are contiguous and in thread order,
    the threads' loads differ by little, and few populations are split at all. The bounds
    depend only on the sizes, the thread count and the two constants."""
    return _part_bounds(tuple(int(n) for n in sizes), threads, SPLIT_MIN_NEURONS, PART_GRAIN)


@functools.lru_cache(maxsize=64)
def _part_bounds(sizes: tuple[int, ...], threads: int, split_min: int,
                 grain: int) -> tuple[tuple[int, ...], ...]:
    out: list[tuple[int, ...] | None] = [None] * len(sizes)
    if threads <= 1:
        return tuple((0, n) for n in sizes)
    load = [0] * threads
    small = sorted((k for k, n in enumerate(sizes) if n < split_min),
                   key=lambda k: (-sizes[k], k))
    for k in small:
        t = min(range(threads), key=lambda t: (load[t], t))
        load[t] += sizes[k]
        out[k] = (0,) * (t + 1) + (sizes[k],) * (threads - t)
    share = sum(sizes) / threads
    t = 0
    for k, n in enumerate(sizes):
        if out[k] is not None:
            continue
        bounds, at = [0], 0
        for u in range(threads):
            if u < t:
                bounds.append(0)
                continue
            if u == threads - 1:
                take = n - at
            else:
                want = max(0, int(round(share - load[u])))
                end = min(n, at + want)
                end = min(n, int(round(end / grain)) * grain) if end < n else n
                take = max(0, end - at)
            at += take
            load[u] += take
            bounds.append(at)
            if at < n:
                t = u + 1          # this thread is full: the next population starts after it
        out[k] = tuple(bounds)
    return tuple(out)


#: delivery_threads moves the delivery onto whole populations off their updating threads
#: only where that lowers the busiest thread's incoming connections by more than this
#: factor: with every population's inputs delivered by its own thread the engine needs one
#: barrier a step instead of two (engine.h, sf_engine_barriers), which was worth more than
#: balancing a milder difference (microcircuit 0.05, 2 threads: loop 0.15-0.16 s with one
#: barrier and the deliveries 0-30 % apart, 0.18-0.19 s balanced with two barriers).
#: 0 balances always.
DELIVERY_BALANCE_GAIN = 1.5


def delivery_threads(parts, incoming, threads: int) -> list[int | None]:
    """Which thread delivers the synapses onto each population that is whole on one thread
    (None: each part's own thread). ``incoming``: (post population, connections) of every
    projection. The parts balance neurons, and a population whose neurons receive many
    more synapses than others' loads its thread's delivery alone; the delivery onto a
    population need not run on the thread that updates it, so it can be balanced on its
    own, by the connections onto each population (largest first, to the thread with the
    fewest so far). That costs a second barrier a step, so it is done only where it lowers
    the most connections any thread delivers by more than DELIVERY_BALANCE_GAIN; otherwise
    every population's inputs are delivered by its own threads (all None). Every block
    onto a population goes to one thread, so its inputs still arrive in one thread's
    order."""
    syn = [0] * len(parts)
    for post, n in incoming:
        syn[post] += int(n)
    split = [0.0] * threads                  # split populations: each part by its thread
    whole = []
    for k, b in enumerate(parts):
        owners = [t for t in range(threads) if b[t + 1] > b[t]]
        if len(owners) > 1:
            for t in owners:
                split[t] += syn[k] * (b[t + 1] - b[t]) / b[-1]
        else:
            whole.append((k, owners[0] if owners else 0))
    own = list(split)                        # every whole population by its own thread
    for k, t in whole:
        own[t] += syn[k]
    load = list(split)                       # balanced: largest first, to the least loaded
    out: list[int | None] = [None] * len(parts)
    for k, _ in sorted(whole, key=lambda kt: (-syn[kt[0]], kt[0])):
        if threads > 1 and syn[k]:
            t = min(range(threads), key=lambda t: (load[t], t))
            load[t] += syn[k]
            out[k] = t
    if max(own) <= DELIVERY_BALANCE_GAIN * max(load):
        return [None] * len(parts)
    return out


def block_bounds(parts: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """The blocks of a projection onto a population whose threads' parts are ``parts``
    (part_bounds): (thread, first, end) for each thread's non-empty part, split into pieces
    of at most BLOCK_SPAN targets (at least one block in all)."""
    out = []
    for t in range(len(parts) - 1):
        lo, hi = parts[t], parts[t + 1]
        pieces = -(-(hi - lo) // BLOCK_SPAN)
        for k in range(pieces):
            out.append((t, lo + k * BLOCK_SPAN, min(hi, lo + (k + 1) * BLOCK_SPAN)))
    if not out:
        out.append((0, 0, 0))
    return out


#: Fewest connections still to pack at a run (all projections together) for which the
#: packing runs in worker threads: starting them costs about a millisecond, and the
#: packing of small projections is mostly Python, which holds the GIL (VA CUBA 4000, 0.3 M
#: connections, packs in 2 ms; the 21 small projections of the microcircuit at scale 0.05,
#: 0.33 M connections, in 10 ms on one thread, 12 ms waited for with two workers).
POOL_MIN_CONNECTIONS = 1_000_000
#: Connections of a projection from which its hand-over (HeldRows) returns the freed
#: memory at once (about 13 bytes each); smaller ones wait for the end of the packing, so
#: a network of many small projections does not trim the heap after each (microcircuit
#: 0.05 on 2 threads: 21 trims, 7 ms of a 0.2 s run).
TRIM_CONNECTIONS = 4_000_000


def release_freed_memory() -> None:
    """Return freed heap memory to the system. glibc raises its mmap threshold once large
    blocks are freed, so the arrays a projection hands over (and numpy's temporaries) end
    up in the heap, which it keeps: without this the process stays as large as it was
    before the hand-over."""
    try:
        trim = C.CDLL(None).malloc_trim
    except (OSError, AttributeError):        # not glibc
        return
    trim(0)


def _pointer_array(arrays):
    """A C array of the data pointers of ``arrays`` (NULL when every entry is None)."""
    if all(a is None for a in arrays):
        return None
    return (C.c_void_p * len(arrays))(*[_ptr(a) for a in arrays])


@attrs.frozen(eq=False)
class PackedBlock:
    """The synapses of one projection onto the targets [first, end), as CSR rows in the
    engine's compact forms (engine.h, sf_block_desc)."""
    first: int
    row_ptr: np.ndarray            # n_pre + 1: uint32 (fewer than 2**32 entries) or uint64
    post16: np.ndarray             # uint16, target - first
    delay: np.ndarray | None       # uint8 or uint16 steps; None: delay_const for all
    delay_const: int
    weight: np.ndarray | None      # float32, or None
    weight_index: np.ndarray | None    # uint16 into weight_table, or None
    weight_table: np.ndarray | None
    order: np.ndarray | None       # position of each synapse in the ProjectionIR
    # coded delays (engine.h): post16 = target << 2 | step to the delay; row_delay per
    # row; the positions of the fillers (weight 0) that bridge jumps of > 3 steps (the
    # dtype of row_ptr)
    row_delay: np.ndarray | None = None
    fillers: np.ndarray | None = None
    # 24-bit weights (engine.h, sf_weights24): uint8, 3 per synapse and one more, in place
    # of the float32 weights (weight None); weight24_base + code is the float's bit pattern
    weight24: np.ndarray | None = None
    weight24_base: int = 0

    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.row_ptr, self.post16, self.delay, self.weight,
                                      self.weight_index, self.row_delay, self.fillers,
                                      self.weight24)
                   if a is not None)

    def float_weights(self) -> np.ndarray | None:
        """The per-synapse float32 weights (fillers included), whatever their storage."""
        if self.weight24 is None:
            return self.weight
        n = len(self.post16)
        code = np.zeros((n, 4), np.uint8)
        code[:, :3] = self.weight24[:3 * n].reshape(n, 3)
        code = code.view("<u4").ravel()
        w = (code + np.uint32(self.weight24_base)).view(np.float32)
        w[code == 0] = 0.0
        return w

    @property
    def n_synapses(self) -> int:
        return len(self.post16) - (0 if self.fillers is None else len(self.fillers))

    def plain(self) -> tuple:
        """(row lengths, targets - first, delays or None, weights or None, weight indices
        or None) of the synapses, fillers left out, whatever the storage form."""
        lengths = np.diff(self.row_ptr).astype(np.int64)
        if self.row_delay is None:
            return lengths, self.post16, self.delay, self.float_weights(), self.weight_index
        total = np.cumsum(self.post16 & 3, dtype=np.int64)
        starts = self.row_ptr[:-1].astype(np.int64)
        nonempty = lengths > 0
        base = np.zeros(len(lengths), np.int64)
        base[nonempty] = self.row_delay[nonempty] - total[starts[nonempty]]
        delay = (np.repeat(base, lengths) + total).astype(np.uint8)
        post, weight, index = self.post16 >> 2, self.float_weights(), self.weight_index
        if len(self.fillers):
            keep = np.ones(len(post), bool)
            keep[self.fillers.astype(np.int64)] = False
            row_of = np.repeat(np.arange(len(lengths)), lengths)
            lengths = lengths - np.bincount(row_of[~keep], minlength=len(lengths))
            post, delay = post[keep], delay[keep]
            weight = None if weight is None else weight[keep]
            index = None if index is None else index[keep]
        return lengths, post, delay, weight, index


def pack_blocks(lib, p_ir, n_pre: int, blocks, threads: int = 1,
                dynamic: bool = False, compact: bool = False) -> list[PackedBlock]:
    """CSR rows of the synapses of one ProjectionIR, one block per (thread, first, end) of
    ``blocks`` (block_bounds), built in C in two passes over the connections, whatever the
    number of blocks (engine.c: sf_split_count, sf_split_place). Weights and delays keep the compact form the core
    stores them in (storage.py): one value for all costs nothing per synapse, delays take
    one byte when none is longer than 255 steps. Dynamic synapses keep their weights in
    per-synapse state (_dyn_arrays) instead, and need each synapse's position (order).
    With ``compact``, float32 weights are kept in 3 bytes each where they fit (_weights24)."""
    pre, post, values, table, steps = p_ir.columns()
    if pre.dtype != post.dtype or pre.dtype not in (np.int32, np.int64):
        pre, post = pre.astype(np.int64), post.astype(np.int64)
    pre, post = np.ascontiguousarray(pre), np.ascontiguousarray(post)
    index64 = int(pre.dtype == np.int64)
    total = len(pre)
    uniform_delay = is_uniform(steps)
    delay_const = int(steps[0]) if uniform_delay else 0
    delay_in = None if uniform_delay else np.ascontiguousarray(steps, dtype=np.uint16)
    delay_type = None if uniform_delay or total == 0 else (
        np.uint8 if int(delay_in.max()) <= 255 else np.uint16)
    if dynamic:
        table = w_in = w_idx_in = None
    elif table is not None and is_uniform(values):         # one weight for all
        table = np.array([table[int(values[0])]], dtype=np.float64)
        w_in = w_idx_in = None
    elif table is not None:
        w_in, w_idx_in = None, np.ascontiguousarray(values, dtype=np.uint16)
    else:
        w_in, w_idx_in = np.ascontiguousarray(values, dtype=np.float32), None
    n_blocks = len(blocks)
    c_bounds = np.ascontiguousarray([b[1] for b in blocks] + [blocks[-1][2]], dtype=np.uint32)
    row_ptr = [np.empty(n_pre + 1, np.uint64) for _ in range(n_blocks)]
    totals = np.zeros(n_blocks, np.uint64)
    if lib.sf_split_count(total, _ptr(pre), _ptr(post), index64, n_pre, n_blocks, threads,
                          _ptr(c_bounds), _pointer_array(row_ptr), _ptr(totals)) == 2 ** 64 - 1:
        raise MemoryError(f"could not build the synaptic rows of projection {p_ir.label!r}")
    sizes = [int(n) for n in totals]
    post_out = [np.empty(n, np.uint16) for n in sizes]
    delay_out = [None if delay_type is None else np.empty(n, delay_type) for n in sizes]
    w_out = [np.empty(n, np.float32) if w_in is not None else None for n in sizes]
    widx_out = [np.empty(n, np.uint16) if w_idx_in is not None else None for n in sizes]
    order = [np.empty(n, np.uint64) if dynamic else None for n in sizes]
    got = lib.sf_split_place(
        total, _ptr(pre), _ptr(post), index64, _ptr(delay_in),
        _ptr(w_in), _ptr(w_idx_in), n_pre, n_blocks, threads, int(not dynamic),
        _ptr(c_bounds),
        _pointer_array(row_ptr), _pointer_array(post_out),
        _pointer_array(delay_out) if delay_type is np.uint8 else None,
        _pointer_array(delay_out) if delay_type is np.uint16 else None,
        _pointer_array(w_out), _pointer_array(widx_out), _pointer_array(order))
    if got != sum(sizes):
        raise MemoryError(f"could not build the synaptic rows of projection {p_ir.label!r}")
    out = [PackedBlock(blocks[t][1], row_ptr[t], post_out[t], delay_out[t], delay_const,
                       w_out[t], widx_out[t], table, order[t]) for t in range(n_blocks)]
    if compact and w_in is not None and not dynamic:
        del w_out
        for t in range(len(out)):            # each block's floats go as soon as coded
            out[t] = _weights24(lib, out[t])
    if CODE_DELAYS and not dynamic and delay_type is np.uint8:
        out = _code_delays(lib, out, n_pre)
    return [_narrow(b) for b in out]


def _weights24(lib, b: PackedBlock) -> PackedBlock:
    """The block with its float32 weights in 3 bytes each where their bit patterns span
    fewer than 2**24 - 1 values (one sign, magnitudes within a factor of about 3.9; engine.h,
    sf_weights24: exactly the same floats), else as it was: 5 bytes per synapse instead of
    6 with coded delays (when: compact_weights)."""
    n = len(b.weight)
    code = np.empty(3 * n + 1, np.uint8)
    base = C.c_uint32(0)
    if not lib.sf_weights24(n, _ptr(b.weight), _ptr(code), C.byref(base)):
        return b
    return attrs.evolve(b, weight=None, weight24=code, weight24_base=base.value)


def _narrow(b: PackedBlock) -> PackedBlock:
    """The block with its row pointers and filler positions in 4 bytes each where it holds
    fewer than 2**32 entries (engine.h, sf_block_desc.row_ptr32): a row costs 4 bytes of
    index instead of 8 (the full-scale microcircuit has 0.74 M rows on two threads)."""
    if len(b.post16) >= 2 ** 32:
        return b
    fillers = None if b.fillers is None else b.fillers.astype(np.uint32)
    return attrs.evolve(b, row_ptr=b.row_ptr.astype(np.uint32), fillers=fillers)


def _code_delays(lib, blocks: list[PackedBlock], n_pre: int) -> list[PackedBlock]:
    """The blocks in coded delays (engine.h: the delay costs no byte of its own), where
    their fillers can carry a weight of 0: always with one float weight per synapse;
    with table weights when the table holds 0 or has room for it (shared by every block);
    with one weight for all only where no filler is needed. Empties ``blocks`` as it goes,
    so that each uncoded block is freed once coded (a lower peak while packing)."""
    counts = [lib.sf_code_delays_count(n_pre, _ptr(b.row_ptr), _ptr(b.post16), _ptr(b.delay))
              for b in blocks]
    table = first_table = blocks[0].weight_table
    zero = None
    if blocks[0].weight_index is not None and any(0 < c < 2 ** 64 - 1 for c in counts):
        hits = np.flatnonzero(table == 0.0)
        if len(hits):
            zero = np.uint16(hits[0])
        elif len(table) < 65536:
            table = np.append(table, 0.0)
            zero = np.uint16(len(table) - 1)
    out = []
    for k, fillers in enumerate(counts):
        b, blocks[k] = blocks[k], None       # (the uncoded block goes once it is coded)
        if fillers == 2 ** 64 - 1:
            out.append(b)
            continue
        if b.weight is not None:
            w, filler_w, size = b.weight, np.zeros(1, np.float32), 4
        elif b.weight24 is not None:              # code 0: a weight of 0
            w, filler_w, size = b.weight24, np.zeros(3, np.uint8), 3
        elif b.weight_index is not None:
            if fillers and zero is None:
                out.append(b)
                continue
            filler_w = np.array([0 if zero is None else zero], np.uint16)
            w, size = b.weight_index, 2
        else:
            if fillers:
                out.append(b)
                continue
            w, filler_w, size = None, None, 0
        n = len(b.post16) + fillers
        row_ptr = np.empty(n_pre + 1, np.uint64)
        post = np.empty(n, np.uint16)
        if w is None:
            w_out = None
        elif size == 3:
            w_out = np.empty(3 * n + 1, np.uint8)
            w_out[-1] = 0
        else:
            w_out = np.empty(n, w.dtype)
        row_delay = np.empty(n_pre, np.uint8)
        where = np.empty(fillers, np.uint64)
        lib.sf_code_delays(n_pre, _ptr(b.row_ptr), _ptr(b.post16), _ptr(b.delay), _ptr(w),
                           size, _ptr(filler_w), _ptr(row_ptr), _ptr(post), _ptr(w_out),
                           _ptr(row_delay), _ptr(where))
        out.append(attrs.evolve(
            b, row_ptr=row_ptr, post16=post, delay=None, row_delay=row_delay, fillers=where,
            weight=w_out if b.weight is not None else None,
            weight24=w_out if b.weight24 is not None else None,
            weight_index=w_out if b.weight_index is not None else None,
            weight_table=table if b.weight_table is not None else None))
    if table is not first_table:                 # every block shares the grown table
        out = [attrs.evolve(b, weight_table=table) if b.weight_table is not None else b
               for b in out]
    return out


#: Static projections between whole populations are packed into the engine's rows as
#: soon as Projection() has made them (prepack_projection), so that the first run() has
#: nothing left to pack. From this many connections on the rows become the only copy
#: then: a large network is never held twice (its peak memory is the rows plus one
#: projection's connections; at 2^16 rather than 2^20 the microcircuit at scale 0.05
#: builds in the same time, its first run's setup falls from 0.17 to 0.02 s and its peak
#: memory from 256 to 199 MB). The rows of smaller ones are kept beside the core's arrays
#: until the first run (ConnectionSource.prepared; PREPARED_MAX_CONNECTIONS of them at
#: most), so that get() before it still reads those in creation order (the microcircuit
#: at scale 0.05: 21 such projections, 9 ms less setup at the first run, as much more
#: build).
PREPACK_MIN_CONNECTIONS = 1 << 16
#: At most this many connections of small projections are held twice at once (rows kept
#: beside the core's arrays, above); the ones past it are packed at the first run, so that
#: a network of many small projections is not held twice either.
PREPARED_MAX_CONNECTIONS = 1 << 24
_prepared_held = [0]                # connections kept twice now


def _forget_prepared(cell: list) -> None:
    """A source's kept rows are gone (handed over, or the source freed): cell holds their
    connections, counted once."""
    _prepared_held[0] -= cell[0]
    cell[0] = 0


def _keep_prepared(source: ConnectionSource, layout, compact: bool, packed) -> None:
    """Keep a small projection's rows on its source (ConnectionSource.prepared) as
    (layout, compact, blocks, cell), counted in _prepared_held until _forget_prepared."""
    cell = [source.n]
    _prepared_held[0] += source.n
    source.prepared = (layout, compact, packed, cell)
    weakref.finalize(source, _forget_prepared, cell)


def prepack_projection(parts, context: dict) -> None:
    """BackendSpec.prepare_projection of the host backend (see PREPACK_MIN_CONNECTIONS)."""
    threads = engine_threads(context["threads"])
    lib = None
    for part in parts:
        if part.hand_over is None or part.synapse != "static" or part.source is None:
            continue
        small = len(part) < PREPACK_MIN_CONNECTIONS
        if small and _prepared_held[0] + len(part) > PREPARED_MAX_CONNECTIONS:
            continue
        if lib is None:
            lib = engine_library(compiler.cache_dir(context["options"].get("cache_dir")))
        n_pre, n_post = context["sizes"][part.pre], context["sizes"][part.post]
        sizes = context["sizes"]
        layout = block_bounds(part_bounds(tuple(sizes[k] for k in range(len(sizes))),
                                          threads)[part.post])
        # the rings of the populations made so far, for the longest delay so far: at most
        # what the engine will have (see compact_weights)
        slots = part.delay_steps_range()[1] + 1
        receptors = context.get("receptors", {})
        ring_low = 8 * slots * sum(max(receptors.get(k, 1), 1) * layout_stride(max(n, 1))
                                   for k, n in sizes.items())
        compact = compact_weights(context["options"].get("host", {}), ring_low)
        packed = pack_blocks(lib, part, n_pre, layout, threads, compact=compact)
        if small:
            _keep_prepared(part.source, layout, compact, packed)
            continue
        index = np.int32 if max(n_pre, n_post) < 2 ** 31 else np.int64
        part.hand_over(HeldRows(None, packed, n_pre, index, part.delay_steps_range(), layout))
        release_freed_memory()


class HeldRows(ConnectionSource):
    """The connections of a static projection as the engine's blocks hold them, so the core
    can free its arrays (ir.ConnectionSource). Reading them back rebuilds the core's
    columns, ordered by presynaptic, then postsynaptic index (a stable sort: connections
    between the same pair of cells always share a block, where a row keeps them by delay,
    then in creation order), which does not depend on the thread count."""

    def __init__(self, owner, blocks: list[PackedBlock], n_pre: int, index_dtype,
                 steps_range: tuple[int, int], layout=None):
        self.owner = owner             # the HostBackend, or None: packed at Projection()
        self.blocks = blocks
        self.layout = layout           # the block_bounds the blocks were packed for
        self.n_pre = n_pre
        self.index_dtype = index_dtype
        self.n = sum(b.n_synapses for b in blocks)
        self.delay_steps_range = steps_range

    def read(self) -> tuple:
        blocks = self.blocks
        plain = [b.plain() for b in blocks]
        rows = np.arange(self.n_pre, dtype=self.index_dtype)
        pre = np.concatenate([np.repeat(rows, p[0]) for p in plain])
        post = np.concatenate([p[1].astype(self.index_dtype) + b.first
                               for b, p in zip(blocks, plain)])
        order = np.lexsort((post, pre))
        pre, post = pre[order], post[order]
        b0 = blocks[0]
        if plain[0][2] is None:
            steps = np.broadcast_to(np.uint16(b0.delay_const), (self.n,))
        else:
            steps = np.concatenate([p[2] for p in plain]).astype(np.uint16)[order]
        if plain[0][3] is not None:
            values, table = np.concatenate([p[3] for p in plain])[order], None
        elif plain[0][4] is not None:
            values = np.concatenate([p[4] for p in plain])[order]
            table = b0.weight_table
        else:
            values, table = np.broadcast_to(np.uint16(0), (self.n,)), b0.weight_table
        return pre, post, values, table, steps


# --------------------------------------------------------------------------------------
# Backend
# --------------------------------------------------------------------------------------
class _Source:
    """What the backend keeps per current source between runs."""

    def __init__(self, ir_source, lib: ModelLibrary, dt: float):
        self.ir = ir_source
        self.lib = lib
        self.table, _, self.seq = pack_parameters(ir_source.model, ir_source.parameters,
                                                  lib.params_dtype)
        self.derived = np.zeros(1, dtype=lib.derived_dtype)
        ctx = Context(dt, 0.0, 0, ir_source.seed, _ptr(self.seq), 1, 0)
        lib.lib.sf_source_prepare(_ptr(self.table), _ptr(self.derived), C.byref(ctx))
        pops = [np.full(len(idx), k, np.uint32) for k, idx in ir_source.targets]
        idxs = [np.asarray(idx, np.uint32) for _, idx in ir_source.targets]
        self.target_pop = np.ascontiguousarray(np.concatenate(pops) if pops else
                                               np.zeros(0, np.uint32))
        self.target_index = np.ascontiguousarray(np.concatenate(idxs) if idxs else
                                                 np.zeros(0, np.uint32))
        self.version = ir_source.params_version


class _Pop:
    """What the backend keeps per population between runs."""

    def __init__(self, ir_pop, lib: ModelLibrary):
        self.ir = ir_pop
        self.lib = lib
        self.params_version = None
        self.table = self.index = self.seq = self.derived = None
        self.record_mask = None


def _host_option(host: dict, name: str, env_name: str):
    """An "auto"/True/False option from setup(host={...}), else from $env_name."""
    unknown = sorted(set(host) - set(HOST_OPTIONS))
    if unknown:
        raise ValueError(f"setup(host=...): unknown option(s) {', '.join(map(repr, unknown))}; "
                         f"the host backend takes {', '.join(map(repr, HOST_OPTIONS))}")
    if name in host:
        value = host[name]
        if not any(value is v or (isinstance(v, str) and value == v)
                   for v in HOST_OPTIONS[name]):
            raise ValueError(f"setup(host={{{name!r}: ...}}) must be 'auto', True or "
                             f"False, got {value!r}")
        return value
    env = os.environ.get(env_name, "auto").strip().lower()
    table = {"auto": "auto", "": "auto", "1": True, "on": True, "true": True,
             "0": False, "off": False, "false": False}
    if env not in table:
        raise ValueError(f"{env_name} must be auto, 1 or 0, got {env!r}")
    return table[env]


def _event_bins_option(host: dict):
    """The event_bins setting from setup(host={...}) or $SPINNFRAME_EVENT_BINS."""
    return _host_option(host, "event_bins", "SPINNFRAME_EVENT_BINS")


def _parallel_option(host: dict):
    """The parallel setting from setup(host={...}) or $SPINNFRAME_PARALLEL."""
    return _host_option(host, "parallel", "SPINNFRAME_PARALLEL")


def _compact_weights_option(host: dict):
    """The compact_weights setting from setup(host={...}) or $SPINNFRAME_COMPACT_WEIGHTS."""
    return _host_option(host, "compact_weights", "SPINNFRAME_COMPACT_WEIGHTS")


def bins_wanted(host: dict, ring_bytes: int) -> bool:
    """Whether the engine uses event bins with rings of ``ring_bytes``: setup(host={
    "event_bins": ...}), else $SPINNFRAME_EVENT_BINS, else "auto" (on when the rings
    outgrow EVENT_BINS_CACHE_FRACTION of the last-level cache)."""
    mode = _event_bins_option(host)
    if mode == "auto":
        return ring_bytes > EVENT_BINS_CACHE_FRACTION * last_level_cache_bytes()
    return bool(mode)


def compact_weights(host: dict, ring_bytes: int) -> bool:
    """Whether float32 weights are packed in 3 bytes (_weights24): setup(host={
    "compact_weights": ...}), else $SPINNFRAME_COMPACT_WEIGHTS, else "auto": where the
    engine uses event bins (bins_wanted), that is in a network whose ring buffers outgrow
    the cache. There delivering a spike appends to bins, and decoding the weights costs
    0-5 % of the delivery time (the full-scale microcircuit: no difference measurable
    through this machine's noise), where the rings fit in the cache about 10 %
    (docs/benchmarks.md); and a network that large is the one that may run short of
    memory."""
    mode = _compact_weights_option(host)
    if mode == "auto":
        return bins_wanted(host, ring_bytes)
    return bool(mode)


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity where the OS tells, else the count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


_LLC_BYTES = None


def last_level_cache_bytes() -> int:
    """Size of the largest CPU cache (Linux sysfs; 32 MiB where it cannot be read)."""
    global _LLC_BYTES
    if _LLC_BYTES is None:
        sizes = []
        base = Path("/sys/devices/system/cpu/cpu0/cache")
        try:
            for idx in base.glob("index*"):
                text = (idx / "size").read_text().strip().upper()
                mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
                sizes.append(int(text.rstrip("KMG")) * mult)
        except (OSError, ValueError):
            sizes = []
        _LLC_BYTES = max(sizes) if sizes else 32 << 20
    return _LLC_BYTES


class HostBackend:
    """The native engine, compiled with the system C compiler on first use."""

    name = "host"

    def __init__(self, state):
        self.options = dict(state.options)
        _event_bins_option(self.options.get("host", {}))           # (checked now)
        self.parallel = _parallel_option(self.options.get("host", {}))
        _compact_weights_option(self.options.get("host", {}))      # (checked now)
        # run-time balance of the parts (engine.h, sf_engine_set_balance): "auto" = True
        self.balance = _host_option(self.options.get("host", {}), "balance",
                                    "SPINNFRAME_BALANCE")
        self.compact_weights = False       # decided at each build (compact_weights)
        if state.threads > 1 and not compiler.openmp_flags():
            warnings.warn(f"setup(threads={state.threads}): the C compiler has no OpenMP "
                          f"support, so the engine runs on one thread", stacklevel=3)
        else:
            if state.threads > MAX_THREADS:
                warnings.warn(f"setup(threads={state.threads}): the host engine runs at most "
                              f"{MAX_THREADS} threads, so it runs {MAX_THREADS} (the results "
                              f"are the same for any thread count)", stacklevel=3)
            if min(state.threads, MAX_THREADS) > usable_cpus():
                warnings.warn(f"setup(threads={state.threads}) on a machine that gives this "
                              f"process {usable_cpus()} CPU(s): the threads' parts will mostly "
                              f"run one after another (see setup(host={{'parallel': ...}}))",
                              stacklevel=3)
        self.cache = compiler.cache_dir(self.options.get("cache_dir"))
        self.lib = engine_library(self.cache)
        self.engine = None
        self.structure_version = None
        self.pops: list[_Pop] = []
        self.keep: list = []
        self.dt = state.dt
        self.projection_versions = None
        self.params_changed: set[int] = set()
        self.sources: list[_Source] = []
        self.plastic: dict[int, list] = {}   # block -> [(order, weights, sign)] per thread
        self.times = {"setup": 0.0, "loop": 0.0, "run": 0.0}

    # -- building ------------------------------------------------------------------------
    def _build(self, net) -> None:
        libs = [model_library(p.model, self.cache, self.options.get("numerics"))
                for p in net.populations]
        if self.engine is not None:
            self.lib.sf_engine_free(self.engine)
            self.engine = None
        n_slots = self._slots_needed(net)
        threads = engine_threads(net.threads)
        # the threads' parts of each population, and the engine blocks of each projection:
        # its first block number and (thread, first, end)
        self.parts = part_bounds(tuple(p.size for p in net.populations), threads)
        self.deliverers = delivery_threads(
            self.parts, [(prj.post, len(prj)) for prj in net.projections], threads)
        self.blocks = []
        first = 0
        for prj in net.projections:
            layout = block_bounds(self.parts[prj.post])
            self.blocks.append((first, layout))
            first += len(layout)
        eng = self.lib.sf_engine_new(net.dt, n_slots, len(net.populations), first, threads)
        if not eng:
            raise EngineError("could not create the engine (out of memory?)")
        self.engine = eng
        self.threads = self.lib.sf_engine_threads(eng)
        self._check(self.lib.sf_engine_set_thread_mode(eng, THREAD_MODES[self.parallel]),
                    "thread mode")
        self._check(self.lib.sf_engine_set_balance(eng, int(self.balance is not False)),
                    "balance")
        self.keep = []
        self.pops = []
        for p_ir, lib in zip(net.populations, libs):
            self.pops.append(_Pop(p_ir, lib))
            self._upload_params(len(self.pops) - 1, p_ir, first=True)
        self.compact_weights = compact_weights(self.options.get("host", {}), self.ring_bytes())
        self.plastic = {}
        self._set_blocks(list(enumerate(net.projections)), net)
        self._set_archives(net)
        self.structure_version = net.structure_version
        self.projection_versions = [p.version for p in net.projections]
        self._set_event_bins()
        self.lib.sf_engine_set_step(self.engine, 0)

    def ring_bytes(self) -> int:
        """Bytes of the engine's ring buffers (pop_ring_bytes summed)."""
        return sum(self.pop_ring_bytes(p.ir) for p in self.pops)

    def pop_ring_bytes(self, p_ir) -> int:
        """Bytes of population p_ir's ring buffer: slots x receptors x neurons x 8, the
        neurons of a large population rounded up (layout.stride)."""
        return (self.lib.sf_engine_slots(self.engine) * 8 * max(len(p_ir.model.receptors), 1)
                * layout_stride(max(p_ir.size, 1)))

    def _set_event_bins(self) -> None:
        """Event bins on or off: setup(host={"event_bins": ...}), else
        $SPINNFRAME_EVENT_BINS, else "auto" (on when the rings outgrow the cache)."""
        want = bins_wanted(self.options.get("host", {}), self.ring_bytes())
        if want != bool(self.lib.sf_engine_event_bins(self.engine)):
            self._check(self.lib.sf_engine_set_event_bins(self.engine, int(want),
                                                          EVENT_BIN_CAPACITY),
                        "event bins")

    @staticmethod
    def _slots_needed(net) -> int:
        """Ring-buffer slots for the longest delay in the network (in steps) + 1."""
        max_steps = 1
        for prj in net.projections:
            if len(prj):
                max_steps = max(max_steps, prj.delay_steps_range()[1])
        if max_steps > MAX_DELAY_STEPS:
            raise EngineError(f"delays longer than {MAX_DELAY_STEPS} time steps are not "
                              f"supported (got {max_steps} steps)")
        return max_steps + 1

    def _packed(self, b, prj) -> list[PackedBlock] | None:
        """The blocks of projection b if they are packed already in the layout wanted now
        (at Projection(), or at the last build), else None."""
        held = prj.source
        if isinstance(held, HeldRows) and held.layout == self.blocks[b][1] and \
                held.owner in (None, self):
            return held.blocks
        prepared = getattr(held, "prepared", None)   # (layout, compact, blocks, cell)
        if prepared is not None and prepared[0] == self.blocks[b][1] and \
                prepared[1] == self.compact_weights:
            return prepared[2]
        return None

    def _pack(self, b, prj, net, threads: int) -> list[PackedBlock]:
        packed = self._packed(b, prj)
        if packed is not None:
            return packed
        n_pre = net.populations[prj.pre].size
        return pack_blocks(self.lib, prj, n_pre, self.blocks[b][1], threads,
                           dynamic=prj.synapse != "static", compact=self.compact_weights)

    def _set_blocks(self, items, net) -> None:
        """_set_block for each (b, ProjectionIR): with several threads, the rows of a few
        projections are packed at once in worker threads (the C packing runs without the
        GIL), and handed to the engine in order; at most threads + 1 packed ahead, so
        memory stays bounded. The memory freed by the hand-overs goes back to the system
        after each large projection and once at the end."""
        try:
            self._set_blocks_in_order(items, net)
        finally:
            release_freed_memory()

    def _set_blocks_in_order(self, items, net) -> None:
        pending = sum(len(prj) for b, prj in items if self._packed(b, prj) is None)
        if self.threads <= 1 or len(items) <= 1 or pending < POOL_MIN_CONNECTIONS:
            for b, prj in items:
                self._set_block(b, prj, net, self._pack(b, prj, net, self.threads))
            return
        window = self.threads + 1
        with ThreadPoolExecutor(max_workers=self.threads) as pool:
            ahead = [pool.submit(self._pack, b, prj, net, 1) for b, prj in items[:window]]
            for k, (b, prj) in enumerate(items):
                packed = ahead[k].result()
                ahead[k] = None
                if k + window < len(items):
                    nb, nprj = items[k + window]
                    ahead.append(pool.submit(self._pack, nb, nprj, net, 1))
                self._set_block(b, prj, net, packed)

    def _set_block(self, b, prj, net, packed: list[PackedBlock]):
        """The engine blocks of projection b: its synapses onto each thread's range of the
        post population (pieces of at most BLOCK_SPAN targets), from ``packed``."""
        n_pre = net.populations[prj.pre].size
        kind = SYN_KIND[prj.synapse]
        dyn = self._dyn_params(b, prj, net) if kind else None
        self.plastic[b] = []
        first, layout = self.blocks[b]
        if prj.hand_over is not None:          # the engine's rows become the only copy
            if getattr(prj.source, "prepared", None) is not None:
                _forget_prepared(prj.source.prepared[3])
                prj.source.prepared = None
            n_post = net.populations[prj.post].size
            index = np.int32 if max(n_pre, n_post) < 2 ** 31 else np.int64
            prj.hand_over(HeldRows(self, packed, n_pre, index, prj.delay_steps_range(),
                                   layout))
            if len(prj) >= TRIM_CONNECTIONS:
                release_freed_memory()
        elif isinstance(prj.source, HeldRows) and prj.source.owner in (None, self):
            prj.source.owner = self
            prj.source.blocks = packed         # the same connections, maybe laid out anew
            prj.source.layout = layout
        deliverer = self.deliverers[prj.post]
        for k, ((t, _, _), pb) in enumerate(zip(layout, packed)):
            self.keep.append(pb)
            if deliverer is not None:
                t = deliverer
            d8 = pb.delay if pb.delay is not None and pb.delay.dtype == np.uint8 else None
            d16 = pb.delay if pb.delay is not None and pb.delay.dtype == np.uint16 else None
            wide = pb.row_ptr.dtype == np.uint64
            desc = BlockDesc(prj.pre, prj.post, prj.receptor_index, t,
                             _ptr(pb.row_ptr) if wide else None,
                             _ptr(pb.post16), pb.first, pb.delay_const, _ptr(d8), _ptr(d16),
                             _ptr(pb.weight), _ptr(pb.weight_index), _ptr(pb.weight_table))
            if not wide:
                desc.row_ptr32 = _ptr(pb.row_ptr)
            if pb.weight24 is not None:
                desc.weight24, desc.weight24_base = _ptr(pb.weight24), pb.weight24_base
            if pb.row_delay is not None:
                desc.row_delay = _ptr(pb.row_delay)
            if kind:
                arrays = self._dyn_arrays(prj, net, pb.order, dyn)
                self.keep.append(arrays)
                desc.kind = kind
                desc.dyn = C.addressof(dyn)
                for name in ("w", "s0", "s1", "s2", "s3", "tau_psc", "syn_id", "q0", "q1", "q2"):
                    setattr(desc, name, _ptr(arrays.get(name)))
                if prj.synapse in ("stdp", "vogels"):
                    self.plastic[b].append((pb.order, arrays["w"], dyn.sign))
            self._check(self.lib.sf_engine_set_block(self.engine, first + k, C.byref(desc)),
                        f"projection {prj.label!r}")

    def _dyn_params(self, b, prj, net) -> DynParams:
        """The block parameters of a projection's synapse dynamics (engine.h)."""
        v = prj.dynamics
        q = DynParams()
        q.sign = -1.0 if (prj.weight < 0).any() else 1.0
        if prj.synapse == "tsodyks":
            q.a, q.b, q.c = v["U"], v["tau_rec"], v["tau_facil"]
        elif prj.synapse == "stdp":
            q.a, q.b, q.c, q.f = v["tau_plus"], v["A_plus"], v["A_minus"], v["w_max"]
            q.d, q.e = v.get("mu_plus", 0.0), v.get("mu_minus", 0.0)
        elif prj.synapse == "vogels":
            q.a, q.b, q.c, q.f = v["tau"], v["eta"], 2.0 * v["rho"] * v["tau"] / 1000.0, \
                v["w_max"]
        elif prj.synapse == "stochastic":
            q.a = v["p"]
            q.seed = (net.seed * 0x9E3779B97F4A7C15 + 7919 * b + net.segment) % (1 << 64)
        self.keep.append(q)
        return q

    @staticmethod
    def _dyn_arrays(prj, net, order, dyn) -> dict:
        """Per-synapse state of a dynamic block, in the block's synapse order."""
        n = len(order)
        w = np.ascontiguousarray(prj.weight[order] * dyn.sign, dtype=np.float64)
        out = {"w": w}
        if prj.synapse == "tsodyks":
            u0 = prj.initial.get("u", np.zeros(len(prj.weight)))
            out["s0"] = np.ascontiguousarray(u0[order], dtype=np.float64)
            out["s1"] = np.ones(n)                      # x: all resources recovered
            out["s2"] = np.zeros(n)                     # y
            out["s3"] = np.zeros(n)                     # t_last (NEST starts at 0)
            post = net.populations[prj.post]
            name = {"excitatory": "tau_syn_E", "inhibitory": "tau_syn_I"}[prj.receptor]
            out["tau_psc"] = np.ascontiguousarray(
                np.asarray(post.parameters[name], dtype=float)[prj.columns()[1][order]])
        elif prj.synapse in ("stdp", "vogels"):
            out["s0"] = np.zeros(n)                     # Kplus
            out["s1"] = np.zeros(n)                     # t_last
        elif prj.synapse == "stochastic":
            ids = order if prj.connection_index is None else prj.connection_index[order]
            out["syn_id"] = np.ascontiguousarray(ids, dtype=np.uint64)
        # parameters that differ between synapses go per synapse (engine.h: q0 q1 q2)
        slots = {"tsodyks": ("U", "tau_rec", "tau_facil"), "stochastic": ("p",)}
        for q, name in zip(("q0", "q1", "q2"), slots.get(prj.synapse, ())):
            values = prj.dynamics_per_connection.get(name)
            if values is not None:
                out[q] = np.ascontiguousarray(values[order], dtype=np.float64)
        return out

    def _set_archives(self, net) -> None:
        """Spike archives of the populations that plastic synapses target (tau_minus and
        the number of incoming plastic synapses per neuron)."""
        taus, counts = {}, {}
        for prj in net.projections:
            if prj.synapse not in ("stdp", "vogels"):
                continue
            tau = prj.dynamics["tau_minus"] if prj.synapse == "stdp" else prj.dynamics["tau"]
            if taus.setdefault(prj.post, tau) != tau:
                raise EngineError(
                    f"population {net.populations[prj.post].label!r} receives plastic synapses "
                    f"with different postsynaptic time constants ({taus[prj.post]:g} and "
                    f"{tau:g} ms); NEST and spinnframe keep one per neuron")
            counts.setdefault(prj.post, np.zeros(net.populations[prj.post].size, np.uint32))
            counts[prj.post] += np.bincount(prj.columns()[1], minlength=len(counts[prj.post])
                                            ).astype(np.uint32)
        for k, tau in taus.items():
            self.keep.append(counts[k])
            self._check(self.lib.sf_engine_set_archive(self.engine, k, tau, _ptr(counts[k])),
                        f"population {net.populations[k].label!r}")

    def _return_weights(self, sink) -> None:
        """Plastic weights back to the core, in each ProjectionIR's connection order."""
        for b, parts in self.plastic.items():
            if not parts:
                continue
            n = sum(len(order) for order, _, _ in parts)
            out = np.empty(n)
            for order, w, sign in parts:
                out[order] = w * sign
            sink.weights(b, out)

    def _upload_params(self, k: int, p_ir, first: bool = False) -> None:
        pop = self.pops[k]
        pop.ir = p_ir
        lib = pop.lib
        table, index, seq = pack_parameters(p_ir.model, p_ir.parameters, lib.params_dtype)
        derived = np.zeros(len(table), dtype=lib.derived_dtype)
        ctx = Context(self.dt, 0.0, 0, p_ir.seed, _ptr(seq), 1, 0)
        lib.lib.sf_model_prepare(_ptr(table), _ptr(derived), len(table), C.byref(ctx))
        pop.table, pop.index, pop.seq, pop.derived = table, index, seq, derived
        pop.params_version = p_ir.params_version
        if first:
            desc = PopDesc(lib.update_ptr, p_ir.size, len(p_ir.model.receptors),
                           lib.state_dtype.itemsize, int(p_ir.model.state_layout == "arrays"),
                           _ptr(p_ir.state), _ptr(table),
                           _ptr(derived), _ptr(index), _ptr(seq), None, None, p_ir.seed)
            parts = np.ascontiguousarray(self.parts[k], dtype=np.uint32)
            self.keep.append(parts)
            desc.parts = _ptr(parts)
            # (offset, size) of each state field: the engine runs a population split between
            # threads on a copy of its state with gaps between the parts (engine.h,
            # SF_PART_GAP)
            fields = np.array([(off, size) for _, off, size in field_table(lib.state_dtype)],
                              dtype=np.uint32).reshape(-1)
            self.keep.append(fields)
            desc.state_fields, desc.n_state_fields = _ptr(fields), len(fields) // 2
            try:
                self._check(self.lib.sf_engine_set_population(self.engine, k, C.byref(desc)),
                            f"population {p_ir.label!r}")
            except MemoryError as err:
                # most often the ring buffer, which the longest delay sizes
                slots = self.lib.sf_engine_slots(self.engine)
                ring = self.pop_ring_bytes(p_ir)
                size = (f"{ring / 2**30:.1f} GiB" if ring >= 2**30 else
                        f"{ring / 2**20:.1f} MiB")
                raise MemoryError(
                    f"{err}: its ring buffer alone needs {size} ({slots} delay "
                    f"slots, from the network's longest delay of {slots - 1} time steps, x "
                    f"{len(p_ir.model.receptors)} receptor(s) x {p_ir.size} neurons x 8 "
                    f"bytes); shorter delays or a coarser time step need less") from None
        else:
            self._check(self.lib.sf_engine_set_params(self.engine, k, _ptr(table), _ptr(derived),
                                                      _ptr(index), _ptr(seq)),
                        f"population {p_ir.label!r}")
        self.params_changed.add(k)

    @staticmethod
    def _check(rc: int, what: str) -> None:
        if rc == -1:
            raise MemoryError(f"the engine ran out of memory while setting up {what}")
        if rc != 0:
            raise EngineError(f"the engine rejected {what} (error {rc})")

    def _sync(self, net) -> None:
        if self.engine is None or net.structure_version != self.structure_version:
            step = self.lib.sf_engine_step(self.engine) if self.engine else None
            self._build(net)
            if step is not None:
                self.lib.sf_engine_set_step(self.engine, step)
            return
        for k, p_ir in enumerate(net.populations):
            pop = self.pops[k]
            if p_ir.params_version != pop.params_version:
                self._upload_params(k, p_ir)
            pop.ir = p_ir
            self.lib.sf_engine_set_seed(self.engine, k, p_ir.seed)
        versions = [p.version for p in net.projections]
        if versions != self.projection_versions:
            slots = self.lib.sf_engine_slots(self.engine)
            self._check(self.lib.sf_engine_resize_slots(self.engine, self._slots_needed(net)),
                        "longer delays")
            if self.lib.sf_engine_slots(self.engine) != slots:
                self._set_event_bins()
            self._set_blocks([(b, prj) for b, prj in enumerate(net.projections)
                              if versions[b] != self.projection_versions[b]], net)
            self.projection_versions = versions

    def _sync_sources(self, net, start_step: int) -> None:
        """Bring the current sources up to date and position them at the run's start."""
        old = {id(s.ir.state): s for s in self.sources}
        sources = []
        for src_ir in net.current_sources:
            kept = old.get(id(src_ir.state))
            if (kept is None or kept.version != src_ir.params_version
                    or [len(i) for _, i in kept.ir.targets] != [len(i) for _, i in src_ir.targets]):
                kept = _Source(src_ir, model_library(src_ir.model, self.cache), net.dt)
            kept.ir = src_ir
            ctx = Context(net.dt, start_step * net.dt, start_step, src_ir.seed, _ptr(kept.seq),
                          1, 0)
            kept.lib.lib.sf_source_start(_ptr(kept.table), _ptr(kept.derived),
                                         _ptr(src_ir.state), C.byref(ctx))
            sources.append(kept)
        self.sources = sources

    def _source_descs(self, steps: int):
        descs, bufs = [], []
        for src in self.sources:
            out = np.zeros(steps + 1) if src.ir.record else None
            descs.append(SourceDesc(src.lib.current_ptr, _ptr(src.table), _ptr(src.derived),
                                    _ptr(src.ir.state), _ptr(src.seq), src.ir.seed,
                                    len(src.target_pop), 0, _ptr(src.target_pop),
                                    _ptr(src.target_index), _ptr(out),
                                    0 if out is None else len(out), 0, 0))
            bufs.append(out)
        return descs, bufs

    # -- running ---------------------------------------------------------------------------
    def run(self, net, start_step: int, n_steps: int, sink) -> None:
        t_start = time.perf_counter()
        self._sync(net)
        self.times["setup"] += time.perf_counter() - t_start
        eng, lib = self.engine, self.lib
        lib.sf_engine_set_step(eng, start_step)
        self._sync_sources(net, start_step)
        for k, pop in enumerate(self.pops):
            mask = pop.ir.record_spikes
            pop.record_mask = None if mask is None else np.ascontiguousarray(mask, np.uint8)
            lib.sf_engine_set_record_spikes(eng, k, _ptr(pop.record_mask))
            view = PopulationView(pop.ir.size, len(pop.ir.model.receptors),
                                  layout_stride(pop.ir.size), 0, _ptr(pop.ir.state),
                                  _ptr(pop.table), _ptr(pop.derived), _ptr(pop.index), None,
                                  None)
            ctx = Context(net.dt, start_step * net.dt, start_step, pop.ir.seed, _ptr(pop.seq),
                          int(k in self.params_changed), 0)
            pop.lib.lib.sf_model_start(C.byref(view), C.byref(ctx))
        self.params_changed.clear()
        requests = [(k, req) for k, pop in enumerate(self.pops) for req in pop.ir.samples
                    if len(req.indices)]
        per_step = sum(8 * len(req.indices) / req.interval for _, req in requests)
        chunk = MAX_CHUNK_STEPS
        if per_step > 0:
            chunk = max(1, min(chunk, int(SAMPLE_BUDGET / per_step)))
        done = 0
        while done < n_steps:
            steps = min(chunk, n_steps - done)
            first = start_step + done
            descs, bufs = self._sample_buffers(requests, first, steps)
            arr = (SampleDesc * max(len(descs), 1))(*descs)
            lib.sf_engine_set_samples(eng, arr if descs else None, len(descs))
            src_descs, src_bufs = self._source_descs(steps)
            src_arr = (SourceDesc * max(len(src_descs), 1))(*src_descs)
            self._check(lib.sf_engine_set_sources(eng, src_arr if src_descs else None,
                                                  len(src_descs)), "the current sources")
            t_loop = time.perf_counter()
            rc = lib.sf_engine_run(eng, steps)
            self.times["loop"] += time.perf_counter() - t_loop
            lib.sf_engine_set_samples(eng, None, 0)
            lib.sf_engine_set_sources(eng, None, 0)
            if rc != 0:
                self._check(rc, "the run")
            done += steps
            self._drain(sink, requests, arr, bufs, first)
            if done == n_steps:
                self._return_weights(sink)
            for j, out in enumerate(src_bufs):
                if out is not None and src_arr[j].record_count:
                    sink.current(j, int(src_arr[j].record_first_step),
                                 out[:src_arr[j].record_count])
            sink.progress(done, n_steps)
        self.times["run"] += time.perf_counter() - t_start
        if os.environ.get("SPINNFRAME_PROFILE", "") not in ("", "0"):
            print(self.profile_report(), file=sys.stderr)

    def profile(self) -> dict:
        """Where the time of the runs so far went (seconds): ``setup`` (building or
        updating the engine: compiling, packing synapses), ``loop`` (the C time loop),
        ``run`` (all of run()), and per engine thread the loop's phases ``update``,
        ``bookkeeping`` (spike log and current sources on thread 0; sampling there or,
        with one barrier a step, by each thread for its part), ``deliver`` and ``wait``
        (barriers); with several threads, ``parallel_steps`` and ``serial_steps``: the
        steps run with the threads' parts in parallel and one after another on one thread
        (``setup(host={"parallel": ...})``; a part's phases count under its thread either
        way), ``barriers_per_step`` in parallel: 1 when every part's inputs are
        delivered by its own thread, else 2 (engine.h, sf_engine_barriers), ``moves``:
        populations the engine moved between the parts to balance them (engine.h,
        sf_engine_set_balance), and ``watch_stops``: parallel stretches the adaptive mode
        stopped as another program held a core (engine.h, sf_engine_set_thread_mode).
        Also the
        engine's synaptic rows: ``synapses``, ``synapse_bytes`` (synapse_memory), whether
        ``event_bins`` are on and ``compact_weights`` was chosen at the last build."""
        out = dict(self.times)
        if self.engine is not None:
            out["synapse_bytes"], out["synapses"] = self.synapse_memory()
            out["event_bins"] = bool(self.lib.sf_engine_event_bins(self.engine))
            out["compact_weights"] = self.compact_weights
            raw = (C.c_double * (MAX_THREADS * len(PHASES)))()
            self.lib.sf_engine_phase_times(self.engine, raw)
            out["threads"] = [dict(zip(PHASES, raw[t * len(PHASES):(t + 1) * len(PHASES)]))
                              for t in range(self.threads)]
            if self.threads > 1:
                ways = (C.c_uint64 * 2)()
                self.lib.sf_engine_thread_mode_steps(self.engine, ways)
                out["parallel_steps"], out["serial_steps"] = int(ways[0]), int(ways[1])
                out["barriers_per_step"] = int(self.lib.sf_engine_barriers(self.engine))
                out["moves"] = int(self.lib.sf_engine_moves(self.engine))
                out["watch_stops"] = int(self.lib.sf_engine_watch_stops(self.engine))
        return out

    def profile_report(self) -> str:
        """profile() as a few lines of text (SPINNFRAME_PROFILE=1 prints it after runs)."""
        p = self.profile()
        lines = [f"spinnframe host engine: run {p['run']:.3f} s = setup {p['setup']:.3f} s "
                 f"+ loop {p['loop']:.3f} s + rest {p['run'] - p['setup'] - p['loop']:.3f} s"]
        for t, ph in enumerate(p.get("threads", [])):
            lines.append(f"  thread {t}: " + ", ".join(f"{k} {v:.3f} s" for k, v in ph.items()))
        if p.get("synapses"):
            lines.append(f"  synapses {p['synapses']} in {p['synapse_bytes'] / 2 ** 20:.1f} MiB "
                         f"({p['synapse_bytes'] / p['synapses']:.2f} bytes each; event bins "
                         f"{'on' if p['event_bins'] else 'off'}, compact weights "
                         f"{'on' if p['compact_weights'] else 'off'})")
        if "parallel_steps" in p:
            lines.append(f"  steps with the threads in parallel {p['parallel_steps']} "
                         f"({p['barriers_per_step']} barrier(s) a step), "
                         f"one after another {p['serial_steps']}; populations moved "
                         f"between the threads {p['moves']}; parallel stretches stopped "
                         f"as the cores were busy {p['watch_stops']}")
        return "\n".join(lines)

    def _sample_buffers(self, requests, first: int, steps: int):
        descs, bufs = [], []
        for k, req in requests:
            pop = self.pops[k]
            # samples at steps s in (first, first + steps] with (s - origin) % interval == 0
            lo, hi = first + 1, first + steps
            off = (req.origin - lo) % req.interval
            n = 0 if lo + off > hi else (hi - (lo + off)) // req.interval + 1
            index = np.ascontiguousarray(req.indices, dtype=np.uint32)
            out = np.empty((n, len(index)), dtype=np.float64)
            offset = pop.lib.state_dtype.fields[req.variable][1]
            descs.append(SampleDesc(k, offset, len(index), req.interval, req.origin,
                                    _ptr(index), _ptr(out), n, 0))
            bufs.append((index, out, lo + off))
        return descs, bufs

    def _drain(self, sink, requests, arr, bufs, first):
        eng, lib = self.engine, self.lib
        for k, pop in enumerate(self.pops):
            n = lib.sf_engine_spike_count(eng, k)
            if n:
                steps = np.empty(n, np.uint64)
                index = np.empty(n, np.uint32)
                lib.sf_engine_take_spikes(eng, k, _ptr(steps), _ptr(index))
                sink.spikes(k, steps.astype(np.int64), index.astype(np.int64))
        for j, (k, req) in enumerate(requests):
            index, out, first_sample = bufs[j]
            count = arr[j].count
            if count:
                sink.samples(k, req.variable, first_sample, req.interval, req.indices,
                             out[:count])

    def synapse_memory(self) -> tuple[int, int]:
        """(bytes, synapses) of the engine's synaptic rows (row pointers included; the
        per-synapse state of dynamic synapses not), for memory reports."""
        blocks = [x for x in self.keep if isinstance(x, PackedBlock)]
        return (sum(b.nbytes() for b in blocks), sum(b.n_synapses for b in blocks))

    def reset(self) -> None:
        if self.engine is not None:
            self.lib.sf_engine_clear_ring(self.engine)
            self.lib.sf_engine_set_step(self.engine, 0)
            self.params_changed.update(range(len(self.pops)))

    def end(self) -> None:
        if self.engine is not None:
            self.lib.sf_engine_free(self.engine)
            self.engine = None
        self.keep = []
        self.pops = []
