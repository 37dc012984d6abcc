"""Ground segment: service regions, UT placement and motion, selection of the cooperating satellites.

Placement and motion use a spherical Earth of mean radius ``EARTH_MEAN_RADIUS_M``
for distances on the ground (great circles); the resulting latitudes are then
used as WGS84 geodetic latitudes (UTs on the ellipsoid, height 0) for the ITRS
positions and the local horizon. The two differ by < 0.5 % in ground distance,
well inside the modelling accuracy of a service region.

Shapes: ``B`` drops, ``K`` UTs per drop, ``n`` satellites, ``S`` cooperating.
"""
from __future__ import annotations

from .checks import BadInput

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .checks import check_int
from .frames import EARTH_MEAN_RADIUS_M, enu_basis, geodetic_to_itrs, itrs_to_geodetic


@dataclass(frozen=True)
class ServiceRegion:
    """A spherical cap on the ground: centre (deg, WGS84) and great-circle radius (km)."""

    center_lat_deg: float
    center_lon_deg: float
    radius_km: float = 800.0

    def __post_init__(self):
        _check_center(self.center_lat_deg, self.center_lon_deg, "ServiceRegion")
        r = self.radius_km
        if not (isinstance(r, (int, float, np.floating)) and 0 < r < np.pi * EARTH_MEAN_RADIUS_M / 1e3):
            raise BadInput(f"ServiceRegion.radius_km must be in (0, {np.pi * EARTH_MEAN_RADIUS_M / 1e3:.0f}) km, "
                             f"got {r!r}")


def _check_center(lat, lon, where: str) -> None:
    lat = np.asarray(lat, float)
    lon = np.asarray(lon, float)
    if np.any(~np.isfinite(lat)) or np.any(np.abs(lat) > 90):
        raise BadInput(f"{where}: center_lat_deg must be in [-90, 90] deg, got {lat.tolist()!r}")
    if np.any(~np.isfinite(lon)) or np.any(np.abs(lon) > 360):
        raise BadInput(f"{where}: center_lon_deg must be in [-360, 360] deg, got {lon.tolist()!r}")


def _check_rng(rng, where: str) -> None:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"{where}: rng must be a numpy.random.Generator (seeded by the caller), "
                         f"got {type(rng).__name__}")


def _wrap_lon_deg(lon):
    return (np.asarray(lon) + 180.0) % 360.0 - 180.0


def destination(lat_deg, lon_deg, bearing_rad, distance_m):
    """Great-circle destination (lat_deg, lon_deg) from a start point, bearing (from north, towards east)
    and distance (m) on the mean sphere. All inputs broadcast."""
    lat1 = np.radians(lat_deg)
    lon1 = np.radians(lon_deg)
    c = np.asarray(distance_m, float) / EARTH_MEAN_RADIUS_M
    sin_lat2 = np.sin(lat1) * np.cos(c) + np.cos(lat1) * np.sin(c) * np.cos(bearing_rad)
    lat2 = np.arcsin(np.clip(sin_lat2, -1.0, 1.0))
    lon2 = lon1 + np.arctan2(np.sin(bearing_rad) * np.sin(c) * np.cos(lat1), np.cos(c) - np.sin(lat1) * sin_lat2)
    return np.degrees(lat2), _wrap_lon_deg(np.degrees(lon2))


def great_circle_km(lat1_deg, lon1_deg, lat2_deg, lon2_deg):
    """Great-circle distance (km) on the mean sphere between points (deg); all inputs broadcast."""
    p1, p2, dl = np.radians(lat1_deg), np.radians(lat2_deg), np.radians(np.asarray(lon2_deg) - lon1_deg)
    c = np.sin(p1) * np.sin(p2) + np.cos(p1) * np.cos(p2) * np.cos(dl)
    return np.arccos(np.clip(c, -1.0, 1.0)) * EARTH_MEAN_RADIUS_M / 1e3


