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


# ---------------------------------------------------------------- constellation options

CONSTELLATION_OPTIONS = {"tle": "--tle", "omm": "--omm", "shell": "--shell", "walker": "--walker",
                         "max_epoch_age_days": "--max-epoch-age-days", "name": "--name-pattern",
                         "min_altitude_km": "--min-altitude-km"}


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
