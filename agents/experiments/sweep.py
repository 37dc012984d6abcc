"""Monte Carlo campaigns: a grid of offline comparisons or live episodes as Ray tasks, resumable.

A sweep config (TOML, :class:`SweepConfig`) names the kind of point, the seed, the replicates,
a ``base`` configuration (any field of :class:`agents.experiments.compare.CompareConfig` for
``kind = "compare"``, of the live simulation's ``RunConfig`` for ``kind = "run"``) and a
``grid``: the cartesian product of any fields (dotted names reach nested fields, e.g.
``faults.outage_prob``)::

    kind = "compare"
    seed = 0
    replicates = 4
    [base]
    S = 3
    K = 12
    drops = 8
    schemes = ["Sep-MMSE", "Cen-Opt-WM"]
    [grid]
    power_dbw = [-10, -5, 0, 5, 10]

Every point config is validated before any work starts.

Identity, not position. A *unit* is one (grid point, replicate). Its id is a hash of the
point's assignment (the grid values as the point config validates them -- ``-10`` and ``-10.0``
for a power in dBW are one value -- as canonical JSON) and the replicate, and its seed is
``SeedSequence([sweep seed, hash(assignment minus crn_axes), replicate])``: it does not depend
on where the point sits in the grid, on the chunk it runs in, on the number of workers or
nodes, nor on the order tasks finish. Axes listed in ``crn_axes`` do not enter the seed, so
points that differ only along them share their drops (common random numbers, e.g. every power
of a Fig. 4 curve on the same drops). Inside a unit, drop i is a function of (unit seed, i).

Execution. Units run in chunks, each chunk one Ray task (``num_cpus=1``, torch on one
thread). Plain tasks rather than Ray Tune: a point here is a pure function of its config with
no trials to stop early, schedule or tune, so Tune's trial actors, experiment checkpoints and
per-trial result logging would add a process and files per point (its restore granularity is
the trial, ours the chunk's parquet shard) for nothing we use; tasks in chunks amortise the
scheduling overhead (measured in ``scripts/bench_sweep.py``) and need only ``ray.wait``.
Local Ray by default (``num_cpus`` from the machine); ``address`` joins a cluster.

Nothing lost. Each finished chunk is written at once as a parquet shard ``DIR/shards/`` (temp
file, fsync, rename) and a record appended to ``DIR/manifest.jsonl`` (the campaign key, the shard,
its unit ids, failures; crash-safe: see :mod:`agents.experiments.manifest` -- a torn last line is
dropped with a warning and its units recomputed, a torn header refuses the resume). With
``resume`` only units without a record (or failed, or whose shard is missing or unreadable) are
computed; the final ``DIR/results.parquet`` (one tidy row per unit x result row -- per scheme (x
power for compare) -- sorted by point index, replicate and row) is assembled from the shards, so
it equals an uninterrupted run's (measurement columns such as ``runtime_s_per_drop`` aside: they
are wall times). Every unit of the sweep must have its rows: a shorter table is never written
(:class:`SweepIncomplete`). A folder is never overwritten silently: a plain run refuses a folder
that holds a sweep or anything else, ``resume`` one without a manifest (``force`` overrides).
A chunk whose task fails (an exception, a killed worker, a lost node:
Ray retries it ``max_retries`` times) is split into single-unit tasks, each retried by Ray
(``retry_exceptions``); a unit that still fails is recorded with ``status = "failed"`` and its
error, never dropped, and the rest of the sweep completes.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pydantic import ValidationError

from agents.config.errors import BadInput, one_line
from agents.config.overrides import read_toml
from agents.config.sweep import SweepConfig, canon as _canon
from agents.files import mark_complete, mark_partial, write_with
from .stopping import stop_on_signals
from .manifest import append_record, latest_records, prepare_sweep_folder, read_manifest

__all__ = ["SweepConfig", "SweepOutcome", "SweepInterrupted", "SweepIncomplete", "load_sweep_config", "run_sweep", "expand_units",
           "point_config_class", "evaluate_point", "MEASUREMENT_COLUMNS"]

RESULTS = "results.parquet"
# wall-time columns: measurements, not functions of the config (excluded when comparing tables)
MEASUREMENT_COLUMNS = ("runtime_s_per_drop", "wall_s", "wall_time_s", "isl_wall_s")


class SweepInterrupted(KeyboardInterrupt):
    """The sweep stopped before finishing (the shards written so far are kept; resume with resume=True)."""


class SweepIncomplete(RuntimeError):
    """The shards do not hold a row for every unit of the sweep (a checked invariant: the table is
    never written short); ``--resume`` recomputes the missing units."""


# ---------------------------------------------------------------------------------------------
# identity


def _hash(text: str, n: int = 16) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def _set_dotted(d: dict, name: str, value) -> None:
    parts = name.split(".")
    for p in parts[:-1]:
        nxt = d.get(p)
        if not isinstance(nxt, dict):
            nxt = {} if nxt is None else (nxt.model_dump() if hasattr(nxt, "model_dump") else nxt)
            if not isinstance(nxt, dict):
                raise BadInput(f"grid axis {name!r}: {p!r} is not a nested table")
            d[p] = nxt
        d = nxt
    d[parts[-1]] = value


def unit_seed(sweep_seed: int, assignment: dict, crn_axes, replicate: int) -> int:
    """The seed of unit (point, replicate): a function of the sweep seed, the point's grid values
    (those not in ``crn_axes``) and the replicate -- never of the point's position."""
    import numpy as np
    key = int(_hash(_canon({k: v for k, v in assignment.items() if k not in crn_axes}), 16), 16)
    hi, lo = np.random.SeedSequence([int(sweep_seed), key, int(replicate)]).generate_state(2, np.uint32)
    return ((int(hi) << 32) | int(lo)) & 0x7FFF_FFFF_FFFF_FFFF


