"""``satcoop overhead``: inter-satellite bits per precoding update (Table III / Fig. 8 of the paper).

For S cooperating satellites one ISL hop apart (a complete graph), the messages of one update are
actually sent over the message bus and the figures read back from its accounting
(:mod:`agents.experiments.overhead`): the centralized schemes' S-1 sCSI reports up and S-1 precoder
bundles down, the decentralized scheme's S (S-1) SSI messages. ``bits`` is the total put on the ISLs
(link bits = payload x hops; one hop here).
"""
from __future__ import annotations

import argparse
import json
import sys

from agents.config.overhead import MAX_S, OVERHEAD_OPTIONS

from .common import check_plot_path


def per_update_overhead(S: int, K: int, M: int, N: int, bits_per_real: int = 32, sigma_packing: str = "full",
                        link_length_km: float = 1000.0, link_config=None) -> dict:
    """:func:`agents.experiments.overhead.update_overhead` of the paper's schemes; errors name the CLI option."""
    from agents.experiments.overhead import update_overhead

    return update_overhead(S, K, M, N, bits_per_real, sigma_packing, link_length_km, link_config,
                           rename=OVERHEAD_OPTIONS)


def _run(args) -> int:
    if args.plot is not None:
        check_plot_path(args.plot)
    result = per_update_overhead(args.S, args.K, args.M, args.N, args.bits_per_real, args.sigma_packing,
                                 args.link_km)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        c = result["config"]
        print(f"ISL overhead per precoding update: S={c['S']} K={c['K']} M={c['M']} N={c['N']}, "
              f"{c['bits_per_real']} bits/real, Sigma {c['sigma_packing']}, one hop apart")
        print(f"{'scheme':<12} {'messages':>9} {'bits':>12} {'Mbit':>10}")
        for r in result["per_update"]:
            print(f"{r['scheme']:<12} {r['messages']:>9d} {r['bits']:>12d} {r['bits'] / 1e6:>10.6f}")
    if args.plot:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        rows = result["per_update"]
        fig, ax = plt.subplots(figsize=(5, 3.5))
        bars = ax.bar([r["scheme"] for r in rows], [r["bits"] / 1e6 for r in rows], color=["C0", "C1", "C2"])
        ax.bar_label(bars, labels=[f"{r['bits'] / 1e6:.6f}" for r in rows], fontsize=8)
        ax.set_ylabel("ISL overhead per update (Mbit)")
        c = result["config"]
        ax.set_title(f"S={c['S']}, K={c['K']}, M={c['M']}, N={c['N']}", fontsize=9)
        fig.tight_layout()
        fig.savefig(args.plot)
        plt.close(fig)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def register(subparsers) -> None:
    p = subparsers.add_parser("overhead", help="ISL bits per precoding update for each scheme (Table III)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--S", type=int, default=3, help=f"cooperating satellites (default 3, at most {MAX_S})")
    p.add_argument("--K", type=int, default=12, help="user terminals (default 12)")
    p.add_argument("--M", type=int, default=64, help="satellite antennas (default 64)")
    p.add_argument("--N", type=int, default=4, help="UT antennas (default 4)")
    p.add_argument("--bits-per-real", type=int, default=32, help="bits per real number (default 32, float32)")
    p.add_argument("--sigma-packing", default="full",
                   help="Sigma in sCSI reports: 'full' (2 N^2 reals, the paper's count) or 'hermitian' (N^2)")
    p.add_argument("--link-km", type=float, default=1000.0, help="ISL length between cooperating satellites (km)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plot", metavar="FILE.png", default=None, help="write a bar chart")
    p.set_defaults(func=_run)
