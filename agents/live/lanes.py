"""The scheme lanes of a satellite agent: one class per architecture, each rule of the exchange in one place.

An agent runs one lane per scheme, side by side on the same satellite and world. A lane owns its
on-board processor (:class:`ComputeQueue`: computations run one after the other, a result exists
only ``flops / onboard_flops`` after it starts) and the precoders it holds; its methods are the
steps of the exchange (Table III of the multi-satellite paper; who sends what is
:mod:`agents.protocol`):

* :class:`SeparateLane` (Sep-*): ``on_update`` computes the satellite's own precoders from its
  local sCSI alone.
* :class:`DecentralizedLane` (Dec-*): ``on_update`` infers them from the local sCSI and the view of
  the peers the agent built from their SSI (the scheme's on-board entry ``local`` if it has one,
  else the problem the satellite believes in: its own row measured, the peers' rows from SSI
  geometry with median large-scale fading; it keeps its own row).
* :class:`MemberLane` (Cen-*, every member): ``on_update`` computes the fallback locally and
  reports the sCSI to the central; ``on_bundle`` keeps the newest bundle; the precoders in use are
  the newest centralized ones unless older than ``max_bundle_age_s``, then the fallback.
* :class:`CentralLane` (Cen-*, the central's role, owned by the member lane and sharing its
  processor): ``on_update`` opens the collection with its own report; ``on_report`` keeps each
  member's newest report; ``on_timeout`` / a complete collection starts the computation (with the
  last report held of a late member; a member never heard from is left out); ``on_ready`` hands
  each member its bundle.

A lane acts at one time in two phases, so that the host can run the computations of all its agents
together (:mod:`agents.live.compute`): ``step`` applies the lane's rules, and where a rule computes it
*asks* (:meth:`Lane.ask`: a :class:`agents.live.compute.ComputeRequest`); the host runs what its lanes
asked; ``finish`` charges each run on the lane's processor (``on_computed``: what the lane will hold
once it is ready), takes the results that are ready (``on_ready``) and publishes the precoders in use
if they changed. Nothing in a lane's rules reads a result of the same time before ``finish``: a result
exists only ``flops / onboard_flops`` after it starts.
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from agents import protocol

from .boundary import AgentEvent, ComputeRecord, HeldPrecoders, StepOutput, TickInput
from .compute import ComputeRequest
from .messages import LiveBundle, LiveReport

__all__ = ["ComputeQueue", "Lane", "SeparateLane", "DecentralizedLane", "MemberLane", "CentralLane", "make_lane"]

_SERIAL = itertools.count()
EPS_S = 1e-12


@dataclass
class Held:
    """Precoders as a lane keeps them (``serial``: identity for change detection; never ``id()``,
    which Python recycles)."""

    p: object
    b: object
    t_csi_s: float
    update: int
    complete: bool
    source: str
    serial: int = field(default_factory=lambda: next(_SERIAL))


class ComputeQueue:
    """A lane's on-board processor: computations run serially; each result is usable from its ready time."""

    def __init__(self):
        self.busy_until = -math.inf
        self.pending: list = []           # (t_ready, seq, kind, payload)

    def charge(self, t: float, flops: float, onboard_flops: float) -> float:
        """Start a computation of ``flops`` at t (or when the processor is free); returns its ready time."""
        start = max(t, self.busy_until)
        self.busy_until = start + flops / onboard_flops
        return self.busy_until

    def push(self, t_ready: float, seq: int, kind: str, payload) -> None:
        self.pending.append((t_ready, seq, kind, payload))

    def pop_ready(self, t: float) -> list:
        """The (kind, payload) of every result ready by t, in order of readiness."""
        if not self.pending:
            return []
        self.pending.sort(key=lambda x: (x[0], x[1]))
        out = []
        while self.pending and self.pending[0][0] <= t + EPS_S:
            _, _, kind, payload = self.pending.pop(0)
            out.append((kind, payload))
        return out

    def next_ready_s(self) -> float:
        return min((x[0] for x in self.pending), default=math.inf)