def point_config_class(kind: str):
    """The pydantic schema of one point: CompareConfig or the live simulation's RunConfig."""
    from agents.config import CompareConfig, RunConfig
    return CompareConfig if kind == "compare" else RunConfig


def _deep_merge(into: dict, new: dict) -> dict:
    for k, v in new.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _deep_merge(into[k], v)
        else:
            into[k] = v
    return into


def _point_data(kind: str, data: dict) -> dict:
    """For ``run`` points: the live simulation's packaged default config, overridden by ``data``;
    episodes run in-process inside their task (``runtime = "local"``) unless the base says otherwise:
    the sweep's parallelism is across episodes."""
    if kind != "run":
        return data
    from agents.config import RunConfig
    default = RunConfig.load(None).model_dump(mode="json")
    default["runtime"] = "local"
    return _deep_merge(default, data)


@dataclass(frozen=True)
class Unit:
    """One (grid point, replicate): ``point`` its index in the grid's product order (for sorting
    only), ``assignment`` its grid values, ``config`` the validated point config as a dict."""

    uid: str
    point: int
    point_id: str
    replicate: int
    seed: int
    assignment: dict
    config: dict


def _validate_point(cls, data: dict, assignment: dict):
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        e = exc.errors(include_url=False)[0]
        loc = ".".join(str(p) for p in e.get("loc", ()))
        top = str(e.get("loc", ("",))[0]) if e.get("loc") else ""
        in_grid = any(a == loc or a.split(".")[0] == top or loc.startswith(a + ".") for a in assignment)
        if in_grid:
            raise BadInput(f"grid point {assignment}: " + one_line(exc, cls, data)) from None
        raise BadInput(one_line(exc, cls, data, prefix="base.")) from None


