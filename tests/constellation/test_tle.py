"""TLE / OMM import and export, and the SGP4 verification vectors through satcoop's own path."""
import csv
import json
import os

import numpy as np
import pytest
import sgp4
from sgp4.api import Satrec
from sgp4.exporter import export_omm

from constellation.ephemeris import Constellation
from constellation.tle import read_omm, read_tle, tle_checksum, write_tle

SGP4_DIR = os.path.dirname(sgp4.__file__)

ISS_L1 = "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082"
ISS_L2 = "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473"
ISS_3LE = f"ISS (ZARYA)\n{ISS_L1}\n{ISS_L2}\n"


# ---------------------------------------------------------------- verification vectors

def _verification_cases():
    """(line1, line2, start, stop, step) of every case in sgp4's SGP4-VER.TLE.

    Columns 70+ of line 2 are the verification program's start/stop/step (minutes),
    not part of the TLE: they are split off here.
    """
    with open(os.path.join(SGP4_DIR, "SGP4-VER.TLE")) as f:
        lines = iter(f.read().splitlines())
    for line1 in lines:
        if line1.startswith("1"):
            line2 = next(lines)
            start, stop, step = (float(x) for x in line2[69:].split())
            yield line1[:69], line2[:69], start, stop, step


def _reference_blocks():
    """Per case of tcppver.out: satnum and an array [m, 7] (tsince min, r km, v km/s)."""
    blocks = []
    with open(os.path.join(SGP4_DIR, "tcppver.out")) as f:
        for line in f.read().replace("\r", "").splitlines():
            if line.strip().endswith("xx"):
                blocks.append((int(line.split()[0]), []))
            elif line.strip():
                blocks[-1][1].append([float(x) for x in line.split()[:7]])
    return [(satnum, np.array(rows)) for satnum, rows in blocks]


def test_sgp4_verification_vectors_through_read_tle_and_state_teme():
    cases = list(_verification_cases())
    blocks = _reference_blocks()
    assert len(cases) == len(blocks) == 33
    n_compared = n_raised = 0
    previous_last = None
    for (line1, line2, start, stop, step), (satnum, ref) in zip(cases, blocks):
        text = f"{line1}\n{line2}\n"
        try:
            satrecs, names = read_tle(text)
        except ValueError as exc:
            # Cases 33333-33335 carry deliberately wrong checksums: satcoop must say so.
            assert satnum in (33333, 33334, 33335), exc
            assert "line 1" in str(exc) and "checksum" in str(exc)
            satrecs, names = read_tle(text, verify_checksum=False)
        assert satrecs[0].satnum == satnum
        con = Constellation(satrecs, names)          # epoch = the TLE epoch, so t_s = 60 * tsince
        if previous_last is not None and np.array_equal(ref[0, 1:], previous_last):
            # The C++ driver printed the previous line again: SGP4 fails at tsince = 0.
            # Absent, never raising: NaN rows, present False, and the failure is named.
            assert np.isnan(con.state_teme(0.0)[0]).all() and not con.present(0.0)[0]
            assert str(satnum) in con.sgp4_errors(0.0)[0]
            n_raised += 1
            previous_last = ref[-1, 1:]
            continue
        r_m, v_m_s = con.state_teme(ref[:, 0] * 60.0)           # all reference times in one call
        # sgp4's own test accepts 2e-7 (km, km/s) against this file (printed to 1e-8 / 1e-9).
        np.testing.assert_allclose(r_m[:, 0] / 1e3, ref[:, 1:4], rtol=0, atol=2e-7, err_msg=str(satnum))
        np.testing.assert_allclose(v_m_s[:, 0] / 1e3, ref[:, 4:7], rtol=0, atol=2e-7, err_msg=str(satnum))
        n_compared += len(ref)
        # The time grid of this case; a block that ends early means SGP4 reported an error next.
        grid = list(np.arange(start, stop + 1e-9, step))
        if grid[-1] < stop - 1e-6:
            grid.append(stop)
        if len(ref) < len(grid) - (start != 0.0):            # t = 0 is printed first even if off-grid
            next_t = [g for g in grid if g > ref[-1, 0] + 1e-9][0]
            assert np.isnan(con.state_teme(next_t * 60.0)[0]).all() and not con.present(next_t * 60.0)[0]
            assert f"'{satnum}' (index 0) at t_s={float(next_t * 60.0)}" in con.sgp4_errors(next_t * 60.0)[0]
            n_raised += 1
        previous_last = ref[-1, 1:]
    assert n_compared == 700 - 33 - 1          # every data line but the repeated one
    assert n_raised == 7                         # sgp4's own test expects 7 error cases


