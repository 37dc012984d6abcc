"""SatelliteAgent: one cooperating satellite of the live simulation (a plain class; runtimes host it).

An agent owns its orbit (its own Satrec, propagated with SGP4 on the constellation's time axis,
:meth:`constellation.ephemeris.Constellation.subset`), measures its local statistical CSI to the
UTs of its region every tick (:func:`constellation.channel.statistical_csi` from its own state, the
UTs' positions and its links' large-scale draws keyed by (seed, satellite, UT)), sends its SSI every
``ssi_period_s``, keeps the last SSI of each peer with its age, and runs every scheme lane every
``update_period_s``. Agents never talk to each other: :meth:`SatelliteAgent.step` takes the messages
the bus delivered and returns the messages to send; the driver moves them on the bus.

Scheme lanes (one per scheme, all side by side on the same satellite and world):

* separate (Sep-*): at each update the agent computes its own precoders from its local sCSI alone.
* decentralized (Dec-*): from its local sCSI plus its view of the peers built from their SSI
  (position and attitude -> steering vectors toward the UTs), each peer's last SSI carried forward
  to now by the motion of its element set (common knowledge; ``ssi_propagate``). With the
  scheme's on-board entry point (``local``) the agent calls it with its S=1 problem and that view;
  otherwise it solves the problem it believes in (its own row measured, the peers' rows from SSI
  geometry with median large-scale fading) and keeps its own row.
* centralized (Cen-*): members send an sCSI report to the central agent at each update; the
  central computes all precoders when every member's report of that update is in, or
  ``report_timeout_s`` after the update (then with the last report it holds of a late member;
  a member it never heard from is left out), and sends each member its bundle. A member applies
  its newest bundle and falls back to ``fallback_scheme`` (computed locally at every update) when
  it has none or the newest is older than ``max_bundle_age_s``.

On-board compute: every computation is charged ``flops / onboard_flops`` seconds (flops counted
by the scheme); its result exists only from then on (serially per lane). Agents act at event
times: every tick (measure, SSI, updates) and, between ticks, at the arrival time of each sCSI
report or bundle and at the agent's own wake time (:meth:`SatelliteAgent._wake`: a result
becoming ready, a report timeout), where the driver steps it with ``t`` = that time
(:meth:`agents.live.episode.Episode._between`). So a central computes when the last report
arrives and its bundles leave when the result is ready; precoder ages reflect ISL latency and
compute. Only the evaluator samples at ticks (the rate of tick n uses what is held at tick n).
A peer's SSI is taken at the next event or tick (it is used at the next update anyway).
"""
from __future__ import annotations

import itertools
import math
import pickle
from dataclasses import dataclass, field

import numpy as np
import torch

from constellation.antenna import upa_steering
from constellation.channel import ChannelConfig, LinkLargeScale, link_geometry, statistical_csi
from constellation.ephemeris import Constellation, axes_from_quaternion, axes_from_state

from agents import protocol

from . import schemes as registry
from .messages import LiveBundle, LiveReport, LiveSSI


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
class AgentSpec:
    """Everything an agent is built from (picklable; sent to a Ray actor once).

    sat: constellation index; region: service-region index; recipe: pickled constellation recipe
    (every agent knows every element set); t0_s: episode start (s since the constellation epoch);
    link_key: uint64 key of the region's links; ut_ids [K]; lanes: ((scheme, architecture), ...);
    power_w: budget (W); the rest as :class:`agents.live.config.RunConfig`.
    """

    sat: int
    region: int
    recipe: bytes
    t0_s: float
    link_key: int
    ut_ids: tuple
    lanes: tuple
    power_w: float
    channel: ChannelConfig = field(default_factory=ChannelConfig)
    onboard_flops: float = 1e10
    update_period_s: float = 1.0
    report_timeout_s: float = 0.5
    fallback_scheme: str = "Sep-MMSE"
    max_bundle_age_s: float = 2.0
    ssi_propagate: bool = True
    bits_per_real: int = 32
    sigma_packing: str = "full"
    quantize: bool = True
    warm_start: bool = True
    scheme_options: tuple = ()


