"""Analytic circular-orbit constellations for network tests (independent of SGP4)."""
from __future__ import annotations

import numpy as np
import pytest

MU_EARTH = 3.986004418e14          # m^3 / s^2


def circular_states(raan_rad, u0_rad, incl_rad, radius_m, t_s):
    """Inertial positions/velocities [n, 3] of circular orbits; argument of latitude u = u0 + n t.

    Returns (r, v, u) with u the argument of latitude (rad) at t_s."""
    raan, u0 = np.asarray(raan_rad, float), np.asarray(u0_rad, float)
    n = np.sqrt(MU_EARTH / radius_m**3)
    u = u0 + n * t_s
    cO, sO, ci, si = np.cos(raan), np.sin(raan), np.cos(incl_rad), np.sin(incl_rad)
    cu, su = np.cos(u), np.sin(u)
    r = radius_m * np.stack([cO * cu - sO * su * ci, sO * cu + cO * su * ci, su * si], -1)
    v = radius_m * n * np.stack([-cO * su - sO * cu * ci, -sO * su + cO * cu * ci, cu * si], -1)
    return r, v, u


@pytest.fixture(scope="session")
def walker1680():
    """The default 1680-satellite Walker constellation (SGP4 ephemeris)."""
    from constellation.ephemeris import Constellation
    return Constellation.walker()
