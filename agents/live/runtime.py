"""Runtimes that host the agents: ``local`` (in-process) and ``ray`` (agents in Ray actors). Same interface.

Agents live in *hosts* (:class:`AgentHost`): a plain object for the local runtime, a Ray actor for
the ray runtime (one agent per actor by default, ``agents_per_actor`` packs several). The driver
calls :meth:`Runtime.step` once per tick (and once more per round of same-tick deliveries) with
the inputs of every agent; the runtime makes ONE call per host (Ray: all hosts in parallel, one
``ray.get``), so Ray's per-call overhead is paid per host per tick, not per message.

Placement and reuse: :meth:`Runtime.add` puts an agent on a host with room, else on an idle host
(reuse), else on a new one; :meth:`Runtime.remove` (handover: the satellite left the cooperating
set) frees its slot, and a host left empty is kept idle for reuse (at most ``idle_actors_max``)
or released (Ray: ``ray.kill``). ``stats`` counts hosts created, reused and released.

Fault tolerance: a host that dies (Ray restarts the actor, ``max_restarts``) comes back empty;
the next step finds its agents missing, rebuilds each from its spec (its orbit; peers' SSI arrive
with the next broadcasts), logs a ``restart`` event and steps it again. :meth:`kill` injects that
failure (``ray.kill(actor, no_restart=False)``; locally, the agent's state is dropped).

Scheme batching: a host steps its agents in two phases (:meth:`AgentHost.step`): every role acts up to
the computations it asks for, the host runs them (with ``batch_schemes``, the default: one batched call
per scheme and problem shape over all its agents and regions, :mod:`agents.live.compute`; without:
one call per run, the reference path), then every role charges its runs and publishes. The numbers
are those of the per-run path (each run keeps its own flops, iterations, keys and warm start).

Both runtimes set torch to one thread per host (and the driver's local runtime likewise), so
the same seed gives the same numbers on either.
"""
from __future__ import annotations

from constellation.checks import BadInput

import os
import time

import torch

from .agent import AgentSpec, SatelliteAgent
from .compute import run_requests

KILL_DETAIL = "chaos: the agent's host killed (Ray actor killed / in-process state dropped)"
RESTART_DETAIL = "agent state lost with its host; rebuilt from its orbit, peers' SSI arrive with the next broadcast"


def _proc_mb(path: str, field: str, missing: float) -> float:
    """A memory figure (kB in the file) of this process from /proc, in MB; ``missing`` if unavailable."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(field):
                    return float(line.split()[1]) / 1024.0
    except OSError:
        pass
    return missing


def rss_mb() -> float:
    """Resident memory of this process (MB), from /proc (0 if unavailable)."""
    return _proc_mb("/proc/self/status", "VmRSS:", 0.0)


def pss_mb() -> float:
    """Proportional set size of this process (MB): its private pages plus its share of pages shared with
    other processes (the torch / numpy libraries every actor maps), from /proc/self/smaps_rollup."""
    return _proc_mb("/proc/self/smaps_rollup", "Pss:", float("nan"))


class AgentHost:
    """Holds one :class:`SatelliteAgent` per satellite and steps them (a Ray actor in the ray runtime).
    The driver's keys are roles ``(region, sat)``: every role of a satellite lives in its one agent.
    ``batch_schemes``: run the computations its agents ask for at one time batched per scheme."""

    def __init__(self, threads: int = 1, batch_schemes: bool = True):
        torch.set_num_threads(int(threads))
        self.agents: dict = {}
        self.batch_schemes = bool(batch_schemes)

    def add(self, key, spec: AgentSpec) -> dict:
        """Add the role ``key`` = (region, sat) to the satellite's agent (built on its first role); returns
        the node this host runs on (:meth:`node`)."""
        agent = self.agents.get(key[1])
        if agent is None:
            agent = self.agents[key[1]] = SatelliteAgent(key[1], spec.recipe)
        agent.add_role(spec)
        return self.node()

    @staticmethod
    def node() -> dict:
        """The Ray node of this process: ``{"node_id", "node_ip"}`` (None for both outside a Ray worker)."""
        try:
            import ray
            if ray.is_initialized():
                return {"node_id": ray.get_runtime_context().get_node_id(),
                        "node_ip": ray.util.get_node_ip_address()}
        except Exception:                   # noqa: BLE001 - no Ray here: an in-process host
            pass
        return {"node_id": None, "node_ip": None}

    def remove(self, key) -> bool:
        agent = self.agents.get(key[1])
        gone = agent is not None and agent.remove_role(key[0])
        if agent is not None and not agent.roles:
            del self.agents[key[1]]
        return gone

    def step(self, ticks: dict) -> dict:
        """{(region, sat): tick input} -> {(region, sat): output, or None if this host does not hold that role}.
        Two phases over all its satellite agents: each acts up to the runs it asks for, the host runs them
        (:func:`agents.live.compute.run_requests`, batched per scheme with ``batch_schemes``), each finishes."""
        by_sat: dict = {}
        for r, s in ticks:
            by_sat.setdefault(s, {})[r] = ticks[(r, s)]
        held = {s: self.agents.get(s) for s in sorted(by_sat)}
        asked = [req for s, agent in held.items() if agent is not None for req in agent.begin(by_sat[s])]
        run_requests(asked, batch=self.batch_schemes)
        out = {}
        for s, agent in held.items():
            got = agent.finish(by_sat[s]) if agent is not None else dict.fromkeys(by_sat[s])
            out.update({(r, s): o for r, o in got.items()})
        return out

    def drop(self, key) -> bool:
        """Lose a satellite agent's state (every role of it) as a crash would (local fault injection)."""
        return self.agents.pop(key[1], None) is not None

    def info(self) -> dict:
        return {"pid": os.getpid(), "rss_mb": rss_mb(), "pss_mb": pss_mb(), "agents": len(self.agents),
                "roles": sum(len(a.roles) for a in self.agents.values()), **self.node()}


