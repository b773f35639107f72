"""The streaming recorder: writes each chunk of data to disk as soon as it arrives."""
from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path

import numpy as np

from spinnframe.recording import DataRecorder

from .fileformat import END, FORMAT, HEADER, MAGIC, META, SAMPLES, SPIKES, VERSION, segment_file


def encode_indices(indices: np.ndarray, size: int):
    """Indices for recording.json: "all", {"start", "stop"} for a range, or a list."""
    indices = np.asarray(indices, dtype=np.int64)
    n = len(indices)
    if n and indices[0] + n - 1 == indices[-1] and (n < 2 or (np.diff(indices) == 1).all()):
        if n == size:
            return "all"
        return {"start": int(indices[0]), "stop": int(indices[-1]) + 1}
    return [int(i) for i in indices]


def _jsonable(annotations: dict) -> dict:
    out = {}
    for k, v in annotations.items():
        try:
            json.dumps(v)
        except (TypeError, ValueError):
            continue
        out[str(k)] = v
    return out


class StreamingRecorder(DataRecorder):
    """Writes spikes and sampled variables to ``directory`` as the run goes (see
    :mod:`spinnframe_streaming_recorder.fileformat`); read them back with
    :func:`spinnframe_streaming_recorder.read`.

    Options: ``directory`` (created if missing; default ``"spinnframe-recording"``),
    ``overwrite`` (replace a recording already in that folder; default False: refuse).
    Nothing is kept in memory beyond the chunk being written.
    """

    def __init__(self, context=None, directory="spinnframe-recording", overwrite=False):
        self.directory = Path(directory).resolve()
        self.dt = getattr(context, "dt", None)
        if (self.directory / META).exists():
            if not overwrite:
                raise FileExistsError(
                    f"{self.directory} already holds a recording; choose another directory "
                    f"or pass overwrite=True to replace it")
            for p in self.directory.glob("segment*.sfr"):
                p.unlink()
            (self.directory / META).unlink()
        self.directory.mkdir(parents=True, exist_ok=True)
        self.meta = {"format": FORMAT, "version": VERSION, "dt": self.dt,
                     "simulator": "spinnframe", "created": datetime.now().isoformat(),
                     "closed": False, "populations": {}, "segments": []}
        self._file = None
        self._segment = None       # the segment's entry in meta
        self._write_meta()

    # -- the recorder interface -----------------------------------------------------------
    def start_run(self, run):
        """Open the segment's file if this run starts a segment; write recording.json if
        what is recorded has changed (so many short runs stay cheap)."""
        changed = self.meta["dt"] != run.dt
        self.meta["dt"] = run.dt
        seg = self._segment
        if seg is None or seg["number"] != run.segment:
            changed = True
            self._close_file()
            seg = {"number": run.segment, "file": segment_file(run.segment),
                   "rec_datetime": datetime.now().isoformat(), "t_stop": run.t_start,
                   "annotations": {}, "closed": False, "populations": {}}
            self.meta["segments"].append(seg)
            self._segment = seg
            path = self.directory / seg["file"]
            self._file = open(path, "wb")
            self._file.write(MAGIC)
        for p in run.populations:
            key = str(p.index)
            entry = {"label": p.label, "size": p.size, "first_id": p.first_id,
                     "celltype": p.celltype, "annotations": _jsonable(p.annotations)}
            old = self.meta["populations"].get(key)
            if old is None or {k: old[k] for k in entry} != entry:
                entry["description"] = p.description
                self.meta["populations"][key] = entry
                changed = True
            if not p.recorded:
                continue
            recorded = {
                "recording_start": p.recording_start,
                "spikes": encode_indices(p.spikes, p.size),
                "variables": {name: {"indices": encode_indices(v.indices, p.size),
                                     "interval": v.interval, "origin": v.origin,
                                     "sampling_interval": v.sampling_interval,
                                     "unit": v.unit}
                              for name, v in p.variables.items()}}
            if seg["populations"].get(key) != recorded:
                seg["populations"][key] = recorded
                changed = True
        if changed:
            self._write_meta()

    def spikes(self, chunk):
        self._record(SPIKES, "", chunk.population, 0, 0, len(chunk.steps), 0,
                     chunk.steps, chunk.indices)

    def samples(self, chunk):
        self._record(SAMPLES, chunk.variable, chunk.population, chunk.first_step,
                     chunk.interval, len(chunk.indices), len(chunk.values), chunk.indices,
                     chunk.values)

    def flush(self, step, t):
        if self._file is not None:
            self._file.flush()

    def end_run(self, run):
        # the time reached goes into the file (the reader takes it from there);
        # recording.json gets it at reset() and end()
        self._record(END, "", 0, run.start_step + run.n_steps, 0, 0, 0)
        self._segment["t_stop"] = run.t_stop
        self._file.flush()

    def reset(self, segment):
        if self._segment is not None and self._segment["number"] == segment.number:
            self._segment["annotations"] = _jsonable(segment.annotations)
            self._segment["t_stop"] = segment.t_stop
            self._segment["closed"] = True
            self._close_file()
            self._write_meta()

    def close(self):
        self._close_file()
        if self._segment is not None:
            self._segment["closed"] = True
        self.meta["closed"] = True
        self._write_meta()

    def destination(self):
        return f"files in {self.directory}, read them with spinnframe_streaming_recorder.read()"

    # -- writing --------------------------------------------------------------------------
    def _record(self, kind, name, population, first_step, interval, count, rows, *arrays):
        if self._file is None:
            raise RuntimeError("the streaming recorder got data outside a run")
        encoded = name.encode()
        self._file.write(HEADER.pack(kind, len(encoded), population, int(first_step),
                                     int(interval), int(count), int(rows)) + encoded)
        for a, dtype in zip(arrays, ("<i8", "<i8" if kind == SPIKES else "<f8")):
            a = np.ascontiguousarray(a, dtype=dtype)
            self._file.write(memoryview(a).cast("B"))

    def _close_file(self):
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write_meta(self):
        tmp = self.directory / (META + ".tmp")
        with open(tmp, "w") as f:
            json.dump(self.meta, f, indent=1)
        os.replace(tmp, self.directory / META)

