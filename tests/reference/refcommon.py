"""Helpers shared by the make_*_reference.py scripts (run with NEST installed)."""
import platform
from importlib import metadata

import numpy as np


def versions():
    """The versions that made a fixture, stored beside its data."""
    out = {}
    for key, dist in (("pynn_version", "PyNN"), ("nest_version", "nest-simulator"),
                      ("numpy_version", "numpy"), ("neo_version", "neo")):
        try:
            out[key] = np.array(metadata.version(dist))
        except metadata.PackageNotFoundError:
            out[key] = np.array("unknown")
    out["python_version"] = np.array(platform.python_version())
    return out


def load(path):
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def split(flat, counts):
    """A flat array cut into consecutive pieces of the given lengths."""
    cs = np.r_[0, np.cumsum(counts)]
    return [flat[cs[i]:cs[i + 1]] for i in range(len(counts))]