# ---------------------------------------------------------------- read_tle

def test_read_tle_three_line_and_two_line_sets():
    two = f"{ISS_L1}\n{ISS_L2}\n"
    sats3, names3 = read_tle(ISS_3LE + "0 OTHER NAME\n" + two)
    assert names3 == ["ISS (ZARYA)", "OTHER NAME"]
    sats2, names2 = read_tle("\n" + two + "\r\n")
    assert names2 == ["25544"]
    ref = Satrec.twoline2rv(ISS_L1, ISS_L2)
    for sat in sats3 + sats2:
        assert (sat.satnum, sat.jdsatepoch, sat.jdsatepochF, sat.no_kozai, sat.inclo, sat.bstar) == (
            ref.satnum, ref.jdsatepoch, ref.jdsatepochF, ref.no_kozai, ref.inclo, ref.bstar)


def test_read_tle_from_path(tmp_path):
    p = tmp_path / "iss.tle"
    p.write_text(ISS_3LE)
    for arg in (p, str(p)):
        sats, names = read_tle(arg)
        assert names == ["ISS (ZARYA)"] and sats[0].satnum == 25544


def test_checksum_of_published_lines():
    assert tle_checksum(ISS_L1) == int(ISS_L1[-1]) == 2
    assert tle_checksum(ISS_L2) == int(ISS_L2[-1]) == 3


def _with_last_char(line, ch):
    return line[:68] + ch


def test_bad_checksum_names_the_line():
    bad2 = _with_last_char(ISS_L2, "4")
    with pytest.raises(ValueError, match=r"line 3: bad checksum.*checksum of columns 1-68 is 3"):
        read_tle(f"ISS (ZARYA)\n{ISS_L1}\n{bad2}\n")


def test_short_line_names_the_line_and_length():
    with pytest.raises(ValueError, match=r"line 2: bad length 60.*exactly 69"):
        read_tle(f"ISS\n{ISS_L1[:60]}\n{ISS_L2}\n")


@pytest.mark.parametrize("text, message", [
    (f"{ISS_L2}\n", r"line 1: TLE line 2 without a preceding line 1"),
    (f"{ISS_L1}\n{ISS_L1}\n", r"line 2: expected TLE line 2"),
    (f"{ISS_L1}\nNAME\n", r"line 2: expected TLE line 2"),
    (f"A\nB\n{ISS_L1}\n{ISS_L2}\n", r"line 2: expected TLE line 1 after the name line 1"),
    (f"ISS\n{ISS_L1}\n", r"line 2: TLE line 1 without a following line 2"),
    ("\n\n", r"no TLE element sets"),
])
def test_malformed_structure_names_the_line(text, message):
    with pytest.raises(ValueError, match=message):
        read_tle(text)


def _patched(line, first, text):
    """``line`` with columns first.. (1-based) replaced by ``text`` and a valid checksum."""
    out = line[:first - 1] + text + line[first - 1 + len(text):68]
    return out + str(tle_checksum(out))


@pytest.mark.parametrize("which, first, text, field", [
    (2, 9, " 5x.6498", "inclination_deg"),           # sgp4 alone parses this as 5 degrees
    (2, 9, "191.6498", "inclination_deg"),
    (2, 27, "00035.2", "eccentricity"),
    (2, 53, "15.4981x35", "mean_motion_rev_per_day"),
    (1, 54, " 1820O-3", "bstar"),
    (1, 21, "4020.93268519", "epoch_day"),
])
def test_malformed_element_field_names_the_field(which, first, text, field):
    l1, l2 = (_patched(ISS_L1, first, text), ISS_L2) if which == 1 else (ISS_L1, _patched(ISS_L2, first, text))
    with pytest.raises(ValueError, match=rf"line {which + 1}: field {field} \(columns {first}-"):
        read_tle(f"ISS\n{l1}\n{l2}\n")


def test_mismatched_catalogue_numbers():
    l2 = "2 25545" + ISS_L2[7:68]
    l2 += str(tle_checksum(l2))
    with pytest.raises(ValueError, match=r"line 2: catalogue number '25545' differs"):
        read_tle(f"{ISS_L1}\n{l2}\n")


# ---------------------------------------------------------------- write_tle

