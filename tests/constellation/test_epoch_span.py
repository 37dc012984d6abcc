"""Far from the epoch: the span check against element sets whose own epochs are known by construction."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np
import pytest

from constellation.checks import BadInput
from constellation.epoch_span import check_propagation_span, epoch_offsets_days, propagation_days
from constellation.ephemeris import Constellation
from constellation.synthetic import element_set

EPOCH = datetime(2026, 2, 23, tzinfo=timezone.utc)
DAY = 86_400.0


@pytest.fixture(scope="module")
def spread():
    """Three satellites with epochs 0, 4 and 10 days before the newest (the reference epoch)."""
    sats = [element_set(k + 1, EPOCH, inclination_deg=53.0, raan_deg=10.0 * k, arg_lat_deg=0.0, altitude_km=550.0,
                        back_days=b) for k, b in enumerate((0.0, 4.0, 10.0))]
    return Constellation(sats, names=["NEW", "MID", "OLD"])


def test_offsets_are_the_construction_ages(spread):
    assert epoch_offsets_days(spread) == pytest.approx([0.0, 4.0, 10.0], abs=1e-9)
    assert propagation_days(spread, 0.0) == (pytest.approx(10.0, abs=1e-9), 2)
    # going back in time the newest set is the farthest once t < -5 days
    days, k = propagation_days(spread, [-8 * DAY, 1 * DAY])
    assert days == pytest.approx(11.0, abs=1e-9) and k == 2
    days, k = propagation_days(spread, -8 * DAY)
    assert days == pytest.approx(8.0, abs=1e-9) and k == 0


def test_within_the_limit_is_silent_and_the_bound_is_inclusive(spread):
    assert check_propagation_span(spread, [0.0, 600.0]) is None
    assert check_propagation_span(spread, 20 * DAY) is None                       # OLD at exactly 30 days
    with pytest.raises(BadInput) as e:
        check_propagation_span(spread, 20 * DAY + 1.0)
    assert e.value.args[0] == (
        "t_s = 1.728e+06 s propagates OLD 30.0 days from its element-set epoch (2026-02-13T00:00:00Z); SGP4 is "
        "not meaningful that far: max_propagation_days = 30 days (raise max_propagation_days or give "
        "allow_far_from_epoch to run anyway)")
    assert "\n" not in e.value.args[0]


def test_far_in_the_past_is_refused_or_warned(spread):
    with pytest.raises(BadInput, match=r"^--t-s = -8.64e\+08 s propagates NEW 10000.0 days .* --max-propagation-days"):
        check_propagation_span(spread, -864_000_000.0, time_name="--t-s", days_option="--max-propagation-days",
                               allow_option="--allow-far-from-epoch")
    text = check_propagation_span(spread, [-864_000_000.0, 0.0], allow=True, allow_option="--allow-far-from-epoch")
    assert text.startswith("warning: t_s = -8.64e+08..0 s propagates NEW 10000.0 days")
    assert text.endswith("(--allow-far-from-epoch given, running anyway)")
    assert check_propagation_span(spread, 0.0, max_propagation_days=1e4) is None


def test_walker_epoch_and_bad_options():
    c = Constellation.walker()
    assert check_propagation_span(c, np.arange(0.0, 6000.0, 60.0)) is None
    with pytest.raises(BadInput, match=r"^t_s = 2.6784e\+06 s propagates .* 31.0 days"):
        check_propagation_span(c, 31 * DAY)
    for bad in (0, -1.0, float("nan"), "30"):
        with pytest.raises(BadInput, match=r"^max_propagation_days must be a real number > 0 days, got"):
            check_propagation_span(c, 0.0, max_propagation_days=bad)
    with pytest.raises(BadInput, match="t_s must be finite seconds"):
        check_propagation_span(c, float("inf"))
