"""Recording: per-population stores of recorded data and their neo conversion, and the
recorder plugins that receive recorded data while a simulation runs."""
from .api import (MAX_CHUNK_STEPS, DataRecorder, PopulationInfo, RecorderContext, RunInfo,
                  SampleChunk, SegmentInfo, SpikeChunk, VariableInfo)
from .recorder import Recorder, SegmentStore, SignalChunk

__all__ = ["Recorder", "SegmentStore", "SignalChunk", "DataRecorder", "RunInfo",
           "PopulationInfo", "VariableInfo", "SpikeChunk", "SampleChunk", "SegmentInfo",
           "RecorderContext", "MAX_CHUNK_STEPS"]
