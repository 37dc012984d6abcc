"""The multi-satellite paper's Fig. 5 from sweeps: running time per drop of every scheme, and its
growth with K (runs/fig5_K.toml: S = 3, M = 64) and with M (runs/fig5_M.toml: S = 3, K = 12).

    .venv/bin/python scripts/fig_5_runtime.py [--run]

runtime_s_per_drop is the wall time of the batched scheme call divided by the drops (rate
evaluation excluded), one torch thread per Ray task, on whatever else the machine was doing:
read ratios between schemes of the same unit, not absolute times. Writes
docs/figures/fig5_runtime.png and .csv (sweep, scheme, K, M, runtime, iterations).
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from fig_common import ROOT, load, parser, plt, save, scheme_order


def main(argv=None):
    ap = parser(__doc__, "fig5_K.toml", "sweep-fig5_K")
    ap.add_argument("--config-m", default=str(ROOT / "runs" / "fig5_M.toml"))
    ap.add_argument("--sweep-dir-m", default=str(ROOT / "runs" / "sweep-fig5_M"))
    args = ap.parse_args(argv)
    tk = load(args.config, args.sweep_dir, args.run).assign(sweep="K")
    tm = load(args.config_m, args.sweep_dir_m, args.run).assign(sweep="M")
    cols = ["sweep", "scheme", "K", "M", "runtime_s_per_drop", "iterations", "sum_rate_bps_hz"]
    df = pd.concat([tk[cols], tm[cols]], ignore_index=True)
    # one unit per grid point here (replicates = 1): the mean is that unit's batched time per drop
    df = df.groupby(["sweep", "scheme", "K", "M"], as_index=False).mean()
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    base = df[(df["sweep"] == "K") & (df["K"] == 12)]
    names = scheme_order(base["scheme"])
    axes[0].bar(range(len(names)), [float(base[base["scheme"] == n]["runtime_s_per_drop"].iloc[0]) for n in names])
    axes[0].set_xticks(range(len(names)), names, rotation=30, ha="right")
    axes[0].set_yscale("log")
    axes[0].set_ylabel("running time per drop (s)")
    axes[0].set_title("S=3, K=12, M=64, 0 dBW")
    for ax, sw, x, lab in ((axes[1], "K", "K", "K (UTs), S=3, M=64"), (axes[2], "M", "M", "M (antennas), S=3, K=12")):
        d = df[df["sweep"] == sw]
        for n in scheme_order(d["scheme"]):
            g = d[d["scheme"] == n].sort_values(x)
            ax.plot(g[x], g["runtime_s_per_drop"], marker="o", label=n)
        ax.set_xlabel(lab)
        ax.set_yscale("log")
        ax.set_xscale("log" if sw == "M" else "linear")
        ax.set_ylabel("running time per drop (s)")
        ax.grid(True, alpha=0.3, which="both")
    axes[2].legend(fontsize=8)
    save(fig, df, args.figures, "fig5_runtime")
    print(df.pivot_table(index=["sweep", "K", "M"], columns="scheme", values="runtime_s_per_drop").to_string(
        float_format=lambda v: f"{v:.2e}"))


if __name__ == "__main__":
    main()