class Runtime:
    """Placement, reuse and restart logic shared by both runtimes (hosts are created by subclasses)."""

    name = "base"

    def __init__(self, agents_per_actor: int = 1, idle_actors_max: int = 2, batch_schemes: bool = True):
        self.capacity = int(agents_per_actor)
        self.batch_schemes = bool(batch_schemes)
        self.idle_max = int(idle_actors_max)
        self.hosts: dict[int, object] = {}
        self.load: dict[int, set] = {}
        self.where: dict = {}
        self.specs: dict = {}
        self.idle: list[int] = []
        self._next = 0
        self.stats = {"hosts_created": 0, "hosts_reused": 0, "hosts_released": 0, "restarts": 0,
                      "agents_added": 0, "agents_removed": 0}
        self.events: list[dict] = []          # kill / restart / node_lost: part of the episode's events
        self.nodes: dict[int, dict] = {}      # host -> the node it last ran on ({"node_id", "node_ip"})
        self.host_events: list[dict] = []     # create / reuse / release of hosts: runtime bookkeeping

    # subclass hooks
    def _new_host(self):
        raise NotImplementedError

    def _call(self, host, method, *args):
        raise NotImplementedError

    def _release(self, host):
        pass

    # placement
    def _sats(self, hid: int) -> int:
        return len({k[1] for k in self.load[hid]})

    def _place(self, key, t: float) -> int:
        """A role goes to its satellite's agent if it has one (one satellite, one agent), else a new agent
        goes to a host with room (``agents_per_actor`` satellites), an idle host, or a new one."""
        same = next((self.where[k] for k in sorted(self.where) if k[1] == key[1]), None)
        if same is not None:
            self.load[same].add(key)
            return same
        self.stats["agents_added"] += 1
        hid = next((h for h in sorted(self.load) if 0 < self._sats(h) < self.capacity), None)
        if hid is None and self.idle:
            hid = self.idle.pop(0)
            self.stats["hosts_reused"] += 1
            self.host_events.append({"t_s": t, "type": "reuse", "host": hid, "agent": list(key)})
        if hid is None:
            hid = self._next
            self._next += 1
            self.hosts[hid] = self._new_host()
            self.load[hid] = set()
            self.stats["hosts_created"] += 1
            self.host_events.append({"t_s": t, "type": "create", "host": hid, "agent": list(key)})
        self.load[hid].add(key)
        return hid

    def add(self, key, spec: AgentSpec, t: float = 0.0) -> None:
        self.add_many([(key, spec)], t)

    def add_many(self, items, t: float = 0.0) -> None:
        """Place several agents, then build them on their hosts in one round (Ray: in parallel)."""
        calls = []
        for key, spec in items:
            hid = self._place(key, t)
            self.where[key] = hid
            self.specs[key] = spec
            calls.append((hid, key, spec))
        self._add_calls(calls)

    def _add_calls(self, calls):
        for hid, key, spec in calls:
            self._placed(hid, self._call(self.hosts[hid], "add", key, spec), None)

    def _placed(self, hid: int, node, t: float | None, keys=()) -> None:
        """Record host ``hid``'s node (from an ``add``); a host rebuilt at ``t`` on another node than before
        (its node died and Ray restarted the actor elsewhere) logs a ``node_lost`` event."""
        if not isinstance(node, dict):
            return
        old = self.nodes.get(hid)
        self.nodes[hid] = node
        if t is not None and old is not None and old.get("node_id") != node.get("node_id"):
            self.events.append({"t_s": t, "type": "node_lost", "host": hid, "agents": [list(k) for k in keys],
                                "from_node": old, "to_node": node,
                                "detail": "the actor's node was lost; Ray restarted it on another node"})

    def remove(self, key, t: float = 0.0) -> None:
        hid = self.where.pop(key)
        self.specs.pop(key, None)
        self._call(self.hosts[hid], "remove", key)
        self.load[hid].discard(key)
        if not any(k[1] == key[1] for k in self.load[hid]):
            self.stats["agents_removed"] += 1
        if not self.load[hid]:
            if len(self.idle) < self.idle_max:
                self.idle.append(hid)
            else:
                self._release(self.hosts.pop(hid))
                self.load.pop(hid)
                self.stats["hosts_released"] += 1
                self.host_events.append({"t_s": t, "type": "release", "host": hid, "agent": list(key)})

    @property
    def live_hosts(self) -> int:
        return len(self.hosts)

    def _restart(self, keys, t: float):
        for key in keys:
            hid = self.where[key]
            self._placed(hid, self._call(self.hosts[hid], "add", key, self.specs[key]), t, [key])
            self._log_restart(key, t)

    def _log_restart(self, key, t: float):
        self.stats["restarts"] += 1
        self.events.append({"t_s": t, "type": "restart", "region": key[0], "sat": key[1],
                            "detail": RESTART_DETAIL})

    def step(self, ticks: dict, t: float) -> dict:
        return self.collect(self.submit(ticks, t))

    def submit(self, ticks: dict, t: float):
        """Start one step of these agents (one call per host); :meth:`collect` returns the outputs."""
        by_host: dict[int, dict] = {}
        for key, tick in ticks.items():
            by_host.setdefault(self.where[key], {})[key] = tick
        return (ticks, t, by_host, self._start_hosts(by_host))

    def _start_hosts(self, by_host):
        return None

    def collect(self, token) -> dict:
        ticks, t, by_host, started = token
        outs = self._step_hosts(by_host, t, started)
        missing = sorted(k for k, v in outs.items() if v is None)
        if missing:
            # a host that lost one agent lost them all (it died and came back empty): rebuild every agent
            # placed on it now, including those with nothing to do at this tick (as the Ray error path does)
            dead = {self.where[k] for k in missing}
            self._restart(sorted(k for k in self.where if self.where[k] in dead), t)
            again: dict[int, dict] = {}
            for key in missing:
                again.setdefault(self.where[key], {})[key] = ticks[key]
            outs.update(self._step_hosts(again, t))
        return outs

    def _step_hosts(self, by_host, t, started=None):
        raise NotImplementedError

    def kill(self, key, t: float) -> None:
        raise NotImplementedError

    def info(self) -> list[dict]:
        """Every live host: pid, memory, agents held, its node (``node_id``, ``node_ip``)."""
        return [dict(self._call(h, "info"), host=hid) for hid, h in sorted(self.hosts.items())]

    def actor_nodes(self) -> list[dict]:
        """Every host ever created (released ones included) with the node it last ran on."""
        return [{"host": hid, **node} for hid, node in sorted(self.nodes.items())]

    def close(self) -> None:
        for h in list(self.hosts.values()):
            self._release(h)
        self.hosts.clear()