_SERIAL = itertools.count()


@dataclass
class _Held:
    p: np.ndarray
    b: np.ndarray
    t_csi_s: float
    update: int
    complete: bool
    source: str
    serial: int = field(default_factory=lambda: next(_SERIAL))   # identity (never id(): ids are recycled)


@dataclass
class _Lane:
    scheme: str
    arch: str
    busy_until: float = -math.inf
    pending: list = field(default_factory=list)          # (t_ready, seq, kind, payload)
    own: _Held | None = None                             # own computation (separate/decentralized/central)
    bundle: _Held | None = None                          # newest bundle received (centralized member)
    fallback: _Held | None = None
    reports: dict = field(default_factory=dict)          # central: sat -> LiveReport (newest)
    warm: tuple | None = None                            # (satellites, Precoders) of the lane's last solution
    collect: dict | None = None                          # central: the update being collected
    version: int = 0
    last_out: tuple | None = None


class SatelliteAgent:
    """One satellite (see module docstring). ``step`` is the only entry point per tick."""

    def __init__(self, spec: AgentSpec):
        self.spec = spec
        self.sat = int(spec.sat)
        self.constellation = _constellation_from_recipe(spec.recipe)
        self.orbit = self.constellation.subset([self.sat])
        self.lanes = {name: _Lane(name, arch) for name, arch in spec.lanes}
        self.options = {k: dict(v) for k, v in spec.scheme_options}
        self.peers: dict[int, LiveSSI] = {}
        self._subsets: dict = {}
        self._large = None
        self._seq = 0
        self.state = None

    # ------------------------------------------------------------------ physics
    def _propagate(self, t_abs: float):
        r, v = self.orbit.state_itrs(np.array([t_abs]))
        _, omega = self.orbit.earth_rotation(np.array([t_abs]))
        axes = axes_from_state(r[0, 0], v[0, 0], omega[0])
        return r[0, 0], v[0, 0], axes

    def _local_csi(self, r, axes, ut):
        lat, lon, itrs = ut
        if self._large is None:
            self._large = LinkLargeScale.keyed(np.uint64(self.spec.link_key), np.array([self.sat]),
                                               np.asarray(self.spec.ut_ids))
        return statistical_csi(r[None, None], axes[None, None], itrs[None], lat[None], lon[None], self._large,
                               self.spec.channel)

    def _csi(self):
        """This tick's local sCSI [1,1,K] (measured on first use in the tick: a tick where nothing uses
        it does not need the numbers)."""
        st = self.state
        if "csi" not in st:
            st["csi"] = self._local_csi(st["r"], st["axes"], st["ut"])
        return st["csi"]

    def _problem(self):
        from agents.precoding.problem import PrecodingProblem
        st = self.state
        if "problem" not in st:
            st["problem"] = PrecodingProblem.from_csi(self._csi(), power_w=self.spec.power_w)
        return st["problem"]

    def _ssi(self, t):
        """This satellite's SSI now (:func:`agents.protocol.ssi_of`, the same code ``satcoop overhead`` uses)."""
        return protocol.ssi_of(self.state["r"], self.state["axes"], self.spec.power_w,
                               bits_per_real=self.spec.bits_per_real, cls=LiveSSI, sat=self.sat, t_meas_s=t)

    @staticmethod
    def _on_bus(sends) -> list:
        """:class:`agents.protocol.Send` s -> the (message, destination) pairs the driver puts on the bus."""
        return [(s.message, s.dst) for s in sends]

    def _report(self, t, csi, lane: str, update: int):
        return LiveReport(ssi=self._ssi(t), beta=csi.beta[0, 0], kappa=csi.kappa[0, 0], sigma=csi.sigma[0, 0],
                          sigma_packing=self.spec.sigma_packing, bits_per_real=self.spec.bits_per_real,
                          sat=self.sat, t_meas_s=t, scheme=lane, update=update)

    # ------------------------------------------------------------------ computing
    def _charge(self, lane: _Lane, t: float, flops: float) -> float:
        start = max(t, lane.busy_until)
        ready = start + flops / self.spec.onboard_flops
        lane.busy_until = ready
        return ready

    def _push(self, lane: _Lane, t_ready: float, kind: str, payload):
        lane.pending.append((t_ready, self._seq, kind, payload))
        self._seq += 1

    def _run(self, scheme: str, problem, lane: _Lane | None = None, sats: tuple = ()):
        """Run ``scheme``; with ``warm_start`` an iterative scheme starts from the lane's last solution
        for the same satellites (the satellites move little between updates)."""
        opts = dict(self.options.get(scheme) or {})
        if lane is not None and self.spec.warm_start and registry.accepts_init(scheme) and lane.warm is not None \
                and lane.warm[0] == sats and "init" not in opts:
            opts["init"] = lane.warm[1]
        out = registry.run(scheme, problem, opts)
        if lane is not None and registry.accepts_init(scheme):
            lane.warm = (sats, out[0])
        return out

    def _compute_local(self, lane: _Lane, t: float, update: int, kind: str, scheme: str, out):
        """Separate scheme (or the fallback) on this satellite's own S=1 problem."""
        own_lane = lane if kind == "own" else None
        prec, flops, it, wall, src = self._run(scheme, self._problem(), own_lane, (self.sat,))
        held = _Held(prec.p[0, 0].numpy(), prec.b[0, 0].numpy(), t, update, True, kind)
        ready = self._charge(lane, t, flops)
        self._push(lane, ready, kind, held)
        out["computes"].append((lane.scheme, kind, scheme, update, t, ready, flops, it, wall, src))

    def _peer_state(self, m: int, t: float):
        """SGP4 state of peer ``m`` from its element set (common knowledge) at episode time t: (r, v, axes)."""
        sub = self._subsets.get(m)
        if sub is None:
            sub = self._subsets[m] = self.constellation.subset([m])
        ta = np.array([self.spec.t0_s + t])
        r, v = sub.state_itrs(ta)
        _, om = sub.earth_rotation(ta)
        return r[0, 0], v[0, 0], axes_from_state(r[0, 0], v[0, 0], om[0])

    def _others(self, t: float, members, ut):
        """The peers' positions and body axes as this agent believes them now. From a peer's last SSI
        (measured at t_meas), carried forward to t by the motion of its element set (dead reckoning:
        r = r_SSI + r_sgp4(t) - r_sgp4(t_meas); nadir-pointing axes at the propagated state) when
        ``ssi_propagate``, else the SSI as it is however old; a peer never heard from is placed by its
        element set. Returns (ids, r [O,3], axes [O,3,3], SSI ages [O] (inf = never), power budgets [O] (W):
        the SSI's, or this agent's own budget as the prior for a peer never heard from)."""
        ids, rs, axs, ages, pws = [], [], [], [], []
        for m in members:
            if m == self.sat:
                continue
            ssi = self.peers.get(m)
            age = math.inf if ssi is None else t - ssi.t_meas_s
            if ssi is None:
                r, _, ax = self._peer_state(m, t)
            elif self.spec.ssi_propagate and age > 0:
                r_now, _, ax = self._peer_state(m, t)
                r_then, _, _ = self._peer_state(m, ssi.t_meas_s)
                r = ssi.position_m + (r_now - r_then)
            else:
                r, ax = ssi.position_m, axes_from_quaternion(ssi.attitude_q)
            ids.append(m)
            rs.append(r)
            axs.append(ax)
            ages.append(age)
            pws.append(self.spec.power_w if ssi is None else float(ssi.power_w))
        return (ids, np.array(rs).reshape(-1, 3), np.array(axs).reshape(-1, 3, 3), np.array(ages),
                np.array(pws, float))

    def _compute_decentralized(self, lane: _Lane, t: float, update: int, members, ut, out):
        lat, lon, itrs = ut
        ids, r_o, ax_o, _, pw_o = self._others(t, members, ut)
        entry = registry.local_entry(lane.scheme)
        cfg = self.spec.channel
        local = self._problem()
        if entry is not None:
            from agents.nets.dec_tfc import OthersView
            if ids:
                geo = link_geometry(r_o[None], ax_o[None], itrs[None], lat[None], lon[None])
                g = upa_steering(geo["u_sat"][..., 0], geo["u_sat"][..., 1], *cfg.sat_upa, cfg.element_spacing_wl)
                d0 = upa_steering(geo["u_ut"][..., 0], geo["u_ut"][..., 1], *cfg.ut_upa, cfg.element_spacing_wl)
            else:
                g = np.zeros((1, 0, len(lat), cfg.m), complex)
                d0 = np.zeros((1, 0, len(lat), cfg.n), complex)
            view = OthersView(g=torch.from_numpy(g).to(local.dtype), d0=torch.from_numpy(d0).to(local.dtype),
                              power_w=torch.from_numpy(pw_o.reshape(1, len(ids))).to(torch.float64),
                              mask=torch.ones((1, len(ids)), dtype=torch.bool))
            import time
            t0 = time.perf_counter()
            res = entry(local, view)
            wall = time.perf_counter() - t0
            prec, hist = res if isinstance(res, tuple) else (res, {})
            fl = (hist or {}).get("flops")
            if not isinstance(fl, torch.Tensor):
                # never charge 0 flops and call it counted: the timeline would give the scheme free compute
                raise RuntimeError(f"{lane.scheme}: its on-board entry point {getattr(entry, '__name__', entry)!r} "
                                   "returned no history['flops'] (a tensor of counted flops); the live simulation "
                                   "charges compute from it")
            flops = float(fl.double().sum())
            it, src = 0, "counted"
            p, b = prec.p[0, 0].numpy(), prec.b[0, 0].numpy()
        else:
            from agents.precoding.problem import PrecodingProblem
            csi = self._csi()
            if ids:
                zero = LinkLargeScale(np.zeros((1, len(ids), len(lat))), np.zeros((1, len(ids), len(lat))))
                peer_axes = ax_o[None]
                peer = statistical_csi(r_o[None], peer_axes, itrs[None], lat[None], lon[None], zero, cfg)
                from dataclasses import fields as dfields
                from constellation.csi import StatisticalCSI
                both = StatisticalCSI(**{f.name: (getattr(csi, f.name) if f.name == "noise_w" else np.concatenate(
                    [getattr(csi, f.name), getattr(peer, f.name)], axis=1)) for f in dfields(StatisticalCSI)})
            else:
                both = csi
            # own budget for its own row, each peer's from its SSI
            prob = PrecodingProblem.from_csi(both, power_w=np.concatenate([[self.spec.power_w], pw_o])[None])
            prec, flops, it, wall, src = self._run(lane.scheme, prob, lane, (self.sat,) + tuple(ids))
            p, b = prec.p[0, 0].numpy(), prec.b[0, 0].numpy()
        held = _Held(p, b, t, update, True, "own")
        ready = self._charge(lane, t, flops)
        self._push(lane, ready, "own", held)
        out["computes"].append((lane.scheme, "own", lane.scheme, update, t, ready, flops, it, wall, src))

    def _compute_central(self, lane: _Lane, t: float, members, ut, out):
        """The central agent's computation for the update being collected."""
        from agents.precoding.rebuild import problem_from_reports

        col = lane.collect
        u = col["update"]
        reps = {self.sat: col["own"]}
        complete = True
        for m in members:
            if m == self.sat:
                continue
            rep = lane.reports.get(m)
            if rep is None:
                complete = False
                continue
            if rep.update != u:
                complete = False
            reps[m] = rep
        lat, lon, itrs = ut
        prob = problem_from_reports(reps, itrs, self.spec.channel, ut_lat_deg=lat, ut_lon_deg=lon,
                                    quantize=self.spec.quantize)
        prec, flops, it, wall, src = self._run(lane.scheme, prob, lane, tuple(reps))
        t_csi = min(r.t_meas_s for r in reps.values())
        bundles = {}
        for i, s in enumerate(reps):
            bundles[s] = LiveBundle(p=prec.p[0, i].numpy(), b=prec.b[0, i].numpy(),
                                    bits_per_real=self.spec.bits_per_real,
                                    sat=s, scheme=lane.scheme, update=u, t_csi_s=t_csi, complete=complete)
        ready = self._charge(lane, t, flops)
        self._push(lane, ready, "central", bundles)
        out["computes"].append((lane.scheme, "central", lane.scheme, u, t, ready, flops, it, wall, src))
        if not complete:
            missing = [m for m in members if m != self.sat and (m not in lane.reports or lane.reports[m].update != u)]
            out["events"].append({"t_s": t, "type": "timeout", "scheme": lane.scheme, "sat": self.sat, "update": u,
                                  "detail": f"computed without fresh reports of {missing}"})
        lane.collect = None

    # ------------------------------------------------------------------ the tick
    def step(self, tick: dict) -> dict:
        """One tick. ``tick``: t (episode s), ut (lat [K], lon [K], itrs [K,3]), members (ids), central
        (id or None), update (index if an update starts now, else -1), update_index (current),
        ssi (bool), inbox [(msg, src, t_arrive)]. Returns sends [(msg, dst)], held {scheme: (version,
        p, b, t_csi, update, complete, source, t_data) if changed; t_data: see :meth:`_select`}, computes, events,
        peers {id: t_meas of its newest SSI}, wake_s (:meth:`_wake`)."""
        t = float(tick["t"])
        members = tick["members"]
        central = tick.get("central")
        ut = tick["ut"]
        out = {"sends": [], "held": {}, "computes": [], "events": []}
        first = self.state is None
        if tick.get("measure", True) or first:
            r, v, axes = self._propagate(self.spec.t0_s + t)
            self.state = {"r": r, "v": v, "axes": axes, "t": t, "ut": ut}

        for msg, src, _t_arr in tick.get("inbox", ()):
            if isinstance(msg, LiveSSI):
                old = self.peers.get(src)
                if old is None or msg.t_meas_s >= old.t_meas_s:
                    self.peers[src] = msg
            elif isinstance(msg, LiveReport):
                lane = self.lanes.get(msg.scheme)
                if lane is not None:
                    old = lane.reports.get(src)
                    if old is None or msg.update >= old.update:
                        lane.reports[src] = msg
            elif isinstance(msg, LiveBundle):
                lane = self.lanes.get(msg.scheme)
                if lane is not None and (lane.bundle is None or msg.update >= lane.bundle.update):
                    lane.bundle = _Held(msg.p, msg.b, msg.t_csi_s, msg.update, msg.complete, "bundle")

        if tick.get("ssi"):
            ssi = self._ssi(t)
            out["sends"].extend(self._on_bus(protocol.ssi_sends({self.sat: ssi}, members)))

        upd = int(tick.get("update", -1))
        u_now = int(tick.get("update_index", upd))
        run_update = upd >= 0 or first
        u = upd if upd >= 0 else u_now
        for lane in self.lanes.values():
            if lane.arch == "separate":
                if run_update:
                    self._compute_local(lane, t, u, "own", lane.scheme, out)
            elif lane.arch == "decentralized":
                if run_update:
                    self._compute_decentralized(lane, t, u, members, ut, out)
            else:
                if run_update:
                    self._compute_local(lane, t, u, "fallback", self.spec.fallback_scheme, out)
                if central == self.sat:
                    if upd >= 0:
                        lane.collect = {"update": u, "t0": t, "own": self._report(t, self._csi(), lane.scheme, u)}
                    if lane.collect is not None:
                        cu = lane.collect["update"]
                        fresh = all(m == self.sat or (m in lane.reports and lane.reports[m].update == cu)
                                    for m in members)
                        if fresh or t >= lane.collect["t0"] + self.spec.report_timeout_s - 1e-9:
                            self._compute_central(lane, t, members, ut, out)
                elif central is not None and upd >= 0 and central in members:
                    rep = self._report(t, self._csi(), lane.scheme, u)
                    out["sends"].extend(self._on_bus(protocol.report_sends(central, {self.sat: rep})))
            # results that are ready by now
            if lane.pending:
                lane.pending.sort(key=lambda x: (x[0], x[1]))
                while lane.pending and lane.pending[0][0] <= t + 1e-12:
                    _, _, kind, payload = lane.pending.pop(0)
                    if kind == "central":
                        mine = payload.get(self.sat)
                        if mine is not None:
                            lane.own = _Held(mine.p, mine.b, mine.t_csi_s, mine.update, mine.complete, "central")
                        out["sends"].extend(self._on_bus(protocol.bundle_sends(
                            self.sat, {s: b for s, b in payload.items() if s in members})))
                    elif kind == "fallback":
                        lane.fallback = payload
                    else:
                        lane.own = payload
            held, t_data = self._select(lane, t, central)
            if held is not None:
                key = (held.serial, t_data)
                if key != lane.last_out:
                    lane.last_out = key
                    lane.version += 1
                    out["held"][lane.scheme] = (lane.version, held.p, held.b, held.t_csi_s, held.update, held.complete,
                                                held.source, t_data)
        out["peers"] = {m: ssi.t_meas_s for m, ssi in self.peers.items()}
        out["wake_s"] = self._wake(t, central)
        return out

    def _wake(self, t: float, central) -> float:
        """The earliest time at which this agent would act without new input: a computation becoming ready,
        a central's report timeout, or its newest centralized precoders expiring (then the fallback is used).
        The driver skips the agent at ticks before it that bring no update, SSI or message (waking it a
        little early is harmless; never late)."""
        wake = math.inf
        for lane in self.lanes.values():
            if lane.pending:
                wake = min(wake, min(x[0] for x in lane.pending))
            if lane.collect is not None:
                wake = min(wake, lane.collect["t0"] + self.spec.report_timeout_s)
            if lane.arch == "centralized":
                for h in (lane.own if central == self.sat else None, lane.bundle):
                    if h is not None and t - h.t_csi_s <= self.spec.max_bundle_age_s:
                        wake = min(wake, h.t_csi_s + self.spec.max_bundle_age_s)
        return wake

    def _select(self, lane: _Lane, t: float, central):
        """(precoders in use, time of the data of the lane's newest own/centralized precoders). A
        centralized member uses its newest bundle unless older than ``max_bundle_age_s``, then its
        fallback; the age it reports is that of its newest centralized precoders all the same (how old
        the scheme's information is), or of the fallback before any centralized precoders arrived."""
        if lane.arch != "centralized":
            return lane.own, (lane.own.t_csi_s if lane.own is not None else None)
        newest = None
        for h in (lane.own if central == self.sat else None, lane.bundle):
            if h is not None and (newest is None or h.update > newest.update or
                                  (h.update == newest.update and h.t_csi_s > newest.t_csi_s)):
                newest = h
        if newest is not None and t - newest.t_csi_s <= self.spec.max_bundle_age_s:
            return newest, newest.t_csi_s
        fb = lane.fallback
        if newest is not None:
            return fb if fb is not None else newest, newest.t_csi_s
        return fb, (fb.t_csi_s if fb is not None else None)
