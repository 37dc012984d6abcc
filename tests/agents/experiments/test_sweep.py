"""``satcoop sweep``: identity-keyed results whatever the chunking or cluster, resume after a stop,
retries and recorded failures, bad configs rejected before any work (tiny compares on Ray)."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from agents.experiments.sweep import (MEASUREMENT_COLUMNS, SweepInterrupted, expand_units, parse_sweep_config,
                                      run_sweep)

import ray

BASE = {"S": 2, "K": 3, "drops": 2, "samples": 8, "max_iter": 3, "schemes": ["Sep-MRT", "Cen-Opt-WM"]}
CONFIG = {"kind": "compare", "seed": 7, "replicates": 2, "base": BASE, "grid": {"power_dbw": [-5.0, 5.0], "K": [2, 3]}}


def _table(outcome) -> pd.DataFrame:
    """The results table without its wall-time columns (from a SweepOutcome or a parquet path)."""
    t = pd.read_parquet(getattr(outcome, "results", outcome))
    return t.drop(columns=[c for c in MEASUREMENT_COLUMNS if c in t.columns])


@pytest.fixture(scope="module")
def reference(local_ray, tmp_path_factory):
    out = tmp_path_factory.mktemp("ref")
    o = run_sweep(CONFIG, out, chunk_size=8, progress=False)
    return o, _table(o)


def test_table_is_tidy_and_does_not_depend_on_chunk_size(reference, tmp_path):
    ref, table = reference
    assert (ref.points_total, ref.points_computed, ref.points_reused, ref.points_failed) == (8, 8, 0, 0)
    # one row per point x replicate x scheme (x power), sorted by point, replicate, row
    assert len(table) == 4 * 2 * 2
    assert list(table["point"]) == sorted(table["point"])
    assert set(table["scheme"]) == {"Sep-MRT", "Cen-Opt-WM"} and (table["status"] == "ok").all()
    assert (table["sum_rate_bps_hz"] > 0).all()
    # the grid values are columns; K reached the point config (a K=2 point has 2 UTs: M, N unchanged)
    assert set(zip(table["power_dbw"], table["K"])) == {(-5.0, 2), (-5.0, 3), (5.0, 2), (5.0, 3)}
    # replicates differ (different seeds), the same replicate of two points too (seed keyed by the point)
    seeds = table.drop_duplicates("uid")["seed"]
    assert seeds.nunique() == 8
    other = run_sweep(CONFIG, tmp_path / "c1", chunk_size=1, progress=False)
    assert other.chunks == 8
    pd.testing.assert_frame_equal(_table(other), table, check_exact=True)


def test_unit_seed_is_keyed_by_identity_not_position():
    """Reordering or extending the grid leaves every existing unit's seed and id unchanged."""
    a = {u.uid: u.seed for u in expand_units(parse_sweep_config(CONFIG))}
    cfg = json.loads(json.dumps(CONFIG))
    cfg["grid"] = {"K": [3, 2, 4], "power_dbw": [5.0, -5.0]}
    b = {u.uid: u.seed for u in expand_units(parse_sweep_config(cfg))}
    assert len(b) == 12 and all(b[k] == v for k, v in a.items())
    # crn_axes: points that differ only along them share their seed (common random numbers)
    cfg["crn_axes"] = ["power_dbw"]
    units = expand_units(parse_sweep_config(cfg))
    by = {(u.assignment["K"], u.replicate): set() for u in units}
    for u in units:
        by[(u.assignment["K"], u.replicate)].add(u.seed)
    assert all(len(s) == 1 for s in by.values()) and len({next(iter(s)) for s in by.values()}) == 6


def test_stop_then_resume_recomputes_nothing_finished(reference, tmp_path):
    _, table = reference
    out = tmp_path / "stopped"
    with pytest.raises(SweepInterrupted):
        run_sweep(CONFIG, out, chunk_size=1, progress=False, stop_after_shards=3)
    manifest = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()]
    done = {u for r in manifest if r["type"] == "shard" for u in r["units"]}
    assert len(done) >= 3 and not (out / "results.parquet").exists()
    with pytest.raises(ValueError, match="--resume"):          # no silent overwrite of a started sweep
        run_sweep(CONFIG, out, progress=False)
    o = run_sweep(CONFIG, out, chunk_size=1, resume=True, progress=False)
    assert o.points_reused == len(done) and o.points_computed == 8 - len(done)
    new = [json.loads(x) for x in (out / "manifest.jsonl").read_text().splitlines()][len(manifest):]
    assert not done & {u for r in new for u in r["units"]}        # no finished unit recomputed
    pd.testing.assert_frame_equal(_table(o), table, check_exact=True)
    again = run_sweep(CONFIG, out, resume=True, progress=False)   # nothing left: all reused
    assert (again.points_computed, again.points_reused) == (0, 8)
    # a different campaign in the same folder is refused
    other = json.loads(json.dumps(CONFIG))
    other["seed"] = 8
    with pytest.raises(ValueError, match="different sweep"):
        run_sweep(other, out, resume=True, progress=False)


