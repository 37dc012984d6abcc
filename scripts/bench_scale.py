"""Benchmark: the driver and the agents as the number of service regions grows, the default episode's
real-time factor, memory per agent, and a many-region episode on a two-node Ray cluster against local.

    .venv/bin/python scripts/bench_scale.py [--regions 1 10 100] [--duration-s 2] [--per-region]
        [--host-batch] [--pack 25] [--repeat 1] [--default] [--memory REGIONS] [--cluster REGIONS]

Scale (without ``--host-batch``): one local-runtime episode per region count (the default episode's world,
K = 12, S = 3, Gilbert-Elliott faults, regions placed with ``region.min_spacing_km``), the cheap lanes by default
(Sep-MMSE, Cen-Opt-WM, Cen-TFC-WM, Dec-TFC-WM). Agents are satellites (one per satellite, whatever number of regions it
serves); agent-seconds = satellite agents x simulated seconds. Core-seconds are the process's CPU time (user +
system, every thread) of the episode loop (``Episode.run``), start-up (world, constellation, first agents)
excluded and printed apart; the driver's own share is the CPU time of its thread in the world (evolve, roles)
and evaluator (truth channels, rates) sections. ``--per-region``: each count also with the per-region driver
(``Episode(batch_regions=False)``, the path before batching), side by side, with the ratio and the largest
difference between the two episodes' rates. ``--host-batch``: each count with agents packed ``--pack`` per host,
the host's scheme runs batched (``LocalRuntime(batch_schemes=True)``, the default) and per agent (one call per
run, ``batch_schemes=False``), side by side: agent-s per core-s of both, the ratio, the agents' share of the
loop's CPU, the largest relative rate difference and whether the on-board computations (flops, iterations,
charged times) are identical, then each scheme's CPU, calls and runs per call; ``--repeat N``: N runs of each
kind in alternating order, the one with the least CPU shown (identical work measured twice on a loaded machine
differs by up to ~25 %).

``--default``: the default episode (every scheme, 60 s) on the local and the Ray runtime: real-time factor
(start-up excluded) and their ratio. ``--memory R``: R regions on Ray, agents packed ``--pack`` per actor,
the actors' RSS / PSS (``run.json`` hosts) per agent. ``--cluster R``: R regions on a two-node
``ray.cluster_utils.Cluster`` (one CPU each, on this machine) against the local runtime: wall ratio and
whether the summaries are identical. Prints measured figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import time

CHEAP = ["Sep-MMSE", "Cen-Opt-WM", "Cen-TFC-WM", "Dec-TFC-WM"]


def _config(overrides):
    from agents.config.run import RunConfig
    return RunConfig.load(None, overrides)


def _region_overrides(regions, duration_s, schemes, spacing_km, runtime="local"):
    return [f"duration_s={duration_s}", f"runtime=\"{runtime}\"", f"region.count={regions}",
            f"region.min_spacing_km={spacing_km}", f"schemes={json.dumps(schemes)}"]


def measure(regions: int, duration_s: float, schemes: list[str], spacing_km: float, batch: bool = True,
            pack: int = 1, host_batch: bool = True) -> dict:
    from agents.live.episode import Episode
    from agents.live.runtime import LocalRuntime

    import torch
    torch.set_num_threads(1)
    cfg = _config(_region_overrides(regions, duration_s, schemes, spacing_km))
    class Timed(LocalRuntime):
        """The local runtime, counting the CPU time of the agents' steps (the hosts run in this thread)."""
        agents_cpu_s = 0.0

        def _step_hosts(self, by_host, t, started=None):
            c = time.thread_time()
            try:
                return super()._step_hosts(by_host, t, started)
            finally:
                self.agents_cpu_s += time.thread_time() - c

    w0, c0 = time.perf_counter(), time.process_time()
    rt = Timed(agents_per_actor=pack, batch_schemes=host_batch)
    ep = Episode(cfg, rt, batch_regions=batch)
    setup_wall, setup_cpu = time.perf_counter() - w0, time.process_time() - c0
    from agents.live import compute
    group, runs = compute._run_group, {}

    def timed_group(g):                     # the CPU of each scheme call, its number and its requests
        c = time.thread_time()
        try:
            return group(g)
        finally:
            r = runs.setdefault(g[0].scheme, [0.0, 0, 0])
            r[0] += time.thread_time() - c
            r[1] += 1
            r[2] += len(g)

    compute._run_group = timed_group
    w1, c1 = time.perf_counter(), time.process_time()
    try:
        ep.run()
    finally:
        compute._run_group = group
    wall, cpu = time.perf_counter() - w1, time.process_time() - c1
    sats = {s for m in ep.members.values() for s in m}
    roles = sum(len(m) for m in ep.members.values())
    sim = ep.n_ticks * ep.tick_s
    rt.close()
    return {"regions": regions, "agents": len(sats), "roles": roles, "sim_s": sim, "setup_wall_s": setup_wall,
            "setup_cpu_s": setup_cpu, "wall_s": wall, "cpu_s": cpu, "driver": dict(ep.wall),
            "driver_cpu_s": ep.cpu["world"] + ep.cpu["evaluator"], "driver_cpu": dict(ep.cpu),
            "agents_cpu_s": rt.agents_cpu_s, "runs": runs, "subrounds_max": ep.subrounds_max,
            "agent_s_per_core_s": len(sats) * sim / cpu,
            "rates": [r["sum_rate_bps_hz"] for r in ep.rows],
            "computes": [(c.region, c.sat, c.lane, c.kind, c.update, c.t_start_s, c.t_ready_s, c.flops, c.iterations)
                         for c in ep.computes]}


