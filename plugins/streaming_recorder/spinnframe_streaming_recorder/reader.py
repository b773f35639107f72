"""Reading a streaming recording back: as neo Blocks shaped like get_data()'s, or record by
record (in bounded memory)."""
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Iterator, NamedTuple

import neo
import numpy as np
import quantities as pq
from neo.core.spiketrainlist import SpikeTrainList

from .fileformat import END, FORMAT, HEADER, MAGIC, META, SAMPLES, SPIKES


class Record(NamedTuple):
    """One record of a segment file: ``kind`` is "spikes", "samples" or "end"."""

    kind: str
    population: int
    variable: str
    first_step: int
    interval: int
    steps: np.ndarray | None      # spikes: the step of each spike (time = step * dt)
    indices: np.ndarray | None    # spikes: the neuron of each; samples: the sampled neurons
    values: np.ndarray | None     # samples: rows x len(indices)


def read_meta(directory) -> dict:
    path = Path(directory) / META
    if not path.is_file():
        raise FileNotFoundError(f"{directory} holds no streaming recording ({META} is "
                                f"missing)")
    meta = json.loads(path.read_text())
    if meta.get("format") != FORMAT:
        raise ValueError(f"{path} is not a {FORMAT}")
    return meta


def iter_records(directory, segment: int = 0) -> Iterator[Record]:
    """The records of one segment in the order they were written (one chunk in memory at
    a time). A file cut short ends at its last whole record."""
    meta = read_meta(directory)
    entry = _segment_entry(meta, segment)
    with open(Path(directory) / entry["file"], "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{entry['file']} is not a streaming recorder file")
        while True:
            head = f.read(HEADER.size)
            if len(head) < HEADER.size:
                return
            kind, name_len, pop, first, interval, count, rows = HEADER.unpack(head)
            name = f.read(name_len).decode()
            if kind == SPIKES:
                data = f.read(16 * count)
                if len(data) < 16 * count:
                    return
                arr = np.frombuffer(data, dtype="<i8")
                yield Record("spikes", pop, "spikes", first, interval, arr[:count],
                             arr[count:], None)
            elif kind == SAMPLES:
                data = f.read(8 * count * (1 + rows))
                if len(data) < 8 * count * (1 + rows):
                    return
                idx = np.frombuffer(data, dtype="<i8", count=count)
                values = np.frombuffer(data, dtype="<f8", offset=8 * count).reshape(rows, count)
                yield Record("samples", pop, name, first, interval, None, idx, values)
            elif kind == END:
                yield Record("end", pop, "", first, 0, None, None, None)
            else:
                raise ValueError(f"{entry['file']}: unknown record kind {kind!r}")


def _segment_entry(meta, number):
    for seg in meta["segments"]:
        if seg["number"] == number:
            return seg
    raise KeyError(f"the recording has no segment {number}; it has "
                   f"{[s['number'] for s in meta['segments']]}")


def _decode(indices, size) -> np.ndarray:
    if indices == "all":
        return np.arange(size, dtype=np.int64)
    if isinstance(indices, dict):
        return np.arange(indices["start"], indices["stop"], dtype=np.int64)
    return np.asarray(indices, dtype=np.int64)


def _population_index(meta, population) -> int:
    pops = meta["populations"]
    if isinstance(population, (int, np.integer)):
        if str(int(population)) in pops:
            return int(population)
    else:
        found = [int(k) for k, p in pops.items() if p["label"] == population]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ValueError(f"several populations are labelled {population!r}; give its "
                             f"index ({found})")
    raise KeyError(f"the recording has no population {population!r}; it has "
                   f"{[p['label'] for p in pops.values()]}")


