"""udp_spikes: a spinnframe recorder that sends spikes to a UDP port as the run goes.

Select it from a PyNN script (the listener must be on this machine)::

    sim.setup(timestep=0.1, recorders={"udp_spikes": {"port": 17000}})

Every chunk of spikes the simulation produces (at most 10 000 time steps' worth) becomes
one or more datagrams, sent while the run continues. A datagram is a UTF-8 JSON object
(decode it with :func:`decode`)::

    {"type": "start", "seq": 0, "segment": 0, "t_start": 0.0, "t_stop": 1000.0,
     "populations": {"cells": 100}}
    {"type": "spikes", "seq": 1, "segment": 0, "population": "cells",
     "indices": [3, 17], "times": [1.3, 1.3]}              # neuron index, time in ms
    {"type": "end", "seq": 2, "segment": 0, "t": 1000.0}   # the run has finished
    {"type": "close", "seq": 3}                             # end() was called

``seq`` counts the datagrams, so a listener can tell if one was lost (UDP does not
retransmit). Options: ``port`` (required), ``host`` (default ``"127.0.0.1"``),
``populations`` (labels to send; default all that record spikes),
``max_spikes_per_packet`` (default 1000, which keeps datagrams well under 64 KiB).
"""
from __future__ import annotations

import json
import socket

from spinnframe import hookimpl
from spinnframe.recording import DataRecorder
from spinnframe.specs import RecorderSpec

__all__ = ["UdpSpikeRecorder", "decode"]


class UdpSpikeRecorder(DataRecorder):
    """Sends each chunk of spikes as JSON datagrams to ``(host, port)``."""

    def __init__(self, context=None, port=None, host="127.0.0.1", populations=None,
                 max_spikes_per_packet=1000):
        if not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"udp_spikes needs a port number (1-65535), got {port!r}")
        self.address = (host, port)
        self.populations = None if populations is None else set(populations)
        self.max_spikes = int(max_spikes_per_packet)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.seq = 0
        self.segment = 0

    def _send(self, message: dict) -> None:
        message["seq"] = self.seq
        self.seq += 1
        self.sock.sendto(json.dumps(message).encode(), self.address)

    def start_run(self, run):
        self.segment = run.segment
        self._send({"type": "start", "segment": run.segment, "t_start": run.t_start,
                    "t_stop": run.t_stop,
                    "populations": {p.label: p.size for p in run.populations
                                    if len(p.spikes) and self._wanted(p.label)}})

    def _wanted(self, label: str) -> bool:
        return self.populations is None or label in self.populations

    def spikes(self, chunk):
        if not self._wanted(chunk.label):
            return
        times = chunk.times
        for a in range(0, len(chunk), self.max_spikes):
            self._send({"type": "spikes", "segment": chunk.segment,
                        "population": chunk.label,
                        "indices": chunk.indices[a:a + self.max_spikes].tolist(),
                        "times": times[a:a + self.max_spikes].tolist()})

    def end_run(self, run):
        self._send({"type": "end", "segment": run.segment, "t": run.t_stop})

    def close(self):
        try:
            self._send({"type": "close"})
        finally:
            self.sock.close()

    def destination(self):
        return f"UDP datagrams to {self.address[0]}:{self.address[1]}"


def decode(datagram: bytes) -> dict:
    """A datagram sent by the recorder, as a dict."""
    return json.loads(datagram.decode())


@hookimpl
def spinnframe_recorders():
    return [RecorderSpec("udp_spikes", factory=UdpSpikeRecorder,
                         description="streams spikes live as JSON datagrams to a UDP port "
                                     "(options: port, host, populations)")]