def _row(r, label):
    n, sim = r["regions"], r["sim_s"]
    br = ", ".join(f"{k} {v:.2f}" for k, v in r["driver"].items())
    print(f"{n:>7} {label:>10} {r['agents']:>6} {r['roles']:>5} {r['setup_wall_s']:>8.1f} {r['wall_s']:>11.1f} "
          f"{r['cpu_s']:>10.1f} {r['agent_s_per_core_s']:>14.2f} {r['cpu_s'] / n / sim:>18.3f} "
          f"{r['driver_cpu_s'] / n / sim:>21.4f} {r['subrounds_max']:>13}  {br}", flush=True)


def scale(a):
    import numpy as np

    print(f"local runtime, {a.duration_s:g} s simulated per episode, schemes {', '.join(a.schemes)}; "
          "CPU time of the episode loop (start-up apart); driver = world + evaluator sections, its thread's CPU")
    print(f"{'regions':>7} {'driver':>10} {'agents':>6} {'roles':>5} {'setup s':>8} {'loop wall s':>11} "
          f"{'loop CPU s':>10} {'agent-s/core-s':>14} {'CPU s/region/sim-s':>18} {'driver CPU/region/sim-s':>21} "
          f"{'max subrounds':>13}  driver breakdown (wall s)")
    rows = []
    for n in a.regions:
        r = measure(n, a.duration_s, a.schemes, a.spacing_km, batch=True)
        _row(r, "batched")
        rows.append(r)
        if a.per_region:
            p = measure(n, a.duration_s, a.schemes, a.spacing_km, batch=False)
            _row(p, "per-region")
            x, y = np.array(r["rates"]), np.array(p["rates"])
            print(f"        per-region / batched: driver CPU x{p['driver_cpu_s'] / r['driver_cpu_s']:.1f} "
                  f"(world x{p['driver_cpu']['world'] / r['driver_cpu']['world']:.1f}, evaluator "
                  f"x{p['driver_cpu']['evaluator'] / r['driver_cpu']['evaluator']:.1f}), loop CPU "
                  f"x{p['cpu_s'] / r['cpu_s']:.2f}; largest relative rate difference "
                  f"{np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-12)):.1e}", flush=True)
    if len(rows) > 1:
        base = rows[0]
        for r in rows[1:]:
            print(f"{r['regions']} vs {base['regions']} regions (batched): CPU per simulated second x"
                  f"{(r['cpu_s'] / r['sim_s']) / (base['cpu_s'] / base['sim_s']):.1f}, agent-s per core-s x"
                  f"{r['agent_s_per_core_s'] / base['agent_s_per_core_s']:.2f}")


