"""The files the streaming recorder writes.

A recording is a folder::

    recording.json    what was recorded: dt, populations (label, size, first ID, cell
                      type, units, annotations), and per segment its file, the time it
                      reached, what each population recorded (indices, sampling grid);
                      rewritten (atomically) at the start and end of each run, at
                      reset() and at end()
    segment000.sfr    the data of segment 0 (one segment per reset()), appended chunk by
    segment001.sfr    chunk while the run goes on

A segment file starts with the 8 bytes ``MAGIC`` and continues with records, each a
header (``HEADER``: kind, length of the variable name, population index, first step,
interval, two counts; little-endian) then the variable name (UTF-8) then the data:

- ``b"SP"`` spikes: ``count`` int64 steps, then ``count`` int64 neuron indices (a spike
  at step s happened at time s * dt ms);
- ``b"SA"`` samples of a variable: ``count`` int64 neuron indices, then ``rows x count``
  float64 values, row k taken at step ``first_step + k * interval``;
- ``b"EN"`` end of a run: ``first_step`` is the step the run reached.

Records are only ever appended, so a file cut short (a crash) is read up to its last
whole record.
"""
from __future__ import annotations

import struct

MAGIC = b"SFREC01\n"
#: kind, name length, population, first step, interval, count, rows
HEADER = struct.Struct("<2sHIqqQQ")
SPIKES, SAMPLES, END = b"SP", b"SA", b"EN"
META = "recording.json"
FORMAT = "spinnframe-streaming-recording"
VERSION = 1


def segment_file(number: int) -> str:
    return f"segment{number:03d}.sfr"
