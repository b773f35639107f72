"""Checks for ``spinnframe doctor``: is sPyNNaker installed, and does a board answer?

:func:`check_board` speaks SCP (SpiNNaker's command protocol, through spinnman) to the
board's monitor processor: it asks for the software version, the machine's dimensions and
the boot chip's details. Where nothing answers it raises :class:`BoardNotReachableError`
within ``timeout_s``, instead of spinnman's own retries (tens of seconds).
"""
from __future__ import annotations

import socket
import struct
import time

import attrs

from .errors import BoardNotReachableError, SpynnakerMissingError

#: UDP port of SC&MP, the monitor that answers SCP on every SpiNNaker board.
SCAMP_PORT = 17893


@attrs.frozen
class BoardInfo:
    """What a board said about itself."""

    address: str
    software: str          # e.g. "SC&MP/SpiNNaker 4.0.0"
    hardware: str
    boot_chip: tuple       # (x, y)
    width: int             # chips across the machine
    height: int
    n_cores: int           # processors on the boot chip
    ethernet_address: str | None
    round_trip_ms: float

    def describe(self) -> str:
        return (f"{self.address}: {self.software} on {self.hardware}, machine "
                f"{self.width} x {self.height} chips, boot chip {self.boot_chip} with "
                f"{self.n_cores} cores, answered in {self.round_trip_ms:.1f} ms")


def spinnman_version() -> str:
    """The installed spinnman's version, or a clear error if it is missing."""
    try:
        from spinnman import _version
    except ImportError as exc:
        raise SpynnakerMissingError(
            f"spinnman (installed with sPyNNaker) cannot be imported ({exc}); install the "
            f"backend with: pip install ./plugins/spinnaker") from exc
    return _version.__version__


def _ask(conn, request, deadline: float, address: str, what: str, port: int,
         timeout_s: float):
    """Send one SCP request and wait, until ``deadline``, for its response."""
    from spinnman.exceptions import SpinnmanIOException, SpinnmanTimeoutException
    from spinnman.messages.scp.enums import SCPResult

    seq = int(time.monotonic() * 1000) & 0x7FFF
    request.scp_request_header.sequence = seq
    last = None
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BoardNotReachableError(
                f"no SpiNNaker board answered at {address} (UDP port {port}) within "
                f"{timeout_s:g} s when "
                f"asked for {what}" + (f" ({last})" if last else "") +
                "; check the address, that the board is powered and booted, and that this "
                "machine can reach it")
        try:
            conn.send(conn.get_scp_data(request))
            result, got_seq, data, offset = conn.receive_scp_response(min(left, 0.5))
        except (SpinnmanTimeoutException, socket.timeout):
            last = "timed out"
            continue
        except (SpinnmanIOException, OSError) as exc:
            last = str(exc) or type(exc).__name__
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))
            continue
        if got_seq != seq:
            continue
        if result != SCPResult.RC_OK:
            raise BoardNotReachableError(f"the board at {address} refused the request for "
                                         f"{what}: {result.name}")
        response = request.get_scp_response()
        response.read_bytestring(data, offset)
        return response


def check_board(address: str, timeout_s: float = 3.0, port: int = SCAMP_PORT) -> BoardInfo:
    """Ask the SpiNNaker board at ``address`` (SC&MP's UDP ``port``) for its details,
    through spinnman.

    Returns a :class:`BoardInfo`; raises :class:`BoardNotReachableError` when nothing
    answers within ``timeout_s`` seconds (or the address is not valid), and
    :class:`SpynnakerMissingError` when spinnman is not installed."""
    if not isinstance(address, str) or not address.strip():
        raise BoardNotReachableError(f"a board address must be a host name or IP address, "
                                     f"got {address!r}")
    if not timeout_s > 0:
        raise ValueError(f"timeout_s must be > 0 seconds, got {timeout_s!r}")
    spinnman_version()
    from spinnman.connections.udp_packet_connections import SCAMPConnection
    from spinnman.constants import SYSTEM_VARIABLE_BASE_ADDRESS
    from spinnman.messages.scp.impl import GetChipInfo, GetVersion, ReadMemory
    from spinnman.messages.spinnaker_boot.system_variable_boot_values import (
        SystemVariableDefinition)

    start = time.monotonic()
    deadline = start + timeout_s
    try:
        host = socket.gethostbyname(address.strip())
    except OSError as exc:
        raise BoardNotReachableError(f"cannot resolve the board address {address!r}: "
                                     f"{exc}") from None
    try:
        conn = SCAMPConnection(chip_x=0, chip_y=0, remote_host=host, remote_port=port)
    except Exception as exc:
        raise BoardNotReachableError(f"cannot open a connection to {address}: {exc}") from None
    try:
        version = _ask(conn, GetVersion(0, 0, 0), deadline, address, "its version", port,
                       timeout_s)
        rtt = (time.monotonic() - start) * 1000.0
        info = version.version_info
        dims = _ask(conn, ReadMemory((info.x, info.y, 0), SYSTEM_VARIABLE_BASE_ADDRESS +
                                     SystemVariableDefinition.y_size.offset, 2),
                    deadline, address, "the machine's dimensions", port, timeout_s)
        height, width = struct.unpack_from("<BB", dims.data, dims.offset)
        chip = _ask(conn, GetChipInfo(info.x, info.y), deadline, address,
                    "the boot chip's details", port, timeout_s).chip_info
    finally:
        conn.close()
    software = f"{info.name} {'.'.join(map(str, info.version_number))}"
    return BoardInfo(address=address, software=software,
                     hardware=info.hardware, boot_chip=(info.x, info.y), width=width,
                     height=height, n_cores=chip.n_cores,
                     ethernet_address=chip.ethernet_ip_address, round_trip_ms=rtt)


def check_installation() -> dict:
    """What ``spinnframe doctor`` reports about the backend: the versions of sPyNNaker and
    spinnman, or the reason they cannot be used (never raises)."""
    out = {"plugin": "spinnframe-spinnaker"}
    try:
        import spynnaker
        out["spynnaker"] = spynnaker.__version__
        out["spinnman"] = spinnman_version()
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        out["error"] = f"{type(exc).__name__}: {exc}"
    return out
