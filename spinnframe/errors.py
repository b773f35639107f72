"""spinnframe's exceptions.

PyNN's own error classes (:mod:`pyNN.errors`) are used for everything PyNN defines
(invalid parameter values, non-existent parameters, connection errors, recording errors);
the classes here cover the simulator lifecycle (named as in sPyNNaker) and plugins.
"""
from __future__ import annotations

from pyNN import errors as pynn_errors


class SpinnframeError(Exception):
    """Base class of spinnframe's own errors."""


class SimulatorNotSetupException(SpinnframeError):
    """A simulator call was made before ``setup()``."""


class SimulatorRunningException(SpinnframeError):
    """A call that changes the network was made while ``run()`` is in progress."""


class SimulatorShutdownException(SpinnframeError):
    """A simulator call was made after ``end()``."""


class PluginError(SpinnframeError):
    """A plugin is missing, broken, or conflicts with another one."""


class KernelBuildError(SpinnframeError):
    """A C kernel failed to compile or does not match its declaration."""


class EngineError(SpinnframeError):
    """The native engine reported an error."""


class RecordingError(pynn_errors.RecordingError):
    """A variable cannot be recorded, or was not recorded (a PyNN RecordingError with a
    message that says which variables are available)."""

    def __init__(self, message: str):
        Exception.__init__(self, message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RecorderError(SpinnframeError):
    """A recorder plugin failed. The recorder was disabled when it failed; the run went on
    to its end, so the network, the time and the other recorders are consistent."""
