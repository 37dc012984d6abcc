"""What an episode leaves behind: tidy frames, summary.json, the run folder and its figures.

``summary.json`` (also ``satcoop run --json``)::

    {"schemes": [{"scheme", "sum_rate_mean_bps_hz", "precoder_age_mean_s", "missed_update_share",
                  "fallback_share", "isl_payload_bits_per_update", "isl_link_bits_per_update", "isl_bits_per_s",
                  "iter_limit_share"}],
     "events": [...], "config": {...}, "constellation": {...}, "warnings": [...], "complete": bool,
     "simulated_s": float}

``fallback_share`` and ``warnings`` (a centralized lane on the fallback for more than half its updates,
with the cause; element sets propagated far from their epochs): :mod:`agents.live.coop_report`.
``iter_limit_share``: share of the lane's own runs that stopped at the scheme's iteration limit without
meeting its tolerance (``computes.parquet`` ``at_iter_limit`` per run; null for a scheme without iterations).
``complete`` is false when the episode was cut short (SIGINT / SIGTERM): every figure is then over the
``simulated_s`` seconds reached, and the run folder keeps its ``PARTIAL`` marker.

``constellation`` is the provenance of the constellation the episode ran on (kind, element-set files
with their sha256, satellites, dropped element sets, epochs), as in every satcoop JSON.

Definitions (per scheme, over the whole episode and every region):

* ``sum_rate_mean_bps_hz``: mean over ticks of the region's sum rate (bit/s/Hz), averaged over regions;
* ``precoder_age_mean_s``: mean over ticks, regions and satellites of t minus the time of the oldest
  sCSI the held precoders were computed from (satellites holding none are left out);
* ``missed_update_share``: share of (update, satellite) pairs where, when the next update started, the
  satellite did not hold precoders of that update computed with every member's data of that update
  (a fallback, an older bundle or an incomplete central computation count as missed); an update whose
  period is cut short by the end of the episode is not counted;
* ISL figures: the scheme's own messages (sCSI reports and bundles of a centralized lane) plus, for
  separate and decentralized schemes, the shared SSI broadcast (a centralized lane's reports carry
  their own SSI), as counted by the bus: payload bits and link bits (payload x hops attempted), per
  update (all regions together; updates = ceil(duration / update_period)) and per simulated second.

The run folder: ``config.json`` (resolved config), ``steps.parquet`` (tick x region x scheme),
``messages.parquet`` (one row per message), ``faults.parquet`` (the fault timeline), ``events.json``,
``computes.parquet`` (every on-board computation: flops, charged and wall time), ``summary.json``,
``run.json`` (runtime, wall times, real-time factor, start time), ``sum_rate.png``, ``overhead.png``.
"""
from __future__ import annotations

from agents.files import claim_folder, mark_complete, mark_partial, probe_folder, write_json, write_with
from constellation.checks import BadInput

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .coop_report import constellation_label, fallback_share, fallback_warnings

SUMMARY_FIELDS = ("scheme", "sum_rate_mean_bps_hz", "precoder_age_mean_s", "missed_update_share",
                  "fallback_share", "isl_payload_bits_per_update", "isl_link_bits_per_update", "isl_bits_per_s",
                  "iter_limit_share")


def messages_frame(bus, meta: dict) -> pd.DataFrame:
    """The bus's per-message accounting plus region, scheme lane ("" = shared SSI) and update."""
    df = bus.messages_frame()
    df["region"] = [meta[i][0] for i in df["msg_id"]]
    df["scheme"] = [meta[i][1] for i in df["msg_id"]]
    df["update"] = [int(meta[i][2]) for i in df["msg_id"]]
    df["lost"] = df["status"] == "lost"
    return df.rename(columns={"kind": "type", "t_send_s": "sent_s", "t_end_s": "end_s"}).assign(
        delivered_s=lambda d: np.where(d["status"] == "delivered", d["end_s"], np.nan))


def iter_limit_share(episode, name: str) -> float | None:
    """Share of the lane's own runs of ``name`` (not its fallbacks) that stopped at the scheme's iteration
    limit without meeting its tolerance; None for a scheme that reports no convergence (or never ran)."""
    flags = [c.at_iter_limit for c in episode.computes if c.lane == name and c.scheme == name
             and c.at_iter_limit is not None]
    return float(np.mean(flags)) if flags else None


