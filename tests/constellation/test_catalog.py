"""Real element sets as first-class input: dedup, screening, masking, shell / plane / slot recovery.

The element sets are built here (constellation.synthetic): perturbed Walker shells whose satellites
carry their own epochs (RAAN drifted by J2 between them), phasing noise, a re-entering satellite,
raising satellites, duplicated records with older epochs and stale element sets. Assertions are
against the generator's ground truth and independent geometry.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from constellation.catalog import dedup_newest, load_catalog, parse_shell_filter
from constellation.ephemeris import Constellation
from constellation.ground import rank_cooperating
from constellation.frames import geodetic_to_itrs
from constellation.shells import infer_shells, mean_altitude_km, orbit_angles
from constellation.synthetic import element_set, synthetic_catalog
from constellation.tle import read_tle
from constellation.walker import WalkerDelta

SHELLS = (WalkerDelta(total=120, planes=12, phasing=5, altitude_km=550.0, inclination_deg=53.0),
          WalkerDelta(total=120, planes=12, phasing=3, altitude_km=540.0, inclination_deg=53.2, raan0_deg=2.5),
          WalkerDelta(total=66, planes=6, phasing=2, altitude_km=780.0, inclination_deg=86.4, kind="star"))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    syn = synthetic_catalog(list(SHELLS), np.random.default_rng(7), epoch_spread_days=2.0, n_decaying=1,
                            n_raising=3, n_duplicates=12, n_stale=2)
    path = tmp_path_factory.mktemp("tle") / "set.tle"
    path.write_text(syn.to_tle())
    c, prov = load_catalog(tle=[path])
    return syn, path, c, prov


def _truth_of(syn):
    """NORAD id -> (shell, plane, slot) for the operational satellites."""
    return {sat.satnum: (int(syn.shell[i]), int(syn.plane[i]), int(syn.slot[i]))
            for i, sat in enumerate(syn.satrecs) if syn.role[i] == "operational"}


# ---------------------------------------------------------------- the generator itself

def test_synthetic_epochs_are_consistent_through_sgp4():
    """An element set moved 2 days back along SGP4's secular rates propagates (2 days) to where the
    undelayed one is at t_ref: the truth of the generator holds at the reference epoch."""
    from datetime import datetime, timezone
    ep = datetime(2026, 1, 1, tzinfo=timezone.utc)
    a = element_set(1, ep, inclination_deg=53.0, raan_deg=40.0, arg_lat_deg=10.0, altitude_km=550.0)
    b = element_set(1, ep, inclination_deg=53.0, raan_deg=40.0, arg_lat_deg=10.0, altitude_km=550.0,
                    back_days=2.0)
    assert b.jdsatepoch + b.jdsatepochF == pytest.approx(a.jdsatepoch + a.jdsatepochF - 2.0, abs=1e-9)
    # J2 nodal regression (first order): dO/dt = -1.5 n J2 (R/a)^2 cos i, about -4.5 deg/day at 53 deg / 550 km;
    # the older element set's node is that much further east
    n_deg_day = math.degrees(a.no_kozai) * 1440.0
    rate = -1.5 * n_deg_day * 1.08262998905e-3 * (6378.135 / (6378.135 + 550.0)) ** 2 * math.cos(math.radians(53.0))
    assert math.degrees(b.nodeo - a.nodeo) == pytest.approx(-2.0 * rate, rel=0.01)
    ra = Constellation([a], epoch=ep).state_teme(0.0)[0]
    rb = Constellation([b], epoch=ep).state_teme(0.0)[0]
    assert np.linalg.norm(ra - rb) < 2e3          # same place within 2 km (short-period terms only)


# ---------------------------------------------------------------- dedup / filters / screening

def test_dedup_keeps_newest_epoch_then_first_listed():
    keep, dropped = dedup_newest([5, 7, 5, 5, 9, 7], [1.0, 2.0, 3.0, 3.0, 1.0, 1.0])
    assert keep.tolist() == [1, 2, 4] and dropped == 3


def test_load_catalog_counts_every_drop(synthetic):
    syn, path, c, prov = synthetic
    ops = sum(w.total for w in SHELLS)
    assert prov["records"] == len(syn.satrecs) == ops + 1 + 3 + 12 + 2
    assert prov["dropped"]["duplicates"] == 12
    assert prov["filtered_by"]["epoch_age"] == 2 and prov["dropped"]["filtered"] == 2
    assert prov["dropped"]["decayed"] >= 3            # the three raising at 270-290 km (and maybe the re-entering one)
    assert prov["satellites"] + sum(prov["dropped"].values()) == prov["records"]
    # every NORAD id once, and for duplicated ones the newest epoch
    ids = c.norad_id
    assert np.unique(ids).size == ids.size
    newest = {}
    for sat in read_tle(path)[0]:                  # the file's records (epochs rounded as TLEs print them)
        e = sat.jdsatepoch + sat.jdsatepochF
        newest[sat.satnum] = max(newest.get(sat.satnum, -1.0), e)
    for sat in c.satrecs:
        assert sat.jdsatepoch + sat.jdsatepochF == newest[sat.satnum]
    assert prov["files"][0]["sha256"] and len(prov["files"][0]["sha256"]) == 64
    assert prov["epoch_max"].startswith("2026-01-01") and prov["epoch_min"] < prov["epoch_max"]
    names = set(c.names)
    assert not any(n.startswith(("RAISING", "STALE")) for n in names)


def test_concatenated_file_loads_once(synthetic, tmp_path):
    """The same file twice (two CelesTrak groups merged): no satellite twice."""
    syn, path, c, prov = synthetic
    c2, prov2 = load_catalog(tle=[path, path])
    assert c2.n == c.n and prov2["dropped"]["duplicates"] == prov["records"] + prov["dropped"]["duplicates"]
    r, _ = c2.state_itrs(0.0)
    d = np.linalg.norm(r[:, None] - r[None], axis=-1)
    assert np.min(d[np.triu_indices(c2.n, 1)]) > 1e3       # no zero-length pair


def test_filters_shell_name_and_age(synthetic):
    syn, path, c, _ = synthetic
    c53, prov = load_catalog(tle=[path], shells=["53:545-555"])
    inc = np.degrees([s.inclo for s in c53.satrecs])
    assert c53.n == 120 and np.all(np.abs(inc - 53.0) < 0.2)
    # every other record after dedup (12) and the age filter (2) falls outside the band
    assert prov["filtered_by"]["shell"] == prov["records"] - 12 - 2 - 120
    assert prov["dropped"]["decayed"] == prov["dropped"]["failed"] == 0
    cs, _ = load_catalog(tle=[path], name="syn2-*")            # case-insensitive glob
    assert cs.n == 66
    call, prov_all = load_catalog(tle=[path], max_epoch_age_days=None)
    assert prov_all["dropped"]["filtered"] == 0 and call.n == c.n + 2
    assert parse_shell_filter("52.9-53.3:540-570") == (52.9, 53.3, 540.0, 570.0)
    for bad in ("53:5", "abc", "200:500-600", "53:600-500"):
        with pytest.raises(ValueError, match="expected INC"):
            parse_shell_filter(bad)
    with pytest.raises(ValueError, match="no satellite left after the filters"):
        load_catalog(tle=[path], name="NOPE*")


# ---------------------------------------------------------------- absence (mask, never abort)

def test_reentering_satellite_is_masked_not_raised(synthetic):
    syn, path, c, prov = synthetic
    decay = [i for i, n in enumerate(c.names) if n.startswith("DECAY")]
    if not decay:                                   # dropped at the reference epoch: it was already below
        pytest.skip("the re-entering satellite was below the floor at t_ref in this draw")
    i = decay[0]
    t = np.arange(0.0, 2 * 86400.0, 1800.0)
    r, v, present = c.state_itrs_present(t)          # never raises, even past re-entry
    assert present[0, i] and not present[-1, i]
    # near the floor it dips below at perigee and rises above at apogee for a while; in the end it is gone
    assert np.all(~present[-len(t) // 4:, i])
    assert np.isnan(r[~present[:, i], i]).all() and np.isfinite(r[:, np.arange(c.n) != i]).all()
    c.min_altitude_km = None                        # without the floor SGP4 itself fails later
    try:
        assert any("DECAY" in e for e in c.sgp4_errors(t[-1:]))
        assert not c.present(t[-1])[i]
    finally:
        c.min_altitude_km = prov["min_altitude_km"]


def test_absent_satellites_are_never_selected():
    """The nearest satellite to the region is absent (NaN row): selection takes the next ones."""
    w = WalkerDelta(total=60, planes=6, phasing=1, altitude_km=550, inclination_deg=53)
    c = Constellation.walker(w)
    r, _ = c.state_itrs(0.0)
    lat, lon = 10.0, 20.0
    center = geodetic_to_itrs(lat, lon, 0.0)
    ut = geodetic_to_itrs(np.full((1, 3), lat), np.full((1, 3), lon) + [0, 0.1, -0.1], 0.0)
    nearest = int(np.argmin(np.linalg.norm(r - center, axis=1)))
    ids, nq = rank_cooperating(r[None], ut, lat, lon, 2, min_elevation_deg=-90)
    assert ids[0, 0] == nearest
    r2 = r.copy()
    r2[nearest] = np.nan
    ids2, nq2 = rank_cooperating(r2[None], ut, lat, lon, 2, min_elevation_deg=-90)
    assert nearest not in ids2[0] and nq2[0] == nq[0] - 1 and ids2[0, 0] == ids[0, 1]


def test_altitude_floor_masks_low_satellites():
    from datetime import datetime, timezone
    ep = datetime(2026, 1, 1, tzinfo=timezone.utc)
    low = element_set(1, ep, inclination_deg=53, raan_deg=0, arg_lat_deg=0, altitude_km=270.0)
    high = element_set(2, ep, inclination_deg=53, raan_deg=0, arg_lat_deg=90, altitude_km=550.0)
    c = Constellation([low, high], min_altitude_km=300.0)
    assert c.present(0.0).tolist() == [False, True]
    c.min_altitude_km = 250.0
    assert c.present(0.0).tolist() == [True, True]


# ---------------------------------------------------------------- structure recovery

def test_orbit_angles_match_the_walker_elements():
    w = WalkerDelta(total=24, planes=4, phasing=1, altitude_km=700, inclination_deg=60, raan0_deg=10)
    c = Constellation.walker(w)
    r, v = c.state_teme(0.0)
    inc, raan, u = orbit_angles(r, v)
    assert np.allclose(inc, 60.0, atol=0.05)
    d_raan = (raan - w.raan_deg + 180) % 360 - 180
    d_u = (u - w.mean_anomaly_deg + 180) % 360 - 180       # circular: u = M at epoch (argp 0)
    assert np.max(np.abs(d_raan)) < 0.05 and np.max(np.abs(d_u)) < 0.2
    assert np.allclose(mean_altitude_km(c.satrecs), 700.0, atol=1e-6)


def test_shells_planes_slots_recovered_against_ground_truth(synthetic):
    syn, path, c, prov = synthetic
    truth = _truth_of(syn)
    assert len(prov["shells"]) == 3
    got = {int(s): (int(c.shell[i]), int(c.plane[i]), int(c.slot[i])) for i, s in enumerate(c.norad_id)}
    ops = [k for k in truth if k in got]
    assert len(ops) == sum(w.total for w in SHELLS)
    # shells and planes: a bijection between true and inferred (shell, plane) labels
    t_sp = {k: truth[k][:2] for k in ops}
    g_sp = {k: got[k][:2] for k in ops}
    pairs = set(zip(t_sp.values(), g_sp.values()))
    assert len(pairs) == len(set(t_sp.values())) == len(set(g_sp.values())) == 12 + 12 + 6
    assert all(g[0] >= 0 for g in g_sp.values())
    # slots: within each plane the inferred order is the true order up to a cyclic shift
    for sp in set(t_sp.values()):
        members = [k for k in ops if t_sp[k] == sp]
        s_true = np.array([truth[k][2] for k in members])
        s_got = np.array([got[k][2] for k in members])
        m = len(members)
        shift = (s_got - s_true) % m
        assert np.unique(shift).size == 1, (sp, shift)
    # what is left unassigned is not operational
    assigned_ids = {k for k, v in got.items() if v[0] >= 0}
    assert assigned_ids == set(ops)
    sh = {round(s["inclination_deg"], 1): s for s in prov["shells"]}
    assert sh[86.4]["raan_spread_deg"] == pytest.approx(150.0, abs=1.0)       # star: 180 (P-1)/P
    assert sh[53.0]["raan_spread_deg"] == pytest.approx(330.0, abs=1.0)       # delta: 360 (P-1)/P
    assert sh[53.0]["altitude_km"] == pytest.approx(550.0, abs=0.5)


def test_infer_shells_leaves_sparse_debris_unassigned():
    rng = np.random.default_rng(3)
    syn = synthetic_catalog([SHELLS[0]], rng, n_decaying=0)
    from datetime import datetime, timezone
    ep = datetime(2026, 1, 1, tzinfo=timezone.utc)
    strays = [element_set(900 + j, ep, inclination_deg=float(rng.uniform(30, 100)), raan_deg=float(rng.uniform(0, 360)),
                          arg_lat_deg=float(rng.uniform(0, 360)), altitude_km=float(rng.uniform(400, 1200)))
              for j in range(6)]
    c = Constellation(syn.satrecs + strays, epoch=ep)
    r, v = c.state_teme(0.0)
    st = infer_shells(c.satrecs, r, v)
    assert len(st.shells) == 1 and st.shells[0]["satellites"] == 120 and st.shells[0]["planes"] == 12
    assert np.all(st.shell[-6:] == -1) and st.unassigned == 6
    with pytest.raises(ValueError, match=r"inc_tol_deg must be a real number in \(0, 90\] deg, got 0"):
        infer_shells(c.satrecs, r, v, inc_tol_deg=0)


# ---------------------------------------------------------------- Walker-star / multi-shell

def test_walker_star_planes_and_counter_rotating_seam():
    """Iridium-like star 86.4 deg, 66/6/2, 780 km: nodes over 180 deg; the angle between orbit normals
    of two planes with equal inclination i and node difference dO is acos(cos^2 i + sin^2 i cos dO)
    (closed form): adjacent planes ~30 deg apart, co-rotating; planes 0 and 5 meet at the seam
    counter-rotating (normals > 90 deg apart), the seam being as narrow as the others in node terms."""
    w = WalkerDelta(total=66, planes=6, phasing=2, altitude_km=780.0, inclination_deg=86.4, kind="star")
    assert np.allclose(np.unique(w.raan_deg), np.arange(6) * 30.0)
    c = Constellation.walker(w)
    r, v = c.state_teme(0.0)
    h = np.cross(r, v)
    h /= np.linalg.norm(h, axis=1, keepdims=True)
    normal = np.array([h[w.plane == p].mean(axis=0) for p in range(6)])
    i = math.radians(86.4)

    def closed(d_raan_deg):
        return math.degrees(math.acos(math.cos(i) ** 2 + math.sin(i) ** 2 * math.cos(math.radians(d_raan_deg))))

    for p in range(5):
        ang = math.degrees(math.acos(np.clip(normal[p] @ normal[p + 1], -1, 1)))
        assert ang == pytest.approx(closed(30.0), abs=0.1) and ang < 90
    seam = math.degrees(math.acos(np.clip(normal[0] @ normal[5], -1, 1)))
    assert seam == pytest.approx(closed(150.0), abs=0.1) and seam > 90


def test_multi_shell_walker():
    shells = [WalkerDelta(total=40, planes=4, phasing=1, altitude_km=550, inclination_deg=53),
              WalkerDelta(total=18, planes=3, phasing=1, altitude_km=780, inclination_deg=86.4, kind="star")]
    c = Constellation.walker_shells(shells)
    assert c.n == 58 and c.walker is None and len(c.walkers) == 2
    assert c.shell.tolist() == [0] * 40 + [1] * 18 and c.norad_id.tolist() == list(range(1, 59))
    assert c.plane[40:].tolist() == shells[1].plane.tolist()
    r, v = c.state_teme(0.0)
    inc, _, _ = orbit_angles(r, v)
    assert np.allclose(inc[:40], 53, atol=0.1) and np.allclose(inc[40:], 86.4, atol=0.1)
    alt = mean_altitude_km(c.satrecs)
    assert np.allclose(alt[:40], 550) and np.allclose(alt[40:], 780)
    with pytest.raises(ValueError, match="kind must be one of"):
        WalkerDelta(kind="polar")


def test_gappy_planes_and_satellites_in_transit():
    """Real shells have holes (failed or not yet raised satellites) and satellites in transit between
    insertion and the shell. With 15% of a 53 deg shell missing and 40 satellites spread over
    350-530 km at 53 deg, the shell and its 12 planes are still found, the transit satellites are left
    unassigned, and the +Grid joins only adjacent planes of the shell."""
    from datetime import datetime, timezone

    from network.topology import KIND_INTER, GridTopology

    rng = np.random.default_rng(21)
    w = WalkerDelta(total=240, planes=12, phasing=1, altitude_km=550.0, inclination_deg=53.0)
    syn = synthetic_catalog([w], rng, n_decaying=0)
    keep = np.sort(rng.choice(240, size=204, replace=False))
    ep = datetime(2026, 1, 1, tzinfo=timezone.utc)
    transit = [element_set(1000 + j, ep, inclination_deg=53.0 + float(rng.normal(0, 0.02)),
                           raan_deg=float(rng.uniform(0, 360)), arg_lat_deg=float(rng.uniform(0, 360)),
                           altitude_km=float(rng.uniform(350, 530))) for j in range(40)]
    sats = [syn.satrecs[i] for i in keep] + transit
    c = Constellation(sats, epoch=ep)
    r, v = c.state_teme(0.0)
    st = infer_shells(sats, r, v)
    assert len(st.shells) == 1 and st.shells[0]["planes"] == 12 and st.shells[0]["satellites"] == 204
    assert np.all(st.shell[204:] == -1)
    truth_plane = syn.plane[keep]
    pairs = set(zip(truth_plane.tolist(), st.plane[:204].tolist()))
    assert len(pairs) == 12                                  # planes recovered as a bijection despite the holes
    g = GridTopology.from_structure(st.shell, st.plane, st.slot, r)
    inter = g.edges[g.kind == KIND_INTER]
    dp = np.abs(st.plane[inter[:, 0]] - st.plane[inter[:, 1]])
    assert set(np.unique(dp).tolist()) <= {1, 11}
    deg = np.bincount(g.edges.ravel(), minlength=c.n)
    assert deg[:204].min() >= 3 and np.all(deg[204:] == 0)


def test_tle_and_omm_files_merge_into_one_catalogue(synthetic, tmp_path):
    """The same satellites as OMM JSON (newer) and TLE (older copies included): merged by NORAD id,
    the kind says both, and the shells come out the same as from the TLE file alone."""
    import json as _json

    from sgp4.exporter import export_omm

    syn, path, c, prov = synthetic
    star = [i for i, n in enumerate(syn.names) if n.startswith("SYN2") and syn.role[i] == "operational"]
    p = tmp_path / "star.json"
    p.write_text(_json.dumps([export_omm(syn.satrecs[i], syn.names[i]) for i in star]))
    c2, prov2 = load_catalog(tle=[path], omm=[p])
    assert prov2["kind"] == "tle+omm" and [f["format"] for f in prov2["files"]] == ["tle", "omm"]
    assert c2.n == c.n and prov2["dropped"]["duplicates"] == prov["dropped"]["duplicates"] + len(star)
    assert [s["satellites"] for s in prov2["shells"]] == [s["satellites"] for s in prov["shells"]]
    c3, prov3 = load_catalog(omm=[p])
    assert prov3["kind"] == "omm" and c3.n == 66 and prov3["shells"][0]["planes"] == 6


def test_floor_height_matches_the_geodetic_height():
    """The altitude floor's first-order ellipsoid height is within 50 m of the exact WGS84 geodetic
    height (Bowring, constellation.frames) over all latitudes at LEO radii."""
    from constellation.ephemeris import height_km
    from constellation.frames import geodetic_to_itrs, itrs_to_geodetic

    lat = np.linspace(-90, 90, 181)
    for h in (150e3, 300e3, 550e3, 1200e3):
        r = geodetic_to_itrs(lat, 17.0, h)
        _, _, h_exact = itrs_to_geodetic(r)
        assert np.max(np.abs(height_km(r / 1e3) * 1e3 - h_exact)) < 50.0


def test_world_never_selects_a_satellite_below_the_floor():
    """A satellite at 290 km directly over the region would be the nearest one; with the 300 km floor
    it is absent, World.draw_drops takes the next ones; without the floor it is selected."""
    from datetime import datetime, timezone

    from constellation.frames import itrs_to_geodetic
    from constellation.scenario import World, WorldConfig

    ep = datetime(2026, 1, 1, tzinfo=timezone.utc)
    w = WalkerDelta(total=240, planes=12, phasing=1, altitude_km=550.0, inclination_deg=53.0, epoch=ep)
    low = element_set(10_000, ep, inclination_deg=53.0, raan_deg=3.0, arg_lat_deg=40.0, altitude_km=290.0)
    sats = Constellation.walker(w).satrecs + [low]
    c = Constellation(sats, epoch=ep, min_altitude_km=300.0)
    c_nofloor = Constellation(sats, epoch=ep)
    lat, lon, _ = itrs_to_geodetic(c_nofloor.state_itrs(0.0)[0][-1])
    cfg = WorldConfig(S=2, K=3, radius_km=200.0)
    d = World(cfg, constellation=c_nofloor).draw_drops(1, 0, center=(float(lat), float(lon)), t_s=0.0)
    assert d.sat_ids[0, 0] == 240                          # no floor: the low satellite is the nearest
    d = World(cfg, constellation=c).draw_drops(1, 0, center=(float(lat), float(lon)), t_s=0.0)
    assert 240 not in d.sat_ids[0] and np.isfinite(d.csi.beta).all()