def read_block(directory, population) -> neo.Block:
    """The data of one population (its label or index) as a neo Block with the structure
    get_data() gives: one Segment per reset, SpikeTrains for the recorded neurons with
    ``source_population``, ``source_index`` and ``channel_id`` annotations, an
    AnalogSignal per sampled variable with units, ``channel_ids`` and the
    ``channel_index`` array annotation, and the Block annotations of PyNN's metadata."""
    meta = read_meta(directory)
    k = _population_index(meta, population)
    info = meta["populations"][str(k)]
    dt = float(meta["dt"])
    segments = [_read_segment(directory, meta, seg, k, info, dt)
                for seg in meta["segments"]]
    if not segments:
        segments = [neo.Segment(name="segment000", description=info["description"],
                                rec_datetime=datetime.now())]
    block = neo.Block(name=info["label"], description=info["description"],
                      rec_datetime=segments[0].rec_datetime)
    for seg in segments:
        block.segments.append(seg)
        seg.block = block
    size, first_id = info["size"], info["first_id"]
    block.annotate(size=size, first_index=0, last_index=size, first_id=first_id,
                   last_id=first_id + size - 1, label=info["label"],
                   simulator=meta.get("simulator", "spinnframe"))
    block.annotate(**info.get("annotations", {}))
    block.annotate(dt=dt, mpi_processes=1)
    return block


def read(directory) -> dict[str, neo.Block]:
    """Every population that recorded something, as {label: neo.Block}."""
    meta = read_meta(directory)
    recording = sorted({int(k) for seg in meta["segments"] for k in seg["populations"]})
    return {meta["populations"][str(k)]["label"]: read_block(directory, k) for k in recording}


def _read_segment(directory, meta, seg, k, info, dt) -> neo.Segment:
    segment = neo.Segment(name="segment%03d" % seg["number"], description=info["description"],
                          rec_datetime=datetime.fromisoformat(seg["rec_datetime"]),
                          **seg.get("annotations", {}))
    rec = seg["populations"].get(str(k))
    spike_steps, spike_index = [], []
    chunks = defaultdict(list)
    last_step = int(round(seg["t_stop"] / dt))
    for r in iter_records(directory, seg["number"]):
        if r.kind == "end":
            last_step = max(last_step, r.first_step)
            continue
        if r.population != k:
            continue
        if r.kind == "spikes":
            spike_steps.append(r.steps)
            spike_index.append(r.indices)
            if len(r.steps):
                last_step = max(last_step, int(r.steps[-1]))
        else:
            chunks[r.variable].append(r)
            last_step = max(last_step, r.first_step + (len(r.values) - 1) * r.interval)
    if rec is None:
        return segment
    t_stop = last_step * dt * pq.ms
    t_start = rec["recording_start"] * pq.ms
    size, first_id, label = info["size"], info["first_id"], info["label"]
    sids = _decode(rec["spikes"], size)
    if len(sids):
        steps = np.concatenate(spike_steps) if spike_steps else np.zeros(0, np.int64)
        index = np.concatenate(spike_index) if spike_index else np.zeros(0, np.int64)
        mask = np.isin(index, sids)
        times, ids = steps[mask] * dt, index[mask] + first_id
        order = np.argsort(times, kind="stable")
        segment.spiketrains = SpikeTrainList.from_spike_time_array(
            times[order] * pq.ms, ids[order], sids + first_id, t_stop=t_stop, units="ms",
            t_start=t_start, source_population=label, source_index=sids)
        segment.spiketrains.segment = segment
    for name in sorted(rec["variables"]):
        var = rec["variables"][name]
        indices = _decode(var["indices"], size)
        interval, origin = var["interval"], var["origin"]
        got = chunks.get(name, [])
        n = (last_step - origin) // interval + 1 if got and last_step >= origin else 0
        out = np.full((n, len(indices)), np.nan)
        for c in got:
            rows = (c.first_step - origin) // c.interval + np.arange(len(c.values))
            keep = (rows >= 0) & (rows < n)
            pos = np.clip(np.searchsorted(c.indices, indices), 0, max(len(c.indices) - 1, 0))
            present = c.indices[pos] == indices if len(c.indices) else np.zeros(
                len(indices), bool)
            if present.any():
                out[np.ix_(rows[keep], np.flatnonzero(present))] = c.values[keep][:, pos[present]]
        if not out.size:
            continue
        unit = var.get("unit") or "dimensionless"
        period = var.get("sampling_interval") or interval * dt
        signal = neo.AnalogSignal(out, units=unit, t_start=t_start,
                                  sampling_period=period * pq.ms, name=name,
                                  channel_ids=indices + first_id, source_population=label,
                                  array_annotations={"channel_index": indices})
        segment.analogsignals.append(signal)
        signal.segment = segment
    return segment
