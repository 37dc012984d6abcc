"""A sweep's exit status and failed units: a user error in a unit (BadInput) is recorded once, never
retried; other errors are retried; the CLI exits 3 with one line per failed unit on stderr and
parseable --json on stdout; the base config (schemes, element-set files, weights) is checked on the
driver before Ray starts."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from agents.experiments.sweep import parse_sweep_config, run_sweep
from constellation.checks import BadInput

BASE = {"S": 2, "K": 3, "drops": 1, "samples": 8, "max_iter": 3, "schemes": ["Sep-MRT"]}


def test_user_error_is_not_retried_a_crash_is(local_ray, tmp_path):
    log = tmp_path / "attempts"
    log.mkdir()

    def evaluate(kind, config):
        p = config["power_dbw"][0]
        with open(log / f"{p:g}", "a") as f:
            f.write("x")
        if p == 1.0:
            raise BadInput("S = 60: only 21 satellites are visible\n(the world refuses this config)")
        if p == 2.0:
            raise RuntimeError("crash")
        return [{"scheme": "X", "power_dbw": p, "sum_rate_bps_hz": 1.0}]

    cfg = {"kind": "compare", "seed": 1, "replicates": 1, "max_retries": 2, "base": BASE,
           "grid": {"power_dbw": [0.0, 1.0, 2.0]}}
    o = run_sweep(cfg, tmp_path / "out", chunk_size=3, progress=False, evaluate=evaluate)
    assert (o.points_total, o.points_computed, o.points_failed) == (3, 1, 2)
    attempts = {f.name: len(f.read_text()) for f in log.iterdir()}
    assert attempts == {"0": 1, "1": 1, "2": 1 + 1 + 2}        # BadInput once; the crash: chunk + alone + 2 retries
    err = pd.read_parquet(o.results).set_index("power_dbw")["error"]
    assert err[1.0] == "BadInput: (the world refuses this config)"       # the error's last line, no traceback
    assert err[2.0] == "RuntimeError: crash"


def test_cli_exit_status_3_failures_on_stderr_json_on_stdout(tmp_path, capsys, monkeypatch):
    """The CLI maps an outcome with failed units to exit 3, one stderr line per failed unit."""
    import agents.experiments.sweep as sweep_mod
    from agents.cli import main

    def fake(config, out, **kw):
        table = pd.DataFrame([{"uid": "a-r0", "status": "failed", "error": "BadInput: S = 60: too few"},
                              {"uid": "b-r0", "status": "ok", "error": None}])
        return sweep_mod.SweepOutcome(points_total=2, points_computed=1, points_reused=0, points_failed=1,
                                      results=str(tmp_path / "r.parquet"), table=table)

    monkeypatch.setattr(sweep_mod, "run_sweep", fake)
    toml = tmp_path / "s.toml"
    toml.write_text('kind = "compare"\nseed = 1\n[base]\nS = 2\nK = 2\ndrops = 1\n[grid]\npower_dbw = [0.0]\n')
    assert main(["sweep", str(toml), "--out", str(tmp_path / "o"), "--json", "--no-progress"]) == 3
    cap = capsys.readouterr()
    assert json.loads(cap.out)["points_failed"] == 1
    assert cap.err.strip().splitlines() == ["satcoop sweep: failed a-r0: BadInput: S = 60: too few"]


def _run_base(**extra):
    return {"kind": "run", "seed": 0, "base": {"duration_s": 1.0, "runtime": "local", **extra},
            "grid": {"power_dbw": [0.0]}}


def test_base_checked_before_ray(tmp_path):
    with pytest.raises(BadInput, match=r"base\.schemes = 'Nope': not a registered scheme"):
        parse_sweep_config(_run_base(schemes=["Nope"]))
    garbage = tmp_path / "garbage.tle"
    garbage.write_text("this is not\na two-line element set\n")
    with pytest.raises(BadInput, match=r"base\.constellation: .*garbage\.tle"):
        parse_sweep_config(_run_base(constellation={"walker": None, "tle": [str(garbage)]}))
    bad_pt = tmp_path / "best.pt"
    bad_pt.write_bytes(b"\x80\x04not a torch file")
    with pytest.raises(BadInput, match=r"weights.*best\.pt.*not a satcoop weights file"):
        parse_sweep_config(_run_base(scheme_options={"Cen-TFC-WM": {"weights": str(bad_pt)}}))
    with pytest.raises(BadInput, match=r"weights .*best\.pt"):
        parse_sweep_config({"kind": "compare", "seed": 0, "base": {**BASE, "weights": [str(bad_pt)]},
                            "grid": {"power_dbw": [0.0]}})


def test_cli_bad_base_exits_2_without_a_folder(tmp_path, capsys):
    from agents.cli import main
    toml = tmp_path / "s.toml"
    toml.write_text('kind = "run"\nseed = 0\n[base]\nschemes = ["Nope"]\n[grid]\npower_dbw = [0.0]\n')
    assert main(["sweep", str(toml), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Nope" in err and not (tmp_path / "o").exists()
