"""No silent overwrite: `run` into a finished (or cut-short) run folder, `train` into a training folder
without --resume, and either into a non-empty folder that is not satcoop's, are refused with one line
naming --out (exit 2, nothing in the folder touched) unless --force."""
from __future__ import annotations

import pytest

from agents.cli import main

RUN = ["run", "--runtime", "local", "--duration-s", "0.2", "--no-progress", "--set", "K=2",
       "--set", 'schemes=["Sep-MRT"]', "--set", "faults.model=none"]
TRAIN = ["train", "--arch", "cen", "--S", "2", "--K", "2", "--drops", "10", "--epochs", "1", "--batch", "4",
         "--samples", "2", "--hidden", "4", "--features", "4", "--layers", "1", "--no-progress"]


def _snapshot(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _refused(capsys, argv, *fragments):
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err and "--out" in err, err
    for f in fragments:
        assert f in err, err
    return err


def test_run_refuses_a_finished_run_and_a_foreign_folder_unless_forced(tmp_path, capsys):
    out = tmp_path / "r"
    assert main([*RUN, "--out", str(out)]) == 0
    capsys.readouterr()
    assert (out / "run.json").is_file() and not (out / "PARTIAL").exists()
    before = _snapshot(out)
    _refused(capsys, [*RUN, "--out", str(out)], "finished run", "--force")
    assert _snapshot(out) == before
    (out / "PARTIAL").write_text("cut short\n")
    _refused(capsys, [*RUN, "--out", str(out)], "cut short")
    assert main([*RUN, "--out", str(out), "--force", "--seed", "9"]) == 0
    assert not (out / "PARTIAL").exists() and _snapshot(out)["config.json"] != before["config.json"]

    foreign = tmp_path / "thesis"
    foreign.mkdir()
    (foreign / "chapter1.tex").write_text("\\chapter{}")
    _refused(capsys, [*RUN, "--out", str(foreign)], "holds no satcoop run")
    assert sorted(p.name for p in foreign.iterdir()) == ["chapter1.tex"]


@pytest.mark.parametrize("planted", ["metrics.json", "best.pt", "checkpoint.pt", "notes.txt"])
def test_train_refuses_a_training_folder_without_resume_and_a_foreign_one(tmp_path, capsys, monkeypatch, planted):
    monkeypatch.setenv("SATCOOP_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "t"
    out.mkdir()
    (out / planted).write_bytes(b"keep me")
    err = _refused(capsys, [*TRAIN, "--out", str(out)], "--force")
    if planted != "notes.txt":
        assert "--resume" in err and planted in err
    else:
        assert "holds no satcoop training run" in err
    assert _snapshot(out) == {planted: b"keep me"}


def test_train_force_replaces_a_finished_run(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SATCOOP_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "t"
    assert main([*TRAIN, "--out", str(out)]) == 0
    capsys.readouterr()                                     # the epoch log lines
    assert not (out / "PARTIAL").exists()
    _refused(capsys, [*TRAIN, "--out", str(out)], "finished training run")
    assert main([*TRAIN, "--out", str(out), "--force", "--seed", "4"]) == 0
    import json
    assert json.loads((out / "metrics.json").read_text())["train_config"]["seed"] == 4


@pytest.mark.parametrize("cmd", ["run", "train", "sweep"])
def test_out_at_a_file_below_a_file_in_proc_or_empty(tmp_path, capsys, cmd):
    f = tmp_path / "FILE"
    f.write_text("x")
    sweep = tmp_path / "s.toml"
    sweep.write_text('kind = "compare"\n[base]\nS = 1\nK = 1\ndrops = 1\n[grid]\npower_dbw = [0]\n')
    head = {"run": RUN, "train": TRAIN, "sweep": ["sweep", str(sweep), "--no-progress"]}[cmd]
    for out in (str(f), str(f / "sub"), "/proc/satcoop-x", ""):
        _refused(capsys, [*head, "--out", out])
    assert f.read_text() == "x"
