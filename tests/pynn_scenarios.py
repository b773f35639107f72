"""PyNN's own system scenarios, fetched at test time (never copied into this repository).

PyNN 0.13 keeps its simulator-independent system tests ("scenarios") in the source
distribution only, under ``test/system/scenarios``. Each scenario is a function taking the
simulator module (``sim``) that calls ``sim.setup()`` itself; PyNN registers a function as
a scenario with the ``run_with_simulators(*names)`` decorator of
``scenarios/fixtures.py``, which attaches ``pytest.mark.parametrize("sim", ...)`` to it,
and PyNN's pytest run then collects the ``test_*`` functions of ``scenarios/test_*.py``
once per simulator named there. This module reproduces that registry for any simulator:

- :func:`scenarios_root` downloads the sdist with ``python -m pip download`` into a cache
  folder (``$SPINNFRAME_CACHE_DIR/pynn-0.13.0-sdist``, else
  ``~/.cache/spinnframe/pynn-0.13.0-sdist``), extracts ``test/system/scenarios`` and
  reuses it afterwards. Without network it raises :class:`ScenariosUnavailable` saying
  what to do (it never skips).
- :func:`load_scenarios` imports the scenario modules as a package (their relative
  imports need one) and returns every function the decorator registered, whatever
  simulators PyNN enables it for.

It is shared by ``tests/test_pynn_scenarios.py`` (spinnframe) and by one-off comparison
scripts run with another PyNN backend (e.g. ``pyNN.nest``), so it imports nothing from
spinnframe.
"""
from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Callable

PYNN_VERSION = "0.13.0"
SDIST_NAME = f"pynn-{PYNN_VERSION}.tar.gz"
SCENARIOS_IN_SDIST = "test/system/scenarios"
#: Name under which the scenarios folder is imported (a package: they import .fixtures).
PACKAGE = "_pynn_system_scenarios"


class ScenariosUnavailable(RuntimeError):
    """PyNN's scenarios could not be fetched (no network, no pip, a broken download)."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    name: str                 # the function's name, e.g. "test_reset"
    module: str               # its file without .py, e.g. "test__simulation_control"
    func: Callable
    enabled_for: tuple        # simulators PyNN runs it with, e.g. ("nest", "neuron")
    collected_by_pynn: bool   # False for a registered function pytest does not collect

    def __call__(self, sim):
        return self.func(sim)


def cache_dir() -> Path:
    """Where the sdist and the extracted scenarios are kept."""
    base = os.environ.get("SPINNFRAME_CACHE_DIR")
    if not base:
        xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"),
                                                               ".cache")
        base = os.path.join(xdg, "spinnframe")
    return Path(base) / f"pynn-{PYNN_VERSION}-sdist"


def _download(dest: Path) -> Path:
    """The sdist tarball in ``dest``, downloaded with pip unless already there."""
    existing = sorted(dest.glob("[pP]y[nN][nN]-" + PYNN_VERSION + ".tar.gz"))
    if existing:
        return existing[0]
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
           "--disable-pip-version-check", f"pynn=={PYNN_VERSION}", "-d", str(dest)]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScenariosUnavailable(_advice(dest, f"{' '.join(cmd)} failed: {exc}")) from exc
    found = sorted(dest.glob("[pP]y[nN][nN]-" + PYNN_VERSION + ".tar.gz"))
    if done.returncode != 0 or not found:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise ScenariosUnavailable(_advice(
            dest, f"`{' '.join(cmd)}` exited with {done.returncode}:\n{tail}"))
    return found[0]


def _advice(dest: Path, what: str) -> str:
    return (f"Could not fetch PyNN {PYNN_VERSION}'s system scenarios (they are read from "
            f"the PyNN sdist on PyPI at test time). {what}\n"
            f"These tests need network access to PyPI once; afterwards the cache is reused. "
            f"Offline, put {SDIST_NAME} (from https://pypi.org/project/PyNN/{PYNN_VERSION}/"
            f"#files) into {dest}, or point $SPINNFRAME_CACHE_DIR at a folder whose "
            f"pynn-{PYNN_VERSION}-sdist/ holds it.")


def _extract(tarball: Path, target: Path) -> None:
    """Extract test/system/scenarios of the sdist into ``target`` (atomically)."""
    tmp = Path(tempfile.mkdtemp(prefix=".scenarios-", dir=target.parent))
    try:
        with tarfile.open(tarball) as tar:
            members = []
            for m in tar.getmembers():
                parts = Path(m.name).parts
                # "<top>/test/system/scenarios/<file>.py": plain files, no links
                if len(parts) == 5 and "/".join(parts[1:4]) == SCENARIOS_IN_SDIST and \
                        m.isfile() and parts[4].endswith(".py"):
                    members.append(m)
            if not any(Path(m.name).name == "fixtures.py" for m in members):
                raise ScenariosUnavailable(
                    f"{tarball} has no {SCENARIOS_IN_SDIST}/fixtures.py; delete it so that "
                    f"it is downloaded again")
            for m in members:
                with tar.extractfile(m) as src:
                    (tmp / Path(m.name).name).write_bytes(src.read())
        (tmp / "COMPLETE").write_text(tarball.name + "\n")
        try:
            os.replace(tmp, target)
        except OSError:          # another process extracted it first
            if not (target / "COMPLETE").exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def scenarios_root() -> Path:
    """The folder holding PyNN's scenarios/*.py, downloading and extracting if needed."""
    base = cache_dir()
    target = base / "scenarios"
    if (target / "COMPLETE").exists():
        return target
    base.mkdir(parents=True, exist_ok=True)
    if target.exists():                      # an interrupted extraction
        shutil.rmtree(target)
    tarball = _download(base)
    try:
        _extract(tarball, target)
    except tarfile.TarError as exc:
        tarball.unlink(missing_ok=True)
        raise ScenariosUnavailable(f"{tarball} is not a valid sdist ({exc}); it has been "
                                   f"deleted, run again to download it anew") from exc
    return target


def _import_package(root: Path):
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    spec = importlib.util.spec_from_file_location(
        PACKAGE, root / "__init__.py", submodule_search_locations=[str(root)])
    package = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = package
    spec.loader.exec_module(package)
    return package


def _registered_simulators(func) -> tuple | None:
    """The simulator names of a ``run_with_simulators`` mark on ``func``, else None."""
    for mark in getattr(func, "pytestmark", ()):
        if mark.name == "parametrize" and mark.args and mark.args[0] == "sim":
            return tuple(getattr(p, "id", None) or str(p) for p in mark.args[1])
    return None


def load_scenarios(root: Path | None = None) -> dict[str, Scenario]:
    """Every scenario PyNN registers, by function name, in file order."""
    root = scenarios_root() if root is None else root
    _import_package(root)
    found: dict[str, Scenario] = {}
    for path in sorted(root.glob("test_*.py")):
        module = importlib.import_module(f"{PACKAGE}.{path.stem}")
        for name, obj in vars(module).items():
            if not callable(obj) or getattr(obj, "__module__", None) != module.__name__:
                continue
            sims = _registered_simulators(obj)
            if sims is None:
                continue
            if name in found:
                raise RuntimeError(f"scenario name {name} appears in {found[name].module} "
                                   f"and {path.stem}")
            found[name] = Scenario(name, path.stem, obj, sims, name.startswith("test"))
    if not found:
        raise ScenariosUnavailable(f"no scenarios found in {root}")
    return found
