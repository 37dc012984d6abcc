"""`satcoop train` and the learned schemes in `satcoop compare` (--weights, training-seed warning)."""
from __future__ import annotations

import json

import pytest

from agents.cli import main


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SATCOOP_CACHE", str(tmp_path / "cache"))
    return tmp_path


@pytest.mark.slow
def test_train_cli_writes_weights_metrics_curve(cache, capsys):
    out = cache / "run"
    rc = main(["train", "--arch", "cen", "--S", "2", "--K", "3", "--drops", "10", "--epochs", "1", "--batch", "7",
               "--samples", "8", "--out", str(out), "--no-progress"])
    assert rc == 0
    assert "best validation WSR" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs_run"] == 1 and metrics["data"]["seed"] == 2026 and metrics["train_config"]["S"] == 2
    assert (out / "best.pt").exists() and (out / "checkpoint.pt").exists() and (out / "curve.png").exists()


@pytest.mark.parametrize("argv,needle", [
    (["--arch", "cen", "--batch", "0"], "batch"),
    (["--arch", "dec", "--max-minutes", "-1"], "--max-minutes"),
    (["--arch", "cen", "--resume", "--out", "{tmp}/fresh"], "resume"),
    (["--arch", "cen", "--hidden", "0"], "--hidden = 0: Input should be greater than or equal to 1"),
    (["--arch", "cen", "--schedule", "cosine", "--lr-min", "1"], "--lr-min = 1.0: must be in [0, lr = 0.001]"),
    (["--arch", "cen", "--extra-train-drops", "-3"], "--extra-train-drops = -3: Input should be greater than or equal to 0"),
    (["--arch", "cen", "--init", "{tmp}/none.pt"], ": no weights file there"),
])
def test_train_cli_bad_input_is_one_line(cache, capsys, argv, needle):
    argv = [a.replace("{tmp}", str(cache)) for a in argv]
    if "--out" not in argv:             # should a case ever be accepted, it trains into tmp, never into runs/
        argv += ["--out", str(cache / "out"), "--epochs", "1", "--drops", "10"]
    assert main(["train", *argv, "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0]


def test_compare_weights_override_and_training_seed_warning(capsys, tmp_path):
    from agents.nets.schemes import shipped_metadata, shipped_weights
    seed = shipped_metadata("cen")["data"]["seed"]
    rc = main(["compare", "--schemes", "Cen-TFC-WM", "--drops", "1", "--power-dbw", "0", "--samples", "16",
               "--seed", str(seed), "--weights", str(shipped_weights("cen")), "--no-progress", "--json"])
    assert rc == 0
    cap = capsys.readouterr()
    assert "training data" in cap.err and "Cen-TFC-WM" in cap.err
    rec = json.loads(cap.out)
    assert rec["config"]["weights"] == [str(shipped_weights("cen"))] and rec["results"][0]["sum_rate_bps_hz"] > 0
    assert main(["compare", "--schemes", "Cen-TFC-WM", "--drops", "1", "--power-dbw", "0", "--samples", "16",
                 "--seed", str(seed + 1), "--no-progress", "--json"]) == 0
    assert "training data" not in capsys.readouterr().err
    assert main(["compare", "--weights", str(tmp_path / "missing" / "file.pt"), "--drops", "1"]) == 2
    assert "--weights" in capsys.readouterr().err
