"""``satcoop view``: the episode page of a run folder, one self-contained HTML file.

    satcoop view RUN_DIR [--out FILE.html] [--horizon-deg X]

Reads only the run folder (config, steps, messages, faults, events, computes, run.json); satellite
positions, the ISL topology and the messages' routes are recomputed with the project's own code
(:mod:`agents.view.data`). The page works offline (everything inlined, no request): a globe / map with
the satellites near the region, the cooperating satellites and the central, ISLs up / down / carrying a
message, messages moving along their routes, a time slider; below, on the same time axis, the sum rate
per scheme with outage windows shaded, precoder age per satellite, ISL bits per second and the events.
See docs/viewer.md.
"""
from __future__ import annotations


def register(subparsers) -> None:
    p = subparsers.add_parser("view", help="write the episode page of a run folder (self-contained HTML)",
                              description=__doc__.split("\n\n")[2])
    p.add_argument("run_dir", metavar="RUN_DIR", help="a folder written by satcoop run")
    p.add_argument("--out", default=None, metavar="FILE.html", help="page to write (default RUN_DIR/view.html)")
    p.add_argument("--horizon-deg", dest="horizon_deg", type=float, default=0.0,
                   help="show the satellites above this elevation (deg) at a region centre (default 0: the horizon)")
    p.set_defaults(func=_view)


def _view(args) -> int:
    from constellation.checks import BadInput, check_real
    from agents.view import ViewOptions, write_view

    try:
        check_real("--horizon-deg", args.horizon_deg, -90.0, 90.0, "deg")
    except ValueError as exc:
        raise BadInput(str(exc)) from None
    path, view = write_view(args.run_dir, args.out, ViewOptions(horizon_deg=args.horizon_deg))
    for w in view.warnings:
        print(f"satcoop view: warning: {w}")
    d = view.meta["decimation"]
    print(f"satcoop view: {path} ({path.stat().st_size / 1e6:.1f} MB): {len(view.sat_ids)} satellites, "
          f"{len(view.links)} ISLs, {d['frames']} position frames every {d['frame_step_s']:.3g} s, "
          f"{d['routed_messages']} of {d['messages']} messages routed")
    return 0
