"""Cut-short commands are marked: SIGINT / SIGTERM during `run` (local and Ray), `sweep` and `train` stop
cleanly -- exit 128 + signal, one line saying what was kept, no process of the command's session left
(Ray's raylet, GCS and workers included) -- and leave a folder that says it is partial (PARTIAL, summary.json
"complete": false with the simulated time reached); a resumed sweep / training finishes and drops the marker."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _session(sid: int) -> list[str]:
    """The live processes of session ``sid`` (zombies are dead: left out)."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[3]) == sid and fields[0] != "Z":
            out.append(f"{d} {stat[stat.index('(') + 1:stat.rindex(')')]}")
    return out


def _start(argv, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), SATCOOP_CACHE=str(tmp_path / "cache"))
    env.pop("SATCOOP_DEBUG", None)
    return subprocess.Popen([sys.executable, "-m", "agents.cli", *argv], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _interrupt(proc, ready, signum, settle_s: float, timeout_s: float = 150.0):
    """Wait until ``ready()`` (the command is at work), ``settle_s`` more, send ``signum``, then wait for
    the exit; returns (rc, stderr); asserts that no process of its session survives it."""
    t0 = time.monotonic()
    while not ready():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() - t0 < timeout_s, "the command never got to work"
        time.sleep(0.2)
    time.sleep(settle_s)
    assert proc.poll() is None, "the command finished before the signal: make it longer"
    os.kill(proc.pid, signum)
    try:
        _, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    left = _session(proc.pid)
    for _ in range(50):                        # Ray's processes go within a few seconds of shutdown
        if not left:
            break
        time.sleep(0.2)
        left = _session(proc.pid)
    if left:
        os.killpg(proc.pid, signal.SIGKILL)
    assert not left, f"orphaned processes: {left}"
    return proc.returncode, err


def _one_line(err: str, *fragments):
    lines = [ln for ln in err.splitlines() if ln.startswith("satcoop ")]
    assert "Traceback" not in err, err
    assert len(lines) == 1 and all(f in lines[0] for f in fragments), err
    return lines[0]


@pytest.mark.parametrize("runtime, signum", [("local", signal.SIGINT), ("local", signal.SIGTERM),
                                             ("ray", signal.SIGINT)])
def test_run_cut_short_keeps_the_ticks_and_is_marked_partial(tmp_path, runtime, signum):
    out = tmp_path / "r"
    proc = _start(["run", "--runtime", runtime, "--duration-s", "600", "--out", str(out), "--no-progress",
                   "--set", "K=4", "--set", 'schemes=["Sep-MRT","Cen-Opt-WM"]', "--set", "ray.num_cpus=2"], tmp_path)
    rc, err = _interrupt(proc, lambda: (out / "PARTIAL").exists(), signum, 3.0)
    assert rc == 128 + signum, err
    _one_line(err, "interrupted", signal.Signals(signum).name, "cut short", str(out))
    s = json.loads((out / "summary.json").read_text())
    assert s["complete"] is False and 0 < s["simulated_s"] < 600
    assert json.loads((out / "run.json").read_text())["complete"] is False
    assert "cut short" in (out / "PARTIAL").read_text()
    import pandas as pd
    steps = pd.read_parquet(out / "steps.parquet")          # every tick computed is kept, none beyond
    assert steps["tick"].nunique() == round(s["simulated_s"] / s["config"]["tick_s"])
    assert sorted(steps["scheme"].unique()) == ["Cen-Opt-WM", "Sep-MRT"]
    if runtime == "local" and signum == signal.SIGINT:      # `view` flags the partial run, shows what was reached
        view = subprocess.run([sys.executable, "-m", "agents.cli", "view", str(out)], capture_output=True, text=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
        assert view.returncode == 0, view.stderr
        assert f"warning: partial run: cut short at {s['simulated_s']:g} of 600 s" in view.stdout


def test_view_refuses_a_folder_left_by_a_killed_run(tmp_path, capsys):
    """A folder still marked PARTIAL whose run.json does not say "complete": false (a run killed while writing,
    or a forced rerun killed over an old run's files): `view` refuses it with one line."""
    from agents.cli import main

    out = tmp_path / "r"
    assert main(["run", "--runtime", "local", "--duration-s", "0.2", "--out", str(out), "--no-progress", "--json",
                 "--set", "K=2", "--set", 'schemes=["Sep-MRT"]']) == 0
    capsys.readouterr()
    (out / "PARTIAL").write_text("satcoop run: started\n")
    assert main(["view", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "PARTIAL" in err and "RUN_DIR" in err, err


SWEEP = """kind = "compare"
seed = 0
replicates = 6
chunk_size = 1
[base]
S = 2
K = 4
drops = 3
schemes = ["Sep-MRT", "Cen-Opt-WM"]
[grid]
power_dbw = [-10, 0, 10, 20]
"""


def test_sweep_cut_short_keeps_its_shards_and_resumes(tmp_path):
    cfg = tmp_path / "s.toml"
    cfg.write_text(SWEEP)
    out = tmp_path / "s"
    proc = _start(["sweep", str(cfg), "--out", str(out), "--no-progress"], tmp_path)
    shards = lambda: len(list((out / "shards").glob("*.parquet"))) if (out / "shards").is_dir() else 0  # noqa: E731
    rc, err = _interrupt(proc, lambda: shards() >= 1, signal.SIGINT, 0.5)
    assert rc == 130, err
    _one_line(err, "interrupted (SIGINT)", "units kept", "--resume")
    assert (out / "PARTIAL").exists() and not (out / "results.parquet").exists()
    kept = shards()
    assert 1 <= kept < 24
    # the rest, resumed in-process with a cheap stand-in for the units left (the reuse is what is checked)
    from agents.experiments.sweep import load_sweep_config, run_sweep
    o = run_sweep(load_sweep_config(cfg), out, resume=True, progress=False, num_cpus=1, log=lambda m: None,
                  evaluate=lambda kind, c: [{"scheme": "X", "sum_rate_bps_hz": 1.0}])
    assert o.points_total == 24 and o.points_reused == kept and o.points_computed == 24 - kept
    assert not (out / "PARTIAL").exists() and (out / "results.parquet").is_file()


def test_train_cut_short_resumes_from_its_last_checkpoint(tmp_path):
    out = tmp_path / "t"
    argv = ["train", "--arch", "cen", "--S", "2", "--K", "2", "--drops", "100", "--epochs", "50", "--batch", "2",
            "--samples", "2", "--hidden", "4", "--features", "4", "--layers", "1", "--no-progress", "--out", str(out)]
    proc = _start(argv, tmp_path)
    rc, err = _interrupt(proc, lambda: (out / "checkpoint.pt").exists(), signal.SIGTERM, 0.5)
    assert rc == 143, err
    _one_line(err, "interrupted (SIGTERM)", "checkpoint.pt holds epoch", "--resume")
    m = json.loads((out / "metrics.json").read_text())
    assert m["stopped"] == "interrupted" and (out / "PARTIAL").exists()
    done = m["epochs_run"]
    assert done >= 1
    more = [a if a != "50" else str(done + 1) for a in argv]           # one more epoch
    res = subprocess.run([sys.executable, "-m", "agents.cli", *more, "--resume"], cwd=tmp_path, capture_output=True,
                         text=True, env=dict(os.environ, PYTHONPATH=str(ROOT), SATCOOP_CACHE=str(tmp_path / "cache")))
    assert res.returncode == 0, res.stderr
    assert f"resumed from epoch {done}" in res.stderr
    m = json.loads((out / "metrics.json").read_text())
    assert m["stopped"] == "epochs" and m["epochs_run"] == done + 1 and not (out / "PARTIAL").exists()
