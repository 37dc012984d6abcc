"""The one error formatter and the dotted setter of agents.config: every bad input is one line naming
the field as the user wrote it, the value and what is allowed (BadInput, a ValueError subclass)."""
from __future__ import annotations

import pytest

from agents.config import (BadInput, CompareConfig, OverheadConfig, RunConfig, SweepConfig, TrainConfig, WorldQuery,
                           apply_override, parse, read_toml)


@pytest.mark.parametrize("model, data, kw, line", [
    (RunConfig, {"S": 0}, {}, "S = 0: Input should be greater than or equal to 1"),
    (RunConfig, {"isl": {"rate_bps": -1}}, {}, "isl.rate_bps = -1: Input should be greater than 0"),
    (RunConfig, {"region": {"bogus": 1}}, {},
     "region.bogus = 1: unknown field; allowed here: allow_transit, center_lat_deg, center_lon_deg, centers, count, "
     "max_member_latency_s, min_elevation_deg, min_spacing_km, partial, radius_km, selection, ut_speed_kmh"),
    (RunConfig, {"schemes": [1]}, {}, 'schemes = [1]: a list of registered scheme names (strings), "all" or "default"'),
    (RunConfig, {"faults": {"scheduled": [{"start_s": 0, "end_s": 1, "target": "x"}]}}, {},
     "faults.scheduled.0.target = 'x': a satellite index, a link [a, b], or \"central\""),
    (CompareConfig, {"drops": 0}, {"prefix": "base."}, "base.drops = 0: Input should be greater than or equal to 1"),
    (CompareConfig, {"max_iter": 0}, {"rename": {"max_iter": "--max-iter"}},
     "--max-iter = 0: Input should be greater than or equal to 1"),
    (OverheadConfig, {"bits_per_real": 1000}, {"rename": {"bits_per_real": "--bits-per-real"}},
     "--bits-per-real = 1000: Input should be less than or equal to 128"),
    (TrainConfig, {"schedule": "plateau", "warmup_steps": 5}, {},
     'warmup_steps = 5: warm-up applies to schedule = "cosine" only'),
    (WorldQuery, {"center": "91,0"}, {"rename": {"center": "--center"}},
     "--center = '91,0': expected LAT,LON in degrees with -90 <= LAT <= 90 and -180 <= LON <= 180"),
    (SweepConfig, {"kind": "compare", "grid": {}}, {},
     "grid = {}: empty grid: give at least one axis, e.g. power_dbw = [0, 5]"),
])
def test_one_line_names_the_field_the_value_and_the_rule(model, data, kw, line):
    with pytest.raises(BadInput) as e:
        parse(model, data, **kw)
    assert str(e.value) == line
    assert "\n" not in str(e.value) and "Value error" not in str(e.value)
    assert isinstance(e.value, ValueError)          # library callers catching ValueError keep working


def test_whole_model_rules_name_their_fields_and_a_prefix_places_them():
    with pytest.raises(BadInput, match=r"^centralized.report_timeout_s = 2.0: must be less than update_period_s"):
        RunConfig.from_dict({"centralized": {"report_timeout_s": 2.0}})
    from agents.config import ConstellationSpec
    with pytest.raises(BadInput, match=r"^constellation: shell / name filters apply to tle/omm element sets only$"):
        ConstellationSpec.parse({"shell": ["53:540-570"]})


def test_overrides_and_files(tmp_path):
    (tmp_path / 'sub').mkdir()
    data = {}
    assert apply_override(data, "faults.model=iid") == "faults.model"
    apply_override(data, "S=4")
    apply_override(data, 'schemes=["Sep-MRT"]')
    assert data == {"faults": {"model": "iid"}, "S": 4, "schemes": ["Sep-MRT"]}
    with pytest.raises(BadInput, match=r"--set 'S': expected FIELD=VALUE"):
        apply_override(data, "S")
    with pytest.raises(BadInput, match=r"--set S.x: 'S' is not a table of fields"):
        apply_override(data, "S.x=1")
    with pytest.raises(BadInput, match="is a directory"):
        read_toml(tmp_path / 'sub')
    with pytest.raises(BadInput, match="no such file"):
        read_toml(tmp_path / "missing.toml")
    (tmp_path / "u16.toml").write_bytes("S = 3".encode("utf-16"))
    with pytest.raises(BadInput, match="not UTF-8 text"):
        read_toml(tmp_path / "u16.toml")
    (tmp_path / "bom.toml").write_bytes(b"\xef\xbb\xbfS = 3\n")
    assert read_toml(tmp_path / "bom.toml") == {"S": 3}
    (tmp_path / "bad.toml").write_text("S = = 3")
    with pytest.raises(BadInput, match="bad.toml.*not valid TOML"):
        read_toml(tmp_path / "bad.toml")
