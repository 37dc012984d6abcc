"""Latency of one inter-satellite link (ISL) hop.

A message of ``bits`` crossing one hop of length ``length_m`` takes::

    latency_s = length_m / c  +  processing_s  +  bits / service_rate_bps

(propagation in vacuum, a fixed per-hop processing / switching delay, and
serialisation onto the link) when the link is idle. Hops are store-and-forward:
a message is fully received at a node before it is forwarded, so a path's
latency on idle links is the sum of its hops' latencies. On a busy link the
message first waits for the link (each direction a FIFO server,
:mod:`network.queueing`, applied by :mod:`network.bus`).

Background load: ``background_load`` (a fraction of capacity, constant, the
same on every link) is traffic that is not the simulation's own (user data,
other operators' flows). It takes its share of the capacity, so the
simulation's messages are served at the residual rate
``service_rate_bps = rate_bps * (1 - background_load)``. This is the fluid
limit of a link scheduler that guarantees the cooperation traffic the rest of
the capacity (weighted fair queueing, a reserved TDM share). It is chosen over
simulating background packets: at Gbit/s a loaded link carries ~1e5
packets/s, times thousands of links, which no episode could afford; the cost is
that background traffic adds no random waits of its own (only our own traffic
queues behind itself).
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

SPEED_OF_LIGHT_M_S = 299_792_458.0


@dataclass(frozen=True)
class LinkConfig:
    """Per-hop delay model of every ISL.

    Attributes
    ----------
    processing_s : float
        Fixed processing / switching delay per hop (s), default 1 ms.
    rate_bps : float
        Link data rate (bit/s), default 1 Gbit/s.
    background_load : float
        Share of every link's capacity taken by background traffic, in [0, 1), default 0;
        serialisation = bits / service_rate_bps (see module docstring).
    """

    processing_s: float = 1e-3
    rate_bps: float = 1e9
    background_load: float = 0.0

    def __post_init__(self):
        if not (isinstance(self.processing_s, (int, float)) and math.isfinite(self.processing_s)
                and self.processing_s >= 0.0):
            raise ValueError(f"LinkConfig.processing_s = {self.processing_s!r}: "
                             "must be a finite number of seconds >= 0")
        if not (isinstance(self.rate_bps, (int, float)) and math.isfinite(self.rate_bps)
                and self.rate_bps > 0.0):
            raise ValueError(f"LinkConfig.rate_bps = {self.rate_bps!r}: must be a finite bit rate > 0 (bit/s)")
        if not (isinstance(self.background_load, (int, float)) and 0.0 <= self.background_load < 1.0):
            raise ValueError(f"LinkConfig.background_load = {self.background_load!r}: must be a share of the "
                             "link capacity in [0, 1)")

    @property
    def service_rate_bps(self) -> float:
        """The rate (bit/s) at which the simulation's messages are serialised: what background load leaves."""
        return self.rate_bps * (1.0 - self.background_load)

    def serialisation_s(self, bits: float) -> float:
        """Time (s) a message of ``bits`` holds a link: bits / service_rate_bps."""
        if bits < 0:
            raise ValueError(f"bits = {bits!r}: a message size must be >= 0")
        return float(bits) / self.service_rate_bps

    def hop_constant_s(self, bits: float) -> float:
        """The length-independent part of an idle hop's latency (s): processing + serialisation."""
        return self.processing_s + self.serialisation_s(bits)

    def hop_latency_s(self, length_m, bits: float = 0.0):
        """Latency (s) of hop(s) of length ``length_m`` (m, scalar or array) for a message of ``bits``."""
        return np.asarray(length_m, float) / SPEED_OF_LIGHT_M_S + self.hop_constant_s(bits)

    def path_latency_s(self, lengths_m, bits: float = 0.0) -> float:
        """Total latency (s) of a path whose hops have lengths ``lengths_m`` (m)."""
        lengths = np.asarray(lengths_m, float).ravel()
        return float(np.sum(self.hop_latency_s(lengths, bits))) if lengths.size else 0.0

    def to_dict(self) -> dict:
        return asdict(self)
