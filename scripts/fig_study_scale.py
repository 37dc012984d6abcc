"""Centralized vs decentralized cooperation as the number of service regions grows and the ISL rate
falls (issue 18 item 5): missed-update share, precoder age, sum rate, busiest-link utilisation, mean
and longest queueing delay vs the number of regions; one column per (outage model, background load),
one colour per architecture, one line style per ISL rate.

    .venv/bin/python scripts/fig_study_scale.py [--sweep-dir /work/study-run/sweep] [--run]

Sweep: runs/study_scale.toml (``satcoop sweep runs/study_scale.toml --out DIR``). Reads
DIR/results.parquet; when the finished shards (DIR/shards/*.parquet) hold units it lacks (a sweep
not finished yet, or grown piece by piece with ``--resume``) it reads the shards and says so. Writes
docs/figures/study_scale.png and docs/figures/study_scale.csv (one row per scheme x grid point; one
episode per point, so no intervals).
"""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from fig_common import color, parser, plt, scheme_order

AXES = ["region.count", "isl.rate_bps", "faults.model", "isl.background_load"]
METRICS = [("missed_update_share", "missed-update share", "linear"),
           ("precoder_age_mean_s", "precoder age (s)", "linear"),
           ("sum_rate_mean_bps_hz", "sum rate per region (bit/s/Hz)", "linear"),
           ("isl_util_max", "busiest-link utilisation\n(own messages, share of rate)", "log"),
           ("isl_queue_mean_s", "mean queueing delay\nper message (s)", "log"),
           ("isl_queue_max_s", "longest queueing delay\nof a message (s)", "log")]
RATES = {1e10: ("10 Gbit/s", "-"), 1e9: ("1 Gbit/s", "--"), 1e8: ("100 Mbit/s", "-."), 1e7: ("10 Mbit/s", ":"),
         1e6: ("1 Mbit/s", (0, (1, 1, 4, 1)))}


def read(sweep_dir: Path) -> pd.DataFrame:
    """The sweep's ok rows: results.parquet, or, if the finished shards hold units it lacks (an unfinished
    sweep, or one grown piece by piece with --resume), every finished shard."""
    path = sweep_dir / "results.parquet"
    t = pd.read_parquet(path) if path.exists() else None
    shards = sorted((sweep_dir / "shards").glob("*.parquet"))
    if shards:
        s = pd.concat([pd.read_parquet(f) for f in shards], ignore_index=True)
        s = s.drop_duplicates(["uid", "row"], keep="last")
        if t is None or set(s["uid"]) - set(t["uid"]):
            print(f"{s['uid'].nunique()} units from {len(shards)} finished shards"
                  f"{'' if t is None else f' (results.parquet holds {t.uid.nunique()})'}", file=sys.stderr)
            t = s
    if t is None:
        sys.exit(f"{sweep_dir}: no results.parquet and no shards yet")
    for _, r in t[t["status"] != "ok"].drop_duplicates("uid").iterrows():
        print(f"failed unit {r['uid']}: {r['error']}", file=sys.stderr)
    return t[t["status"] == "ok"].copy()


def main(argv=None):
    ap = parser(__doc__, "study_scale.toml", "sweep-study_scale")
    args = ap.parse_args(argv)
    sweep_dir = Path(args.sweep_dir)
    if args.run:
        from agents.experiments.sweep import load_sweep_config, run_sweep
        run_sweep(load_sweep_config(args.config), sweep_dir, resume=(sweep_dir / "manifest.jsonl").exists())
    t = read(sweep_dir)
    cols = ["scheme", *AXES] + [m for m, _, _ in METRICS] + ["isl_util_mean", "fallback_share", "isl_bits_per_s"]
    df = t[[c for c in cols if c in t.columns]].sort_values(["scheme", *AXES]).reset_index(drop=True)
    conds = sorted(df[["faults.model", "isl.background_load"]].drop_duplicates().itertuples(index=False),
                   key=lambda c: (c[0] != "none", c[1]))
    schemes = scheme_order(df["scheme"].unique())
    counts = sorted(df["region.count"].unique())
    fig, axes = plt.subplots(len(METRICS), len(conds), figsize=(4.2 * len(conds), 2.6 * len(METRICS)),
                             sharex=True, sharey="row", squeeze=False)
    for j, (model, bg) in enumerate(conds):
        sub = df[(df["faults.model"] == model) & (df["isl.background_load"] == bg)]
        for i, (metric, ylabel, scale) in enumerate(METRICS):
            ax = axes[i][j]
            for s in schemes:
                for rate, (rlabel, ls) in RATES.items():
                    g = sub[(sub["scheme"] == s) & (sub["isl.rate_bps"] == rate)].sort_values("region.count")
                    if len(g):
                        ax.plot(g["region.count"], g[metric], linestyle=ls, marker="o", ms=3, color=color(s),
                                label=f"{s}, {rlabel}")
            ax.set_xscale("log")
            ax.set_xticks(counts, [str(c) for c in counts])   # the measured counts, no log minor ticks
            ax.set_xticks([], minor=True)
            ax.set_yscale(scale)               # log panels: a zero (no queueing at all) is not drawn
            if j == 0:
                ax.set_ylabel(ylabel, fontsize=8)
            if i == 0:
                ax.set_title(f"outages: {'none' if model == 'none' else model}, background {bg:g}", fontsize=9)
            if i == len(METRICS) - 1:
                ax.set_xlabel("service regions")
            ax.grid(alpha=0.3)
    h, lab = axes[0][0].get_legend_handles_labels()
    fig.legend(h, lab, loc="lower center", ncol=len(schemes), fontsize=7, bbox_to_anchor=(0.5, 0.005))
    fig.suptitle("Walker 1680/28/1, S = 3, K = 6, 5 dBW, 2 s episodes (two updates), one episode per point",
                 fontsize=10)
    fig.tight_layout(rect=(0, 0.08, 1, 0.97))
    out = Path(args.figures)
    out.mkdir(parents=True, exist_ok=True)
    fig.savefig(out / "study_scale.png", dpi=90)        # not fig_common.save: its tight_layout drops the rect
    df.to_csv(out / "study_scale.csv", index=False, float_format="%.6g")
    print(f"wrote {out / 'study_scale.png'} and {out / 'study_scale.csv'}")


if __name__ == "__main__":
    main()
