"""Table III / Fig. 8 of the multi-satellite paper: ISL bits per precoding update of the centralized
(Cen-Opt-WM, Cen-TFC-WM) and decentralized (Dec-TFC-WM) schemes, read back from the message bus's
accounting (agents.experiments.overhead.update_overhead: the update's messages are sent over a network.bus.Bus),
vs K (S = 3) and vs S (K = 12), M = 64, N = 4, 32-bit reals.

    .venv/bin/python scripts/fig_8_overhead.py

Writes docs/figures/fig8_overhead.png and .csv and prints Table III (S=3, K=12, M=64, N=4).
Deterministic (bit counts): no sweep needed.
"""
from __future__ import annotations

import pandas as pd

from fig_common import parser, plt, save


def main(argv=None):
    args = parser(__doc__, "-", "-").parse_args(argv)
    from agents.experiments.overhead import update_overhead
    rows = []
    for axis, values in (("K", [4, 8, 12, 16, 20, 24, 28, 32]), ("S", [2, 3, 4, 5, 6])):
        for v in values:
            s, k = (3, v) if axis == "K" else (v, 12)
            rec = update_overhead(S=s, K=k, M=64, N=4)
            for r in rec["per_update"]:
                rows.append({"axis": axis, "S": s, "K": k, "M": 64, "N": 4, "scheme": r["scheme"],
                             "link_bits": r["bits"], "payload_bits": r["payload_bits"], "messages": r["messages"]})
    df = pd.DataFrame(rows)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
    for ax, axis in zip(axes, ("K", "S")):
        d = df[df["axis"] == axis]
        for (n, g), ls in zip(d.groupby("scheme", sort=False), ("-", "--", "-", ":")):
            ax.plot(g[axis], g["link_bits"] / 1e6, marker="o", linestyle=ls, label=n)
        ax.set_xlabel(axis)
        ax.set_ylabel("ISL link bits per update (Mbit)")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3, which="both")
        ax.set_title(f"per-update ISL overhead vs {axis} ({'S=3' if axis == 'K' else 'K=12'}, M=64, N=4)")
    axes[0].legend()
    save(fig, df, args.figures, "fig8_overhead")
    t3 = df[(df["S"] == 3) & (df["K"] == 12)].drop_duplicates("scheme")
    print("Table III (S=3, K=12, M=64, N=4):")
    print(t3[["scheme", "link_bits", "payload_bits", "messages"]].to_string(index=False))


if __name__ == "__main__":
    main()