def expand_units(config: SweepConfig) -> list[Unit]:
    """Every unit of the sweep, each point config validated (ValueError naming the field first)."""
    cls = point_config_class(config.kind)
    axes = list(config.grid)
    for a in axes:
        top = a.split(".")[0]
        if top not in cls.model_fields:
            raise BadInput(f"grid.{a}: unknown field of the {cls.__name__}; allowed: {sorted(cls.model_fields)}")
    units = []
    base = _resolved_base(config)
    seen: dict[str, dict] = {}
    for p, values in enumerate(itertools.product(*(config.grid[a] for a in axes))):
        written = dict(zip(axes, values))
        # the point's identity is its grid values as validated (-10 and -10.0 for a power in dBW are
        # one value: one id, one seed), not as written
        probe = copy.deepcopy(base)
        for a, v in written.items():
            _set_dotted(probe, a, v)
        probe["seed"] = 0
        validated = _validate_point(cls, _point_data(config.kind, probe), written).model_dump(mode="json")
        assignment = {a: _validated_value(validated, a, v) for a, v in written.items()}
        point_id = _hash(_canon(assignment), 12)
        if point_id in seen:
            raise BadInput(f"grid points {seen[point_id]} and {written} are the same point once validated "
                             f"({assignment}); remove one")
        seen[point_id] = written
        for r in range(config.replicates):
            seed = unit_seed(config.seed, assignment, config.crn_axes, r)
            data = copy.deepcopy(probe)
            data["seed"] = seed
            cfg = _validate_point(cls, _point_data(config.kind, data), written)
            units.append(Unit(uid=f"{point_id}-r{r}", point=p, point_id=point_id, replicate=r, seed=seed,
                              assignment=assignment, config=cfg.model_dump(mode="json")))
    return units


def _validated_value(validated: dict, name: str, written):
    """The value of grid axis ``name`` (dotted) in the validated point config (JSON form), in the
    shape it was written: a scalar the field wraps in a list (``power_dbw = -10`` -> ``[-10.0]``)
    is unwrapped again, so the canonical spelling of a value keeps its id and seed."""
    node = validated
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return written
        node = node[part]
    if isinstance(node, list) and not isinstance(written, list) and len(node) == 1:
        return node[0]
    return node


def _resolved_base(config: SweepConfig) -> dict:
    """``base`` with what "every registered scheme" (compare points) or the run's ``"default"`` / ``"all"``
    live set (run points) means today written out, so a unit records the schemes it ran and a resume
    after the registry or the default live set changed is refused."""
    base = copy.deepcopy(config.base)
    if "schemes" in config.grid:
        return base
    if config.kind == "compare" and base.get("schemes") is None:
        from agents.schemes import names
        base["schemes"] = names()
    elif config.kind == "run" and (base.get("schemes") is None or isinstance(base.get("schemes"), str)):
        from agents.schemes import resolve          # "default" / "all" written out: a resume after either
        base["schemes"] = resolve(base.get("schemes") or "default")   # set changed is refused
    return base


def campaign_key(config: SweepConfig, units: list[Unit] | None = None) -> str:
    """What a unit's result depends on besides its own grid values: kind, seed, base (with the
    scheme list resolved), crn axes, and the SHA-256 of every element-set file (the content, not
    only its path)."""
    key = {"kind": config.kind, "seed": config.seed, "base": _resolved_base(config),
           "crn_axes": sorted(config.crn_axes)}
    hashes = element_set_hashes(units if units is not None else expand_units(config))
    if hashes:
        key["element_sets"] = sorted(set(hashes.values()))
    return _hash(_canon(key), 16)


def element_set_hashes(units: list[Unit]) -> dict[str, str]:
    """{path: SHA-256} of every element-set file the units name."""
    from agents.config.element_files import file_hashes
    out: dict[str, str] = {}
    for spec in {_canon(u.config.get("constellation")): u.config.get("constellation") for u in units}.values():
        out.update(file_hashes(spec))
    return out


def load_sweep_config(path) -> SweepConfig:
    """Read and validate a sweep TOML file (ValueError naming the field on bad input). Element-set
    paths of its base are relative to the file's folder (else to the working directory)."""
    from agents.config.element_files import resolve_config_paths
    return parse_sweep_config(resolve_config_paths(read_toml(path), Path(path).parent))


def parse_sweep_config(data: dict) -> SweepConfig:
    try:
        cfg = SweepConfig.model_validate(data)
    except ValidationError as exc:
        raise BadInput(one_line(exc, SweepConfig, data)) from None
    preflight(cfg, expand_units(cfg))     # every point validated, its files read, before any work
    return cfg


