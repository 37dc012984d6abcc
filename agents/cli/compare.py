"""``satcoop compare``: every registered precoding scheme on the same world drops, sum rate vs power.

    satcoop compare [--S 3] [--K 12] [--power-dbw -10 -5 0 5 10] [--drops 50] [--seed 0]
                    [--samples 256] [--max-iter 100] [--tol 1e-4] [--batch 64]
                    [--schemes NAME ...] [--threads 1] [--json] [--plot FILE.png] [--no-progress]

The work is :func:`agents.experiments.compare.run_compare` (this module only maps the
options onto :class:`~agents.experiments.compare.CompareConfig`, calls it and prints): the
drops come from the world model with the seed (drop i a function of (seed, i)); every
registered scheme runs on the same drops at every power (the per-satellite budget P_s, dBW,
in the world's per-subcarrier convention), batched over ``--batch`` drops. The sum rate of a
drop is the ergodic sum rate (16), Monte Carlo with ``--samples`` draws from a torch generator
keyed by (seed, drop index): the same normals for every scheme and power (common random
numbers), and a drop's result does not depend on ``--batch``.

Output per (scheme, power): ``sum_rate_bps_hz`` (mean over drops, bit/s/Hz),
``sum_rate_std`` (standard deviation over drops), ``sum_rate_sem`` (standard
error of that mean), ``mc_stderr`` (mean Monte Carlo standard error per drop),
``runtime_s_per_drop`` (wall time of the scheme, batched, divided by the drop
count; rate evaluation excluded) and, for iterative schemes, ``iterations`` /
``iterations_max`` (mean / largest outer iterations a drop needed, per
satellite for Sep-Opt-WM; ``--max-iter`` when it never met ``--tol``).
"""
from __future__ import annotations

import json
import sys

from .common import add_constellation_args, check_plot_path, constellation_spec_from_args, describe_constellation


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "compare", help="sum rate of every precoding scheme vs transmit power on world drops",
        description="Run every registered precoding scheme on the same seeded drops of the world "
                    "model and report the ergodic sum rate vs the per-satellite power budget "
                    "(the analogue of Fig. 4 of the multi-satellite paper).")
    p.add_argument("--S", type=int, default=3, help="cooperating satellites (default 3)")
    p.add_argument("--K", type=int, default=12, help="user terminals (default 12)")
    p.add_argument("--power-dbw", dest="power_dbw", type=float, nargs="+", default=[-10.0, -5.0, 0.0, 5.0, 10.0],
                   help="per-satellite power budgets P_s in dBW (default -10 -5 0 5 10)")
    p.add_argument("--drops", type=int, default=50, help="number of drops (default 50)")
    p.add_argument("--seed", type=int, default=0, help="random seed for drops and Monte Carlo (default 0)")
    p.add_argument("--samples", type=int, default=256, help="Monte Carlo samples of the ergodic rate (default 256)")
    p.add_argument("--max-iter", dest="max_iter", type=int, default=100,
                   help="outer iterations of the WMMSE schemes (default 100)")
    p.add_argument("--tol", type=float, default=1e-4, help="relative objective tolerance of WMMSE (default 1e-4)")
    p.add_argument("--batch", type=int, default=64, help="drops per batched scheme call (default 64)")
    p.add_argument("--schemes", nargs="+", default=None, help="subset of registered schemes (default: all)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch intra-op threads (default 1: the batched ops are small, and the machine is shared)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--plot", metavar="FILE.png", default=None, help="save sum rate vs power (one line per scheme)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar on stderr")
    p.add_argument("--weights", nargs="+", default=[], metavar="FILE.pt",
                   help="weights of the learned schemes written by `satcoop train` (best.pt; the file's architecture "
                        "picks Cen-TFC-WM or Dec-TFC-WM); default: the weights shipped in agents/nets/weights")
    from .common import add_region_args
    add_region_args(p)                   # --center (fixed for every drop; times still drawn), --selection, ...
    add_constellation_args(p)
    p.set_defaults(func=run)
    if hasattr(p, "_negative_number_matcher"):           # let "--power-dbw -10 -5" and "--center -33.9,18.4" through
        import re
        p._negative_number_matcher = re.compile(r"^-\d+$|^-\d*\.\d+$|^-\d+\.?\d*[eE][+-]?\d+$"
                                                r"|^-[\d.eE+-]*,[\d.eE+-]*$")


