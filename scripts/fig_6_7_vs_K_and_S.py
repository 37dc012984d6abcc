"""The multi-satellite paper's Figs. 6 and 7 from sweeps: sum rate vs K (S = 3) and vs S (K = 12) at
P_s = 5 dBW (runs/fig6_K.toml, runs/fig7_S.toml), every registered scheme; the learned nets (when
registered) are those trained at S = 3, K = 12, evaluated without retraining. Mean over every drop
of every replicate with its 95% confidence interval (pooled per-drop variance).

    .venv/bin/python scripts/fig_6_7_vs_K_and_S.py [--run]

Writes docs/figures/fig6_7_vs_K_and_S.png and .csv.
"""
from __future__ import annotations

import pandas as pd

from fig_common import ROOT, aggregate_drops, color, load, parser, plt, save, scheme_order


def main(argv=None):
    ap = parser(__doc__, "fig6_K.toml", "sweep-fig6_K")
    ap.add_argument("--config-s", default=str(ROOT / "runs" / "fig7_S.toml"))
    ap.add_argument("--sweep-dir-s", default=str(ROOT / "runs" / "sweep-fig7_S"))
    args = ap.parse_args(argv)
    tk = load(args.config, args.sweep_dir, args.run)
    ts = load(args.config_s, args.sweep_dir_s, args.run)
    ak = aggregate_drops(tk, ["scheme", "K"]).assign(figure="6 (vs K, S=3)")
    as_ = aggregate_drops(ts, ["scheme", "S"]).assign(figure="7 (vs S, K=12)")
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, a, x, t in ((axes[0], ak, "K", tk), (axes[1], as_, "S", ts)):
        for n in scheme_order(a["scheme"]):
            g = a[a["scheme"] == n].sort_values(x)
            ax.errorbar(g[x], g["mean"], yerr=g["ci"], marker="o", capsize=3, label=n, color=color(n))
        ax.set_xlabel(x)
        ax.set_ylabel("ergodic sum rate (bit/s/Hz)")
        ax.set_title(f"Fig. {a['figure'].iloc[0]}, 5 dBW, {int(a['replicates'].min())} x "
                     f"{int(t['drops'].iloc[0])} drops")
        ax.grid(True, alpha=0.3)
    axes[0].legend(fontsize=8)
    df = pd.concat([ak, as_], ignore_index=True)
    save(fig, df, args.figures, "fig6_7_vs_K_and_S")
    print(ak.pivot(index="K", columns="scheme", values="mean").round(2).to_string())
    print(as_.pivot(index="S", columns="scheme", values="mean").round(2).to_string())


if __name__ == "__main__":
    main()
