"""The cluster recipe of docs/cluster.md, for real: a Ray head and a worker node started with ``ray start
--block`` as subprocesses on loopback (their own temp dir and ports, token authentication on), a driver
refused without the token, a short episode (``satcoop run --address``) and a small sweep (``satcoop sweep
--address``) whose worker node is SIGKILLed mid-sweep; the tables equal local runs. Both nodes are stopped by
process group (never ``ray stop``, which would end other Ray sessions on the machine).

Marked ``cluster`` (deselected by default): ``pytest -m cluster tests/agents/live/test_cluster.py``.
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.cluster

ROOT = Path(__file__).resolve().parents[3]
RAY = str(Path(sys.executable).parent / "ray")
PORT_OPTIONS = ("--node-manager-port", "--object-manager-port", "--dashboard-agent-listen-port",
                "--dashboard-agent-grpc-port", "--runtime-env-agent-port", "--metrics-export-port")
RUN = ["--duration-s", "2", "--set", "K=4", "--set", 'schemes=["Sep-MMSE","Cen-Opt-WM"]',
       "--set", "faults.model=none", "--json"]
SWEEP = """kind = "compare"
seed = 11
[base]
S = 2
K = 3
drops = 3
samples = 16
max_iter = 20
schemes = ["Sep-MRT", "Cen-Opt-WM"]
[grid]
power_dbw = [-10.0, -5.0, 0.0, 5.0, 10.0, 15.0]
"""


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _node_args(ports: list[int]) -> list[str]:
    out = []
    for opt, port in zip(PORT_OPTIONS, ports):
        out += [opt, str(port)]
    return out


def _stop(proc: subprocess.Popen) -> None:
    """SIGTERM the node's process group, SIGKILL what is left after 15 s."""
    for sig, wait in ((signal.SIGTERM, 15.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        t0 = time.time()
        while time.time() - t0 < wait:
            if not _group_alive(proc.pid):
                proc.wait(timeout=5)
                return
            time.sleep(0.5)


def _group_alive(pgid: int) -> bool:
    out = subprocess.run(["ps", "-eo", "pgid=,stat="], capture_output=True, text=True).stdout.split("\n")
    return any(line.split()[0] == str(pgid) and not line.split()[1].startswith("Z") for line in out if line.strip())


def _satcoop(*argv, env, cwd, timeout=300):
    return subprocess.run([sys.executable, "-m", "agents.cli", *argv], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def cluster():
    root = Path(tempfile.mkdtemp(prefix="sc-ray-", dir="/tmp"))      # short: Ray's socket paths have a limit
    token = root / "token"
    token.write_text(secrets.token_hex(32))
    env = {**os.environ, "RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN_PATH": str(token), "PYTHONPATH": str(ROOT),
           "RAY_USAGE_STATS_ENABLED": "0"}
    gcs, *ports = _free_ports(1 + 2 * len(PORT_OPTIONS))
    half = len(PORT_OPTIONS)
    common = ["--block", "--node-ip-address", "127.0.0.1", "--disable-usage-stats"]
    t0 = time.time()
    head = subprocess.Popen([RAY, "start", "--head", "--port", str(gcs), "--num-cpus", "1", "--temp-dir",
                             str(root / "t"), "--include-dashboard", "false", *common, *_node_args(ports[:half])],
                            env=env, stdout=open(root / "head.log", "w"), stderr=subprocess.STDOUT,
                            start_new_session=True)
    worker = None
    try:
        for _ in range(120):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", gcs)) == 0:
                    break
            time.sleep(0.5)
        worker = subprocess.Popen([RAY, "start", "--address", f"127.0.0.1:{gcs}", "--num-cpus", "2", *common,
                                   *_node_args(ports[half:])], env=env, stdout=open(root / "worker.log", "w"),
                                  stderr=subprocess.STDOUT, start_new_session=True)
        probe = ("import ray; ray.init(address='127.0.0.1:%d', log_to_driver=False); "
                 "print(sum(n['Alive'] for n in ray.nodes()))" % gcs)
        for _ in range(60):
            try:
                out = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True,
                                     timeout=60)
            except subprocess.TimeoutExpired:
                continue
            if out.stdout.strip() == "2":
                break
            time.sleep(1.0)
        else:
            pytest.fail(f"the two-node cluster did not come up: {(root / 'head.log').read_text()[-1500:]} "
                        f"{(root / 'worker.log').read_text()[-1500:]}")
        print(f"cluster up in {time.time() - t0:.1f} s")
        yield {"address": f"127.0.0.1:{gcs}", "env": env, "root": root, "head": head, "worker": worker}
    finally:
        for p in (worker, head):
            if p is not None:
                _stop(p)
        alive = [p.pid for p in (worker, head) if p is not None and _group_alive(p.pid)]
        shutil.rmtree(root, ignore_errors=True)
        assert not alive, f"process groups still alive: {alive}"


def test_a_driver_without_the_token_is_refused_with_one_line(cluster, tmp_path):
    wrong = tmp_path / "wrong-token"
    wrong.write_text(secrets.token_hex(32))
    env = {**cluster["env"], "RAY_AUTH_TOKEN_PATH": str(wrong)}
    t0 = time.perf_counter()
    res = _satcoop("run", "--address", cluster["address"], *RUN, "--out", str(tmp_path / "r"), env=env, cwd=tmp_path)
    took = time.perf_counter() - t0
    err = res.stderr.strip()
    assert res.returncode == 2 and err.count("\n") == 0 and "Traceback" not in err, err
    assert cluster["address"] in err and "token authentication" in err and "RAY_AUTH_TOKEN_PATH" in err
    assert took < 40.0                                                  # ~20 s of Ray's retries, then one line


def test_an_episode_on_the_cluster_equals_the_local_one(cluster, tmp_path):
    env = cluster["env"]
    res = _satcoop("run", "--address", cluster["address"], *RUN, "--out", str(tmp_path / "c"), env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "joined the Ray cluster at" in res.stderr and "2 node(s)" in res.stderr
    loc = _satcoop("run", "--runtime", "local", *RUN, "--out", str(tmp_path / "l"), env=env, cwd=tmp_path)
    assert loc.returncode == 0, loc.stderr
    a, b = json.loads(res.stdout), json.loads(loc.stdout)
    for s in (a, b):
        s["config"] = {k: v for k, v in s["config"].items() if k not in ("runtime", "address")}
    assert a == b
    run = json.loads((tmp_path / "c" / "run.json").read_text())
    assert run["actor_nodes"] and all(n["node_id"] and n["node_ip"] for n in run["actor_nodes"])


def test_a_sweep_survives_its_worker_node_killed(cluster, tmp_path):
    env = cluster["env"]
    (tmp_path / "s.toml").write_text(SWEEP)
    ref = _satcoop("sweep", "s.toml", "--out", "local", "--no-progress", "--json", env=env, cwd=tmp_path)
    assert ref.returncode == 0, ref.stderr
    out = tmp_path / "cl"
    proc = subprocess.Popen([sys.executable, "-m", "agents.cli", "sweep", "s.toml", "--out", str(out),
                             "--address", cluster["address"], "--chunk-size", "1", "--no-progress", "--json"],
                            env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.time()
    while time.time() - t0 < 240:                      # the first shard written: the sweep is under way
        m = out / "manifest.jsonl"
        if m.exists() and sum('"type": "shard"' in x or '"type":"shard"' in x for x in m.read_text().splitlines()):
            break
        if proc.poll() is not None:
            break
        time.sleep(0.2)
    killed_mid = proc.poll() is None
    os.killpg(cluster["worker"].pid, signal.SIGKILL)                  # the worker node dies, SIGKILL
    stdout, stderr = proc.communicate(timeout=600)
    assert killed_mid, "the sweep finished before the worker could be killed"
    assert proc.returncode == 0, stderr
    rec = json.loads(stdout)
    assert rec["points_total"] == 6 and rec["points_failed"] == 0
    drop = ["runtime_s_per_drop"]
    got = pd.read_parquet(out / "results.parquet").drop(columns=drop)
    want = pd.read_parquet(tmp_path / "local" / "results.parquet").drop(columns=drop)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