def preflight(config: SweepConfig, units: list[Unit]) -> None:
    """What a unit would otherwise find out on a worker, checked once per distinct value on the driver:
    every scheme registered, every constellation built (element-set files parsed), every weights file
    loadable. :class:`BadInput` naming the field (exit 2) before Ray starts."""
    from agents import schemes as catalog
    from agents.config.constellation import ConstellationSpec
    from agents.nets.schemes import load_net

    seen: set = set()
    for u in units:
        c = u.config
        for what, value in (("schemes", c.get("schemes", "all")), ("constellation", c.get("constellation"))):
            key = (what, _canon(value))
            if key in seen:
                continue
            seen.add(key)
            if what == "schemes":
                catalog.resolve(value, "base.schemes")
            else:
                try:
                    ConstellationSpec.parse(value).build()
                except BadInput as exc:
                    raise BadInput(f"base.constellation: {exc}") from None
        weights = list(c.get("weights") or [])
        weights += [o["weights"] for o in (c.get("scheme_options") or {}).values()
                    if isinstance(o, dict) and isinstance(o.get("weights"), str)]
        for w in weights:
            if ("weights", w) in seen:
                continue
            seen.add(("weights", w))
            try:
                load_net(w)
            except BadInput:
                raise
            except Exception as exc:                               # noqa: BLE001 - any unreadable file
                raise BadInput(f"weights {w!r}: not a loadable satcoop weights file ({error_line(exc)})") from None


# ---------------------------------------------------------------------------------------------
# evaluation (runs inside Ray tasks)


def evaluate_point(kind: str, config: dict) -> list[dict]:
    """The result rows of one unit: for ``compare`` one row per scheme x power (the summary of
    :func:`agents.experiments.compare.run_compare`), for ``run`` one row per scheme of the
    episode's summary (``summary.json``'s ``schemes``), the scheme's queueing delay and link
    utilisation (:func:`agents.live.results.link_figures`: ``isl_queue_mean_s``, ``isl_queue_max_s``,
    ``isl_util_max``, ``isl_util_mean``) and the episode's event counts by type
    (``events_election``, ``events_handover``, ..., ``events_failover``)."""
    if kind == "compare":
        from .compare import run_compare
        res = run_compare(config)
        rows = res.summary.to_dict("records")
        for r in rows:
            r.update({k: res.config[k] for k in ("S", "K", "M", "N", "drops")})
        return rows
    from agents.config.run import RunConfig
    from agents.experiments.run import run_episode
    res = run_episode(RunConfig.model_validate(config), out_dir=None, progress=False)
    summary = res.summary
    from agents.live.results import link_figures
    links = link_figures(res.messages, res.hops, {s["scheme"]: s["architecture"] for s in res.info["schemes"]},
                         summary["config"]["duration_s"], summary["config"]["isl"]["rate_bps"])
    # the episode's events, counted by type (the same for every scheme row of the episode);
    # failovers are the elections that replaced an unreachable central
    counts: dict[str, int] = {}
    for e in summary.get("events", []):
        kind_ = str(e.get("type", "other"))
        counts[f"events_{kind_}"] = counts.get(f"events_{kind_}", 0) + 1
        if kind_ == "election" and str(e.get("detail", "")).startswith("failover"):
            counts["events_failover"] = counts.get("events_failover", 0) + 1
    return [{**dict(r), **links[r["scheme"]], **counts} for r in summary["schemes"]]


def _local_config(config: dict, element_sets) -> dict:
    """A unit's config with its element-set paths on this node's copies of the shipped files."""
    if not element_sets or not config.get("constellation"):
        return config
    from agents.config.element_files import unpack
    return {**config, "constellation": unpack(config["constellation"], element_sets, prefer_local=False)}


def _run_chunk(kind: str, units: list[dict], evaluate, element_sets=None) -> list[dict]:
    """Evaluate units one after the other; a unit that raises is returned as an error (its
    message) so the others of the chunk are kept. ``element_sets``: the driver's files
    (:func:`agents.config.element_files.pack`, from Ray's object store)."""
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:                                            # pragma: no cover
        pass
    out = []
    for u in units:
        t0 = time.perf_counter()
        try:
            rows = (evaluate or evaluate_point)(kind, _local_config(u["config"], element_sets))
            out.append({"uid": u["uid"], "rows": rows, "error": None, "task_s": time.perf_counter() - t0})
        except Exception as exc:                                  # noqa: BLE001 - recorded, then retried
            out.append({"uid": u["uid"], "rows": None, "error": error_line(exc), "task_s": time.perf_counter() - t0,
                        "user_error": isinstance(exc, BadInput)})
    return out