class LocalRuntime(Runtime):
    """Agents in-process (tests, speed)."""

    name = "local"

    def __init__(self, agents_per_actor: int = 1, idle_actors_max: int = 2, batch_schemes: bool = True, **_):
        super().__init__(agents_per_actor, idle_actors_max, batch_schemes)
        self._threads = torch.get_num_threads()
        torch.set_num_threads(1)

    def _new_host(self):
        return _LocalHost(self.batch_schemes)

    def _call(self, host, method, *args):
        return getattr(host, method)(*args)

    def _step_hosts(self, by_host, t, started=None):
        out = {}
        for hid in sorted(by_host):
            out.update(self.hosts[hid].step(by_host[hid]))
        return out

    def kill(self, key, t: float) -> None:
        """Every agent on ``key``'s host loses its state, as when Ray kills the actor hosting several agents
        (``agents_per_actor`` > 1); each is rebuilt (and a restart logged) at its next step."""
        host = self.hosts[self.where[key]]
        host.agents.clear()
        self.events.append({"t_s": t, "type": "kill", "region": key[0], "sat": key[1],
                            "detail": KILL_DETAIL})

    def close(self) -> None:
        super().close()
        torch.set_num_threads(self._threads)


class _LocalHost(AgentHost):
    def __init__(self, batch_schemes: bool = True):
        self.agents = {}
        self.batch_schemes = bool(batch_schemes)

    @staticmethod
    def node() -> dict:                     # in the driver's process: not a Ray actor, whatever Ray does here
        return {"node_id": None, "node_ip": None}


