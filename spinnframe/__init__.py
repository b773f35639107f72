"""spinnframe: a PyNN simulator built from plugins, with a native C engine.

Users import the PyNN API from :mod:`spinnframe.pyNN`. Plugin authors use
:mod:`spinnframe.specs` (descriptors), :data:`hookimpl` and the C SDK in
``spinnframe.sdk.include_dir()``.
"""
import pluggy

__version__ = "0.1.0"

#: Decorator for plugin hook implementations (see :mod:`spinnframe.hookspecs`).
hookimpl = pluggy.HookimplMarker("spinnframe")