def error_line(exc: BaseException) -> str:
    """``Type: last line of the message`` of a unit's error (Ray's task errors unwrapped to their cause)."""
    cause = getattr(exc, "cause", None) or exc
    text = str(cause).strip()
    return f"{type(cause).__name__}: {text.splitlines()[-1] if text else ''}".rstrip(": ")


def _run_single(kind: str, unit: dict, evaluate, element_sets=None) -> list[dict]:
    """One unit; raises on failure so that Ray's ``retry_exceptions`` retries it (a :class:`BadInput`, the
    user's error, is returned as the unit's error instead: retrying cannot change it)."""
    try:
        import torch
        torch.set_num_threads(1)
    except ImportError:                                            # pragma: no cover
        pass
    t0 = time.perf_counter()
    try:
        rows = (evaluate or evaluate_point)(kind, _local_config(unit["config"], element_sets))
    except BadInput as exc:            # the user's error (the world refusing its config): the same on a retry
        return [{"uid": unit["uid"], "rows": None, "error": error_line(exc), "task_s": time.perf_counter() - t0,
                 "user_error": True}]
    return [{"uid": unit["uid"], "rows": rows, "error": None, "task_s": time.perf_counter() - t0}]


# ---------------------------------------------------------------------------------------------
# storage


def _unit_frame(unit: Unit, kind: str, rows: list[dict] | None, error: str | None):
    import pandas as pd
    base = {"point": unit.point, "point_id": unit.point_id, "replicate": unit.replicate, "seed": unit.seed,
            "uid": unit.uid, "kind": kind}
    for a, v in unit.assignment.items():
        base[a] = v if isinstance(v, (int, float, str, bool)) else _canon(v)
    if error is not None or not rows:
        return pd.DataFrame([{**base, "row": 0, "status": "failed",
                              "error": error or "no result rows"}])
    recs = []
    for i, r in enumerate(rows):
        rec = dict(base)
        for k, v in r.items():
            rec[k] = v if (v is None or isinstance(v, (int, float, str, bool))) else _canon(v)
        rec.update({"row": i, "status": "ok", "error": None})
        recs.append(rec)
    return pd.DataFrame(recs)


def _assemble(out: Path, units: list[Unit], manifest):
    """results.parquet from the shards: the newest record of every unit of this sweep, sorted.
    Every unit must have its rows (SweepIncomplete otherwise: never a shorter table)."""
    import pandas as pd
    good, bad = latest_records(out, manifest, [u.uid for u in units])
    latest = {uid: rec["shard"] for uid, rec in good.items()}
    missing = [u.uid for u in units if u.uid not in latest]
    if missing:
        why = "; ".join(f"shards/{k} {v}" for k, v in sorted(bad.items())[:3])
        raise SweepIncomplete(f"{len(missing)} of {len(units)} units have no rows in {out / 'shards'} "
                              f"(e.g. {missing[0]}{'; ' + why if why else ''}); results.parquet not written: "
                              f"run again with --resume to compute them")
    frames = []
    for shard in sorted(set(latest.values())):
        df = pd.read_parquet(out / "shards" / shard)
        keep = [uid for uid, s in latest.items() if s == shard]
        frames.append(df[df["uid"].isin(keep)])
    if not frames:
        return pd.DataFrame()
    table = pd.concat(frames, ignore_index=True)
    # ``point`` is a position in the current grid: recomputed here, so units reused from a run of a
    # smaller or reordered grid sort where a fresh run of this grid puts them
    point_of = {u.uid: u.point for u in units}
    table["point"] = table["uid"].map(point_of).astype("int64")
    table = table.sort_values(["point", "replicate", "row"], kind="mergesort").reset_index(drop=True)
    if set(table["uid"]) != set(latest) or len(table.drop_duplicates("uid")) != len(units):
        raise SweepIncomplete(f"results table holds {table['uid'].nunique()} units, the sweep has {len(units)}: "
                              f"results.parquet not written; run again with --resume")
    return table


# ---------------------------------------------------------------------------------------------
# driver


@dataclass
class SweepOutcome:
    """Counts are in units (grid point x replicate)."""

    points_total: int
    points_computed: int
    points_reused: int
    points_failed: int
    results: str
    table: Any = None
    chunks: int = 0
    task_s: list = field(default_factory=list)
    wall_s: float = 0.0

    def to_json(self) -> dict:
        return {"points_total": self.points_total, "points_computed": self.points_computed,
                "points_reused": self.points_reused, "points_failed": self.points_failed, "results": self.results}


