"""Run a Brian2 cpp_standalone benchmark script and also measure the simulation binary alone.

Usage: python brian2_wrap.py SCRIPT [ARGS...]

The peak RSS that benchmarks/run.py takes for a subprocess (wait4's ru_maxrss) is the largest
of the whole process tree: for Brian2 standalone that tree holds Python, the C++ compiler (make,
cc1plus) and the compiled ``main``, and the compiler is often the largest. This wrapper sets
``prefs.devices.cpp_standalone.run_cmd_unix`` so that ``main`` runs under ``/usr/bin/time -f %M``
(or, without GNU time, under this script's own ``--exec`` mode, which reads wait4's rusage),
runs SCRIPT unmodified with ``runpy``, and prints one more JSON line:
``{"sim_rss_kb": <peak RSS of main in KiB>}``. run.py merges the JSON lines.
"""
import json
import os
import runpy
import subprocess
import sys
import tempfile

if len(sys.argv) > 3 and sys.argv[1] == "--exec":          # internal: python brian2_wrap.py --exec FILE CMD...
    out_file, cmd = sys.argv[2], sys.argv[3:]
    child = subprocess.Popen(cmd)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    with open(out_file, "w") as fh:
        fh.write(f"{usage.ru_maxrss}\n")
    sys.exit(child.returncode)

if len(sys.argv) < 2:
    sys.exit(__doc__)

import brian2  # noqa: E402  (after the --exec branch, which must start fast)

fd, rss_file = tempfile.mkstemp(prefix="b2rss_", suffix=".txt")
os.close(fd)
if os.access("/usr/bin/time", os.X_OK):
    run_cmd = ["/usr/bin/time", "-f", "%M", "-o", rss_file, "./main"]
else:
    run_cmd = [sys.executable, os.path.abspath(__file__), "--exec", rss_file, "./main"]
brian2.prefs.devices.cpp_standalone.run_cmd_unix = run_cmd

script = sys.argv[1]
sys.argv = sys.argv[1:]
try:
    runpy.run_path(script, run_name="__main__")
finally:
    rss = None
    try:
        with open(rss_file) as fh:
            lines = [ln.strip() for ln in fh if ln.strip()]
        rss = int(lines[-1]) if lines else None      # GNU time puts "%M" on the last line
    except (OSError, ValueError):
        pass
    os.unlink(rss_file)
    sys.stdout.flush()
    print(json.dumps({"sim_rss_kb": rss, "sim_rss_tool": run_cmd[0]}))
