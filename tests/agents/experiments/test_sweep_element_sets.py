"""Element-set files in a sweep (issue 16 item 7): a relative path in the base is resolved against the
config file's folder before any work, its SHA-256 is in the manifest and the campaign key, and the
content travels through Ray's object store: the units read the shipped copy, never the driver's path,
on a two-node ``ray.cluster_utils.Cluster``, and give the table of a local in-process evaluation."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import ray

from agents.config.element_files import cache_dir, pack, unpack
from agents.experiments.sweep import MEASUREMENT_COLUMNS, campaign_key, evaluate_point, expand_units, \
    load_sweep_config, run_sweep

SWEEP = """kind = "compare"
seed = 3
[base]
S = 2
K = 2
drops = 1
samples = 8
max_iter = 3
schemes = ["Sep-MRT", "Sep-MMSE"]
[base.constellation]
tle = ["elements/mini.tle"]
[grid]
power_dbw = [0.0, 10.0]
"""


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """A sweep folder with a relative element-set path (next to it) and a synthetic TLE file."""
    from constellation.synthetic import synthetic_catalog
    from constellation.walker import WalkerDelta
    root = tmp_path_factory.mktemp("campaign")
    (root / "elements").mkdir()
    syn = synthetic_catalog([WalkerDelta(total=360, planes=12, phasing=1, altitude_km=600.0, inclination_deg=53.0)],
                            np.random.default_rng(5))
    (root / "elements" / "mini.tle").write_text(syn.to_tle())
    (root / "s.toml").write_text(SWEEP)
    return root


def _evaluate_shipped(kind, config):
    """On the worker: the unit must read the shipped copy (this node's cache), not the driver's file."""
    from agents.config.element_files import cache_dir as worker_cache
    path = config["constellation"]["tle"][0]
    assert path.startswith(str(worker_cache())) and "elements" not in path, path
    return evaluate_point(kind, config)


def _table(path):
    t = pd.read_parquet(path)
    return t.drop(columns=[c for c in MEASUREMENT_COLUMNS + ("uid", "point_id") if c in t.columns])


def test_relative_path_resolved_against_the_config_folder(campaign, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                        # another working directory
    cfg = load_sweep_config(campaign / "s.toml")
    tle = campaign / "elements" / "mini.tle"
    assert cfg.base["constellation"]["tle"] == [str(tle)]
    units = expand_units(cfg)
    assert all(u.config["constellation"]["tle"] == [str(tle)] for u in units)
    # the campaign key follows the content: another file content at the same path -> another key
    key = campaign_key(cfg)
    before = tle.read_bytes()
    try:
        tle.write_bytes(before.replace(b"\n", b"\r\n", 1))
        assert campaign_key(cfg) != key
    finally:
        tle.write_bytes(before)
    assert campaign_key(cfg) == key


def test_unpack_writes_a_checked_local_copy(campaign, tmp_path):
    tle = str(campaign / "elements" / "mini.tle")
    spec = {"tle": [tle], "omm": []}
    blobs = pack(spec)
    sha = hashlib.sha256((campaign / "elements" / "mini.tle").read_bytes()).hexdigest()
    assert blobs == {tle: (sha, (campaign / "elements" / "mini.tle").read_bytes())}
    assert unpack(spec, blobs)["tle"] == [tle]                          # present here: the user's file
    got = unpack(spec, blobs, prefer_local=False)["tle"][0]
    assert got == str(cache_dir() / sha / "mini.tle")
    assert hashlib.sha256(open(got, "rb").read()).hexdigest() == sha
    with pytest.raises(RuntimeError, match="SHA-256"):
        unpack(spec, {tle: (sha, b"tampered")}, prefer_local=False)


@pytest.mark.slow
def test_two_node_cluster_reads_the_shipped_file(campaign, tmp_path, monkeypatch):
    from ray.cluster_utils import Cluster
    monkeypatch.chdir(tmp_path)
    cfg = load_sweep_config(campaign / "s.toml")
    local = [r for u in expand_units(cfg) for r in evaluate_point("compare", u.config)]   # in-process, the file
    ray.shutdown()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0})      # no work on the head
    try:
        cluster.add_node(num_cpus=1)
        cluster.add_node(num_cpus=1)
        # the workers import this test module (_evaluate_shipped): the repo root on their path
        ray.init(address=cluster.address, include_dashboard=False, log_to_driver=False,
                 runtime_env={"env_vars": {"PYTHONPATH": str(Path(__file__).resolve().parents[3])}})
        o = run_sweep(cfg, tmp_path / "out", chunk_size=1, progress=False, evaluate=_evaluate_shipped)
    finally:
        ray.shutdown()
        cluster.shutdown()
    assert (o.points_total, o.points_failed) == (2, 0), o.table["error"].dropna().unique().tolist()
    t = pd.read_parquet(o.results)
    got = t.sort_values(["power_dbw", "scheme"])["sum_rate_bps_hz"].to_numpy()
    want = pd.DataFrame(local).sort_values(["power_dbw", "scheme"])["sum_rate_bps_hz"].to_numpy()
    np.testing.assert_array_equal(got, want)
    header = json.loads((tmp_path / "out" / "manifest.jsonl").read_text().splitlines()[0])
    tle = str(campaign / "elements" / "mini.tle")
    assert header["element_sets"] == {tle: hashlib.sha256(open(tle, "rb").read()).hexdigest()}


def test_live_recipe_carries_the_files(campaign, tmp_path):
    """A live run's constellation recipe (what every agent actor rebuilds its constellation from) holds the
    element-set content: an actor on a node without the file builds the same constellation."""
    import pickle
    import shutil

    from agents.config.run import RunConfig
    from agents.live.world import build_constellation, constellation_recipe
    src = tmp_path / "only-here.tle"
    shutil.copy(campaign / "elements" / "mini.tle", src)
    cfg = RunConfig.load(None, [f"constellation.tle={json.dumps([str(src)])}"])
    recipe = pickle.loads(pickle.dumps(constellation_recipe(cfg)))
    here, prov = build_constellation(recipe)
    assert prov["files"][0]["name"] == str(src)                      # on the driver: the user's file
    src.unlink()                                                      # a node without the file
    there, prov2 = build_constellation(recipe)
    assert prov2["files"][0]["sha256"] == prov["files"][0]["sha256"] and there.n == here.n
    np.testing.assert_array_equal(there.norad_id, here.norad_id)
