"""Latency of one inter-satellite link (ISL) hop.

A message of ``bits`` crossing one hop of length ``length_m`` takes::

    latency_s = length_m / c  +  processing_s  +  bits / rate_bps

(propagation in vacuum, a fixed per-hop processing / switching delay, and
serialisation onto the link). Hops are store-and-forward: a message is fully
received at a node before it is forwarded, so a path's latency is the sum of
its hops' latencies. There is no queueing or contention model: every message
sees an idle link (the bits are accounted, see :mod:`network.bus`).
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
        Link data rate (bit/s), default 1 Gbit/s; serialisation = bits / rate_bps.
    """

    processing_s: float = 1e-3
    rate_bps: float = 1e9

    def __post_init__(self):
        if not (isinstance(self.processing_s, (int, float)) and math.isfinite(self.processing_s)
                and self.processing_s >= 0.0):
            raise ValueError(f"LinkConfig.processing_s = {self.processing_s!r}: "
                             "must be a finite number of seconds >= 0")
        if not (isinstance(self.rate_bps, (int, float)) and math.isfinite(self.rate_bps)
                and self.rate_bps > 0.0):
            raise ValueError(f"LinkConfig.rate_bps = {self.rate_bps!r}: must be a finite bit rate > 0 (bit/s)")

    def hop_constant_s(self, bits: float) -> float:
        """The length-independent part of a hop's latency (s): processing + bits / rate."""
        if bits < 0:
            raise ValueError(f"bits = {bits!r}: a message size must be >= 0")
        return self.processing_s + float(bits) / self.rate_bps

    def hop_latency_s(self, length_m, bits: float = 0.0):
        """Latency (s) of hop(s) of length ``length_m`` (m, scalar or array) for a message of ``bits``."""
        return np.asarray(length_m, float) / SPEED_OF_LIGHT_M_S + self.hop_constant_s(bits)

    def path_latency_s(self, lengths_m, bits: float = 0.0) -> float:
        """Total latency (s) of a path whose hops have lengths ``lengths_m`` (m)."""
        lengths = np.asarray(lengths_m, float).ravel()
        return float(np.sum(self.hop_latency_s(lengths, bits))) if lengths.size else 0.0

    def to_dict(self) -> dict:
        return asdict(self)
