"""The ground truth of an episode (driver side; not an agent): constellation, regions, UTs, ISL fabric.

:class:`EpisodeWorld` holds what no agent owns: the whole constellation propagated once per tick
(one SGP4 call, shared by the topology, the selection of the cooperating sets and the true
channels), the service regions with their walking UTs (drops of the run's seed,
:meth:`constellation.scenario.World.draw_drops`, all at one start time, placed with a minimum spacing
by :func:`place_regions`), the +Grid (or complete) ISL topology (optionally with links across shells,
``isl.cross_shell``), the selection of the cooperating sets (``region.selection``,
:class:`network.selector.RegionSelector`, the same rule as ``world`` / ``compare`` / the training
drops), and the seeded fault timeline. Times are episode seconds ``t`` (0 at the start);
SGP4 is asked for ``t0_s + t`` seconds since the constellation epoch.

Randomness is keyed by identity: the regions, UTs and link large-scale draws come from the seed
(:mod:`constellation.keyed`); the fault timeline from ``SeedSequence([seed, FAULTS])``; the
instantaneous channels of tick n in region r, link by link, from (seed, r, n, satellite id, UT id).
"""
from __future__ import annotations

from constellation.checks import BadInput

from dataclasses import dataclass

import numpy as np

from constellation.scenario import Drops, World, WorldConfig
from network.faults import FaultTimeline, GilbertElliott, IIDLinkOutage, ScheduledFailure, build_timeline
from network.topology import CompleteTopology, TopologySnapshot, for_constellation

STREAM_FAULTS = 0xFA17
STREAM_CHANNELS = 0xC4A7


def constellation_recipe(config) -> dict:
    """What every process needs to rebuild the constellation (picklable): the validated
    :class:`agents.config.constellation.ConstellationSpec` as JSON and, with element-set files, their
    content (``{"constellation": spec, "element_sets": pack(spec)}``: an actor on a node without the
    driver's files rebuilds the same constellation, :mod:`agents.config.element_files`)."""
    from agents.config.element_files import pack
    spec = config.constellation.model_dump(mode="json")
    blobs = pack(spec)
    return {"constellation": spec, "element_sets": blobs} if blobs else spec


def build_constellation(recipe: dict):
    """(Constellation, provenance) from a recipe (:meth:`ConstellationSpec.build`)."""
    from agents.config.constellation import ConstellationSpec
    if "element_sets" in recipe:
        from agents.config.element_files import unpack
        recipe = unpack(recipe["constellation"], recipe["element_sets"])
    return ConstellationSpec.parse(recipe).build()


def place_regions(world: World, first: Drops, rc, seed: int, t0_s: float) -> list[Drops]:
    """The episode's ``rc.count`` service regions (the placement rule, ``region.min_spacing_km``, or the
    listed ``region.centers``: region i is drop i of the seed with its centre there).

    Region 0 is ``first`` (drop 0 of the seed, or the pinned centre). The others are the drops 1, 2, 3, ...
    of the seed (centres uniform over the coverage band's area, at the episode's start time) taken in
    order, each kept only if its centre is at least ``min_spacing_km`` (great circle) from every region
    kept before it; so with spacing 0 region i is drop i, and a region's place depends only on the seed
    and the regions before it. :class:`BadInput` if ``count`` regions do not fit in 50 x count drops."""
    from constellation.ground import great_circle_km

    if rc.centers is not None:                   # listed centres: region i is drop i of the seed at centres[i]
        return [first] + [world.draw_drops(1, seed, first=i, center=tuple(c), t_s=t0_s)
                          for i, c in enumerate(rc.centers[1:], 1)]
    regions, lat, lon = [first], [float(first.center_lat_deg[0])], [float(first.center_lon_deg[0])]
    nxt, limit, block = 1, 50 * rc.count, max(16, rc.count)
    while len(regions) < rc.count:
        if nxt >= limit:
            raise BadInput(f"region.min_spacing_km = {rc.min_spacing_km:g}: only {len(regions)} of region.count = "
                           f"{rc.count} regions fit ({limit} drops tried); lower the spacing or the count")
        cand = world.draw_drops(min(block, limit - nxt), seed, first=nxt, t_s=t0_s)
        for j in range(cand.batch):
            if len(regions) == rc.count:
                break
            c_lat, c_lon = float(cand.center_lat_deg[j]), float(cand.center_lon_deg[j])
            if rc.min_spacing_km <= 0 or great_circle_km(c_lat, c_lon, np.array(lat), np.array(lon)).min() \
                    >= rc.min_spacing_km:
                regions.append(cand.take(j))
                lat.append(c_lat)
                lon.append(c_lon)
        nxt += cand.batch
    return regions