def test_failing_task_is_retried_then_recorded_as_failed(local_ray, tmp_path):
    log = tmp_path / "attempts"
    log.mkdir()

    def evaluate(kind, config):
        p = config["power_dbw"][0]
        with open(log / f"{p:g}-{config['seed']}", "a") as f:
            f.write("x")
        n = len((log / f"{p:g}-{config['seed']}").read_text())
        if p == 5.0:
            raise RuntimeError(f"boom at {p} dBW")
        if p == 0.0 and n == 1:
            raise RuntimeError("transient")                      # fails once, then succeeds
        return [{"scheme": "X", "power_dbw": p, "sum_rate_bps_hz": 1.0 + p}]

    cfg = {"kind": "compare", "seed": 1, "replicates": 1, "max_retries": 2, "base": BASE,
           "grid": {"power_dbw": [-5.0, 0.0, 5.0]}}
    o = run_sweep(cfg, tmp_path / "out", chunk_size=3, progress=False, evaluate=evaluate)
    t = pd.read_parquet(o.results)
    assert (o.points_total, o.points_failed, o.points_computed) == (3, 1, 2)
    bad = t[t["status"] == "failed"]
    assert len(bad) == 1 and "boom at 5.0 dBW" in bad["error"].iloc[0] and "RuntimeError" in bad["error"].iloc[0]
    ok = t[t["status"] == "ok"].set_index("power_dbw")["sum_rate_bps_hz"]
    assert ok.to_dict() == {-5.0: -4.0, 0.0: 1.0}
    attempts = {f.name.split("-")[0]: len(f.read_text()) for f in log.iterdir()}
    assert attempts["0"] == 2                                  # the transient failure was retried once
    assert attempts["5"] == 1 + 1 + 2                          # chunk, then alone with 2 Ray retries
    # resume retries the failed unit only
    o2 = run_sweep(cfg, tmp_path / "out", resume=True, progress=False, evaluate=evaluate)
    assert (o2.points_reused, o2.points_computed, o2.points_failed) == (2, 0, 1)


@pytest.mark.parametrize("mutate, match", [
    (lambda c: c.update(bogus=1), "bogus = 1: unknown field; allowed here: base"),
    (lambda c: c.update(grid={}), "empty grid"),
    (lambda c: c["grid"].update(power_dbw=[]), "power_dbw"),
    (lambda c: c["grid"].update(nope=[1, 2]), "grid.nope: unknown field"),
    (lambda c: c["base"].update(Q=3), "base.Q = 3: unknown field; allowed here: K, S"),
    (lambda c: c["grid"].update(power_dbw=[0, "loud"]), "power_dbw"),
    (lambda c: c["base"].update(drops=0), "base.drops = 0: Input should be greater"),
    (lambda c: c.update(replicates="many"), "replicates = 'many': Input should be a valid integer"),
    (lambda c: c.update(kind="train"), "kind = 'train': Input should be 'compare' or 'run'"),
    (lambda c: c["grid"].update(schemes=["Sep-MRT", "Bogus"]), "Bogus"),
])
def test_bad_config_fails_before_any_work(mutate, match, tmp_path):
    from agents.cli import main
    cfg = json.loads(json.dumps(CONFIG))
    mutate(cfg)
    with pytest.raises(ValueError, match=match):
        run_sweep(cfg, tmp_path / "never", progress=False)
    assert not (tmp_path / "never").exists()
    # the CLI: one line naming the field, exit status 2, no traceback, no folder
    toml = tmp_path / "bad.toml"
    toml.write_text(_to_toml(cfg))
    assert main(["sweep", str(toml), "--out", str(tmp_path / "never2"), "--no-progress"]) == 2
    assert not (tmp_path / "never2").exists()


