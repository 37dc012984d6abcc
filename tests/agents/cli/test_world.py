"""``satcoop world``: JSON keys and content, the text table, bad --center through the real dispatcher."""
import json

import numpy as np
import pytest

import agents.cli as cli


@pytest.fixture(autouse=True)
def only_world(monkeypatch):
    # Exercise the real dispatcher with just this subcommand (others are owned/landed separately).
    monkeypatch.setattr(cli, "SUBCOMMANDS", ("world",))


def test_json_has_documented_keys_and_consistent_values(capsys):
    assert cli.main(["world", "--center", "48.85,2.35", "--S", "3", "--K", "5", "--seed", "0", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert {"satellites", "links", "config", "seed"} <= set(rec)
    assert rec["seed"] == 0 and rec["config"]["S"] == 3 and rec["config"]["K"] == 5
    assert rec["center"] == {"lat_deg": 48.85, "lon_deg": 2.35, "drawn": False}
    assert len(rec["satellites"]) == 3 and len(rec["links"]) == 15
    for s in rec["satellites"]:
        assert {"id", "name", "lat_deg", "lon_deg", "alt_km"} <= set(s)
        assert 590 < s["alt_km"] < 630
    ids = {s["id"] for s in rec["satellites"]}
    for link in rec["links"]:
        assert set(link) == {"sat", "ut", "elevation_deg", "range_km", "beta_db", "kappa_db", "noise_dbw"}
        assert link["sat"] in ids
        assert link["elevation_deg"] >= 10.0
        assert link["noise_dbw"] == pytest.approx(-152.2, abs=0.05)
        # beta = 10log10(M N) + G_T + G_R - FSPL - SF: within +-4 sigma_SF of the shadow-free value
        fspl = 32.45 + 20 * np.log10(2.0) + 20 * np.log10(link["range_km"] * 1e3)
        assert abs(link["beta_db"] - (10 * np.log10(256) + 6 - fspl)) < 16.0
        # spherical-Earth slant range at this elevation, h ~ 600 km (+- oblateness/orbit)
        r, e = 6371.0, np.radians(link["elevation_deg"])
        d = np.sqrt(r**2 * np.sin(e) ** 2 + 600.0**2 + 2 * r * 600.0) - r * np.sin(e)
        assert link["range_km"] == pytest.approx(d, rel=0.04)


def test_same_seed_same_output_and_center_drawn(capsys):
    cli.main(["world", "--K", "3", "--seed", "5", "--json"])
    a = capsys.readouterr().out
    cli.main(["world", "--K", "3", "--seed", "5", "--json"])
    b = capsys.readouterr().out
    assert a == b
    rec = json.loads(a)
    assert rec["center"]["drawn"] and abs(rec["center"]["lat_deg"]) <= 53.0


def test_text_table(capsys):
    assert cli.main(["world", "--center", "-33.9,18.4", "--K", "4"]) == 0
    out = capsys.readouterr().out
    assert "cooperating satellites" in out and "elevation_deg" in out and "beta_db" in out
    assert len([ln for ln in out.splitlines() if ln.strip() and ln.split()[0].isdigit()]) >= 3 + 12


@pytest.mark.parametrize("bad", ["95,0", "abc", "10", "10,200", "nan,3"])
def test_bad_center_exit_2_names_option(bad, capsys):
    assert cli.main(["world", f"--center={bad}"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--center" in err and bad in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("argv, option", [(["--seed", "-1"], "--seed"), (["--t-s", "1e12"], "--t-s"),
                                          (["--t-s", "nan"], "--t-s"), (["--S", "0"], "--S"),
                                          (["--K", "1000000"], "--K")])
def test_bad_option_exit_2_one_line_naming_it(argv, option, capsys):
    # no traceback: an out-of-range --t-s used to overflow datetime when printing the UTC time
    assert cli.main(["world", "--center", "10,20", "--K", "2", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert option in err and len(err.splitlines()) == 1


def test_negative_numbers_are_values_not_options(capsys):
    assert cli.main(["world", "--center", "-33.9,18.4", "--K", "1", "--t-s", "-3e3", "--json"]) == 0
    rec = json.loads(capsys.readouterr().out)
    assert rec["t_s"] == -3000.0 and rec["center"]["lat_deg"] == -33.9


def test_s_above_the_constellation_names_the_option(capsys):
    # used to print "WorldConfig.S=70 exceeds the 66 satellites" (an internal field, not the option typed)
    assert cli.main(["world", "--walker", "66/6/2:780:86.4:star", "--S", "70", "--center", "10,20"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "WorldConfig" not in err
    assert err.endswith("--S = 70: must be at most the 66 satellites of the constellation"), err
