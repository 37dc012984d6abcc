"""3GPP TR 38.811 NTN large-scale parameters (S band, downlink, LOS) and free-space path loss.

Tables as encoded by public implementations of TR 38.811 v15.4 (OpenNTN
``<Scenario>_LOS_S_band_DL.json``, ns-3); see ``../shared/channel-parameters.md``.
Every row is given on the elevation grid 10, 20, ..., 90 degrees; values in
between are interpolated linearly in elevation, and elevations below 10 deg
(above 90 deg) are clamped to the 10 deg (90 deg) column.

Cluster angular spreads (``cluster_asa_deg``, ``cluster_zsa_deg``; TR 38.811
``c_ASA``, ``c_ZSA``, in degrees) parametrise the NLoS covariance at the UT in
:mod:`constellation.channel`. For dense urban and suburban they are the
elevation-independent 11 deg / 7 deg of the OpenNTN tables.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPEED_OF_LIGHT_M_S = 299_792_458.0
ELEVATION_GRID_DEG = np.arange(10.0, 91.0, 10.0)     # 10, 20, ..., 90


@dataclass(frozen=True)
class NTNTable:
    """One TR 38.811 scenario (LOS, S band, DL). Every field: 9 values on ``ELEVATION_GRID_DEG``."""

    name: str
    k_mean_db: tuple[float, ...]          # Rician K-factor mean (dB)
    k_sigma_db: tuple[float, ...]         # Rician K-factor standard deviation (dB)
    sf_sigma_db: tuple[float, ...]        # shadow-fading standard deviation (dB)
    cluster_asa_deg: tuple[float, ...]    # intra-cluster azimuth spread of arrival (deg)
    cluster_zsa_deg: tuple[float, ...]    # intra-cluster zenith spread of arrival (deg)

    def __post_init__(self):
        for name in ("k_mean_db", "k_sigma_db", "sf_sigma_db", "cluster_asa_deg", "cluster_zsa_deg"):
            if len(getattr(self, name)) != ELEVATION_GRID_DEG.size:
                raise ValueError(f"NTNTable {self.name}.{name} needs {ELEVATION_GRID_DEG.size} values "
                                 f"(10..90 deg), got {len(getattr(self, name))}")

    def _interp(self, row: tuple[float, ...], elevation_deg) -> np.ndarray:
        e = np.asarray(elevation_deg, float)
        if np.any(~np.isfinite(e)):
            raise ValueError("elevation_deg must be finite")
        return np.interp(e, ELEVATION_GRID_DEG, np.asarray(row, float))

    def k_factor_db(self, elevation_deg) -> tuple[np.ndarray, np.ndarray]:
        """(mean, sigma) of the Rician K-factor in dB at ``elevation_deg`` [...]."""
        return self._interp(self.k_mean_db, elevation_deg), self._interp(self.k_sigma_db, elevation_deg)

    def shadow_sigma_db(self, elevation_deg) -> np.ndarray:
        """Shadow-fading standard deviation (dB) at ``elevation_deg`` [...]."""
        return self._interp(self.sf_sigma_db, elevation_deg)

    def cluster_spreads_deg(self, elevation_deg) -> tuple[np.ndarray, np.ndarray]:
        """(cluster ASA, cluster ZSA) in degrees at ``elevation_deg`` [...]."""
        return (self._interp(self.cluster_asa_deg, elevation_deg),
                self._interp(self.cluster_zsa_deg, elevation_deg))


URBAN_LOS = NTNTable(
    name="urban",
    k_mean_db=(31.83, 18.78, 10.49, 7.46, 6.52, 5.47, 4.54, 4.03, 3.68),
    k_sigma_db=(13.84, 13.78, 10.42, 8.01, 8.27, 7.26, 5.53, 4.49, 3.14),
    sf_sigma_db=(4.0,) * 9,
    cluster_asa_deg=(12.55, 12.76, 14.36, 16.42, 17.13, 19.01, 19.31, 22.39, 27.80),
    cluster_zsa_deg=(1.25, 3.23, 4.39, 5.72, 6.17, 7.36, 7.30, 7.70, 9.25),
)

DENSE_URBAN_LOS = NTNTable(
    name="dense_urban",
    k_mean_db=(4.4, 9.0, 9.3, 7.9, 7.4, 7.0, 6.9, 6.5, 6.8),
    k_sigma_db=(3.3, 6.6, 6.1, 4.0, 3.0, 2.6, 2.2, 2.1, 1.9),
    sf_sigma_db=(3.5, 3.4, 2.9, 3.0, 3.1, 2.7, 2.5, 2.3, 1.2),
    cluster_asa_deg=(11.0,) * 9,
    cluster_zsa_deg=(7.0,) * 9,
)

SUBURBAN_LOS = NTNTable(
    name="suburban",
    k_mean_db=(11.40, 19.45, 20.80, 21.20, 21.60, 19.75, 12.00, 12.85, 12.85),
    k_sigma_db=(6.26, 10.32, 16.34, 15.63, 14.22, 14.19, 5.70, 9.91, 9.91),
    sf_sigma_db=(1.79, 1.14, 1.14, 0.92, 1.42, 1.56, 0.85, 0.72, 0.72),
    cluster_asa_deg=(11.0,) * 9,
    cluster_zsa_deg=(7.0,) * 9,
)

SCENARIOS: dict[str, NTNTable] = {t.name: t for t in (URBAN_LOS, DENSE_URBAN_LOS, SUBURBAN_LOS)}


def ntn_table(scenario: str) -> NTNTable:
    """The LOS S-band table of ``scenario`` ("urban", "dense_urban" or "suburban")."""
    try:
        return SCENARIOS[scenario]
    except (KeyError, TypeError):
        raise ValueError(f"scenario must be one of {sorted(SCENARIOS)}, got {scenario!r}") from None


def fspl_db(distance_m, frequency_hz) -> np.ndarray:
    """Free-space path loss 20 log10(4 pi d f / c) in dB; ``distance_m`` [...] in metres, ``frequency_hz``.

    Equal to 32.45 + 20 log10(f / GHz) + 20 log10(d / m) (TR 38.811 6.6.2).
    """
    d = np.asarray(distance_m, float)
    f = np.asarray(frequency_hz, float)
    if np.any(~(d > 0)):
        raise ValueError(f"distance_m must be positive, got min {np.min(d)!r}")
    if np.any(~(f > 0)):
        raise ValueError(f"frequency_hz must be positive, got {f!r}")
    return 20.0 * np.log10(4.0 * np.pi * d * f / SPEED_OF_LIGHT_M_S)
