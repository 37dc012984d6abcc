"""Bad element-set input: one ValueError line naming the file, the record and the field, never a
bare decode / type error, and one element validation for TLE and OMM alike."""
from __future__ import annotations

import json

import pytest
from sgp4.api import WGS72, Satrec
from sgp4.exporter import export_omm

from constellation.tle import read_omm, read_tle

ISS_L1 = "1 25544U 98067A   14020.93268519  .00009878  00000-0  18200-3 0  5082"
ISS_L2 = "2 25544  51.6498 109.4756 0003572  55.9686 274.8005 15.49815350868473"


def _omm_record(**override):
    rec = export_omm(Satrec.twoline2rv(ISS_L1, ISS_L2, WGS72), "ISS (ZARYA)")
    rec.update(override)
    return rec


def _one_line(exc) -> str:
    msg = str(exc.value)
    assert "\n" not in msg
    return msg


# ---------------------------------------------------------------- path vs text

def test_a_missing_path_or_a_directory_is_named_not_parsed_as_tle_text(tmp_path):
    with pytest.raises(ValueError) as exc:
        read_tle(str(tmp_path / "starlink.txt"))
    assert _one_line(exc).endswith("starlink.txt: no such TLE file")
    with pytest.raises(ValueError) as exc:
        read_tle(str(tmp_path))
    assert "is a directory" in _one_line(exc) and "name line" not in str(exc.value)
    with pytest.raises(ValueError, match="no such OMM file"):
        read_omm(tmp_path / "gp.json")


def test_binary_and_non_utf8_files_name_the_path(tmp_path):
    b = tmp_path / "image.tle"
    b.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(ValueError) as exc:
        read_tle(b)
    assert str(b) in _one_line(exc) and "binary data" in str(exc.value)
    latin = tmp_path / "latin1.tle"
    latin.write_bytes("SATÉLITE\n".encode("latin-1") + f"{ISS_L1}\n{ISS_L2}\n".encode())
    with pytest.raises(ValueError) as exc:
        read_tle(latin)
    assert str(latin) in _one_line(exc) and "not UTF-8" in str(exc.value) and "0xc9 at offset 3" in str(exc.value)
    j = tmp_path / "latin1.json"
    j.write_bytes(b'[{"OBJECT_NAME": "SAT\xc9"}]')
    with pytest.raises(ValueError, match=r"latin1.json: not UTF-8"):
        read_omm(j)


def test_utf8_bom_does_not_stay_in_the_first_name(tmp_path):
    p = tmp_path / "bom.tle"
    p.write_bytes(b"\xef\xbb\xbf" + f"ISS (ZARYA)\n{ISS_L1}\n{ISS_L2}\n".encode())
    _, names = read_tle(p)
    assert names == ["ISS (ZARYA)"]
    _, names = read_tle("\ufeffISS (ZARYA)\n" + f"{ISS_L1}\n{ISS_L2}\n")
    assert names == ["ISS (ZARYA)"]
    q = tmp_path / "bom.json"
    q.write_bytes(b"\xef\xbb\xbf" + json.dumps([_omm_record()]).encode())
    _, names = read_omm(q)
    assert names == ["ISS (ZARYA)"]


# ---------------------------------------------------------------- OMM structure

def test_truncated_json_and_wrong_json_types(tmp_path):
    p = tmp_path / "gp.json"
    text = json.dumps([_omm_record(), _omm_record()])
    p.write_text(text[: len(text) // 2])
    with pytest.raises(ValueError) as exc:
        read_omm(p)
    assert str(p) in _one_line(exc) and "invalid JSON (line 1, column" in str(exc.value)
    p.write_text("42")
    with pytest.raises(ValueError) as exc:
        read_omm(p)
    assert _one_line(exc).endswith("an OMM JSON file holds an object or a list of objects, got a int")
    p.write_text(json.dumps([_omm_record(), 7]))
    with pytest.raises(ValueError, match=r"gp.json: OMM record 2: expected an object of OMM fields, got a int"):
        read_omm(p)
    x = tmp_path / "gp.xml"
    x.write_text("<ndm><omm>")
    with pytest.raises(ValueError, match=r"gp.xml: invalid OMM XML"):
        read_omm(x)


@pytest.mark.parametrize("field, value, expect", [
    ("MEAN_MOTION", -15.0, r"field MEAN_MOTION = -15: must be \[1e-09, 1000\] rev/day"),
    ("MEAN_MOTION", float("nan"), r"field MEAN_MOTION = nan: must be a finite number"),
    ("MEAN_MOTION", "fast", r"field MEAN_MOTION = 'fast': must be a real number"),
    ("INCLINATION", 400.0, r"field INCLINATION = 400: must be \[0, 180\] deg"),
    ("ECCENTRICITY", 1.2, r"field ECCENTRICITY = 1.2: must be \[0, 1\)"),
    ("RA_OF_ASC_NODE", -5.0, r"field RA_OF_ASC_NODE = -5: must be \[0, 360\] deg"),
    ("NORAD_CAT_ID", "25544x", r"field NORAD_CAT_ID = '25544x': must be a non-negative integer"),
    ("EPOCH", "yesterday", r"field EPOCH = 'yesterday': must be a UTC time"),
])
def test_omm_fields_out_of_range_name_file_record_and_field(tmp_path, field, value, expect):
    p = tmp_path / "gp.json"
    p.write_text(json.dumps([_omm_record(), _omm_record(**{field: value})]))
    with pytest.raises(ValueError, match=r"gp.json: OMM record 2.*" + expect) as exc:
        read_omm(p)
    _one_line(exc)


def test_the_same_element_check_for_tle_and_omm(tmp_path):
    """A TLE whose mean motion field is 0 (the column check lets 0.0 pass its pattern but not its
    range) and the OMM record with MEAN_MOTION 0 are rejected by the same rule."""
    line2 = ISS_L2[:52] + " 0.00000000868473"
    line2 = line2[:68]
    from constellation.tle import tle_checksum
    line2 += str(tle_checksum(line2))
    with pytest.raises(ValueError, match=r"mean_motion_rev_per_day.*\[1e-09, 1000\]"):
        read_tle(f"{ISS_L1}\n{line2}\n")
    p = tmp_path / "gp.csv"
    rec = _omm_record(MEAN_MOTION=0.0)
    p.write_text(",".join(rec) + "\n" + ",".join(str(v) for v in rec.values()) + "\n")
    with pytest.raises(ValueError, match=r"gp.csv: OMM record 1 \('ISS \(ZARYA\)'\): field MEAN_MOTION = 0: "
                                         r"must be \[1e-09, 1000\] rev/day"):
        read_omm(p)
