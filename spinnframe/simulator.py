"""The simulator state: time, the network built so far, the backend, the lifecycle.

PyNN's common classes reach the simulator through ``cls._simulator.state``; this module is
that ``_simulator``. One :class:`State` exists per process (``state``). ``setup()`` starts a
new simulation (a new *generation*): objects made in an earlier one refuse to be used.
"""
from __future__ import annotations

import functools
import math
import os
import threading
from typing import Any

from pyNN import common

from .errors import (SimulatorNotSetupException, SimulatorRunningException,
                     SimulatorShutdownException)

name = "spinnframe"


class ID(int, common.IDMixin):
    """A cell: an integer id that knows its parent population (PyNN's IDMixin)."""

    def __init__(self, n):
        int.__init__(n)
        common.IDMixin.__init__(self)


class State(common.control.BaseState):
    """Everything about the current simulation that is not a Population."""

    def __init__(self):
        super().__init__()
        self.phase = "new"            # new -> setup -> ended (-> setup ...)
        self.generation = 0
        self.mpi_rank = 0
        self.num_processes = 1
        self.dt = 0.1
        self.min_delay = 0.1          # the lower bound of delays (one step with 'auto')
        self.min_delay_auto = False   # setup(min_delay='auto'): see effective_min_delay
        self.max_delay_setting: float | None = None   # None: 'auto', no upper bound
        self.threads = 1
        self.seed = None
        self.backend_name = "host"
        self.options: dict[str, Any] = {}
        self._run_lock = threading.Lock()
        self._in_run = False
        self.clear()

    # -- lifecycle ---------------------------------------------------------------------
    def clear(self) -> None:
        """Forget the network (setup() and end() call this)."""
        self.populations: list = []
        self.projections: list = []
        self.current_sources: list = []
        self.ir_owners: list = []          # ProjectionIR index -> Projection
        self.recording = None               # the recorder hub of this simulation
        self.recorders = set()
        self.write_on_end = []
        self.id_counter = 0
        self.segment_counter = 0
        self.t = 0.0
        self.t_start = 0.0
        self.running = False
        self.backend = None
        self.structure_version = 0     # bumped when populations/projections are added
        self.largest_delay = 0.0

    @property
    def max_delay(self) -> float:
        """The max_delay given to setup(), or with 'auto' the largest delay so far."""
        if self.max_delay_setting is not None:
            return self.max_delay_setting
        return max(self.min_delay, self.largest_delay)

    def effective_min_delay(self) -> float:
        """The min_delay given to setup(); with 'auto', as NEST and Brian 2 compute it,
        the smallest delay of the connections made so far (one time step if none)."""
        if self.min_delay_auto:
            from . import runner
            smallest = [round(p.delay_steps_range()[0] * self.dt, 12)
                        for p in runner.build_network(self).projections if len(p)]
            if smallest:
                return min(smallest)
        return self.min_delay

    def note_delay(self, delay: float) -> None:
        self.largest_delay = max(self.largest_delay, delay)

    @property
    def step(self) -> int:
        """Current time in whole time steps."""
        return int(round(self.t / self.dt))

    def to_steps(self, t_ms: float) -> int:
        """A time in ms as a whole number of time steps (rounded to the nearest)."""
        return int(math.floor(t_ms / self.dt + 0.5))

    def check(self, what: str, mutating: bool = False, generation: int | None = None) -> None:
        """Raise the lifecycle error that applies to calling ``what`` now, if any."""
        if self.phase == "new":
            raise SimulatorNotSetupException(
                f"{what} was called before setup(). Call sim.setup(timestep=...) first.")
        if self.phase == "ended":
            # what the ended simulation recorded and its values stay readable through its
            # own objects (PyNN: "end() does not erase the recorded data"); anything else
            # (the simulator itself, changes, objects of earlier simulations) is refused
            if mutating or generation is None or generation != self.generation:
                raise SimulatorShutdownException(
                    f"{what} was called after end(). Call sim.setup() to start a new "
                    f"simulation (after end(), only the recorded data and values of the "
                    f"ended simulation can be read).")
            return
        if generation is not None and generation != self.generation:
            raise SimulatorShutdownException(
                f"{what} was called on an object from an earlier simulation; setup() has "
                f"been called since, which discards the previous network.")
        if mutating and self._in_run:
            raise SimulatorRunningException(
                f"{what} was called while run() is in progress; wait for run() to return.")

    # -- time ------------------------------------------------------------------------------
    def run_until(self, tstop: float) -> None:
        from . import runner
        runner.run_until(self, tstop)

    def run(self, simtime: float) -> None:
        self.run_until(self.t + simtime)

    def reset(self) -> None:
        """Back to t = 0 with initial values; a new Segment for recorded data."""
        from . import runner
        runner.reset(self)


state = State()


def live(what: str, mutating: bool = False):
    """Decorator: check the simulator lifecycle before a public method runs."""
    def deco(func):
        @functools.wraps(func)
        def wrapper(self, *args, **kwargs):
            name = what if "." in what else f"{type(self).__name__}.{what}"
            state.check(name, mutating, getattr(self, "_generation", None))
            return func(self, *args, **kwargs)
        return wrapper
    return deco


def default_cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "spinnframe")