def _ray_init(address: str | None, num_cpus: int | None):
    from agents.live.cluster import connect
    # no address: always a new local instance, never silently joining a cluster that someone else
    # started on this machine (``ray start``); an address: joined, or one line saying why not
    return connect(address or None, num_cpus=None if address else (num_cpus or os.cpu_count() or 1))


def run_sweep(config: SweepConfig | dict, out_dir, *, resume: bool = False, address: str | None = None,
              chunk_size: int | None = None, num_cpus: int | None = None, progress: bool = True,
              evaluate: Callable[[str, dict], list[dict]] | None = None,
              stop_after_shards: int | None = None, force: bool = False, log=None,
              handle_signals: bool = False) -> SweepOutcome:
    """Run (or resume) a sweep into ``out_dir``; see the module docstring.

    ``chunk_size`` overrides the config's; ``num_cpus`` the local Ray size (default: this
    machine's); ``evaluate(kind, config_dict) -> rows`` replaces :func:`evaluate_point` (tests
    inject failures with it); ``stop_after_shards`` stops (SweepInterrupted) after writing that
    many shards, as a killed driver would. A running Ray session (``ray.init`` done by the
    caller, e.g. a test cluster) is used as is and left running. ``force``: write into a folder
    that would be refused otherwise (see :func:`agents.experiments.manifest.prepare_sweep_folder`);
    ``log(line)`` gets the warnings (default: stderr). The folder holds ``PARTIAL`` until results.parquet
    is written. ``handle_signals``: on SIGINT / SIGTERM the pending tasks are cancelled, Ray released,
    the shards written so far kept, and :class:`~agents.experiments.stopping.Interrupted` raised.
    """
    if not isinstance(config, SweepConfig):
        config = parse_sweep_config(config)
    from agents.live.cluster import check_reachable
    address = check_reachable(address)                   # a bad or dead address: one line before any work
    units = expand_units(config)
    out = Path(out_dir)
    key = campaign_key(config, units)
    hashes = element_set_hashes(units)
    if log is None:
        import sys
        log = lambda msg: print(f"satcoop sweep: warning: {msg}", file=sys.stderr, flush=True)  # noqa: E731
    manifest = prepare_sweep_folder(out, key, {"type": "header", "campaign": key,
                                               "config": config.model_dump(mode="json"),
                                               "element_sets": hashes, "created_unix": time.time()},
                                    resume=resume, force=force, log=log)
    mark_partial(out, "satcoop sweep: running; removed once results.parquet holds every unit (else: --resume)")
    with stop_on_signals(handle_signals) as stop:
        return _sweep(config, units, out, manifest, address, chunk_size, num_cpus, progress, evaluate,
                      stop_after_shards, log, stop, hashes)