def sample_cap(center_lat_deg, center_lon_deg, radius_km, k: int, rng: np.random.Generator):
    """K points per drop uniform over the AREA of spherical caps: (lat_deg, lon_deg), each ``[B, K]``.

    ``center_lat_deg``, ``center_lon_deg`` [B]; ``radius_km`` scalar or [B] (great-circle radius).
    The central angle c has ``cos c ~ U[cos alpha, 1]`` (uniform area), the bearing ``U[0, 2 pi)``.
    """
    check_int("K", k, 1)                                  # UTs per drop
    _check_rng(rng, "sample_cap")
    lat0 = np.atleast_1d(np.asarray(center_lat_deg, float))
    lon0 = np.atleast_1d(np.asarray(center_lon_deg, float))
    _check_center(lat0, lon0, "sample_cap")
    b = lat0.shape[0]
    alpha = np.broadcast_to(np.asarray(radius_km, float) * 1e3 / EARTH_MEAN_RADIUS_M, (b,))
    if np.any(~(alpha > 0)) or np.any(alpha >= np.pi):
        raise BadInput(f"radius_km must be positive and below half the Earth's circumference, got {radius_km!r}")
    u = rng.random((b, k))
    bearing = 2.0 * np.pi * rng.random((b, k))
    cos_c = 1.0 - u * (1.0 - np.cos(alpha))[:, None]
    c = np.arccos(np.clip(cos_c, -1.0, 1.0))
    return destination(lat0[:, None], lon0[:, None], bearing, c * EARTH_MEAN_RADIUS_M)


def place_uts(regions: ServiceRegion | Sequence[ServiceRegion], k: int, rng: np.random.Generator,
              batch: int | None = None):
    """Drop K UTs uniformly over the area of each region.

    ``regions``: one ServiceRegion (repeated ``batch`` times, default 1) or a sequence of B regions.
    Returns ``(lat_deg [B,K], lon_deg [B,K], itrs_m [B,K,3])`` (UTs on the WGS84 ellipsoid).
    """
    if isinstance(regions, ServiceRegion):
        regions = [regions] * (1 if batch is None else int(batch))
    elif batch is not None and batch != len(regions):
        raise ValueError(f"batch={batch!r} does not match the {len(regions)} regions given")
    if len(regions) == 0:
        raise ValueError("regions must hold at least one ServiceRegion")
    lat0 = np.array([r.center_lat_deg for r in regions], float)
    lon0 = np.array([r.center_lon_deg for r in regions], float)
    rad = np.array([r.radius_km for r in regions], float)
    lat, lon = sample_cap(lat0, lon0, rad, k, rng)
    return lat, lon, geodetic_to_itrs(lat, lon, 0.0)


def move_uts(lat_deg, lon_deg, dt_s: float, rng: np.random.Generator, speed_kmh: float = 5.0,
             heading_rad=None):
    """Move UTs for ``dt_s`` seconds at ``speed_kmh`` along great circles.

    ``lat_deg``, ``lon_deg`` [...]: positions. ``heading_rad`` [...] (from north towards east):
    if None, a uniform random heading per UT is drawn from ``rng`` (random-direction
    motion); pass the returned heading back to keep walking straight.
    Returns ``(lat_deg, lon_deg, itrs_m [..., 3], heading_rad)``.
    """
    lat = np.asarray(lat_deg, float)
    lon = np.asarray(lon_deg, float)
    if not (np.isfinite(dt_s) and dt_s >= 0):
        raise BadInput(f"dt_s must be a non-negative time step (s), got {dt_s!r}")
    if not (np.isfinite(speed_kmh) and speed_kmh >= 0):
        raise BadInput(f"speed_kmh must be a non-negative speed (km/h), got {speed_kmh!r}")
    if heading_rad is None:
        _check_rng(rng, "move_uts (no heading_rad given)")
        heading = 2.0 * np.pi * rng.random(lat.shape)
    else:
        heading = np.broadcast_to(np.asarray(heading_rad, float), lat.shape)
    dist_m = speed_kmh / 3.6 * dt_s
    lat2, lon2 = destination(lat, lon, heading, dist_m)
    return lat2, lon2, geodetic_to_itrs(lat2, lon2, 0.0), heading


