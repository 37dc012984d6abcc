"""The multi-satellite paper's Fig. 4 from a sweep: ergodic sum rate vs per-satellite power P_s,
S = 3, K = 12, every scheme the sweep ran, mean over every drop of every replicate with its 95%
confidence interval (pooled per-drop variance; replicates have independent keyed drops).

    .venv/bin/python scripts/fig_4_sum_rate_vs_power.py [--run] [--sweep-dir runs/sweep-fig4]

Writes docs/figures/fig4_sum_rate_vs_power.png and .csv (scheme, power_dbw, mean, ci, replicates,
drops per replicate).
"""
from __future__ import annotations

from fig_common import aggregate_drops, color, drops_note, load, parser, plt, save, scheme_order


def main(argv=None):
    args = parser(__doc__, "fig4.toml", "sweep-fig4").parse_args(argv)
    t = load(args.config, args.sweep_dir, args.run)
    agg = aggregate_drops(t, ["scheme", "power_dbw"])
    agg["drops_per_replicate"] = int(t["drops"].iloc[0])
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name in scheme_order(agg["scheme"]):
        g = agg[agg["scheme"] == name].sort_values("power_dbw")
        ax.errorbar(g["power_dbw"], g["mean"], yerr=g["ci"], marker="o", capsize=3, label=name, color=color(name))
    ax.set_xlabel("per-satellite power budget $P^{sat}$ (dBW)")
    ax.set_ylabel("ergodic sum rate (bit/s/Hz)")
    ax.set_title(f"Fig. 4: S=3, K=12, {drops_note(t)} x {agg['drops_per_replicate'].iloc[0]} drops, 95% CI of the mean")
    ax.grid(True, alpha=0.3)
    ax.legend()
    save(fig, agg, args.figures, "fig4_sum_rate_vs_power")
    print(agg.pivot(index="power_dbw", columns="scheme", values="mean").round(2).to_string())


if __name__ == "__main__":
    main()
