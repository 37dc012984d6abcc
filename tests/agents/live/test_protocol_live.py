"""Failover (re-election when the central is cut off) and several service regions on one fabric."""
from __future__ import annotations

from agents.experiments.run import run_episode

from .conftest import tiny

CUT = {"model": "scheduled", "scheduled": [{"start_s": 1.0, "end_s": 6.0, "target": "central"}]}


def _mean(steps, scheme, t0, t1):
    st = steps[(steps["scheme"] == scheme) & (steps["t_s"] >= t0) & (steps["t_s"] < t1)]
    return float(st["sum_rate_bps_hz"].mean())


def test_failover_reelects_and_recovers_rate():
    common = dict(duration_s=5.0, schemes=["Cen-Opt-WM"], faults=CUT, scheme_options={"Cen-Opt-WM": {"max_iter": 20}})
    stay = run_episode(tiny(**common), progress=False)
    move = run_episode(tiny(centralized={"failover": "reelect", "failover_timeout_s": 1.0}, **common), progress=False)
    el = [e for e in move.summary["events"] if e["type"] == "election"]
    assert len(el) == 2 and el[1]["t_s"] == 2.0 and "failover" in el[1]["detail"]
    assert el[1]["central"] != el[0]["central"]
    assert len([e for e in stay.summary["events"] if e["type"] == "election"]) == 1
    # after the failover the two members still connected cooperate again: a higher rate than waiting
    assert _mean(move.steps, "Cen-Opt-WM", 3.0, 5.0) > _mean(stay.steps, "Cen-Opt-WM", 3.0, 5.0)


def test_two_regions_share_one_fabric():
    res = run_episode(tiny(duration_s=0.5, region={"count": 2}), progress=False)
    st = res.steps
    assert set(st["region"]) == {0, 1}
    assert all(len(x) == 3 for x in st["sat_ids"])
    el = [e for e in res.summary["events"] if e["type"] == "election"]
    assert sorted(e["region"] for e in el) == [0, 1]
    assert set(res.messages["region"]) == {0, 1}
    # region 0 is the same drop whether or not region 1 exists (identity-keyed draws)
    one = run_episode(tiny(duration_s=0.5), progress=False)
    first = lambda steps: list(steps[steps["region"] == 0]["sat_ids"].iloc[0])  # noqa: E731
    assert first(one.steps) == first(st)


def test_episode_on_element_sets_from_a_tle_file(tmp_path):
    """The constellation from a TLE file (the Walker pattern written out): the episode runs on it and
    records where it came from."""
    import json

    from constellation.ephemeris import Constellation

    path = tmp_path / "walker.tle"
    path.write_text(Constellation.walker().to_tle())
    res = run_episode(tiny(duration_s=0.3, constellation={"tle": [str(path)]}, faults={"model": "iid"}),
                      out_dir=tmp_path / "run", progress=False)
    prov = json.loads((tmp_path / "run" / "run.json").read_text())["constellation"]
    assert prov["kind"] == "tle" and prov["satellites"] == 1680
    assert res.summary["config"]["constellation"]["tle"] == [str(path)]
    assert (res.steps[res.steps["tick"] > 0]["sum_rate_bps_hz"] > 0).all()
