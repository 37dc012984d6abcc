"""Writes into a user's folders never go through a symlink planted there (run, train, sweep): every file
is created under a fresh name (O_EXCL | O_NOFOLLOW) and renamed onto its own, so a target stays as it was."""
from __future__ import annotations

import os

import pytest

from agents import files

PRECIOUS = b"a colleague's file: must survive\n"


def _plant(folder, names, tmp_path):
    """A symlink at each of ``names`` in ``folder``, each to its own target file; returns the targets."""
    folder.mkdir(parents=True, exist_ok=True)
    targets = {}
    for name in names:
        t = tmp_path / f"target-{name.strip('.')}"
        t.write_bytes(PRECIOUS)
        os.symlink(t, folder / name)
        targets[name] = t
    return targets


def _unchanged(targets):
    for name, t in targets.items():
        assert t.read_bytes() == PRECIOUS, f"{name}: written through the symlink"


def test_atomic_write_replaces_a_symlink_and_leaves_its_target(tmp_path):
    targets = _plant(tmp_path / "out", ["a.json"], tmp_path)
    files.write_json(tmp_path / "out" / "a.json", {"x": 1})
    _unchanged(targets)
    p = tmp_path / "out" / "a.json"
    assert not p.is_symlink() and p.read_text() == '{\n  "x": 1\n}\n'
    assert sorted(os.listdir(tmp_path / "out")) == ["a.json"]          # no temporary file left


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    p = tmp_path / "f.bin"
    p.write_bytes(b"old")

    def boom(f):
        f.write(b"half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        files.write_with(p, boom)
    assert p.read_bytes() == b"old" and os.listdir(tmp_path) == ["f.bin"]


def test_probe_and_partial_marker(tmp_path):
    targets = _plant(tmp_path / "out", [".satcoop-write-probe", "PARTIAL"], tmp_path)
    files.probe_folder(tmp_path / "out")
    files.mark_partial(tmp_path / "out", "started")
    assert files.is_partial(tmp_path / "out")
    files.mark_complete(tmp_path / "out")
    assert not files.is_partial(tmp_path / "out")
    _unchanged(targets)
    with pytest.raises(OSError):
        files.probe_folder("/proc/satcoop-nowhere")


RUN_FILES = ["summary.json", "run.json", "config.json", "events.json", "steps.parquet", "messages.parquet",
             "sum_rate.png", "overhead.png", "view.html", ".satcoop-write-probe"]


def test_run_never_writes_through_symlinks(tmp_path, capsys):
    from agents.cli import main

    out = tmp_path / "run"
    targets = _plant(out, RUN_FILES, tmp_path)
    rc = main(["run", "--runtime", "local", "--duration-s", "0.2", "--out", str(out), "--force", "--json", "--view",
               "--set", "K=2", "--set", 'schemes=["Sep-MRT"]', "--set", "faults.model=none"])
    assert rc == 0, capsys.readouterr().err
    _unchanged(targets)
    for name in RUN_FILES[:-1]:
        assert (out / name).is_file() and not (out / name).is_symlink(), name


def test_train_never_writes_through_symlinks(tmp_path, monkeypatch):
    from agents.config import TrainConfig
    from agents.experiments.train import train

    monkeypatch.setenv("SATCOOP_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "train"
    names = ["checkpoint.tmp", "checkpoint.pt", "metrics.json", "best.pt", "curve.png"]
    targets = _plant(out, names, tmp_path)
    cfg = TrainConfig(arch="cen", S=2, K=2, drops=10, epochs=1, batch=4, samples=2, val_samples=2, d_hidden=4,
                      features=4, layers=1, seed=1, data_seed=5)
    train(cfg, out, progress=False, log=lambda m: None, force=True)
    _unchanged(targets)
    for name in names[1:]:
        assert (out / name).is_file() and not (out / name).is_symlink(), name


def test_sweep_never_writes_through_symlinks(tmp_path, local_ray):
    from agents.experiments.sweep import run_sweep

    cfg = {"kind": "compare", "seed": 1, "replicates": 1, "base": {"S": 1, "K": 1, "drops": 1},
           "grid": {"power_dbw": [0.0, 5.0]}}
    ev = lambda kind, c: [{"scheme": "X", "sum_rate_bps_hz": float(c["seed"] % 97)}]   # noqa: E731
    out = tmp_path / "sweep"
    targets = _plant(out, ["results.parquet.tmp", "results.parquet", "PARTIAL"], tmp_path)
    run_sweep(cfg, out, chunk_size=1, progress=False, evaluate=ev, force=True, log=lambda m: None)
    _unchanged(targets)
    assert (out / "results.parquet").is_file() and not (out / "results.parquet").is_symlink()
