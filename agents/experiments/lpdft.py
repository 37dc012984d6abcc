"""Sum rate of every LP-DFT scheme along one swept parameter (the paper's Figs. 3-6).

Each sweep value gets a fresh generator ``np.random.default_rng(seed)`` so the
values share their user drops where the drop does not depend on the value
(common random numbers: power and spacing sweeps see the same user positions;
a users sweep draws K users from the same stream).
"""
from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from agents.config.constellation import ConstellationSpec
from agents.config.errors import BadInput
from agents.config.lpdft import LPDFTSweepConfig, ura_pair
from agents.lpdft.algorithms import LPDFT_SCHEMES, run_scheme, scale_to_radiated_budget
from agents.lpdft.fdp import FDP_VARIANTS
from agents.lpdft.scenario import LPDFTConfig, draw_scenario

__all__ = ["RADIATED_RTOL", "SWEEPABLE", "over_budget", "parse_ura", "sweep", "run_lpdft", "base_config"]

RADIATED_RTOL = 1e-9     # radiated power above P (1 + this) counts as over the budget

# CLI option -> (config field, converter)
SWEEPABLE = {
    "power_w": ("power_w", float),
    "users": ("n_users", int),
    "ura": ("ura", None),
    "spacing": ("spacing_wl", float),
}


def parse_ura(text) -> tuple[int, int]:
    """``"8x8"`` -> (8, 8); :class:`BadInput` naming ``--ura`` otherwise (both sides must be >= 1)."""
    try:
        return ura_pair(text)
    except ValueError as exc:
        raise BadInput(f"--ura {exc}") from None


def _value_label(param: str, value):
    return f"{value[0]}x{value[1]}" if param == "ura" else value


def sweep(param: str, values: Iterable, base: LPDFTConfig | None = None, *, drops: int = 20, seed: int = 0,
          schemes: Iterable[str] = tuple(LPDFT_SCHEMES), method: str = "exact", max_iter: int = 50,
          radiated_budget: bool = False, progress: Callable | None = None) -> dict:
    """Run ``schemes`` on ``drops`` drops for every value of ``param`` (a key of :data:`SWEEPABLE`).

    ``schemes``: names of :data:`agents.lpdft.algorithms.LPDFT_SCHEMES` and of the FDP power
    normalisations of the paper's ref. [10], :data:`agents.lpdft.fdp.FDP_VARIANTS`
    (``MMSE-FDP-SPC`` = ``MMSE-FDP``, ``MMSE-FDP-MPC``, ``MMSE-FDP-PAC``, and the MF analogues).

    ``radiated_budget``: scale every scheme's W down (if needed) so that its *radiated* power
    ``||B A W||_F^2`` is within P (only matters for a window smaller than the FFT).
    ``progress(n_total)`` may return a tqdm-like object with ``update()`` and ``close()``.

    Returns ``{"results": [{"scheme", "param", "value", "sum_rate_bps_hz", "sum_rate_std_bps_hz",
    "sum_rate_gbps", "power_w", "radiated_power_w", "radiated_power_max_w", "radiated_over_budget",
    "drops"}], "config": {...}}`` (means over drops; ``power_w`` the budget P, ``radiated_power_w`` /
    ``radiated_power_max_w`` the mean / largest radiated power ``||T F A W||_F^2`` over the drops,
    ``radiated_over_budget`` the fraction of drops radiating more than P). With the default
    DFT-input budget ``||W||_F^2 <= P`` and a URA smaller than the FFT, the LP-DFT family can
    radiate up to N / N_a times P (overlapping beams add coherently), so its rates are then not
    comparable with the fully digital schemes, which radiate exactly P: see :func:`over_budget`.
    """
    if param not in SWEEPABLE:
        raise BadInput(f"swept parameter must be one of {list(SWEEPABLE)}, got {param!r}")
    base = base or LPDFTConfig()
    field, conv = SWEEPABLE[param]
    values = [parse_ura(v) if param == "ura" else conv(v) for v in values]
    if not values:
        raise BadInput(f"--{param.replace('_', '-')}: give at least one value")
    schemes = list(schemes)
    for name in schemes:
        if name not in LPDFT_SCHEMES and name not in FDP_VARIANTS:
            raise BadInput(f"scheme must be one of {list(LPDFT_SCHEMES) + list(FDP_VARIANTS)}, got {name!r}")
    if isinstance(drops, bool) or int(drops) != drops or drops < 1:
        raise BadInput(f"--drops must be a positive integer, got {drops!r}")
    cfgs = []
    for v in values:
        try:
            cfgs.append(base.replace(**{field: v}))
        except ValueError as exc:
            raise BadInput(f"--{param.replace('_', '-')} {_value_label(param, v)}: {exc}") from None
    bar = progress(len(values) * len(schemes)) if progress else None
    rows = []
    for v, cfg in zip(values, cfgs):
        scn = draw_scenario(cfg, int(drops), np.random.default_rng(seed))
        for name in schemes:
            opts = {"method": method, "max_iter": max_iter} if name == "LP-DFT" else {}
            res = FDP_VARIANTS[name](scn) if name in FDP_VARIANTS else run_scheme(name, scn, **opts)
            if radiated_budget:
                res = scale_to_radiated_budget(res, scn)
            sr = res.sum_rate_bps_hz
            rad = res.radiated_power_w
            rows.append({"scheme": name, "param": param, "value": _value_label(param, v),
                         "sum_rate_bps_hz": float(sr.mean()), "sum_rate_std_bps_hz": float(sr.std()),
                         "sum_rate_gbps": float(sr.mean() * cfg.bandwidth_hz / 1e9),
                         "power_w": float(cfg.power_w),
                         "radiated_power_w": float(rad.mean()), "radiated_power_max_w": float(rad.max()),
                         "radiated_over_budget": float(np.mean(rad > cfg.power_w * (1 + RADIATED_RTOL))),
                         "drops": int(drops)})
            if bar is not None:
                bar.update(1)
    if bar is not None:
        bar.close()
    config = base.to_dict()
    config.update({"swept": param, "values": [_value_label(param, v) for v in values], "drops": int(drops),
                   "seed": int(seed), "lp_dft_method": method, "lp_dft_max_iter": int(max_iter),
                   "power_budget": "radiated ||TFAW||^2 <= P" if radiated_budget else "DFT input ||W||^2 <= P"})
    return {"results": rows, "config": config}


