"""What crosses the agent / driver / evaluator boundary of the live simulation: typed, picklable records.

The driver tells an agent what happens at a time (:class:`TickInput`); the agent answers with a
:class:`StepOutput`: the messages it puts on the bus (:class:`agents.protocol.Send`), the precoders
it now holds per scheme (:class:`HeldPrecoders`, only those that changed), the on-board computations
it started (:class:`ComputeRecord`), its protocol events (:class:`AgentEvent`), the measurement time
of each peer's newest SSI it holds and the time it next acts on its own. The evaluator reads the
held precoders. Everything here is plain data (Ray pickles it between processes).

Times are episode seconds (0 at the episode start); arrays are numpy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

__all__ = ["UTView", "Delivery", "TickInput", "HeldPrecoders", "ComputeRecord", "AgentEvent", "StepOutput",
           "COMPUTE_COLUMNS"]


@dataclass(frozen=True)
class UTView:
    """The region's UTs at the tick: latitude / longitude [K] (deg), ITRS positions [K,3] (m)."""

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    itrs_m: np.ndarray


@dataclass(frozen=True)
class Delivery:
    """A message the bus delivered: the message, its sender's id and its arrival time (s)."""

    msg: object
    src: int
    t_arrive_s: float


@dataclass(frozen=True)
class TickInput:
    """What the driver tells one agent at episode time ``t_s``.

    ut: the region's UTs; members: the cooperating satellites' ids (slot order); central: the elected
    central's id (None when no centralized scheme runs); update: the index of the precoding update that
    starts now, or -1; update_index: the current update's index; ssi: an SSI instant; inbox: what the
    bus delivered since the agent's last call; measure: a tick (propagate the own orbit and measure the
    local sCSI anew) rather than an event time between ticks (deliveries and due results only).
    """

    t_s: float
    ut: UTView
    members: tuple
    central: int | None
    update: int = -1
    update_index: int = 0
    ssi: bool = False
    inbox: tuple = ()
    measure: bool = False

    @property
    def starts_update(self) -> bool:
        return self.update >= 0


@dataclass(frozen=True)
class HeldPrecoders:
    """The precoders a satellite holds for one scheme: p [K,M] and the UTs' receive vectors b [K,N].

    version: increases whenever they change; t_csi_s: time of the oldest sCSI they were computed from;
    update: the update they belong to; complete: computed with every member's data of that update;
    source: "own" (separate / decentralized / the central's own share), "central", "bundle" or
    "fallback"; t_data_s: the time of the lane's newest own/centralized data (the precoder age is
    t - t_data_s; for a member on its fallback, the age of its newest centralized precoders)."""

    version: int
    p: np.ndarray
    b: np.ndarray
    t_csi_s: float
    update: int
    complete: bool
    source: str
    t_data_s: float | None


COMPUTE_COLUMNS = ("region", "sat", "lane", "kind", "scheme", "update", "t_start_s", "t_ready_s", "flops",
                   "iterations", "wall_s", "flops_source", "at_iter_limit")


@dataclass(frozen=True)
class ComputeRecord:
    """One on-board computation: on satellite ``sat`` of ``region``, for scheme lane ``lane``, of kind
    "own" / "fallback" / "central", running scheme ``scheme`` for update ``update``; started at
    ``t_start_s``, result usable from ``t_ready_s`` = start + flops / onboard_flops (s); ``flops`` as
    counted by the scheme, its outer ``iterations``, the real ``wall_s`` it took here, ``flops_source``;
    ``at_iter_limit``: stopped at the scheme's iteration limit without meeting its tolerance (None for a
    scheme that reports no convergence)."""

    region: int
    sat: int
    lane: str
    kind: str
    scheme: str
    update: int
    t_start_s: float
    t_ready_s: float
    flops: float
    iterations: int
    wall_s: float
    flops_source: str = "counted"
    at_iter_limit: bool | None = None

    def row(self) -> dict:
        return {c: getattr(self, c) for c in COMPUTE_COLUMNS}


@dataclass(frozen=True)
class AgentEvent:
    """A protocol event an agent saw (e.g. ``timeout``: a central computed without every fresh report)."""

    t_s: float
    type: str
    scheme: str
    sat: int
    update: int
    detail: str
    region: int

    def to_dict(self) -> dict:
        return {"t_s": self.t_s, "type": self.type, "scheme": self.scheme, "sat": self.sat, "update": self.update,
                "detail": self.detail, "region": self.region}


@dataclass
class StepOutput:
    """An agent's answer to one :class:`TickInput` (see the module docstring)."""

    sends: list = field(default_factory=list)
    held: dict = field(default_factory=dict)
    computes: list = field(default_factory=list)
    events: list = field(default_factory=list)
    peers: dict = field(default_factory=dict)
    wake_s: float = math.inf
