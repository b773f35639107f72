"""Which SpiNNaker machine to use, and sPyNNaker's configuration for it.

sPyNNaker reads its settings from ``.spynnaker.cfg`` files (system, user and home
folders, then ``spynnaker.cfg`` in the working directory), and when it finds none it writes
a template ``~/.spynnaker.cfg`` and stops. The backend spares its users that: it reads those
files itself (so an existing sPyNNaker setup keeps working), applies spinnframe's settings
on top, writes the result to a private folder, and has sPyNNaker read only that file.

Settings, lowest precedence first:

1. sPyNNaker's own cfg files, if any (``[Machine] machine_name``/``spalloc_server``/
   ``virtual_board``/``version``).
2. Environment: ``SPINNFRAME_SPINNAKER_MACHINE`` = a board address, ``virtual`` or
   ``virtual:VERSION``, ``spalloc:URL`` (or any ``http(s)://`` URL: a spalloc server);
   ``SPINNFRAME_SPINNAKER_VERSION`` (board version, default 5); ``SPINNFRAME_SPINNAKER_DIR``
   (work folder); ``SPINNFRAME_SPINNAKER_VERBOSE=1`` (show sPyNNaker's log).
3. ``setup(backend="spinnaker", spinnaker={...})`` with the keys of :data:`OPTION_KEYS`.
"""
from __future__ import annotations

import configparser
import os
from pathlib import Path

import attrs

from .errors import MachineConfigError

ENV_MACHINE = "SPINNFRAME_SPINNAKER_MACHINE"
ENV_VERSION = "SPINNFRAME_SPINNAKER_VERSION"
ENV_DIR = "SPINNFRAME_SPINNAKER_DIR"
ENV_VERBOSE = "SPINNFRAME_SPINNAKER_VERBOSE"

#: Keys of setup(spinnaker={...}), with what they mean.
OPTION_KEYS = {
    "machine": "address (host name or IP) of a SpiNNaker board",
    "spalloc_server": "URL of a spalloc server that allocates boards",
    "virtual_board": "True: map onto a virtual board, without hardware (nothing runs)",
    "version": "board version: 5 for 48-chip boards (the default), 3 for 4-chip boards",
    "n_boards_required": "boards to ask spalloc for before mapping",
    "time_scale_factor": "slow the machine's clock down by this factor",
    "work_dir": "folder for sPyNNaker's configuration, reports and log",
    "verbose": "True: show sPyNNaker's log and progress bars",
    "cfg": "further sPyNNaker settings: {section: {option: value}}",
}
_MACHINE_KEYS = ("virtual_board", "machine_name", "spalloc_server", "remote_spinnaker_url")
DEFAULT_VERSION = 5
_VERSIONS = (3, 5, 201, 248)
_NONE = ("", "none")


def _norm(option: str) -> str:
    """sPyNNaker's option names ignore case and underscores (machineName = machine_name)."""
    return option.lower().replace("_", "")


def _parser() -> configparser.RawConfigParser:
    p = configparser.RawConfigParser(strict=False)
    p.optionxform = _norm
    return p


@attrs.frozen
class Settings:
    """The machine and how to talk to it, as the backend uses them."""

    virtual_board: bool
    version: int | None
    machine: str | None
    spalloc_server: str | None
    n_boards_required: int | None
    time_scale_factor: int | None
    work_dir: Path
    verbose: bool
    cfg: configparser.RawConfigParser = attrs.field(eq=False, repr=False)
    #: where each machine setting came from, for error messages
    sources: tuple = ()

    def describe(self) -> str:
        if self.virtual_board:
            return f"a virtual SpiNNaker board (version {self.version})"
        if self.spalloc_server:
            return f"boards from the spalloc server {self.spalloc_server}"
        return f"the SpiNNaker board at {self.machine} (version {self.version})"

    def cfg_path(self) -> Path:
        return self.work_dir / "spynnaker.cfg"

    def write_cfg(self) -> Path:
        """Write sPyNNaker's configuration to :meth:`cfg_path` and return the path."""
        self.work_dir.mkdir(parents=True, exist_ok=True)
        path = self.cfg_path()
        with open(path, "w", encoding="utf-8") as f:
            f.write("# written by spinnframe's spinnaker backend for each simulation\n")
            self.cfg.write(f)
        return path


