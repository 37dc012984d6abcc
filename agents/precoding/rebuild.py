"""The central satellite's precoding problem, rebuilt from what it received over the ISLs.

In orbit the central satellite of a centralized scheme (Cen-Opt-WM, Cen-TFC-WM of
"Multi-Satellite Cooperative ... WMMSE / TFC", Section V and Table III) does not
see the other satellites' channels: it holds, for every cooperating satellite s
(itself included), an :class:`~network.messages.SCSIReport` -- the satellite's
SSI (ITRS position, attitude quaternion, power budget) and beta_{s,k},
kappa_{s,k}, Sigma_{s,k} for the K UTs -- and it knows the UTs' positions (the
service region's terminals). :func:`problem_from_reports` rebuilds the
:class:`~agents.precoding.problem.PrecodingProblem` of one drop from that:

* steering vectors from geometry, eqs. (4)-(5): the direction satellite -> UT in
  the satellite body frame (body axes from the SSI quaternion,
  :func:`constellation.ephemeris.axes_from_quaternion`) gives g_{s,k} (M-element
  UPA), the direction UT -> satellite in the UT's ENU frame gives d0_{s,k} --
  the same :func:`constellation.channel.link_geometry` and
  :func:`constellation.antenna.upa_steering` as the world model, so with fresh,
  exact SSI the rebuilt problem is the true one;
* beta, kappa, Sigma, eqs. (13)-(15): as reported;
* P_s from each SSI's power budget, sigma_k^2 from the channel configuration.

So stale SSI (a position and attitude some time old) gives stale steering
vectors, as it would in orbit.

Payload precision: with ``quantize=True`` (the default) every real of a report
is rounded to the precision its message was sized with (``bits_per_real`` 16 ->
float16, 32 -> float32, 64 -> float64; other widths are left as they are),
i.e. the central satellite works with the numbers that actually crossed the ISL.
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import torch

from constellation.antenna import upa_steering
from constellation.channel import ChannelConfig, link_geometry
from constellation.ephemeris import axes_from_quaternion
from constellation.frames import itrs_to_geodetic
from network.messages import SCSIReport

from .problem import PrecodingProblem

__all__ = ["problem_from_reports", "received"]

_FLOAT_BY_BITS = {16: np.float16, 32: np.float32, 64: np.float64}


def received(x, bits_per_real: int) -> np.ndarray:
    """``x`` (real or complex array) as received after ``bits_per_real`` bits per real number
    (rounded through float16 / float32 / float64; unchanged for other widths), as float64/complex128."""
    a = np.asarray(x)
    ft = _FLOAT_BY_BITS.get(int(bits_per_real))
    if ft is None:
        return a.astype(complex if np.iscomplexobj(a) else float)
    if np.iscomplexobj(a):
        return a.real.astype(ft).astype(float) + 1j * a.imag.astype(ft).astype(float)
    return a.astype(ft).astype(float)


def problem_from_reports(reports: Mapping[int, SCSIReport] | Sequence[SCSIReport], ut_itrs_m,
                         channel_config: ChannelConfig | None = None, *, ut_lat_deg=None, ut_lon_deg=None,
                         power_w=None, noise_w=None, weights=None, quantize: bool = True,
                         dtype: torch.dtype = torch.complex128) -> PrecodingProblem:
    """One drop's PrecodingProblem ``[1, S, K, ...]`` from the S reports the central satellite holds.

    reports: ``{satellite id: SCSIReport}`` (satellite order = insertion order, the central's own
        report included) or a sequence of S reports. Each has K UTs, in the order of ``ut_itrs_m``.
    ut_itrs_m: ``[K, 3]`` UT positions (m, ITRS). ut_lat_deg, ut_lon_deg: ``[K]`` their WGS84
        coordinates (default: from ``ut_itrs_m``, :func:`constellation.frames.itrs_to_geodetic`).
    channel_config: antenna arrays (M = sat_upa, N = ut_upa), element spacing, noise (default Table I).
    power_w: override of the budgets P_s (W), scalar or ``[S]`` (default: each report's ``ssi.power_w``).
    noise_w: sigma_k^2 (W), scalar or ``[K]`` (default ``channel_config.noise_w``).
    weights: rate weights ``[S, K]`` (default ones).
    quantize: round the reported numbers to the precision of their message (see module doc).
    """
    cfg = ChannelConfig() if channel_config is None else channel_config
    reps = list(reports.values()) if isinstance(reports, Mapping) else list(reports)
    if not reps:
        raise ValueError("reports: at least one SCSIReport is needed")
    for i, r in enumerate(reps):
        if not isinstance(r, SCSIReport):
            raise ValueError(f"reports[{i}] is a {type(r).__name__}: an SCSIReport is expected")
    ut = np.asarray(ut_itrs_m, float)
    if ut.ndim != 2 or ut.shape[1] != 3:
        raise ValueError(f"ut_itrs_m must have shape [K, 3], got {ut.shape}")
    k, s, n = ut.shape[0], len(reps), cfg.n
    for i, r in enumerate(reps):
        if r.n_uts != k or r.n_ut_antennas != n:
            raise ValueError(f"reports[{i}] has K={r.n_uts} UTs with N={r.n_ut_antennas} antennas; "
                             f"expected K={k} (ut_itrs_m) and N={n} (channel_config.ut_upa)")
    if ut_lat_deg is None or ut_lon_deg is None:
        lat, lon, _ = itrs_to_geodetic(ut)
    else:
        lat, lon = np.asarray(ut_lat_deg, float), np.asarray(ut_lon_deg, float)
        if lat.shape != (k,) or lon.shape != (k,):
            raise ValueError(f"ut_lat_deg/ut_lon_deg must have shape [K]=({k},), got {lat.shape}/{lon.shape}")

    q = (lambda x, r: received(x, r.bits_per_real)) if quantize else (lambda x, r: np.asarray(x))
    pos = np.stack([q(r.ssi.position_m, r) for r in reps])                          # [S,3]
    axes = axes_from_quaternion(np.stack([q(r.ssi.attitude_q, r) for r in reps]))   # [S,3,3]
    beta = np.stack([q(r.beta, r) for r in reps])                                   # [S,K]
    kappa = np.stack([q(r.kappa, r) for r in reps])
    sigma = np.stack([q(r.sigma, r) for r in reps])                                 # [S,K,N,N]

    geo = link_geometry(pos[None], axes[None], ut[None], lat[None], lon[None])
    u_sat, u_ut = geo["u_sat"], geo["u_ut"]                                          # [1,S,K,3]
    g = upa_steering(u_sat[..., 0], u_sat[..., 1], *cfg.sat_upa, cfg.element_spacing_wl)
    d0 = upa_steering(u_ut[..., 0], u_ut[..., 1], *cfg.ut_upa, cfg.element_spacing_wl)

    if power_w is None:
        pw = np.array([q(r.ssi.power_w, r) for r in reps], float)
    else:
        pw = np.broadcast_to(np.asarray(power_w, float), (s,))
    nw = np.broadcast_to(np.asarray(cfg.noise_w if noise_w is None else noise_w, float), (k,))
    wts = np.ones((s, k)) if weights is None else np.broadcast_to(np.asarray(weights, float), (s, k))

    rdt = torch.empty((), dtype=dtype).real.dtype
    t = lambda x, dt: torch.from_numpy(np.array(x, copy=True)).to(dt)
    return PrecodingProblem(g=t(g, dtype), d0=t(d0, dtype), beta=t(beta[None], rdt), kappa=t(kappa[None], rdt),
                            sigma=t(sigma[None], dtype), noise_w=t(nw[None], rdt), power_w=t(pw[None], rdt),
                            weights=t(wts[None], rdt))
