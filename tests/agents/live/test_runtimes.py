"""The Ray runtime (2 CPUs, as in CI) against the local one, fault tolerance and handover accounting.

One Ray instance and one RayRuntime (its idle actors reused between episodes) serve the module.
"""
from __future__ import annotations

import pytest

import ray

from agents.experiments.run import run_episode  # noqa: E402
from agents.live.runtime import LocalRuntime, RayRuntime  # noqa: E402

from .conftest import tiny  # noqa: E402


@pytest.fixture(scope="module")
def ray_runtime():
    owns = not ray.is_initialized()
    if owns:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    rt = RayRuntime(idle_actors_max=4, actor_num_cpus=0.25, max_restarts=3)
    yield rt
    rt.close()
    if owns:
        ray.shutdown()


def _without_runtime(summary):
    s = dict(summary)
    s["config"] = {k: v for k, v in summary["config"].items() if k != "runtime"}
    return s


def test_ray_and_local_give_identical_summaries(ray_runtime):
    a = run_episode(tiny(duration_s=1.2, runtime="ray"), runtime=ray_runtime, progress=False)
    b = run_episode(tiny(duration_s=1.2, runtime="local"), progress=False)
    assert a.info["runtime"] == "ray" and b.info["runtime"] == "local"
    assert _without_runtime(a.summary) == _without_runtime(b.summary)
    assert (a.steps["sum_rate_bps_hz"].to_numpy() == b.steps["sum_rate_bps_hz"].to_numpy()).all()
    # the agents really ran in other processes
    import os
    assert all(h["pid"] != os.getpid() for h in a.info["hosts"])
    # run.json names the node (id and IP) of every actor, released ones included
    me = ray.get_runtime_context().get_node_id()
    assert a.info["hosts"] and all(h["node_id"] == me and h["node_ip"] for h in a.info["hosts"])
    assert {n["host"] for n in a.info["actor_nodes"]} >= {h["host"] for h in a.info["hosts"]}
    assert all(n["node_id"] == me for n in a.info["actor_nodes"])
    assert all(h["node_id"] is None for h in b.info["hosts"])               # in-process hosts: no node


def test_ray_and_local_identical_at_20_regions(ray_runtime):
    """20 regions (about 60 agents packed 20 per actor) on Ray and in-process: the same summary and rates."""
    cfg = dict(duration_s=0.5, K=2, region={"count": 20, "min_spacing_km": 300.0},
               schemes=["Sep-MMSE", "Cen-Opt-WM", "Dec-TFC-WM"], scheme_options={"Cen-Opt-WM": {"max_iter": 5}})
    rt = RayRuntime(agents_per_actor=20, idle_actors_max=0, actor_num_cpus=0.25, max_restarts=0)
    try:
        a = run_episode(tiny(runtime="ray", **cfg), runtime=rt, progress=False)
    finally:
        rt.close()
    loc = LocalRuntime(agents_per_actor=20)               # the same packing: the same scheme batches
    b = run_episode(tiny(**cfg), runtime=loc, progress=False)
    loc.close()
    assert a.steps["region"].nunique() == 20 and len(a.info["hosts"]) >= 3      # really spread over actors
    assert _without_runtime(a.summary) == _without_runtime(b.summary)
    assert (a.steps["sum_rate_bps_hz"].to_numpy() == b.steps["sum_rate_bps_hz"].to_numpy()).all()
    assert a.events == b.events and len(a.messages) == len(b.messages) > 0


def test_an_actor_back_on_another_node_logs_node_lost():
    """The runtime compares the node a rebuilt host reports with the one it ran on: another node -> a
    ``node_lost`` event naming both nodes and the agents (same node: a plain restart, no event)."""
    rt = LocalRuntime()
    rt._placed(0, {"node_id": "a", "node_ip": "10.0.0.1"}, None)
    rt._placed(0, {"node_id": "a", "node_ip": "10.0.0.1"}, 1.0, [(0, 5)])
    assert rt.events == []
    rt._placed(0, {"node_id": "b", "node_ip": "10.0.0.2"}, 2.5, [(0, 5)])
    (ev,) = rt.events
    assert ev["type"] == "node_lost" and ev["t_s"] == 2.5 and ev["agents"] == [[0, 5]]
    assert ev["from_node"]["node_id"] == "a" and ev["to_node"]["node_ip"] == "10.0.0.2"
    assert rt.actor_nodes() == [{"host": 0, "node_id": "b", "node_ip": "10.0.0.2"}]


