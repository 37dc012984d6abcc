"""Building blocks of the tensor-equivariant TFC networks (multi-satellite paper, Sections III-C and V-A).

* :class:`MDE` -- multi-dimensional equivariant layer (used in (36c), (52c), (54c)): for an
  input ``x [..., n_1, ..., n_D, d_in]`` whose dimensions ``dims`` are permutation-equivariant,

      MDE(x) = sum_{P subset of dims} repeat_P(mean_P(x)) W_P + b,

  one weight matrix ``W_P [d_in, d_out]`` per subset P (the empty subset is the identity
  term x W_0; a non-empty P averages over the dimensions in P and repeats the mean back
  along them). With |dims| = 2 (satellites, UTs) there are 4 patterns, with |dims| = 1 two.
  Any permutation of the indices of an equivariant dimension commutes with every pattern,
  so the layer is equivariant to it; the layer works for any size of those dimensions.
  An optional ``mask`` (1 = present, 0 = absent, broadcastable to ``x[..., :1]``) restricts
  the means to the present entries (a variable-size set padded to a fixed size).
* :class:`MDI` -- multi-dimensional invariance module (55): pooling by multihead attention
  (PMA, Set Transformer, one learnable seed) along one dimension, which removes that
  dimension: ``[..., n, ..., d] -> [..., ..., d]``, invariant to permutations along it.
  Masked entries get no attention; if nothing is present the output is the seed's
  representation (a learned "no information" state), never NaN.
* :class:`TEN` -- Linear -> L x (MDE -> ReLU -> LayerNorm) -> Linear, (36) / (52) / (54).
* :class:`FDA` -- LN -> Linear -> GELU -> Dropout -> Linear, (38) / (58).

All layers act on the last (feature) dimension and broadcast over every leading dimension.
Written for this project from the paper's description (the public TENN toolbox was not
available to read); no code copied.
"""
from __future__ import annotations

import itertools
import math

import torch
from torch import nn

__all__ = ["MDE", "MDI", "TEN", "FDA", "masked_mean", "fold_lag_weights"]


def masked_mean(x: torch.Tensor, dims: tuple[int, ...], mask: torch.Tensor | None) -> torch.Tensor:
    """Mean of ``x`` over ``dims`` (keepdim), counting only entries where ``mask`` is 1."""
    if not dims:
        return x
    if mask is None:
        return x.mean(dim=dims, keepdim=True)
    m = mask.to(x.dtype)
    num = (x * m).sum(dim=dims, keepdim=True)
    den = m.expand(*x.shape[:-1], 1).sum(dim=dims, keepdim=True)
    return num / den.clamp_min(1.0)


class MDE(nn.Module):
    """Multi-dimensional equivariant linear layer over the dimensions ``dims`` (negative indices
    counted from the end of the input, the feature dimension being -1; e.g. ``(-3, -2)`` for
    ``[B, S, K, d]``). ``2**len(dims)`` patterns, each with its own ``d_in x d_out`` matrix."""

    def __init__(self, d_in: int, d_out: int, dims: tuple[int, ...]):
        super().__init__()
        if any(d >= -1 for d in dims) or len(set(dims)) != len(dims):
            raise ValueError(f"MDE: dims must be distinct negative indices < -1 (feature dim is -1), got {dims}")
        self.dims = tuple(dims)
        self.patterns = [tuple(c) for r in range(len(dims) + 1) for c in itertools.combinations(self.dims, r)]
        self.lin = nn.ModuleList(nn.Linear(d_in, d_out, bias=(i == 0)) for i in range(len(self.patterns)))
        scale = 1.0 / math.sqrt(len(self.patterns))
        with torch.no_grad():
            for lin in self.lin:
                lin.weight.mul_(scale)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        out = None
        for pat, lin in zip(self.patterns, self.lin):
            y = lin(masked_mean(x, pat, mask))       # mean first (cheaper), then broadcast = repeat
            out = y if out is None else out + y
        return out

    def flops(self, shape: tuple[int, ...], d_in: int, d_out: int) -> int:
        """Multiply-adds x2 of one forward pass on an input of leading shape ``shape`` (without d)."""
        total = 0
        n = math.prod(shape)
        for pat in self.patterns:
            rows = n // math.prod(shape[len(shape) + d + 1] for d in pat) if pat else n
            total += 2 * rows * d_in * d_out + (n * d_in if pat else 0) + n * d_out
        return total


