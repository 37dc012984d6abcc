"""The episode driver: advances simulated time in lockstep ticks, moves messages, asks the evaluator.

One tick at episode time t = n tick_s (see "One episode, in simulated time" in ARCHITECTURE.md):

1. the world propagates the whole constellation once (SGP4); at an update tick every region
   re-selects its S cooperating satellites (handover: agents join and leave the runtime) and,
   for centralized schemes, the central agent is (re-)elected (:func:`agents.protocol.elect_central`,
   minimum total ISL latency to the members over the links up at t; with ``failover = "reelect"``
   a central unreachable for longer than ``failover_timeout_s`` is replaced);
2. the bus delivers what has arrived by t; every agent steps once (one call per host) with its
   inbox, the UTs' positions and its role, and returns what it sends, which the driver puts on the
   bus at t; messages that arrive at t itself (zero latency) are handed out in further rounds of
   the same tick;
3. the evaluator computes every scheme's sum rate on the true channels of t with the precoders
   each satellite holds (:mod:`agents.live.evaluator`).

The world evolve (true sCSI, UTs), the truth channels and the evaluator are one batched call per tick
over all regions (:meth:`EpisodeWorld.truths`, ``channels_many``, ``Evaluator.tick_many``);
``batch_regions=False`` runs them region by region (the reference path).

Nothing depends on wall time: wall time is measured and logged beside the simulated timeline.
"""
from __future__ import annotations

import heapq
import math
import pickle
import time

import numpy as np

from agents import protocol
from agents import schemes as catalog
from constellation.checks import BadInput

from .agent import AgentSettings, AgentSpec
from .boundary import Delivery, StepOutput, TickInput, UTView
from .evaluator import Evaluator
from .world import EpisodeWorld

MAX_ROUNDS = 16
ROUND_S = 1e-9      # same-tick rounds act 1 ns apart on the bus (a zero-latency message is seen in the same tick)
EVENT_KINDS = ("SCSIReport", "PrecoderBundle")   # messages acted on at their arrival time


def check_schemes(config) -> tuple[list[str], dict[str, str]]:
    """The episode's schemes and their architectures; :class:`BadInput` (one line naming the field) for an
    unregistered scheme or a fallback that is not a separate scheme. Cheap: called before any work."""
    schemes = catalog.resolve(config.schemes)
    arch = catalog.architectures()
    fb = config.centralized.fallback_scheme
    if fb not in arch:
        raise BadInput(f"centralized.fallback_scheme = {fb!r}: not a registered scheme; "
                         f"registered: {', '.join(arch)}")
    if arch[fb] != "separate":
        raise BadInput(f"centralized.fallback_scheme = {fb!r}: must be a separate scheme (it runs on the member "
                         f"alone); separate: {', '.join(n for n, a in arch.items() if a == 'separate')}")
    catalog.check_options(config.scheme_options)      # unknown scheme / option, unreadable weights: now
    return schemes, {s: arch[s] for s in schemes}


