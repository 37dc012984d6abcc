"""``satcoop lpdft``: sum rate of the single-satellite LP + DFT beamforming schemes (Figs. 3-6 analogue).

Exactly one swept parameter, given with one or more values; every other
parameter stays at the :class:`agents.lpdft.scenario.LPDFTConfig` defaults
(MEO 10,000 km, 16x16 URA on a 16x16 FFT, 0.5 wavelength spacing, 20 GHz,
500 MHz, 4 kW, 8 users, ...). Schemes: LP-DFT (Algorithm 1), Greedy-ZF
(Algorithm 2), DFT-BF, MF-FDP, MMSE-FDP. Sum rates are means over ``--drops``
seeded user drops, in bit/s/Hz (and Gbit/s with the configured bandwidth).

Examples::

    satcoop lpdft --power-w 1000 2000 4000 8000 --drops 20 --json
    satcoop lpdft --users 2 4 8 12 16 --plot users.png
    satcoop lpdft --ura 4x4 8x8 12x12 16x16
    satcoop lpdft --spacing 0.5 0.75 1 1.5 2
    satcoop lpdft --power-w 50 200 1000 --orbit leo --sat WALKER-P003-S017 --t-s 600

``--orbit leo`` takes the altitude (SGP4 geodetic height) of one satellite of the
world model's Walker constellation (or of ``--tle`` / ``--omm`` / ``--walker``) at
``--t-s``; everything else stays the single-satellite model of this command (see
``LPDFTConfig.from_constellation``).
"""
from __future__ import annotations

import argparse
import json
import sys

from .common import add_constellation_args, check_plot_path, constellation_spec_from_args

_CONSTELLATION_DESTS = (("tle", "--tle"), ("omm", "--omm"), ("walker", "--walker"), ("shell", "--shell"),
                        ("name_pattern", "--name-pattern"), ("max_epoch_age_days", "--max-epoch-age-days"),
                        ("min_altitude_km", "--min-altitude-km"))

_SWEEP_OPTIONS = (("power_w", "--power-w"), ("users", "--users"), ("ura", "--ura"), ("spacing", "--spacing"))

