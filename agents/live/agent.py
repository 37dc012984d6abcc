"""SatelliteAgent: one satellite of the live simulation (a plain class; runtimes host it), and its part
in each service region it serves (:class:`RegionRole`).

One satellite, one agent, whatever number of regions it serves: a :class:`SatelliteAgent` owns the
orbit (propagated once per time for all its regions) and the power budget, and holds one
:class:`RegionRole` per region whose cooperating set it is in. The budget is shared by an equal split:
while it serves n regions, each role computes (and announces in its SSI) precoders for
``power_w / n`` (with the same K UTs in every region this is also the split proportional to the
UTs served). The evaluator holds each region to that share (:mod:`agents.live.evaluator`), so the
satellite never radiates more than its budget, also just after it joined another region.

A role uses its satellite's orbit (its own Satrec, propagated with SGP4 on the constellation's time
axis, :meth:`constellation.ephemeris.Constellation.subset`), measures its local statistical CSI to the
UTs of its region (:func:`constellation.channel.statistical_csi` from its own state, the UTs'
positions and its links' large-scale draws keyed by (seed, satellite, UT)), sends its SSI every
``ssi_period_s``, keeps the last SSI of each peer with its age, and runs one lane per scheme
(:mod:`agents.live.lanes`: the rules of the separate, decentralized, centralized-member and
central roles). Agents never talk to each other: :meth:`RegionRole.step` takes what the bus
delivered (:class:`agents.live.boundary.TickInput`) and returns what to send
(:class:`agents.live.boundary.StepOutput`), :meth:`SatelliteAgent.step` does so for all its regions
at once; the driver moves the messages on the bus. A step has two phases (``begin``: act up to the
scheme runs the lanes ask for; ``finish``: charge them, take ready results, publish), so that a host
holding several agents runs the requests of all of them batched per scheme (:mod:`agents.live.compute`).

The peers as the agent believes them (for the decentralized lanes): each peer's last SSI carried
forward to now by the motion of its element set (common knowledge; ``ssi_propagate``), or the SSI
as it is however old; a peer never heard from is placed by its element set.

On-board compute: every computation is charged ``flops / onboard_flops`` seconds (flops counted
by the scheme); its result exists only from then on (serially per lane). Agents act at event
times: every tick (measure, SSI, updates) and, between ticks, at the arrival time of each sCSI
report or bundle and at the agent's own wake time (a result becoming ready, a report timeout, its
centralized precoders expiring), where the driver steps it with ``t`` = that time
(:meth:`agents.live.episode.Episode._between`). So a central computes when the last report
arrives and its bundles leave when the result is ready; precoder ages reflect ISL latency and
compute. Only the evaluator samples at ticks (the rate of tick n uses what is held at tick n).
A peer's SSI is taken at the next event or tick (it is used at the next update anyway).
"""
from __future__ import annotations

import math
import pickle
from dataclasses import dataclass, fields

import numpy as np
import torch

from constellation.antenna import upa_steering
from constellation.channel import ChannelConfig, LinkLargeScale, link_geometry, statistical_csi
from constellation.csi import StatisticalCSI
from constellation.ephemeris import Constellation, axes_from_quaternion, axes_from_state

from agents import protocol
from agents import schemes as catalog
from agents.precoding.problem import PrecodingProblem

from .boundary import StepOutput, TickInput
from .compute import ComputeRequest, SchemeRun, run_requests
from .lanes import Lane, make_lane
from .messages import LiveBundle, LiveReport, LiveSSI

__all__ = ["AgentSettings", "AgentSpec", "RegionRole", "SatelliteAgent", "SchemeRun", "share_constellation"]

_CONSTELLATIONS: dict[bytes, Constellation] = {}


def _constellation_from_recipe(recipe: bytes) -> Constellation:
    """The whole constellation (every element set is common knowledge), built once per process."""
    c = _CONSTELLATIONS.get(recipe)
    if c is None:
        from .world import build_constellation
        if len(_CONSTELLATIONS) >= 4:
            _CONSTELLATIONS.clear()
        c = _CONSTELLATIONS[recipe] = build_constellation(pickle.loads(recipe))[0]
    return c


def share_constellation(recipe: bytes, constellation: Constellation) -> None:
    """Hand an already built constellation to the agents of this process (the local runtime)."""
    _CONSTELLATIONS[recipe] = constellation