# CLI option -> CompareConfig field (the dotted field name an error names -> the option the user typed)
OPTIONS = {"S": "--S", "K": "--K", "power_dbw": "--power-dbw", "drops": "--drops", "seed": "--seed",
           "samples": "--samples", "max_iter": "--max-iter", "tol": "--tol", "batch": "--batch",
           "schemes": "--schemes", "threads": "--threads", "weights": "--weights", "center": "--center",
           "selection": "--selection", "max_member_latency_s": "--max-member-latency-s",
           "allow_transit": "--allow-transit", "partial": "--partial", "cross_shell": "--cross-shell"}


def _option(field_name: str) -> str:
    return OPTIONS.get(field_name.split(".")[0], field_name)


def config_from_args(args):
    """The validated :class:`agents.config.CompareConfig`; :class:`BadInput` naming the option."""
    from agents.config import CompareConfig

    from .common import region_values
    data = {f: getattr(args, f) for f in OPTIONS if hasattr(args, f)}
    data = {k: v for k, v in data.items() if v is not None or k == "schemes"}
    data.update(region_values(args))
    data["constellation"] = constellation_spec_from_args(args)        # one-line error naming --tle etc.
    return CompareConfig.parse(data, rename=_option)


def compare(args) -> dict:
    """Run the comparison (:func:`agents.experiments.compare.run_compare`); returns the JSON-able record."""
    from agents.experiments.compare import run_compare

    config = config_from_args(args)
    from .common import progress_bars
    progress = progress_bars(args.progress, "compare", "batch", dynamic_ncols=True)
    return run_compare(config, progress=progress).record()


def format_table(record: dict) -> str:
    rows = record["results"]
    head = (f"{'scheme':<14}{'P (dBW)':>9}{'sum rate':>11}{'std':>9}{'sem':>8}{'s/drop':>11}{'iters':>7}"
            f"{'at limit':>9}")
    lines = [head, "-" * len(head)]
    for r in rows:
        it = f"{r['iterations']:.1f}" if "iterations" in r else "-"
        lim = r.get("at_iter_limit")
        lim = f"{lim}/{record['config']['drops']}" if it != "-" and lim is not None else "-"
        lines.append(f"{r['scheme']:<14}{r['power_dbw']:>9.1f}{r['sum_rate_bps_hz']:>11.2f}{r['sum_rate_std']:>9.2f}"
                     f"{r['sum_rate_sem']:>8.2f}{r['runtime_s_per_drop']:>11.2e}{it:>7}{lim:>9}")
    c = record["config"]
    lines.append(f"(S={c['S']}, K={c['K']}, M={c['M']}, N={c['N']}, {c['drops']} drops, seed {c['seed']}, "
                 f"{c['samples']} MC samples; sum rate in bit/s/Hz, mean over drops; at limit: drops that stopped "
                 f"at --max-iter {c['max_iter']} without meeting --tol)")
    if "constellation" in c:
        lines.append(f"(orbits: {describe_constellation(c['constellation'])})")
    return "\n".join(lines)


def plot(record: dict, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4.5))
    for name in record["config"]["schemes"]:
        rows = sorted((r for r in record["results"] if r["scheme"] == name), key=lambda r: r["power_dbw"])
        ax.errorbar([r["power_dbw"] for r in rows], [r["sum_rate_bps_hz"] for r in rows],
                    yerr=[r["sum_rate_sem"] for r in rows], marker="o", capsize=3, label=name)
    c = record["config"]
    ax.set_xlabel("per-satellite power budget $P^{sat}$ (dBW)")
    ax.set_ylabel("sum rate (bit/s/Hz)")
    ax.set_title(f"S={c['S']}, K={c['K']}, M={c['M']}, N={c['N']}, {c['drops']} drops")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(args) -> int:
    if args.plot is not None:
        check_plot_path(args.plot)
    record = compare(args)
    for warning in record["config"].get("warnings", []):
        print(warning, file=sys.stderr)
    if args.plot:
        plot(record, args.plot)
    if args.json:
        print(json.dumps(record, indent=2))
    else:
        print(format_table(record))
        if args.plot:
            print(f"plot written to {args.plot}")
    return 0
