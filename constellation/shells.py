"""Shells, planes and slots inferred from real element sets (TLE / OMM imports).

A real constellation file mixes several shells (Starlink: 53.0 deg at 550 km,
53.2 deg at 540 km, 70 deg at 570 km, 97.6 deg at 560 km, ...) with satellites
that are still raising or already deorbiting. The +Grid ISL topology needs the
structure a Walker generator knows by construction; here it is recovered:

1. **Shells**: cluster the satellites by inclination and mean altitude. The
   altitude is the Keplerian one of the element set's mean motion,
   ``a = (mu / n^2)^(1/3) - R`` (WGS72, as :class:`constellation.walker.WalkerDelta`
   builds it, so a generated Walker shell is recovered at its nominal
   altitude). Clustering is density-first: the point with the most neighbours
   within ``(inc_tol_deg, alt_tol_km)`` seeds a shell, which takes every
   remaining satellite within that box of its (median) centre; repeat while a
   seed has at least ``min_shell_size`` satellites. What is left (raising,
   deorbiting, stray objects) is unassigned (shell -1).
2. **Planes**: within a shell, the right ascensions of the ascending node at a
   common reference time (from SGP4 states, so each satellite's own epoch and
   its J2 nodal drift are accounted for) are split on the circle wherever
   consecutive RAANs are more than ``plane_gap_deg`` apart. Planes are numbered
   by RAAN starting after the widest gap: for a Walker-star that gap is the
   counter-rotating side, so planes P-1 and 0 are the neighbours across the seam.
3. **Slots**: within a plane, satellites ordered by argument of latitude
   ``u = omega + nu`` at the reference time.

The osculating inclination / RAAN / u come from the TEME state
(``h = r x v``; ``i = acos(h_z / |h|)``; ``RAAN = atan2(h_x, -h_y)``;
``u = atan2(r . (h x n) / |h|, r . n)`` with ``n`` the node direction).
Pure numpy / scipy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from .checks import check_int, check_real
from .walker import MU_WGS72_KM3_S2, R_WGS72_KM

DEFAULT_INC_TOL_DEG = 0.25
DEFAULT_ALT_TOL_KM = 8.0
DEFAULT_MIN_SHELL_SIZE = 10
DEFAULT_PLANE_GAP_DEG = 1.5


def mean_altitude_km(satrecs) -> np.ndarray:
    """Keplerian altitude (km) of each element set's mean motion: ``(mu/n^2)^(1/3) - R_WGS72`` [n]."""
    n_rad_s = np.array([sat.no_kozai for sat in satrecs], float) / 60.0
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.cbrt(MU_WGS72_KM3_S2 / n_rad_s**2) - R_WGS72_KM


def perigee_altitude_km(satrecs) -> np.ndarray:
    """Keplerian perigee altitude (km): ``a (1 - e) - R_WGS72`` [n]."""
    alt = mean_altitude_km(satrecs)
    e = np.array([sat.ecco for sat in satrecs], float)
    return (alt + R_WGS72_KM) * (1.0 - e) - R_WGS72_KM


def orbit_angles(r, v) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Osculating inclination, RAAN and argument of latitude (deg; RAAN and u in [0, 360)) of
    inertial (TEME) states ``r``, ``v`` [..., 3] (any consistent units)."""
    r = np.asarray(r, float)
    v = np.asarray(v, float)
    h = np.cross(r, v)
    hn = np.linalg.norm(h, axis=-1)
    inc = np.degrees(np.arccos(np.clip(h[..., 2] / hn, -1.0, 1.0)))
    raan = np.arctan2(h[..., 0], -h[..., 1])
    node = np.stack([np.cos(raan), np.sin(raan), np.zeros_like(raan)], axis=-1)
    w = np.cross(h, node) / hn[..., None]                    # in-plane, 90 deg ahead of the node
    u = np.arctan2(np.sum(r * w, axis=-1), np.sum(r * node, axis=-1))
    return inc, np.mod(np.degrees(raan), 360.0), np.mod(np.degrees(u), 360.0)


@dataclass
class ShellStructure:
    """Inferred structure of n satellites (index order of the element sets).

    shell, plane, slot : int [n], -1 where unassigned (plane / slot numbered within the shell / plane)
    inclination_deg, raan_deg, arg_latitude_deg : float [n] at the reference time
    altitude_km : float [n], Keplerian altitude of the mean motion
    shells : list of dict, one summary per shell (satellites, planes, inclination, altitude, ...)
    """

    shell: np.ndarray
    plane: np.ndarray
    slot: np.ndarray
    inclination_deg: np.ndarray
    raan_deg: np.ndarray
    arg_latitude_deg: np.ndarray
    altitude_km: np.ndarray
    shells: list

    @property
    def unassigned(self) -> int:
        return int(np.sum(self.shell < 0))


def _cluster_shells(inc, alt, inc_tol, alt_tol, min_size) -> np.ndarray:
    n = inc.shape[0]
    label = np.full(n, -1, int)
    ok = np.isfinite(inc) & np.isfinite(alt)
    pts = np.stack([inc / inc_tol, alt / alt_tol], axis=1)
    k = 0
    while True:
        free = np.flatnonzero(ok & (label < 0))
        if free.size < min_size:
            break
        tree = cKDTree(pts[free])
        counts = tree.query_ball_point(pts[free], r=1.0, p=np.inf, return_length=True)
        best = int(np.argmax(counts))
        if counts[best] < min_size:
            break
        center = pts[free[best]]
        members = free
        for _ in range(3):                      # re-centre on the median of the members
            near = np.max(np.abs(pts[free] - center), axis=1) <= 1.0
            members = free[near]
            center = np.median(pts[members], axis=0)
        near = np.max(np.abs(pts[free] - center), axis=1) <= 1.0
        members = free[near]
        if members.size < min_size:
            # a seed whose re-centred box holds too few: do not seed there again
            ok[free[best]] = False
            continue
        label[members] = k
        k += 1
    return label


def _split_circle(angles_deg: np.ndarray, gap_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Cluster angles on the circle at gaps wider than ``gap_deg``; clusters numbered in increasing
    angle starting after the widest gap. Returns (labels [m], cluster mean angles [P])."""
    m = angles_deg.shape[0]
    order = np.argsort(angles_deg, kind="stable")
    a = angles_deg[order]
    gaps = np.diff(np.concatenate([a, a[:1] + 360.0]))         # gap after element i (last wraps)
    widest = int(np.argmax(gaps))
    start = (widest + 1) % m
    rolled = np.roll(np.arange(m), -start)                     # positions in sorted order, from start
    g = gaps[rolled]
    new = np.concatenate([[0], np.cumsum(g[:-1] > gap_deg)])
    labels = np.empty(m, int)
    labels[order[rolled]] = new
    means = np.array([math.degrees(math.atan2(np.mean(np.sin(np.radians(angles_deg[labels == q]))),
                                              np.mean(np.cos(np.radians(angles_deg[labels == q])))))
                      % 360.0 for q in range(new[-1] + 1)])
    return labels, means


