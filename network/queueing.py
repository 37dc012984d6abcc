"""FIFO link servers: each ISL direction serialises one message at a time, in order of arrival.

A directed link ``u -> v`` is a single first-in-first-out server. A message that reaches ``u`` at
``t_ready`` (s) and needs ``service_s`` of serialisation starts at ``max(t_ready, free_at)`` and
holds the link until ``start + service_s``; its queueing delay is ``start - t_ready``. Requests
must be made in order of ``t_ready`` (the bus processes its events in simulated-time order), which
makes the order of service that of arrival at the link (FIFO; ties in the order of the requests).

The state is one ``free_at`` time per directed link, keyed by the satellite pair, so it survives
topology rebuilds and follows the traffic when messages are re-routed. ``busy_s`` sums each
direction's serialisation time (utilisation = busy_s / duration).

Background traffic (``network.links.LinkConfig.background_load``) is not simulated packet by packet
here: it takes a constant share of every link's capacity, so a message is served at the residual
rate ``rate_bps * (1 - background_load)`` (see :mod:`network.links` for why).
"""
from __future__ import annotations

import math


class FifoLinks:
    """One FIFO server per directed link (see module docstring)."""

    def __init__(self):
        self.free_at: dict[tuple[int, int], float] = {}
        self.busy_s: dict[tuple[int, int], float] = {}
        self._last_request = -math.inf

    def reserve(self, u: int, v: int, t_ready_s: float, service_s: float) -> float:
        """Serve a message on ``u -> v`` that is ready at ``t_ready_s`` and needs ``service_s`` of
        serialisation; returns its start time (s). The link is busy until ``start + service_s``."""
        if t_ready_s < self._last_request - 1e-12:
            raise ValueError(f"FifoLinks.reserve: t_ready_s = {t_ready_s} is earlier than an earlier request "
                             f"({self._last_request} s); requests must come in time order")
        self._last_request = max(self._last_request, t_ready_s)
        key = (u, v)
        start = max(t_ready_s, self.free_at.get(key, -math.inf))
        self.free_at[key] = start + service_s
        self.busy_s[key] = self.busy_s.get(key, 0.0) + service_s
        return start
