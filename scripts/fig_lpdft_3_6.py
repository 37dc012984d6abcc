"""The LP-DFT paper's Figs. 3-6: sum rate of LP-DFT (Algorithm 1), Greedy-ZF (Algorithm 2), DFT-BF and
the fully digital baselines vs total power, number of users, URA size and element spacing, with the
MMSE-FDP power normalisations of its ref. [10] (agents/lpdft/fdp.py): SPC (sum power, = MMSE-FDP),
MPC (maximum per-antenna power) and PAC (per-antenna power). Every scheme is held to the radiated
budget (``radiated_budget=True``: an LP-DFT precoder on a URA smaller than the FFT would otherwise
radiate more than P), so the orderings compare like with like.

    .venv/bin/python scripts/fig_lpdft_3_6.py [--drops 20] [--seed 0]

Writes docs/figures/lpdft_figs3_6.png and .csv, and prints, for each normalisation, at how many
swept values LP-DFT is above MMSE-FDP (the paper's ordering).
"""
from __future__ import annotations

import pandas as pd

from fig_common import parser, plt, save

SWEEPS = {"power_w": [500.0, 1000.0, 2000.0, 4000.0, 8000.0, 16000.0],
          "users": [2, 4, 8, 12, 16],
          "ura": ["4x4", "8x8", "12x12", "16x16"],
          "spacing": [0.5, 0.75, 1.0, 1.5, 2.0]}
SCHEMES = ["LP-DFT", "Greedy-ZF", "DFT-BF", "MF-FDP", "MMSE-FDP", "MMSE-FDP-MPC", "MMSE-FDP-PAC"]
XLABEL = {"power_w": "total power P (W)", "users": "users K", "ura": "URA size", "spacing": "element spacing (wavelengths)"}
FIG = {"power_w": 3, "users": 4, "ura": 5, "spacing": 6}


def main(argv=None):
    ap = parser(__doc__, "-", "-")
    ap.add_argument("--drops", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    import sys

    from tqdm import tqdm

    from agents.experiments.lpdft import sweep
    rows = []
    for param, values in SWEEPS.items():
        res = sweep(param, values, drops=args.drops, seed=args.seed, schemes=SCHEMES, radiated_budget=True,
                    progress=lambda n, p=param: tqdm(total=n, desc=f"lpdft {p}", file=sys.stderr))
        for r in res["results"]:
            rows.append({**r, "value": str(r["value"])})
    df = pd.DataFrame(rows)
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    for ax, param in zip(axes.flat, SWEEPS):
        d = df[df["param"] == param]
        labels = [str(v) for v in SWEEPS[param]]
        for name in SCHEMES:
            g = d[d["scheme"] == name].set_index("value").loc[labels]
            ls = "--" if name.startswith("MMSE-FDP-") else "-"
            ax.plot(range(len(labels)), g["sum_rate_bps_hz"], marker="o", linestyle=ls, label=name)
        ax.set_xticks(range(len(labels)), labels)
        ax.set_xlabel(XLABEL[param])
        ax.set_ylabel("sum rate (bit/s/Hz)")
        ax.set_title(f"LP-DFT paper Fig. {FIG[param]} ({args.drops} drops)")
        ax.grid(True, alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    save(fig, df, args.figures, "lpdft_figs3_6")
    piv = df.pivot_table(index=["param", "value"], columns="scheme", values="sum_rate_bps_hz", sort=False)
    print(piv[SCHEMES].round(2).to_string())
    n = len(piv)
    for fdp in ("MMSE-FDP", "MMSE-FDP-MPC", "MMSE-FDP-PAC"):
        above = int((piv["LP-DFT"] > piv[fdp]).sum())
        print(f"LP-DFT above {fdp:<13}: {above}/{n} swept values")


if __name__ == "__main__":
    main()
