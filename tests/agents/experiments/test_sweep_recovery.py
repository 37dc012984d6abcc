"""Sweep folders survive what a killed driver or a user can do to them: a torn last manifest line, a
torn header, a lost or truncated shard, a deleted manifest, a folder that is not a sweep; the table
always holds every unit; unit seeds are keyed by the validated grid value, not its spelling."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from agents.experiments.manifest import read_manifest
from agents.experiments.sweep import (MEASUREMENT_COLUMNS, SweepIncomplete, SweepInterrupted, _assemble,
                                      expand_units, parse_sweep_config, run_sweep)
from constellation.checks import BadInput


# one local Ray for the module (tests/agents/conftest.py): the sweeps join it instead of starting and
# shutting down a Ray instance per call inside the xdist worker
pytestmark = pytest.mark.usefixtures("local_ray")

CFG = {"kind": "compare", "seed": 4, "replicates": 2, "base": {"S": 1, "K": 1, "drops": 1},
       "grid": {"power_dbw": [-5.0, 0.0, 5.0, 10.0]}}          # 8 units


def _evaluator():
    def evaluate(kind, config):            # a pure function of the unit's config (cloudpickled by value)
        return [{"scheme": "X", "power_dbw": config["power_dbw"][0], "sum_rate_bps_hz": config["seed"] % 9973 / 7},
                {"scheme": "Y", "power_dbw": config["power_dbw"][0], "sum_rate_bps_hz": config["seed"] % 997 / 3}]
    return evaluate


def _table(path) -> pd.DataFrame:
    t = pd.read_parquet(path)
    return t.drop(columns=[c for c in MEASUREMENT_COLUMNS if c in t.columns])


def _lines(out):
    return (out / "manifest.jsonl").read_text().splitlines()


@pytest.fixture(scope="module")
def uninterrupted(local_ray, tmp_path_factory):
    out = tmp_path_factory.mktemp("straight")
    o = run_sweep(CFG, out, chunk_size=1, progress=False, evaluate=_evaluator())
    assert (o.points_total, o.points_computed, o.points_failed) == (8, 8, 0)
    return _table(o.results)


def _stopped(tmp_path, shards=3):
    out = tmp_path / "s"
    with pytest.raises(SweepInterrupted):
        run_sweep(CFG, out, chunk_size=1, progress=False, evaluate=_evaluator(), stop_after_shards=shards)
    return out


def test_torn_last_line_is_dropped_and_its_units_recomputed(uninterrupted, tmp_path):
    """The driver killed while appending its third record: the shard file is on disk, the record
    half-written (no newline). Resume: one warning, the cut line gone, every unit present, the table
    of an uninterrupted run, every manifest line whole."""
    out = _stopped(tmp_path)
    lines = _lines(out)
    assert len(lines) == 4                                        # header + 3 shard records
    torn = json.loads(lines[3])["units"]
    (out / "manifest.jsonl").write_text("\n".join(lines[:3]) + "\n" + lines[3][: len(lines[3]) // 2])
    warnings = []
    o = run_sweep(CFG, out, chunk_size=1, resume=True, progress=False, evaluate=_evaluator(), log=warnings.append)
    assert len(warnings) == 1 and "line 4" in warnings[0] and "torn" in warnings[0] and "\n" not in warnings[0]
    assert (o.points_reused, o.points_computed) == (2, 6)         # the torn record's unit is recomputed
    assert set(torn) <= {u for x in _lines(out)[3:] for u in json.loads(x)["units"]}   # appended after the 3 whole lines
    recs = [json.loads(x) for x in _lines(out)]                   # raises if any line is not whole JSON
    assert recs[0]["type"] == "header" and all(r["type"] == "shard" for r in recs[1:])
    t = _table(o.results)
    assert t["uid"].nunique() == 8
    pd.testing.assert_frame_equal(t, uninterrupted, check_exact=True)
    # the torn bytes are gone from the file: a second resume has nothing to warn about or compute
    warnings.clear()
    again = run_sweep(CFG, out, resume=True, progress=False, evaluate=_evaluator(), log=warnings.append)
    assert (again.points_reused, again.points_computed, warnings) == (8, 0, [])


def test_merged_line_from_an_old_torn_append_is_dropped(uninterrupted, tmp_path):
    """A line holding a torn record with the next one appended onto it (what the old appender
    produced): neither is trusted, both units are recomputed, nothing is lost."""
    out = _stopped(tmp_path)
    lines = _lines(out)
    merged = lines[2][: len(lines[2]) // 2] + lines[3]
    (out / "manifest.jsonl").write_text("\n".join(lines[:2] + [merged]) + "\n")
    warnings = []
    o = run_sweep(CFG, out, chunk_size=2, resume=True, progress=False, evaluate=_evaluator(), log=warnings.append)
    assert len(warnings) == 1 and "line 3 is not a whole shard record" in warnings[0]
    assert (o.points_reused, o.points_computed) == (1, 7)
    pd.testing.assert_frame_equal(_table(o.results), uninterrupted, check_exact=True)


@pytest.mark.parametrize("damage", ["torn", "merged", "empty"])
def test_torn_or_missing_header_refuses_the_resume(tmp_path, damage, capsys):
    out = _stopped(tmp_path, shards=2)
    lines = _lines(out)
    text = {"torn": lines[0][:40], "merged": lines[0][:40] + lines[1] + "\n" + lines[2] + "\n", "empty": ""}[damage]
    (out / "manifest.jsonl").write_text(text)
    other = {**CFG, "seed": 5}                                     # a different config must never be mixed in
    for cfg in (CFG, other):
        with pytest.raises(BadInput, match=r"manifest.jsonl .*header|manifest.jsonl the file is empty"):
            run_sweep(cfg, out, resume=True, progress=False, evaluate=_evaluator())
    assert (out / "manifest.jsonl").read_text() == text              # untouched
    # the CLI: one line, exit 2, naming the option and the folder
    from agents.cli import main
    toml = tmp_path / "s.toml"
    toml.write_text(_toml(CFG))
    capsys.readouterr()
    assert main(["sweep", str(toml), "--out", str(out), "--resume", "--no-progress"]) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert len(err) == 1 and "--resume" in err[0] and str(out) in err[0] and "--force" in err[0]
    # --force: the damaged manifest is moved aside (kept), the sweep starts anew and completes
    o = run_sweep(CFG, out, resume=True, force=True, progress=False, evaluate=_evaluator(), log=lambda m: None)
    assert (o.points_total, o.points_computed) == (8, 8)
    aside = list(out.glob("manifest.jsonl.replaced-*"))
    assert len(aside) == 1 and aside[0].read_text() == text


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_missing_or_unreadable_shard_is_recomputed(uninterrupted, tmp_path, damage):
    out = tmp_path / "s"
    run_sweep(CFG, out, chunk_size=3, progress=False, evaluate=_evaluator())
    rec = json.loads(_lines(out)[2])
    shard = out / "shards" / rec["shard"]
    if damage == "delete":
        shard.unlink()
    else:
        shard.write_bytes(shard.read_bytes()[:100])
    warnings = []
    o = run_sweep(CFG, out, resume=True, progress=False, evaluate=_evaluator(), log=warnings.append)
    assert len(warnings) == 1 and rec["shard"] in warnings[0] and ("missing" if damage == "delete" else "unreadable") \
        in warnings[0]
    assert (o.points_computed, o.points_reused) == (len(rec["units"]), 8 - len(rec["units"]))
    pd.testing.assert_frame_equal(_table(o.results), uninterrupted, check_exact=True)


def test_table_unit_count_is_checked(tmp_path, local_ray):
    out = tmp_path / "s"
    run_sweep(CFG, out, chunk_size=3, progress=False, evaluate=_evaluator())
    before = (out / "results.parquet").read_bytes()
    units = expand_units(parse_sweep_config(CFG))
    lost = json.loads(_lines(out)[1])
    (out / "shards" / lost["shard"]).unlink()                        # a shard gone after the run
    with pytest.raises(SweepIncomplete, match=f"{len(lost['units'])} of 8 units have no rows"):
        _assemble(out, units, read_manifest(out))
    # a manifest that forgot a unit's record: also an error, never a shorter table
    out2 = tmp_path / "s2"
    run_sweep(CFG, out2, chunk_size=8, progress=False, evaluate=_evaluator())
    m = read_manifest(out2)
    m.records[0]["units"] = m.records[0]["units"][1:]
    with pytest.raises(SweepIncomplete, match="1 of 8 units"):
        _assemble(out2, units, m)
    assert (out / "results.parquet").read_bytes() == before


def test_deleted_manifest_and_foreign_folders_are_not_overwritten(tmp_path, local_ray, capsys):
    from agents.cli import main
    out = tmp_path / "s"
    run_sweep(CFG, out, progress=False, evaluate=_evaluator())
    results = (out / "results.parquet").read_bytes()
    (out / "manifest.jsonl").unlink()
    for resume in (True, False):
        with pytest.raises(BadInput, match="no manifest.jsonl"):
            run_sweep(CFG, out, resume=resume, progress=False, evaluate=_evaluator())
    assert (out / "results.parquet").read_bytes() == results
    # a folder of someone else's files
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    toml = tmp_path / "s.toml"
    toml.write_text(_toml(CFG))
    capsys.readouterr()
    assert main(["sweep", str(toml), "--out", str(foreign), "--no-progress"]) == 2
    err = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
    assert len(err) == 1 and "--out" in err[0] and "not empty" in err[0] and "--force" in err[0]
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    # --resume into a folder that does not exist: refused, not a silent new sweep
    with pytest.raises(BadInput, match="--resume: .* holds no sweep"):
        run_sweep(CFG, tmp_path / "nothing", resume=True, progress=False, evaluate=_evaluator())
    assert not (tmp_path / "nothing").exists()
    # --force writes into it, and leaves the user's file alone
    o = run_sweep(CFG, foreign, force=True, progress=False, evaluate=_evaluator())
    assert o.points_computed == 8 and (foreign / "notes.txt").read_text() == "keep me"


def test_grid_value_spelling_does_not_change_seed_or_numbers(tmp_path, local_ray):
    """power_dbw = [-10, 0] and [-10.0, 0.0] are the same grid: same unit ids, seeds and table
    (real compare points, seeds entering the drops); repeating a value in two spellings is refused."""
    base = {"S": 2, "K": 2, "drops": 2, "samples": 8, "schemes": ["Sep-MRT"]}
    ints = {"kind": "compare", "seed": 11, "replicates": 1, "base": base, "grid": {"power_dbw": [-10, 0]}}
    floats = {**ints, "grid": {"power_dbw": [-10.0, 0.0]}}
    a, b = expand_units(parse_sweep_config(ints)), expand_units(parse_sweep_config(floats))
    assert [(u.uid, u.seed) for u in a] == [(u.uid, u.seed) for u in b]
    assert len({u.seed for u in a}) == 2                          # the power is in the seed (no crn_axes)
    ta = _table(run_sweep(ints, tmp_path / "a", progress=False).results)
    tb = _table(run_sweep(floats, tmp_path / "b", progress=False).results)
    pd.testing.assert_frame_equal(ta, tb, check_exact=True)
    assert ta["power_dbw"].tolist() == [-10.0, 0.0] and (ta["sum_rate_bps_hz"] > 0).all()
    with pytest.raises(BadInput, match="same point once validated"):
        parse_sweep_config({**ints, "grid": {"power_dbw": [-10, -10.0]}})


def _toml(cfg: dict) -> str:
    lines = [f"{k} = {json.dumps(v)}" for k, v in cfg.items() if not isinstance(v, dict)]
    for table in ("base", "grid"):
        lines.append(f"[{table}]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in cfg[table].items()]
    return "\n".join(lines) + "\n"