class Lane:
    """What every lane shares: the scheme, its processor, its own result and the publication of what it holds."""

    architecture = ""

    def __init__(self, scheme: str, agent):
        self.scheme = scheme
        self.agent = agent
        self.queue = ComputeQueue()
        self.own: Held | None = None
        self.warm: tuple | None = None         # (satellites, Precoders) of the lane's last solution
        self.version = 0
        self.last_out: tuple | None = None
        self.asked: list[ComputeRequest] = []     # the computations asked at this time, run by the host

    # ---------------------------------------------------------------- the exchange
    def step(self, tick: TickInput, run_update: bool, u: int, out: StepOutput) -> list:
        """The lane's rules at ``tick.t_s``; returns the computations they asked for (run by the host, then
        :meth:`finish`)."""
        self.asked = []
        if run_update:
            self.on_update(tick, u, out)
        self.on_tick(tick, out)
        return self.asked

    def finish(self, tick: TickInput, out: StepOutput) -> None:
        """After the host ran what was asked: charge each run, take the ready results, publish."""
        for req in self.asked:
            self._charge(req, self.on_computed(req), out)
        self.asked = []
        for kind, payload in self.queue.pop_ready(tick.t_s):
            self.on_ready(kind, payload, tick, out)
        self.publish(tick.t_s, tick.central, out)

    def on_update(self, tick: TickInput, u: int, out: StepOutput) -> None:
        """A precoding update starts (or the agent's first call)."""

    def on_tick(self, tick: TickInput, out: StepOutput) -> None:
        """Rules that apply at every call (a central checking its collection)."""

    def on_computed(self, req: ComputeRequest):
        """A run finished on the host: what the lane will hold once its result is ready."""
        run = req.run
        return Held(run.p, run.b, req.t_s, req.update, True, req.kind)

    def on_ready(self, kind: str, payload, tick: TickInput, out: StepOutput) -> None:
        """A computation's result became usable."""
        self.own = payload

    def on_report(self, report: LiveReport, src: int) -> None:
        """An sCSI report arrived (only centralized lanes use them)."""

    def on_bundle(self, bundle: LiveBundle) -> None:
        """A precoder bundle arrived (only centralized members use them)."""

    # ---------------------------------------------------------------- what it holds
    def precoders(self, t: float, central) -> tuple:
        """(precoders in use, time of the data of the lane's newest own/centralized precoders)."""
        return self.own, (self.own.t_csi_s if self.own is not None else None)

    def publish(self, t: float, central, out: StepOutput) -> None:
        held, t_data = self.precoders(t, central)
        if held is None:
            return
        key = (held.serial, t_data)
        if key != self.last_out:
            self.last_out = key
            self.version += 1
            out.held[self.scheme] = HeldPrecoders(self.version, held.p, held.b, held.t_csi_s, held.update,
                                                  held.complete, held.source, t_data)

    def wake_s(self, t: float, central) -> float:
        """The earliest time the lane acts without new input (a result becoming ready)."""
        return self.queue.next_ready_s()

    # ---------------------------------------------------------------- computing
    def ask(self, req: ComputeRequest) -> None:
        """Ask the host for a run on this lane's processor (charged at :meth:`finish`)."""
        self.asked.append(req)

    def compute_local(self, t: float, u: int, kind: str, scheme: str, out: StepOutput) -> None:
        """``scheme`` (a separate scheme) on this satellite's own S = 1 problem; kind "own" or "fallback"."""
        a = self.agent
        self.ask(a.request(self, kind, scheme, a.problem(), t=t, update=u, warm=self if kind == "own" else None,
                           sats=(a.sat,)))

    def _charge(self, req: ComputeRequest, payload, out: StepOutput) -> None:
        a, res, t = self.agent, req.run, req.t_s
        ready = self.queue.charge(t, res.flops, a.settings.onboard_flops)
        self.queue.push(ready, req.seq, req.kind, payload)
        out.computes.append(ComputeRecord(a.region, a.sat, self.scheme, req.kind, req.scheme, req.update, t, ready,
                                          res.flops, res.iterations, res.wall_s, at_iter_limit=res.at_limit))


class SeparateLane(Lane):
    architecture = "separate"

    def on_update(self, tick, u, out):
        self.compute_local(tick.t_s, u, "own", self.scheme, out)


class DecentralizedLane(Lane):
    architecture = "decentralized"

    def on_update(self, tick, u, out):
        self.ask(self.agent.decentralized(self, tick, u))


class MemberLane(Lane):
    """A centralized scheme on a member (every member; the central also runs :class:`CentralLane`)."""

    architecture = "centralized"

    def __init__(self, scheme: str, agent):
        super().__init__(scheme, agent)
        self.bundle: Held | None = None       # newest bundle received
        self.fallback: Held | None = None
        self.central = CentralLane(self)

    def on_update(self, tick, u, out):
        self.compute_local(tick.t_s, u, "fallback", self.agent.settings.fallback_scheme, out)

    def on_tick(self, tick, out):
        me = self.agent.sat
        if tick.central == me:
            self.central.on_tick(tick, out)
        elif tick.central is not None and tick.starts_update and tick.central in tick.members:
            rep = self.agent.report(tick.t_s, self.scheme, tick.update)
            out.sends.extend(protocol.report_sends(tick.central, {me: rep}))

    def on_report(self, report, src):
        self.central.on_report(report, src)

    def on_bundle(self, bundle):
        if self.bundle is None or bundle.update >= self.bundle.update:
            self.bundle = Held(bundle.p, bundle.b, bundle.t_csi_s, bundle.update, bundle.complete, "bundle")

    def on_computed(self, req):
        return self.central.on_computed(req) if req.kind == "central" else super().on_computed(req)

    def on_ready(self, kind, payload, tick, out):
        if kind == "central":
            self.central.on_ready(payload, tick, out)
        elif kind == "fallback":
            self.fallback = payload
        else:
            self.own = payload

    def _newest(self, central):
        newest = None
        for h in (self.own if central == self.agent.sat else None, self.bundle):
            if h is not None and (newest is None or h.update > newest.update or
                                  (h.update == newest.update and h.t_csi_s > newest.t_csi_s)):
                newest = h
        return newest

    def precoders(self, t, central):
        """The newest bundle (or the central's own share) unless older than ``max_bundle_age_s``, then the
        fallback; the age is that of the newest centralized precoders all the same (how old the scheme's
        information is), or of the fallback before any centralized precoders arrived."""
        newest = self._newest(central)
        if newest is not None and t - newest.t_csi_s <= self.agent.settings.max_bundle_age_s:
            return newest, newest.t_csi_s
        fb = self.fallback
        if newest is not None:
            return fb if fb is not None else newest, newest.t_csi_s
        return fb, (fb.t_csi_s if fb is not None else None)

    def wake_s(self, t, central):
        """Also: the central's report timeout, and the newest centralized precoders expiring (then the
        fallback is used)."""
        wake = min(super().wake_s(t, central), self.central.wake_s())
        age = self.agent.settings.max_bundle_age_s
        for h in (self.own if central == self.agent.sat else None, self.bundle):
            if h is not None and t - h.t_csi_s <= age:
                wake = min(wake, h.t_csi_s + age)
        return wake