def over_budget(result: dict) -> list[dict]:
    """Rows of a :func:`sweep` result whose radiated power exceeded the budget P in some drop."""
    return [r for r in result["results"] if r["radiated_over_budget"] > 0]


def run_lpdft(config: LPDFTSweepConfig, progress: Callable | None = None) -> dict:
    """The sweep of ``config`` (:func:`sweep` on :func:`base_config`): the JSON-able record."""
    return sweep(config.parameter, config.values, base_config(config), drops=config.drops, seed=config.seed,
                 method=config.method, max_iter=config.max_iter, radiated_budget=config.radiated_budget,
                 progress=progress)


def base_config(config: LPDFTSweepConfig) -> LPDFTConfig:
    """The fixed-altitude (MEO default) or constellation (``orbit = "leo"``) scenario configuration."""
    args = config
    if args.orbit == "leo":
        sat = 0 if args.sat is None else args.sat
        t_s = 0.0 if args.t_s is None else args.t_s
        constellation, _ = (args.constellation or ConstellationSpec()).build()
        index = _sat_index(constellation, sat)
        if index is not None and not constellation.present(t_s)[index]:
            raise BadInput(f"--sat {sat} is absent at --t-s {t_s:g} (SGP4 failure or below the "
                             f"{constellation.min_altitude_km:g} km altitude floor)")
        try:
            return LPDFTConfig.from_constellation(constellation, sat=sat, t_s=t_s)
        except ValueError as exc:
            raise BadInput(f"--orbit leo --sat {sat} --t-s {t_s:g}: {exc}") from None
    altitude = 10_000.0 if args.altitude_km is None else args.altitude_km
    try:
        return LPDFTConfig(altitude_km=altitude, orbit="MEO, assumed altitude" if args.altitude_km is None
                           else "fixed altitude (--altitude-km)")
    except ValueError as exc:
        raise BadInput(f"--altitude-km {altitude}: {exc}") from None


def _sat_index(constellation, sat):
    """Index of ``--sat`` (index or name) in the constellation, None if it does not resolve (the
    constellation's own check then names the problem)."""
    text = str(sat).strip()
    if text.isdigit():
        i = int(text)
        return i if i < constellation.n else None
    return constellation.names.index(text) if text in constellation.names else None
