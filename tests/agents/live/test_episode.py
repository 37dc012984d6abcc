"""A tiny live episode on the local runtime: the summary schema, the run folder, determinism."""
from __future__ import annotations

import json

import pandas as pd

from agents.live.results import SUMMARY_FIELDS
from agents.experiments.run import run_episode

from .conftest import tiny


def test_tiny_episode_outputs(tmp_path):
    res = run_episode(tiny(), out_dir=tmp_path / "run", progress=False)
    s = res.summary
    assert set(s) == {"schemes", "events", "config", "constellation", "warnings", "complete", "simulated_s"}
    assert s["complete"] is True
    assert [r["scheme"] for r in s["schemes"]] == ["Sep-MMSE", "Cen-Opt-WM"]
    for r in s["schemes"]:
        assert tuple(r) == SUMMARY_FIELDS
        assert r["sum_rate_mean_bps_hz"] > 0
    # separate schemes send nothing of their own; the centralized lane's reports + bundles are counted
    sep, cen = s["schemes"]
    assert cen["isl_payload_bits_per_update"] > sep["isl_payload_bits_per_update"] > 0
    for name in ("config.json", "steps.parquet", "messages.parquet", "faults.parquet", "events.json",
                 "summary.json", "computes.parquet", "sum_rate.png", "overhead.png"):
        assert (tmp_path / "run" / name).is_file(), name
    assert json.loads((tmp_path / "run" / "summary.json").read_text()) == json.loads(json.dumps(s))
    steps = pd.read_parquet(tmp_path / "run" / "steps.parquet")
    assert len(steps) == 15 * 2 and set(steps["scheme"]) == {"Sep-MMSE", "Cen-Opt-WM"}
    msgs = pd.read_parquet(tmp_path / "run" / "messages.parquet")
    assert {"type", "src", "dst", "sent_s", "delivered_s", "payload_bits", "link_bits", "hops", "lost"} <= set(msgs)
    assert set(msgs["type"]) == {"SSI", "SCSIReport", "PrecoderBundle"}
    # the first election is logged
    assert any(e["type"] == "election" for e in s["events"])


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = run_episode(tiny(duration_s=1.0), progress=False).summary
    b = run_episode(tiny(duration_s=1.0), progress=False).summary
    c = run_episode(tiny(duration_s=1.0, seed=1), progress=False).summary
    assert a == b
    assert a["schemes"][0]["sum_rate_mean_bps_hz"] != c["schemes"][0]["sum_rate_mean_bps_hz"]


def test_missed_share_ignores_the_update_cut_short_by_the_end():
    """1.5 s with updates every second: update 1 has only half its period, so only update 0 is judged
    (3 satellites x 1 update); at 2.0 s both are complete (3 x 2)."""
    from agents.live.episode import Episode
    from agents.live.runtime import LocalRuntime

    from .conftest import tiny

    for duration, judged in ((1.5, 3), (2.0, 6)):
        rt = LocalRuntime()
        ep = Episode(tiny(duration_s=duration, schemes=["Sep-MRT"]), rt)
        ep.run()
        rt.close()
        assert ep.missed["Sep-MRT"] == [0, judged]


def test_progress_bar_shows_simulated_time_and_sum_rate(capsys, monkeypatch):
    """The bar's postfix names the simulated time and every scheme's current sum rate (the issue's
    progress bar: simulated time, rate), the numbers of the step rows of that tick."""
    from agents.experiments.run import progress_text, run_episode

    from .conftest import tiny

    monkeypatch.setenv("COLUMNS", "250")             # a wide terminal: the whole postfix fits
    res = run_episode(tiny(duration_s=0.3, schemes=["Sep-MRT", "Sep-MMSE"]), progress=True)
    err = capsys.readouterr().err
    last = res.steps[res.steps["tick"] == 2].set_index("scheme")["sum_rate_bps_hz"]
    want = f"t=0.2 s, sum rate [bit/s/Hz] Sep-MRT {last['Sep-MRT']:.1f} Sep-MMSE {last['Sep-MMSE']:.1f}"
    assert want in err and ", ," not in err
    assert progress_text([], 0, 0.0, 1.5) == "t=0.0 s, sum rate [bit/s/Hz] -, 1.50 sim-s/wall-s"


def test_progress_text_fits_the_terminal_and_has_no_empty_fields():
    from agents.experiments.run import progress_text
    rows = [{"tick": 4, "scheme": f"Scheme-{i}", "sum_rate_bps_hz": 10.0 + i} for i in range(7)]
    full = progress_text(rows, 4, 0.4, 2.0)
    assert full.startswith("t=0.4 s, sum rate [bit/s/Hz] Scheme-0 10.0 ") and full.endswith("Scheme-6 16.0, 2.00 sim-s/wall-s")
    for width in (200, 90, 60, 40):
        text = progress_text(rows, 4, 0.4, 2.0, width=width)
        assert len(text) <= width and ", ," not in text
    assert progress_text(rows, 4, 0.4, 2.0, width=len(full)) == full
    assert "..." in progress_text(rows, 4, 0.4, 2.0, width=90)


def test_cli_progress_only_on_a_terminal(monkeypatch):
    """Non-tty stderr implies --no-progress (logs and pipes get no bar redraws)."""
    import io
    import sys

    from agents.cli.common import progress_wanted

    class Tty(io.StringIO):
        def isatty(self):
            return True

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert not progress_wanted(True)
    monkeypatch.setattr(sys, "stderr", Tty())
    assert progress_wanted(True) and not progress_wanted(False)


def test_the_default_episodes_handover_reuses_the_leaving_agents_hosts():
    """The default episode hands its whole set of S = 3 over at 13 s: with the default ray.idle_actors_max
    (3 >= S) the three hosts that empty are kept and reused, so no host (on Ray: an actor process importing
    torch) is started after the first tick. The same placement code runs on both runtimes."""
    from agents.config.run import RunConfig

    cfg = RunConfig.load(None, ["runtime=local", "duration_s=14", 'schemes=["Sep-MRT"]'])
    assert cfg.ray.idle_actors_max >= cfg.S
    res = run_episode(cfg, progress=False)
    assert [e["t_s"] for e in res.summary["events"] if e["type"] == "handover"] == [13.0]
    stats = res.info["runtime_stats"]
    assert (stats["hosts_created"], stats["hosts_reused"], stats["hosts_released"]) == (3, 3, 0)
    # two idle hosts kept (the old default): the third joining agent needs a new host
    old = run_episode(RunConfig.load(None, ["runtime=local", "duration_s=14", 'schemes=["Sep-MRT"]',
                                           "ray.idle_actors_max=2"]), progress=False)
    assert old.info["runtime_stats"]["hosts_created"] == 4
