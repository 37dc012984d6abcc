"""The query of ``satcoop world``: one seeded drop of the world model (:class:`WorldQuery`)."""
from __future__ import annotations

import math
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from .constellation import ConstellationSpec
from .cooperation import CrossShellSpec, SelectionFields

__all__ = ["WorldQuery", "parse_center", "MAX_ABS_T_S", "MAX_S_K", "WORLD_OPTIONS"]

MAX_ABS_T_S = 100 * 365.25 * 86400.0    # t_s limit: a century either side of the epoch
MAX_S_K = 10_000                         # S / K limit (memory grows ~20 kB per link; K = 1e5 needed 2 GB)
WORLD_OPTIONS = {"S": "--S", "K": "--K", "seed": "--seed", "t_s": "--t-s", "radius_km": "--radius-km",
                 "min_elevation_deg": "--min-elevation-deg", "scenario": "--scenario", "center": "--center",
                 "selection": "--selection", "max_member_latency_s": "--max-member-latency-s",
                 "allow_transit": "--allow-transit", "partial": "--partial", "cross_shell": "--cross-shell",
                 "max_propagation_days": "--max-propagation-days", "allow_far_from_epoch": "--allow-far-from-epoch"}


def parse_center(value) -> tuple[float, float] | None:
    """``"LAT,LON"`` (degrees) or a pair -> (lat, lon); ValueError with what is allowed otherwise."""
    if value is None:
        return None
    allowed = "expected LAT,LON in degrees with -90 <= LAT <= 90 and -180 <= LON <= 180"
    try:
        parts = value.split(",") if isinstance(value, str) else list(value)
        if len(parts) != 2:
            raise ValueError
        lat, lon = float(parts[0]), float(parts[1])
    except (ValueError, TypeError):
        raise ValueError(allowed) from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(allowed)
    return lat, lon


class WorldQuery(SelectionFields):
    """One drop: ``center`` (deg; None: drawn from the seed within coverage), S satellites, K UTs, ``seed``,
    ``t_s`` (s after the constellation epoch; None: drawn from the seed over one orbital period), the
    region radius, the elevation mask, the TR 38.811 scenario, the constellation; how the members are
    chosen (:class:`agents.config.cooperation.SelectionFields`) and ``cross_shell`` links (None: off)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    center: tuple[float, float] | None = None
    S: int = Field(3, ge=1, le=MAX_S_K)
    K: int = Field(12, ge=1, le=MAX_S_K)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    t_s: float | None = Field(None, ge=-MAX_ABS_T_S, le=MAX_ABS_T_S)
    radius_km: float = Field(800.0, gt=0.0, le=10_000.0)
    min_elevation_deg: float = Field(10.0, ge=0.0, le=89.9)
    scenario: Literal["urban", "dense_urban", "suburban"] = "urban"
    constellation: ConstellationSpec = Field(default_factory=ConstellationSpec)
    cross_shell: CrossShellSpec | None = None

    @field_validator("center", mode="before")
    @classmethod
    def _center(cls, v):
        return parse_center(v)