def summarize(episode, steps: pd.DataFrame, messages: pd.DataFrame) -> dict:
    cfg = episode.config
    n_updates = math.ceil(episode.ticks_done / episode.upd_ticks)      # ticks_done < n_ticks: cut short
    duration = episode.ticks_done * episode.tick_s
    rows = []
    for name in episode.schemes:
        st = steps[steps["scheme"] == name]
        by_region = st.groupby("region")["sum_rate_bps_hz"].mean()
        ages = np.concatenate([np.asarray(a, float) for a in st["precoder_age_s"]]) if len(st) else np.zeros(0)
        ages = ages[np.isfinite(ages)]
        shared = episode.arch[name] != "centralized"
        sel = (messages["scheme"] == name) | ((messages["scheme"] == "") & shared)
        mm = messages[sel]
        missed, total = episode.missed[name]
        rows.append({
            "scheme": name,
            "sum_rate_mean_bps_hz": float(by_region.mean()) if len(by_region) else float("nan"),
            "precoder_age_mean_s": float(ages.mean()) if ages.size else float("nan"),
            "missed_update_share": float(missed / total) if total else float("nan"),
            "fallback_share": fallback_share(episode, name),
            "isl_payload_bits_per_update": float(mm["payload_bits"].sum() / n_updates),
            "isl_link_bits_per_update": float(mm["link_bits"].sum() / n_updates),
            "isl_bits_per_s": float(mm["link_bits"].sum() / duration),
            "iter_limit_share": iter_limit_share(episode, name),
        })
    # undefined figures (e.g. no update period completed: no missed share) are null, never NaN (valid JSON)
    warnings = list(getattr(episode.world, "warnings", [])) + fallback_warnings(episode, messages, rows)
    return {"schemes": _jsonable(rows), "events": _jsonable(episode.events), "config": cfg.model_dump(mode="json"),
            "constellation": _jsonable(episode.world.provenance), "warnings": warnings,
            "complete": episode.ticks_done == episode.n_ticks, "simulated_s": float(duration)}


def link_figures(messages: pd.DataFrame, hops: pd.DataFrame, schemes: dict, duration_s: float,
                 rate_bps: float) -> dict:
    """Per scheme (``schemes``: name -> architecture), from its messages as :func:`summarize` selects
    them (its own plus, for separate and decentralized schemes, the shared SSI broadcast):

    * ``isl_queue_mean_s``, ``isl_queue_max_s``: mean and largest time a message waited for busy links
      (``queue_s``, summed over its hops);
    * ``isl_util_max``, ``isl_util_mean``: bits the scheme's messages put on a directed link (every hop
      attempted) over ``rate_bps * duration_s``, on the busiest directed link and averaged over the
      directed links the scheme used: the share of the link rate its messages took, background load
      (``isl.background_load``) not included.

    With no message, the figures are NaN."""
    out = {}
    for name, arch in schemes.items():
        sel = (messages["scheme"] == name) | ((messages["scheme"] == "") & (arch != "centralized"))
        mm = messages[sel]
        hh = hops[hops["msg_id"].isin(mm["msg_id"])]
        per_link = hh.groupby(["u", "v"])["bits"].sum() / (rate_bps * duration_s)
        q = mm["queue_s"].to_numpy(float)
        out[name] = {"isl_queue_mean_s": float(q.mean()) if q.size else math.nan,
                     "isl_queue_max_s": float(q.max()) if q.size else math.nan,
                     "isl_util_max": float(per_link.max()) if len(per_link) else math.nan,
                     "isl_util_mean": float(per_link.mean()) if len(per_link) else math.nan}
    return out


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        v = float(x)
        return v if math.isfinite(v) else None
    return x


def format_table(summary: dict) -> str:
    head = (f"{'scheme':<12} {'sum rate':>10} {'age':>8} {'missed':>7} {'fallback':>8} {'payload':>12} "
            f"{'link bits':>12} {'ISL':>10}\n{'':<12} {'bit/s/Hz':>10} {'s':>8} {'share':>7} {'share':>8} "
            f"{'bit/update':>12} {'bit/update':>12} {'kbit/s':>10}")
    lines = [head]
    for r in summary["schemes"]:
        f = lambda v, fmt: ("nan" if v is None or (isinstance(v, float) and not math.isfinite(v)) else format(v, fmt))
        lines.append(f"{r['scheme']:<12} {f(r['sum_rate_mean_bps_hz'], '10.2f')} {f(r['precoder_age_mean_s'], '8.3f')} "
                     f"{f(r['missed_update_share'], '7.3f')} {f(r.get('fallback_share'), '8.3f')} "
                f"{f(r['isl_payload_bits_per_update'], '12.0f')} "
                     f"{f(r['isl_link_bits_per_update'], '12.0f')} {f(r['isl_bits_per_s'] / 1e3, '10.2f')}")
    return "\n".join(lines)


def prepare_run_folder(out, name: str = "out_dir", force: bool = False) -> Path:
    """Create the run folder ``out`` and check that files can be written in it, BEFORE any work (an
    episode's results are not lost to an unwritable folder at the end). ValueError, one line naming
    ``name`` (the option or argument), the value and what is wrong. A folder that is not empty (a finished
    or cut-short run, anything else) is refused unless ``force``. The folder is marked PARTIAL until
    :func:`write_run_folder` has written everything."""
    out = Path(out)
    claim_folder(out, option=name, kind="run", own=("run.json", "summary.json"), force=force)
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe_folder(out)                       # a fresh name: never a file planted there
        mark_partial(out, "satcoop run: started; this file is removed when the run folder is complete")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise BadInput(f"{name} = {str(out)!r}: cannot create a run folder and write in it ({reason})") from None
    return out


