"""The neo recorder: keeps recorded data in memory for ``get_data()`` and ``write_data()``.

spinnframe attaches it to every simulation unless ``setup(keep_in_memory=False)``. It
receives the chunks of spikes and samples like any recorder and appends them to the
core's per-population store (:class:`spinnframe.recording.Recorder`), which assembles
neo Blocks on request with PyNN's conventions; ``write_data`` writes them with any neo IO
(``.pkl``, ``.mat``, ``.nix``/``.h5`` with nixio installed, ``.nwb`` with pynwb).
"""
from __future__ import annotations

from spinnframe import hookimpl
from spinnframe.recording import DataRecorder, SignalChunk
from spinnframe.specs import RecorderSpec


class NeoRecorder(DataRecorder):
    """Appends every chunk to the population's in-memory store (no copy)."""

    def __init__(self, context):
        self._store = context.memory

    def spikes(self, chunk):
        self._store(chunk.population).add_spikes(chunk.steps, chunk.indices)

    def samples(self, chunk):
        self._store(chunk.population).add_samples(
            chunk.variable, SignalChunk(chunk.first_step, chunk.interval, chunk.indices,
                                        chunk.values))

    def has_sample(self, population: int, variable: str, step: int) -> bool:
        """Whether the store holds the sample of ``variable`` at ``step`` (it does not
        after get_data(clear=True), so spinnframe hands it the sample again)."""
        return self._store(population).last_sample_step(variable) == step

    def destination(self) -> str:
        return "memory (get_data(), write_data())"


@hookimpl
def spinnframe_recorders():
    return [RecorderSpec("neo", factory=NeoRecorder,
                         description="keeps recorded data in memory for get_data() and "
                                     "write_data() (neo: .pkl, .mat, .nix/.h5, .nwb)")]
