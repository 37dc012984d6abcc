"""Joining Ray fails fast and clearly (agents.live.cluster): a malformed or Ray Client address names the
option, an address where nothing listens gives one line within seconds naming it; exit status 2, no traceback.
(The token-refusing cluster is covered by the live-cluster test, tests/agents/live/test_cluster.py.)"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agents.live.cluster import address_problem, check_address
from constellation.checks import BadInput

ROOT = Path(__file__).resolve().parents[3]
SWEEP = """kind = "compare"
seed = 1
[base]
S = 2
K = 2
drops = 1
samples = 4
max_iter = 2
schemes = ["Sep-MRT"]
[grid]
power_dbw = [0.0]
"""


def _cli(*argv, cwd):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("SATCOOP_DEBUG", None)
    # the timeout is a hang guard (before the fix, `run --address 127.0.0.1:1` hung past 120 s), not a
    # timing claim: the unreachable case never starts Ray (a TCP probe, < 1 s on an idle machine)
    return subprocess.run([sys.executable, "-m", "agents.cli", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


@pytest.mark.parametrize("address", ["auto", "127.0.0.1:6379", "head.example:10001", "[::1]:6379"])
def test_good_addresses(address):
    assert address_problem(address) is None and check_address(f" {address} ") == address


@pytest.mark.parametrize("address, word", [("bogus", "HOST:PORT"), ("ray://10.0.0.1:10001", "ray://"),
                                           ("10.0.0.1:0", "HOST:PORT"), ("10.0.0.1:70000", "HOST:PORT"),
                                           ("http://10.0.0.1:6379", "no scheme"), (":6379", "HOST:PORT"),
                                           ("", "HOST:PORT")])
def test_bad_addresses_name_the_option(address, word):
    with pytest.raises(BadInput, match=rf"^--address = {address!r}: .*{word}"):
        check_address(address)


@pytest.mark.parametrize("argv, fragments", [
    (["run", "--address", "bogus"], ["address = 'bogus'", "--address", "HOST:PORT"]),
    (["run", "--address", "ray://127.0.0.1:10001"], ["ray://", "--address", "not supported"]),
    (["run", "--address", "127.0.0.1:1"], ["127.0.0.1:1", "nothing is listening", "ray start --head"]),
    (["sweep", "SWEEP", "--address", "bogus"], ["--address = 'bogus'"]),
    (["sweep", "SWEEP", "--address", "127.0.0.1:1"], ["--address = 127.0.0.1:1", "nothing is listening"]),
])
def test_cli_one_line_exit_2_fast(tmp_path, argv, fragments):
    (tmp_path / "s.toml").write_text(SWEEP)
    argv = [str(tmp_path / "s.toml") if a == "SWEEP" else a for a in argv]
    if argv[0] == "run":
        argv += ["--duration-s", "0.2", "--no-progress", "--out", str(tmp_path / "r")]
    else:
        argv += ["--no-progress", "--out", str(tmp_path / "w")]
    res = _cli(*argv, cwd=tmp_path)
    err = res.stderr.strip()
    assert res.returncode == 2, (res.returncode, err)
    assert err.count("\n") == 0 and "Traceback" not in err, err
    assert all(f in err for f in fragments), err
    assert not (tmp_path / "w").exists()               # the sweep refused the address before any work


def _failing_ray(monkeypatch):
    """Local ``ray.init`` failing the way it does on an overloaded machine: Ray's own noise on fd 2, then
    an exception (the processes did not come up in time)."""
    import ray

    def init(*_a, **_k):
        os.write(2, b"Traceback (most recent call last):\n  File ray/_private/node.py\nraylet died\n")
        raise TimeoutError("Timed out after 30 seconds waiting for the node to start up")

    monkeypatch.setattr(ray, "is_initialized", lambda: False)
    monkeypatch.setattr(ray, "init", init)
    monkeypatch.setattr(ray, "shutdown", lambda: None)


def test_local_ray_that_does_not_start_is_one_line(monkeypatch, capfd):
    from agents.live.cluster import connect
    from constellation.checks import Unavailable

    _failing_ray(monkeypatch)
    with pytest.raises(Unavailable) as info:
        connect(None, num_cpus=1)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("local Ray did not start (TimeoutError: Timed out after 30 seconds")
    assert "--runtime local" in msg
    assert "Traceback" not in capfd.readouterr().err       # Ray's noise was captured, not shown


def test_cli_local_ray_failure_exit_1_not_called_a_bug(monkeypatch, capsys):
    from agents.cli import main

    _failing_ray(monkeypatch)
    monkeypatch.delenv("SATCOOP_DEBUG", raising=False)
    rc = main(["run", "--runtime", "ray", "--duration-s", "1", "--json"])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 1
    assert len(err) == 1 and err[0].startswith("satcoop run: error: local Ray did not start"), err
    assert "bug" not in err[0] and "Traceback" not in err[0]
