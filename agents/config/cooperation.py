"""The fields that choose a region's cooperating satellites, shared by every config that draws regions.

:class:`SelectionFields` (mixed into ``RunConfig.region``, :class:`agents.config.CompareConfig` and
:class:`agents.config.WorldQuery`): ``selection`` ("connected", the default: the S satellites every
UT sees above the mask that are mutually reachable over the ISLs up within
``max_member_latency_s``; "nearest": the S nearest, reachable or not; "shell": as "connected", all
in one shell), ``allow_transit`` (satellites in transit may be members) and ``partial`` (when no
mutually reachable set exists, use the best partial set instead of refusing the region). The rule
itself is :class:`network.cooperation.SelectionRule`; :meth:`SelectionFields.rule` builds it.

:class:`CrossShellSpec` (``isl.cross_shell`` of a run, ``cross_shell`` of compare / world; None:
off): laser links between satellites of different shells, each satellite to its ``k`` nearest of
other shells within ``max_range_km`` (:class:`network.topology.CrossShellConfig`).

Pure pydantic (no numpy / network import at module load).
"""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["SelectionFields", "CrossShellSpec", "DEFAULT_MAX_MEMBER_LATENCY_S"]

DEFAULT_MAX_MEMBER_LATENCY_S = 0.05          # = network.cooperation.DEFAULT_MAX_MEMBER_LATENCY_S (a test checks)


class CrossShellSpec(BaseModel):
    """Links across shells: ``k`` per satellite (nearest of other shells), at most ``max_range_km`` long;
    ``mutual``: keep a link only if each end is among the other's k nearest."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    k: int = Field(2, ge=1, le=16)
    max_range_km: float = Field(2000.0, gt=0.0, le=20_000.0)
    mutual: bool = False

    def to_config(self):
        from network.topology import CrossShellConfig
        return CrossShellConfig(k=self.k, max_range_m=self.max_range_km * 1e3, mutual=self.mutual)


class SelectionFields(BaseModel):
    """How the cooperating satellites of a region are chosen (module docstring)."""

    selection: Literal["connected", "nearest", "shell"] = "connected"
    max_member_latency_s: float = Field(DEFAULT_MAX_MEMBER_LATENCY_S, gt=0.0, le=10.0, allow_inf_nan=False)
    allow_transit: bool = False
    partial: bool = False

    def rule(self):
        """The :class:`network.cooperation.SelectionRule` of these fields."""
        from network.cooperation import SelectionRule
        return SelectionRule(mode=self.selection, max_member_latency_s=self.max_member_latency_s,
                             allow_transit=self.allow_transit, partial=self.partial)
