"""The world of one experiment: a constellation, service regions, UTs, the cooperating satellites and their sCSI.

``World(WorldConfig(S=3, K=12)).draw_drops(B, seed)`` returns ``Drops``: B
independent snapshots (the paper's Monte Carlo drops, Section VI): a region
centre drawn uniformly over the area of the constellation's coverage band
(|lat| <= inclination), a time drawn uniformly over one orbital period, K UTs
uniform over the area of the region (radius 800 km), the S satellites nearest
to the centre that every UT sees above the elevation mask (or those a
``selector`` picks: satcoop's commands pass the ISL-aware
:class:`network.selector.RegionSelector`), and the statistical
CSI ``[B, S, K, ...]`` of every link (:mod:`constellation.channel`). A drop in
which fewer than S satellites qualify (or the selector finds no set) is redrawn (a new centre and/or time; at
most ``max_redraws`` rounds, then ValueError).

Randomness keyed by identity: drop i is a pure function of (seed, i). Every
random number of drop i (centre, time, UTs, redraw round r, UT headings) is
``constellation.keyed.uniform(key(seed), stream, i, r, ...)``, and the links'
large-scale draws are :meth:`LinkLargeScale.keyed` of the drop's ``link_key``
(a hash of (seed, i)), the satellite's constellation index and the UT's index.
So ``draw_drops(8, seed)[j] == draw_drops(1, seed, first=j)``, whatever the
batch, chunking or worker count, and a satellite that leaves the cooperating
set and comes back finds the same links.

Vectorisation: one ``state_itrs`` call for all drops' times per round, the
selection is vectorised over satellites and UTs, and the channel is one call
over the batch.
"""
from __future__ import annotations

from .checks import BadInput

import math
import numbers
from dataclasses import dataclass, field, fields

import numpy as np

from . import keyed
from .channel import ChannelConfig, LinkLargeScale, statistical_csi
from .csi import StatisticalCSI
from .ephemeris import Constellation, axes_from_state
from .frames import EARTH_MEAN_RADIUS_M
from .ground import _check_center, destination, move_uts, rank_cooperating
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
                raise BadInput(f"WorldConfig.{name} must be a positive integer, got {v!r}")
        if not (isinstance(self.radius_km, numbers.Real) and 0 < self.radius_km < 10_000):
            raise BadInput(f"WorldConfig.radius_km must be in (0, 10000) km, got {self.radius_km!r}")
        if not (isinstance(self.min_elevation_deg, numbers.Real) and 0 <= self.min_elevation_deg < 90):
            raise BadInput(f"WorldConfig.min_elevation_deg must be in [0, 90) deg, got {self.min_elevation_deg!r}")
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
    each UT (from north towards east; keyed by (seed, drop, UT) in :meth:`World.draw_drops`), or None
    (then drawn by the first :meth:`World.evolve` that moves the UTs).
    drop_index: int ``[B]`` index i of each drop in its seed's sequence (``first + j``), or None;
    link_key: uint64 ``[B]`` key of each drop's links (``LinkLargeScale.keyed(link_key, sat_ids, ut_ids)``
    gives ``large_scale``; re-key after a handover with new sat_ids), or None; ut_ids: int ``[B,K]``
    identity of each UT within its drop (0..K-1), or None.
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
    drop_index: np.ndarray | None = None
    link_key: np.ndarray | None = None
    ut_ids: np.ndarray | None = None

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

    @staticmethod
    def concat(parts: "list[Drops]") -> "Drops":
        """Drops of several batches, one after the other along B (same S and K; optional fields present in
        all parts or in none): ``concat([d.take(i) for i in range(d.batch)])`` equals ``d``."""
        out = {}
        for f in fields(Drops):
            vals = [getattr(d, f.name) for d in parts]
            if all(v is None for v in vals):
                out[f.name] = None
            elif f.name in ("csi", "large_scale"):
                cls = type(vals[0])
                out[f.name] = cls(**{g.name: np.concatenate([getattr(v, g.name) for v in vals])
                                     for g in fields(cls)})
            else:
                out[f.name] = np.concatenate(vals)
        return Drops(**out)


