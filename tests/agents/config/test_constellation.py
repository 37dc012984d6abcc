"""ConstellationSpec (the ``constellation`` config field), the shared CLI options, and the
world / compare commands on element-set files; the CLI validation module."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from agents import cli
from agents.config.constellation import ConstellationSpec, WalkerShellSpec
from constellation.scenario import World, WorldConfig
from constellation.synthetic import synthetic_catalog
from constellation.walker import WalkerDelta

SHELLS = (WalkerDelta(total=240, planes=12, phasing=1, altitude_km=550.0, inclination_deg=53.0),
          WalkerDelta(total=66, planes=6, phasing=2, altitude_km=780.0, inclination_deg=86.4, kind="star"))


# a path inside the test tree that nothing creates (an absolute /nonexistent/... can exist on a machine)
MISSING_TLE = str(Path(__file__).parent / "_no_such_dir_" / "a.tle")

@pytest.fixture(scope="module")
def tle_file(tmp_path_factory):
    syn = synthetic_catalog(list(SHELLS), np.random.default_rng(5), n_decaying=1, n_raising=2, n_duplicates=6,
                            n_stale=1)
    path = tmp_path_factory.mktemp("tle") / "set.tle"
    path.write_text(syn.to_tle())
    return path


# ---------------------------------------------------------------- the spec

def test_default_spec_is_the_default_walker():
    c, prov = ConstellationSpec().build()
    w = WalkerDelta()
    assert c.n == w.total == 1680 and c.walker == w
    assert prov["kind"] == "walker" and prov["satellites"] == 1680 and prov["files"] == []
    assert prov["dropped"] == {"duplicates": 0, "decayed": 0, "filtered": 0, "failed": 0}
    assert prov["walker"][0]["total"] == 1680 and prov["walker"][0]["kind"] == "delta"
    json.dumps(prov)                                            # JSON-able


def test_walker_shells_aliases_and_multi_shell():
    spec = ConstellationSpec.parse({"walker": [{"T": 66, "P": 6, "F": 2, "altitude_km": 780,
                                                "inclination_deg": 86.4, "kind": "star"},
                                               {"total": 40, "planes": 4}]})
    c, prov = spec.build()
    assert c.n == 106 and len(c.walkers) == 2 and c.walkers[0].kind == "star"
    assert [s["satellites"] for s in prov["shells"]] == [66, 40]
    assert WalkerShellSpec(T=66, P=6, F=2).total == 66


@pytest.mark.parametrize("data, expect", [
    ({"walker": {"T": 5, "P": 2}}, "constellation.walker = {'T': 5, 'P': 2}: total (T) must be a multiple of planes"),
    ({"walker": [{"T": 5, "P": 2}]}, "constellation.walker.0 = "),
    ({"walker": {"kind": "polar"}}, "constellation.walker.kind = 'polar': Input should be 'delta' or 'star'"),
    ({"walker": {}, "tle": [__file__]}, "constellation: give either walker or tle/omm files, not both"),
    ({"shell": ["53:540-570"]}, "shell / name filters apply to tle/omm element sets only"),
    ({"tle": [__file__], "shell": ["53:5"]}, "constellation.shell = ['53:5']: shell '53:5': expected INC"),
    ({"tle": [MISSING_TLE]}, f"constellation.tle = [{MISSING_TLE!r}]: {MISSING_TLE}: no such file"),
    ({"min_altitude_km": -1}, "constellation.min_altitude_km = -1: Input should be greater than or equal to 0"),
    ({"walker": {"altitude_km": 250}}, "altitude_km=250 is below min_altitude_km=300"),
    ({"tle": [__file__], "max_epoch_age_days": 0}, "constellation.max_epoch_age_days = 0"),
    ({"bogus": 1}, "constellation.bogus = 1: unknown field; allowed here: allow_far_from_epoch, max_epoch_age_days"),
])
def test_bad_specs_one_line_naming_the_field(data, expect):
    with pytest.raises(ValueError) as exc:
        ConstellationSpec.parse(data)
    msg = str(exc.value)
    assert expect in msg and "\n" not in msg


def test_tle_spec_builds_with_provenance(tle_file):
    spec = ConstellationSpec.parse({"tle": str(tle_file)})
    c, prov = spec.build()
    assert prov["kind"] == "tle" and prov["files"][0]["name"] == str(tle_file)
    assert prov["dropped"]["duplicates"] == 6 and prov["dropped"]["filtered"] == 1
    assert prov["dropped"]["decayed"] >= 2
    assert prov["satellites"] == c.n and len(prov["shells"]) == 2
    assert c.min_altitude_km == 300.0
    spec2 = ConstellationSpec.parse({"tle": [str(tle_file)], "shell": ["86.4:770-790"]})
    c2, prov2 = spec2.build()
    assert c2.n == 66 and prov2["shell"] == ["86.4:770-790"]


def test_merged_duplicate_files_never_select_one_satellite_twice(tle_file):
    """A file concatenated with itself: the same constellation, so the same drops, and no drop picks a
    satellite (NORAD id) twice."""
    c1, _ = ConstellationSpec.parse({"tle": [str(tle_file)]}).build()
    c2, prov = ConstellationSpec.parse({"tle": [str(tle_file), str(tle_file)]}).build()
    assert c2.n == c1.n and np.array_equal(c2.norad_id, c1.norad_id)
    cfg = WorldConfig(S=3, K=4)
    d1 = World(cfg, constellation=c1).draw_drops(20, 3)
    d2 = World(cfg, constellation=c2).draw_drops(20, 3)
    assert np.array_equal(d1.sat_ids, d2.sat_ids)
    ids = c2.norad_id[d2.sat_ids]
    assert all(len(set(row)) == 3 for row in ids.tolist())


# ---------------------------------------------------------------- the CLI

def test_world_tle_json_carries_provenance_and_norad_ids(tle_file, capsys):
    assert cli.main(["world", "--tle", str(tle_file), "--K", "3", "--seed", "1", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    prov = rec["constellation"]
    assert prov["kind"] == "tle" and prov["files"][0]["sha256"] and prov["dropped"]["duplicates"] == 6
    assert rec["config"]["walker"] is None and rec["absent"] >= 0
    assert len(rec["satellites"]) == 3
    for s in rec["satellites"]:
        assert {"id", "norad_id", "name", "shell", "plane", "slot"} <= set(s)
        assert s["name"].startswith("SYN") and s["shell"] >= 0
    assert len({s["norad_id"] for s in rec["satellites"]}) == 3
    assert cli.main(["world", "--tle", str(tle_file), "--K", "3", "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "satellites from TLE" in out and "duplicates" in out and "norad_id" in out


def test_world_walker_star_option(capsys):
    assert cli.main(["world", "--walker", "66/6/2:780:86.4:star", "--center", "70,10", "--K", "2", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["constellation"]["walker"][0]["kind"] == "star" and rec["config"]["walker"]["kind"] == "star"
    assert all(760 < s["alt_km"] < 810 for s in rec["satellites"])
    assert "norad_id" not in rec["satellites"][0]


@pytest.mark.parametrize("argv, expect", [
    (["--tle", MISSING_TLE], f"--tle {MISSING_TLE!r}: no such file"),
    (["--shell", "53:540-570"], "--shell / --name-pattern apply to --tle/--omm element sets only"),
    (["--min-altitude-km", "-1"], "--min-altitude-km = -1.0: Input should be greater than or equal to 0"),
    (["--walker", "66/6:780:86.4"], "--walker '66/6:780:86.4': expected T/P/F:ALT_KM:INC_DEG"),
    (["--walker", "66/6/2:780:186.4"], "--walker[inclination_deg] = 186.4"),
    (["--radius-km", "0"], "--radius-km = 0.0: Input should be greater than 0"),
])
def test_world_bad_constellation_options_exit_2_one_line(argv, expect, capsys):
    assert cli.main(["world", "--K", "2", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert expect in err and len(err.splitlines()) == 1


def test_world_tle_directory_is_named(tmp_path, capsys):
    assert cli.main(["world", "--tle", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert f"--tle {str(tmp_path)!r}: is a directory" in err and len(err.splitlines()) == 1


def test_compare_on_a_tle_file_records_the_constellation(tle_file, capsys):
    argv = ["compare", "--tle", str(tle_file), "--drops", "2", "--samples", "4", "--power-dbw", "0",
            "--schemes", "Sep-MRT", "--no-progress", "--json"]
    assert cli.main(argv) == 0
    rec = json.loads(capsys.readouterr().out)
    prov = rec["config"]["constellation"]
    assert prov["kind"] == "tle" and prov["files"][0]["name"] == str(tle_file)
    assert rec["results"][0]["scheme"] == "Sep-MRT" and np.isfinite(rec["results"][0]["sum_rate_bps_hz"])
    assert cli.main(["compare", "--schemes", "Sep-MRT", "Sep-MRT", "--drops", "1"]) == 2
    assert "more than once" in capsys.readouterr().err


def test_lpdft_leo_takes_the_altitude_from_a_tle_satellite(tle_file, capsys):
    argv = ["lpdft", "--power-w", "100", "--orbit", "leo", "--tle", str(tle_file), "--drops", "1",
            "--no-progress", "--json"]
    c, _ = ConstellationSpec.parse({"tle": [str(tle_file)]}).build()
    name = next(n for n in c.names if n.startswith("SYN1"))            # the 780 km star shell
    assert cli.main([*argv, "--sat", name]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert 770 < rec["config"]["altitude_km"] < 820 and name in rec["config"]["orbit"]
    assert cli.main(["lpdft", "--power-w", "100", "--tle", str(tle_file)]) == 2
    assert "--tle: only with --orbit leo" in capsys.readouterr().err
    decay = [n for n in c.names if n.startswith("DECAY")]
    if decay:                                # still above the floor at the reference epoch: absent later
        assert cli.main([*argv, "--sat", decay[0], "--t-s", "172800"]) == 2
        err = capsys.readouterr().err
        assert f"--sat {decay[0]} is absent at --t-s 172800" in err and len(err.strip().splitlines()) == 1


def test_run_takes_the_constellation_options(tle_file, tmp_path, capsys):
    """satcoop run --tle: the episode runs on the file's satellites and run.json records the provenance."""
    out = tmp_path / "run"
    argv = ["run", "--runtime", "local", "--duration-s", "0.5", "--tle", str(tle_file), "--set",
            'schemes=["Sep-MRT"]', "--no-progress", "--out", str(out), "--json"]
    assert cli.main(argv) == 0
    capsys.readouterr()
    prov = json.loads((out / "run.json").read_text())["constellation"]
    assert prov["kind"] == "tle" and prov["files"][0]["name"] == str(tle_file) and prov["dropped"]["duplicates"] == 6
    assert cli.main(["run", "--tle", str(tmp_path / "missing.tle")]) == 2
    assert "--tle" in capsys.readouterr().err
