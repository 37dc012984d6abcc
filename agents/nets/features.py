"""Input tensors of the TFC networks, built from a :class:`~agents.precoding.problem.PrecodingProblem`.

Multi-satellite paper, eq. (28) (centralized) and (43)-(44) (decentralized). Per link (s, k):

* A (6): the four angles as array-frame direction cosines -- (u_x, u_y) of the AoD in the
  satellite array frame and of the LoS AoA in the UT array frame (the arguments
  ``sin(theta)cos(phi)``, ``cos(theta)`` of the UPA responses (4)-(5), see
  :mod:`constellation.antenna`) -- then the noise power sigma_k^2 and the budget P_s.
  The direction cosines are read off the phase progression of the unit-norm steering
  vectors g, d0 (exact for element spacing <= lambda/2; no wrap-around, unlike raw
  angles). They are the paper's angles Phi, Theta, re-expressed.
* R (2N^2 + 2M^2): Re/Im vec of R_ut (14) and of R_sat = beta g g^H (15), each divided by
  beta (their scale is in B) and multiplied by N resp. M so entries are O(1):
  ``N R_ut / beta = N (kappa d0 d0^H + Sigma)/(kappa+1)``, ``M g g^H``.
* B (2): beta and kappa, in dB.

Scalars enter in dB with fixed affine normalisations (constants below, not fitted to data):
``(10 log10 beta - BETA_DB0)/10``, ``10 log10 kappa / 10`` (clipped to [-3, 6]),
``(10 log10 sigma^2 - NOISE_DB0)/10``, ``P_dBW/10``.

Input versions (``NetConfig.inputs``). "v2" (the shipped weights): as above. "v3": no feature
carries an absolute scale of the world (path loss and noise power change with altitude and
elevation). The three scalar slots of a link row become
``(10 log10(P_s beta_{s,k} / sigma_k^2) - SNR_DB0)/10`` (the link's SNR at full power: beta over
the noise, in place of sigma^2), ``P_dBW/10`` (the budget, a user setting, unchanged) and
``10 log10(beta_{s,k} / geomean_k beta_{s,k})/10`` (the link's gain relative to satellite s's own
per-drop scale, its geometric mean over the UTs, in place of beta); an other-satellite row's noise
slot becomes ``10 log10(sigma_k^2 / geomean_k sigma_k^2)/10`` (relative to the drop's scale). R_ut
and g g^H are already divided by beta. So multiplying every beta and every sigma^2 by one factor
leaves the v3 input, hence the precoders, unchanged -- as it leaves the ergodic rate (16) (both
SINR terms scale alike; the CFR's rho and lam scale alike and the budget rescaling removes it).
Each scale is per satellite (its own links, the UTs' noise): the decentralized net needs no CSI of
the others for it, and the rows stay equivariant.

Decentralized inputs for satellite s: local rows as above (A_loc, R_loc, B_loc), and per
other satellite t != s and UT m the SSI-derivable row (44):
``[A_oth (6), Re/Im vec(N d0 d0^H), Re/Im vec(M g g^H)]`` -- the steering vectors of t
(functions of t's position and attitude from its SSI and the UT's GNSS position), the
UT noise power and t's budget. No beta, kappa, Sigma or R_ut of another satellite is used.

Feature sizes: D_cen = D_loc = 8 + 2M^2 + 2N^2, D_oth = 6 + 2M^2 + 2N^2. Real ``dtype`` output
(float32 in training; the registered schemes run the nets in float64 so that a drop's result
does not depend on its batch-mates to better than ~1e-12),
returned as a pair (small, big) whose concatenation is the input row: small = [A, B, R_ut part]
(8 + 2N^2) or [A_oth, d0 d0^H part] (6 + 2N^2), big = the 2M^2 satellite-side block; Re and Im
interleaved per matrix entry (a fixed reordering of (28)/(44), free for the input Linear, and
it avoids copying the 8k-wide rows). With ``lags=True`` (steering vectors that are exact UPA
responses, :func:`is_upa`) the big block is given by its L = (2nx-1)(2ny-1) distinct entries
(v v^H of a UPA response depends only on the index lag), of which, v v^H being Hermitian, the
L // 2 + 1 lags >= 0 (the others are their conjugates), plus the map of the 2M^2 features onto
the lags; :meth:`agents.nets.layers.TEN.embed` then sums the input weights per lag and folds each
conjugate pair -- the same linear map, exactly, at 2 (L // 2 + 1) instead of 2M^2 inputs (226 vs
8192 for 8 x 8).
"""
from __future__ import annotations