def _run(args) -> int:
    from agents.config import BadInput, parse
    from agents.config.lpdft import LPDFT_OPTIONS, LPDFTSweepConfig
    from agents.experiments.lpdft import over_budget, run_lpdft

    given = [(key, opt, getattr(args, key)) for key, opt in _SWEEP_OPTIONS if getattr(args, key) is not None]
    if len(given) != 1:
        names = ", ".join(opt for _, opt, _ in given) or "none"
        raise BadInput(f"give exactly one swept parameter of --power-w, --users, --ura, --spacing (got {names})")
    key, opt, values = given[0]
    data = {"parameter": key, "values": values, **{f: getattr(args, f) for f in LPDFT_OPTIONS},
            "radiated_budget": args.radiated_budget}
    data = {k: v for k, v in data.items() if v is not None}
    given_orbit = [o for d, o in _CONSTELLATION_DESTS if getattr(args, d, None) is not None]
    if given_orbit:
        if args.orbit != "leo":
            raise BadInput(f"{given_orbit[0]}: only with --orbit leo (the constellation the satellite comes from)")
        data["constellation"] = constellation_spec_from_args(args)
    config = parse(LPDFTSweepConfig, data, rename=LPDFT_OPTIONS)
    if args.plot is not None:
        check_plot_path(args.plot)

    from .common import progress_bars
    progress = progress_bars(not args.no_progress, f"lpdft {opt}", "run", leave=False)

    result = run_lpdft(config, progress=progress)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        c = result["config"]
        print(f"LP-DFT sum rate vs {opt}: {c['drops']} drops, seed {c['seed']}, altitude {c['altitude_km']:g} km, "
              f"budget: {c['power_budget']}")
        print(f"orbit: {c['orbit']}")
        print(f"{'scheme':<10} {key:>9} {'bit/s/Hz':>10} {'std':>8} {'Gbit/s':>8} {'radiated W':>11}")
        for r in result["results"]:
            flag = " *" if r["radiated_over_budget"] > 0 else ""
            print(f"{r['scheme']:<10} {str(r['value']):>9} {r['sum_rate_bps_hz']:>10.3f} "
                  f"{r['sum_rate_std_bps_hz']:>8.3f} {r['sum_rate_gbps']:>8.3f} {r['radiated_power_w']:>11.1f}{flag}")
        over = over_budget(result)
        if over:
            worst = max(over, key=lambda r: r["radiated_power_max_w"] / r["power_w"])
            print(f"* radiated power above the budget P in some drops (worst: {worst['scheme']} at {key} "
                  f"{worst['value']}, up to {worst['radiated_power_max_w'] / worst['power_w']:.2f} P): the "
                  f"DFT-input budget ||W||^2 <= P does not bound ||TFAW||^2 when the URA is smaller than the "
                  f"FFT, so these rates are not comparable with MF-FDP / MMSE-FDP (which radiate exactly P); "
                  f"--radiated-budget scales them down to P")
    if args.plot:
        _plot(result, key, opt, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _plot(result: dict, key: str, opt: str, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["results"]
    labels = result["config"]["values"]
    if key == "ura":
        xs = [int(v.split("x")[0]) * int(v.split("x")[1]) for v in labels]
        xlabel = "URA elements N_a"
    elif key == "power_w":
        xs = [float(v) / 1e3 for v in labels]
        xlabel = "total RF power P (kW)"
    else:
        xs = [float(v) for v in labels]
        xlabel = {"users": "number of users K", "spacing": "element spacing (wavelengths)"}[key]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    schemes = list(dict.fromkeys(r["scheme"] for r in rows))
    for i, name in enumerate(schemes):
        ys = [r["sum_rate_bps_hz"] for r in rows if r["scheme"] == name]
        ax.plot(xs, ys, marker="os^vD"[i % 5], label=name)
    if key == "ura":
        ax.set_xticks(xs, labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("sum rate (bit/s/Hz)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    c = result["config"]
    ax.set_title(f"{c['drops']} drops, altitude {c['altitude_km']:g} km", fontsize=9)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def register(subparsers) -> None:
    p = subparsers.add_parser("lpdft", help="single-satellite LP + DFT beamforming: sum rate per scheme along "
                              "one swept parameter (Figs. 3-6)", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--power-w", type=float, nargs="+", default=None, metavar="W",
                   help="sweep the total power budget P (W, each in (0, 1e6])")
    p.add_argument("--users", type=int, nargs="+", default=None, metavar="K",
                   help="sweep the number of users (each in [1, 256], at most the DFT columns)")
    p.add_argument("--ura", nargs="+", default=None, metavar="NxM", help="sweep the URA size, e.g. 8x8 16x16")
    p.add_argument("--spacing", type=float, nargs="+", default=None, metavar="D",
                   help="sweep the element spacing (wavelengths, each in (0, 10])")
    p.add_argument("--drops", type=int, default=20, help="seeded user drops per value (default 20; in [1, 100000])")
    p.add_argument("--seed", type=int, default=0, help="seed of the drops (default 0; >= 0)")
    p.add_argument("--altitude-km", type=float, default=None,
                   help="satellite altitude (km, default 10000: MEO; in [100, 100000]); not with --orbit leo")
    p.add_argument("--orbit", choices=("meo", "leo"), default="meo",
                   help="meo (default): the fixed --altitude-km; leo: the altitude of satellite --sat of the "
                        "world model's Walker constellation (1680/28/1, 600 km, 53 deg) propagated with SGP4 "
                        "to --t-s (only the altitude is taken from the orbit)")
    p.add_argument("--sat", default=None, metavar="ID",
                   help="with --orbit leo: satellite index (0..1679) or name, e.g. WALKER-P003-S017 (default 0)")
    p.add_argument("--t-s", dest="t_s", type=float, default=None, metavar="T",
                   help="with --orbit leo: seconds since the constellation epoch (default 0; within +-100 years)")
    p.add_argument("--method", choices=("exact", "subgradient"), default="exact",
                   help="LP-DFT multiplier: exact root finding (default) or dual subgradient")
    p.add_argument("--max-iter", type=int, default=50, help="LP-DFT iterations (default 50; in [1, 10000])")
    p.add_argument("--radiated-budget", action="store_true",
                   help="hold the radiated power ||TFAW||^2 (not the DFT-input ||W||^2) within P")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--plot", metavar="FILE.png", default=None, help="plot sum rate vs the swept parameter")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    add_constellation_args(p)
    p.set_defaults(func=_run)