@dataclass(frozen=True)
class AgentSettings:
    """The protocol settings every agent of an episode shares, taken from the run's config
    (:meth:`from_config`; the defaults are :class:`agents.config.run.RunConfig`'s, nowhere else)."""

    onboard_flops: float
    report_timeout_s: float
    fallback_scheme: str
    max_bundle_age_s: float
    ssi_propagate: bool
    bits_per_real: int
    sigma_packing: str
    quantize: bool
    warm_start: bool
    scheme_options: tuple          # ((scheme, ((option, value), ...)), ...)

    @classmethod
    def from_config(cls, c) -> "AgentSettings":
        return cls(onboard_flops=c.onboard_flops, report_timeout_s=c.centralized.report_timeout_s,
                   fallback_scheme=c.centralized.fallback_scheme, max_bundle_age_s=c.centralized.max_bundle_age_s,
                   ssi_propagate=c.ssi_propagate, bits_per_real=c.isl.bits_per_real,
                   sigma_packing=c.isl.sigma_packing, quantize=c.isl.quantize, warm_start=c.warm_start,
                   scheme_options=tuple(sorted((k, tuple(sorted(v.items()))) for k, v in c.scheme_options.items())))


@dataclass(frozen=True)
class AgentSpec:
    """Everything an agent is built from (picklable; sent to a Ray actor once).

    One spec per (region, satellite) role. sat: constellation index; region: service-region index;
    recipe: pickled constellation recipe (every agent knows every element set); t0_s: episode start (s
    since the constellation epoch); link_key: uint64 key of the region's links; ut_ids [K]; schemes: the
    scheme lanes (catalog names); power_w: the satellite's whole budget (W; shared across its regions by
    :class:`SatelliteAgent`); channel: the channel model; settings: the protocol settings; seed: the run's
    seed (keys the draws of a ``keyed`` scheme with the region and the update).
    """

    sat: int
    region: int
    recipe: bytes
    t0_s: float
    link_key: int
    ut_ids: tuple
    schemes: tuple
    power_w: float
    channel: ChannelConfig
    settings: AgentSettings
    seed: int = 0


@dataclass
class _Observation:
    """The agent's own state at its last measuring tick (sCSI and problem measured on first use)."""

    r: np.ndarray
    v: np.ndarray
    axes: np.ndarray
    t: float
    ut: object
    csi: StatisticalCSI | None = None
    problem: PrecodingProblem | None = None


class SatelliteAgent:
    """One satellite: its orbit, its budget and one :class:`RegionRole` per region it serves (module
    docstring). ``step`` takes {region: TickInput} and returns {region: StepOutput}."""

    def __init__(self, sat: int, recipe: bytes):
        self.sat = int(sat)
        self.orbit = _constellation_from_recipe(recipe).subset([self.sat])
        self.roles: dict[int, RegionRole] = {}
        self._state_t = None
        self._state = None

    def add_role(self, spec: AgentSpec) -> None:
        if int(spec.sat) != self.sat:
            raise ValueError(f"AgentSpec.sat = {spec.sat}: this agent is satellite {self.sat}")
        self.roles[int(spec.region)] = RegionRole(spec, self)

    def remove_role(self, region: int) -> bool:
        return self.roles.pop(int(region), None) is not None

    def power_share_w(self, role: "RegionRole") -> float:
        """The budget of one of its regions now: the whole budget split equally over the regions served."""
        return role.spec.power_w / max(1, len(self.roles))

    def propagate(self, t_abs: float):
        """(r, v, body axes) at ``t_abs`` (s since the epoch), SGP4 once per time for every region."""
        if self._state_t != t_abs:
            r, v = self.orbit.state_itrs(np.array([t_abs]))
            _, omega = self.orbit.earth_rotation(np.array([t_abs]))
            self._state_t, self._state = t_abs, (r[0, 0], v[0, 0], axes_from_state(r[0, 0], v[0, 0], omega[0]))
        return self._state

    def step(self, ticks: dict, batch: bool = True) -> dict:
        """{region: TickInput} -> {region: StepOutput, or None for a region it holds no role in}; the runs its
        regions ask for at this time batched per scheme (``batch``) or one by one."""
        run_requests(self.begin(ticks), batch=batch)
        return self.finish(ticks)

    def begin(self, ticks: dict) -> list:
        """Phase one of :meth:`step` (the host runs the returned requests, then calls :meth:`finish`)."""
        return [req for r in sorted(ticks) if r in self.roles for req in self.roles[r].begin(ticks[r])]

    def finish(self, ticks: dict) -> dict:
        return {r: (self.roles[r].finish() if r in self.roles else None) for r in sorted(ticks)}