import math
from functools import lru_cache

import torch

from .workspace import buffer

__all__ = ["direction_cosines", "upa_fit", "upa_cosines", "is_upa", "link_features", "ssi_features", "d_cen", "d_oth", "BETA_DB0",
           "NOISE_DB0", "SNR_DB0", "INPUTS"]

BETA_DB0 = -130.0      # dB, centre of the beta normalisation (world drops span about -145 .. -110 dB)
NOISE_DB0 = -150.0     # dBW, centre of the noise normalisation (-152 dBW per 30 kHz subcarrier)
SNR_DB0 = 20.0         # dB, centre of the v3 link-SNR normalisation (beta P / sigma^2 at 0 dBW: about 5 .. 40 dB)
INPUTS = ("v2", "v3")  # input versions (module docstring)


def d_cen(m: int, n: int) -> int:
    return 8 + 2 * m * m + 2 * n * n


def d_oth(m: int, n: int) -> int:
    return 6 + 2 * m * m + 2 * n * n


def _db(x: torch.Tensor) -> torch.Tensor:
    return 10.0 * torch.log10(x.clamp_min(1e-300))


def _lag_one_sums(a: torch.Tensor, upa: tuple[int, int]) -> list[torch.Tensor | None]:
    """Per axis of ``a [..., nx*ny]``: sum of a_{i+1,j} conj(a_{i,j}) (x) and of a_{i,j+1} conj(a_{i,j}) (y),
    complex [...]; None along a 1-element axis. For a UPA response their phase is -2 pi d u."""
    nx, ny = upa
    if a.shape[-1] != nx * ny:
        raise ValueError(f"direction_cosines: vector length {a.shape[-1]} != nx*ny = {nx}*{ny}")
    sx = torch.linalg.vecdot(a[..., :-ny], a[..., ny:]) if nx > 1 else None   # sum conj(a_{i,j}) a_{i+1,j}
    g = a.reshape(*a.shape[:-1], nx, ny)
    sy = torch.linalg.vecdot(g[..., :-1], g[..., 1:]).sum(-1) if ny > 1 else None
    return [sx, sy]


def _cosines_of(sums: list[torch.Tensor | None], shape, dtype, spacing_wl: float) -> torch.Tensor:
    return torch.stack([torch.zeros(shape, dtype=dtype) if sm is None else -torch.angle(sm) / (2.0 * math.pi * spacing_wl)
                        for sm in sums], -1)


def direction_cosines(a: torch.Tensor, upa: tuple[int, int], spacing_wl: float = 0.5) -> torch.Tensor:
    """(u_x, u_y) [..., 2] of unit-norm UPA responses ``a [..., nx*ny]`` (index i*ny + j, phase
    -2 pi d (i u_x + j u_y), :func:`constellation.antenna.upa_steering`); 0 along a 1-element axis."""
    return _cosines_of(_lag_one_sums(a, upa), a.shape[:-1], a.real.dtype, spacing_wl)


def _powers(z: torch.Tensor, n: int) -> torch.Tensor:
    """[1, z, z^2, .., z^(n-1)] along a new last axis (complex)."""
    zs = z[..., None].expand(*z.shape, n).clone()
    zs[..., 0] = 1.0
    return torch.cumprod(zs, -1)


