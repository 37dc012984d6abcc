"""link_figures (the sweep's queueing-delay and link-utilisation columns) against closed forms on a real Bus."""
import math

import pytest

from agents.live.results import link_figures, messages_frame
from network.bus import Bus
from network.links import LinkConfig
from network.messages import Opaque
from network.topology import TopologySnapshot

RATE, BITS = 1e6, 1000
D = BITS / RATE                      # one serialisation: 1 ms


def test_queueing_and_utilisation_in_closed_form_and_shared_ssi_only_for_non_centralized():
    # n messages of the centralized lane "C" sent at once over 0 -> 1 -> 2: message i waits i * D at the
    # first link and nothing at the second (its output is spaced D apart); one shared SSI message ("")
    # on 2 -> 1 belongs to the decentralized lane "D" (whose own traffic is none) and not to "C"
    n, duration = 5, 2.0
    bus = Bus(TopologySnapshot.from_edges(3, [(0, 1), (1, 2)], [1000e3, 1000e3]),
              LinkConfig(processing_s=1e-3, rate_bps=RATE))
    meta = {}
    for i in range(n):
        meta[bus.send(Opaque(size=BITS), 0, 2, 0.0)] = (0, "C", 0)
    meta[bus.send(Opaque(size=4 * BITS), 2, 1, 0.0)] = (0, "", 0)
    bus.deliver(1.0)
    out = link_figures(messages_frame(bus, meta), bus.hops_frame(), {"C": "centralized", "D": "decentralized"},
                       duration, RATE)
    c, d = out["C"], out["D"]
    assert c["isl_queue_mean_s"] == pytest.approx(D * (n - 1) / 2, rel=1e-12)
    assert c["isl_queue_max_s"] == pytest.approx(D * (n - 1), rel=1e-12)
    # both directed links 0->1 and 1->2 carry n * BITS: that share of RATE * duration
    assert c["isl_util_max"] == pytest.approx(n * BITS / (RATE * duration), rel=1e-12)
    assert c["isl_util_mean"] == pytest.approx(n * BITS / (RATE * duration), rel=1e-12)
    assert d["isl_queue_mean_s"] == 0.0 and d["isl_util_max"] == pytest.approx(4 * BITS / (RATE * duration))
    # a scheme with no message: NaN, not zero
    none = link_figures(messages_frame(bus, meta), bus.hops_frame(), {"E": "centralized"}, duration, RATE)["E"]
    assert all(math.isnan(v) for v in none.values())
