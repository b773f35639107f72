"""Where the C SDK lives once spinnframe is installed."""
from __future__ import annotations

from importlib import resources
from pathlib import Path


def include_dir() -> Path:
    """Folder holding spinnframe_kernel.h and the engine runtime sources (c_src/)."""
    return Path(str(resources.files("spinnframe.c_src")))


def kernel_abi_version() -> int:
    """SF_KERNEL_ABI_VERSION of the installed SDK header."""
    for line in (include_dir() / "spinnframe_kernel.h").read_text().splitlines():
        if line.startswith("#define SF_KERNEL_ABI_VERSION"):
            return int(line.split()[2].rstrip("u"))
    raise RuntimeError("SF_KERNEL_ABI_VERSION not found in spinnframe_kernel.h")
