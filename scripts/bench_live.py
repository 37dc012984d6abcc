"""Benchmark of the live episode: wall time per simulated second on each runtime, the ray/local
ratio (start-up excluded), the real-time factor, where the time goes, and the largest episode this
machine holds (regions x S agents) with the memory per actor. Prints measured figures; asserts nothing.

    .venv/bin/python scripts/bench_live.py [--duration-s 60] [--skip-scale] [--scale-regions 1 4 8 16]
    .venv/bin/python scripts/bench_live.py --skip-scale --skip-default --baseline /path/to/other/checkout

Start-up (Ray init, actor processes importing torch, first tick) is reported separately and
excluded from the per-second figures (which are measured from the second tick on).

``--baseline DIR`` measures the default episode side by side with another checkout of satcoop (e.g. the
main branch before a change): each episode runs in a fresh process, this checkout and DIR alternately
(local, then ray, ``--repeat`` times), and the script prints each one's real-time factor, the ratios, the
machine's load average, and whether the per-scheme summaries are identical. ``--overhead`` adds the
driver's and Ray's cost per tick: the same episode with Sep-MRT alone (the cheapest lane), local and ray.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import numpy as np


def episode(overrides, runtime=None):
    from agents.config.run import RunConfig
    from agents.experiments.run import run_episode

    cfg = RunConfig.load(None, overrides)
    t0 = time.perf_counter()
    res = run_episode(cfg, progress=False, runtime=runtime)
    return res, time.perf_counter() - t0


def describe(name, res, total):
    i = res.info
    print(f"  {name:<6} total {total:7.1f} s = start-up {i['wall_setup_s']:.1f} s + first tick "
          f"{i['wall_first_tick_s']:.1f} s + loop; wall per simulated s {i['wall_per_sim_s']:.3f} s, "
          f"real-time factor {i['realtime_factor']:.2f}")


def profile(res):
    i = res.info
    br = i["wall_breakdown_s"]
    loop = i["wall_loop_s"]
    print("  where the driver's loop time goes (s; 'agents' = waiting for the agents' step calls):")
    print("   " + ", ".join(f"{k} {v:.1f}" for k, v in br.items()) + f"; loop {loop:.1f}")
    c = res.computes
    by = c.groupby(["lane", "kind"])[["wall_s", "flops"]].agg(["sum", "count", "mean"])
    print("  on-board computations (wall s summed over agents, count, mean flops):")
    for (lane, kind), row in by.iterrows():
        print(f"   {lane:<12} {kind:<9} wall {row[('wall_s', 'sum')]:7.2f} s  n {int(row[('wall_s', 'count')]):4d}  "
              f"flops/computation {row[('flops', 'mean')]:.3g}")


def scale(regions_list, duration_s, schemes, packs):
    import ray

    from agents.live.runtime import RayRuntime, rss_mb

    print("\nlargest episode (ray, S=3, short episodes; RSS and PSS (shared library pages split among the "
          "processes mapping them) from /proc of each actor):")
    for pack in packs:
        for regions in regions_list:
            ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            try:
                rt = RayRuntime(agents_per_actor=pack, idle_actors_max=0, actor_num_cpus=0.01, max_restarts=0)
                res, total = episode(["runtime=ray", f"duration_s={duration_s}", f"region.count={regions}",
                                      f"schemes={json.dumps(schemes)}", "faults.model=none"], runtime=rt)
                hosts = res.info["hosts"]
                rss = [h["rss_mb"] for h in hosts]
                pss = [h.get("pss_mb", float("nan")) for h in hosts]
                agents = sum(h["agents"] for h in hosts)
                vm = _available_mb()
                print(f"  regions {regions:3d} x S 3 = {agents:3d} agents in {len(hosts):3d} actors "
                      f"({pack}/actor): actor RSS mean {np.mean(rss):.0f} MB (max {np.max(rss):.0f}), PSS mean "
                      f"{np.mean(pss):.0f} MB, "
                      f"driver {rss_mb():.0f} MB, machine available {vm:.0f} MB; wall per sim s "
                      f"{res.info['wall_per_sim_s']:.2f}, start-up+first tick "
                      f"{res.info['wall_setup_s'] + res.info['wall_first_tick_s']:.1f} s")
                rt.close()
            except Exception as exc:  # noqa: BLE001 - report the limit
                print(f"  regions {regions:3d} x S 3 ({pack}/actor): FAILED {type(exc).__name__}: {exc}"[:300])
                ray.shutdown()
                break
            finally:
                if ray.is_initialized():
                    ray.shutdown()


def _available_mb() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) / 1024.0
    return float("nan")


def one(runtime, duration_s, schemes=None):
    """One default episode in this process (imports from PYTHONPATH); prints one JSON line of its figures."""
    import ray

    over = [f"runtime={runtime}", f"duration_s={duration_s}"] + ([f"schemes={json.dumps(schemes)}"] if schemes else [])
    if runtime == "ray":
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        res, total = episode(over)
    finally:
        if ray.is_initialized():
            ray.shutdown()
    i = res.info
    c = res.computes
    lanes = {f"{k[0]}/{k[1]}": float(v) for k, v in c.groupby(["lane", "kind"])["wall_s"].sum().items()}
    print("RESULT " + json.dumps({"wall_per_sim_s": i["wall_per_sim_s"], "realtime_factor": i["realtime_factor"],
                                  "wall_loop_s": i["wall_loop_s"], "startup_s": i["wall_setup_s"] + i["wall_first_tick_s"],
                                  "breakdown": i["wall_breakdown_s"], "lanes_wall_s": lanes,
                                  "schemes": res.summary["schemes"]}))


def side_by_side(baseline, duration_s, repeat, overhead):
    """This checkout against ``baseline`` (another checkout), alternately, each episode in a fresh process."""
    import subprocess
    import tempfile
    import sys

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    runs = {}

    def launch(tree, runtime, schemes=None):
        env = dict(os.environ, PYTHONPATH=tree)
        cmd = [sys.executable, os.path.abspath(__file__), "--one", runtime, "--duration-s", str(duration_s)]
        if schemes:
            cmd += ["--one-schemes", *schemes]
        load = os.getloadavg()[0]
        out = subprocess.run(cmd, env=env, cwd=tempfile.gettempdir(), capture_output=True, text=True, check=True).stdout
        rec = json.loads(next(ln for ln in out.splitlines() if ln.startswith("RESULT "))[7:])
        rec["load"] = (load + os.getloadavg()[0]) / 2
        return rec

    plan = [("local", None), ("ray", None)] + ([("local", ["Sep-MRT"]), ("ray", ["Sep-MRT"])] if overhead else [])
    for rep in range(repeat):
        for runtime, schemes in plan:
            for name, tree in (("baseline", baseline), ("this", here)):
                rec = launch(tree, runtime, schemes)
                label = f"{runtime}{'/Sep-MRT' if schemes else ''}"
                runs.setdefault((label, name), []).append(rec)
                br = ", ".join(f"{k} {v:.1f}" for k, v in rec["breakdown"].items())
                print(f"  {label:<13} {name:<8} real-time factor {rec['realtime_factor']:5.2f}  wall per sim s "
                      f"{rec['wall_per_sim_s']:.3f}  loop {rec['wall_loop_s']:5.1f} s ({br})  start-up "
                      f"{rec['startup_s']:.1f} s  load {rec['load']:.1f}", flush=True)
    print("  summary (mean over repeats; ratio = this / baseline real-time factor):")
    for label in dict.fromkeys(k[0] for k in runs):
        a = [r["realtime_factor"] for r in runs[(label, "baseline")]]
        b = [r["realtime_factor"] for r in runs[(label, "this")]]
        same = all(x["schemes"] == runs[(label, "this")][0]["schemes"] for x in runs[(label, "this")])
        print(f"   {label:<13} baseline {np.mean(a):5.2f}  this {np.mean(b):5.2f}  ratio {np.mean(b) / np.mean(a):.2f}"
              + (f"  (identical summaries over the {repeat} repeats: {same})" if repeat > 1 else ""))
        lb, lt = runs[(label, "baseline")][0]["lanes_wall_s"], runs[(label, "this")][0]["lanes_wall_s"]
        print("     on-board wall s (baseline -> this): " + ", ".join(
            f"{k} {lb.get(k, 0):.1f}->{lt.get(k, 0):.1f}" for k in sorted(set(lb) | set(lt)) if max(lb.get(k, 0), lt.get(k, 0)) > 0.3))
        sb = {r["scheme"]: r for r in runs[(label, "baseline")][0]["schemes"]}
        st = {r["scheme"]: r for r in runs[(label, "this")][0]["schemes"]}
        moved = [k for k in st if sb.get(k) != st[k]]
        dropped = [k for k in sb if k not in st]
        print(f"     schemes whose summary differs from the baseline's: {moved or 'none'}"
              + (f"; not run here: {dropped}" if dropped else "")
              + "".join(f"; {k} sum rate {sb[k]['sum_rate_mean_bps_hz']:.2f} -> {st[k]['sum_rate_mean_bps_hz']:.2f}"
                        for k in moved if k in sb))
    for name in ("baseline", "this"):
        loc, ray_ = runs[("local", name)][0]["schemes"], runs[("ray", name)][0]["schemes"]
        print(f"   {name:<8} local and ray per-scheme summaries identical: {loc == ray_}")
    if overhead:
        for name in ("baseline", "this"):
            loc, ray_ = runs[("local/Sep-MRT", name)], runs[("ray/Sep-MRT", name)]
            wl = np.mean([r["wall_per_sim_s"] for r in loc]) * 1e3 / 10
            wr = np.mean([r["wall_per_sim_s"] for r in ray_]) * 1e3 / 10
            print(f"   {name:<8} Sep-MRT alone: {wl:.1f} ms per 0.1 s tick local (driver + the cheapest lane), "
                  f"{wr:.1f} ms ray: Ray adds {wr - wl:.1f} ms per tick")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration-s", type=float, default=60.0)
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--skip-default", action="store_true")
    ap.add_argument("--scale-regions", type=int, nargs="+", default=[1, 4, 8, 16])
    ap.add_argument("--scale-pack", type=int, nargs="+", default=[1, 8])
    ap.add_argument("--scale-duration-s", type=float, default=3.0)
    ap.add_argument("--baseline", metavar="DIR", help="another satcoop checkout to measure side by side")
    ap.add_argument("--repeat", type=int, default=1, help="--baseline: rounds of (local, ray) per checkout")
    ap.add_argument("--overhead", action="store_true", help="--baseline: also Sep-MRT alone (driver, Ray per tick)")
    ap.add_argument("--one", choices=["local", "ray"], help=argparse.SUPPRESS)
    ap.add_argument("--one-schemes", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        return one(args.one, args.duration_s, args.one_schemes)
    print(f"bench_live: {os.cpu_count()} CPUs, default episode ({args.duration_s:g} s simulated, the default scheme set, "
          "Gilbert-Elliott faults)")
    if not args.skip_default:
        import ray

        loc, t_loc = episode(["runtime=local", f"duration_s={args.duration_s}"])
        describe("local", loc, t_loc)
        ray.init(address="local", num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        ray_res, t_ray = episode(["runtime=ray", f"duration_s={args.duration_s}"])
        ray.shutdown()
        describe("ray", ray_res, t_ray)
        same = loc.summary["schemes"] == ray_res.summary["schemes"]
        print(f"  ray / local wall per simulated s: {ray_res.info['wall_per_sim_s'] / loc.info['wall_per_sim_s']:.2f} "
              f"(start-up excluded); identical per-scheme summaries: {same}, identical events: "
              f"{loc.summary['events'] == ray_res.summary['events']}; ray restarts "
              f"{ray_res.info['runtime_stats']['restarts']}")
        if not same:
            for x, y in zip(loc.summary["schemes"], ray_res.summary["schemes"]):
                if x != y:
                    print(f"   differs: local {x}\n            ray   {y}")
            m = loc.computes.merge(ray_res.computes, on=["region", "sat", "lane", "kind", "update", "t_start_s"],
                                   suffixes=("_local", "_ray"), how="outer")
            d = m[(m["flops_local"] != m["flops_ray"]) | (m["iterations_local"] != m["iterations_ray"])]
            print("   first differing computations:\n" + d.head(5).to_string())
        print("  local:")
        profile(loc)
        print("  ray:")
        profile(ray_res)
        print("  actors:", ", ".join(f"pid {h['pid']} {h['rss_mb']:.0f} MB" for h in ray_res.info["hosts"]))
        from agents.live.results import format_table
        print(format_table(loc.summary))
    if args.baseline:
        print(f"side by side with {args.baseline} (each episode a fresh process; load = 1-min load average):")
        side_by_side(args.baseline, args.duration_s, args.repeat, args.overhead)
    if not args.skip_scale:
        scale(args.scale_regions, args.scale_duration_s, ["Sep-MMSE", "Cen-Opt-WM"], args.scale_pack)


if __name__ == "__main__":
    main()
