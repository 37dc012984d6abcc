"""The config of ``satcoop lpdft`` (the LP-DFT paper's Figs. 3-6): :class:`LPDFTSweepConfig`.

One swept ``parameter`` (``power_w`` W, ``users``, ``ura`` ``"NxM"``, ``spacing`` wavelengths) with its
``values``; ``drops`` seeded user drops per value; the satellite at a fixed ``altitude_km`` (``orbit =
"meo"``, default 10,000 km) or satellite ``sat`` of ``constellation`` propagated to ``t_s`` (``orbit =
"leo"``: only its altitude is taken).
"""
from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .constellation import ConstellationSpec

__all__ = ["LPDFTSweepConfig", "LPDFT_OPTIONS", "MAX_ABS_T_S", "ura_pair"]

MAX_ABS_T_S = 100 * 365.25 * 86400.0
LPDFT_OPTIONS = {"drops": "--drops", "seed": "--seed", "altitude_km": "--altitude-km", "sat": "--sat",
                 "t_s": "--t-s", "max_iter": "--max-iter", "method": "--method", "orbit": "--orbit"}
SWEEP_OPTIONS = {"power_w": "--power-w", "users": "--users", "ura": "--ura", "spacing": "--spacing"}


def ura_pair(text) -> tuple[int, int]:
    """``"8x8"`` or a pair -> (nx, ny), both >= 1; ValueError saying what is allowed otherwise."""
    parts = list(text) if isinstance(text, (tuple, list)) else str(text).lower().split("x")
    try:
        nx, ny = (int(p) for p in parts)
    except (TypeError, ValueError):
        raise ValueError(f"{text!r}: expected NxM with positive integers, e.g. 8x8") from None
    if nx < 1 or ny < 1:
        raise ValueError(f"{text!r}: both sides must be >= 1 element, e.g. 8x8")
    return nx, ny


def _check_value(parameter: str, v):
    """One swept value, checked against the parameter's documented range."""
    if parameter == "ura":
        return ura_pair(v)
    if parameter == "users":
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 256:
            raise ValueError(f"{v!r}: must be an integer in [1, 256]")
        return v
    hi, unit = (1e6, "W") if parameter == "power_w" else (10.0, "wavelengths")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and 0 < v <= hi):
        raise ValueError(f"{v!r}: must be a finite number in (0, {hi:g}] {unit}")
    return float(v)


class LPDFTSweepConfig(BaseModel):
    """See the module docstring."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    parameter: Literal["power_w", "users", "ura", "spacing"]
    values: list[Any] = Field(min_length=1)
    drops: int = Field(20, ge=1, le=100_000)
    seed: int = Field(0, ge=0, le=2**63 - 1)
    method: Literal["exact", "subgradient"] = "exact"
    max_iter: int = Field(50, ge=1, le=10_000)
    radiated_budget: bool = False
    orbit: Literal["meo", "leo"] = "meo"
    altitude_km: float | None = Field(None, ge=100.0, le=100_000.0)
    sat: str | int | None = None
    t_s: float | None = Field(None, ge=-MAX_ABS_T_S, le=MAX_ABS_T_S)
    constellation: ConstellationSpec | None = None

    @model_validator(mode="after")
    def _rules(self):
        opt = SWEEP_OPTIONS[self.parameter]
        checked = []
        for v in self.values:
            try:
                checked.append(_check_value(self.parameter, v))
            except ValueError as exc:
                raise ValueError(f"{opt} {exc}") from None
        seen = []
        for v in checked:
            if v in seen:
                raise ValueError(f"{opt}: {v!r} given more than once; give each value once")
            seen.append(v)
        self.values = [list(v) if isinstance(v, tuple) else v for v in checked] if self.parameter != "ura" \
            else checked
        if self.orbit == "leo":
            if self.altitude_km is not None:
                raise ValueError("--altitude-km: not with --orbit leo (the altitude comes from the orbit)")
        else:
            if self.constellation is not None:
                raise ValueError("the constellation options (--tle, --walker, ...) apply only with --orbit leo")
            for opt, value in (("--sat", self.sat), ("--t-s", self.t_s)):
                if value is not None:
                    raise ValueError(f"{opt}: only with --orbit leo (a satellite of the constellation)")
        return self
