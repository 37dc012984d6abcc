"""``run_episode``: one live episode from a config to its results (the function `satcoop run` and sweeps call).

The schemes are checked and the run folder prepared (created, probed) once, before any work."""
from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from agents.config import RunConfig
from agents.live.boundary import COMPUTE_COLUMNS
from agents.experiments.stopping import Interrupted, stop_on_signals
from agents.live.coop_report import members_over_time
from agents.live.results import messages_frame, prepare_run_folder, summarize, write_run_folder


@dataclass
class EpisodeResult:
    """summary: exactly summary.json; steps: one row per tick x region x scheme; messages: one row per
    message; computes: one row per on-board computation; events: list of dicts; faults: FaultTimeline;
    info: runtime, wall times (never part of the summary), hosts; out_dir: the run folder or None."""

    summary: dict
    steps: pd.DataFrame
    messages: pd.DataFrame
    computes: pd.DataFrame
    faults: object
    info: dict = field(default_factory=dict)
    out_dir: Path | None = None
    hops: pd.DataFrame | None = None           # one row per hop transmission attempted (Bus.hops_frame)

    @property
    def events(self) -> list:
        return self.summary["events"]


BAR_MIN_COLUMNS = 80       # what the run bar needs besides its postfix (description, counts, times, >= 20 bar cells)


def progress_text(rows: list, n: int, t: float, rtf: float | None = None, width: int | None = None) -> str:
    """The progress bar's postfix at tick n: simulated time, each scheme's sum rate at that tick (bit/s/Hz,
    mean over regions) from the episode's step rows, and the real-time factor; at most ``width`` characters
    (the schemes that do not fit are left out, ``...``), so the bar keeps its cells on a narrow terminal."""
    now: dict[str, list] = {}
    for r in reversed(rows):
        if r["tick"] != n:
            break
        now.setdefault(r["scheme"], []).append(r["sum_rate_bps_hz"])
    rates = [f"{k} {sum(v) / len(v):.1f}" for k, v in reversed(list(now.items()))]
    tail = "" if rtf is None else f", {rtf:.2f} sim-s/wall-s"
    for i in range(len(rates), -1, -1):
        shown = " ".join(rates[:i]) + (" ..." if i < len(rates) else "")
        text = f"t={t:.1f} s, sum rate [bit/s/Hz] {shown.strip() or '-'}{tail}"
        if width is None or len(text) <= width:
            return text
    return text[:max(int(width), 0)]


def run_episode(config: RunConfig | dict, *, out_dir: str | Path | None = None, progress: bool = True,
                runtime=None, out_option: str = "out_dir", force: bool = False,
                handle_signals: bool = False) -> EpisodeResult:
    """Run one episode. ``config``: a RunConfig or a dict (validated; ValueError naming the field).
    ``out_dir``: write the run folder there (created). ``progress``: a tqdm bar on stderr (simulated
    time, real-time factor). ``runtime``: an already built runtime to use (default: from the config;
    it is then closed at the end); ``out_option``: how an error about ``out_dir`` names it (e.g. ``--out``);
    ``force``: write into a non-empty ``out_dir`` (a finished run's folder, anything else), refused otherwise.
    ``handle_signals``: on SIGINT / SIGTERM the episode ends after the tick in hand, the runtime is closed
    (actors and Ray released), the run folder is written with ``"complete": false`` and its PARTIAL marker,
    and :class:`~agents.experiments.stopping.Interrupted` is raised (see that module)."""
    cfg = config if isinstance(config, RunConfig) else RunConfig.from_dict(config)
    from agents.live.episode import check_schemes
    checked = check_schemes(cfg)                # bad scheme names fail before any work (Ray, the world)
    if out_dir is not None:
        prepare_run_folder(out_dir, out_option, force)  # unwritable / not ours: fails now, not after the episode
    with stop_on_signals(handle_signals) as stop:     # restored once the run folder is written
        return _episode(cfg, checked, out_dir, progress, runtime, stop)


