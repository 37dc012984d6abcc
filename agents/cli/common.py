"""Helpers shared by the ``satcoop`` subcommands."""
from __future__ import annotations

import os

from constellation.checks import BadInput


def check_plot_path(path: str) -> None:
    """``--plot`` must name a file in an existing directory, with an extension matplotlib can write.

    Checked before any work is done; ValueError naming ``--plot`` otherwise.
    """
    if not str(path).strip():
        raise BadInput("--plot: give a file name, e.g. figure.png")
    if os.path.isdir(path):
        raise BadInput(f"--plot {path!r}: is a directory; give a file name inside it, e.g. {os.path.join(path, 'figure.png')}")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise BadInput(f"--plot {path!r}: directory {parent!r} does not exist")
    existed = os.path.exists(path)
    try:                                   # the only reliable writability test (root, /proc, read-only mounts)
        with open(path, "ab"):
            pass
    except OSError as exc:
        raise BadInput(f"--plot {path!r}: cannot write there ({exc.strerror or exc})") from None
    if not existed:
        os.remove(path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    formats = sorted(FigureCanvasAgg(Figure()).get_supported_filetypes())
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in formats:
        raise BadInput(f"--plot {path!r}: extension {ext!r} not writable; allowed {formats}")


def progress_wanted(flag: bool) -> bool:
    """Progress bars only on a terminal: ``--no-progress`` is implied when stderr is not a tty (a log file,
    a pipe, CI), so logs never fill with bar redraws."""
    import sys
    return bool(flag) and sys.stderr.isatty()


def progress_bars(flag: bool, desc: str, unit: str, **tqdm_options):
    """A factory ``total -> tqdm bar`` on stderr when :func:`progress_wanted`, else None (no bars)."""
    if not progress_wanted(flag):
        return None
    import sys

    from tqdm import tqdm

    def bar(total):
        return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, **tqdm_options)
    return bar


# ---------------------------------------------------------------- constellation options

CONSTELLATION_OPTIONS = {"tle": "--tle", "omm": "--omm", "shell": "--shell", "walker": "--walker",
                         "max_epoch_age_days": "--max-epoch-age-days", "name": "--name-pattern",
                         "min_altitude_km": "--min-altitude-km", "max_propagation_days": "--max-propagation-days",
                         "allow_far_from_epoch": "--allow-far-from-epoch"}
SPAN_OPTIONS = ("--max-propagation-days", "--allow-far-from-epoch")


def add_constellation_args(parser) -> None:
    """The constellation options shared by every command that runs on a constellation.

    ``--tle FILE`` / ``--omm FILE`` (repeatable, merged), ``--walker T/P/F:ALT_KM:INC_DEG[:star]``
    (repeatable: several shells), ``--shell INC:ALO-AHI`` (repeatable), ``--max-epoch-age-days D``
    (0: keep every epoch), ``--name-pattern PAT``, ``--min-altitude-km KM``."""
    g = parser.add_argument_group("constellation (default: Walker-Delta 53 deg 1680/28/1 at 600 km)")
    g.add_argument("--tle", action="append", default=None, metavar="FILE",
                   help="TLE file (2/3-line); repeat to merge several (same NORAD id: newest epoch kept)")
    g.add_argument("--omm", action="append", default=None, metavar="FILE",
                   help="CelesTrak OMM file (.csv/.json/.xml); repeatable, merged with --tle")
    g.add_argument("--walker", action="append", default=None, metavar="T/P/F:ALT_KM:INC_DEG[:star]",
                   help="Walker shell, e.g. 1584/72/1:550:53 or 66/6/2:780:86.4:star; repeat for several shells")
    g.add_argument("--shell", action="append", default=None, metavar="INC:ALO-AHI",
                   help="with --tle/--omm: keep only this shell (inclination deg : mean altitude km), "
                        "e.g. 53:540-570; repeatable")
    g.add_argument("--max-epoch-age-days", type=float, default=None, metavar="D",
                   help="with --tle/--omm: drop element sets more than D days older than the newest "
                        "(default 30; 0 keeps all)")
    g.add_argument("--name-pattern", default=None, metavar="PAT",
                   help="with --tle/--omm: keep names matching PAT (case-insensitive, * and ? wildcards)")
    g.add_argument("--min-altitude-km", type=float, default=None, metavar="KM",
                   help="altitude floor: satellites below it are absent (not selectable, no ISLs; default 300)")
    g.add_argument("--max-propagation-days", type=float, default=None, metavar="D",
                   help="with --tle/--omm: refuse times more than D days from an element set's epoch (default 30)")
    g.add_argument("--allow-far-from-epoch", action="store_true", default=None,
                   help="with --tle/--omm: run past --max-propagation-days with a warning")