def _to_toml(cfg: dict) -> str:
    def val(v):
        return json.dumps(v)
    lines = [f"{k} = {val(v)}" for k, v in cfg.items() if not isinstance(v, dict)]
    for table in ("base", "grid"):
        if table in cfg:
            lines.append(f"[{table}]")
            lines += [f"{k} = {val(v)}" for k, v in cfg[table].items()]
    return "\n".join(lines) + "\n"


def test_cli_json(reference, tmp_path, capsys):
    from agents.cli import main
    cfg = {"kind": "compare", "seed": 7, "replicates": 1, "base": {**BASE, "schemes": ["Sep-MRT"]},
           "grid": {"power_dbw": [0.0]}}
    toml = tmp_path / "s.toml"
    toml.write_text(_to_toml(cfg))
    assert main(["sweep", str(toml), "--out", str(tmp_path / "o"), "--json", "--no-progress"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec == {"points_total": 1, "points_computed": 1, "points_reused": 0, "points_failed": 0,
                   "results": str(tmp_path / "o" / "results.parquet")}
    assert len(pd.read_parquet(rec["results"])) == 1


@pytest.mark.slow
def test_two_node_cluster_gives_the_same_table(reference, tmp_path):
    """An in-process two-node Ray cluster computes the table of the one-node run, bit for bit."""
    from ray.cluster_utils import Cluster
    _, table = reference
    ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1})
    try:
        cluster.add_node(num_cpus=1)
        # the CLI joins the running cluster with --address
        from agents.cli import main
        toml = tmp_path / "s.toml"
        toml.write_text(_to_toml(CONFIG))
        assert main(["sweep", str(toml), "--out", str(tmp_path / "cli"), "--address", cluster.address,
                     "--chunk-size", "3", "--no-progress", "--json"]) == 0
        pd.testing.assert_frame_equal(_table(tmp_path / "cli" / "results.parquet"), table, check_exact=True)
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False)
        nodes = [n for n in ray.nodes() if n["Alive"]]
        assert len(nodes) == 2
        o = run_sweep(CONFIG, tmp_path / "cluster", chunk_size=2, progress=False)
        pd.testing.assert_frame_equal(_table(o), table, check_exact=True)
    finally:
        ray.shutdown()
        cluster.shutdown()


_DRIVER = r'''
import sys, time
from agents.experiments.sweep import run_sweep
import ray

def evaluate(kind, config):
    time.sleep(0.3)
    return [{"scheme": "X", "power_dbw": config["power_dbw"][0], "sum_rate_bps_hz": config["seed"] % 1000 / 7}]

ray.init(address="local", num_cpus=1, include_dashboard=False, log_to_driver=False)
run_sweep({"kind": "compare", "seed": 5, "replicates": 12, "base": {"S": 1, "K": 1, "drops": 1},
           "grid": {"power_dbw": [0.0]}}, sys.argv[1], chunk_size=1, progress=False, evaluate=evaluate)
'''