def test_killing_an_agent_actor_mid_episode(ray_runtime):
    cfg = tiny(duration_s=2.0, runtime="ray", chaos={"kill_agent_at_s": 0.5, "target": "central"})
    res = run_episode(cfg, runtime=ray_runtime, progress=False)
    ev = res.summary["events"]
    kills = [e for e in ev if e["type"] == "kill"]
    restarts = [e for e in ev if e["type"] == "restart"]
    assert len(kills) == 1 and kills[0]["t_s"] == pytest.approx(0.5)
    assert restarts and restarts[0]["sat"] == kills[0]["sat"] and restarts[0]["t_s"] >= 0.5
    # the run completed: every tick evaluated for every scheme, and the centralized lane recovered
    assert res.steps["tick"].nunique() == 20
    cen = res.steps[res.steps["scheme"] == "Cen-Opt-WM"]
    assert set(cen[cen["tick"] == 19]["update"].iloc[0]) == {1}
    # the local runtime injects the same failure and takes the same path
    loc = run_episode(tiny(duration_s=2.0, chaos={"kill_agent_at_s": 0.5, "target": "central"}), progress=False)
    assert _without_runtime(loc.summary) == _without_runtime(res.summary)


def test_handover_reuses_or_releases_every_leaving_actor(ray_runtime):
    # seed 6: the cooperating set of the seeded region changes at t = 9 s (connected selection; seed 2 with the
    # nearest rule before issue 16)
    cfg = tiny(seed=6, duration_s=10.0, tick_s=0.5, K=4, schemes=["Sep-MRT"], runtime="ray")
    before = dict(ray_runtime.stats)
    res = run_episode(cfg, runtime=ray_runtime, progress=False)
    ev = res.summary["events"]
    leaves = [e for e in ev if e["type"] == "leave"]
    joins = [e for e in ev if e["type"] == "join"]
    assert any(e["type"] == "handover" for e in ev) and leaves and len(joins) == len(leaves)
    hev = res.info["host_events"]
    during = [e for e in hev if e["t_s"] > 0]
    # every agent that joined after a leave found an actor: reused (the leaver's) or newly created
    assert len([e for e in during if e["type"] in ("reuse", "create")]) == len(joins)
    assert [e["type"] for e in during if e["type"] == "reuse"], "the leaving agent's actor was not reused"
    delta = {k: ray_runtime.stats[k] - before[k] for k in before}
    assert delta["agents_added"] == 3 + len(joins) and delta["agents_removed"] == 3 + len(leaves)
    # no actor leaked: after the episode every live actor is an idle one, and each answers
    assert not ray_runtime.where and len(ray_runtime.hosts) == len(ray_runtime.idle) <= 4
    pids = {ray.get(h.info.remote())["pid"] for h in ray_runtime.hosts.values()}
    assert len(pids) == len(ray_runtime.hosts)
    # the summary covers the whole episode (20 ticks, 10 updates x 3 satellites)
    assert res.steps["tick"].nunique() == 20
    # the release path: without an idle pool the leaver's host is released, a new one created
    rt = LocalRuntime(idle_actors_max=0)
    loc = run_episode(cfg.replace(runtime="local"), runtime=rt, progress=False)
    kinds = [e["type"] for e in loc.info["host_events"] if e["t_s"] > 0]
    assert kinds.count("release") == len(leaves) and kinds.count("create") == len(joins)
    assert rt.stats["hosts_created"] - rt.stats["hosts_released"] == len(rt.hosts) == 0
    rt.close()


def test_agents_per_actor_packs_agents_and_keeps_the_numbers():
    """Packing three agents into one host changes where they run, not what they compute."""
    one = run_episode(tiny(duration_s=0.6), progress=False)
    rt = LocalRuntime(agents_per_actor=3)
    packed = run_episode(tiny(duration_s=0.6), runtime=rt, progress=False)
    assert rt.stats["hosts_created"] == 1 and packed.info["hosts"][0]["agents"] == 3
    assert packed.summary == one.summary
    rt.close()


def test_kill_with_packed_agents_drops_the_whole_host_on_both_runtimes():
    """agents_per_actor = 3: killing the central's host loses all three agents on it. Ray kills the actor
    (all three rebuilt, three restarts); the local runtime must do the same, giving the same summary."""
    cfg = dict(duration_s=1.5, chaos={"kill_agent_at_s": 0.5, "target": "central"}, ray={"agents_per_actor": 3})
    loc = run_episode(tiny(**cfg), progress=False)
    owns = not ray.is_initialized()
    if owns:
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    rt = RayRuntime(agents_per_actor=3, idle_actors_max=0, actor_num_cpus=0.25, max_restarts=3)
    try:
        rem = run_episode(tiny(runtime="ray", **cfg), runtime=rt, progress=False)
    finally:
        rt.close()
        if owns:
            ray.shutdown()
    for res in (loc, rem):
        restarts = [e for e in res.summary["events"] if e["type"] == "restart"]
        # all three rebuilt together, the next time the host is called after the kill
        assert len(restarts) == 3 and len({e["t_s"] for e in restarts}) == 1 and restarts[0]["t_s"] >= 0.5
    assert _without_runtime(loc.summary) == _without_runtime(rem.summary)
