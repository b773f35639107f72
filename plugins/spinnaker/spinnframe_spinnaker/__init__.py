"""spinnframe's SpiNNaker backend: the same PyNN script on SpiNNaker, through sPyNNaker.

``sim.setup(backend="spinnaker", spinnaker={...})`` (or ``$SPINNFRAME_SPINNAKER_MACHINE``)
chooses the machine; see docs/backends/spinnaker.md. sPyNNaker is imported at the first
run, not when spinnframe discovers this plugin.
"""
from spinnframe import hookimpl
from spinnframe.specs import BackendSpec

from .errors import (BoardNotReachableError, MachineConfigError, MappingError,
                     SpinnakerError, SpynnakerMissingError, UnsupportedError)

__version__ = "0.1.0"
__all__ = ["BoardNotReachableError", "MachineConfigError", "MappingError", "SpinnakerError",
           "SpynnakerMissingError", "UnsupportedError", "last_mapping"]


def _factory(state):
    from .backend import SpinnakerBackend
    return SpinnakerBackend(state)


def _prepare(spec, options):
    from .support import check_model  # an unsupported model fails at Population()
    check_model(spec)


def last_mapping():
    """The :class:`~spinnframe_spinnaker.backend.MappingResult` of the latest run on the
    spinnaker backend (placements per population, cores and chips used), or None."""
    from .backend import last_mapping as _last
    return _last()


@hookimpl
def spinnframe_backends():
    return [BackendSpec(name="spinnaker", factory=_factory, prepare=_prepare,
                        description="SpiNNaker hardware through sPyNNaker (a board, spalloc "
                                    "or a virtual board)")]