def host_batch(a):
    import numpy as np

    print(f"\nscheme runs batched per host vs per agent: local runtime, {a.pack} agents per host, "
          f"{a.duration_s:g} s simulated, schemes {', '.join(a.schemes)}; CPU time of the episode loop "
          f"(least of {a.repeat} runs each, alternating)")
    print(f"{'regions':>7} {'agents':>6} {'batched CPU s':>13} {'per-agent CPU s':>15} {'agent-s/core-s':>22} "
          f"{'ratio':>6} {'agents CPU share':>16} {'max rel rate diff':>17} {'computes same':>13}")
    measure(1, 0.2, a.schemes, a.spacing_km, pack=a.pack)      # warm-up (imports, the nets' first load): not shown
    for n in a.regions:
        tries = {True: [], False: []}
        for i in range(a.repeat):           # alternating order; the run with the least CPU of each kind is shown
            for hb in ((True, False) if i % 2 == 0 else (False, True)):
                tries[hb].append(measure(n, a.duration_s, a.schemes, a.spacing_km, pack=a.pack, host_batch=hb))
        b, p = (min(tries[hb], key=lambda r: r["cpu_s"]) for hb in (True, False))
        x, y = np.array(b["rates"]), np.array(p["rates"])
        diff = np.max(np.abs(x - y) / np.maximum(np.abs(y), 1e-12))
        share = lambda r: r["agents_cpu_s"] / r["cpu_s"]
        print(f"{n:>7} {b['agents']:>6} {b['cpu_s']:>13.1f} {p['cpu_s']:>15.1f} "
              f"{b['agent_s_per_core_s']:>10.2f} vs {p['agent_s_per_core_s']:>8.2f} "
              f"{b['agent_s_per_core_s'] / p['agent_s_per_core_s']:>6.2f} "
              f"{share(b):>9.2f} / {share(p):<4.2f} {diff:>17.1e} {str(b['computes'] == p['computes']):>13}",
              flush=True)
        for name in sorted(b["runs"]):
            (cb, nb, rb), (cp, np_, _) = b["runs"][name], p["runs"][name]
            print(f"        {name:<11} CPU s {cb:6.2f} in {nb:5d} calls ({rb / nb:5.1f} runs per call) vs {cp:6.2f} in "
                  f"{np_:5d} calls: x{cp / max(cb, 1e-9):.2f}", flush=True)


def _run(overrides, runtime=None):
    from agents.experiments.run import run_episode
    t0 = time.perf_counter()
    res = run_episode(_config(overrides), progress=False, runtime=runtime)
    return res, time.perf_counter() - t0


def _same(a, b) -> bool:
    strip = lambda s: {**s, "config": {k: v for k, v in s["config"].items() if k != "runtime"}}
    return strip(a.summary) == strip(b.summary)


def default_episode(duration_s: float):
    import ray

    print(f"\ndefault episode ({duration_s:g} s simulated, every scheme), start-up excluded:")
    loc, t_loc = _run(["runtime=\"local\"", f"duration_s={duration_s}"])
    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        rem, t_rem = _run(["runtime=\"ray\"", f"duration_s={duration_s}"])
    finally:
        ray.shutdown()
    for name, r, tot in (("local", loc, t_loc), ("ray", rem, t_rem)):
        i = r.info
        print(f"  {name:<5} real-time factor {i['realtime_factor']:.2f} (wall per simulated s "
              f"{i['wall_per_sim_s']:.3f} s; total {tot:.1f} s, start-up {i['wall_setup_s']:.1f} s)")
    print(f"  ray / local real-time factor {rem.info['realtime_factor'] / loc.info['realtime_factor']:.2f}; "
          f"identical summaries: {_same(loc, rem)}")


