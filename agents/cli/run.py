"""``satcoop run``: one live multi-agent episode (the main job).

    satcoop run [CONFIG.toml] [--runtime ray|local] [--address ADDR] [--duration-s X] [--seed N]
                [--set FIELD=VALUE ...] [--out DIR] [--force] [--json] [--view]

Without CONFIG the embedded default episode runs (runs/default.toml: Walker 28x60 at 600 km / 53 deg,
a seeded region, S=3, K=12, 5 dBW, 60 s at 100 ms ticks, updates and SSI every second,
Gilbert-Elliott ISL outages, every registered scheme, Ray runtime). ``--set`` overrides any config
field by its dotted name (e.g. ``--set faults.model=none --set S=4 --set schemes='["Cen-Opt-WM"]'``).
A run folder is written under runs/ (or --out): config, steps/messages/faults/computes parquet,
events, summary.json, figures. ``--json`` prints summary.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser("run", help="one live multi-agent episode (agents over the ISL bus; sum rate, overhead)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("config", nargs="?", default=None, metavar="CONFIG.toml",
                   help="run config (default: the embedded default episode, runs/default.toml)")
    p.add_argument("--runtime", default=None, help="ray | local (default: the config's, ray)")
    p.add_argument("--address", default=None, help="join an existing Ray cluster at ADDR")
    p.add_argument("--duration-s", dest="duration_s", type=float, default=None, help="simulated seconds")
    p.add_argument("--seed", type=int, default=None, help="random seed")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                   help="override a config field by its dotted name (repeatable)")
    p.add_argument("--out", default=None, metavar="DIR", help="run folder (default: runs/run-<UTC time>-seed<N>)")
    p.add_argument("--force", action="store_true",
                   help="write into --out even if it holds a finished or cut-short run or other files")
    p.add_argument("--json", action="store_true", help="print summary.json instead of the table")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--view", action="store_true", help="also write the episode page RUN_DIR/view.html (satcoop view)")
    from .common import add_constellation_args, add_region_args
    add_region_args(p, count=True)       # --center, --region-count, --selection, ...: the config's region fields
    add_constellation_args(p)            # --tle/--omm/--walker/...: replace the config's constellation
    p.set_defaults(func=_run)
    if hasattr(p, "_negative_number_matcher"):           # let "--center -33.9,18.4" through (as satcoop world)
        import re
        p._negative_number_matcher = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^-[\d.eE+-]*,[\d.eE+-]*$")


def _run(args) -> int:
    from agents.config import BadInput, RunConfig
    from agents.live.results import format_table
    from agents.experiments.run import run_episode
    from .common import progress_wanted

    overrides = list(args.overrides)
    for name in ("runtime", "address", "duration_s", "seed"):
        v = getattr(args, name)
        if v is not None:
            overrides.append(f"{name}={json.dumps(v)}")
    from .common import region_values
    from agents.config.world import parse_center
    region = region_values(args)
    if "center" in region:
        try:
            lat, lon = parse_center(region.pop("center"))
        except ValueError as exc:
            raise BadInput(f"--center {args.center!r}: {exc}") from None
        region.update(center_lat_deg=lat, center_lon_deg=lon)
    if "region_count" in region:
        region["count"] = region.pop("region_count")
    cross = region.pop("cross_shell", None)
    overrides += [f"region.{k}={json.dumps(v)}" for k, v in region.items()]
    cfg = RunConfig.load(args.config, overrides)
    if cross is not None:
        cfg = cfg.replace(**{"isl.cross_shell": cross})
    if any(getattr(args, d, None) is not None for d in ("tle", "omm", "walker", "shell", "name_pattern",
                                                         "max_epoch_age_days", "min_altitude_km",
                                                         "max_propagation_days", "allow_far_from_epoch")):
        from .common import constellation_spec_from_args
        data = cfg.model_dump()
        data["constellation"] = constellation_spec_from_args(args).model_dump()
        cfg = RunConfig.from_dict(data)
    if args.out is not None:
        out = Path(args.out)
        if not args.out.strip():
            raise BadInput("--out '': give a folder name (the current directory is never used as a run folder)")
    else:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        out = Path("runs") / f"run-{stamp}-seed{cfg.seed}"
        k = 1
        while out.exists():
            k += 1
            out = Path("runs") / f"run-{stamp}-seed{cfg.seed}-{k}"
    res = run_episode(cfg, out_dir=out, out_option="--out", force=args.force, handle_signals=True,
                      progress=progress_wanted(not (args.no_progress or args.json)))
    if args.view:                               # the episode page, into the run folder (agents/view)
        from agents.view import write_view
        page = write_view(out)[0]
    for warning in res.summary.get("warnings", []):
        print(warning, file=sys.stderr)
    if args.json:
        print(json.dumps(res.summary, indent=2))
        return 0
    info = res.info
    reg = info["regions"][0]
    print(f"satcoop run: {cfg.duration_s:g} s simulated at {cfg.tick_s:g} s ticks, runtime {info['runtime']}, "
          f"seed {cfg.seed}, S={cfg.S}, K={cfg.K}, {cfg.power_dbw:g} dBW, faults {cfg.faults.model}, "
          f"region 0 at ({reg['center_lat_deg']:.2f}, {reg['center_lon_deg']:.2f}) deg")
    print(format_table(res.summary))
    kinds = {}
    for e in res.summary["events"]:
        kinds[e["type"]] = kinds.get(e["type"], 0) + 1
    rtf = info["realtime_factor"]
    print(f"events: {', '.join(f'{k} {v}' for k, v in sorted(kinds.items())) or 'none'}; "
          f"wall {info['wall_loop_s']:.1f} s (+{info['wall_setup_s']:.1f} s start-up; first tick "
          f"{info['wall_first_tick_s']:.1f} s), real-time factor after the first tick "
          f"{'n/a' if rtf is None else format(rtf, '.2f')}")
    print(f"run folder: {out}")
    if args.view:
        print(f"episode page: {page}")
    return 0