def _sweep(config, units, out, manifest, address, chunk_size, num_cpus, progress, evaluate, stop_after_shards,
           log, stop, hashes) -> SweepOutcome:
    # units done: the newest record of each, if its shard is on disk and readable (else recomputed)
    latest, _ = latest_records(out, manifest, [u.uid for u in units], log=log)
    status = {uid: "failed" if uid in rec.get("failed", {}) else "ok" for uid, rec in latest.items()}
    todo = [u for u in units if status.get(u.uid) != "ok"]
    reused = len(units) - len(todo)
    by_uid = {u.uid: u for u in units}
    t_start = time.perf_counter()
    task_times: list[float] = []
    computed = failed = shards_written = n_chunks = 0

    def write_shard(results: list[dict]):
        nonlocal computed, failed, shards_written
        import pandas as pd
        frames, fails = [], {}
        for r in results:
            u = by_uid[r["uid"]]
            frames.append(_unit_frame(u, config.kind, r["rows"], r["error"]))
            if r["error"] is not None:
                fails[r["uid"]] = r["error"]
            task_times.append(r.get("task_s", 0.0))
        uids = [r["uid"] for r in results]
        name = f"chunk-{_hash(','.join(sorted(uids)) + str(time.time_ns()), 16)}.parquet"
        df = pd.concat(frames, ignore_index=True)
        write_with(out / "shards" / name, lambda f: df.to_parquet(f, index=False))   # temp + fsync + rename
        append_record(out, {"type": "shard", "shard": name, "units": uids, "failed": fails})
        computed += len(uids) - len(fails)
        failed += len(fails)
        shards_written += 1
        if bar is not None:                        # one redraw per update
            bar.set_postfix_str(f"failed {failed}" if failed else "", refresh=False)
            bar.update(len(uids))
        if stop_after_shards is not None and shards_written >= stop_after_shards:
            raise SweepInterrupted(f"stopped after {shards_written} shards")

    bar = None
    if progress:
        import sys
        from tqdm import tqdm
        bar = tqdm(total=len(units), initial=reused, desc="sweep", unit="point", file=sys.stderr,
                   dynamic_ncols=True)
    started = False
    pending: dict = {}
    try:
        if todo:
            import ray
            started = _ray_init(address, num_cpus)
            stop.arm()                                 # ray.init replaced the SIGTERM handler
            cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
            size = chunk_size or config.chunk_size or max(1, math.ceil(len(todo) / (4 * cpus)))
            chunk_task = ray.remote(num_cpus=1, max_retries=config.max_retries)(_run_chunk)
            single_task = ray.remote(num_cpus=1, max_retries=config.max_retries, retry_exceptions=True)(_run_single)
            payload = [{"uid": u.uid, "config": u.config} for u in todo]
            # the element-set files' content, once in the object store: workers need no shared file system
            from agents.config.element_files import pack
            blobs = {}
            for spec in {_canon(u.config.get("constellation")): u.config.get("constellation") for u in todo}.values():
                blobs.update(pack(spec))
            if {p: sha for p, (sha, _) in blobs.items()} != {p: hashes[p] for p in blobs}:
                raise BadInput("an element-set file changed while the sweep started; run it again")
            shipped = ray.put(blobs) if blobs else None
            for i in range(0, len(payload), size):
                part = payload[i:i + size]
                pending[chunk_task.remote(config.kind, part, evaluate, shipped)] = ("chunk", part)
                n_chunks += 1
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1, timeout=0.5)
                stop.check(f"{reused + computed + failed} of {len(units)} units kept in {out / 'shards'}: "
                           f"rerun with --resume to compute the rest")
                if not done:
                    continue
                ref = done[0]
                what, part = pending.pop(ref)
                try:
                    results = ray.get(ref)
                except Exception as exc:                          # noqa: BLE001 - task failed for good
                    if what == "chunk":
                        for u in part:                            # isolate the failing unit(s)
                            pending[single_task.remote(config.kind, u, evaluate, shipped)] = ("single", [u])
                        continue
                    write_shard([{"uid": part[0]["uid"], "rows": None, "error": error_line(exc)}])
                    continue
                # a unit that raised in a chunk is retried alone, unless it was the user's error (BadInput)
                retry = [r for r in results if r["error"] is not None and not r.get("user_error")] \
                    if what == "chunk" else []
                good = [r for r in results if r not in retry]
                if good:
                    write_shard(good)
                for r in retry:                                   # retried by Ray (retry_exceptions)
                    u = next(p for p in part if p["uid"] == r["uid"])
                    pending[single_task.remote(config.kind, u, evaluate, shipped)] = ("single", [u])
    except KeyboardInterrupt:
        import ray
        for ref in list(pending):                  # the shards written so far stay; resume computes the rest
            try:
                ray.cancel(ref, force=True)
            except Exception:                                      # noqa: BLE001
                pass
        raise
    finally:
        if bar is not None:
            bar.close()
        if started:
            import ray
            ray.shutdown()
    table = _assemble(out, units, read_manifest(out))
    results_path = out / RESULTS
    write_with(results_path, lambda f: table.to_parquet(f, index=False))
    mark_complete(out)                                 # last: the folder is a finished sweep
    n_failed = int((table.drop_duplicates("uid")["status"] == "failed").sum()) if len(table) else 0
    return SweepOutcome(points_total=len(units), points_computed=computed, points_reused=reused,
                        points_failed=n_failed, results=str(results_path), table=table, chunks=n_chunks,
                        task_s=task_times, wall_s=time.perf_counter() - t_start)