def memory(regions: int, pack: int, spacing_km: float):
    import numpy as np
    import ray

    from agents.live.runtime import RayRuntime, rss_mb

    ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        rt = RayRuntime(agents_per_actor=pack, idle_actors_max=0, actor_num_cpus=0.01, max_restarts=0)
        res, tot = _run(_region_overrides(regions, 0.5, ["Sep-MMSE", "Cen-Opt-WM"], spacing_km, "ray")
                        + ["faults.model=\"none\""], runtime=rt)
        rt.close()
    finally:
        ray.shutdown()
    hosts = res.info["hosts"]
    agents = sum(h["agents"] for h in hosts)
    rss, pss = np.array([h["rss_mb"] for h in hosts]), np.array([h["pss_mb"] for h in hosts])
    print(f"\nmemory: {regions} regions, {agents} agents in {len(hosts)} Ray actors ({pack} per actor), 0.5 s "
          f"episode: actor RSS mean {rss.mean():.0f} MB, PSS mean {pss.mean():.0f} MB; per agent RSS "
          f"{rss.sum() / agents:.0f} MB, PSS {pss.sum() / agents:.0f} MB; driver RSS {rss_mb():.0f} MB")


def cluster(regions: int, duration_s: float, schemes, spacing_km: float, pack: int):
    import ray
    from ray.cluster_utils import Cluster

    from agents.live.runtime import RayRuntime

    over = _region_overrides(regions, duration_s, schemes, spacing_km)
    loc, t_loc = _run(over)
    c = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    c.add_node(num_cpus=1)
    try:
        ray.init(address=c.address, log_to_driver=False, configure_logging=False)
        # 0.15 CPU per actor: together more than half a node, so Ray spreads them over both
        rt = RayRuntime(agents_per_actor=pack, idle_actors_max=0, actor_num_cpus=0.15, max_restarts=0)
        rem, t_rem = _run(over[:1] + ["runtime=\"ray\""] + over[2:], runtime=rt)
        nodes = {h["node_id"] for h in rem.info["hosts"]}
        rt.close()
    finally:
        ray.shutdown()
        c.shutdown()
    print(f"\ntwo-node cluster (ray.cluster_utils.Cluster, 1 CPU per node, same machine), {regions} regions, "
          f"{duration_s:g} s, {pack} agents per actor on {len(nodes)} nodes: wall loop {rem.info['wall_loop_s']:.1f} s "
          f"vs local {loc.info['wall_loop_s']:.1f} s (ratio {rem.info['wall_loop_s'] / loc.info['wall_loop_s']:.2f}; "
          f"totals with start-up {t_rem:.1f} / {t_loc:.1f} s); identical summaries: {_same(loc, rem)}")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", type=int, nargs="*", default=[1, 10, 100])
    ap.add_argument("--duration-s", type=float, default=2.0)
    ap.add_argument("--spacing-km", type=float, default=300.0)
    ap.add_argument("--schemes", nargs="+", default=CHEAP)
    ap.add_argument("--per-region", action="store_true", help="also run the per-region driver, side by side")
    ap.add_argument("--host-batch", action="store_true",
                    help="scheme runs batched per host vs per agent (agents packed --pack per host), side by side")
    ap.add_argument("--default", action="store_true", help="the default episode's real-time factor, local and ray")
    ap.add_argument("--default-duration-s", type=float, default=60.0)
    ap.add_argument("--memory", type=int, metavar="REGIONS", help="memory per agent with this many regions on Ray")
    ap.add_argument("--memory-spacing-km", type=float, default=1500.0)
    ap.add_argument("--repeat", type=int, default=1, help="--host-batch: runs of each kind (the least CPU is shown)")
    ap.add_argument("--pack", type=int, default=25,
                    help="agents per host / Ray actor (--host-batch, --memory, --cluster)")
    ap.add_argument("--cluster", type=int, metavar="REGIONS", help="a two-node Ray cluster against local")
    ap.add_argument("--cluster-duration-s", type=float, default=1.0)
    a = ap.parse_args(argv)
    if a.regions and not a.host_batch:
        scale(a)
    if a.regions and a.host_batch:
        host_batch(a)
    if a.default:
        default_episode(a.default_duration_s)
    if a.memory:
        memory(a.memory, a.pack, a.memory_spacing_km)
    if a.cluster:
        cluster(a.cluster, a.cluster_duration_s, a.schemes, a.spacing_km, a.pack)


if __name__ == "__main__":
    main()
