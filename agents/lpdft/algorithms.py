"""Joint linear precoding and DFT beam selection (LP-DFT) and its baselines.

Model (one satellite, B independent drops, all batched)::

    x = T F A W s   (element signals [N_a]),   y_k = h_k^H x + n_k,

``W`` [L, K] linear precoder (LP), ``A`` [N, L] binary DFT-port assignment (each
stream l on exactly one port, each port at most once), ``B = T F / sqrt(N_a)``
the windowed 2-D DFT codebook of :mod:`.dft`. The response of user k to port n
is ``G[k, n] = h_k^H B[:, n]`` (``G`` [B, K, N], :attr:`LPDFTScenario.beam_channel`),
so the effective channel of an assignment is ``h_eff = G A`` [B, K, L]: the
columns of ``G`` picked by ``cols`` [B, L] (``cols[l]`` = port of stream l).
An assignment is stored as ``cols`` (int [B, L], distinct per drop), never as a
dense ``A``.

Power: ``||W||_F^2 <= P`` (W) at the DFT input, as in the paper's (12)-(14)
(identity-regularised precoder). Each beam has unit norm, so a stream's power
is radiated exactly; the total radiated power ``||B A W||_F^2`` equals
``||W||_F^2`` when the window is the whole FFT (orthonormal beams, the default
16x16 URA on the 16x16 FFT) and differs from it by the beam cross-terms
otherwise: it is at most ``lambda_max(B^H B) ||W||^2 = (N / N_a) P`` (the
eigenvalues of ``B^H B`` are N / N_a and 0), and the optimised schemes do use
overlapping beams coherently (LP-DFT radiates ~2.5 P on a 4x4 URA, ~1.2 P on
8x8, with the default 16x16 FFT), so their rates are then not comparable with
the fully digital ones at the same P. Every result reports it
(``radiated_power_w``), ``satcoop lpdft`` flags it, and
:func:`scale_to_radiated_budget` (``--radiated-budget``) scales W down onto it.

Algorithm 1 (LP-DFT), one iteration = three block updates of the WMMSE
objective ``sum_k (w_k e_k - ln w_k)`` (conventions of
:mod:`agents.precoding.miso`: the receiver forms ``u_k y_k``):

(i)   MMSE receive coefficients ``u`` and MSE weights ``w`` for the current
      (W, A): :func:`agents.precoding.miso.miso_receive_update` on ``h_eff``;
(ii)  the precoder by the Lagrangian dual: *the* MISO WMMSE precoder update
      :func:`agents.precoding.miso.miso_precoder_update` on ``h_eff``
      (``method="exact"`` root-finding multiplier, or ``"subgradient"`` dual
      ascent); then (i) again for the new W;
(iii) the DFT-port assignment as a linear assignment ("job-employee")
      problem, solved by ``scipy.optimize.linear_sum_assignment``.

Derivation of (iii). With u, w, W fixed, ``h_eff_k = G_k A`` and the objective
is, up to a constant,

    J(A) = sum_k c_k ||G_k A W||^2 - 2 Re sum_k w_k u_k G_k A w_k
         = tr(A R A^T Q) - 2 Re <A, P>,
    c_k = w_k |u_k|^2,  Q = G^H diag(c) G [N, N],  R = W W^H [L, L],
    P[n, l] = sum_k w_k u_k G[k, n] W[l, k]      (P = G^T diag(w u) W^T, [N, L]).

The quadratic term is ``sum_{l, l'} R[l, l'] Q[n_l', n_l]``: its diagonal
(``l = l'``) is ``R_ll Q_{n_l n_l}``, *linear* in A because the rows of A are
binary with norm <= 1 (the paper's Theorem 2), but the cross terms
``l != l'`` couple pairs of streams (a quadratic assignment problem) unless
``R = W W^H`` is diagonal. Linear surrogates, each solved exactly by the
Hungarian method (rows = streams, columns = ports):

* ``paper``: the paper's (17), dropping the cross terms:
  cost[n, l] = Q_nn R_ll - 2 Re P_nl. Exact when the rows of W are orthogonal.
* ``mm``: a majorise-minimise bound. ``||A||_F^2 = L`` for every feasible A and
  ``f(A) - mu ||A||_F^2`` is concave for ``mu >= lambda_max(Q) lambda_max(R)``, so
  J(A) <= J(A0) + <2 Re(Q A0 R) - 2 mu A0 - 2 Re P, A - A0>: minimising it can
  never increase J (but it rarely moves: mu is large).
* ``local``: the paper's weights plus the cross terms linearised at the current
  ports, i.e. Delta[n, l] = the exact change of J when stream l *alone* moves
  from its port n0(l) to n:
  2 Re(Q A0 R)_nl - 2 Re(Q A0 R)_{n0 l} + R_ll (Q_nn + Q_{n0 n0} - 2 Re Q_{n n0})
  - 2 Re (P_nl - P_{n0 l}).
* ``single``: the best single move of one stream to a free port (min Delta),
  if it improves.

The new assignment is the candidate (current, paper, mm, local, single) with
the smallest *true* J (evaluated exactly); the current one is kept on ties.
Hence every block update is non-increasing and the sum rate after each
iteration is non-decreasing (``history["sum_rate"]``) for the exact
multiplier. For the subgradient multiplier (finite iterations) the new W is
scaled into the budget if needed and kept only if it does not increase the
objective. Start: Algorithm 2's ports and ZF precoder (``init="greedy"``,
default) or random ports and a matched filter (``init="random"``, the paper's
1-b); from random ports the alternation stalls in much poorer points (W adapts
to the ports it has, so moving a port with W fixed rarely pays), which is why
the greedy start is the default.

Algorithm 2 (Greedy-ZF): step by step, the strongest remaining (user, port)
pair (max |G[k, n]|^2 over users without a port and unused ports) fixes that
user's port (stream k = user k); then zero forcing on ``h_eff``
(pseudo-inverse), every column scaled to power P/K ("equal", default; "sum"
scales W as a whole to ||W||_F^2 = P, which lets one ill-conditioned pair of
users starve everybody).

Baselines: ``DFT-BF`` (the greedy ports, no LP: W = sqrt(P/K) I, equal power per
beam), ``MF-FDP`` and ``MMSE-FDP`` (fully digital on the N_a elements,
W = h^H and W = h^H (h h^H + sum(sigma^2)/P I)^{-1}, scaled to ||W||_F^2 = P).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.optimize import linear_sum_assignment

from agents.precoding.convergence import DropFreezer
from agents.precoding.miso import miso_objective, miso_precoder_update, miso_rates, miso_receive_update, mrt_init

from .scenario import LPDFTScenario

__all__ = ["CANDIDATES", "LPDFT_SCHEMES", "SchemeResult", "assignment_candidates", "assignment_objective", "assignment_step",
           "assignment_terms", "dft_bf", "effective_channel", "greedy_columns", "greedy_zf", "lp_dft",
           "mf_fdp", "mmse_fdp", "run_scheme", "scale_to_radiated_budget", "solve_assignment", "sum_rate_gbps", "zf_precoder"]

CDTYPE = torch.complex128
RDTYPE = torch.float64


def _c(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x), dtype=CDTYPE)


def _r(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x), dtype=RDTYPE)


@dataclass
class SchemeResult:
    """Outcome of one scheme on a batch of drops.

    name; W complex [B, L, K] (LP-DFT family: L streams; FDP: L = N_a elements);
    cols int [B, L] DFT port of each stream (None for FDP); h_eff complex [B, K, L]
    channel W acts on; rates [B, K] bit/s/Hz; radiated_power_w [B] (W); history (Algorithm 1).
    """

    name: str
    W: torch.Tensor
    cols: np.ndarray | None
    h_eff: torch.Tensor
    rates: np.ndarray
    radiated_power_w: np.ndarray
    history: dict | None = field(default=None, repr=False)

    @property
    def sum_rate_bps_hz(self) -> np.ndarray:
        """Sum rate per drop (bit/s/Hz), [B]."""
        return self.rates.sum(-1)


# ---------------------------------------------------------------------------- helpers
def effective_channel(G: torch.Tensor, cols) -> torch.Tensor:
    """h_eff = G A: the columns ``cols`` [B, L] of ``G`` [B, K, N] -> [B, K, L]."""
    idx = torch.as_tensor(np.asarray(cols), dtype=torch.long)
    return torch.gather(G, 2, idx[:, None, :].expand(G.shape[0], G.shape[1], idx.shape[1]))


def _result(name, scn: LPDFTScenario, W, cols, h_eff, history=None) -> SchemeResult:
    noise = _r(scn.noise_w)
    rates = miso_rates(h_eff, W, noise).numpy()
    if cols is None:
        radiated = (W.abs() ** 2).sum((-2, -1)).numpy()
    else:
        beams = torch.as_tensor(scn.codebook, dtype=CDTYPE)[:, torch.as_tensor(cols)]   # [N_a, B, L]
        x = torch.einsum("abl,blk->bak", beams, W)
        radiated = (x.abs() ** 2).sum((-2, -1)).numpy()
    return SchemeResult(name, W, None if cols is None else np.asarray(cols), h_eff, rates, radiated, history)


def _scale_to_power(W: torch.Tensor, power_w: torch.Tensor) -> torch.Tensor:
    """Scale W [B, L, K] to ||W||_F^2 = power_w [B] (zero W stays zero)."""
    norm2 = (W.abs() ** 2).sum((-2, -1))
    scale = torch.where(norm2 > 0, torch.sqrt(power_w / norm2.clamp_min(1e-300)), torch.zeros_like(norm2))
    return W * scale[:, None, None].to(W.dtype)


def greedy_columns(G, n_streams: int | None = None) -> np.ndarray:
    """Algorithm 2's selection: repeatedly give the strongest (user, port) pair, max |G[k, n]|^2 over
    users without a port and unused ports, its port.

    ``G`` [B, K, N] (numpy or torch) -> ``cols`` int [B, L]. For L = K (default) ``cols[:, k]`` is
    user k's port (stream k serves user k); for L < K the first L picks in pick order.
    Vectorised over drops; the loop is over the L sequential picks.
    """
    g = G.numpy() if isinstance(G, torch.Tensor) else np.asarray(G)
    b, k, n = g.shape
    l_streams = k if n_streams is None else int(n_streams)
    if not 1 <= l_streams <= min(k, n):
        raise ValueError(f"n_streams must be in [1, min(users, DFT columns)] = [1, {min(k, n)}], got {l_streams}")
    score = np.abs(g) ** 2
    user_free = np.ones((b, k), bool)
    port_free = np.ones((b, n), bool)
    by_user = np.full((b, k), -1, np.int64)
    in_order = np.empty((b, l_streams), np.int64)
    rows = np.arange(b)
    for step in range(l_streams):
        masked = np.where(user_free[:, :, None] & port_free[:, None, :], score, -np.inf)
        user, port = np.divmod(masked.reshape(b, -1).argmax(-1), n)
        by_user[rows, user] = port
        in_order[:, step] = port
        user_free[rows, user] = False
        port_free[rows, port] = False
    return by_user if l_streams == k else in_order


def zf_precoder(h_eff: torch.Tensor, power_w: torch.Tensor, power_scaling: str = "equal") -> torch.Tensor:
    """Zero forcing on ``h_eff`` [B, K, L]: W = pinv(h_eff) [B, L, K], then power scaling.

    ``power_scaling="equal"`` (default): every ZF column scaled to power P/K (interference stays
    nulled; an ill-conditioned user costs only its own rate). ``"sum"``: one common factor,
    ||W||_F^2 = P.
    """
    W = torch.linalg.pinv(h_eff)
    if power_scaling == "sum":
        return _scale_to_power(W, power_w)
    if power_scaling != "equal":
        raise ValueError(f"power_scaling must be 'equal' or 'sum', got {power_scaling!r}")
    k = W.shape[-1]
    norm = torch.linalg.vector_norm(W, dim=-2, keepdim=True).clamp_min(1e-300)
    return W / norm * torch.sqrt(power_w / k)[:, None, None].to(W.dtype)


# ---------------------------------------------------------------------------- assignment step
def assignment_terms(G: torch.Tensor, W: torch.Tensor, u: torch.Tensor, w: torch.Tensor):
    """(Q [B, N, N], R [B, L, L], P [B, N, L]) of J(A) = tr(A R A^T Q) - 2 Re <A, P> (module doc)."""
    c = (w * u.abs() ** 2).to(CDTYPE)                                  # [B, K]
    Q = (G.mH * c[:, None, :]) @ G
    R = W @ W.mH
    P = (G * (w.to(CDTYPE) * u)[..., None]).transpose(-2, -1) @ W.transpose(-2, -1)
    return Q, R, P


def assignment_objective(G, cols, W, u, w, noise_w) -> torch.Tensor:
    """WMMSE objective sum_k (w_k e_k - ln w_k) for ports ``cols`` [B, L] with u, w, W fixed: [B].

    e_k = |u_k|^2 (sum_j |h_eff_k w_j|^2 + sigma_k^2) - 2 Re(u_k h_eff_k w_k) + 1 (directly, not via Q, R, P).
    """
    g = effective_channel(G, cols) @ W
    tot = (g.abs() ** 2).sum(-1) + noise_w
    hw = torch.diagonal(g, dim1=-2, dim2=-1)
    e = u.abs() ** 2 * tot - 2.0 * (u * hw).real + 1.0
    return (w * e - torch.log(w)).sum(-1)


def solve_assignment(cost: np.ndarray) -> np.ndarray:
    """Min-cost assignment of L streams to distinct ports: ``cost`` [B, N, L] -> ``cols`` [B, L].

    One ``scipy.optimize.linear_sum_assignment`` per drop (rows = streams, columns = ports).
    """
    cost = np.asarray(cost, float)
    out = np.empty((cost.shape[0], cost.shape[2]), np.int64)
    for b in range(cost.shape[0]):
        rows, ports = linear_sum_assignment(cost[b].T)
        out[b, rows] = ports
    return out


def assignment_candidates(G, cols, W, u, w) -> dict[str, np.ndarray]:
    """Candidate assignments of step (iii) (module doc): {"paper", "mm", "local", "single"}: cols [B, L].

    "paper", "mm", "local": Hungarian solutions of the three linear surrogates; "single": the best
    move of one stream to a free port (exact change Delta, the current ports if none improves).
    Uses the rank-K structure of Q = G^H diag(c) G (never forms the N x N matrix):
    Q_nn = sum_k c_k |G_kn|^2, Q[:, n0] = G^H diag(c) h_eff, lambda_max(Q) = lambda_max(C^1/2 G G^H C^1/2).
    """
    cols = np.asarray(cols)
    c = w * u.abs() ** 2                                               # [B, K]
    R = W @ W.mH                                                       # [B, L, L]
    P = (G * (w.to(CDTYPE) * u)[..., None]).transpose(-2, -1) @ W.transpose(-2, -1)   # [B, N, L]
    lin = -2.0 * P.real
    qd = (c[:, :, None] * G.abs() ** 2).sum(1)                         # Q_nn, [B, N]
    rd = torch.diagonal(R, dim1=-2, dim2=-1).real                      # R_ll, [B, L]
    b, n, l_streams = P.shape
    idx = torch.as_tensor(cols)
    A0 = torch.zeros((b, n, l_streams), dtype=RDTYPE)
    A0.scatter_(1, idx[:, None, :], 1.0)
    qcol = G.mH @ (c.to(CDTYPE)[:, :, None] * effective_channel(G, cols))          # Q[:, n0(l)], [B, N, L]
    qa0r = qcol @ R                                                                  # Q A0 R, [B, N, L]
    sc = c.sqrt().to(CDTYPE)[:, :, None]
    mu = (torch.linalg.eigvalsh((sc * G) @ (sc * G).mH)[:, -1].clamp_min(0)
          * torch.linalg.eigvalsh(R)[:, -1].clamp_min(0))
    cost_paper = qd[:, :, None] * rd[:, None, :] + lin
    cost_mm = 2.0 * qa0r.real - 2.0 * mu[:, None, None] * A0 + lin
    # exact change of J when stream l alone moves from n0(l) to n: f(A0 + D), D = (e_n - e_n0) e_l^T
    q00 = torch.gather(qd, 1, idx)                                                   # Q_{n0 n0}, [B, L]
    at0 = lambda x: torch.gather(x, 1, idx[:, None, :]).squeeze(1)                 # x[n0(l), l], [B, L]
    delta = (2.0 * qa0r.real - 2.0 * at0(qa0r.real)[:, None, :]
             + rd[:, None, :] * (qd[:, :, None] + q00[:, None, :] - 2.0 * qcol.real)
             + lin - at0(lin)[:, None, :])                                            # [B, N, L]
    used = A0.sum(-1) > 0                                                            # [B, N]
    free_delta = torch.where(used[:, :, None], torch.full_like(delta, np.inf), delta)
    best = free_delta.reshape(b, -1).argmin(-1)
    port, stream = best // l_streams, best % l_streams
    single = cols.copy()
    move = free_delta.reshape(b, -1).gather(1, best[:, None]).squeeze(1) < 0
    rows = np.flatnonzero(move.numpy())
    single[rows, stream.numpy()[rows]] = port.numpy()[rows]
    return {"paper": solve_assignment(cost_paper.numpy()), "mm": solve_assignment(cost_mm.numpy()),
            "local": solve_assignment(delta.numpy()), "single": single, "delta": delta.numpy()}


CANDIDATES = ("paper", "mm", "local", "single")


def assignment_step(G, cols, W, u, w, noise_w, rel_tol: float = 1e-12):
    """Step (iii): best of (current, *CANDIDATES) by the true objective. Returns (cols [B, L], choice [B]).

    ``choice`` is 0 (kept) or 1 + the index in :data:`CANDIDATES` (1 paper, 2 mm, 3 local, 4 single).
    Never increases :func:`assignment_objective`.
    """
    cols = np.asarray(cols)
    cands = assignment_candidates(G, cols, W, u, w)
    options = [cols] + [cands[name] for name in CANDIDATES]
    obj = torch.stack([assignment_objective(G, c, W, u, w, noise_w) for c in options])   # [5, B]
    best = obj.argmin(0)
    improves = obj[best, torch.arange(obj.shape[1])] < obj[0] - rel_tol * obj[0].abs()
    choice = torch.where(improves, best, torch.zeros_like(best)).numpy()
    stacked = np.stack(options)                                                      # [5, B, L]
    return stacked[choice, np.arange(cols.shape[0])], choice


# ---------------------------------------------------------------------------- Algorithm 1
def lp_dft(scn: LPDFTScenario, *, method: str = "exact", max_iter: int = 50, tol: float = 1e-6,
           init: str = "greedy", rng: np.random.Generator | None = None, update_assignment: bool = True,
           init_cols=None, init_W=None, multiplier_kwargs: dict | None = None) -> SchemeResult:
    """Algorithm 1: alternating WMMSE (i), dual LP update (ii) and Hungarian port selection (iii).

    Parameters
    ----------
    scn : the drops
    method : "exact" (root-finding multiplier) or "subgradient" (dual subgradient ascent)
    max_iter, tol : a drop stops (is frozen, so its result does not depend on the other drops of
        the batch) when its sum rate changes by less than ``tol`` (relative) in one iteration; all
        stop after ``max_iter`` iterations
    init : "greedy" (Algorithm 2's ports and ZF precoder, L = K; for L < K the first L greedy
        picks and a matched filter) or "random" (ports drawn with ``rng``, matched filter)
    update_assignment : False freezes A (then this is exactly ``miso_wmmse`` on h_eff = G A)
    init_cols, init_W : explicit start (override ``init``)

    Returns a :class:`SchemeResult` whose ``history`` has ``sum_rate`` [I+1, B] (bit/s/Hz,
    non-decreasing for the exact multiplier), ``objective`` [I+1, B] (WMMSE objective at optimal
    u, w), ``lam`` [I, B], ``assignment_choice`` [I, B] (0 kept, 1 paper, 2 mm, 3 local, 4 single), ``iterations``
    (run for the batch), ``drop_iterations`` [B] (iterations each drop ran) and ``converged_at`` [B] (iteration at
    which each drop met ``tol``; max_iter if never): :class:`agents.precoding.convergence.DropFreezer`.
    """
    if method not in ("exact", "subgradient"):
        raise ValueError(f"method must be 'exact' or 'subgradient', got {method!r}")
    if isinstance(max_iter, bool) or int(max_iter) != max_iter or max_iter < 1:
        raise ValueError(f"max_iter must be an integer >= 1, got {max_iter!r}")
    if not (np.isfinite(tol) and tol >= 0):
        raise ValueError(f"tol must be a finite number >= 0, got {tol!r}")
    max_iter = int(max_iter)
    G = _c(scn.beam_channel)
    noise = _r(scn.noise_w)
    power = _r(scn.power_w)
    b, k, n = G.shape
    l_streams = scn.cfg.streams
    kw = dict(multiplier_kwargs or {})
    if method == "subgradient":
        kw.setdefault("max_iter", 3000)
    if init_cols is not None:
        cols = np.asarray(init_cols, np.int64)
    elif init == "greedy":
        cols = greedy_columns(G, l_streams)
    elif init == "random":
        if rng is None:
            raise ValueError("init='random' needs a seeded rng")
        cols = np.stack([rng.permutation(n)[:l_streams] for _ in range(b)])
    else:
        raise ValueError(f"init must be 'greedy' or 'random', got {init!r}")
    if cols.shape != (b, l_streams) or any(len(set(row)) != l_streams for row in cols.tolist()):
        raise ValueError(f"init_cols must be [B, L] = [{b}, {l_streams}] distinct ports per drop")
    h_eff = effective_channel(G, cols)
    if init_W is not None:
        W = torch.as_tensor(init_W, dtype=CDTYPE)
    elif init == "greedy" and l_streams == k:
        W = zf_precoder(h_eff, power)
    else:
        W = mrt_init(h_eff, power)

    def rate(h, W_):
        return miso_rates(h, W_, noise).sum(-1)

    hist_rate, hist_obj, hist_lam, hist_choice = [rate(h_eff, W)], [miso_objective(h_eff, W, noise)], [], []
    freezer = DropFreezer(b, max_iter, tol)              # the shared per-drop policy (converged drops frozen)
    active = torch.ones(b, dtype=torch.bool)             # drops still iterating
    it = 0
    for it in freezer.iterations_range():
        # (i) receive coefficients and MSE weights
        u, _, w = miso_receive_update(h_eff, W, noise)
        # (ii) linear precoder by the Lagrangian dual (the precoding module's update)
        if method == "subgradient" and hist_lam and "lam_init" not in (multiplier_kwargs or {}):
            kw["lam_init"] = hist_lam[-1]                     # warm start the dual ascent
        W_new, lam = miso_precoder_update(h_eff, u, w, power, method=method, **kw)
        if method == "subgradient":
            over = (W_new.abs() ** 2).sum((-2, -1)) > power
            W_new = torch.where(over[:, None, None], _scale_to_power(W_new, power), W_new)
            worse = miso_objective(h_eff, W_new, noise) > miso_objective(h_eff, W, noise)
            W_new = torch.where(worse[:, None, None], W, W_new)
        W = torch.where(active[:, None, None], W_new, W)
        hist_lam.append(torch.where(active, lam, hist_lam[-1]) if hist_lam else lam)
        # (iii) DFT-port selection (with (i) refreshed for the new W)
        if update_assignment:
            u, _, w = miso_receive_update(h_eff, W, noise)
            new_cols, choice = assignment_step(G, cols, W, u, w, noise)
            keep = ~active.numpy()
            new_cols[keep], choice[keep] = cols[keep], 0
            cols = new_cols
            h_eff = effective_channel(G, cols)
            hist_choice.append(torch.as_tensor(choice))
        hist_rate.append(rate(h_eff, W))
        hist_obj.append(miso_objective(h_eff, W, noise))
        idx = freezer.active                                          # relative change of the sum rate
        freezer.update(hist_rate[-2][idx], hist_rate[-1][idx])
        active = torch.zeros(b, dtype=torch.bool)
        active[freezer.active] = True
        if freezer.finished:
            break
    history = {"sum_rate": torch.stack(hist_rate), "objective": torch.stack(hist_obj),
               "lam": torch.stack(hist_lam), "iterations": it, "converged_at": freezer.converged_at.clone(),
               "drop_iterations": freezer.iterations.clone(),
               "assignment_choice": torch.stack(hist_choice) if hist_choice else None}
    return _result("LP-DFT", scn, W, cols, h_eff, history)


# ---------------------------------------------------------------------------- Algorithm 2 and baselines
def _require_square(scn: LPDFTScenario, name: str):
    if scn.cfg.streams != scn.cfg.n_users:
        raise ValueError(f"{name} needs n_streams = users (one beam per user), got "
                         f"n_streams={scn.cfg.streams}, users={scn.cfg.n_users}")


def greedy_zf(scn: LPDFTScenario, power_scaling: str = "equal") -> SchemeResult:
    """Algorithm 2: greedy port per user, then ZF on h_eff (equal power per stream by default)."""
    _require_square(scn, "Greedy-ZF")
    G = _c(scn.beam_channel)
    cols = greedy_columns(G)
    h_eff = effective_channel(G, cols)
    return _result("Greedy-ZF", scn, zf_precoder(h_eff, _r(scn.power_w), power_scaling), cols, h_eff)


def dft_bf(scn: LPDFTScenario) -> SchemeResult:
    """DFT beamforming alone: greedy ports, W = sqrt(P/K) I (equal power per beam, no LP)."""
    _require_square(scn, "DFT-BF")
    G = _c(scn.beam_channel)
    cols = greedy_columns(G)
    h_eff = effective_channel(G, cols)
    k = G.shape[1]
    W = torch.eye(k, dtype=CDTYPE).expand(G.shape[0], k, k) * torch.sqrt(_r(scn.power_w) / k)[:, None, None]
    return _result("DFT-BF", scn, W, cols, h_eff)


def mf_fdp(scn: LPDFTScenario) -> SchemeResult:
    """Fully digital matched filter on the N_a elements: W = h^H scaled to ||W||_F^2 = P."""
    h = _c(scn.h)
    return _result("MF-FDP", scn, _scale_to_power(h.mH, _r(scn.power_w)), None, h)


def mmse_fdp(scn: LPDFTScenario) -> SchemeResult:
    """Fully digital MMSE (regularised ZF): W = h^H (h h^H + sum_k sigma_k^2 / P I)^{-1}, scaled to P."""
    h = _c(scn.h)
    power = _r(scn.power_w)
    k = h.shape[1]
    reg = (_r(scn.noise_w).sum(-1) / power).to(CDTYPE)
    gram = h @ h.mH + reg[:, None, None] * torch.eye(k, dtype=CDTYPE)
    return _result("MMSE-FDP", scn, _scale_to_power(h.mH @ torch.linalg.inv(gram), power), None, h)


# the LP-DFT paper's single-satellite schemes (scenario -> SchemeResult); the multi-satellite
# paper's cooperative schemes are in the catalog agents.schemes
LPDFT_SCHEMES = {"LP-DFT": lp_dft, "Greedy-ZF": greedy_zf, "DFT-BF": dft_bf, "MF-FDP": mf_fdp, "MMSE-FDP": mmse_fdp}


def run_scheme(name: str, scn: LPDFTScenario, **options) -> SchemeResult:
    """Run the scheme registered under ``name`` (one of :data:`LPDFT_SCHEMES`)."""
    try:
        fn = LPDFT_SCHEMES[name]
    except KeyError:
        raise ValueError(f"scheme must be one of {list(LPDFT_SCHEMES)}, got {name!r}") from None
    return fn(scn, **options)


def scale_to_radiated_budget(result: SchemeResult, scn: LPDFTScenario) -> SchemeResult:
    """Scale W down (never up) so the radiated power ||B A W||_F^2 <= P per drop; rates recomputed.

    A no-op for fully digital schemes and for a window equal to the FFT (orthonormal beams).
    """
    power = scn.power_w
    factor = np.sqrt(np.minimum(1.0, power / np.maximum(result.radiated_power_w, 1e-300)))
    W = result.W * torch.as_tensor(factor, dtype=RDTYPE)[:, None, None].to(CDTYPE)
    return _result(result.name, scn, W, result.cols, result.h_eff, result.history)


def sum_rate_gbps(result: SchemeResult, bandwidth_hz: float) -> np.ndarray:
    """Sum rate per drop in Gbit/s for a bandwidth (Hz): bit/s/Hz * B / 1e9, [B]."""
    return result.sum_rate_bps_hz * bandwidth_hz / 1e9