def infer_shells(satrecs, r_teme, v_teme, *, inc_tol_deg: float = DEFAULT_INC_TOL_DEG,
                 alt_tol_km: float = DEFAULT_ALT_TOL_KM, min_shell_size: int = DEFAULT_MIN_SHELL_SIZE,
                 plane_gap_deg: float = DEFAULT_PLANE_GAP_DEG) -> ShellStructure:
    """Shells, planes and slots of the element sets ``satrecs`` (module docstring).

    ``r_teme``, ``v_teme`` [n, 3]: TEME states of all satellites at one common reference time
    (e.g. ``Constellation.state_teme(0.0)``); rows that are NaN (absent) stay unassigned.
    ``inc_tol_deg`` / ``alt_tol_km``: half-widths of a shell; ``min_shell_size``: fewest satellites
    a shell may have; ``plane_gap_deg``: RAAN gap separating two planes of a shell.
    """
    inc_tol_deg = check_real("inc_tol_deg", inc_tol_deg, 0.0, 90.0, "deg", lo_open=True)
    alt_tol_km = check_real("alt_tol_km", alt_tol_km, 0.0, 1e5, "km", lo_open=True)
    plane_gap_deg = check_real("plane_gap_deg", plane_gap_deg, 0.0, 180.0, "deg", lo_open=True)
    min_shell_size = check_int("min_shell_size", min_shell_size, 1)
    n = len(satrecs)
    r = np.asarray(r_teme, float).reshape(n, 3)
    v = np.asarray(v_teme, float).reshape(n, 3)
    with np.errstate(invalid="ignore"):
        inc, raan, u = orbit_angles(r, v)
    alt = mean_altitude_km(satrecs)
    # the element-set (mean) inclination is steadier than the osculating one
    inc_mean = np.degrees([sat.inclo for sat in satrecs]).astype(float)
    inc_mean[~np.isfinite(inc)] = np.nan
    shell = _cluster_shells(inc_mean, alt, inc_tol_deg, alt_tol_km, int(min_shell_size))
    # number shells by (inclination, altitude) for stable, readable output
    ids = np.unique(shell[shell >= 0])
    key = sorted(ids.tolist(), key=lambda s: (round(float(np.median(inc_mean[shell == s])), 1),
                                             float(np.median(alt[shell == s]))))
    remap = np.full(ids.max() + 2 if ids.size else 1, -1)
    for new, old in enumerate(key):
        remap[old] = new
    shell = np.where(shell >= 0, remap[shell], -1)
    plane = np.full(n, -1, int)
    slot = np.full(n, -1, int)
    summaries = []
    for s in range(len(key)):
        idx = np.flatnonzero(shell == s)
        labels, means = _split_circle(raan[idx], plane_gap_deg)
        plane[idx] = labels
        sizes = np.bincount(labels)
        for q in range(sizes.size):
            members = idx[labels == q]
            slot[members[np.argsort(u[members], kind="stable")]] = np.arange(members.size)
        sm = np.sort(means)
        gaps = np.diff(sm)
        # arc covered by the planes' nodes: 360 minus the widest gap (about 360 (P-1)/P for a delta,
        # 180 (P-1)/P for a star)
        spread = float(360.0 - np.max(np.concatenate([gaps, [sm[0] + 360.0 - sm[-1]]]))) if means.size > 1 else 0.0
        summaries.append({
            "shell": s, "satellites": int(idx.size), "planes": int(sizes.size),
            "sats_per_plane_min": int(sizes.min()), "sats_per_plane_max": int(sizes.max()),
            "inclination_deg": round(float(np.median(inc_mean[idx])), 3),
            "altitude_km": round(float(np.median(alt[idx])), 2),
            "altitude_km_min": round(float(alt[idx].min()), 2), "altitude_km_max": round(float(alt[idx].max()), 2),
            "raan_spread_deg": round(spread, 2),
            "plane_spacing_deg": round(float(np.median(gaps)), 3) if gaps.size else None,
        })
    return ShellStructure(shell=shell, plane=plane, slot=slot, inclination_deg=inc, raan_deg=raan,
                          arg_latitude_deg=u, altitude_km=alt, shells=summaries)


__all__ = ["ShellStructure", "infer_shells", "orbit_angles", "mean_altitude_km", "perigee_altitude_km"]
