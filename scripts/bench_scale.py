"""Benchmark: agent-seconds simulated per core-second as the number of service regions grows.

    .venv/bin/python scripts/bench_scale.py [--regions 1 10 100] [--duration-s 2] [--schemes ...]

One local-runtime episode per region count (the default episode's world, K = 12, S = 3, Gilbert-Elliott
faults, regions placed with ``region.min_spacing_km``), the cheap lanes by default (Sep-MMSE,
Cen-Opt-WM, Cen-TFC-WM, Dec-TFC-WM). Agents are satellites (one per satellite, whatever number of
regions it serves); agent-seconds = satellite agents x simulated seconds. Core-seconds are the
process's CPU time (user + system, every thread) of the episode loop (``Episode.run``), start-up (world,
constellation, first agents) excluded and printed apart. Prints measured figures; asserts nothing.
"""
from __future__ import annotations

import argparse
import time

CHEAP = ["Sep-MMSE", "Cen-Opt-WM", "Cen-TFC-WM", "Dec-TFC-WM"]


def measure(regions: int, duration_s: float, schemes: list[str], spacing_km: float) -> dict:
    from agents.config.run import RunConfig
    from agents.live.episode import Episode
    from agents.live.runtime import LocalRuntime

    import torch
    torch.set_num_threads(1)
    cfg = RunConfig.load(None, [f"duration_s={duration_s}", "runtime=\"local\"", f"region.count={regions}",
                                f"region.min_spacing_km={spacing_km}", f"schemes={schemes!r}".replace("'", '"')])
    w0, c0 = time.perf_counter(), time.process_time()
    rt = LocalRuntime()
    ep = Episode(cfg, rt)
    setup_wall, setup_cpu = time.perf_counter() - w0, time.process_time() - c0
    w1, c1 = time.perf_counter(), time.process_time()
    ep.run()
    wall, cpu = time.perf_counter() - w1, time.process_time() - c1
    sats = {s for m in ep.members.values() for s in m}
    roles = sum(len(m) for m in ep.members.values())
    sim = ep.n_ticks * ep.tick_s
    rt.close()
    return {"regions": regions, "agents": len(sats), "roles": roles, "sim_s": sim, "setup_wall_s": setup_wall,
            "setup_cpu_s": setup_cpu, "wall_s": wall, "cpu_s": cpu, "driver": dict(ep.wall),
            "subrounds_max": ep.subrounds_max, "agent_s_per_core_s": len(sats) * sim / cpu}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--regions", type=int, nargs="+", default=[1, 10, 100])
    ap.add_argument("--duration-s", type=float, default=2.0)
    ap.add_argument("--spacing-km", type=float, default=300.0)
    ap.add_argument("--schemes", nargs="+", default=CHEAP)
    a = ap.parse_args(argv)
    print(f"local runtime, {a.duration_s:g} s simulated per episode, schemes {', '.join(a.schemes)}; "
          "CPU time of the episode loop (start-up apart)")
    print(f"{'regions':>7} {'agents':>6} {'roles':>5} {'setup s':>8} {'loop wall s':>11} {'loop CPU s':>10} "
          f"{'agent-s/core-s':>14} {'CPU s/region/sim-s':>18} {'max subrounds':>13}  driver breakdown (wall s)")
    rows = []
    for n in a.regions:
        r = measure(n, a.duration_s, a.schemes, a.spacing_km)
        rows.append(r)
        br = ", ".join(f"{k} {v:.2f}" for k, v in r["driver"].items())
        print(f"{n:>7} {r['agents']:>6} {r['roles']:>5} {r['setup_wall_s']:>8.1f} {r['wall_s']:>11.1f} "
              f"{r['cpu_s']:>10.1f} {r['agent_s_per_core_s']:>14.2f} {r['cpu_s'] / n / r['sim_s']:>18.3f} "
              f"{r['subrounds_max']:>13}  {br}", flush=True)
    if len(rows) > 1:
        base = rows[0]
        for r in rows[1:]:
            print(f"{r['regions']} vs {base['regions']} regions: CPU per simulated second x"
                  f"{(r['cpu_s'] / r['sim_s']) / (base['cpu_s'] / base['sim_s']):.1f}, agent-s per core-s x"
                  f"{r['agent_s_per_core_s'] / base['agent_s_per_core_s']:.2f}")


if __name__ == "__main__":
    main()
