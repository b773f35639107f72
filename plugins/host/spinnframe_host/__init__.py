"""spinnframe's native host backend: C kernels compiled on first use, every time step in C."""
from spinnframe import hookimpl
from spinnframe.specs import BackendSpec

__version__ = "0.1.0"


def _factory(state):
    from .engine import HostBackend  # compiled on first use, not at plugin discovery
    return HostBackend(state)


def _prepare(spec, options):
    from .prepare import prepare_model  # compiles the model's kernel when its Population is made
    prepare_model(spec, options)


def _prepare_projection(parts, context):
    from .engine import prepack_projection  # packs large projections into engine rows now
    prepack_projection(parts, context)


@hookimpl
def spinnframe_backends():
    return [BackendSpec(name="host", factory=_factory, prepare=_prepare,
                        prepare_projection=_prepare_projection,
                        description="native C engine on this machine (default)")]
