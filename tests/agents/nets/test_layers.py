"""MDE / MDI layers: equivariance, invariance, masks -- against direct permutation of the input."""
from __future__ import annotations

import torch

from agents.nets.layers import MDE, MDI, masked_mean


def test_mde_is_equivariant_over_both_dims_and_mixes_entries():
    torch.manual_seed(0)
    layer = MDE(5, 7, dims=(-3, -2))
    assert len(layer.patterns) == 4                     # {}, {S}, {K}, {S,K}
    x = torch.randn(2, 3, 4, 5)
    ps, pk = torch.tensor([2, 0, 1]), torch.tensor([3, 1, 0, 2])
    y = layer(x)
    assert torch.allclose(layer(x[:, ps][:, :, pk]), y[:, ps][:, :, pk], atol=1e-6)
    # not trivially equivariant: an entry's output depends on the other entries (pooling patterns)
    x2 = x.clone()
    x2[:, 0, 0] += 1.0
    assert (layer(x2)[:, 1, 1] - y[:, 1, 1]).abs().max() > 1e-3


def test_mde_patterns_match_their_definition():
    """y = x W0 + b + mean_S(x) W_S + mean_K(x) W_K + mean_SK(x) W_SK, written out by hand."""
    torch.manual_seed(1)
    layer = MDE(3, 2, dims=(-3, -2))
    x = torch.randn(1, 3, 4, 3)
    by = {p: lin for p, lin in zip(layer.patterns, layer.lin)}
    want = (by[()](x) + by[(-3,)](x.mean(1, keepdim=True)) + by[(-2,)](x.mean(2, keepdim=True))
            + by[(-3, -2)](x.mean((1, 2), keepdim=True)))
    assert torch.allclose(layer(x), want, atol=1e-6)


def test_masked_mean_ignores_masked_entries():
    x = torch.randn(2, 4, 3, 5)
    mask = torch.tensor([[1, 1, 0, 1], [0, 1, 1, 1]], dtype=torch.bool)[:, :, None, None]
    got = masked_mean(x, (-3,), mask)
    want = torch.stack([x[0, [0, 1, 3]].mean(0), x[1, [1, 2, 3]].mean(0)])[:, None]
    assert torch.allclose(got, want, atol=1e-6)


def test_mdi_is_invariant_and_mask_drops_entries():
    torch.manual_seed(2)
    pool = MDI(8, heads=2, dim=-3)
    x = torch.randn(2, 4, 5, 8)                          # pool over the 4-set, keep the 5 UTs
    y = pool(x)
    assert y.shape == (2, 5, 8)
    assert torch.allclose(pool(x[:, torch.tensor([3, 1, 0, 2])]), y, atol=1e-5)
    mask = torch.tensor([True, False, True, True])[None, :, None, None].expand(2, 4, 1, 1)
    x_garbage = x.clone()
    x_garbage[:, 1] = 1e3 * torch.randn(2, 5, 8)
    ym = pool(x, mask)
    assert torch.allclose(pool(x_garbage, mask), ym, atol=1e-5)
    assert torch.allclose(pool(x[:, [0, 2, 3]]), ym, atol=1e-5)      # masked == absent
    assert not torch.allclose(ym, y, atol=1e-3)
    empty = pool(x, torch.zeros(2, 4, 1, 1, dtype=torch.bool))     # nothing known: finite, same for all
    assert torch.isfinite(empty).all() and torch.allclose(empty, empty[:1, :1].expand_as(empty), atol=1e-6)
