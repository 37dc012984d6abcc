"""Cen-TFC-WM: the centralized tensor-equivariant TFC network (multi-satellite paper, Section III, Algorithm 2).

TEN (36) -> FDA (38) -> CFR (39) -> precoders by (26) + exact rescaling onto each budget.

    X = [A, R, B] (28)         [B, S, K, D],  D = 8 + 2M^2 + 2N^2   (:func:`.features.link_features`)
    T = TEN(X)                 [B, S, K, F]   equivariant over satellites and UTs (MDE over {S, K})
    C = FDA(T)                 [B, S, K, 5+2N]
    (w, u, lam, rho, b) = CFR(C);  p = (26), rescaled so sum_k ||p_{s,k}||^2 = P_s  (:mod:`.cfr`)
    receive vectors: by default the closed form (23) at the recovered p (``NetConfig.receiver``)

Permuting the satellites and/or UTs of the input permutes the output the same way (every
layer commutes with those permutations), and the net runs at any S, K (trained at S=3, K=12).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from torch import nn

from agents.precoding.problem import PrecodingProblem, Precoders

from . import fast
from .cfr import cfr, cfr_flops, g_out
from .features import INPUTS, d_cen, lag_inputs, link_features, upa_cosines, upa_fit
from .layers import FDA, TEN

__all__ = ["NetConfig", "CenTFC"]


@dataclass(frozen=True)
class NetConfig:
    """Hyper-parameters of a TFC net. ``m``, ``n``: antennas (fix the input sizes); ``sat_upa``,
    ``ut_upa``: UPA shapes (nx, ny) and ``spacing_wl``: element spacing (to read angles off the
    steering vectors); ``d_hidden`` d_h, ``layers`` L, ``features`` F (F_loc = F_oth = F for Dec),
    ``heads`` of the MDI attention, ``dropout`` of the FDA. ``receiver``: Cen "mmse" (default:
    the returned receive vectors are the closed form (23) at the recovered p, which the central
    satellite can evaluate) or "predicted" (the net's b, as in the paper); Dec "ia" (default:
    :func:`.cfr.interference_aware_receivers`, from s's sCSI and the others' SSI) or "predicted".
    ``inputs``: the input version, "v2" (the shipped weights; files without the field are v2) or
    "v3" (scale-invariant: beta over the noise and a per-drop scale, :mod:`.features`)."""

    arch: str = "cen"
    m: int = 64
    n: int = 4
    sat_upa: tuple[int, int] = (8, 8)
    ut_upa: tuple[int, int] = (2, 2)
    spacing_wl: float = 0.5
    d_hidden: int = 64
    layers: int = 3
    features: int = 64
    heads: int = 4
    dropout: float = 0.0
    receiver: str = ""
    inputs: str = "v2"

    def __post_init__(self):
        if self.inputs not in INPUTS:
            raise ValueError(f"NetConfig.inputs must be one of {INPUTS}, got {self.inputs!r}")
        if self.arch not in ("cen", "dec"):
            raise ValueError(f"NetConfig.arch must be 'cen' or 'dec', got {self.arch!r}")
        allowed = ("mmse", "predicted") if self.arch == "cen" else ("ia", "predicted")
        if self.receiver == "":
            object.__setattr__(self, "receiver", allowed[0])
        if self.receiver not in allowed:
            raise ValueError(f"NetConfig.receiver for arch {self.arch!r} must be one of {allowed}, got {self.receiver!r}")
        object.__setattr__(self, "sat_upa", tuple(int(x) for x in self.sat_upa))
        object.__setattr__(self, "ut_upa", tuple(int(x) for x in self.ut_upa))
        if self.sat_upa[0] * self.sat_upa[1] != self.m or self.ut_upa[0] * self.ut_upa[1] != self.n:
            raise ValueError(f"NetConfig: sat_upa {self.sat_upa} / ut_upa {self.ut_upa} do not match M={self.m}, N={self.n}")
        for name in ("d_hidden", "layers", "features", "heads"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"NetConfig.{name} must be a positive integer, got {v!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "NetConfig":
        return cls(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in d.items()})


class CenTFC(nn.Module):
    """Centralized TFC net; ``forward(problem) -> (Precoders, variables)``."""

    def __init__(self, config: NetConfig = NetConfig()):
        super().__init__()
        if config.arch != "cen":
            raise ValueError(f"CenTFC needs NetConfig(arch='cen'), got {config.arch!r}")
        self.config = config
        c = config
        self.ten = TEN(d_cen(c.m, c.n), c.d_hidden, c.features, c.layers, dims=(-3, -2))
        self.fda = FDA(c.features, g_out(c.n), dropout=c.dropout)
        self.use_lags = True          # exact lag form of the g g^H block when g are UPA responses (features.is_upa)
        self.fast = True              # inference by :mod:`.fast` where it applies (same outputs, fewer operations)
        self.last_used_lags = False
        self.last_used_fast = False

    def _check(self, problem: PrecodingProblem):
        m, n = problem.shape[3:]
        if (m, n) != (self.config.m, self.config.n):
            raise ValueError(f"Cen-TFC-WM: the net was built for M={self.config.m}, N={self.config.n}; "
                             f"the problem has M={m}, N={n}")

    def outputs(self, problem: PrecodingProblem) -> torch.Tensor:
        """FDA outputs C [B,S,K,5+2N] (float32)."""
        self._check(problem)
        c = self.config
        cos_g = upa_cosines(problem.g, c.sat_upa, c.spacing_wl) if self.use_lags else None
        lags = cos_g is not None
        self.last_used_lags = lags
        x = link_features(problem, c.sat_upa, c.ut_upa, c.spacing_wl, dtype=self.ten.inp.weight.dtype, lags=lags,
                          g_cosines=cos_g, inputs=c.inputs)
        return self.fda(self.ten(x))

    def forward(self, problem: PrecodingProblem) -> tuple[Precoders, dict]:
        self.last_used_fast = False
        if self.fast and self.use_lags and fast.fast_applies(self, problem):
            self._check(problem)
            c = self.config
            fit = upa_fit(problem.g, c.sat_upa, c.spacing_wl)
            self.last_used_lags = fit is not None
            if fit is not None:
                self.last_used_fast = True
                return fast.cen_forward(self, problem, fit)
        return cfr(problem, self.outputs(problem), receiver=self.config.receiver)

    def flops(self, s: int, k: int, lags: bool | None = None) -> int:
        """Real flops of one forward pass + recovery for S satellites and K UTs (network layers
        counted from their shapes: 2 per multiply-add, plus activations/normalisations; input
        feature construction 8 per complex product (g g^H: M^2 entries, or its L // 2 + 1 lags >= 0); CFR as
        :func:`.cfr.cfr_flops`). ``lags``: input in lag form (default: as :attr:`use_lags`)."""
        c = self.config
        lags = self.use_lags if lags is None else lags
        big = lag_inputs(c.sat_upa) if lags else c.m * c.m
        feats = s * k * 8 * (big + c.n * c.n)
        d_in = d_cen(c.m, c.n) - 2 * c.m * c.m + 2 * big
        return feats + self.ten.flops((s, k), d_in=d_in) + self.fda.flops(s * k) + cfr_flops(s, k, c.m, c.n)
