"""The ISL-failure study from live episodes (no paper has it): sum rate, precoder age and
missed-update share vs ISL outage probability, vs mean outage duration, vs per-hop ISL processing
delay and vs on-board compute rate; centralized schemes with and without failover (re-election)
against the decentralized and the separate one. Mean over replicates (episodes) with 95%
Student-t intervals.

    .venv/bin/python scripts/fig_isl_failures.py [--run]

Sweeps: runs/isl_outage.toml, runs/isl_duration.toml, runs/isl_processing.toml,
runs/isl_flops.toml (into runs/sweep-<name>). Writes docs/figures/isl_failures.png and .csv.
Failover only changes the centralized schemes; for the others the "none" rows are shown.
"""
from __future__ import annotations


import pandas as pd

from fig_common import ROOT, aggregate, color, load, parser, plt, save, scheme_order

STUDIES = [("isl_outage", "faults.outage_prob", "ISL outage probability", "linear"),
           ("isl_duration", "faults.mean_outage_s", "mean outage duration (s), 40 % outage", "log"),
           ("isl_processing", "isl.processing_s", "ISL processing delay per hop (s)", "log"),
           ("isl_flops", "onboard_flops", "on-board compute (FLOP/s)", "log")]
METRICS = [("sum_rate_mean_bps_hz", "sum rate (bit/s/Hz)"), ("precoder_age_mean_s", "precoder age (s)"),
           ("missed_update_share", "missed-update share")]
CENTRAL = ("Cen-Opt-WM", "Cen-TFC-WM", "Cen-Opt-ER")


def label(row) -> str:
    fo = row.get("centralized.failover")
    if row["scheme"] in CENTRAL and isinstance(fo, str):
        return f"{row['scheme']} ({'failover' if fo == 'reelect' else 'no failover'})"
    return row["scheme"]


def main(argv=None):
    args = parser(__doc__, "-", "-").parse_args(argv)
    frames = []
    for name, axis, _, _ in STUDIES:
        cfg = ROOT / "runs" / f"{name}.toml"
        out = ROOT / "runs" / f"sweep-{name}"
        if not args.run and not (out / "results.parquet").exists():
            print(f"{name}: no results in {out} (run with --run); skipped")
            continue
        t = load(str(cfg), str(out), args.run)
        if "centralized.failover" in t.columns:
            t = t[(t["centralized.failover"] == "none") | t["scheme"].isin(CENTRAL)]
        t = t.assign(study=name, x=t[axis].astype(float), series=t.apply(label, axis=1))
        for metric, _ in METRICS:
            a = aggregate(t, ["series", "x"], metric).assign(study=name, axis=axis, metric=metric)
            frames.append(a)
    if not frames:
        return
    df = pd.concat(frames, ignore_index=True)
    studies = [s for s in STUDIES if s[0] in set(df["study"])]
    fig, axes = plt.subplots(len(studies), 3, figsize=(15, 3.6 * len(studies)), squeeze=False)
    for i, (name, axis, xlabel, xscale) in enumerate(studies):
        for j, (metric, ylabel) in enumerate(METRICS):
            ax = axes[i, j]
            d = df[(df["study"] == name) & (df["metric"] == metric)]
            order = scheme_order({x.split(" ")[0] for x in d["series"]})
            series = sorted(set(d["series"]), key=lambda s: (order.index(s.split(" ")[0]), s))
            for s in series:
                g = d[d["series"] == s].sort_values("x")
                ax.errorbar(g["x"], g["mean"], yerr=g["ci"], marker="o", capsize=3, label=s,
                            linestyle="--" if "no failover" in s else "-", color=color(s))
            ax.set_xscale(xscale)
            if xscale == "log":
                xs = sorted(set(d["x"]))
                ax.set_xticks(xs, [f"{v:g}" for v in xs])
                ax.minorticks_off()
            ax.set_xlabel(xlabel)
            ax.set_ylabel(ylabel)
            ax.grid(True, alpha=0.3)
            if i == 0 and j == 0:
                ax.legend(fontsize=7)
        reps = int(df[df["study"] == name]["replicates"].min())
        axes[i, 0].set_title(f"{name}: {reps} episodes per point")
    save(fig, df, args.figures, "isl_failures")
    for name, axis, _, _ in studies:
        d = df[df["study"] == name]
        print(f"\n{name} ({axis})")
        print(d.pivot_table(index="x", columns=["metric", "series"], values="mean").T.round(3).to_string())


if __name__ == "__main__":
    main()