def min_elevation_sin(sat_r_itrs, ut_r_itrs, ut_lat_deg, ut_lon_deg, chunk_elems: int = 4_000_000) -> np.ndarray:
    """sin of the lowest elevation of each satellite over the UTs of a drop: ``[B, n]``.

    ``sat_r_itrs`` [B,n,3] (m), ``ut_r_itrs`` [B,K,3] (m), ``ut_lat_deg``/``ut_lon_deg`` [B,K].
    Geodetic elevation: sin(el) = (r_sat - r_ut) . up / |r_sat - r_ut|. Computed with
    inner products (no [B,n,K,3] array), chunked over drops to bound memory.
    """
    sat = np.asarray(sat_r_itrs, float)
    ut = np.asarray(ut_r_itrs, float)
    up = enu_basis(ut_lat_deg, ut_lon_deg)[..., 2, :]                  # [B,K,3]
    b, n, _ = sat.shape
    k = ut.shape[1]
    out = np.empty((b, n))
    step = max(1, chunk_elems // max(1, n * k))
    ut_up = np.einsum("bkj,bkj->bk", ut, up)
    ut_sq = np.einsum("bkj,bkj->bk", ut, ut)
    sat_sq = np.einsum("bnj,bnj->bn", sat, sat)
    for lo in range(0, b, step):
        hi = min(b, lo + step)
        s_up = np.einsum("bnj,bkj->bnk", sat[lo:hi], up[lo:hi]) - ut_up[lo:hi, None, :]
        dist2 = sat_sq[lo:hi, :, None] + ut_sq[lo:hi, None, :] - 2.0 * np.einsum("bnj,bkj->bnk", sat[lo:hi], ut[lo:hi])
        out[lo:hi] = np.min(s_up / np.sqrt(np.maximum(dist2, 1.0)), axis=-1)
    return out


_POLAR_RADIUS_M = 6_356_752.314
_CANDIDATE_MARGIN_RAD = np.radians(1.0)


def _candidates(sat, ut, center, min_elevation_deg):
    """Superset of the satellites that can be above the mask for every UT: indices [B,C] and a validity
    mask [B,C] (C = the largest count over the drops; padded entries are invalid).

    A satellite at geocentric radius |s| seen at elevation >= e from a ground point lies within the
    central angle lam = arccos(R cos e / |s|) - e of it (spherical Earth of radius R). Using the polar
    radius (smallest R, largest lam), e lowered by 0.2 deg (geodetic vs geocentric vertical), the
    UTs' largest central angle from the centre (triangle inequality) and a 1 deg margin, every
    qualifying satellite is kept; the exact elevation test is done afterwards on the candidates only.
    """
    b, n, _ = sat.shape
    r_sat = np.linalg.norm(sat, axis=-1)                                             # [B,n]
    present = np.isfinite(sat).all(axis=-1)                                          # absent: NaN rows
    e = np.radians(max(min_elevation_deg - 0.2, -90.0))
    lam = np.arccos(np.clip(_POLAR_RADIUS_M * np.cos(e) / r_sat, -1.0, 1.0)) - e
    cu = center / np.linalg.norm(center, axis=-1, keepdims=True)                     # [B,3]
    uu = ut / np.linalg.norm(ut, axis=-1, keepdims=True)                             # [B,K,3]
    spread = np.arccos(np.clip(np.einsum("bkj,bj->bk", uu, cu), -1.0, 1.0)).max(axis=-1)   # [B]
    ang = np.arccos(np.clip(np.einsum("bnj,bj->bn", sat, cu) / r_sat, -1.0, 1.0))   # [B,n]
    with np.errstate(invalid="ignore"):
        keep = present & (ang <= lam + spread[:, None] + _CANDIDATE_MARGIN_RAD)
    c = max(int(keep.sum(axis=-1).max()), 1)
    order = np.argsort(~keep, axis=-1, kind="stable")[:, :c]                        # kept first, index order
    return order, np.take_along_axis(keep, order, axis=-1)


def visible_candidates(sat_r_itrs, ut_r_itrs, center_lat_deg, center_lon_deg, min_elevation_deg: float = 10.0,
                       ut_lat_deg=None, ut_lon_deg=None):
    """Every satellite that every UT of a drop sees above ``min_elevation_deg``, nearest to the centre first.

    Shapes as :func:`select_cooperating`. Satellites whose position rows are not finite are *absent*
    (the NaN rows :meth:`constellation.ephemeris.Constellation.state_itrs` returns for SGP4 failures
    and satellites below the altitude floor) and never qualify. "Nearest" is the straight-line
    distance (m) from the centre's ground point (WGS84, height 0) to the satellite.

    Returns ``(ids [B,C] int, -1 padded; distance_m [B,C] float, inf padded; n_qualified [B] int)``,
    C the largest number qualifying over the drops (at least 1), each row sorted by distance.
    """
    sat = np.asarray(sat_r_itrs, float)
    ut = np.asarray(ut_r_itrs, float)
    if ut.ndim == 2:
        ut = ut[None]
    if ut.ndim != 3 or ut.shape[-1] != 3:
        raise ValueError(f"ut_r_itrs must have shape [B,K,3] or [K,3], got {np.shape(ut_r_itrs)}")
    b = ut.shape[0]
    if sat.ndim == 2:
        sat = np.broadcast_to(sat, (b,) + sat.shape)
    if sat.ndim != 3 or sat.shape[-1] != 3 or sat.shape[0] != b:
        raise ValueError(f"sat_r_itrs must have shape [n,3] or [B,n,3] with B={b}, got {np.shape(sat_r_itrs)}")
    if not (np.isfinite(min_elevation_deg) and -90 <= min_elevation_deg < 90):
        raise BadInput(f"min_elevation_deg must be in [-90, 90), got {min_elevation_deg!r}")
    if ut_lat_deg is None or ut_lon_deg is None:
        ut_lat_deg, ut_lon_deg, _ = itrs_to_geodetic(ut)
    lat = np.broadcast_to(np.asarray(ut_lat_deg, float).reshape(-1, ut.shape[1]), ut.shape[:2])
    lon = np.broadcast_to(np.asarray(ut_lon_deg, float).reshape(-1, ut.shape[1]), ut.shape[:2])
    c_lat = np.broadcast_to(np.asarray(center_lat_deg, float), (b,))
    c_lon = np.broadcast_to(np.asarray(center_lon_deg, float), (b,))
    _check_center(c_lat, c_lon, "select_cooperating")

    center = geodetic_to_itrs(c_lat, c_lon, 0.0)                                                  # [B,3]
    cand, valid = _candidates(sat, ut, center, min_elevation_deg)                                 # [B,C]
    rows = np.arange(b)[:, None]
    sat_c = sat[rows, cand]                                                                       # [B,C,3]
    qualifies = valid & (min_elevation_sin(sat_c, ut, lat, lon) >= np.sin(np.radians(min_elevation_deg)))
    dist = np.linalg.norm(sat_c - center[:, None, :], axis=-1)
    dist = np.where(qualifies, dist, np.inf)
    n_q = qualifies.sum(axis=-1)
    c = max(int(n_q.max()), 1)
    order = np.argsort(dist, axis=-1, kind="stable")[:, :c]
    ids = cand[rows, order]
    dist = dist[rows, order]
    ids = np.where(np.isfinite(dist), ids, -1)
    return ids, dist, n_q


def rank_cooperating(sat_r_itrs, ut_r_itrs, center_lat_deg, center_lon_deg, s: int,
                     min_elevation_deg: float = 10.0, ut_lat_deg=None, ut_lon_deg=None):
    """Non-raising core of :func:`select_cooperating`: the first S of :func:`visible_candidates`.

    Satellites whose position rows are not finite are *absent* (the NaN rows
    :meth:`constellation.ephemeris.Constellation.state_itrs` returns for SGP4 failures and satellites
    below the altitude floor) and are never selected.

    Returns ``(ids [B,S] int, padded with -1 where fewer than S qualify; n_qualified [B] int)``.
    """
    check_int("S", s, 1)                                  # cooperating satellites
    ids, _, n_q = visible_candidates(sat_r_itrs, ut_r_itrs, center_lat_deg, center_lon_deg, min_elevation_deg,
                                     ut_lat_deg, ut_lon_deg)
    take = min(s, ids.shape[1])
    ids = ids[:, :take]
    if take < s:
        ids = np.concatenate([ids, np.full((ids.shape[0], s - take), -1)], axis=-1)
    return ids, n_q


def select_cooperating(sat_r_itrs, ut_r_itrs, center_lat_deg, center_lon_deg, s: int,
                       min_elevation_deg: float = 10.0, ut_lat_deg=None, ut_lon_deg=None) -> np.ndarray:
    """Indices ``[B, S]`` of the S satellites nearest to the region centre that every UT sees
    above ``min_elevation_deg``, nearest first.

    ``sat_r_itrs``: [n,3] (one epoch for all drops) or [B,n,3] (m, ITRS); ``ut_r_itrs``: [B,K,3]
    or [K,3]; centre: scalars or [B] (deg). ``ut_lat_deg``/``ut_lon_deg`` [B,K] are derived from
    ``ut_r_itrs`` when omitted. "Nearest" is the straight-line distance from the centre's
    ground point to the satellite. Raises ValueError when fewer than S qualify in any drop.
    """
    ids, n_q = rank_cooperating(sat_r_itrs, ut_r_itrs, center_lat_deg, center_lon_deg, s,
                                min_elevation_deg, ut_lat_deg, ut_lon_deg)
    bad = np.flatnonzero(n_q < s)
    if bad.size:
        i = bad[0]
        raise BadInput(f"select_cooperating: only {n_q[i]} satellites are above min_elevation_deg="
                         f"{min_elevation_deg} for every UT (drop {i}), but S={s} are required")
    return ids