class RegionRole:
    """A satellite's part in one service region (see module docstring). ``step`` (or its two phases
    ``begin`` / ``finish`` with the host running the requests in between) is the only entry point."""

    def __init__(self, spec: AgentSpec, satellite: SatelliteAgent | None = None):
        self.spec = spec
        self.settings = spec.settings
        self.sat = int(spec.sat)
        self.region = int(spec.region)
        self.constellation = _constellation_from_recipe(spec.recipe)
        self.satellite = satellite
        self.orbit = satellite.orbit if satellite is not None else self.constellation.subset([self.sat])
        self.lanes: dict[str, Lane] = {n: make_lane(n, catalog.get(n).architecture, self) for n in spec.schemes}
        self.options = {k: dict(v) for k, v in spec.settings.scheme_options}
        self.peers: dict[int, LiveSSI] = {}
        self._subsets: dict = {}
        self._large = None
        self._seq = 0
        self.state: _Observation | None = None
        self._step: tuple | None = None        # (tick, output, each lane's output) between begin and finish

    # ------------------------------------------------------------------ the step
    def step(self, tick: TickInput) -> StepOutput:
        """Act at ``tick.t_s`` on its own (its runs one by one): :meth:`begin`, the runs, :meth:`finish`."""
        run_requests(self.begin(tick), batch=False)
        return self.finish()

    def begin(self, tick: TickInput) -> list:
        """Act at ``tick.t_s``: observe (at a tick), take the inbox, broadcast the SSI at an SSI instant, then
        let every lane apply its rules (a precoding update starts at ``tick.update``; the agent's first call
        also computes). Returns the runs the lanes asked for (:class:`agents.live.compute.ComputeRequest`)."""
        t = float(tick.t_s)
        out = StepOutput()
        first = self.state is None
        if tick.measure or first:
            r, v, axes = self._propagate(self.spec.t0_s + t)
            self.state = _Observation(r, v, axes, t, tick.ut)
        for d in tick.inbox:
            self.receive(d.msg, d.src)
        if tick.ssi:
            out.sends.extend(protocol.ssi_sends({self.sat: self.ssi(t)}, tick.members))
        run_update = tick.starts_update or first
        u = tick.update if tick.starts_update else tick.update_index
        lane_outs = {name: StepOutput() for name in self.lanes}
        asked = [req for name, lane in self.lanes.items() for req in lane.step(tick, run_update, u, lane_outs[name])]
        self._step = (tick, out, lane_outs)
        return asked

    def finish(self) -> StepOutput:
        """After the runs: every lane charges them, takes its ready results and publishes what it holds; the
        output lists what each lane did at this time in lane order, as if the lanes had acted one by one."""
        tick, out, lane_outs = self._step
        self._step = None
        for name, lane in self.lanes.items():
            mine = lane_outs[name]
            lane.finish(tick, mine)
            out.sends.extend(mine.sends)
            out.held.update(mine.held)
            out.computes.extend(mine.computes)
            out.events.extend(mine.events)
        out.peers = {m: ssi.t_meas_s for m, ssi in self.peers.items()}
        out.wake_s = min((lane.wake_s(float(tick.t_s), tick.central) for lane in self.lanes.values()), default=math.inf)
        return out

    def receive(self, msg, src: int) -> None:
        """A delivered message to where it belongs: a peer's SSI to the peer view, reports and bundles to
        their scheme's lane."""
        if isinstance(msg, LiveSSI):
            old = self.peers.get(src)
            if old is None or msg.t_meas_s >= old.t_meas_s:
                self.peers[src] = msg
        elif isinstance(msg, LiveReport):
            lane = self.lanes.get(msg.scheme)
            if lane is not None:
                lane.on_report(msg, src)
        elif isinstance(msg, LiveBundle):
            lane = self.lanes.get(msg.scheme)
            if lane is not None:
                lane.on_bundle(msg)

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq - 1

    # ------------------------------------------------------------------ physics
    @property
    def power_w(self) -> float:
        """This region's share of the satellite's budget now (W)."""
        return self.spec.power_w if self.satellite is None else self.satellite.power_share_w(self)

    def _propagate(self, t_abs: float):
        if self.satellite is not None:
            return self.satellite.propagate(t_abs)
        r, v = self.orbit.state_itrs(np.array([t_abs]))
        _, omega = self.orbit.earth_rotation(np.array([t_abs]))
        axes = axes_from_state(r[0, 0], v[0, 0], omega[0])
        return r[0, 0], v[0, 0], axes

    def csi(self) -> StatisticalCSI:
        """This tick's local sCSI [1,1,K] (measured on first use in the tick: a tick where nothing uses
        it does not need the numbers)."""
        st = self.state
        if st.csi is None:
            if self._large is None:
                self._large = LinkLargeScale.keyed(np.uint64(self.spec.link_key), np.array([self.sat]),
                                                   np.asarray(self.spec.ut_ids))
            ut = st.ut
            st.csi = statistical_csi(st.r[None, None], st.axes[None, None], ut.itrs_m[None], ut.lat_deg[None],
                                     ut.lon_deg[None], self._large, self.spec.channel)
        return st.csi

    def problem(self) -> PrecodingProblem:
        """This tick's S = 1 precoding problem of the satellite's own links."""
        st = self.state
        if st.problem is None:
            st.problem = PrecodingProblem.from_csi(self.csi(), power_w=self.power_w)
        return st.problem

    def ssi(self, t: float) -> LiveSSI:
        """This satellite's SSI now (:func:`agents.protocol.ssi_of`, the same code ``satcoop overhead`` uses)."""
        return protocol.ssi_of(self.state.r, self.state.axes, self.power_w,
                               bits_per_real=self.settings.bits_per_real, cls=LiveSSI, sat=self.sat, t_meas_s=t)

    def report(self, t: float, scheme: str, update: int) -> LiveReport:
        """The sCSI report of scheme lane ``scheme`` for update ``update`` (this tick's local sCSI)."""
        csi = self.csi()
        return LiveReport(ssi=self.ssi(t), beta=csi.beta[0, 0], kappa=csi.kappa[0, 0], sigma=csi.sigma[0, 0],
                          sigma_packing=self.settings.sigma_packing, bits_per_real=self.settings.bits_per_real,
                          sat=self.sat, t_meas_s=t, scheme=scheme, update=update)

    # ------------------------------------------------------------------ computing
    def request(self, lane: Lane, kind: str, scheme: str, problem: PrecodingProblem, *, t: float, update: int,
                warm: Lane | None = None, sats: tuple = (), key_update: int | None = None, others=None,
                payload=None) -> ComputeRequest:
        """A run of ``scheme`` from the catalog on ``problem``, on ``lane``'s processor (run by the host,
        :mod:`agents.live.compute`). With ``warm_start`` an iterative scheme starts from ``warm``'s last
        solution for the same satellites (the satellites move little between updates); a ``keyed`` scheme
        draws from (seed, region, ``key_update`` (default ``update``)) (and the satellite, unless centralized)."""
        entry = catalog.get(scheme)
        opts = dict(self.options.get(scheme) or {})
        key = None
        if entry.keyed and "keys" not in opts:
            key = (int(self.spec.seed), self.region, max(int(update if key_update is None else key_update), 0))
            key = key if entry.architecture == "centralized" else key + (self.sat,)
        return ComputeRequest(lane=lane, kind=kind, scheme=scheme, update=int(update), t_s=float(t),
                              seq=self.next_seq(), problem=problem, options=opts, key=key, warm=warm,
                              sats=tuple(sats), use_warm=self.settings.warm_start, others=others, payload=payload)

    def central_compute(self, lane: Lane, reports: dict, tick: TickInput, update: int = 0,
                        payload=None) -> ComputeRequest:
        """The central's computation of update ``update``'s precoders of every member from the ``reports``
        it holds (its own first; slot order = the reports' order), on the problem rebuilt from them."""
        from agents.precoding.rebuild import problem_from_reports

        ut = tick.ut
        prob = problem_from_reports(reports, ut.itrs_m, self.spec.channel, ut_lat_deg=ut.lat_deg,
                                    ut_lon_deg=ut.lon_deg, quantize=self.settings.quantize)
        return self.request(lane, "central", lane.scheme, prob, t=tick.t_s, update=update, warm=lane,
                            sats=tuple(reports), payload=payload)

    def decentralized(self, lane: Lane, tick: TickInput, u: int) -> ComputeRequest:
        """This satellite's own precoders of a decentralized scheme (update ``u``), from its sCSI and its
        view of the peers:
        the scheme's on-board entry with an :class:`agents.nets.dec_tfc.OthersView`, else the problem it
        believes in (own row measured, the peers' rows from SSI geometry with median large-scale fading, each
        peer's budget from its SSI), keeping its own row."""
        t, ut = tick.t_s, tick.ut
        ids, r_o, ax_o, _, pw_o = self.others(t, tick.members)
        entry = catalog.get(lane.scheme)
        cfg = self.spec.channel
        local = self.problem()
        if entry.local is None:
            csi = self.csi()
            both = csi
            if ids:
                zero = LinkLargeScale(np.zeros((1, len(ids), len(ut.lat_deg))), np.zeros((1, len(ids), len(ut.lat_deg))))
                peer = statistical_csi(r_o[None], ax_o[None], ut.itrs_m[None], ut.lat_deg[None], ut.lon_deg[None], zero,
                                       cfg)
                both = StatisticalCSI(**{f.name: (getattr(csi, f.name) if f.name == "noise_w" else np.concatenate(
                    [getattr(csi, f.name), getattr(peer, f.name)], axis=1)) for f in fields(StatisticalCSI)})
            prob = PrecodingProblem.from_csi(both, power_w=np.concatenate([[self.power_w], pw_o])[None])
            return self.request(lane, "own", lane.scheme, prob, t=t, update=u, warm=lane, sats=(self.sat,) + tuple(ids),
                                key_update=tick.update_index)
        from agents.nets.dec_tfc import OthersView
        if ids:
            geo = link_geometry(r_o[None], ax_o[None], ut.itrs_m[None], ut.lat_deg[None], ut.lon_deg[None])
            g = upa_steering(geo["u_sat"][..., 0], geo["u_sat"][..., 1], *cfg.sat_upa, cfg.element_spacing_wl)
            d0 = upa_steering(geo["u_ut"][..., 0], geo["u_ut"][..., 1], *cfg.ut_upa, cfg.element_spacing_wl)
        else:
            g = np.zeros((1, 0, len(ut.lat_deg), cfg.m), complex)
            d0 = np.zeros((1, 0, len(ut.lat_deg), cfg.n), complex)
        view = OthersView(g=torch.from_numpy(g).to(local.dtype), d0=torch.from_numpy(d0).to(local.dtype),
                          power_w=torch.from_numpy(pw_o.reshape(1, len(ids))).to(torch.float64),
                          mask=torch.ones((1, len(ids)), dtype=torch.bool))
        return self.request(lane, "own", lane.scheme, local, t=t, update=u, sats=(self.sat,) + tuple(ids),
                            others=view)

    # ------------------------------------------------------------------ the peers
    def _peer_state(self, m: int, t: float):
        """SGP4 state of peer ``m`` from its element set (common knowledge) at episode time t: (r, v, axes)."""
        sub = self._subsets.get(m)
        if sub is None:
            sub = self._subsets[m] = self.constellation.subset([m])
        ta = np.array([self.spec.t0_s + t])
        r, v = sub.state_itrs(ta)
        _, om = sub.earth_rotation(ta)
        return r[0, 0], v[0, 0], axes_from_state(r[0, 0], v[0, 0], om[0])

    def others(self, t: float, members):
        """The peers' positions and body axes as this agent believes them now. From a peer's last SSI
        (measured at t_meas), carried forward to t by the motion of its element set (dead reckoning:
        r = r_SSI + r_sgp4(t) - r_sgp4(t_meas); nadir-pointing axes at the propagated state) when
        ``ssi_propagate``, else the SSI as it is however old; a peer never heard from is placed by its
        element set. Returns (ids, r [O,3] (m, ITRS), axes [O,3,3], SSI ages [O] (s; inf = never), power
        budgets [O] (W): the SSI's, or this agent's own budget as the prior for a peer never heard from)."""
        ids, rs, axs, ages, pws = [], [], [], [], []
        for m in members:
            if m == self.sat:
                continue
            ssi = self.peers.get(m)
            age = math.inf if ssi is None else t - ssi.t_meas_s
            if ssi is None:
                r, _, ax = self._peer_state(m, t)
            elif self.settings.ssi_propagate and age > 0:
                r_now, _, ax = self._peer_state(m, t)
                r_then, _, _ = self._peer_state(m, ssi.t_meas_s)
                r = ssi.position_m + (r_now - r_then)
            else:
                r, ax = ssi.position_m, axes_from_quaternion(ssi.attitude_q)
            ids.append(m)
            rs.append(r)
            axs.append(ax)
            ages.append(age)
            pws.append(self.power_w if ssi is None else float(ssi.power_w))
        return (ids, np.array(rs).reshape(-1, 3), np.array(axs).reshape(-1, 3, 3), np.array(ages),
                np.array(pws, float))
