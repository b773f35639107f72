"""A progress line with an estimated time to finish, for runs and builds that take a while.

It appears only once a run (or one ``Projection()``) has taken more than a few seconds,
on standard error, and
only where standard error is a terminal, unless asked for. Turn it off with
``sim.setup(progress=False)`` or ``SPINNFRAME_PROGRESS=0`` (``=1`` forces it on, e.g. in
a log file).
"""
from __future__ import annotations

import os
import sys
import threading
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


#: Seconds per connection of the Projection() calls so far (an average that follows the
#: latest ones): the estimate of how long the next one takes. The first guess is what
#: building the full-scale microcircuit took per connection on a 2-core machine.
_SECONDS_PER_CONNECTION = [100e-9]


class BuildProgress:
    """The progress line of one long build step, a ``Projection()`` making ``expected``
    connections (None: not known beforehand). Its work is a few large array operations,
    so a background thread redraws the line: elapsed time, and the time left estimated
    from the seconds per connection of the earlier Projection() calls. Use as a context
    manager; ``done(n)`` records the connections really made."""

    def __init__(self, label: str, expected: float | None, show: bool = True, stream=None,
                 clock=time.monotonic):
        self.label = label
        self.expected = expected if expected and expected > 0 else None
        self.show = show
        self.stream = stream or sys.stderr
        self.clock = clock
        self.made = None
        self.drawn = False
        self._stop = threading.Event()
        self._thread = None
        self.start = clock()

    def line(self, now: float) -> str:
        elapsed = now - self.start
        if self.expected is None:
            return f"\r[spinnframe] {self.label}: building, elapsed {elapsed:.1f} s "
        # the estimate; once it has run out, stretched so that the line keeps moving
        total = max(self.expected * _SECONDS_PER_CONNECTION[0], elapsed / 0.95, 1e-9)
        frac = elapsed / total
        eta = total - elapsed
        bar = "#" * int(frac * 20)
        return (f"\r[spinnframe] {self.label} {frac:4.0%} |{bar:<20}| "
                f"~{self.expected / 1e6:.3g} M connections  elapsed {elapsed:.1f} s  "
                f"ETA {eta:.1f} s ")

    def draw(self) -> None:
        now = self.clock()
        if now - self.start < SHOW_AFTER:
            return
        self.stream.write(self.line(now))
        self.stream.flush()
        self.drawn = True

    def _loop(self) -> None:
        while not self._stop.wait(max(REDRAW, 0.05)):
            self.draw()

    def done(self, made: int) -> None:
        self.made = int(made)

    def __enter__(self):
        if self.show:
            self._thread = threading.Thread(target=self._loop, daemon=True,
                                            name="spinnframe-progress")
            self._thread.start()
        return self

    def __exit__(self, kind, value, tb) -> None:
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
        elapsed = self.clock() - self.start
        if self.drawn:
            what = f"{self.made:,} connections" if self.made is not None else "done"
            self.stream.write(f"\r[spinnframe] {self.label}: {what} in {elapsed:.1f} s"
                              f"{' ' * 40}\n")
            self.stream.flush()
        if kind is None and self.made and elapsed > 0.05:
            _SECONDS_PER_CONNECTION[0] = 0.5 * _SECONDS_PER_CONNECTION[0] + \
                0.5 * elapsed / self.made
