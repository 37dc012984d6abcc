"""Ground truth (not an agent): the rate every scheme achieves at a tick with what each satellite holds.

At tick t of a region, the true statistical CSI of its cooperating satellites gives one draw of
the instantaneous channels H_{s,k} [S,K,N,M] (eq. (13), the same draw for every scheme), and each
scheme's sum rate is ``sum_{s,k} log2(1 + SINR_{s,k})`` with the precoders p_{s,k} and receive
vectors b_{s,k} that satellite s actually holds at t (:func:`agents.precoding.rates.instantaneous_rates`:
every other stream of every satellite interferes through the true channels). All schemes and all
regions with the same number of satellites in one batched call (region x scheme is the batch
dimension). A satellite holding nothing yet transmits nothing (p = 0, b = its UTs' LoS steering vector). A satellite serving several regions radiates in each at
most its share of the budget (``power_cap_w``, :class:`agents.live.agent.SatelliteAgent`): precoders
above it (computed before its share fell, when it joined another region) are scaled down to it, as
its power amplifier would.
"""
from __future__ import annotations

import numpy as np
import torch

from agents.precoding.problem import Precoders
from agents.precoding.rates import instantaneous_rates


class Evaluator:
    """Batched over schemes and regions; ``tick`` (one region) and ``tick_many`` (G regions with the same
    number of satellites, one batched rate computation) return sum rates, ages, updates and sources."""

    def __init__(self, schemes):
        self.schemes = list(schemes)

    def tick(self, csi, h, held: list[dict], t: float, power_cap_w=None):
        """csi: true StatisticalCSI [1,S,K]; h: channels [1,S,K,N,M]; held[s][scheme]: the
        :class:`agents.live.boundary.HeldPrecoders` of satellite s (slot order); the precoder age is
        t - t_data_s (the time of the lane's newest own/centralized data); power_cap_w [S]: each
        satellite's share of its budget in this region (W; None: no cap). Returns (sum rates [n_schemes],
        ages [n_schemes][S], updates, sources)."""
        cap = None if power_cap_w is None else [power_cap_w]
        rates, ages, updates, sources = self.tick_many(csi, h, [held], t, cap)
        return rates[0], ages[0], updates[0], sources[0]

    def tick_many(self, csi, h, held: list[list[dict]], t: float, power_cap_w=None):
        """:meth:`tick` of G regions at once: csi [G,S,K]; h [G,S,K,N,M]; held[g][s] as in :meth:`tick`;
        power_cap_w [G,S] (W) or None. Returns (sum rates [G, n_schemes], ages [G][n_schemes][S], updates,
        sources); one :func:`instantaneous_rates` call over G x n_schemes."""
        g_num, s_num, k, m, n = csi.shape
        c = len(self.schemes)
        p = np.zeros((g_num, c, s_num, k, m), complex)
        b = np.broadcast_to(csi.d0[:, None], (g_num, c, s_num, k, n)).copy()
        ages = [[[float("nan")] * s_num for _ in range(c)] for _ in range(g_num)]
        updates = [[[-1] * s_num for _ in range(c)] for _ in range(g_num)]
        sources = [[[""] * s_num for _ in range(c)] for _ in range(g_num)]
        for g, region in enumerate(held):
            for j, hs in enumerate(region):
                for i, name in enumerate(self.schemes):
                    x = hs.get(name)
                    if x is None:
                        continue
                    p[g, i, j], b[g, i, j] = x.p, x.b
                    ages[g][i][j] = t - (x.t_data_s if x.t_data_s is not None else x.t_csi_s)
                    updates[g][i][j] = int(x.update)
                    sources[g][i][j] = x.source
        if power_cap_w is not None:
            p = cap_power(p, np.asarray(power_cap_w, float)[:, None, :])
        lead = h.shape[1:]
        hh = torch.from_numpy(np.asarray(h)).unsqueeze(1).expand(g_num, c, *lead).reshape(g_num * c, *lead)
        noise = np.broadcast_to(np.asarray(csi.noise_w)[:, None], (g_num, c, k)).reshape(g_num * c, k)
        rates = instantaneous_rates(hh, Precoders(p=torch.from_numpy(p.reshape(g_num * c, s_num, k, m)),
                                                  b=torch.from_numpy(b.reshape(g_num * c, s_num, k, n))),
                                    torch.from_numpy(noise.copy()))
        return rates.sum((-2, -1)).numpy().reshape(g_num, c), ages, updates, sources


CAP_RTOL = 1e-6     # the iterative solvers meet their power constraint to ~1e-9: within this, left as computed


def cap_power(p: np.ndarray, power_cap_w, rtol: float = CAP_RTOL) -> np.ndarray:
    """Precoders p [..., S, K, M] (e.g. [C,S,K,M]) with satellite s's total power sum_k ||p_{s,k}||^2 scaled
    down to ``power_cap_w[..., s]`` (W; [S] or broadcastable to p's [..., S]) where it exceeds it by more than
    ``rtol`` (relative); the others unchanged."""
    cap = np.asarray(power_cap_w, float)
    pw = np.sum(np.abs(p) ** 2, axis=(-2, -1))                              # [..., S]
    over = pw > cap * (1.0 + rtol)
    scale = np.where(over, np.sqrt(cap / np.where(over, pw, 1.0)), 1.0)
    return p * scale[..., None, None]