@pytest.mark.slow
def test_killed_driver_then_resume(local_ray, tmp_path):
    """SIGKILL the driver process (its whole process group) once two shards are on disk; resume."""
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "killed"
    script = tmp_path / "driver.py"
    script.write_text(_DRIVER)
    proc = subprocess.Popen([sys.executable, str(script), str(out)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while time.time() < deadline:
            m = out / "manifest.jsonl"
            if m.exists() and m.read_text().count('"type": "shard"') >= 2:
                break
            assert proc.poll() is None, "the driver ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("no shard written within 120 s")
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = {u for line in (out / "manifest.jsonl").read_text().splitlines() if '"shard"' in line
            for u in json.loads(line)["units"]}
    assert 2 <= len(done) < 12 and not (out / "results.parquet").exists()

    def evaluate(kind, config):
        return [{"scheme": "X", "power_dbw": config["power_dbw"][0], "sum_rate_bps_hz": config["seed"] % 1000 / 7}]

    cfg = {"kind": "compare", "seed": 5, "replicates": 12, "base": {"S": 1, "K": 1, "drops": 1},
           "grid": {"power_dbw": [0.0]}}
    o = run_sweep(cfg, out, resume=True, progress=False, evaluate=evaluate)
    assert o.points_reused == len(done) and o.points_computed == 12 - len(done)
    fresh = run_sweep(cfg, tmp_path / "fresh", progress=False, evaluate=evaluate)
    pd.testing.assert_frame_equal(_table(o), _table(fresh), check_exact=True)


@pytest.mark.slow
def test_run_kind_sweeps_live_episodes(local_ray, tmp_path):
    """kind = "run": one tidy row per episode x scheme; points paired on one world by crn_axes, so
    the separate scheme (nothing crosses the ISLs) gets the same rate with and without ISL faults."""
    cfg = {"kind": "run", "seed": 3, "replicates": 1, "crn_axes": ["faults.outage_prob"],
           "base": {"duration_s": 0.6, "tick_s": 0.2, "schemes": ["Sep-MMSE", "Cen-Opt-WM"]},
           "grid": {"faults.outage_prob": [0.0, 0.5]}}
    o = run_sweep(cfg, tmp_path / "run", progress=False)
    t = pd.read_parquet(o.results)
    assert (o.points_total, o.points_failed) == (2, 0) and len(t) == 4 and (t["status"] == "ok").all()
    assert list(t["scheme"]) == ["Sep-MMSE", "Cen-Opt-WM"] * 2 and (t["sum_rate_mean_bps_hz"] > 0).all()
    sep = t[t["scheme"] == "Sep-MMSE"]["sum_rate_mean_bps_hz"].to_numpy()
    assert sep[0] == sep[1]
    assert "events_election" in t.columns                     # the episode's events, counted by type
    # queueing delay and link utilisation per scheme: the centralized lane's reports and bundles put
    # more bits on its busiest link than the shared SSI the separate scheme is charged with
    for c in ("isl_queue_mean_s", "isl_queue_max_s", "isl_util_max", "isl_util_mean"):
        assert c in t.columns
    first = t[t["faults.outage_prob"] == 0.0].set_index("scheme")
    assert 0 < first.isl_util_max["Sep-MMSE"] < first.isl_util_max["Cen-Opt-WM"] < 1
    assert (first.isl_queue_mean_s >= 0).all()
    # a bad live field is named before any work
    with pytest.raises(ValueError, match="outage_prob"):
        run_sweep({**cfg, "grid": {"faults.outage_prob": [0.0, 2.0]}}, tmp_path / "never", progress=False)
    assert not (tmp_path / "never").exists()


def test_extending_a_finished_sweep_computes_only_the_new_units(local_ray, tmp_path):
    def evaluate(kind, config):
        return [{"scheme": "X", "power_dbw": config["power_dbw"][0], "sum_rate_bps_hz": config["seed"] % 997}]

    cfg = {"kind": "compare", "seed": 2, "replicates": 2, "base": {"S": 1, "K": 1, "drops": 1},
           "grid": {"power_dbw": [0.0, 5.0]}}
    first = run_sweep(cfg, tmp_path / "o", progress=False, evaluate=evaluate)
    bigger = {**cfg, "replicates": 3, "grid": {"power_dbw": [-5.0, 0.0, 5.0]}}
    o = run_sweep(bigger, tmp_path / "o", resume=True, progress=False, evaluate=evaluate)
    assert (o.points_total, o.points_reused, o.points_computed) == (9, 4, 5)
    t, t0 = _table(o), _table(first)
    old = t[t["uid"].isin(t0["uid"])].sort_values("uid").reset_index(drop=True)
    before = t0.sort_values("uid").reset_index(drop=True)
    pd.testing.assert_frame_equal(old.drop(columns=["point"]), before.drop(columns=["point"]), check_exact=True)
    fresh = run_sweep(bigger, tmp_path / "fresh", progress=False, evaluate=evaluate)
    pd.testing.assert_frame_equal(t, _table(fresh), check_exact=True)


def test_run_sweep_key_writes_out_the_default_live_set():
    """A run sweep that names no schemes (or "default" / "all") is keyed by the scheme list that means today,
    so a resume after the default live set changed (e.g. Cen-Opt-ER left it) is refused, not mixed."""
    from agents.experiments.sweep import campaign_key
    from agents.schemes import resolve

    def key(base):
        return campaign_key(parse_sweep_config({"kind": "run", "seed": 3, "base": {"duration_s": 0.4, **base},
                                                "grid": {"power_dbw": [0.0]}}))

    implicit = key({})
    assert implicit == key({"schemes": "default"}) == key({"schemes": resolve("default")})
    assert key({"schemes": "all"}) == key({"schemes": resolve("all")}) != implicit
    assert "Cen-Opt-ER" in resolve("all") and "Cen-Opt-ER" not in resolve("default")
