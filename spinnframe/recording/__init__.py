"""Recording: per-population stores of recorded data and their neo conversion."""
from .recorder import Recorder, SegmentStore, SignalChunk

__all__ = ["Recorder", "SegmentStore", "SignalChunk"]