def upa_fit(a: torch.Tensor, upa: tuple[int, int], spacing_wl: float = 0.5, rtol: float = 1e-5):
    """(direction cosines [..., 2], ex [..., nx], ey [..., ny]) if every vector of ``a [..., nx*ny]`` is a
    UPA response (up to a common phase), else None: ``a`` is reconstructed as
    ``a_0/|a_0| ex_i ey_j / sqrt(M)`` within ``rtol``, with the unit phasors
    ``ex_i = exp(-2j pi d u_x i)``, ``ey_j = exp(-2j pi d u_y j)`` taken as powers of the phase of the
    lag-one sums (:func:`direction_cosines`; the same numbers as the exponentials of the cosines,
    to rounding, without trigonometric functions)."""
    nx, ny = upa
    sums = _lag_one_sums(a, upa)
    u = _cosines_of(sums, a.shape[:-1], a.real.dtype, spacing_wl)
    if a.numel() == 0:
        return u, None, None
    axes = []
    for sm, size in zip(sums, upa):
        if sm is None:
            axes.append(torch.ones(*a.shape[:-1], 1, dtype=a.dtype))
            continue
        # exp(-2j pi d u); a zero sum (never for a UPA response, |sum| = 1 - 1/size) gives z = 0, refused below
        # unless a = 0, which every z reconstructs
        axes.append(_powers(sm / sm.abs().clamp_min(1e-300), size))
    ex, ey = axes
    ph = a[..., :1] / a[..., :1].abs().clamp_min(1e-300)
    shape = (*a.shape[:-1], nx, ny)
    scratch = not (torch.is_grad_enabled() and a.requires_grad)       # reused buffers (workspace) outside autograd
    err = torch.addcmul(a.reshape(shape), (ex * (ph / -math.sqrt(nx * ny)))[..., :, None], ey[..., None, :],
                        out=buffer("upa_fit.err", shape, a.dtype) if scratch else None)    # a - reconstruction
    re, im = err.real, err.imag
    sq = torch.mul(re, re, out=buffer("upa_fit.sq", shape, re.dtype) if scratch else None)
    worst = sq.addcmul_(im, im).amax()                                  # max |err|^2
    return (u, ex, ey) if bool(worst <= (rtol / math.sqrt(nx * ny)) ** 2) else None


def _complex(dtype: torch.dtype) -> torch.dtype:
    return torch.complex128 if dtype == torch.float64 else torch.complex64


