"""The world of one experiment: a constellation, service regions, UTs, the cooperating satellites and their sCSI.

``World(WorldConfig(S=3, K=12)).draw_drops(B, rng)`` returns ``Drops``: B
independent snapshots (the paper's Monte Carlo drops, Section VI): a region
centre drawn uniformly over the area of the constellation's coverage band
(|lat| <= inclination), a time drawn uniformly over one orbital period, K UTs
uniform over the area of the region (radius 800 km), the S satellites nearest
to the centre that every UT sees above the elevation mask, and the statistical
CSI ``[B, S, K, ...]`` of every link (:mod:`constellation.channel`). A drop in
which fewer than S satellites qualify is redrawn (a new centre and/or time; at
most ``max_redraws`` rounds, then ValueError).

Vectorisation: one ``state_itrs`` call for all drops' times per round, the
selection is vectorised over satellites and UTs, and the channel is one call
over the batch.
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field, fields

import numpy as np

from .channel import ChannelConfig, LinkLargeScale, statistical_csi
from .csi import StatisticalCSI
from .ephemeris import Constellation, axes_from_state
from .ground import _check_center, move_uts, rank_cooperating, sample_cap
from .frames import geodetic_to_itrs
from .walker import WalkerDelta


@dataclass(frozen=True)
class WorldConfig:
    """Parameters of the world (Table I defaults).

    S: cooperating satellites; K: UTs per drop; walker: the constellation pattern;
    radius_km: service-region radius (great circle); min_elevation_deg: elevation mask every UT
    must see each cooperating satellite above; channel: link parameters;
    max_redraws: rounds of redrawing drops with fewer than S qualifying satellites.
    """

    S: int = 3
    K: int = 12
    walker: WalkerDelta = field(default_factory=WalkerDelta)
    radius_km: float = 800.0
    min_elevation_deg: float = 10.0
    channel: ChannelConfig = field(default_factory=ChannelConfig)
    max_redraws: int = 50

    def __post_init__(self):
        for name in ("S", "K", "max_redraws"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"WorldConfig.{name} must be a positive integer, got {v!r}")
        if not (isinstance(self.radius_km, numbers.Real) and 0 < self.radius_km < 10_000):
            raise ValueError(f"WorldConfig.radius_km must be in (0, 10000) km, got {self.radius_km!r}")
        if not (isinstance(self.min_elevation_deg, numbers.Real) and 0 <= self.min_elevation_deg < 90):
            raise ValueError(f"WorldConfig.min_elevation_deg must be in [0, 90) deg, got {self.min_elevation_deg!r}")
        if not isinstance(self.walker, WalkerDelta):
            raise ValueError(f"WorldConfig.walker must be a WalkerDelta, got {type(self.walker).__name__}")
        if not isinstance(self.channel, ChannelConfig):
            raise ValueError(f"WorldConfig.channel must be a ChannelConfig, got {type(self.channel).__name__}")


@dataclass(frozen=True)
class Drops:
    """A batch of B independent drops.

    csi: StatisticalCSI ``[B,S,K,...]``; sat_ids: int ``[B,S]`` indices into the constellation,
    nearest to the centre first; t_s: ``[B]`` seconds since the constellation epoch;
    center_lat_deg, center_lon_deg: ``[B]``; ut_lat_deg, ut_lon_deg: ``[B,K]``;
    ut_itrs_m: ``[B,K,3]``; sat_itrs_m: ``[B,S,3]``; sat_axes: ``[B,S,3,3]`` (body x, y, z rows
    in ITRS); large_scale: LinkLargeScale ``[B,S,K]``; ut_heading_rad: ``[B,K]`` walking direction of
    each UT (from north towards east), drawn by the first :meth:`World.evolve` that moves them, or None.
    """

    csi: StatisticalCSI
    sat_ids: np.ndarray
    t_s: np.ndarray
    center_lat_deg: np.ndarray
    center_lon_deg: np.ndarray
    ut_lat_deg: np.ndarray
    ut_lon_deg: np.ndarray
    ut_itrs_m: np.ndarray
    sat_itrs_m: np.ndarray
    sat_axes: np.ndarray
    large_scale: LinkLargeScale
    ut_heading_rad: np.ndarray | None = None

    @property
    def batch(self) -> int:
        return int(self.t_s.shape[0])

    def take(self, batch) -> "Drops":
        """Sub-select drops (index, slice or index array along B)."""
        idx = np.atleast_1d(np.arange(self.batch)[batch])
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if v is None:
                out[f.name] = None
            else:
                out[f.name] = v.take(batch=idx) if f.name in ("csi", "large_scale") else v[idx]
        return Drops(**out)


class World:
    """A constellation plus the rules for drawing drops. ``constellation`` defaults to
    ``Constellation.walker(config.walker)``; pass one (e.g. from TLEs) to override."""

    def __init__(self, config: WorldConfig | None = None, constellation: Constellation | None = None):
        self.config = WorldConfig() if config is None else config
        if constellation is None:
            constellation = Constellation.walker(self.config.walker)
        self.constellation = constellation
        if self.config.S > constellation.n:
            raise ValueError(f"WorldConfig.S={self.config.S} exceeds the {constellation.n} satellites "
                             "of the constellation")

    @property
    def period_s(self) -> float:
        """Orbital period (s) over which drop times are drawn: the nominal (Kepler, WGS72) period of
        the constellation's Walker pattern, or for element sets without one (TLE / OMM imports) the
        period of their median mean motion."""
        w = self.constellation.walker
        if w is not None:
            return w.period_s
        no_rad_min = float(np.median([sat.no_kozai for sat in self.constellation.satrecs]))
        return 2.0 * math.pi / no_rad_min * 60.0

    @property
    def max_center_lat_deg(self) -> float:
        """Coverage band for random centres: |lat| <= inclination (180 - inclination if retrograde)
        of the constellation's Walker pattern, or the largest such value among its element sets."""
        w = self.constellation.walker
        if w is not None:
            inc = np.array([w.inclination_deg])
        else:
            inc = np.degrees([sat.inclo for sat in self.constellation.satrecs])
        return float(np.max(np.minimum(inc, 180.0 - inc)))

    def _draw_centers(self, rng: np.random.Generator, b: int):
        """Uniform over the sphere's area within |lat| <= max_center_lat_deg."""
        s = math.sin(math.radians(self.max_center_lat_deg))
        lat = np.degrees(np.arcsin(rng.uniform(-s, s, b)))
        lon = rng.uniform(-180.0, 180.0, b)
        return lat, lon

    def draw_drops(self, batch: int, rng: np.random.Generator, center=None, t_s=None) -> Drops:
        """Draw ``batch`` independent drops with ``rng``.

        center: None (drawn per drop), ``(lat_deg, lon_deg)`` for all drops, or a pair of ``[B]`` arrays.
        t_s: None (uniform over one orbital period, per drop), a scalar or ``[B]`` (s since epoch).
        Drops where fewer than S satellites qualify get a new centre and/or time (whichever is
        drawn); if both are given, or after ``max_redraws`` rounds, ValueError.
        """
        cfg = self.config
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
            raise ValueError(f"batch must be a positive integer number of drops, got {batch!r}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        b = int(batch)
        if center is None:
            c_lat, c_lon = self._draw_centers(rng, b)
        else:
            try:
                lat_in, lon_in = center
            except (TypeError, ValueError):
                raise ValueError(f"center must be (lat_deg, lon_deg), got {center!r}") from None
            c_lat = np.broadcast_to(np.asarray(lat_in, float), (b,)).copy()
            c_lon = np.broadcast_to(np.asarray(lon_in, float), (b,)).copy()
            _check_center(c_lat, c_lon, "draw_drops")
        if t_s is None:
            t = rng.uniform(0.0, self.period_s, b)
        else:
            t = np.broadcast_to(np.asarray(t_s, float), (b,)).copy()
            if np.any(~np.isfinite(t)):
                raise ValueError(f"t_s must be finite seconds since the epoch, got {t_s!r}")

        ut_lat = np.empty((b, cfg.K))
        ut_lon = np.empty((b, cfg.K))
        sat_ids = np.empty((b, cfg.S), int)
        sat_r = np.empty((b, cfg.S, 3))
        sat_v = np.empty((b, cfg.S, 3))
        pending = np.arange(b)
        last_nq = None
        for attempt in range(cfg.max_redraws + 1):
            r_all, v_all = self.constellation.state_itrs(t[pending])                   # [P,n,3]
            lat_p, lon_p = sample_cap(c_lat[pending], c_lon[pending], cfg.radius_km, cfg.K, rng)
            ut_p = geodetic_to_itrs(lat_p, lon_p, 0.0)
            ids, n_q = rank_cooperating(r_all, ut_p, c_lat[pending], c_lon[pending], cfg.S,
                                        cfg.min_elevation_deg, lat_p, lon_p)
            ok = n_q >= cfg.S
            done = pending[ok]
            ut_lat[done], ut_lon[done], sat_ids[done] = lat_p[ok], lon_p[ok], ids[ok]
            rows = np.flatnonzero(ok)[:, None]
            sat_r[done], sat_v[done] = r_all[rows, ids[ok]], v_all[rows, ids[ok]]
            pending, last_nq = pending[~ok], n_q[~ok]
            if pending.size == 0:
                break
            if center is not None and t_s is not None:
                break
            if attempt == cfg.max_redraws:
                break
            if center is None:
                c_lat[pending], c_lon[pending] = self._draw_centers(rng, pending.size)
            if t_s is None:
                t[pending] = rng.uniform(0.0, self.period_s, pending.size)
        if pending.size:
            i = pending[0]
            raise ValueError(
                f"only {last_nq[0]} satellites are above min_elevation_deg={cfg.min_elevation_deg} for every UT "
                f"of the region centred at ({c_lat[i]:.3f}, {c_lon[i]:.3f}) deg with radius_km={cfg.radius_km} "
                f"at t_s={t[i]:.1f} (drop {i}), but S={cfg.S} are required"
                + ("" if center is not None and t_s is not None else f" (after {cfg.max_redraws} redraws)"))

        # Attitude of the chosen satellites from their states (same convention as body_axes,
        # without a second SGP4 pass over the whole constellation).
        _, omega = self.constellation.earth_rotation(t)                                  # [B]
        sat_axes = axes_from_state(sat_r, sat_v, omega[:, None])                         # [B,S,3,3]
        ut_itrs = geodetic_to_itrs(ut_lat, ut_lon, 0.0)
        large = LinkLargeScale.draw(rng, (b, cfg.S, cfg.K))
        csi = statistical_csi(sat_r, sat_axes, ut_itrs, ut_lat, ut_lon, large, cfg.channel)
        return Drops(csi=csi, sat_ids=sat_ids, t_s=t, center_lat_deg=c_lat, center_lon_deg=c_lon,
                     ut_lat_deg=ut_lat, ut_lon_deg=ut_lon, ut_itrs_m=ut_itrs, sat_itrs_m=sat_r,
                     sat_axes=sat_axes, large_scale=large)

    def evolve(self, drops: Drops, dt_s: float, rng: np.random.Generator | None = None,
               speed_kmh: float = 5.0) -> Drops:
        """The same drops ``dt_s`` seconds later: same cooperating satellites and the same per-link
        large-scale draws (``drops.large_scale``), satellites propagated, UTs walked ``speed_kmh x dt_s``
        along their heading, statistical CSI recomputed. Each UT keeps one heading
        (``drops.ut_heading_rad``, a straight walk at constant bearing); the first call that moves UTs
        draws the headings uniformly from ``rng``, later calls need no ``rng`` (no motion and no draw
        if ``speed_kmh == 0``). No reselection: a satellite may set below the mask as time goes on
        (``csi.elevation`` says so)."""
        if not (np.isfinite(dt_s) and dt_s >= 0):
            raise ValueError(f"dt_s must be a non-negative time step (s), got {dt_s!r}")
        t = drops.t_s + dt_s
        b = drops.batch
        r_all, v_all = self.constellation.state_itrs(t)
        _, omega = self.constellation.earth_rotation(t)
        rows = np.arange(b)[:, None]
        sat_r = r_all[rows, drops.sat_ids]
        sat_axes = axes_from_state(sat_r, v_all[rows, drops.sat_ids], omega[:, None])
        heading = drops.ut_heading_rad
        if speed_kmh == 0:
            ut_lat, ut_lon, ut_itrs = drops.ut_lat_deg, drops.ut_lon_deg, drops.ut_itrs_m
        else:
            ut_lat, ut_lon, ut_itrs, heading = move_uts(drops.ut_lat_deg, drops.ut_lon_deg, dt_s, rng, speed_kmh,
                                                        heading_rad=heading)
        csi = statistical_csi(sat_r, sat_axes, ut_itrs, ut_lat, ut_lon, drops.large_scale, self.config.channel)
        return Drops(csi=csi, sat_ids=drops.sat_ids, t_s=t, center_lat_deg=drops.center_lat_deg,
                     center_lon_deg=drops.center_lon_deg, ut_lat_deg=ut_lat, ut_lon_deg=ut_lon, ut_itrs_m=ut_itrs,
                     sat_itrs_m=sat_r, sat_axes=sat_axes, large_scale=drops.large_scale, ut_heading_rad=heading)
