"""The streaming recorder: spikes and sampled variables go to disk as the run progresses.

Select it from a PyNN script::

    sim.setup(timestep=0.1, recorders={"streaming": {"directory": "run1"}},
              keep_in_memory=False)      # optional: keep nothing in memory

Each chunk of data (at most 10 000 time steps) is appended to the segment's file as soon
as the backend delivers it, so a run longer than memory allows can be recorded. Read the
recording back with :func:`read` (``{label: neo.Block}``, shaped like ``get_data()``'s),
:func:`read_block` (one population) or :func:`iter_records` (record by record, in bounded
memory). The file format is described in :mod:`spinnframe_streaming_recorder.fileformat`.
"""
from __future__ import annotations

from spinnframe import hookimpl
from spinnframe.specs import RecorderSpec

from .reader import Record, iter_records, read, read_block, read_meta
from .writer import StreamingRecorder

__all__ = ["StreamingRecorder", "read", "read_block", "read_meta", "iter_records", "Record"]


@hookimpl
def spinnframe_recorders():
    return [RecorderSpec("streaming", factory=StreamingRecorder,
                         description="writes spikes and sampled variables to files as the "
                                     "run goes (options: directory, overwrite); read them "
                                     "back with spinnframe_streaming_recorder.read()")]
