"""The ``spinnframe`` command line."""
from __future__ import annotations

import argparse
import json
import sys
import warnings

from . import __version__


def _plugins(args) -> int:
    from .plugins import PluginWarning, get_manager

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", PluginWarning)
        mgr = get_manager()
        mgr.load()
    rows = []
    for info in sorted(mgr.plugins.values(), key=lambda i: i.name):
        provided = "; ".join(f"{kind}: {', '.join(names)}"
                             for kind, names in info.provides.items() if names)
        rows.append({"name": info.name, "version": info.version, "kind": info.kind,
                     "provides": provided or (f"ERROR: {info.error}" if info.error else "-"),
                     "distribution": info.distribution})
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        headers = ("name", "version", "kind", "provides", "distribution")
        widths = [max([len(h)] + [len(r[h]) for r in rows]) for h in headers]
        line = "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths))
        print(line.rstrip())
        for r in rows:
            print("  ".join(r[h].ljust(w) for h, w in zip(headers, widths)).rstrip())
        if not rows:
            print("(no plugins installed: install spinnframe-host and a neuron-model plugin)")
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return 1 if any(i.error for i in mgr.plugins.values()) else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="spinnframe",
                                     description="spinnframe: a PyNN simulator built from plugins")
    parser.add_argument("--version", action="version", version=f"spinnframe {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("plugins", help="list installed plugins: name, version, kind, what "
                                       "each provides")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_plugins)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
