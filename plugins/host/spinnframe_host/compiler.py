"""Compile C sources into shared libraries, cached by content.

The cache key covers every input that can change the binary: the generated source, each
file it includes from the SDK or a plugin, the compiler's identity and the flags. A changed
kernel or header therefore gives a new library; an unchanged one loads from the cache in
milliseconds. Writes are atomic (compile to a temporary name, then rename), so concurrent
processes never load a half-written library.
"""
from __future__ import annotations

import functools
import hashlib
import os
import shlex
import shutil
import subprocess
import tempfile
from pathlib import Path

from spinnframe.errors import KernelBuildError
from spinnframe.sdk import include_dir
from spinnframe.simulator import default_cache_dir

BASE_FLAGS = ["-std=gnu99", "-O3", "-fPIC", "-shared", "-fno-math-errno",
              "-ffp-contract=off", "-fvisibility=hidden", "-Wall"]


def cache_dir(option: str | None = None) -> Path:
    """Where libraries are kept: setup(cache_dir=...), $SPINNFRAME_CACHE_DIR, or
    ~/.cache/spinnframe/kernels."""
    path = option or os.environ.get("SPINNFRAME_CACHE_DIR") or os.path.join(
        default_cache_dir(), "kernels")
    p = Path(path).expanduser()
    p.mkdir(parents=True, exist_ok=True)
    return p


def compiler() -> list[str]:
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which(
        "clang")
    if not cc:
        raise KernelBuildError(
            "no C compiler found: spinnframe's native engine compiles its kernels on first "
            "use. Install one (e.g. `apt install gcc`, Xcode command line tools) or set CC.")
    return shlex.split(cc)


def _probe_once(what: str, probe) -> bool:
    """probe(cc) -> bool, answered once per compiler (path, size and time of its
    executable) and kept in the kernel cache, so only the first process compiles it."""
    cc = compiler()
    try:
        exe = Path(shutil.which(cc[0]) or cc[0]).resolve()
        st = exe.stat()
        key = hashlib.sha256(repr((cc, str(exe), st.st_size, st.st_mtime_ns)).encode())
        note = cache_dir() / f"{what}-{key.hexdigest()[:16]}.txt"
        if note.exists():
            return note.read_text().strip() == "1"
    except OSError:
        note = None
    found = probe(cc)
    if note is not None:
        try:
            note.write_text("1" if found else "0")
        except OSError:
            pass
    return found


@functools.lru_cache(maxsize=None)
def openmp_flags() -> tuple[str, ...]:
    """("-fopenmp",) if the compiler builds and links OpenMP code, else () (~30 ms to
    find out, once per compiler)."""
    return ("-fopenmp",) if _probe_once("openmp", _probe_openmp) else ()


@functools.lru_cache(maxsize=None)
def native_flags() -> tuple[str, ...]:
    """("-march=native",) where the compiler accepts it: kernels are built on the machine
    that runs them, for its instruction set (as Brian2 does), and the CPU enters the
    cache key (cpu_identity), so a cache shared between machines never hands one a
    library built for another. -ffp-contract=off stays, so no multiply-add is fused and
    results do not change. SPINNFRAME_NATIVE=0 builds for the baseline instruction set."""
    if os.environ.get("SPINNFRAME_NATIVE", "1").strip().lower() in ("0", "off", "false"):
        return ()
    return ("-march=native",) if _probe_once("native", _probe_native) else ()


def _probe_native(cc: list[str]) -> bool:
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "native.c"
        src.write_text("double f(double x) { return x * 2.0; }\n")
        try:
            proc = subprocess.run(cc + ["-march=native", "-O2", "-fPIC", "-shared", "-o",
                                        str(Path(d) / "native.so"), str(src)],
                                  capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return proc.returncode == 0


@functools.lru_cache(maxsize=None)
def cpu_identity() -> str:
    """What identifies this CPU's instruction set: /proc/cpuinfo's vendor, model and
    flags on Linux, else the platform's machine and processor names."""
    keys = ("vendor_id", "cpu family", "model", "model name", "flags", "Features",
            "CPU implementer", "CPU architecture", "CPU part")
    try:
        with open("/proc/cpuinfo") as f:
            first = f.read().split("\n\n")[0]
        lines = [ln for ln in first.splitlines() if ln.split(":")[0].strip() in keys]
        if lines:
            return "\n".join(lines)
    except OSError:
        pass
    import platform
    return f"{platform.machine()} {platform.processor()}"


def _probe_openmp(cc: list[str]) -> bool:
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "omp.c"
        src.write_text("#include <omp.h>\nint f(void) { return omp_get_max_threads(); }\n")
        try:
            proc = subprocess.run(cc + ["-fopenmp", "-fPIC", "-shared", "-o",
                                        str(Path(d) / "omp.so"), str(src)],
                                  capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            return False
        return proc.returncode == 0


def flags() -> list[str]:
    extra = shlex.split(os.environ.get("SPINNFRAME_CFLAGS", ""))
    return BASE_FLAGS + list(native_flags()) + extra


@functools.lru_cache(maxsize=None)
def _compiler_identity(cc: tuple[str, ...]) -> str:
    try:
        out = subprocess.run(list(cc) + ["--version"], capture_output=True, text=True,
                             timeout=30)
        return out.stdout + out.stderr
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise KernelBuildError(f"cannot run the C compiler {' '.join(cc)!r}: {exc}") from None


def build(name: str, source: str, depends: list[Path], cache: Path,
          what: str, extra_flags: list[str] | None = None) -> Path:
    """Compile ``source`` (C text) into ``cache/<name>-<hash>.so`` unless already there.

    ``depends`` lists the files ``source`` includes (their contents enter the key);
    ``what`` names the thing being built in error messages (e.g. the model and plugin).
    """
    cc = compiler()
    fl = flags() + list(extra_flags or [])
    h = hashlib.sha256()
    h.update(source.encode())
    for f in sorted(set(depends)):
        h.update(str(f).encode())
        h.update(Path(f).read_bytes())
    h.update(_compiler_identity(tuple(cc)).encode())
    h.update(" ".join(fl).encode())
    if any(f.endswith("=native") for f in fl):
        h.update(cpu_identity().encode())
    key = h.hexdigest()[:20]
    lib = cache / f"{name}-{key}.so"
    if lib.exists():
        return lib
    src = cache / f"{name}-{key}.c"
    src.write_text(source)
    fd, tmp = tempfile.mkstemp(suffix=".so", dir=cache)
    os.close(fd)
    cmd = cc + fl + ["-I", str(include_dir()), "-o", tmp, str(src), "-lm"]
    if "-fopenmp" in fl:
        cmd.append("-fopenmp")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        os.unlink(tmp)
        raise KernelBuildError(f"compiling {what} took more than 300 s") from None
    if proc.returncode != 0:
        os.unlink(tmp)
        raise KernelBuildError(
            f"{what} failed to compile (exit status {proc.returncode}).\n"
            f"Compiler output:\n{proc.stderr.strip()}\nCommand: {' '.join(cmd)}")
    os.replace(tmp, lib)
    return lib