def spynnaker_cfg_files(cwd: str | os.PathLike | None = None) -> list[Path]:
    """The cfg files sPyNNaker itself would read, in its order (later ones win)."""
    try:                       # the folders sPyNNaker's config holder searches
        import appdirs
        site, user = appdirs.site_config_dir(), appdirs.user_config_dir()
    except ImportError:        # (appdirs comes with sPyNNaker); its answer on Linux
        site = (os.environ.get("XDG_CONFIG_DIRS") or "/etc/xdg").split(os.pathsep)[0]
        user = os.environ.get("XDG_CONFIG_HOME") or os.path.expanduser("~/.config")
    home = [Path(site) / ".spynnaker.cfg", Path(user) / ".spynnaker.cfg",
            Path(os.path.expanduser("~")) / ".spynnaker.cfg"]
    local = Path(cwd or os.curdir) / "spynnaker.cfg"
    return [p for p in home + [local] if p.is_file()]


def _read(parser: configparser.RawConfigParser, path: Path) -> None:
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise MachineConfigError(f"cannot read sPyNNaker's configuration file {path}: "
                                 f"{exc}") from None
    spec = parser.get("Machine", "machinespecfile", fallback=None)
    if spec is not None:
        parser.remove_option("Machine", "machinespecfile")
        if spec.strip().lower() not in _NONE:
            _read(parser, Path(os.path.expanduser(spec)))


def _value(parser, option, section="Machine"):
    v = parser.get(section, _norm(option), fallback=None)
    return None if v is None or v.strip().lower() in _NONE else v.strip()


def _env_machine(value: str) -> dict:
    v = value.strip()
    low = v.lower()
    if low == "virtual" or low.startswith("virtual:"):
        out = {"virtual_board": True}
        if ":" in v:
            out["version"] = v.split(":", 1)[1]
        return out
    if low.startswith("spalloc:"):
        return {"spalloc_server": v.split(":", 1)[1]}
    if low.startswith(("http://", "https://")):
        return {"spalloc_server": v}
    if not v:
        raise MachineConfigError(f"{ENV_MACHINE} is set but empty")
    return {"machine": v}


def _bool(name, value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on", "0",
                                                            "false", "no", "off", ""):
        return value.strip().lower() in ("1", "true", "yes", "on")
    raise MachineConfigError(f"spinnaker option {name} must be True or False, got {value!r}")


def _int(name, value, allowed=None) -> int | None:
    if value is None:
        return None
    try:
        i = int(value)
        if i != float(value) or isinstance(value, bool):
            raise ValueError
    except (TypeError, ValueError):
        raise MachineConfigError(f"spinnaker option {name} must be a whole number, "
                                 f"got {value!r}") from None
    if allowed is not None and i not in allowed:
        raise MachineConfigError(f"spinnaker option {name} must be one of {allowed}, got {i}")
    if allowed is None and i < 1:
        raise MachineConfigError(f"spinnaker option {name} must be at least 1, got {i}")
    return i


def default_work_dir() -> Path:
    from spinnframe.simulator import default_cache_dir
    return Path(default_cache_dir()) / "spinnaker"