class MDI(nn.Module):
    """PMA with one seed along dimension ``dim`` (negative, feature dim -1): ``[..., n, ..., d] -> [..., d]``
    without that dimension. MAB(seed, X) = LN(H + rFF(H)), H = LN(seed + MHA(seed, X, X))."""

    def __init__(self, d: int, heads: int = 4, dim: int = -3):
        super().__init__()
        if d % heads:
            raise ValueError(f"MDI: feature size {d} must be divisible by heads {heads}")
        if dim >= -1:
            raise ValueError(f"MDI: dim must be a negative index < -1, got {dim}")
        self.d, self.heads, self.dim = d, heads, dim
        self.seed = nn.Parameter(torch.randn(d) / math.sqrt(d))
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.ff = nn.Sequential(nn.Linear(d, d), nn.ReLU(), nn.Linear(d, d))

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        h, dh = self.heads, self.d // self.heads
        xm = x.movedim(self.dim, -2)                                  # [..., n, d]
        lead, n = xm.shape[:-2], xm.shape[-2]
        q = self.q(self.seed).view(h, dh)                             # [h, dh]
        k = self.k(xm).view(*lead, n, h, dh)
        v = self.v(xm).view(*lead, n, h, dh)
        score = (k * q).sum(-1) / math.sqrt(dh)                       # [..., n, h]
        if mask is not None:
            m = mask.to(torch.bool).expand(*x.shape[:-1], 1).movedim(self.dim, -2)   # [..., n, 1]
            score = score.masked_fill(~m, float("-inf"))
            any_present = m.any(-2, keepdim=True)                     # [..., 1, 1]
            score = torch.where(any_present, score, torch.zeros_like(score))
            att = torch.softmax(score, dim=-2) * any_present.to(x.dtype)
        else:
            att = torch.softmax(score, dim=-2)
        pooled = (att[..., None] * v).sum(-3).reshape(*lead, self.d)  # [..., d]
        hid = self.ln1(self.seed + self.o(pooled))
        return self.ln2(hid + self.ff(hid))

    def flops(self, rows: int, n: int) -> int:
        """Approximate flops for ``rows`` pooled outputs over sets of size ``n``."""
        d = self.d
        return rows * (2 * 2 * n * d * d + 4 * n * d + 2 * d * d + 2 * 2 * d * d + 20 * d)


def fold_lag_weights(w: torch.Tensor) -> torch.Tensor:
    """Weights ``w [H, 2L]`` of the L lags of v v^H (Re, Im interleaved, lag order of
    :func:`agents.nets.features.upa_lags`, L odd) folded onto the lags c..L-1, c = L // 2 (zero lag
    first): v v^H is Hermitian, so lag L-1-l is the conjugate of lag l, and
    ``w . x = w_fold . x[..., 2c:]`` with Re weights added and Im weights subtracted pairwise. The
    same linear map at half the width (2 (c + 1) = 226 instead of 450 inputs for 8 x 8)."""
    h, two_l = w.shape
    n_lags = two_l // 2
    if n_lags % 2 != 1:
        raise ValueError(f"fold_lag_weights: the number of lags must be odd, got {n_lags}")
    c = n_lags // 2
    w = w.view(h, n_lags, 2)
    pos, mir = w[:, c:], w[:, :c + 1].flip(1)                   # lag c + i and its mirror c - i
    sign = torch.tensor([1.0, -1.0], dtype=w.dtype)
    folded = torch.cat([pos[:, :1], pos[:, 1:] + mir[:, 1:] * sign], 1)
    return folded.reshape(h, 2 * (c + 1))