REGION_OPTIONS = {"center": "--center", "region_count": "--region-count", "selection": "--selection",
                  "max_member_latency_s": "--max-member-latency-s", "allow_transit": "--allow-transit",
                  "partial": "--partial", "cross_shell": "--cross-shell"}


def add_region_args(parser, *, center: bool = True, count: bool = False) -> None:
    """The options choosing a region and its cooperating satellites: ``--center LAT,LON``, ``--region-count N``
    (``count``), ``--selection connected|nearest|shell``, ``--max-member-latency-s S``, ``--allow-transit``,
    ``--partial``, ``--cross-shell K[:MAX_RANGE_KM]`` (links across shells). Defaults None: the config's."""
    g = parser.add_argument_group("region and cooperating set")
    if center:
        g.add_argument("--center", metavar="LAT,LON", default=None,
                       help="region centre in degrees, e.g. 48.85,2.35 (default: drawn from the seed within coverage)")
    if count:
        g.add_argument("--region-count", dest="region_count", type=int, default=None, metavar="N",
                       help="service regions (region 0 at --center if given, the others drawn from the seed)")
    g.add_argument("--selection", default=None, choices=("connected", "nearest", "shell"),
                   help="members: mutually reachable over the ISLs (connected, default), the S nearest, or one shell")
    g.add_argument("--max-member-latency-s", dest="max_member_latency_s", type=float, default=None, metavar="S",
                   help="largest ISL latency between two members (s, default 0.05)")
    g.add_argument("--allow-transit", dest="allow_transit", action="store_true", default=None,
                   help="satellites in transit (raising, lowering, too few per plane) may be members")
    g.add_argument("--partial", action="store_true", default=None,
                   help="no mutually reachable set: use the best partial set instead of refusing the region")
    g.add_argument("--cross-shell", dest="cross_shell", default=None, metavar="K[:MAX_RANGE_KM]",
                   help="laser links across shells: each satellite to its K nearest of other shells within "
                        "MAX_RANGE_KM (default 2000)")


def parse_cross_shell(text):
    """``"K[:MAX_RANGE_KM]"`` -> CrossShellSpec fields (None stays None); BadInput naming --cross-shell."""
    if text is None:
        return None
    parts = str(text).split(":")
    try:
        if len(parts) not in (1, 2):
            raise ValueError
        out = {"k": int(parts[0])}
        if len(parts) == 2:
            out["max_range_km"] = float(parts[1])
    except ValueError:
        raise BadInput(f"--cross-shell {text!r}: expected K or K:MAX_RANGE_KM, e.g. 2 or 2:1500") from None
    return out


def region_values(args) -> dict:
    """{field: value} of the region options given (see :func:`add_region_args`); cross_shell parsed."""
    out = {f: getattr(args, f) for f in REGION_OPTIONS if getattr(args, f, None) is not None}
    if "cross_shell" in out:
        out["cross_shell"] = parse_cross_shell(out["cross_shell"])
    return out


def parse_walker_option(text: str) -> dict:
    """``"T/P/F:ALT_KM:INC_DEG[:star|delta]"`` -> WalkerShellSpec fields; ValueError naming --walker."""
    allowed = "expected T/P/F:ALT_KM:INC_DEG[:star|delta], e.g. 1680/28/1:600:53 or 66/6/2:780:86.4:star"
    parts = str(text).split(":")
    try:
        if len(parts) not in (3, 4):
            raise ValueError
        t, p, f = (int(x) for x in parts[0].split("/"))
        out = {"total": t, "planes": p, "phasing": f, "altitude_km": float(parts[1]),
               "inclination_deg": float(parts[2])}
        if len(parts) == 4:
            if parts[3] not in ("star", "delta"):
                raise ValueError
            out["kind"] = parts[3]
    except ValueError:
        raise BadInput(f"--walker {text!r}: {allowed}") from None
    return out