def write_run_folder(out: Path, result) -> None:
    out.mkdir(parents=True, exist_ok=True)      # every file by exclusive creation + rename (agents.files)
    write_json(out / "config.json", result.summary["config"])
    for name, df in (("steps", result.steps), ("messages", result.messages), ("faults", result.faults.frame()),
                     ("computes", result.computes)):
        write_with(out / f"{name}.parquet", lambda f, df=df: df.to_parquet(f, index=False))
    write_json(out / "events.json", result.summary["events"], indent=1)
    write_json(out / "summary.json", result.summary)
    plot_sum_rate(result, out / "sum_rate.png")
    plot_overhead(result.summary, out / "overhead.png")
    s = result.summary
    write_json(out / "run.json", _jsonable({**result.info, "complete": s["complete"]}))   # the run's record, last
    if s["complete"]:
        mark_complete(out)                      # the completion: PARTIAL removed
    else:
        mark_partial(out, f"satcoop run: cut short at {s['simulated_s']:g} s of {s['config']['duration_s']:g} s "
                          f"simulated; summary.json and the tables cover what was reached")


def plot_sum_rate(result, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = result.steps[result.steps["region"] == 0]
    fig, ax = plt.subplots(figsize=(9.5, 4))
    for i, (name, st) in enumerate(steps.groupby("scheme", sort=False)):
        ax.plot(st["t_s"], st["sum_rate_bps_hz"], lw=1.0, label=name, color=f"C{i}")
    first = steps.drop_duplicates("tick")
    cut = first["member_link_down"].to_numpy(bool)
    tt = first["t_s"].to_numpy(float)
    dt = result.summary["config"]["tick_s"]
    shaded = False
    i = 0
    while i < len(cut):
        if cut[i]:
            j = i
            while j + 1 < len(cut) and cut[j + 1]:
                j += 1
            ax.axvspan(tt[i], tt[j] + dt, color="0.85", zorder=0, label=None if shaded else "ISL fault at a member")
            shaded = True
            i = j + 1
        else:
            i += 1
    _shade_fallback(ax, steps, dt)
    for ev in result.summary["events"]:
        if ev["type"] == "handover" and ev.get("region", 0) == 0:
            ax.axvline(ev["t_s"], color="k", ls=":", lw=0.8)
    ax.set_xlabel("episode time (s)")
    ax.set_ylabel("sum rate (bit/s/Hz)")
    cfg = result.summary["config"]
    reg = (result.info.get("regions") or [{}])[0]
    centre = (f"centre ({reg['center_lat_deg']:.2f}, {reg['center_lon_deg']:.2f}) deg" if "center_lat_deg" in reg
              else "region 0")
    ax.set_title(f"{constellation_label(result.summary.get('constellation') or {})}, {centre}, seed {cfg['seed']}"
                 "\nlive episode, region 0 (dotted: handover)", fontsize=8)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    fig.tight_layout()
    write_with(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)


def _shade_fallback(ax, steps, dt: float) -> None:
    """Hatch the ticks where some satellite of a centralized lane serves the fallback scheme."""
    fb = steps.groupby("tick").agg(t=("t_s", "first"), fb=("source", lambda col: any(
        "fallback" in list(x) for x in col if isinstance(x, (list, tuple, np.ndarray)))))
    if not len(fb) or not fb["fb"].any():
        return
    on, tt = fb["fb"].to_numpy(bool), fb["t"].to_numpy(float)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], on.astype(int), [0]])))
    for k, (a, b) in enumerate(zip(edges[::2], edges[1::2])):
        ax.axvspan(tt[a], tt[b - 1] + dt, facecolor="none", edgecolor="tab:red", hatch="//", lw=0, alpha=0.35,
                   zorder=0, label="centralized lane on the fallback" if k == 0 else None)


def plot_overhead(summary: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = summary["schemes"]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    vals = [r["isl_link_bits_per_update"] / 1e3 for r in rows]
    bars = ax.bar([r["scheme"] for r in rows], vals, color=[f"C{i}" for i in range(len(rows))])
    fb = [r.get("fallback_share") or 0.0 for r in rows]          # say when a lane served its fallback instead
    ax.bar_label(bars, labels=[f"{v:.1f}" + (f"\nfallback {f:.0%}" if f > 0 else "") for v, f in zip(vals, fb)],
                 fontsize=7)
    ax.set_ylabel("ISL link kbit per update")
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    write_with(path, lambda f: fig.savefig(f, format="png", dpi=110))
    plt.close(fig)