@dataclass
class RegionState:
    """One service region at the start: its drop (centre, UTs, headings, link key)."""

    index: int
    drops: Drops

    @property
    def center(self) -> tuple[float, float]:
        return float(self.drops.center_lat_deg[0]), float(self.drops.center_lon_deg[0])


class EpisodeWorld:
    """Ground truth of one episode (see module docstring)."""

    def __init__(self, config):
        self.config = config
        self.recipe = constellation_recipe(config)
        self.constellation, self.provenance = build_constellation(self.recipe)
        rc = config.region
        if config.isl.topology in ("complete", "ideal"):
            self.topology = CompleteTopology(self.constellation.n, ideal=config.isl.topology == "ideal")
        else:
            cross = config.isl.cross_shell.to_config() if config.isl.cross_shell is not None else None
            self.topology = for_constellation(self.constellation, cross_shell=cross)
        from network.selector import selector_for
        self.selector = selector_for(self.constellation, rc, config.S, rc.min_elevation_deg, topology=self.topology,
                                     link_config=config.isl.link_config())
        self.world = World(WorldConfig(S=config.S, K=config.K, radius_km=rc.radius_km,
                                       min_elevation_deg=rc.min_elevation_deg), constellation=self.constellation,
                           selector=self.selector)
        self.channel = self.world.config.channel
        seed = int(config.seed)
        center = None if rc.center_lat_deg is None else (rc.center_lat_deg, rc.center_lon_deg)
        if rc.centers is not None:
            center = tuple(rc.centers[0])
        first = self.world.draw_drops(1, seed, center=center, t_s=config.start_t_s)
        self.t0_s = float(first.t_s[0])
        horizon = config.n_ticks * config.tick_s
        self.warnings = [w for w in [config.constellation.check_span(
            self.constellation, [self.t0_s, self.t0_s + horizon], time_name="the episode (start_t_s + duration_s)")]
            if w]
        self.regions = [RegionState(i, d) for i, d in enumerate(place_regions(self.world, first, rc, seed, self.t0_s))]
        self.all_drops = Drops.concat([r.drops for r in self.regions])     # every region's start, [R,...]
        self._state_t = None
        self._state = None
        self._snap_t = None
        self._snap = None

    # ------------------------------------------------------------------ time
    def states(self, t: float):
        """ITRS (r [n,3], v [n,3]) of the whole constellation at episode time t (cached per t)."""
        if self._state_t != t:
            r, v = self.constellation.state_itrs(self.t0_s + t)
            self._state_t, self._state = t, (r, v)
        return self._state

    def snapshot(self, t: float) -> TopologySnapshot:
        """The ISL topology at episode time t (the bus's topology provider)."""
        if self._snap_t != t:
            r, v = self.states(t)
            self._snap_t, self._snap = t, self.topology.snapshot(r, v, t_s=t)
        return self._snap

    def candidate_edges(self) -> np.ndarray:
        """int [E,2]: every link the fabric can have in this episode (what link faults are drawn over):
        the fixed candidate list of a +Grid / complete topology, or for k-nearest topologies (element
        sets) the union of the links seen every 10 s over the episode."""
        edges = getattr(self.topology, "edges", None)
        if edges is not None:
            return np.asarray(edges)
        if getattr(self, "_union", None) is None:
            from network.topology import union_edges
            horizon = self.config.n_ticks * self.config.tick_s
            self._union = union_edges([self.snapshot(float(t)) for t in np.arange(0.0, horizon + 10.0, 10.0)])
        return self._union

    # ------------------------------------------------------------------ regions
    def truth(self, region: int, t: float, sat_ids) -> Drops:
        """Region ``region`` at episode time t with cooperating satellites ``sat_ids`` [S]: true sCSI
        [1,S,K], UT positions (straight walk from the start), satellite states."""
        d = self.regions[region].drops
        return self.world.evolve(d, t, speed_kmh=self.config.region.ut_speed_kmh, states=self.states(t),
                                 sat_ids=np.asarray(sat_ids)[None])

    def truths(self, t: float, members: dict, batch: bool = True) -> list[tuple[list[int], Drops]]:
        """The regions of ``members`` ({region: cooperating satellite ids [S_r]}) at episode time t, as
        :meth:`truth` gives them, in groups ``(regions, Drops [G,S,K])``: one batched
        :meth:`constellation.scenario.World.evolve` per number of members (every region has S unless
        ``region.partial``), rows in the order of ``regions`` (ascending). ``batch=False``: one call per
        region (the reference path, equal to the batched one to rounding)."""
        groups: dict = {}
        for r in sorted(members):
            groups.setdefault(len(members[r]) if batch else r, []).append(r)
        out = []
        states = self.states(t)
        for regs in groups.values():
            d = self.all_drops if len(regs) == len(self.regions) else self.all_drops.take(np.asarray(regs))
            ids = np.asarray([list(members[r]) for r in regs], np.int64)
            out.append((regs, self.world.evolve(d, t, speed_kmh=self.config.region.ut_speed_kmh, states=states,
                                                sat_ids=ids)))
        return out

    def select(self, region: int, t: float, ut_itrs, ut_lat, ut_lon):
        """The cooperating set of ``region`` at episode time t by the run's rule (``region.selection``, the
        selector every command uses, :class:`network.selector.RegionSelector`, over the links the fabric
        has up at t): a one-region :class:`network.cooperation.CooperatingSets`."""
        r, v = self.states(t)
        lat0, lon0 = self.regions[region].center
        return self.selector.select(r, v, self.t0_s + t, ut_itrs[None], np.array([lat0]), np.array([lon0]),
                                    ut_lat[None], ut_lon[None], snapshot=self.snapshot(t))

    def channels(self, region: int, tick: int, csi, sat_ids) -> np.ndarray:
        """Instantaneous channels H [1,S,K,N,M] of tick ``tick`` in ``region`` (eq. (13)) for the cooperating
        satellites ``sat_ids`` [S] (the order of ``csi``'s S axis). Each link's small-scale draw is keyed by
        identity, (seed, region, tick, satellite id, UT id) (:mod:`constellation.keyed`): reordering the
        cooperating set permutes the channels, and a satellite keeps its links' draws whatever its slot.
        The keyed white normals go through :meth:`constellation.csi.StatisticalCSI.channels` (the same
        eq. (13) as ``sample_channels``)."""
        return self.channels_many([region], tick, csi, np.asarray(sat_ids)[None])

    def channels_many(self, regions, tick: int, csi, sat_ids) -> np.ndarray:
        """:meth:`channels` of G regions in one call: ``regions`` [G], ``csi`` [G,S,K] (row i of region
        ``regions[i]``), ``sat_ids`` [G,S]; H [G,S,K,N,M], each link drawn from the same keyed stream."""
        from constellation import keyed

        b, s, k, m, n = csi.shape
        regs = np.asarray(regions, np.int64).reshape(b, 1, 1, 1)
        sats = np.asarray(sat_ids, np.int64).reshape(b, s, 1, 1)
        uts = np.asarray(self.all_drops.ut_ids[np.asarray(regions)], np.int64).reshape(b, 1, k, 1)
        key = keyed.seed_key(int(self.config.seed))
        idx = np.arange(n).reshape(1, 1, 1, n)
        draw = lambda part: keyed.normal(key, STREAM_CHANNELS, regs, np.int64(tick), sats, uts, idx, np.int64(part))
        white = np.broadcast_to((draw(0) + 1j * draw(1)) / np.sqrt(2.0), (b, s, k, n))
        return csi.channels(white)

    # ------------------------------------------------------------------ faults
    def fault_timeline(self, central0: int | None) -> FaultTimeline:
        """The episode's outage timeline (episode time): the random model over every candidate link plus
        the scheduled entries (``"central"`` = every link of ``central0``)."""
        fc = self.config.faults
        horizon = self.config.n_ticks * self.config.tick_s
        dt = self.config.tick_s
        models = []
        if fc.model == "iid" and fc.outage_prob > 0:
            models.append(IIDLinkOutage(p=fc.outage_prob, dt_s=dt))
        elif fc.model == "gilbert-elliott" and fc.outage_prob > 0:
            mean_down = max(fc.mean_outage_s, dt)
            mean_up = max(mean_down * (1.0 - fc.outage_prob) / fc.outage_prob, dt)
            models.append(GilbertElliott(mean_up_s=mean_up, mean_down_s=mean_down, dt_s=dt))
        entries = []
        for e in fc.scheduled:
            target = e.target
            if target == "central":
                target = int(central0)
            elif isinstance(target, list):
                target = tuple(int(x) for x in target)
            n = self.constellation.n
            for x in (target if isinstance(target, tuple) else (target,)):
                if not 0 <= int(x) < n:
                    raise BadInput(f"faults.scheduled.target = {e.target!r}: satellite indices are 0..{n - 1}")
            entries.append((e.start_s, e.end_s, target))
        rng = np.random.default_rng(np.random.SeedSequence([int(self.config.seed), STREAM_FAULTS]))
        tl = build_timeline(models, self.candidate_edges(), 0.0, max(horizon, dt), rng) if models else FaultTimeline()
        if entries:
            tl = tl | ScheduledFailure(tuple(entries)).timeline()
        return tl
