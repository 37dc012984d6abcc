"""`satcoop run`: --json prints summary.json (the issue's schema), the run folder, bad input exit 2."""
from __future__ import annotations

import json
import subprocess
import sys

from agents.cli import main
from agents.live.results import SUMMARY_FIELDS


def test_run_json_prints_summary(tmp_path, capsys):
    out = tmp_path / "r"
    rc = main(["run", "--runtime", "local", "--duration-s", "0.3", "--seed", "3", "--out", str(out), "--json",
               "--set", "K=4", "--set", 'schemes=["Sep-MRT","Cen-Opt-WM"]', "--set", "faults.model=none"])
    assert rc == 0
    s = json.loads(capsys.readouterr().out)
    assert set(s) == {"schemes", "events", "config", "constellation", "warnings", "complete", "simulated_s"}
    assert s["complete"] is True
    assert [tuple(r) for r in s["schemes"]] == [SUMMARY_FIELDS] * 2
    assert s["config"]["seed"] == 3 and s["config"]["K"] == 4 and s["config"]["duration_s"] == 0.3
    # the constellation's provenance (in every JSON): the default Walker 28 x 60, nothing dropped
    prov = s["constellation"]
    assert prov["kind"] == "walker" and prov["satellites"] == 1680 and prov["files"] == []
    assert set(prov["dropped"]) >= {"duplicates", "decayed", "failed"} and not any(prov["dropped"].values())
    assert json.loads((out / "summary.json").read_text()) == s


def test_run_table_and_bad_input(tmp_path, capsys):
    rc = main(["run", "--runtime", "local", "--duration-s", "0.2", "--out", str(tmp_path / "t"), "--set", "K=4",
               "--set", 'schemes=["Sep-MRT"]'])
    text = capsys.readouterr().out
    assert rc == 0 and "Sep-MRT" in text and "run folder" in text
    for argv, fragment in ((["--set", "S=0"], "S = 0"), (["--runtime", "mpi"], "runtime = 'mpi'"),
                           (["--set", "faults.model=sometimes"], "faults.model = 'sometimes'"),
                           (["--set", 'schemes=["Nope"]'], "schemes = 'Nope': not a registered scheme")):
        assert main(["run", "--out", str(tmp_path / "x"), *argv]) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and fragment in err, err


def test_help_lists_run():
    out = subprocess.run([sys.executable, "-m", "agents.cli", "run", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "--runtime" in out.stdout and "--set FIELD=VALUE" in out.stdout


def test_unwritable_out_fails_before_any_work(tmp_path, capsys, monkeypatch):
    """--out under a file or in /proc: exit 2 with one line naming --out, and the episode never starts."""
    import agents.live.episode as episode
    import agents.live.runtime as runtime

    def boom(*a, **k):
        raise AssertionError("the episode started before --out was checked")

    monkeypatch.setattr(episode, "Episode", boom)
    monkeypatch.setattr(runtime, "make_runtime", boom)
    f = tmp_path / "FILE"
    f.write_text("")
    for out in (str(f / "sub"), "/proc/satcoop-x"):
        assert main(["run", "--runtime", "local", "--out", out, "--set", 'schemes=["Sep-MRT"]']) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and "--out" in err and out in err, err
