"""Live messages: the typed ISL messages of :mod:`network.messages` plus protocol metadata.

The metadata (which scheme lane, which update, when the data were measured, the UT receive
vectors computed alongside the precoders) rides as header fields that are NOT counted in
``size_bits``: as in :mod:`network.messages`, only the information content of Table III of the
multi-satellite paper is counted. The receive vectors b of a bundle are what the UTs use; they
reach the UTs over the access link, not the ISLs, so they cost no ISL bits.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from network.messages import SSI, PrecoderBundle, SCSIReport


@dataclass(frozen=True, eq=False)
class LiveSSI(SSI):
    """SSI of satellite ``sat`` measured at ``t_meas_s`` (episode time, s)."""

    sat: int = -1
    t_meas_s: float = float("nan")
    scheme: str = ""          # "" = shared by every scheme lane of the satellite


@dataclass(frozen=True, eq=False)
class LiveReport(SCSIReport):
    """A member's sCSI report for scheme lane ``scheme`` and update ``update``, measured at ``t_meas_s``."""

    sat: int = -1
    t_meas_s: float = float("nan")
    scheme: str = ""
    update: int = -1


@dataclass(frozen=True, eq=False)
class LiveBundle(PrecoderBundle):
    """The precoders p [K,M] of satellite ``sat`` (and the UTs' receive vectors ``b`` [K,N], not counted)
    from update ``update`` of lane ``scheme``; ``t_csi_s`` = time of the oldest sCSI they were computed
    from; ``complete`` = every member's report of that update was in."""

    b: np.ndarray | None = None
    sat: int = -1
    scheme: str = ""
    update: int = -1
    t_csi_s: float = float("nan")
    complete: bool = True