class Episode:
    """One live episode (build, then :meth:`run`)."""

    def __init__(self, config, runtime, checked=None, batch_regions: bool = True):
        """``checked``: :func:`check_schemes` of ``config`` if the caller already ran it. ``batch_regions``:
        the world evolve, the truth channels and the evaluator in one batched call per tick over all regions
        (per number of members); False: one call per region (the reference the batched path is tested
        against)."""
        self.config = config
        self.batch_regions = bool(batch_regions)
        self.runtime = runtime
        runtime.events.clear()
        runtime.host_events.clear()
        self.schemes, self.arch = checked if checked is not None else check_schemes(config)
        self.settings = AgentSettings.from_config(config)
        self.has_central = any(a == "centralized" for a in self.arch.values())
        self.world = EpisodeWorld(config)
        from network.bus import Bus
        self.link = config.isl.link_config()
        self.tick_s = config.tick_s
        self.n_ticks = config.n_ticks
        self.ticks_done = 0                 # ticks run (n_ticks unless the episode was cut short)
        self.upd_ticks = max(1, int(round(config.update_period_s / config.tick_s)))
        self.ssi_ticks = max(1, int(round(config.ssi_period_s / config.tick_s)))
        self.recipe = pickle.dumps(self.world.recipe)
        from .agent import share_constellation
        share_constellation(self.recipe, self.world.constellation)
        self.events: list[dict] = []
        self.members: dict[int, list[int]] = {}
        self.central: dict[int, int | None] = {}
        self.unreachable_since: dict[int, float | None] = {}
        # initial selection and election (needed for the "central" fault target)
        self._initial = {}
        for reg in self.world.regions:
            tr = reg.drops
            self._initial[reg.index] = [int(x) for x in tr.sat_ids[0]]
        self._snap0 = self.world.snapshot(0.0)
        # region 0's central by the election rule at the start (the "central" fault target; elected even
        # when no centralized scheme runs, so the same satellite is cut in comparable runs)
        central0 = self._elect(self._initial[0], 0.0, faults=False)
        self.timeline = self.world.fault_timeline(central0)
        self.bus = Bus(self.world.snapshot, self.link, faults=self.timeline, on_failure=config.isl.on_failure,
                       step_s=config.tick_s)
        self.meta: dict[int, tuple] = {}
        self.held: dict[tuple, dict] = {}
        self.wake: dict[tuple, float] = {}          # agent -> earliest time it acts on its own
        self._wakes: list[tuple] = []               # heap of (wake time, agent); stale entries skipped
        self.subrounds_max = 0                      # most event-time sub-rounds between two ticks
        self.peer_meas: dict[tuple, dict] = {}      # agent -> {peer: t_meas of the newest SSI it holds}
        self.evaluator = Evaluator(self.schemes)
        self.power_w = 10.0 ** (config.power_dbw / 10.0)       # each satellite's whole budget (W)
        self.rows: list[dict] = []
        self.computes: list[tuple] = []
        self.missed = {s: [0, 0] for s in self.schemes}
        self.fallback = {s: [0, 0] for s in self.schemes}     # (update, satellite) pairs served by the fallback
        self.reachable: dict[int, bool] = {}
        self.member_timeline: dict[int, list] = {}
        self.lane_fallback: dict[tuple, list] = {}            # (region, sat, scheme) -> [on the fallback, judged]
        self.wall = {"world": 0.0, "agents": 0.0, "bus": 0.0, "evaluator": 0.0, "control": 0.0}
        self.cpu = {"world": 0.0, "evaluator": 0.0}     # the driver thread's CPU time (s) in the same sections

    # ------------------------------------------------------------------ roles
    def _latency(self, members, t: float, faults: bool = True) -> np.ndarray:
        """Member-to-member minimum ISL latency (s) [m, m] over the links up at t (inf: unreachable)."""
        snap = self.world.snapshot(t)
        mask = self.bus.up_mask(t, snap) if faults else None
        return protocol.latency_matrix(snap, members, self.link, mask=mask)[:, list(members)]

    def _elect(self, members, t: float, faults: bool = True, exclude=()) -> int:
        cand = sorted(m for m in members if m not in exclude) or sorted(members)
        ids = sorted(members)
        lat = self._latency(ids, t, faults)
        pos = {m: i for i, m in enumerate(ids)}
        sub = lat[np.ix_([pos[m] for m in cand], [pos[m] for m in cand])]
        return cand[protocol.elect_central(sub, list(range(len(cand))))]

    def _spec(self, region: int, sat: int) -> AgentSpec:
        c = self.config
        d = self.world.regions[region].drops
        return AgentSpec(sat=int(sat), region=region, recipe=self.recipe, t0_s=self.world.t0_s,
                         link_key=int(d.link_key[0]), ut_ids=tuple(int(x) for x in d.ut_ids[0]),
                         schemes=tuple(self.schemes), power_w=self.power_w,
                         channel=self.world.channel, settings=self.settings, seed=int(c.seed))

    def _set_members(self, region: int, new: list[int], t: float) -> None:
        old = self.members.get(region, [])
        for s in old:
            if s not in new:
                self.runtime.remove((region, s), t)
                self.held.pop((region, s), None)
                self.wake.pop((region, s), None)
                self.peer_meas.pop((region, s), None)
                self.events.append({"t_s": t, "type": "leave", "region": region, "sat": s})
        joining = [s for s in new if s not in old]
        self.runtime.add_many([((region, s), self._spec(region, s)) for s in joining], t)
        if old:
            for s in joining:
                self.events.append({"t_s": t, "type": "join", "region": region, "sat": s})
        if old and set(old) != set(new):
            self.events.append({"t_s": t, "type": "handover", "region": region, "from": old, "to": new})
        self.members[region] = list(new)

    def _update_roles(self, region: int, t: float, ut: UTView) -> None:
        """Re-selection (handover) and election at an update tick (``ut``: the region's UTs at t)."""
        if region in self.members:
            sets = self.world.select(region, t, ut.itrs_m, ut.lat_deg, ut.lon_deg)
            if sets.status[0] in ("ok", "unreachable", "partial"):
                new = [int(x) for x in sets.members[0]]
                if set(new) != set(self.members[region]):
                    self._set_members(region, new, t)
            else:
                self.events.append({"t_s": t, "type": "selection_short", "region": region,
                                    "detail": f"{sets.describe(0)}; keeping the set"})
        else:
            self._set_members(region, self._initial[region], t)
        self._check_reachable(region, t)
        if not self.has_central:
            self.central[region] = None
            return
        members = self.members[region]
        cur = self.central.get(region)
        if cur is None or cur not in members:
            new = self._elect(members, t)
            self.events.append({"t_s": t, "type": "election", "region": region, "central": new,
                                "detail": "initial" if cur is None else f"central {cur} left the set"})
            self.central[region] = new
            self.unreachable_since[region] = None
            return
        if self.config.centralized.failover == "reelect" and len(members) > 1:
            ids = sorted(members)
            since, replace = protocol.failover(self._latency(ids, t), ids, cur, self.unreachable_since.get(region),
                                               t, self.config.centralized.failover_timeout_s)
            self.unreachable_since[region] = since
            if replace:
                new = self._elect(members, t, exclude=(cur,))
                self.events.append({"t_s": t, "type": "election", "region": region, "central": new,
                                    "detail": f"failover: central {cur} unreachable since {since:.2f} s"})
                self.central[region] = new
                self.unreachable_since[region] = None

    def _check_reachable(self, region: int, t: float) -> None:
        """An ``unreachable`` event when the members stop being mutually reachable within
        ``region.max_member_latency_s`` over the links up at t (faults included), and the members over time."""
        members = self.members[region]
        ids = sorted(members)
        lat = self._latency(ids, t) if len(ids) > 1 else np.zeros((1, 1))
        bound = self.config.region.max_member_latency_s
        off = ~np.eye(len(ids), dtype=bool)
        bad = off & ~(lat <= bound)
        ok = not bad.any()
        if not ok and self.reachable.get(region, True):
            pairs = [(ids[i], ids[j]) for i, j in zip(*np.nonzero(np.triu(bad)))]
            no_route = sum(not np.isfinite(lat[i, j]) for i, j in zip(*np.nonzero(np.triu(bad))))
            self.events.append({"t_s": t, "type": "unreachable", "region": region, "members": list(members),
                                "pairs": [list(p) for p in pairs],
                                "detail": f"{len(pairs)} of {len(ids) * (len(ids) - 1) // 2} member pairs beyond "
                                          f"{bound:g} s over the ISLs up ({no_route} without a route)"})
        self.reachable[region] = ok
        timeline = self.member_timeline.setdefault(region, [])
        if not timeline or timeline[-1]["members"] != list(members):
            timeline.append({"t_s": t, "members": list(members)})
        timeline[-1].setdefault("reachable", []).append(ok)

    # ------------------------------------------------------------------ messages
    def _send(self, region: int, sends, t: float) -> None:
        for send in sends:
            msg = send.message
            mid = self.bus.send(msg, send.src, send.dst, t)
            self.meta[mid] = (region, getattr(msg, "scheme", ""), getattr(msg, "update", -1))

    def _deliveries(self, t: float) -> dict:
        inbox: dict = {}
        for d in self.bus.deliver(t):
            region = self.meta[d.msg_id][0]
            key = (region, d.dst)
            if d.dst in self.members.get(region, ()):
                inbox.setdefault(key, []).append(Delivery(d.msg, d.src, d.t_arrive_s))
        return inbox

    # ------------------------------------------------------------------ the loop
    def _prepare(self, n: int, kill_tick) -> dict:
        """Everything before the agents act at tick n: missed-update accounting, truth, roles (handover,
        election), fault injection, deliveries; returns the tick's inputs."""
        t = n * self.tick_s
        w0, c0 = time.perf_counter(), time.thread_time()
        update = n % self.upd_ticks == 0
        ssi = n % self.ssi_ticks == 0
        u_index = n // self.upd_ticks
        if update and n > 0:
            self._account_missed(u_index - 1)
        before = {reg.index: list(self.members.get(reg.index, self._initial[reg.index])) for reg in self.world.regions}
        truths = self.world.truths(t, before, batch=self.batch_regions)
        if update:
            views = self._views(truths)
            w1 = time.perf_counter()
            for r in before:
                self._update_roles(r, t, views[r])
            self.wall["control"] += time.perf_counter() - w1
            if any(self.members[r] != before[r] for r in before):      # a handover: the truth of the new sets
                truths = self.world.truths(t, {r: self.members[r] for r in before}, batch=self.batch_regions)
        views = self._views(truths)
        if kill_tick is not None and n == kill_tick:
            self._chaos(t)
        w2 = time.perf_counter()
        self.wall["world"] += w2 - w0
        self.cpu["world"] += time.thread_time() - c0
        inbox = self._deliveries(t)
        self.wall["bus"] += time.perf_counter() - w2
        ticks = {}
        for r in sorted(views):
            for s in self.members[r]:
                key = (r, s)
                box = inbox.get(key, [])
                # an agent with nothing to do at this tick (no update, SSI, message, due result) is not called
                if not (update or ssi or box or self.wake.get(key, -math.inf) <= t + 1e-9):
                    continue
                ticks[key] = self._tick(r, t, views[r], box, u_index, update=update, ssi=ssi, measure=True)
        return {"n": n, "t": t, "u_index": u_index, "truths": truths, "views": views, "ticks": ticks}

    @staticmethod
    def _views(truths) -> dict:
        """Each region's UTs (:class:`UTView`) from the batched truth, as copies: every agent, in-process or in
        another process, gets arrays of its own (a view into the batch starts at another memory alignment,
        and numpy's vectorised loops may then round differently than on the copy a Ray actor receives)."""
        return {r: UTView(d.ut_lat_deg[i].copy(), d.ut_lon_deg[i].copy(), d.ut_itrs_m[i].copy())
                for regs, d in truths for i, r in enumerate(regs)}

    def _tick(self, r: int, t: float, ut: UTView, inbox: list, u_index: int, *, update: bool = False,
              ssi: bool = False, measure: bool = False) -> TickInput:
        """What one agent of region r is told at time t: the UTs, the members and central, its inbox, and
        whether this is an update / SSI instant. Calls at a tick (update or SSI instants possible) measure
        the local sCSI; the extra same-tick rounds and event-time sub-rounds only deliver messages
        (``measure`` False). ``ut``: the region's UTs at the tick (:meth:`_views`)."""
        return TickInput(t_s=t, ut=ut,
                         members=tuple(self.members[r]), central=self.central.get(r),
                         update=u_index if update else -1, update_index=u_index, ssi=ssi, inbox=tuple(inbox),
                         measure=measure)

    def _absorb(self, outs: dict, t_bus: float) -> None:
        for key in sorted(outs):
            out: StepOutput = outs[key]
            self._send(key[0], out.sends, t_bus)
            if out.held:
                self.held.setdefault(key, {}).update(out.held)
            self.computes.extend(out.computes)
            self.events.extend(ev.to_dict() for ev in out.events)
            self.wake[key] = out.wake_s
            if math.isfinite(out.wake_s):
                heapq.heappush(self._wakes, (out.wake_s, key))
            self.peer_meas[key] = out.peers

    def _ssi_age(self, r: int, s: int, t: float) -> float:
        """Age at t of the oldest peer SSI agent (r, s) holds (inf if it never heard from a member)."""
        meas = self.peer_meas.get((r, s), {})
        ages = [t - meas.get(m, -math.inf) for m in self.members[r] if m != s]
        return max(ages) if ages else 0.0

    def _finish(self, prep: dict, outs: dict) -> dict:
        """The agents' round-0 outputs of tick n on the bus, then further rounds for same-tick deliveries;
        returns what the evaluator needs for tick n (members and held precoders as of now)."""
        t, truths, views, ticks = prep["t"], prep["truths"], prep["views"], prep["ticks"]
        w5 = time.perf_counter()
        self._absorb(outs, t)
        for rnd in range(1, MAX_ROUNDS):
            more = self._deliveries(t + rnd * ROUND_S)
            if not more:
                break
            ticks = {k: self._tick(k[0], t, views[k[0]], v, prep["u_index"]) for k, v in more.items()}
            w4 = time.perf_counter()
            outs = self.runtime.step(ticks, t)
            self.wall["agents"] += time.perf_counter() - w4
            self._absorb(outs, t + rnd * ROUND_S)
        self.wall["bus"] += time.perf_counter() - w5
        members = {r: list(m) for r, m in self.members.items()}
        held = {r: [dict(self.held.get((r, s), {})) for s in m] for r, m in members.items()}
        ssi_age = {(r, s): self._ssi_age(r, s, t) for r, m in members.items() for s in m}
        # what happens between this tick and the next, at its own time (tick n's evaluation is captured above)
        self._between(prep, t + rnd * ROUND_S)
        served: dict[int, int] = {}                 # regions each satellite serves now (its budget's split)
        for m in members.values():
            for s in m:
                served[s] = served.get(s, 0) + 1
        return {"n": prep["n"], "t": t, "truths": truths, "members": members, "held": held, "ssi_age": ssi_age,
                "served": served}

    def _between(self, prep: dict, t_done: float) -> None:
        """Event-time sub-rounds inside (t, t + tick_s): at the exact arrival time of each sCSI report or
        precoder bundle and at each agent's wake time (a computation becoming ready, a report timeout),
        the bus delivers what has arrived and the agents concerned act at that time (the central computes,
        a finished computation's bundles leave, a member takes its bundle). So precoder ages reflect ISL
        latency and on-board compute, not the tick. SSI only waits for the next event or tick (an agent
        uses it at its next update). Deterministic: the order is that of simulated time alone. No cap on
        the number of event times: the wake times are a heap (stale entries skipped), the bus's events its
        own heap, and every sub-round is at least ROUND_S after the one before."""
        t, views = prep["t"], prep["views"]
        t_next = t + self.tick_s
        last = t_done
        count = 0
        while True:
            wake = self._next_wake(last)
            # nothing is sent before the next wake time or tick, so the bus may serve its queues up to there
            te = min(self.bus.next_event_s(EVENT_KINDS, before=min(wake, t_next)), wake)
            if not te < t_next - 1e-9:
                break
            te = max(te, last + ROUND_S)
            w0 = time.perf_counter()
            inbox = self._deliveries(te)
            self.wall["bus"] += time.perf_counter() - w0
            keys = set(inbox)
            while self._wakes and self._wakes[0][0] <= te + 1e-12:
                w, key = heapq.heappop(self._wakes)
                if w > last + 1e-12 and self.wake.get(key) == w:
                    keys.add(key)
            ticks = {key: self._tick(key[0], te, views[key[0]], inbox.get(key, []), prep["u_index"])
                     for key in sorted(keys) if key[1] in self.members.get(key[0], ())}
            if ticks:
                w1 = time.perf_counter()
                outs = self.runtime.step(ticks, te)
                self.wall["agents"] += time.perf_counter() - w1
                self._absorb(outs, te)
            last = te
            count += 1
        self.subrounds_max = max(self.subrounds_max, count)

    def _next_wake(self, last: float) -> float:
        """The earliest wake time after ``last`` of an agent still in the episode (stale heap entries dropped)."""
        while self._wakes:
            w, key = self._wakes[0]
            if w > last + 1e-12 and self.wake.get(key) == w:
                return w
            heapq.heappop(self._wakes)
        return math.inf

    def run(self, progress=None, stop=None):
        """The loop. The driver evaluates tick n while the agents (Ray: other processes) step tick n+1:
        the evaluator needs only what the agents held at the end of tick n, captured before.
        ``stop()`` (polled once per tick): when true, the episode ends after the tick in hand
        (``ticks_done`` < ``n_ticks``: cut short)."""
        c = self.config
        kill_tick = None
        if c.chaos.kill_agent_at_s is not None:
            kill_tick = int(round(c.chaos.kill_agent_at_s / self.tick_s))
        prep = self._prepare(0, kill_tick)
        w = time.perf_counter()
        token = self.runtime.submit(prep["ticks"], prep["t"])
        self.wall["agents"] += time.perf_counter() - w
        for n in range(self.n_ticks):
            w = time.perf_counter()
            outs = self.runtime.collect(token)
            self.wall["agents"] += time.perf_counter() - w
            done = self._finish(prep, outs)
            halt = stop is not None and bool(stop())
            if n + 1 < self.n_ticks and not halt:
                prep = self._prepare(n + 1, kill_tick)
                w = time.perf_counter()
                token = self.runtime.submit(prep["ticks"], prep["t"])
                self.wall["agents"] += time.perf_counter() - w
            w6, c6 = time.perf_counter(), time.thread_time()
            self._evaluate(done)
            self.wall["evaluator"] += time.perf_counter() - w6
            self.cpu["evaluator"] += time.thread_time() - c6
            self.ticks_done = n + 1
            if progress is not None:
                progress(n, done["t"])
            if halt:
                break
        last = (self.ticks_done - 1) // self.upd_ticks
        if (last + 1) * self.upd_ticks <= self.ticks_done:  # a period cut short by the episode's end is not judged
            self._account_missed(last)
        self.events.extend(self.runtime.events)
        self.events.sort(key=lambda e: (e["t_s"], e["type"]))

    def _chaos(self, t: float) -> None:
        target = self.config.chaos.target
        if target == "central":
            sat = self.central.get(0)
            if sat is None:
                sat = self.members[0][0]
        else:
            sat = int(target)
            if sat not in self.members[0]:
                raise BadInput(f"chaos.target = {target}: not a member of region 0 at t = {t} s "
                                 f"(members {self.members[0]})")
        self.runtime.kill((0, sat), t)

    def _evaluate(self, done: dict) -> None:
        """Tick n's sum rates: one batched evaluator call per group of regions of :meth:`EpisodeWorld.truths`
        (channels drawn for the whole group at once); rows in region order."""
        n, t, ssi_age = done["n"], done["t"], done["ssi_age"]
        served = done["served"]
        out = {}
        for regs, tr in done["truths"]:
            ids = tr.sat_ids                                            # [G,S]: the members, slot order
            cap = [[self.power_w / served.get(int(s), 1) for s in row] for row in ids]   # the equal split
            h = self.world.channels_many(regs, n, tr.csi, ids)
            res = self.evaluator.tick_many(tr.csi, h, [done["held"][r] for r in regs], t, power_cap_w=cap)
            for g, r in enumerate(regs):
                out[r] = tuple(x[g] for x in res)
        for r in sorted(out):
            rates, ages, updates, sources = out[r]
            members = done["members"][r]
            outage = bool(self._members_cut(r, t, members))
            ssi_max = float(max((ssi_age.get((r, m), 0.0) for m in members), default=0.0))
            for i, s in enumerate(self.schemes):
                self.rows.append({"tick": n, "t_s": t, "region": r, "scheme": s,
                                  "sum_rate_bps_hz": float(rates[i]), "precoder_age_s": ages[i],
                                  "sat_ids": list(members), "update": updates[i], "source": sources[i],
                                  "precoder_age_mean_s": float(np.mean(ages[i])), "ssi_age_max_s": ssi_max,
                                  "member_link_down": outage})

    def _members_cut(self, r: int, t: float, members) -> bool:
        """An ISL fault touches the cooperating set at t: one of the members' own links (or a member)
        is down in the fault timeline (the outage shading of the figures)."""
        if not len(self.timeline):
            return False
        cache = self.__dict__.setdefault("_incident", {})
        key = tuple(members)
        rows = cache.get(r)
        if rows is None or rows[0] != key:
            e = self.world.candidate_edges()            # the candidate links (what the fault timeline is over)
            sel = np.flatnonzero(np.isin(e[:, 0], members) | np.isin(e[:, 1], members))
            rows = cache[r] = (key, e[sel])
        return bool(self.timeline.is_down(t, rows[1]).any())

    def _account_missed(self, u: int) -> None:
        """After update u's period: for every member and scheme, did it hold precoders from update u,
        computed with every member's data of update u (not a fallback)?"""
        if u < 0:
            return
        for r, members in self.members.items():
            for s in members:
                h = self.held.get((r, s), {})
                for name in self.schemes:
                    x = h.get(name)
                    ok = x is not None and x.update == u and bool(x.complete) and x.source != "fallback"
                    self.missed[name][0] += 0 if ok else 1
                    self.missed[name][1] += 1
                    fb = x is not None and x.source == "fallback"
                    self.fallback[name][0] += int(fb)
                    self.fallback[name][1] += 1
                    lane = self.lane_fallback.setdefault((r, s, name), [0, 0])
                    lane[0] += int(fb)
                    lane[1] += 1
