"""The data the episode page embeds (agents/view/data.py) against the run folder's own tables and against
independent computations: times and rates equal steps.parquet, ISL rates add up to summary.json, positions
equal a scalar SGP4 propagation (sgp4's Satrec.sgp4 + skyfield's TEME_to_ITRF, not the project's vectorised
ephemeris), link states equal faults.parquet read with pandas, routes chain from source to destination over
links that were up, and the replayed routes reproduce every message's fate in messages.parquet."""
from __future__ import annotations

import json
import math
import re
import shutil
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sgp4.api import Satrec, jday
from skyfield.api import load
from skyfield.sgp4lib import TEME_to_ITRF

from agents import cli
from agents.view.data import MSG_STATUS, ViewOptions, build_view_data, unpack
from constellation.checks import BadInput
from constellation.ground import EARTH_MEAN_RADIUS_M


@pytest.fixture(scope="module")
def default_view(default_run):
    return build_view_data(default_run)


@pytest.fixture(scope="module")
def faulty_view(faulty_run):
    return build_view_data(faulty_run)


def _itrs_km(sat: Satrec, epoch: datetime, t_s: float) -> np.ndarray:
    """ITRS position (km) of ``sat`` at ``epoch + t_s`` (UTC, SGP4's count of seconds): one scalar SGP4 call
    and skyfield's TEME -> ITRF rotation (GMST1982 of UT1, no polar motion, as the project's convention)."""
    when = epoch + timedelta(seconds=t_s)
    jd, fr = jday(when.year, when.month, when.day, when.hour, when.minute, when.second + when.microsecond * 1e-6)
    err, r, v = sat.sgp4(jd, fr)
    assert err == 0
    t = load.timescale(builtin=True).from_datetime(when)
    r_itrf, _ = TEME_to_ITRF(t.whole, np.array(r), np.array(v), 0.0, 0.0, t.ut1_fraction)
    return np.asarray(r_itrf)


def _epoch(view) -> datetime:
    return datetime.fromisoformat(view.meta["epoch_utc"])


# ---------------------------------------------------------------- times, rates, ages, roles

def test_times_rates_and_ages_equal_steps_table(default_run, default_view):
    v = default_view
    steps = pd.read_parquet(default_run / "steps.parquet")
    n_ticks = steps["tick"].nunique()
    assert n_ticks == 40
    assert np.allclose(v.frames_t_s, np.linspace(0.0, 4.0, 5))               # 1 s frames over [0, T]
    reg = v.regions[0]
    assert reg.plot_bin_ticks == 1
    assert np.allclose(reg.plot_t_s, np.sort(steps["t_s"].unique()))
    assert list(reg.sum_rate) == list(steps["scheme"].unique())              # every scheme, in the run's order
    for s, st in steps.groupby("scheme"):
        st = st.sort_values("tick")
        assert np.array_equal(reg.sum_rate[s], st["sum_rate_bps_hz"].to_numpy())
        for ids, ages, tick in zip(st["sat_ids"], st["precoder_age_s"], st["tick"]):
            for sat, age in zip(ids, ages):
                got = reg.age[s][int(sat)][tick]
                assert (math.isnan(got) and math.isnan(age)) or got == age
    # members and central over time
    for ids, t in zip(steps[steps["scheme"] == steps["scheme"].iloc[0]]["sat_ids"], steps["t_s"].unique()):
        current = [m for m in reg.members if m[0] <= t + 1e-9][-1][1]
        assert current == list(ids)
    events = json.loads((default_run / "events.json").read_text())
    assert reg.centrals == [[e["t_s"], e["central"]] for e in events if e["type"] == "election"]
    # outage shading: exactly the ticks where an ISL fault touched the cooperating set
    down = steps.groupby("tick")["member_link_down"].any().to_numpy()
    t = np.arange(n_ticks) * 0.1
    shaded = np.zeros(n_ticks, bool)
    for a, b in reg.outages:
        shaded |= (t >= a - 1e-9) & (t < b - 1e-9)
    assert np.array_equal(shaded, down)


