"""The library-layer argument checks (constellation.checks)."""
import math

import numpy as np
import pytest

from constellation.checks import check_int, check_real


def test_check_int():
    assert check_int("planes", np.int64(3), 1) == 3 and isinstance(check_int("planes", np.int64(3), 1), int)
    for bad in (0, True, 2.0, "3", None):
        with pytest.raises(ValueError, match=r"^planes must be an integer >= 1, got "):
            check_int("planes", bad, 1)
    with pytest.raises(ValueError, match=r"^F must be an integer in \[0, 5\], got 6$"):
        check_int("F", 6, 0, 5)


def test_check_real():
    assert check_real("h", 550, 100, 1e5, "km") == 550.0
    for bad in (math.nan, math.inf, "550", True, None, 99.0):
        with pytest.raises(ValueError, match=r"^h must be a real number in \[100, 100000\] km, got "):
            check_real("h", bad, 100, 1e5, "km")
    with pytest.raises(ValueError, match=r"in \(0, 1\]"):
        check_real("x", 0.0, 0.0, 1.0, lo_open=True)
    assert check_real("x", -1e300) == -1e300