def test_write_tle_reproduces_published_lines():
    sats, names = read_tle(ISS_3LE)
    assert write_tle(sats, names) == ISS_3LE
    assert write_tle(sats) == f"{ISS_L1}\n{ISS_L2}\n"
    with pytest.raises(ValueError, match="names"):
        write_tle(sats, ["a", "b"])


def test_walker_export_round_trip_within_tle_precision():
    c = Constellation.walker(total=24, planes=4, phasing=1)
    text = c.to_tle()
    assert len(text.splitlines()) == 3 * 24
    back = Constellation.from_tle(text, epoch=c.epoch)
    assert back.names == c.names
    t = np.linspace(0.0, 3 * 3600.0, 7)
    r0, _ = c.state_teme(t)
    r1, _ = back.state_teme(t)
    # TLE angles have 4 decimals (half a unit = 5e-5 deg ~ 6 m at 7000 km per angle); mean motion
    # 8 decimals of rev/day. A few tens of metres is the format's resolution.
    assert np.max(np.linalg.norm(r1 - r0, axis=-1)) < 30.0


# ---------------------------------------------------------------- OMM

def test_read_omm_csv_and_json_match_tle(tmp_path):
    # A near-Earth (SGP4) and a deep-space (SDP4) satellite from the verification set, same day.
    sats, names = read_tle("\n".join(
        ln[:69] for ln in open(os.path.join(SGP4_DIR, "SGP4-VER.TLE")).read().splitlines()
        if ln.startswith(("1 06251", "2 06251", "1 08195", "2 08195"))) + "\n")
    records = [export_omm(s, n) for s, n in zip(sats, ["DELTA 1 DEB", "MOLNIYA 2-14"])]
    csv_path = tmp_path / "gp.csv"
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(records[0]))
        w.writeheader()
        w.writerows(records)
    json_path = tmp_path / "gp.json"
    json_path.write_text(json.dumps(records))
    t = np.linspace(0.0, 86400.0, 5)
    ref = Constellation(sats, names)
    r_ref, _ = ref.state_teme(t)
    for path in (csv_path, json_path):
        c = Constellation.from_omm(path, epoch=ref.epoch)
        assert c.names == ["DELTA 1 DEB", "MOLNIYA 2-14"]
        r, _ = c.state_teme(t)
        # OMM epochs carry microseconds: ~ 1e-6 s x 7.7 km/s < 1 cm.
        assert np.max(np.linalg.norm(r - r_ref, axis=-1)) < 0.05


def test_read_omm_celestrak_json_literal(tmp_path):
    # CelesTrak's JSON layout (numbers as JSON numbers), the same elements as ISS_L1/ISS_L2.
    record = {
        "OBJECT_NAME": "ISS (ZARYA)", "OBJECT_ID": "1998-067A", "EPOCH": "2014-01-20T22:23:04.000416",
        "MEAN_MOTION": 15.4981535, "ECCENTRICITY": 0.0003572, "INCLINATION": 51.6498,
        "RA_OF_ASC_NODE": 109.4756, "ARG_OF_PERICENTER": 55.9686, "MEAN_ANOMALY": 274.8005,
        "EPHEMERIS_TYPE": 0, "CLASSIFICATION_TYPE": "U", "NORAD_CAT_ID": 25544, "ELEMENT_SET_NO": 508,
        "REV_AT_EPOCH": 86847, "BSTAR": 0.000182, "MEAN_MOTION_DOT": 9.878e-05, "MEAN_MOTION_DDOT": 0,
    }
    p = tmp_path / "iss.json"
    p.write_text(json.dumps([record]))
    c = Constellation.from_omm(p)
    ref = Constellation.from_tle(ISS_3LE)
    assert c.names == ["ISS (ZARYA)"]
    assert abs((c.epoch - ref.epoch).total_seconds()) < 1e-6
    t = np.linspace(0.0, 86400.0, 5)
    d = np.linalg.norm(c.state_teme(t)[0] - ref.state_teme(t)[0], axis=-1)
    assert d.max() < 0.05


def test_read_omm_errors_name_the_field(tmp_path):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps([{"OBJECT_NAME": "X", "NORAD_CAT_ID": 1}]))
    with pytest.raises(ValueError, match=r"OMM record 1: missing field"):
        read_omm(p)
    q = tmp_path / "gp.txt"
    q.write_text("")
    with pytest.raises(ValueError, match=r"an OMM file must end in .csv, .json or .xml"):
        read_omm(q)
