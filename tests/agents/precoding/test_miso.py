"""agents.precoding.miso: textbook MISO-BC WMMSE primitives."""
from __future__ import annotations

import numpy as np
import torch

from agents.precoding.miso import miso_precoder_update, miso_rates, miso_receive_update, miso_wmmse


def _channel(rng, b, k, l):
    return torch.tensor((rng.standard_normal((b, k, l)) + 1j * rng.standard_normal((b, k, l))) / np.sqrt(2))


def test_miso_wmmse_monotone_and_power():
    rng = np.random.default_rng(0)
    h = _channel(rng, 4, 5, 6)
    noise = torch.full((4, 5), 0.1, dtype=torch.float64)
    power = torch.tensor([0.1, 1.0, 10.0, 100.0], dtype=torch.float64)
    W, hist = miso_wmmse(h, noise, power, max_iter=300, tol=1e-10)
    obj = hist["objective_trace"]
    assert int(hist["iterations"].min()) > 3
    assert torch.all(obj[1:] <= obj[:-1] + 1e-9 * obj[:-1].abs())
    wsr = hist["wsr"]
    assert torch.all(wsr[-1] > wsr[0])           # improves on the MRT start
    tot = (W.abs() ** 2).sum((-2, -1))
    np.testing.assert_allclose(tot.numpy(), power.numpy(), rtol=1e-9)


def test_miso_single_user_is_mrt():
    rng = np.random.default_rng(1)
    h = _channel(rng, 3, 1, 8)
    noise = torch.tensor([[0.5], [1.0], [2.0]], dtype=torch.float64)
    power = torch.tensor([1.0, 3.0, 0.2], dtype=torch.float64)
    W, hist = miso_wmmse(h, noise, power, max_iter=50)
    rate = miso_rates(h, W, noise)[:, 0]
    ref = np.log2(1 + power.numpy() * (h.abs() ** 2).sum((-2, -1)).numpy() / noise[:, 0].numpy())
    np.testing.assert_allclose(rate.numpy(), ref, rtol=1e-10)


def test_precoder_update_exact_vs_subgradient():
    rng = np.random.default_rng(2)
    h = _channel(rng, 2, 3, 4)
    noise = torch.full((2, 3), 0.3, dtype=torch.float64)
    W0 = _channel(rng, 2, 4, 3) * 0.3
    u, e, w = miso_receive_update(h, W0, noise)
    power = torch.tensor([0.5, 2.0], dtype=torch.float64)
    W1, lam1 = miso_precoder_update(h, u, w, power, method="exact")
    W2, lam2 = miso_precoder_update(h, u, w, power, method="subgradient", tol=1e-11, max_iter=200000)
    np.testing.assert_allclose(lam2.numpy(), lam1.numpy(), rtol=1e-6)
    np.testing.assert_allclose(W2.numpy(), W1.numpy(), atol=1e-6)
    # the update is the exact minimiser: stationarity of the Lagrangian for every column
    a = torch.einsum("bk,bki,bkj->bij", w * u.abs() ** 2, h.conj(), h)
    rhs = h.mH * (w * u.conj())[:, None, :]
    lhs = (a + lam1[:, None, None] * torch.eye(4)) @ W1
    np.testing.assert_allclose(lhs.numpy(), rhs.numpy(), atol=1e-10)
