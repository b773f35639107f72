"""Starting and driving sPyNNaker: its configuration, its output, its errors."""
from __future__ import annotations

import contextlib
import io
import signal
import sys
import threading
import time

from .errors import MappingError, SpynnakerMissingError

#: What sPyNNaker the backend was written against (its config hook and data access).
SPYNNAKER_SERIES = "7.4"


def import_spynnaker():
    """``spynnaker.pyNN``, or a clear error saying how to install it."""
    try:
        import spynnaker.pyNN as sim
    except ImportError as exc:
        raise SpynnakerMissingError(
            f"the spinnaker backend needs sPyNNaker, which cannot be imported ({exc}); "
            f"install it with: pip install 'spynnaker~=1!7.4.1' (pip install "
            f"./plugins/spinnaker installs it with the plugin)") from exc
    return sim


@contextlib.contextmanager
def spynnaker_reads(cfg_path):
    """While sPyNNaker sets up, make it read its settings from ``cfg_path`` only.

    sPyNNaker's ``setup_configs`` registers its default cfg files and then looks for a
    user's ``~/.spynnaker.cfg``, writing a template there and stopping when there is none.
    The backend has already merged any user cfg into ``cfg_path`` (config.py), so it lets
    sPyNNaker register its defaults, then tells its config holder (spinn_utilities) to read
    no user file and to read ``cfg_path`` after the defaults."""
    import spynnaker.pyNN.spinnaker as sp_module
    from spinn_utilities.config_holder import set_cfg_files

    original = sp_module.setup_configs

    def setup_configs():
        original()
        set_cfg_files(None, str(cfg_path))

    sp_module.setup_configs = setup_configs
    try:
        yield
    finally:
        sp_module.setup_configs = original


@contextlib.contextmanager
def _handlers_kept():
    """sPyNNaker installs its own ``sys.excepthook`` (which shuts the simulation down on
    any later exception in the script) and a SIGINT handler (which swallows Ctrl-C after a
    run); the script's own handlers are put back after every call into sPyNNaker."""
    hook = sys.excepthook
    main = threading.current_thread() is threading.main_thread()
    sigint = signal.getsignal(signal.SIGINT) if main else None
    try:
        yield
    finally:
        sys.excepthook = hook
        if main and sigint is not None:
            signal.signal(signal.SIGINT, sigint)


class Output:
    """sPyNNaker's log, progress bars and prints go to ``<work_dir>/spinnaker.log``
    unless the settings ask for verbose output."""

    def __init__(self, settings):
        self.settings = settings
        self.path = settings.work_dir / "spinnaker.log"

    @contextlib.contextmanager
    def __call__(self, what: str):
        with _handlers_kept():
            if self.settings.verbose:
                yield
                return
            with self._captured(what):
                yield

    @contextlib.contextmanager
    def _captured(self, what: str):
        self.settings.work_dir.mkdir(parents=True, exist_ok=True)
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                yield
        finally:
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(f"===== {time.strftime('%Y-%m-%d %H:%M:%S')} {what}\n")
                f.write(buf.getvalue())

    def tail(self, n: int = 15) -> str:
        try:
            lines = self.path.read_text(encoding="utf-8", errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(lines[-n:])


def failed(what: str, exc: BaseException, output: Output) -> MappingError:
    """A MappingError for sPyNNaker's failure ``exc`` while doing ``what``."""
    where = "" if output.settings.verbose else \
        f"\nsPyNNaker's log ({output.path}) ends with:\n{output.tail()}"
    return MappingError(f"sPyNNaker failed while {what} on {output.settings.describe()}: "
                        f"{type(exc).__name__}: {exc}{where}")


def start(settings, dt: float, min_delay: float, output: Output):
    """Set sPyNNaker up for one simulation and return its ``spynnaker.pyNN`` module."""
    sim = import_spynnaker()
    cfg = settings.write_cfg()
    with spynnaker_reads(cfg), output("setup"):
        try:
            sim.setup(timestep=dt, min_delay=min_delay,
                      time_scale_factor=settings.time_scale_factor,
                      n_boards_required=settings.n_boards_required)
        except Exception as exc:
            raise failed("setting up", exc, output) from exc
    return sim


def stop(sim, output: Output) -> None:
    """End sPyNNaker's simulation (releases the machine)."""
    from spynnaker.pyNN.data import SpynnakerDataView

    if SpynnakerDataView.is_shutdown() or not SpynnakerDataView.is_setup():
        return
    with output("end"):
        try:
            sim.end()
        except Exception as exc:          # the network is gone either way
            print(f"sPyNNaker's end() failed: {exc!r}", file=sys.stderr)