def _outer_feats(v: torch.Tensor, scale: float, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Re/Im (interleaved) of vec(scale v v^H) [..., 2 n^2] (real ``dtype``)."""
    v = v.to(_complex(dtype))
    o = (v * scale)[..., :, None] * v[..., None, :].conj()
    return torch.view_as_real(o).reshape(*o.shape[:-2], -1)


@lru_cache(maxsize=8)
def upa_lags(nx: int, ny: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Lag structure of vec(v v^H) for a UPA response v (index p = i*ny + j).

    Entry (p, q) of v v^H depends only on the lag (i - i', j - j') when v is a UPA response
    (phase linear in i and j): L = (2nx-1)(2ny-1) distinct values instead of M^2. Returns
    (``feat_map`` long [2 M^2]: lag feature of every interleaved Re/Im feature of
    :func:`_outer_feats`, ``rep_p``, ``rep_q`` long [L]: one (p, q) pair of each lag)."""
    m = nx * ny
    idx = torch.arange(m)
    i, j = idx // ny, idx % ny
    lag = (i[:, None] - i[None, :] + nx - 1) * (2 * ny - 1) + (j[:, None] - j[None, :] + ny - 1)   # [M, M]
    n_lags = (2 * nx - 1) * (2 * ny - 1)
    flat = lag.reshape(-1)
    first = torch.full((n_lags,), m * m, dtype=torch.long).scatter_reduce(0, flat, torch.arange(m * m), "amin")
    feat_map = torch.stack([2 * flat, 2 * flat + 1], -1).reshape(-1)
    return feat_map, first // m, first % m


def lag_count(upa: tuple[int, int]) -> int:
    """L = (2nx-1)(2ny-1) distinct entries of v v^H for a UPA response v."""
    return (2 * upa[0] - 1) * (2 * upa[1] - 1)


def lag_inputs(upa: tuple[int, int]) -> int:
    """L // 2 + 1: the lags >= 0 the net's input reads (the others are their conjugates)."""
    return lag_count(upa) // 2 + 1


def upa_cosines(a: torch.Tensor, upa: tuple[int, int], spacing_wl: float = 0.5, rtol: float = 1e-5):
    """Direction cosines [..., 2] of ``a [..., nx*ny]`` if every vector is a UPA response (up to a
    common phase): reconstructed from its direction cosines within ``rtol`` (:func:`upa_fit`); else None.
    The net's lag-form input (:func:`upa_lags`) is exact exactly when this is not None."""
    fit = upa_fit(a, upa, spacing_wl, rtol)
    return None if fit is None else fit[0]


def is_upa(a: torch.Tensor, upa: tuple[int, int], spacing_wl: float = 0.5, rtol: float = 1e-5) -> bool:
    """True if every vector of ``a [..., nx*ny]`` is a UPA response (up to a common phase), so that
    :func:`upa_lags` holds exactly: reconstructed from its direction cosines within ``rtol``."""
    return a.numel() == 0 or upa_cosines(a, upa, spacing_wl, rtol) is not None


def _lag_feats(v: torch.Tensor, upa: tuple[int, int], scale: float, dtype: torch.dtype,
               cosines: torch.Tensor | None = None, spacing_wl: float = 0.5, half: bool = False) -> torch.Tensor:
    """Re/Im (interleaved) of the L distinct entries of scale v v^H of UPA responses, [..., 2L].
    ``half``: only the lags c..L-1, c = L // 2 (the zero lag and one of each conjugate pair:
    lag L-1-l is the conjugate of lag l), [..., 2 (c + 1)] -- all the net's input Linear needs
    (:func:`agents.nets.layers.fold_lag_weights`).

    With ``cosines`` (the direction cosines of v, :func:`upa_cosines`) the entries come from the
    closed form scale/M exp(-j 2 pi d (di u_x + dj u_y)) of lag (di, dj) (lag order of
    :func:`upa_lags`), a separable product of 2nx-1 and 2ny-1 phasors: no gather and no
    M-wide complex products, the same numbers to rounding for UPA responses."""
    nx, ny = upa
    if cosines is not None:
        rdt = torch.float64 if dtype == torch.float64 else torch.float32
        u = cosines.to(torch.float64)
        w = -2.0 * math.pi * spacing_wl
        px = w * u[..., 0, None] * torch.arange(0 if half else -(nx - 1), nx, dtype=torch.float64)   # phases, float64
        py = w * u[..., 1, None] * torch.arange(-(ny - 1), ny, dtype=torch.float64)
        if rdt != torch.float64:         # reduce to [-pi, pi) before rounding: ~2e-7 rad in float32, not ~2e-6
            px, py = (torch.remainder(a + math.pi, 2 * math.pi) - math.pi for a in (px, py))
        one = torch.ones((), dtype=rdt)
        ex = torch.polar(one.expand(*u.shape[:-1], px.shape[-1]), px.to(rdt))
        ey = torch.polar(one.expand(*u.shape[:-1], 2 * ny - 1), py.to(rdt))
        o = (ex * (scale / (nx * ny)))[..., :, None] * ey[..., None, :]                 # [..., 2nx-1 or nx, 2ny-1]
        o = o.reshape(*u.shape[:-1], -1)
        if half:                         # row di = 0 starts at lag c = (nx-1)(2ny-1) + ny-1: drop its dj < 0
            o = o[..., ny - 1:]
        return torch.view_as_real(o).reshape(*u.shape[:-1], -1).to(dtype)
    _, rep_p, rep_q = upa_lags(*upa)
    if half:
        c = rep_p.shape[0] // 2
        rep_p, rep_q = rep_p[c:], rep_q[c:]
    v = v.to(_complex(dtype))
    o = (v[..., rep_p] * scale) * v[..., rep_q].conj()
    return torch.view_as_real(o).reshape(*o.shape[:-1], -1)


def _check_inputs(inputs: str) -> None:
    if inputs not in INPUTS:
        raise ValueError(f"inputs must be one of {INPUTS}, got {inputs!r}")


def _scalar_slots(problem, inputs: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three scale-carrying slots [B,S,K] of a link row (noise, power, beta), in the problem's real dtype."""
    bsz, s, k = problem.shape[:3]
    power_db = _db(problem.power_w)[:, :, None].expand(bsz, s, k)
    beta_db = _db(problem.beta)
    if inputs == "v2":
        noise = ((_db(problem.noise_w) - NOISE_DB0) / 10.0)[:, None, :].expand(bsz, s, k)
        return noise, power_db / 10.0, (beta_db - BETA_DB0) / 10.0
    snr = (power_db + beta_db - _db(problem.noise_w)[:, None, :] - SNR_DB0) / 10.0
    return snr, power_db / 10.0, (beta_db - beta_db.mean(-1, keepdim=True)) / 10.0


def _matrix_feats(a: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Re/Im (interleaved) of vec(a) [..., 2 n^2] (real ``dtype``) for a [..., n, n]."""
    a = a.to(_complex(dtype)).contiguous()
    return torch.view_as_real(a).reshape(*a.shape[:-2], -1)


def _angle_feats(g, d0, sat_upa, ut_upa, spacing_wl, g_cosines=None):
    cg = direction_cosines(g, sat_upa, spacing_wl) if g_cosines is None else g_cosines.to(g.real.dtype)
    return torch.cat([cg, direction_cosines(d0, ut_upa, spacing_wl)], -1)


def link_features(problem, sat_upa: tuple[int, int], ut_upa: tuple[int, int], spacing_wl: float = 0.5,
                  dtype: torch.dtype = torch.float32, lags: bool = False, g_cosines: torch.Tensor | None = None,
                  inputs: str = "v2"):
    """Centralized / local input (28) as (small [B,S,K,8+2N^2] = [A, B, R_ut], big [B,S,K,2M^2] = R_sat), float32.
    ``g_cosines``: the direction cosines of g from :func:`upa_cosines` (not None: g are UPA
    responses), reused for A and for the closed-form lag block. ``inputs``: "v2" or "v3" (module docstring)."""
    _check_inputs(inputs)
    bsz, s, k, m, n = problem.shape
    ang = _angle_feats(problem.g, problem.d0, sat_upa, ut_upa, spacing_wl, g_cosines).to(dtype)
    noise, power, beta_f = (x.to(dtype) for x in _scalar_slots(problem, inputs))
    beta = problem.beta
    r_ut = problem.r_ut / beta.clamp_min(1e-300).to(problem.dtype)[..., None, None] * n
    b_feats = torch.stack([beta_f, (_db(problem.kappa) / 10.0).clamp(-3.0, 6.0).to(dtype)], -1)
    small = torch.cat([ang, noise[..., None], power[..., None], b_feats, _matrix_feats(r_ut, dtype)], -1)
    if lags:        # exact for UPA steering vectors: the big block as its L distinct lags (+ their feature map)
        return small, _lag_feats(problem.g, sat_upa, float(m), dtype, g_cosines, spacing_wl, half=True), \
            upa_lags(*sat_upa)[0]
    return small, _outer_feats(problem.g, float(m), dtype)


def ssi_features(g: torch.Tensor, d0: torch.Tensor, noise_w: torch.Tensor, power_w: torch.Tensor,
                 sat_upa: tuple[int, int], ut_upa: tuple[int, int], spacing_wl: float = 0.5,
                 dtype: torch.dtype = torch.float32, lags: bool = False, g_cosines: torch.Tensor | None = None,
                 inputs: str = "v2"):
    """Other-satellite rows (44) as (small [B,T,K,6+2N^2] = [A_oth, d0 d0^H], big [B,T,K,2M^2] = g g^H), float32, from SSI-derivable
    quantities only: steering vectors ``g [B,T,K,M]``, ``d0 [B,T,K,N]``, UT noise ``noise_w [B,K]`` (W)
    and budgets ``power_w [B,T]`` (W). ``inputs``: "v2" or "v3" (module docstring)."""
    _check_inputs(inputs)
    bsz, t, k, m = g.shape
    n = d0.shape[-1]
    ang = _angle_feats(g, d0, sat_upa, ut_upa, spacing_wl, g_cosines).to(dtype)
    noise_db = _db(noise_w)
    noise = ((noise_db - NOISE_DB0) if inputs == "v2" else (noise_db - noise_db.mean(-1, keepdim=True))) / 10.0
    noise = noise[:, None, :].expand(bsz, t, k).to(dtype)
    power = (_db(power_w) / 10.0)[:, :, None].expand(bsz, t, k).to(dtype)
    small = torch.cat([ang, noise[..., None], power[..., None], _outer_feats(d0, float(n), dtype)], -1)
    if lags:
        return small, _lag_feats(g, sat_upa, float(m), dtype, g_cosines, spacing_wl, half=True), upa_lags(*sat_upa)[0]
    return small, _outer_feats(g, float(m), dtype)
