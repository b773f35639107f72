"""The errors of the SpiNNaker backend."""
from __future__ import annotations

from spinnframe.errors import SpinnframeError


class SpinnakerError(SpinnframeError):
    """Base class of the SpiNNaker backend's errors."""


class UnsupportedError(SpinnakerError):
    """The network uses something the SpiNNaker backend cannot run. Raised before
    anything is mapped; the message names the piece and lists what is supported."""


class MachineConfigError(SpinnakerError):
    """No SpiNNaker machine was given, or the settings contradict each other."""


class SpynnakerMissingError(SpinnakerError):
    """sPyNNaker, which the backend drives, is not installed."""


class BoardNotReachableError(SpinnakerError):
    """Nothing answered at the address given for a SpiNNaker board."""


class MappingError(SpinnakerError):
    """sPyNNaker failed to map, load or run the network."""