class CentralLane:
    """The central's role in a centralized scheme: collect the reports of an update, compute, send bundles."""

    def __init__(self, member: MemberLane):
        self.member = member
        self.agent = member.agent
        self.scheme = member.scheme
        self.reports: dict = {}               # sat -> newest LiveReport
        self.collect: dict | None = None      # the update being collected: {"update", "t0", "own"}

    def on_report(self, report: LiveReport, src: int) -> None:
        old = self.reports.get(src)
        if old is None or report.update >= old.update:
            self.reports[src] = report

    def on_update(self, t: float, u: int) -> None:
        self.collect = {"update": u, "t0": t, "own": self.agent.report(t, self.scheme, u)}

    def on_tick(self, tick: TickInput, out: StepOutput) -> None:
        if tick.starts_update:
            self.on_update(tick.t_s, tick.update)
        if self.collect is None:
            return
        u = self.collect["update"]
        me = self.agent.sat
        fresh = all(m == me or (m in self.reports and self.reports[m].update == u) for m in tick.members)
        if fresh or self.timed_out(tick.t_s):
            self.compute(tick, out)

    def timed_out(self, t: float) -> bool:
        return t >= self.collect["t0"] + self.agent.settings.report_timeout_s - 1e-9

    def wake_s(self) -> float:
        return math.inf if self.collect is None else self.collect["t0"] + self.agent.settings.report_timeout_s

    def compute(self, tick: TickInput, out: StepOutput) -> None:
        """Ask for all precoders of the update being collected, from the reports held (``on_timeout`` when
        incomplete)."""
        a = self.agent
        col = self.collect
        u = col["update"]
        reps = {a.sat: col["own"]}
        complete = True
        for m in tick.members:
            if m == a.sat:
                continue
            rep = self.reports.get(m)
            if rep is None:
                complete = False
                continue
            if rep.update != u:
                complete = False
            reps[m] = rep
        t_csi = min(r.t_meas_s for r in reps.values())
        self.member.ask(a.central_compute(self.member, reps, tick, u, payload=(tuple(reps), t_csi, complete)))
        if not complete:
            self.on_timeout(tick, u, out)
        self.collect = None

    def on_timeout(self, tick: TickInput, u: int, out: StepOutput) -> None:
        missing = [m for m in tick.members
                   if m != self.agent.sat and (m not in self.reports or self.reports[m].update != u)]
        out.events.append(AgentEvent(tick.t_s, "timeout", self.scheme, self.agent.sat, u,
                                     f"computed without fresh reports of {missing}", self.agent.region))

    def on_computed(self, req: ComputeRequest) -> dict:
        """The bundles of a finished central run: member -> its slot of the precoders."""
        a, run = self.agent, req.run
        sats, t_csi, complete = req.payload
        return {s: LiveBundle(p=run.p_all[i], b=run.b_all[i], bits_per_real=a.settings.bits_per_real, sat=s,
                              scheme=self.scheme, update=req.update, t_csi_s=t_csi, complete=complete)
                for i, s in enumerate(sats)}

    def on_ready(self, bundles: dict, tick: TickInput, out: StepOutput) -> None:
        me = self.agent.sat
        mine = bundles.get(me)
        if mine is not None:
            self.member.own = Held(mine.p, mine.b, mine.t_csi_s, mine.update, mine.complete, "central")
        out.sends.extend(protocol.bundle_sends(me, {s: b for s, b in bundles.items() if s in tick.members}))


_LANES = {"separate": SeparateLane, "decentralized": DecentralizedLane, "centralized": MemberLane}


def make_lane(scheme: str, architecture: str, agent) -> Lane:
    return _LANES[architecture](scheme, agent)