def constellation_spec_from_args(args):
    """``ConstellationSpec`` from the options of :func:`add_constellation_args`; one-line ValueError
    naming the option otherwise."""
    from pydantic import ValidationError

    from agents.config import BadInput, ConstellationSpec, one_line

    age = getattr(args, "max_epoch_age_days", None)
    if age is not None and not (getattr(args, "tle", None) or getattr(args, "omm", None)):
        raise BadInput("--max-epoch-age-days applies to --tle/--omm element sets only (like --shell)")
    if age is not None and not 0.0 <= age <= 36_525.0:
        raise BadInput(f"--max-epoch-age-days = {age!r}: must be in [0, 36525] days (0 keeps every epoch)")
    for opt, paths in (("--tle", getattr(args, "tle", None)), ("--omm", getattr(args, "omm", None))):
        for path in paths or []:
            if not os.path.exists(path):
                raise BadInput(f"{opt} {path!r}: no such file")
            if os.path.isdir(path):
                raise BadInput(f"{opt} {path!r}: is a directory, expected an element-set file")
    data = {}
    if getattr(args, "tle", None):
        data["tle"] = list(args.tle)
    if getattr(args, "omm", None):
        data["omm"] = list(args.omm)
    if getattr(args, "walker", None):
        shells = [parse_walker_option(w) for w in args.walker]
        data["walker"] = shells[0] if len(shells) == 1 else shells
    if getattr(args, "shell", None):
        data["shell"] = list(args.shell)
    age = getattr(args, "max_epoch_age_days", None)
    if age is not None:
        data["max_epoch_age_days"] = None if age == 0 else age
    if getattr(args, "name_pattern", None) is not None:
        data["name"] = args.name_pattern
    if getattr(args, "min_altitude_km", None) is not None:
        data["min_altitude_km"] = args.min_altitude_km
    for f in ("max_propagation_days", "allow_far_from_epoch"):
        if getattr(args, f, None) is not None:
            data[f] = getattr(args, f)
    try:
        return ConstellationSpec.model_validate(data)
    except ValidationError as exc:
        msg = one_line(exc, ConstellationSpec, data, prefix="constellation.",
                       rename=lambda n: _constellation_option(n))
        if msg.startswith("constellation: "):            # a rule across fields: say it in option terms
            msg = msg[len("constellation: "):]
            msg = msg.replace("walker", "--walker").replace("tle/omm", "--tle/--omm").replace(
                "shell / name filters", "--shell / --name-pattern")
        raise BadInput(msg) from None


def _constellation_option(name: str) -> str:
    """``constellation.tle.0`` -> ``--tle[0]``: the option of a ConstellationSpec field."""
    parts = name.split(".")
    if len(parts) > 1 and parts[1] in CONSTELLATION_OPTIONS:
        return CONSTELLATION_OPTIONS[parts[1]] + "".join(f"[{p}]" for p in parts[2:])
    return name


def describe_constellation(prov: dict) -> str:
    """One line: what the constellation is and what was dropped."""
    if prov["kind"] == "walker":
        parts = [f"Walker-{'Star' if w['kind'] == 'star' else 'Delta'} {w['inclination_deg']:g} deg: "
                 f"{w['total']}/{w['planes']}/{w['phasing']} at {w['altitude_km']:g} km" for w in prov["walker"]]
        return " + ".join(parts)
    d = prov["dropped"]
    files = ", ".join(f["name"] for f in prov["files"])
    shells = "; ".join(f"{s['inclination_deg']:.1f} deg {s['altitude_km']:.0f} km x{s['satellites']} "
                       f"({s['planes']} planes)" for s in prov["shells"])
    return (f"{prov['satellites']} satellites from {prov['kind'].upper()} {files} (epochs {prov['epoch_min'][:19]} .. "
            f"{prov['epoch_max'][:19]}); dropped {d['duplicates']} duplicates, {d['decayed']} below "
            f"{prov['min_altitude_km']:g} km, {d['filtered']} filtered, {d['failed']} failed; shells: {shells or 'none'}"
            f"; {prov['unassigned']} in no shell")
