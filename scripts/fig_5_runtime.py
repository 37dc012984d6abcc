"""The multi-satellite paper's Fig. 5 from sweeps: running time per drop of every scheme, and its
growth with K (runs/fig5_K.toml: S = 3, M = 64) and with M (runs/fig5_M.toml: S = 3, K = 12).

    .venv/bin/python scripts/fig_5_runtime.py [--run]

runtime_s_per_drop is the wall time of the batched scheme call divided by the drops (rate
evaluation excluded), one torch thread per Ray task, on whatever else the machine was doing:
read ratios between schemes of the same unit, not absolute times. The second row is the flop
count each scheme reports from what it ran (deterministic, the live simulation's compute model).
Writes
docs/figures/fig5_runtime.png and .csv (sweep, scheme, K, M, runtime, iterations).
"""
from __future__ import annotations


import pandas as pd

from fig_common import ROOT, color, load, parser, plt, save, scheme_order


def main(argv=None):
    ap = parser(__doc__, "fig5_K.toml", "sweep-fig5_K")
    ap.add_argument("--config-m", default=str(ROOT / "runs" / "fig5_M.toml"))
    ap.add_argument("--sweep-dir-m", default=str(ROOT / "runs" / "sweep-fig5_M"))
    args = ap.parse_args(argv)
    tk = load(args.config, args.sweep_dir, args.run).assign(sweep="K")
    tm = load(args.config_m, args.sweep_dir_m, args.run).assign(sweep="M")
    cols = ["sweep", "scheme", "K", "M", "runtime_s_per_drop", "flops_per_drop", "iterations", "sum_rate_bps_hz"]
    df = pd.concat([tk[cols], tm[cols]], ignore_index=True)
    # one unit per grid point here (replicates = 1): the mean is that unit's batched time per drop
    df = df.groupby(["sweep", "scheme", "K", "M"], as_index=False).mean()
    fig, axes = plt.subplots(2, 3, figsize=(14, 8))
    base = df[(df["sweep"] == "K") & (df["K"] == 12)]
    names = scheme_order(base["scheme"])
    for row, (col, ylab) in enumerate((("runtime_s_per_drop", "wall time per drop (s)"),
                                       ("flops_per_drop", "flops per drop (counted)"))):
        ax = axes[row, 0]
        ax.bar(range(len(names)), [float(base[base["scheme"] == n][col].iloc[0]) for n in names],
               color=[color(n) for n in names])
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
        ax.set_yscale("log")
        ax.set_ylabel(ylab)
        ax.set_title("S=3, K=12, M=64, 0 dBW")
        for ax, sw, lab in ((axes[row, 1], "K", "K (UTs), S=3, M=64"), (axes[row, 2], "M", "M (antennas), S=3, K=12")):
            d = df[df["sweep"] == sw]
            for n in scheme_order(d["scheme"]):
                g = d[d["scheme"] == n].sort_values(sw)
                ax.plot(g[sw], g[col], marker="o", label=n, color=color(n))
            ax.set_xlabel(lab)
            ax.set_yscale("log")
            if sw == "M":
                ax.set_xscale("log")
                ax.set_xticks([16, 64, 144, 256], ["16", "64", "144", "256"])
                ax.minorticks_off()
            ax.set_ylabel(ylab)
            ax.grid(True, alpha=0.3, which="both")
    axes[0, 1].legend(fontsize=8)
    save(fig, df, args.figures, "fig5_runtime")
    for col in ("runtime_s_per_drop", "flops_per_drop", "iterations"):
        print(col)
        print(df.pivot_table(index=["sweep", "K", "M"], columns="scheme", values=col).to_string(
            float_format=lambda v: f"{v:.3g}"))

if __name__ == "__main__":
    main()