class World:
    """A constellation plus the rules for drawing drops. ``constellation`` defaults to
    ``Constellation.walker(config.walker)``; pass one (e.g. from TLEs) to override.

    ``selector`` (default None: the S nearest, :func:`constellation.ground.rank_cooperating`): the rule
    choosing each drop's cooperating satellites, a callable ``selector(t_s [P], r [P,n,3], v [P,n,3],
    ut_itrs [P,K,3], c_lat [P], c_lon [P], ut_lat [P,K], ut_lon [P,K]) -> (ids [P,S], ok [P], why [P])``
    (``why``: the one-line reason of a drop without a set). The ISL-aware rule of every satcoop command
    is :class:`network.selector.RegionSelector` (this package knows nothing of the ISLs)."""

    def __init__(self, config: WorldConfig | None = None, constellation: Constellation | None = None,
                 selector=None):
        self.config = WorldConfig() if config is None else config
        self.selector = selector
        if constellation is None:
            constellation = Constellation.walker(self.config.walker)
        self.constellation = constellation
        if self.config.S > constellation.n:
            raise BadInput(f"S = {self.config.S}: exceeds the {constellation.n} satellites of the constellation")

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

    def _keyed_round(self, key, idx, rnd, c_lat, c_lon, t, draw_center: bool, draw_time: bool):
        """Centre (if drawn), time (if drawn) and K UT positions of drops ``idx`` [P] in round ``rnd``,
        all keyed by (seed, drop index, round): uniform over the coverage band's area, one
        orbital period, and the area of the region's cap (``cos c ~ U[cos alpha, 1]``, bearing U[0, 2 pi))."""
        k = self.config.K
        r = np.int64(rnd)
        if draw_center:
            s = math.sin(math.radians(self.max_center_lat_deg))
            c_lat = np.degrees(np.arcsin(s * (2.0 * keyed.uniform(key, keyed.STREAMS["center_lat"], idx, r) - 1.0)))
            c_lon = 360.0 * keyed.uniform(key, keyed.STREAMS["center_lon"], idx, r) - 180.0
        if draw_time:
            t = self.period_s * keyed.uniform(key, keyed.STREAMS["time"], idx, r)
        uts = np.arange(k)[None, :]
        u = keyed.uniform(key, keyed.STREAMS["ut_radius"], idx[:, None], r, uts)               # [P,K]
        bearing = 2.0 * np.pi * keyed.uniform(key, keyed.STREAMS["ut_bearing"], idx[:, None], r, uts)
        alpha = self.config.radius_km * 1e3 / EARTH_MEAN_RADIUS_M
        c = np.arccos(np.clip(1.0 - u * (1.0 - math.cos(alpha)), -1.0, 1.0))
        ut_lat, ut_lon = destination(c_lat[:, None], c_lon[:, None], bearing, c * EARTH_MEAN_RADIUS_M)
        return c_lat, c_lon, t, ut_lat, ut_lon

    def draw_drops(self, batch: int, seed, *, first: int = 0, center=None, t_s=None) -> Drops:
        """Draw drops ``first .. first + batch - 1`` of ``seed``.

        seed: int >= 0 or ``np.random.SeedSequence`` (the identity of the sequence of drops). A
        ``np.random.Generator`` is still accepted for backward compatibility: ONE integer is drawn
        from it and used as the seed (:func:`constellation.keyed.seed_key`).
        Drop j of the result is drop ``first + j`` of ``seed``, a pure function of (seed, first + j):
        the same whatever ``batch`` (given the same ``center`` / ``t_s`` for that drop).
        center: None (drawn per drop), ``(lat_deg, lon_deg)`` for all drops, or a pair of ``[B]`` arrays.
        t_s: None (uniform over one orbital period, per drop), a scalar or ``[B]`` (s since epoch).
        Drops where fewer than S satellites qualify get new UTs and a new centre and/or time
        (whichever is drawn), keyed by (seed, drop, round); if both are given, or after
        ``max_redraws`` rounds, ValueError.
        """
        cfg = self.config
        if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
            raise BadInput(f"batch must be a positive integer number of drops, got {batch!r}")
        if isinstance(first, bool) or not isinstance(first, (int, np.integer)) or first < 0:
            raise BadInput(f"first must be an integer drop index >= 0, got {first!r}")
        key = keyed.seed_key(seed)
        b = int(batch)
        drop_index = np.arange(int(first), int(first) + b, dtype=np.int64)
        if center is None:
            c_lat, c_lon = np.zeros(b), np.zeros(b)
        else:
            try:
                lat_in, lon_in = center
            except (TypeError, ValueError):
                raise BadInput(f"center must be (lat_deg, lon_deg), got {center!r}") from None
            c_lat = np.broadcast_to(np.asarray(lat_in, float), (b,)).copy()
            c_lon = np.broadcast_to(np.asarray(lon_in, float), (b,)).copy()
            _check_center(c_lat, c_lon, "draw_drops")
        if t_s is None:
            t = np.zeros(b)
        else:
            t = np.broadcast_to(np.asarray(t_s, float), (b,)).copy()
            if np.any(~np.isfinite(t)):
                raise BadInput(f"t_s must be finite seconds since the epoch, got {t_s!r}")

        ut_lat = np.empty((b, cfg.K))
        ut_lon = np.empty((b, cfg.K))
        sat_ids = np.empty((b, cfg.S), int)
        sat_r = np.empty((b, cfg.S, 3))
        sat_v = np.empty((b, cfg.S, 3))
        pending = np.arange(b)
        last_why = None
        for attempt in range(cfg.max_redraws + 1):
            c_lat[pending], c_lon[pending], t[pending], lat_p, lon_p = self._keyed_round(
                key, drop_index[pending], attempt, c_lat[pending], c_lon[pending], t[pending],
                center is None, t_s is None)
            r_all, v_all = self.constellation.state_itrs(t[pending])                   # [P,n,3], one SGP4 call
            ut_p = geodetic_to_itrs(lat_p, lon_p, 0.0)
            if self.selector is None:
                ids, n_q = rank_cooperating(r_all, ut_p, c_lat[pending], c_lon[pending], cfg.S,
                                            cfg.min_elevation_deg, lat_p, lon_p)
                ok = n_q >= cfg.S
                why = [f"only {q} satellites are above min_elevation_deg={cfg.min_elevation_deg} for every UT, "
                       f"but S={cfg.S} are required" for q in n_q]
            else:
                ids, ok, why = self.selector(t[pending], r_all, v_all, ut_p, c_lat[pending], c_lon[pending],
                                             lat_p, lon_p)
            done = pending[ok]
            ut_lat[done], ut_lon[done], sat_ids[done] = lat_p[ok], lon_p[ok], ids[ok]
            rows = np.flatnonzero(ok)[:, None]
            sat_r[done], sat_v[done] = r_all[rows, ids[ok]], v_all[rows, ids[ok]]
            pending, last_why = pending[~ok], [w for w, o in zip(why, ok) if not o]
            if pending.size == 0:
                break
            if center is not None and t_s is not None:
                break
        if pending.size:
            i = pending[0]
            raise BadInput(
                f"region centred at ({c_lat[i]:.3f}, {c_lon[i]:.3f}) deg with radius_km={cfg.radius_km} "
                f"at t_s={t[i]:.1f} (drop {drop_index[i]}): {last_why[0]}"
                + ("" if center is not None and t_s is not None else f" (after {cfg.max_redraws} redraws)"))

        # Attitude of the chosen satellites from their states (same convention as body_axes,
        # without a second SGP4 pass over the whole constellation).
        _, omega = self.constellation.earth_rotation(t)                                  # [B]
        sat_axes = axes_from_state(sat_r, sat_v, omega[:, None])                         # [B,S,3,3]
        ut_itrs = geodetic_to_itrs(ut_lat, ut_lon, 0.0)
        ut_ids = np.broadcast_to(np.arange(cfg.K), (b, cfg.K)).copy()
        link_key = keyed.child_key(key, drop_index)                                      # [B] uint64
        large = LinkLargeScale.keyed(link_key, sat_ids, ut_ids)
        heading = 2.0 * np.pi * keyed.uniform(key, keyed.STREAMS["ut_heading"], drop_index[:, None], ut_ids)
        csi = statistical_csi(sat_r, sat_axes, ut_itrs, ut_lat, ut_lon, large, cfg.channel)
        return Drops(csi=csi, sat_ids=sat_ids, t_s=t, center_lat_deg=c_lat, center_lon_deg=c_lon,
                     ut_lat_deg=ut_lat, ut_lon_deg=ut_lon, ut_itrs_m=ut_itrs, sat_itrs_m=sat_r,
                     sat_axes=sat_axes, large_scale=large, ut_heading_rad=heading, drop_index=drop_index,
                     link_key=link_key, ut_ids=ut_ids)

    def evolve(self, drops: Drops, dt_s: float, rng: np.random.Generator | None = None,
               speed_kmh: float = 5.0, *, states=None, sat_ids=None) -> Drops:
        """The same drops ``dt_s`` seconds later: same cooperating satellites and the same per-link
        large-scale draws (``drops.large_scale``), satellites propagated, UTs walked ``speed_kmh x dt_s``
        along their heading, statistical CSI recomputed. Each UT keeps one heading
        (``drops.ut_heading_rad``, a straight walk at constant bearing; :meth:`draw_drops` sets it,
        keyed by identity); only for drops without headings does the first call that moves UTs draw
        them uniformly from ``rng``. No reselection unless asked: a satellite may set below the mask
        as time goes on (``csi.elevation`` says so).

        states: optional ``(r_itrs_m, v_itrs_m)`` of the WHOLE constellation at ``drops.t_s + dt_s``,
            each ``[n,3]`` (one instant shared by every drop) or ``[B,n,3]``, as returned by
            ``constellation.state_itrs``: used instead of propagating again (a live simulation
            propagates once per tick and shares the states with the topology and the agents).
        sat_ids: optional int ``[B,S]`` (or ``[S]``): a new cooperating set (handover). The links'
            large-scale draws are then re-keyed from ``drops.link_key`` (same (drop, satellite, UT) ->
            same draw as before; requires drops from :meth:`draw_drops`).
        """
        if not (np.isfinite(dt_s) and dt_s >= 0):
            raise BadInput(f"dt_s must be a non-negative time step (s), got {dt_s!r}")
        t = drops.t_s + dt_s
        b = drops.batch
        n = self.constellation.n
        large = drops.large_scale
        ids = drops.sat_ids
        if sat_ids is not None:
            ids = np.broadcast_to(np.asarray(sat_ids), (b, np.shape(sat_ids)[-1])).astype(int)
            if ids.ndim != 2 or ids.shape[1] < 1 or ids.min() < 0 or ids.max() >= n:
                raise ValueError(f"sat_ids must be [B,S] or [S] constellation indices in [0, {n}), got {sat_ids!r}")
            if drops.link_key is None or drops.ut_ids is None:
                raise ValueError("sat_ids: these drops carry no link_key/ut_ids (not from draw_drops); "
                                 "cannot re-key the links of a new cooperating set")
            large = LinkLargeScale.keyed(drops.link_key, ids, drops.ut_ids)
        if states is None:
            r_all, v_all = self.constellation.state_itrs(t)                      # [B,n,3]
        else:
            try:
                r_all, v_all = (np.asarray(x, float) for x in states)
            except (TypeError, ValueError):
                raise ValueError("states must be a pair (r_itrs_m, v_itrs_m)") from None
            if r_all.shape != v_all.shape or r_all.shape not in ((n, 3), (b, n, 3)):
                raise ValueError(f"states: r_itrs_m/v_itrs_m have shapes {r_all.shape}/{v_all.shape}, "
                                 f"expected [n,3]=({n}, 3) or [B,n,3]=({b}, {n}, 3)")
            if r_all.ndim == 2:
                r_all, v_all = r_all[None], v_all[None]
        _, omega = self.constellation.earth_rotation(t)
        rows = np.arange(b)[:, None] if r_all.shape[0] == b else np.zeros((b, 1), int)
        sat_r = r_all[rows, ids]
        sat_axes = axes_from_state(sat_r, v_all[rows, ids], omega[:, None])
        heading = drops.ut_heading_rad
        if speed_kmh == 0:
            ut_lat, ut_lon, ut_itrs = drops.ut_lat_deg, drops.ut_lon_deg, drops.ut_itrs_m
        else:
            ut_lat, ut_lon, ut_itrs, heading = move_uts(drops.ut_lat_deg, drops.ut_lon_deg, dt_s, rng, speed_kmh,
                                                        heading_rad=heading)
        csi = statistical_csi(sat_r, sat_axes, ut_itrs, ut_lat, ut_lon, large, self.config.channel)
        return Drops(csi=csi, sat_ids=ids, t_s=t, center_lat_deg=drops.center_lat_deg,
                     center_lon_deg=drops.center_lon_deg, ut_lat_deg=ut_lat, ut_lon_deg=ut_lon, ut_itrs_m=ut_itrs,
                     sat_itrs_m=sat_r, sat_axes=sat_axes, large_scale=large, ut_heading_rad=heading,
                     drop_index=drops.drop_index, link_key=drops.link_key, ut_ids=drops.ut_ids)