def test_isl_bits_per_second_add_up_to_summary(default_run, default_view):
    """Bits per second over update-period bins, weighted by bin length, give summary.json's isl_bits_per_s
    (link bits over the episode / duration, computed when the run ended)."""
    reg = default_view.regions[0]
    summary = json.loads((default_run / "summary.json").read_text())
    duration = default_view.meta["duration_s"]
    lengths = np.minimum(reg.isl_t_s + reg.isl_width_s, duration) - reg.isl_t_s
    for row in summary["schemes"]:
        total = float(np.sum(reg.isl_bits_per_s[row["scheme"]] * lengths)) / duration
        assert total == pytest.approx(row["isl_bits_per_s"], rel=1e-12)
    assert reg.isl_width_s == 1.0


def test_decimated_series_are_block_means(default_run):
    v = build_view_data(default_run, ViewOptions(plot_points_max=7, frames_max=3, frame_step_min_s=0.5))
    steps = pd.read_parquet(default_run / "steps.parquet")
    reg = v.regions[0]
    assert reg.plot_bin_ticks == 6                                           # ceil(40 / 7)
    assert len(v.frames_t_s) == 4 and np.allclose(np.diff(v.frames_t_s), 4.0 / 3)   # step max(0.5, 4 / 3)
    for s, st in steps.groupby("scheme"):
        rate = st.sort_values("tick")["sum_rate_bps_hz"].to_numpy()
        blocks = [rate[i:i + 6].mean() for i in range(0, 40, 6)]
        assert np.allclose(reg.sum_rate[s], blocks, rtol=1e-13, atol=0)
    assert np.allclose(reg.plot_t_s, np.arange(0, 40, 6) * 0.1)


# ---------------------------------------------------------------- positions