def settings(options: dict | None = None, environ=None, cwd=None) -> Settings:
    """The settings for one simulation, from setup()'s options (``options["spinnaker"]``),
    the environment and sPyNNaker's cfg files (see the module's documentation).

    Raises :class:`MachineConfigError` when no machine is given or settings are invalid."""
    environ = os.environ if environ is None else environ
    given = (options or {}).get("spinnaker") or {}
    if not isinstance(given, dict):
        raise MachineConfigError(f"setup(spinnaker=...) must be a dict with keys from "
                                 f"{sorted(OPTION_KEYS)}, got {given!r}")
    unknown = sorted(set(given) - set(OPTION_KEYS) - {"machine_name"})
    if unknown:
        raise MachineConfigError(
            f"setup(spinnaker=...): unknown key(s) {unknown}; the keys are: " +
            "; ".join(f"{k} ({v})" for k, v in OPTION_KEYS.items()))
    given = dict(given)
    if "machine_name" in given:
        given.setdefault("machine", given.pop("machine_name"))

    cfg = _parser()
    files = spynnaker_cfg_files(cwd)
    for path in files:
        _read(cfg, path)
    source = f"sPyNNaker's configuration ({', '.join(map(str, files))})" if files else None

    # the machine: setup() options, else the environment, else the cfg files
    machine: dict = {}
    for layer, where in ((given, "setup(spinnaker=...)"),
                         (_env_machine(environ[ENV_MACHINE]) if environ.get(ENV_MACHINE)
                          else {}, ENV_MACHINE)):
        chosen = {k: layer[k] for k in ("virtual_board", "machine", "spalloc_server")
                  if layer.get(k) not in (None, False)}
        if len(chosen) > 1:
            raise MachineConfigError(f"{where} names more than one machine: {chosen}; give "
                                     f"one of machine, spalloc_server or virtual_board")
        if chosen and not machine:
            machine = dict(chosen, source=where)
        if "version" in layer and "version" not in machine and (chosen or machine):
            machine["version"] = layer["version"]
    if not machine and source:
        if _bool("virtual_board", _value(cfg, "virtual_board") or "False"):
            machine = {"virtual_board": True}
        elif _value(cfg, "spalloc_server") or _value(cfg, "remote_spinnaker_url"):
            machine = {"spalloc_server": _value(cfg, "spalloc_server")}
        elif _value(cfg, "machine_name"):
            machine = {"machine": _value(cfg, "machine_name")}
        if machine:
            machine["source"] = source
            machine["version"] = _value(cfg, "version")
    if not machine:
        raise MachineConfigError(
            "no SpiNNaker machine is configured for backend='spinnaker'. Give one with "
            "setup(backend='spinnaker', spinnaker={'machine': '<board address>'}) (or "
            "{'spalloc_server': '<url>'}, or {'virtual_board': True} to map without "
            f"hardware), or set {ENV_MACHINE} to a board address, 'spalloc:<url>' or "
            "'virtual', or put [Machine] machine_name and version in ~/.spynnaker.cfg "
            "(see docs/backends/spinnaker.md)")
    version = machine.get("version")
    if version is None:
        version = given.get("version", environ.get(ENV_VERSION) or _value(cfg, "version"))
    version = _int("version", version, _VERSIONS)
    if version is None and not machine.get("spalloc_server"):
        version = DEFAULT_VERSION
    virtual = bool(machine.get("virtual_board"))
    if virtual and version == 3:
        raise MachineConfigError("sPyNNaker has no virtual board of version 3; use version 5")

    work_dir = Path(os.path.expanduser(str(given.get("work_dir") or environ.get(ENV_DIR)
                                           or default_work_dir()))).resolve()
    verbose = _bool("verbose", given.get("verbose", environ.get(ENV_VERBOSE, False)))

    # spinnframe's settings over sPyNNaker's
    def put(section, option, value):
        if not cfg.has_section(section):
            cfg.add_section(section)
        cfg.set(section, _norm(option), "None" if value is None else str(value))

    if machine["source"] != source:       # given to spinnframe: replaces the cfg's machine
        for key in _MACHINE_KEYS:
            put("Machine", key, None)
        put("Machine", "virtual_board", virtual)
        put("Machine", "machine_name", machine.get("machine"))
        put("Machine", "spalloc_server", machine.get("spalloc_server"))
    put("Machine", "version", version)
    put("Reports", "default_report_file_path", work_dir)
    put("Logging", "instantiate", verbose)
    extra = given.get("cfg") or {}
    if not isinstance(extra, dict) or not all(isinstance(v, dict) for v in extra.values()):
        raise MachineConfigError("spinnaker option cfg must be {section: {option: value}}, "
                                 f"got {extra!r}")
    for section, values in extra.items():
        for option, value in values.items():
            put(section, option, value)
    return Settings(
        virtual_board=virtual, version=version, machine=machine.get("machine"),
        spalloc_server=machine.get("spalloc_server"),
        n_boards_required=_int("n_boards_required", given.get("n_boards_required")),
        time_scale_factor=_int("time_scale_factor", given.get("time_scale_factor")),
        work_dir=work_dir, verbose=verbose, cfg=cfg, sources=(machine["source"],))