class TEN(nn.Module):
    """Tensor-equivariant network: Linear -> L x (MDE -> ReLU -> LN) -> Linear, equivariant over ``dims``."""

    def __init__(self, d_in: int, d_hidden: int, d_out: int, layers: int, dims: tuple[int, ...]):
        super().__init__()
        self.d_in, self.d_hidden, self.d_out = d_in, d_hidden, d_out
        self.inp = nn.Linear(d_in, d_hidden)
        self.mde = nn.ModuleList(MDE(d_hidden, d_hidden, dims) for _ in range(layers))
        self.ln = nn.ModuleList(nn.LayerNorm(d_hidden) for _ in range(layers))
        self.out = nn.Linear(d_hidden, d_out)

    def embed(self, x) -> torch.Tensor:
        """The input Linear; ``x`` a tensor or a pair (small, big) whose concatenation is the input
        (computed blockwise, without materialising the concatenation), or a triple (small, lags,
        feat_map) with the big block in lag form (:func:`agents.nets.features.upa_lags`): all L lags
        [..., 2L] or the lags >= 0 only [..., 2 (L // 2 + 1)] (what the feature builders give)."""
        if isinstance(x, tuple):
            small, big = x[0], x[1]
            ds = small.shape[-1]
            w = self.inp.weight
            w_big = w[:, ds:]
            if len(x) == 3:          # big given as lags: sum the weights of the features sharing a lag (exact)
                n_lags = (int(x[2].max()) + 2) // 2                    # L, from the feature map
                w_big = self._lag_weights(w_big, n_lags, x[2])      # folded onto the lags >= 0 (fold_lag_weights)
                if big.shape[-1] == 2 * n_lags:                      # every lag given: keep those >= 0
                    big = big[..., 2 * (n_lags // 2):]
            return nn.functional.linear(small, w[:, :ds], self.inp.bias) + nn.functional.linear(big, w_big)
        return self.inp(x)

    def _lag_weights(self, w_big: torch.Tensor, n_lags: int, feat_map: torch.Tensor) -> torch.Tensor:
        """Input weights summed per lag and folded onto the lags >= 0 (:func:`fold_lag_weights`),
        [d_hidden, 2 (L//2 + 1)]. Outside autograd (inference) they are cached and
        reused while the weight tensor is the same object at the same version (in-place
        updates: optimizer steps, ``load_state_dict``), storage and dtype, and the feature map is the same object."""
        summed = lambda: fold_lag_weights(
            w_big.new_zeros((w_big.shape[0], 2 * n_lags)).index_add(1, feat_map, w_big))
        w = self.inp.weight
        if torch.is_grad_enabled() or w.is_inference():     # inference tensors keep no version counter
            return summed()
        cached = getattr(self, "_lag_cache", None)
        key = (w._version, w.data_ptr(), w.dtype)           # .double() / .float() swap the data in place
        if cached is None or cached[0] is not w or cached[1] != key or cached[2] is not feat_map:
            cached = (w, key, feat_map, summed())
            self._lag_cache = cached
        return cached[3]

    def forward(self, x, mask: torch.Tensor | None = None, embedded: bool = False) -> torch.Tensor:
        """``embedded``: ``x`` is already ``embed(x)`` (lets a caller share the input layer across views)."""
        h = x if embedded else self.embed(x)
        for mde, ln in zip(self.mde, self.ln):
            h = ln(torch.relu(mde(h, mask)))
        return self.out(h)

    def flops(self, shape: tuple[int, ...], embedded: bool = False, d_in: int | None = None) -> int:
        """``d_in``: effective input width (lag form), default the layer's."""
        n = math.prod(shape)
        total = 0 if embedded else 2 * n * (self.d_in if d_in is None else d_in) * self.d_hidden
        for mde in self.mde:
            total += mde.flops(shape, self.d_hidden, self.d_hidden) + 10 * n * self.d_hidden
        return total + 2 * n * self.d_hidden * self.d_out


class FDA(nn.Module):
    """Feature dimension adapter: LN -> Linear(F, G) -> GELU -> Dropout -> Linear(G, G_out)."""

    def __init__(self, d_in: int, g: int, g_out: int | None = None, dropout: float = 0.0, out_scale: float = 0.1):
        super().__init__()
        self.d_in, self.g, self.g_out = d_in, g, g if g_out is None else g_out
        self.ln = nn.LayerNorm(d_in)
        self.l1 = nn.Linear(d_in, g)
        self.drop = nn.Dropout(dropout)
        self.l2 = nn.Linear(g, self.g_out)
        with torch.no_grad():                 # start near the physics prior of the CFR (outputs ~ 0)
            self.l2.weight.mul_(out_scale)
            self.l2.bias.zero_()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.l2(self.drop(nn.functional.gelu(self.l1(self.ln(x)))))

    def flops(self, rows: int) -> int:
        return rows * (10 * self.d_in + 2 * self.d_in * self.g + 8 * self.g + 2 * self.g * self.g_out)