def _episode(cfg, checked, out_dir, progress, runtime, stop) -> EpisodeResult:
    from agents.live.episode import Episode
    from agents.live.runtime import make_runtime

    w0 = time.perf_counter()
    # the driver's own numerics (truth, channels, evaluator) on one torch thread on every runtime: with several,
    # MKL may pick its thread count from the machine's load, and the last bits of the rates would vary
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    own = runtime is None
    bar = None
    try:
        rt = make_runtime(cfg) if own else runtime
        stop.arm()                              # ray.init replaced the SIGTERM handler
        ep = Episode(cfg, rt, checked=checked)
        w_setup = time.perf_counter() - w0
        tick_walls = []
        last = [time.perf_counter()]

        def on_tick(n, t):
            now = time.perf_counter()
            tick_walls.append(now - last[0])
            last[0] = now
            if bar is not None:                    # at most one redraw per tick, the postfix sized to the terminal
                done = min(bar.total, round((n + 1) * cfg.tick_s, 9))         # no float drift past the total
                if n % 10 == 0 or n == ep.n_ticks - 1:
                    loop = sum(tick_walls[1:]) or 1e-9
                    width = shutil.get_terminal_size((100, 24)).columns - BAR_MIN_COLUMNS
                    bar.n = done
                    bar.set_postfix_str(progress_text(ep.rows, n, t, (len(tick_walls) - 1) * cfg.tick_s / loop,
                                                      width=width))
                else:
                    bar.update(done - bar.n)

        if progress:
            from tqdm import tqdm
            bar = tqdm(total=round(cfg.n_ticks * cfg.tick_s, 9), unit="sim-s", desc=f"satcoop run ({rt.name})",
                       bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.1f}/{total:.1f} sim-s "
                                  "[{elapsed}<{remaining}{postfix}]",        # tqdm puts the ", " before a postfix
                       dynamic_ncols=True, leave=False)
        ep.run(progress=on_tick, stop=lambda: stop.signum is not None)
        hosts = rt.info()
        actor_nodes = rt.actor_nodes()
        stats = dict(rt.stats, hosts_alive=rt.live_hosts)
        host_events = list(rt.host_events)
        for key in sorted(rt.where):            # leave the runtime empty (a shared runtime is reused)
            rt.remove(key, ep.ticks_done * ep.tick_s)
    finally:
        if bar is not None:
            bar.close()
        if own and "rt" in locals():
            rt.close()
        torch.set_num_threads(threads)
    steps = pd.DataFrame(ep.rows)
    msgs = messages_frame(ep.bus, ep.meta)
    computes = pd.DataFrame([c.row() for c in ep.computes], columns=list(COMPUTE_COLUMNS))
    summary = summarize(ep, steps, msgs)
    loop = sum(tick_walls)
    sim = ep.ticks_done * ep.tick_s
    loop_after_first = sum(tick_walls[1:])
    info = {
        "runtime": rt.name, "t0_s": ep.world.t0_s, "constellation": ep.world.provenance,
        "epoch": ep.world.constellation.epoch.isoformat(),
        "regions": [{"index": r.index, "center_lat_deg": r.center[0], "center_lon_deg": r.center[1]}
                    for r in ep.world.regions],
        "schemes": [{"scheme": s, "architecture": ep.arch[s]} for s in ep.schemes],
        "members": members_over_time(ep),
        "wall_setup_s": w_setup, "wall_loop_s": loop, "wall_first_tick_s": tick_walls[0] if tick_walls else 0.0,
        "wall_per_sim_s": loop_after_first / max(sim - ep.tick_s, 1e-12) if ep.ticks_done > 1 else loop / sim,
        "realtime_factor": (sim - ep.tick_s) / loop_after_first if ep.ticks_done > 1 and loop_after_first > 0 else None,
        "wall_breakdown_s": dict(ep.wall), "subrounds_max": ep.subrounds_max,
        "runtime_stats": stats, "hosts": hosts, "host_events": host_events,
        "actor_nodes": actor_nodes,
        "flops_source": sorted(set(computes["flops_source"])) if len(computes) else [],
    }
    result = EpisodeResult(summary=summary, steps=steps, messages=msgs, computes=computes, faults=ep.timeline,
                           info=info, hops=ep.bus.hops_frame())
    if out_dir is not None:
        result.out_dir = Path(out_dir)
        write_run_folder(result.out_dir, result)
    if stop.signum is not None:
        where = f"; partial run folder {out_dir}" if out_dir is not None else ""
        raise Interrupted(stop.signum, f"cut short at {summary['simulated_s']:g} of {cfg.duration_s:g} s "
                                       f"simulated{where} (summary.json \"complete\": false, PARTIAL)")
    return result