def test_positions_equal_an_independent_sgp4_propagation(default_view):
    from constellation.ephemeris import Constellation
    v = default_view
    sats = Constellation.walker().satrecs                     # the default Walker's element sets
    epoch, t0 = _epoch(v), v.meta["t0_s"]
    members = v.regions[0].members[0][1]
    pick = list(members) + [int(v.sat_ids[0]), int(v.sat_ids[len(v.sat_ids) // 2]), int(v.sat_ids[-1])]
    idx = np.searchsorted(v.sat_ids, pick)
    assert np.array_equal(v.sat_ids[idx], pick)
    for f in (0, len(v.frames_t_s) - 1):
        for sat, i in zip(pick, idx):
            want = _itrs_km(sats[sat], epoch, t0 + v.frames_t_s[f])
            assert np.linalg.norm(v.positions_km[f, i] - want) < 5e-3      # 5 m (float32 km storage)
    # the satellites moved between the first and the last frame (LEO speed relative to the ground)
    moved = np.linalg.norm(v.positions_km[-1] - v.positions_km[0], axis=1) / 4.0
    assert np.all((moved > 5.0) & (moved < 8.0))                              # km/s


def test_positions_for_an_element_set_file(tle_run, tle_file):
    v = build_view_data(tle_run)
    assert v.meta["constellation"]["kind"] == "tle"
    lines = tle_file.read_text().splitlines()
    newest = {}
    for k in range(len(lines) - 1):
        if lines[k].startswith("1 ") and lines[k + 1].startswith("2 "):
            sat = Satrec.twoline2rv(lines[k], lines[k + 1])
            old = newest.get(sat.satnum)
            if old is None or sat.jdsatepoch + sat.jdsatepochF > old.jdsatepoch + old.jdsatepochF:
                newest[sat.satnum] = sat
    epoch, t0 = _epoch(v), v.meta["t0_s"]
    norad = np.asarray(v.sats["norad"])
    checked = 0
    for i in np.linspace(0, len(v.sat_ids) - 1, 6).astype(int):
        want = _itrs_km(newest[int(norad[i])], epoch, t0 + v.frames_t_s[-1])
        assert np.linalg.norm(v.positions_km[-1, i] - want) < 5e-3
        checked += 1
    assert checked == 6 and len(v.regions[0].members[0][1]) == 3


def test_element_set_file_missing_is_one_line(tle_run, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(tle_run, run)
    cfg = json.loads((run / "config.json").read_text())
    gone = str(tmp_path / "gone.tle")
    cfg["constellation"]["tle"] = [gone]
    (run / "config.json").write_text(json.dumps(cfg))
    with pytest.raises(BadInput, match=re.escape(gone) + ": no such file"):
        build_view_data(run)
    assert cli.main(["view", str(run)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("satcoop view: error: RUN_DIR = ") and "gone.tle" in err


def test_not_a_run_folder_is_one_line(tmp_path, capsys):
    assert cli.main(["view", str(tmp_path / "nothing")]) == 2
    assert "no such directory" in capsys.readouterr().err
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "config.json").write_text("{}")
    assert cli.main(["view", str(tmp_path / "half")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "missing run.json, steps.parquet" in err
    assert cli.main(["view", str(tmp_path / "half"), "--horizon-deg", "95"]) == 2
    assert "--horizon-deg must be a real number in [-90, 90] deg, got 95.0" in capsys.readouterr().err


# ---------------------------------------------------------------- links, messages, routes (as the page gets them)

def _decoded(view):
    j = json.loads(json.dumps(view.to_json()))                # exactly what the page parses
    out = {k: unpack(j[k]) for k in ("links", "link_up", "link_faults", "sat_faults", "positions_km", "frames_t_s")}
    out["msg"] = {k: (unpack(x) if isinstance(x, dict) else x) for k, x in j["messages"].items()}
    out["hop"] = {k: unpack(x) for k, x in j["hops"].items()}
    out["ids"] = np.asarray(j["sats"]["ids"])
    return out


def _down_in_table(faults: pd.DataFrame, u, v, t) -> np.ndarray:
    """Down at t per faults.parquet, read directly: a link row (u, v) or a satellite row of either end."""
    u, v = np.minimum(u, v), np.maximum(u, v)
    live = (faults["t_start_s"] <= t) & (t < faults["t_end_s"])
    f = faults[live]
    links = set(zip(f.loc[f["v"] >= 0, "u"], f.loc[f["v"] >= 0, "v"]))
    sats = set(f.loc[f["v"] < 0, "u"])
    return np.array([(a, b) in links or a in sats or b in sats for a, b in zip(u.tolist(), v.tolist())])


def test_link_states_equal_the_fault_table(faulty_run, faulty_view):
    d = _decoded(faulty_view)
    faults = pd.read_parquet(faulty_run / "faults.parquet")
    ends = d["ids"][d["links"].reshape(-1, 2)]
    nl = len(ends)
    lf = d["link_faults"].reshape(-1, 3)
    sf = d["sat_faults"].reshape(-1, 3)
    rng = np.random.default_rng(0)
    n_down = 0
    for t in np.concatenate([d["frames_t_s"], rng.uniform(0.0, 3.0, 12)]):
        emb = np.zeros(nl, bool)
        live = (lf[:, 1] <= t) & (t < lf[:, 2])
        emb[lf[live, 0].astype(int)] = True
        dead = set(sf[(sf[:, 1] <= t) & (t < sf[:, 2]), 0].astype(int).tolist())
        local = d["links"].reshape(-1, 2)
        emb |= np.array([a in dead or b in dead for a, b in local.tolist()], bool)
        want = _down_in_table(faults, ends[:, 0], ends[:, 1], t)
        assert np.array_equal(emb, want)
        n_down += int(want.sum())
    assert n_down > 0                                             # the fixture has outages on drawn links
    # geometric state: an up link is no longer than the grazing range of its two ends (80 km grazing height)
    from network.topology import grazing_range_m
    pos = d["positions_km"].reshape(len(d["frames_t_s"]), -1, 3) * 1e3
    up = d["link_up"].reshape(len(d["frames_t_s"]), nl).astype(bool)
    a, b = d["links"].reshape(-1, 2).T
    for f in range(len(d["frames_t_s"])):
        length = np.linalg.norm(pos[f, a] - pos[f, b], axis=1)
        reach = grazing_range_m(np.linalg.norm(pos[f, a], axis=1), np.linalg.norm(pos[f, b], axis=1))
        assert np.all(length[up[f]] <= reach[up[f]])


def test_messages_and_routes_equal_the_message_table(faulty_run, faulty_view):
    d = _decoded(faulty_view)
    m, h, ids = d["msg"], d["hop"], d["ids"]
    table = pd.read_parquet(faulty_run / "messages.parquet").sort_values("msg_id")
    faults = pd.read_parquet(faulty_run / "faults.parquet")
    assert faulty_view.meta["decimation"]["route_replay_matched"] == len(table)   # every fate reproduced
    assert np.array_equal(m["msg_id"], table["msg_id"])
    assert np.array_equal(ids[m["src"]], table["src"]) and np.array_equal(ids[m["dst"]], table["dst"])
    assert np.array_equal(m["sent_s"], table["sent_s"])
    assert np.allclose(m["end_s"], table["end_s"], rtol=0, atol=0, equal_nan=True)
    assert [MSG_STATUS[s] for s in m["status"]] == table["status"].tolist()
    assert [m["types"][k] for k in m["type"]] == table["type"].tolist()
    assert np.array_equal(m["link_bits"], table["link_bits"])
    assert (table["status"] == "lost").sum() > 0 and (table["reroutes"] > 0).sum() > 0   # the fixture is faulty
    link_set = set(map(tuple, ids[d["links"].reshape(-1, 2)].tolist()))
    for i, row in enumerate(table.itertuples(index=False)):
        s, n = m["hop_start"][i], m["hop_count"][i]
        assert n == row.hops_attempted
        if n == 0:
            continue
        u, v = ids[h["u"][s:s + n]], ids[h["v"][s:s + n]]
        dep, arr, ok = h["t_depart_s"][s:s + n], h["t_arrive_s"][s:s + n], h["ok"][s:s + n].astype(bool)
        assert u[0] == row.src and dep[0] >= row.sent_s - 1e-12
        assert all((min(a, b), max(a, b)) in link_set for a, b in zip(u, v))
        # consecutive hops chain (a failed hop leaves the message at its start node, where it is re-routed)
        for k in range(n - 1):
            assert u[k + 1] == (v[k] if ok[k] else u[k]) and dep[k + 1] >= arr[k] - 1e-12
        if row.status == "delivered":                     # each failed hop was followed by one re-route
            assert v[-1] == row.dst and ok[-1] and arr[-1] == pytest.approx(row.end_s, abs=1e-12)
            assert (~ok).sum() == row.reroutes
        else:                                             # lost in flight (or no route after its last re-route)
            assert not ok[-1]
        # every hop was sent on a link up at its departure in the fault table, and a failed hop's link went
        # down (or an end died) at some instant of its transmission window
        for k in range(n):
            window = faults[(faults["t_start_s"] < arr[k]) & (faults["t_end_s"] > dep[k])
                            & (faults["t_end_s"] > faults["t_start_s"])]      # zero-length rows take nothing down
            a, b = min(u[k], v[k]), max(u[k], v[k])
            hit = ((window["u"] == a) & (window["v"] == b)) | ((window["v"] < 0) & window["u"].isin([a, b]))
            assert bool(hit.any()) == (not ok[k])


def test_two_regions(faulty_run, faulty_view):
    run = json.loads((faulty_run / "run.json").read_text())
    steps = pd.read_parquet(faulty_run / "steps.parquet")
    assert len(faulty_view.regions) == 2
    for reg, rec in zip(faulty_view.regions, run["regions"]):
        assert (reg.center_lat_deg, reg.center_lon_deg) == (rec["center_lat_deg"], rec["center_lon_deg"])
        st = steps[(steps["region"] == reg.index) & (steps["scheme"] == "Cen-Opt-WM")].sort_values("tick")
        assert np.array_equal(reg.sum_rate["Cen-Opt-WM"], st["sum_rate_bps_hz"].to_numpy())
        assert reg.members[0][1] == list(st["sat_ids"].iloc[0])
        assert reg.ut_lat_deg.shape == (len(faulty_view.frames_t_s), 6)
        # the UTs stay inside their region (800 km) and walk 5 km/h (haversine between the first and last frame)
        la, lo = np.radians(reg.ut_lat_deg), np.radians(reg.ut_lon_deg)
        la0, lo0 = math.radians(reg.center_lat_deg), math.radians(reg.center_lon_deg)
        hav = lambda p1, l1, p2, l2: 2 * np.arcsin(np.sqrt(np.sin((p2 - p1) / 2) ** 2
                                                           + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2))
        assert np.all(hav(la0, lo0, la, lo) * EARTH_MEAN_RADIUS_M <= 800e3 + 1.0)
        walked = hav(la[0], lo[0], la[-1], lo[-1]) * EARTH_MEAN_RADIUS_M
        assert np.allclose(walked, 5.0 / 3.6 * faulty_view.frames_t_s[-1], rtol=1e-6)
    a, b = faulty_view.regions
    assert a.center_lat_deg != b.center_lat_deg
    members = {s for reg in faulty_view.regions for m in reg.members for s in m[1]}
    assert members <= set(faulty_view.sat_ids.tolist())


def test_route_decimation_keeps_lost_messages(faulty_run):
    table = pd.read_parquet(faulty_run / "messages.parquet").sort_values("msg_id")
    v = build_view_data(faulty_run, ViewOptions(route_hops_max=int(table["hops_attempted"].sum()) // 3))
    dec = v.meta["decimation"]
    k = dec["route_every_kth_update"]
    assert k == 4                                                       # ceil(3 x hops / hops)
    period = np.floor(table["sent_s"].to_numpy() + 1e-9).astype(int)    # update_period_s = 1
    keep = (period % k == 0) | table["lost"].to_numpy()
    routed = v.messages["hop_count"] > 0
    assert np.array_equal(routed, keep & (table["hops_attempted"].to_numpy() > 0))
    assert dec["routed_messages"] == int(keep.sum()) < len(table) and dec["messages"] == len(table)


# ---------------------------------------------------------------- the page

def test_page_embeds_the_data_and_run_view_writes_it(default_run, default_view, tmp_path, capsys):
    page = default_run / "view.html"                      # written by `satcoop run --view` (the fixture)
    assert page.is_file()
    out = tmp_path / "page.html"
    assert cli.main(["view", str(default_run), "--out", str(out)]) == 0
    line = capsys.readouterr().out
    assert line.startswith(f"satcoop view: {out} (") and "messages routed" in line
    text = out.read_text()
    assert text.startswith("<!DOCTYPE html>") and out.stat().st_size < 20e6
    assert "default-src 'none'" in text                   # the page may not request anything
    raw = re.search(r'<script type="application/json" id="satcoop-data">(.*?)</script>', text, re.S).group(1)
    data = json.loads(raw)                                # "<\/" is a valid JSON escape of "</"
    assert data == json.loads(json.dumps(default_view.to_json()))
    assert page.read_text() == text                       # the same page either way


def test_bad_out_is_one_line_before_any_work(default_run, tmp_path, capsys):
    assert cli.main(["view", str(default_run), "--out", str(tmp_path)]) == 2
    assert "--out = " in capsys.readouterr().err and not (tmp_path / "view.html").exists()
    assert cli.main(["view", str(default_run), "--out", str(tmp_path / "no" / "x.html")]) == 2
    assert "its folder does not exist" in capsys.readouterr().err
