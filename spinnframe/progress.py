"""A progress line with an estimated time to finish, for runs that take a while.

It appears only once a run has taken more than a few seconds, on standard error, and
only where standard error is a terminal, unless asked for. Turn it off with
``sim.setup(progress=False)`` or ``SPINNFRAME_PROGRESS=0`` (``=1`` forces it on, e.g. in
a log file).
"""
from __future__ import annotations

import os
import sys
import time

#: Seconds a task must have run before the line appears.
SHOW_AFTER = 3.0
#: Seconds between redraws.
REDRAW = 0.5


def enabled(option=None, stream=None) -> bool:
    """Whether to show progress: the setup() option, else the environment, else a TTY."""
    if option is not None:
        return bool(option)
    env = os.environ.get("SPINNFRAME_PROGRESS", "").strip().lower()
    if env in ("0", "false", "no", "off"):
        return False
    if env in ("1", "true", "yes", "on"):
        return True
    stream = stream or sys.stderr
    return hasattr(stream, "isatty") and stream.isatty()


class Progress:
    """Progress of one task measured in units (e.g. time steps), shown as model time."""

    def __init__(self, total: int, label: str, unit_scale: float = 1.0, unit: str = "",
                 show: bool = True, stream=None, clock=time.monotonic):
        self.total = max(int(total), 1)
        self.label = label
        self.scale = unit_scale
        self.unit = unit
        self.show = show
        self.stream = stream or sys.stderr
        self.clock = clock
        self.start = clock()
        self.last_draw = None
        self.drawn = False

    def line(self, done: int, now: float) -> str:
        frac = min(max(done / self.total, 0.0), 1.0)
        elapsed = now - self.start
        eta = elapsed * (1 - frac) / frac if frac > 0 else float("nan")
        bar = "#" * int(frac * 20)
        return (f"\r[spinnframe] {self.label} {frac:4.0%} |{bar:<20}| "
                f"{done * self.scale:g}/{self.total * self.scale:g} {self.unit}  "
                f"elapsed {elapsed:.1f} s  ETA {eta:.1f} s ")

    def update(self, done: int) -> None:
        if not self.show:
            return
        now = self.clock()
        if now - self.start < SHOW_AFTER:
            return
        if self.last_draw is not None and now - self.last_draw < REDRAW and done < self.total:
            return
        self.stream.write(self.line(done, now))
        self.stream.flush()
        self.last_draw = now
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