class RayRuntime(Runtime):
    """Agents in Ray actors (``num_cpus`` per actor explicit, one torch thread each)."""

    name = "ray"

    def __init__(self, agents_per_actor: int = 1, idle_actors_max: int = 2, actor_num_cpus: float = 0.25,
                 max_restarts: int = 3, address: str | None = None, num_cpus: float | None = None,
                 batch_schemes: bool = True):
        import ray

        super().__init__(agents_per_actor, idle_actors_max, batch_schemes)
        self.ray = ray
        self._owns = False
        from .cluster import connect
        # local: a new instance, never a stranger's cluster; an address: joined, or one line saying why not
        self._owns = connect(address or None, num_cpus=num_cpus, option="address (--address)")
        self.actor_cls = ray.remote(AgentHost).options(num_cpus=actor_num_cpus, max_restarts=int(max_restarts),
                                                       max_task_retries=0)
        self.max_restarts = int(max_restarts)
        self.actor_num_cpus = float(actor_num_cpus)

    def _new_host(self):
        need = (len(self.hosts) + 1) * self.actor_num_cpus
        have = float(self.ray.cluster_resources().get("CPU", 0.0))
        if need > have + 1e-9:
            raise BadInput(f"ray.actor_num_cpus = {self.actor_num_cpus:g}: {len(self.hosts) + 1} actors would need "
                             f"{need:g} CPUs but the Ray cluster has {have:g} (actors beyond it would wait forever); "
                             "lower ray.actor_num_cpus or pack agents with ray.agents_per_actor")
        return self.actor_cls.remote(1, self.batch_schemes)

    def _add_calls(self, calls):
        nodes = self.ray.get([self.hosts[hid].add.remote(key, spec) for hid, key, spec in calls])
        for (hid, _, _), node in zip(calls, nodes):
            self._placed(hid, node, None)

    def _call(self, host, method, *args):
        return self._get(getattr(host, method).remote(*args))

    def _get(self, ref):
        return self.ray.get(ref)

    def _start_hosts(self, by_host):
        return {hid: self.hosts[hid].step.remote(sub) for hid, sub in by_host.items()}

    def _step_hosts(self, by_host, t, started=None):
        from ray.exceptions import RayActorError

        refs = dict(started) if started is not None else self._start_hosts(by_host)
        out = {}
        for hid in sorted(refs):
            for attempt in range(100):
                try:
                    out.update(self.ray.get(refs[hid]))
                    break
                except RayActorError:
                    if attempt >= 99:
                        raise
                    # the actor died with this call in flight: wait for Ray to restart it, rebuild its agents
                    time.sleep(0.05 * min(attempt + 1, 10))
                    try:
                        keys = sorted(by_host[hid])
                        held = sorted(k for k in self.where if self.where[k] == hid)
                        for i, key in enumerate(held):
                            node = self.ray.get(self.hosts[hid].add.remote(key, self.specs[key]))
                            self._placed(hid, node, t if i == 0 else None, held)
                            self._log_restart(key, t)
                        refs[hid] = self.hosts[hid].step.remote({k: by_host[hid][k] for k in keys})
                    except RayActorError:
                        refs[hid] = self.hosts[hid].step.remote(by_host[hid])
        return out

    def kill(self, key, t: float) -> None:
        hid = self.where[key]
        self.ray.kill(self.hosts[hid], no_restart=False)
        self.events.append({"t_s": t, "type": "kill", "region": key[0], "sat": key[1],
                            "detail": KILL_DETAIL})

    def _release(self, host):
        try:
            self.ray.kill(host, no_restart=True)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def close(self) -> None:
        super().close()
        if self._owns:
            self.ray.shutdown()


def make_runtime(config):
    """The runtime named by ``config.runtime`` with its ``config.ray`` options."""
    rc = config.ray
    if config.runtime == "local":
        return LocalRuntime(rc.agents_per_actor, rc.idle_actors_max)
    return RayRuntime(rc.agents_per_actor, rc.idle_actors_max, rc.actor_num_cpus, rc.max_restarts,
                      config.address, rc.num_cpus)
