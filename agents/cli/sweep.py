"""``satcoop sweep``: a grid of offline comparisons or live episodes on Ray, resumable.

    satcoop sweep CONFIG.toml [--out DIR] [--resume] [--force] [--address ADDR] [--chunk-size N]
                  [--json] [--no-progress]

The work is :func:`agents.experiments.sweep.run_sweep` (see its module docstring for the
config file, the seeds, the shards and the manifest); this module parses, validates, calls it
and prints. The whole config (every grid point) is validated before any work starts.
``--out`` defaults to ``runs/sweep-<config name>``. Ctrl-C keeps the shards written so far:
run again with ``--resume``.

Exit status: 0 every unit computed; 2 bad input (before any work); 3 the sweep finished but some
units failed (one ``failed UID: error`` line each on stderr, their rows ``status = "failed"`` in
the table; ``--resume`` retries them); 1 an internal error; 130 interrupted.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

EXIT_FAILED_UNITS = 3


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "sweep", help="a grid of compares or live runs as Ray tasks, resumable from parquet shards",
        description="Run every point x replicate of a sweep config (TOML) as chunked Ray tasks, writing each "
                    "finished chunk as a parquet shard under DIR/shards/ and the tidy table DIR/results.parquet. "
                    "Exit status 3 when the sweep finished with failed units (one line each on stderr), "
                    "2 on bad input, 1 on an internal error.")
    p.add_argument("config", metavar="CONFIG.toml", help="sweep config (kind, seed, replicates, [base], [grid])")
    p.add_argument("--out", metavar="DIR", default=None, help="results folder (default runs/sweep-<config name>)")
    p.add_argument("--resume", action="store_true", help="continue the sweep in DIR: compute only what is missing "
                   "(units whose manifest record or shard was lost included)")
    p.add_argument("--force", action="store_true",
                   help="write into DIR even if it holds another sweep, a damaged manifest or other files "
                        "(a conflicting manifest is moved aside, never deleted)")
    p.add_argument("--address", metavar="ADDR", default=None,
                   help="join a running Ray cluster (e.g. auto or HEAD_IP:6379; default: local Ray on this machine)")
    p.add_argument("--chunk-size", dest="chunk_size", type=int, default=None,
                   help="points per Ray task (default: the config's chunk_size, else about four chunks per CPU)")
    p.add_argument("--json", action="store_true",
                   help='print {"points_total", "points_computed", "points_reused", "points_failed", "results"}')
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar on stderr")
    p.set_defaults(func=run)


def run(args) -> int:
    from agents.config import BadInput
    from agents.experiments.sweep import SweepIncomplete, load_sweep_config, run_sweep
    from .common import progress_wanted

    if args.chunk_size is not None and args.chunk_size < 1:
        raise BadInput(f"--chunk-size = {args.chunk_size}: must be >= 1")
    if args.out is not None and not args.out.strip():
        raise BadInput("--out '': give a folder name (the current directory is never used as a sweep folder)")
    config = load_sweep_config(args.config)
    out = args.out or str(Path("runs") / f"sweep-{Path(args.config).stem}")
    try:
        outcome = run_sweep(config, out, resume=args.resume, address=args.address, chunk_size=args.chunk_size,
                            progress=progress_wanted(args.progress), force=args.force, handle_signals=True)
    except SweepIncomplete as exc:
        print(f"satcoop sweep: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt as exc:            # stopping.Interrupted: the signal and what was kept
        print(f"satcoop sweep: interrupted ({getattr(exc, 'signal_name', 'SIGINT')}); "
              f"{getattr(exc, 'detail', '') or f'finished shards are kept in {out}: rerun with --resume'}",
              file=sys.stderr)
        return getattr(exc, "exit_code", 130)
    o = outcome
    if o.points_failed:                     # one line per failed unit, on stderr (stdout stays the result)
        t = o.table
        for _, r in t[t["status"] == "failed"].drop_duplicates("uid").iterrows():
            print(f"satcoop sweep: failed {r['uid']}: {r['error']}", file=sys.stderr)
    if args.json:
        print(json.dumps(o.to_json(), indent=2))
    else:
        print(f"{o.points_total} points (grid point x replicate): {o.points_computed} computed, "
              f"{o.points_reused} reused, {o.points_failed} failed; {o.wall_s:.1f} s")
        print(f"results: {o.results}")
    return EXIT_FAILED_UNITS if o.points_failed else 0
