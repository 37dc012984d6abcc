"""Dec-TFC-WM: the decentralized dual-branch TFC network (multi-satellite paper, Sections IV-V, Algorithm 3).

For satellite s (one weight set shared by all satellites):

    X_loc = [A_loc, R_loc, B_loc] (43)    [K, D_loc]     s's own sCSI   (:func:`.features.link_features`)
    X_oth = [A_oth, U_oth] (44)           [O, K, D_oth]  others' SSI only (:func:`.features.ssi_features`)
    T_loc = TEN_loc(X_loc) (51)-(52)      [K, F]         equivariant over UTs
    T_oth = TEN_oth(X_oth) (53)-(54)      [O, K, F]      equivariant over others and UTs
    T_oth = MDI(T_oth) (55)               [K, F]         attention pooling over the others (invariant)
    C = FDA([T_loc, T_oth]) (56)-(58)     [K, 5+2N]
    (w, u, lam_s, rho, b) = CFR(C) (59);  p_s by (26), rescaled onto P_s (:mod:`.cfr`)
    receive vectors: by default :func:`.cfr.interference_aware_receivers` -- the LoS MMSE form
    of (23) toward the other satellites' known directions, weighted per (t, k) by a head on
    the other branch before pooling (``NetConfig.receiver="predicted"``: the direct b of (59))

The "others" are a set: their order does not matter (MDI and masked MDE means), any number
of them may be known, and a ``mask`` marks which are (missing or stale SSI: mask them out,
or pass only the known ones). The recovery for satellite s uses only s's own sCSI.

Entry points: :meth:`DecTFC.forward` (all satellites of a batched problem at once -- each row
computed exactly as satellite s alone would; used in training and offline evaluation), and
:func:`dec_tfc_local` (what one satellite runs on board: its own S=1 problem and an
:class:`OthersView`).
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from agents.precoding.problem import PrecodingProblem, Precoders

from .cen_tfc import NetConfig
from .cfr import cfr, cfr_flops, g_out, interference_aware_receivers
from .features import d_cen, d_oth, lag_inputs, link_features, ssi_features, upa_cosines
from .layers import FDA, MDI, TEN

__all__ = ["OthersView", "DecTFC", "dec_tfc_local", "others_index"]


@dataclass
class OthersView:
    """What satellite s knows of the other satellites: SSI-derivable quantities only.

    ``g`` complex [B, O, K, M]: steering vector of other satellite t toward each UT (from t's
    position and attitude in its SSI and the UT's GNSS position); ``d0`` complex [B, O, K, N]:
    UT-side LoS steering vector toward t; ``power_w`` [B, O]: t's budget (W, from SSI);
    ``mask`` bool [B, O]: True where t's SSI is known (False entries are ignored; their
    tensors may hold anything finite). O may be 0.
    """

    g: torch.Tensor
    d0: torch.Tensor
    power_w: torch.Tensor
    mask: torch.Tensor

    def __post_init__(self):
        b, o, k, m = self.g.shape
        if self.d0.shape[:3] != (b, o, k) or self.power_w.shape != (b, o) or self.mask.shape != (b, o):
            raise ValueError(f"OthersView: inconsistent shapes g {tuple(self.g.shape)}, d0 {tuple(self.d0.shape)}, "
                             f"power_w {tuple(self.power_w.shape)}, mask {tuple(self.mask.shape)}")
        self.mask = self.mask.to(torch.bool)

    @classmethod
    def from_problem(cls, problem: PrecodingProblem, s: int, known=None) -> "OthersView":
        """Offline: the view of satellite ``s`` of a full problem (every other satellite, in index
        order; ``known`` optional bool [O] or [B, O] of which of them are known). Only g, d0 and
        the budgets are taken -- no CSI of the others."""
        b, s_num = problem.shape[:2]
        if not 0 <= s < s_num:
            raise ValueError(f"OthersView.from_problem: s must be in [0, {s_num}), got {s}")
        idx = [t for t in range(s_num) if t != s]
        mask = torch.ones((b, len(idx)), dtype=torch.bool)
        if known is not None:
            mask = mask & torch.as_tensor(known, dtype=torch.bool).expand(b, len(idx))
        return cls(g=problem.g[:, idx], d0=problem.d0[:, idx], power_w=problem.power_w[:, idx], mask=mask)


def others_index(s_num: int) -> torch.Tensor:
    """[S, S-1] indices of the other satellites of each satellite, in index order."""
    return torch.tensor([[t for t in range(s_num) if t != s] for s in range(s_num)], dtype=torch.long).reshape(s_num, s_num - 1)


class DecTFC(nn.Module):
    """Decentralized TFC net (one weight set for every satellite)."""

    def __init__(self, config: NetConfig = NetConfig(arch="dec")):
        super().__init__()
        if config.arch != "dec":
            raise ValueError(f"DecTFC needs NetConfig(arch='dec'), got {config.arch!r}")
        self.config = config
        c = config
        self.loc = TEN(d_cen(c.m, c.n), c.d_hidden, c.features, c.layers, dims=(-2,))
        self.oth = TEN(d_oth(c.m, c.n), c.d_hidden, c.features, c.layers, dims=(-3, -2))
        self.mdi = MDI(c.features, heads=c.heads, dim=-3)
        self.fda = FDA(2 * c.features, g_out(c.n), dropout=c.dropout)
        self.use_lags = True          # exact lag form of the g g^H block when g are UPA responses (features.is_upa)
        self.last_used_lags = False
        self.nu = nn.Linear(c.features, 1)          # per (other t, UT k) interference weight of the receiver
        with torch.no_grad():
            self.nu.weight.mul_(0.1)
            self.nu.bias.zero_()

    def _check(self, m, n):
        if (m, n) != (self.config.m, self.config.n):
            raise ValueError(f"Dec-TFC-WM: the net was built for M={self.config.m}, N={self.config.n}; "
                             f"got M={m}, N={n}")

    def _head(self, x_loc: torch.Tensor, h_oth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x_loc [B,S',K,D_loc]; h_oth [B,S',O,K,d_h] (embedded other rows); mask [B,S',O]
        -> (C [B,S',K,G], receiver interference logits [B,S',O,K])."""
        t_loc = self.loc(x_loc)
        m5 = mask[..., None, None]
        t_full = self.oth(h_oth, mask=m5, embedded=True)                      # [B,S',O,K,F]
        t_oth = self.mdi(t_full, mask=m5)                                     # [B,S',K,F]
        return self.fda(torch.cat([t_loc, t_oth], -1)), self.nu(t_full)[..., 0]

    def _recover(self, problem, c, nu_logit, d0_oth, p_oth, mask):
        if self.config.receiver == "predicted":
            return cfr(problem, c)
        b = interference_aware_receivers(problem, c, d0_oth, p_oth, nu_logit, mask)
        return cfr(problem, c, b=b)

    def outputs(self, problem: PrecodingProblem, mask: torch.Tensor | None = None):
        """(FDA outputs C [B,S,K,5+2N], receiver logits [B,S,O,K], others' d0 [B,S,O,K,N], budgets
        [B,S,O], mask [B,S,O]) of every satellite s, each from s's sCSI and the others' SSI.
        ``mask`` optional bool [B,S,S-1]: which others each satellite knows (others in index order)."""
        b, s, k, m, n = problem.shape
        self._check(m, n)
        c = self.config
        dt = self.loc.inp.weight.dtype
        cos_g = upa_cosines(problem.g, c.sat_upa, c.spacing_wl) if self.use_lags else None
        lags = cos_g is not None
        self.last_used_lags = lags
        x_loc = link_features(problem, c.sat_upa, c.ut_upa, c.spacing_wl, dtype=dt, lags=lags, g_cosines=cos_g,
                              inputs=c.inputs)
        rows = ssi_features(problem.g, problem.d0, problem.noise_w, problem.power_w, c.sat_upa, c.ut_upa, c.spacing_wl,
                            dtype=dt, lags=lags, g_cosines=cos_g, inputs=c.inputs)
        h_rows = self.oth.embed(rows)                 # the input Linear acts per (t, m) row: embed once, gather per s
        if s > 1:
            idx = others_index(s)
            h_oth = h_rows[:, idx]                  # [B,S,S-1,K,d_h]
            mk = torch.ones((b, s, s - 1), dtype=torch.bool) if mask is None else mask.to(torch.bool).expand(b, s, s - 1)
            d0_oth, p_oth = problem.d0[:, idx], problem.power_w[:, idx]
        else:                                        # nobody else: one masked dummy
            h_oth = torch.zeros((b, 1, 1, k, c.d_hidden), dtype=dt)
            mk = torch.zeros((b, 1, 1), dtype=torch.bool)
            d0_oth, p_oth = torch.zeros((b, 1, 1, k, n), dtype=problem.dtype), torch.ones((b, 1, 1), dtype=problem.power_w.dtype)
        c_out, nu = self._head(x_loc, h_oth, mk)
        return c_out, nu, d0_oth, p_oth, mk

    def forward(self, problem: PrecodingProblem, mask: torch.Tensor | None = None) -> tuple[Precoders, dict]:
        return self._recover(problem, *self.outputs(problem, mask))

    def local_outputs(self, local: PrecodingProblem, others: OthersView):
        """As :meth:`outputs` for one satellite (S'=1) from its own S=1 problem and its view of the others."""
        b, s1, k, m, n = local.shape
        if s1 != 1:
            raise ValueError(f"dec_tfc_local: the local problem must have S=1 (own sCSI), got S={s1}")
        self._check(m, n)
        if others.g.shape[0] != b or others.g.shape[2] != k or others.g.shape[3] != m or others.d0.shape[3] != n:
            raise ValueError(f"dec_tfc_local: OthersView g {tuple(others.g.shape)} / d0 {tuple(others.d0.shape)} "
                             f"do not match the local problem (B={b}, K={k}, M={m}, N={n})")
        c = self.config
        dt = self.loc.inp.weight.dtype
        og = torch.where(others.mask[:, :, None, None], others.g.to(local.dtype), local.g[:, :1].expand_as(others.g)) \
            if others.g.shape[1] else others.g
        cos_loc = upa_cosines(local.g, c.sat_upa, c.spacing_wl) if self.use_lags else None
        cos_oth = upa_cosines(og, c.sat_upa, c.spacing_wl) if cos_loc is not None else None
        lags = cos_oth is not None
        self.last_used_lags = lags
        x_loc = link_features(local, c.sat_upa, c.ut_upa, c.spacing_wl, dtype=dt, lags=lags,
                              g_cosines=cos_loc if lags else None, inputs=c.inputs)
        o = others.g.shape[1]
        if o == 0:
            h_oth = torch.zeros((b, 1, 1, k, c.d_hidden), dtype=dt)
            mk = torch.zeros((b, 1, 1), dtype=torch.bool)
            d0_oth, p_oth = torch.zeros((b, 1, 1, k, n), dtype=local.dtype), torch.ones((b, 1, 1), dtype=local.power_w.dtype)
        else:
            pw = torch.where(others.mask, others.power_w.to(local.power_w.dtype), torch.ones_like(others.power_w, dtype=local.power_w.dtype))
            rows = ssi_features(og, others.d0.to(local.dtype), local.noise_w, pw,
                                c.sat_upa, c.ut_upa, c.spacing_wl, dtype=dt, lags=lags, g_cosines=cos_oth,
                                inputs=c.inputs)
            rows = tuple(torch.where(others.mask[:, :, None, None], r, torch.zeros_like(r)) for r in rows[:2]) + rows[2:]
            h_oth = self.oth.embed(rows)[:, None]
            mk = others.mask[:, None, :]
            d0_oth = torch.where(others.mask[:, :, None, None], others.d0.to(local.dtype), 0)[:, None]
            p_oth = pw[:, None]
        c_out, nu = self._head(x_loc, h_oth, mk)
        return c_out, nu, d0_oth, p_oth, mk

    def flops(self, others: int, k: int, lags: bool | None = None) -> int:
        """Real flops of ONE satellite's inference (local branch, other branch over ``others``
        satellites, MDI, FDA, CFR for one satellite); counted from the layer shapes as in
        :meth:`agents.nets.cen_tfc.CenTFC.flops` (``lags``: input in lag form, default :attr:`use_lags`)."""
        c = self.config
        lags = self.use_lags if lags is None else lags
        big = lag_inputs(c.sat_upa) if lags else c.m * c.m
        o = max(others, 1)
        feats = (1 + o) * k * 8 * (big + c.n * c.n)
        shrink = 2 * c.m * c.m - 2 * big
        return (feats + self.loc.flops((k,), d_in=d_cen(c.m, c.n) - shrink)
                + self.oth.flops((o, k), d_in=d_oth(c.m, c.n) - shrink) + self.mdi.flops(k, o)
                + self.fda.flops(k) + cfr_flops(1, k, c.m, c.n))


def dec_tfc_local(net: DecTFC, local: PrecodingProblem, others: OthersView) -> Precoders:
    """On-board Dec-TFC-WM inference of one satellite: ``local`` its own S=1 problem (its sCSI,
    the UTs' noise, its budget, weights), ``others`` its SSI view of the other satellites.
    Returns that satellite's Precoders [B,1,K,M] / [B,1,K,N], exactly on its budget."""
    prec, _ = net._recover(local, *net.local_outputs(local, others))
    return prec
