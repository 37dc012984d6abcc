"""ISL bits per precoding update of each scheme (Table III / Fig. 8 of the multi-satellite paper).

For S cooperating satellites one ISL hop apart (a complete graph), the messages of one update (the
exchange rules of :mod:`agents.protocol`, the same code the live agents use) are actually sent over
a :class:`network.bus.Bus` and the figures are read back from the bus's own accounting:

* centralized (Cen-Opt-WM, Cen-TFC-WM; the central is satellite 0): each of the S-1 members sends
  its sCSI report (beta, kappa, Sigma per UT, plus its SSI) to the central satellite, which then
  sends each member its precoder bundle (p_{s,k}, M complex, for the K UTs). The central's own
  report and precoders never cross an ISL.
* decentralized (Dec-TFC-WM): every satellite sends its SSI (position, attitude, power budget) to
  every other one: S (S-1) messages.

``bits`` is the total bits put on ISLs (link bits = payload x hops; one hop here). The architecture
of each scheme comes from the catalog (:mod:`agents.schemes`).
"""
from __future__ import annotations

import numpy as np

from agents import schemes as catalog
from agents.config import OverheadConfig, parse
from agents.protocol import elect_central, update_sends
from network.messages import SSI, PrecoderBundle, SCSIReport

__all__ = ["PAPER_SCHEMES", "run_overhead", "update_overhead"]

PAPER_SCHEMES = ("Cen-Opt-WM", "Cen-TFC-WM", "Dec-TFC-WM")      # Table III / Fig. 8 of the paper


def update_overhead(S: int = 3, K: int = 12, M: int = 64, N: int = 4, bits_per_real: int = 32,
                    sigma_packing: str = "full", link_length_km: float = 1000.0, link_config=None,
                    schemes=PAPER_SCHEMES, rename=None) -> dict:
    """:func:`run_overhead` of these values (validated as :class:`agents.config.OverheadConfig`; a bad one is
    :class:`BadInput` naming the field, or through ``rename`` the option the user typed)."""
    cfg = parse(OverheadConfig, {"S": S, "K": K, "M": M, "N": N, "bits_per_real": bits_per_real,
                                 "sigma_packing": sigma_packing, "link_length_km": link_length_km}, rename=rename)
    return run_overhead(cfg, link_config=link_config, schemes=schemes)


def run_overhead(config: OverheadConfig, link_config=None, schemes=PAPER_SCHEMES) -> dict:
    """ISL bits of one precoding update of each scheme, S satellites one hop apart (complete graph).

    The messages of :func:`agents.protocol.update_sends` are actually sent over a :class:`network.bus.Bus`
    (phase by phase, each after the previous one has arrived) and the figures are read back from the bus's
    accounting. The central satellite is :func:`agents.protocol.elect_central` of the graph (all links
    equal: id 0). Returns ``{"per_update": [{"scheme", "bits" (link bits = payload x hops), "messages",
    "payload_bits", "max_hops", "max_latency_s"}], "config": {...}}``.
    """
    from network.bus import Bus
    from network.links import LinkConfig
    from network.topology import TopologySnapshot

    S, K, M, N = config.S, config.K, config.M, config.N
    bits_per_real, sigma_packing, link_length_km = config.bits_per_real, config.sigma_packing, config.link_length_km
    link_config = link_config or LinkConfig()
    pairs = [(a, b) for a in range(S) for b in range(a + 1, S)]
    graph = TopologySnapshot.from_edges(S, np.array(pairs, np.int64).reshape(-1, 2), link_length_km * 1e3)
    members = list(range(S))
    central = elect_central(graph, members) if S > 1 else 0

    # Payload values do not change sizes; the arrays have the real shapes and dtypes (read-only
    # broadcast views, so a large K, M or N costs no memory).
    ssi = {s: SSI(np.zeros(3), np.array([1.0, 0.0, 0.0, 0.0]), 1.0, bits_per_real=bits_per_real) for s in members}
    reports = {s: SCSIReport(ssi[s], np.broadcast_to(1.0, (K,)), np.broadcast_to(1.0, (K,)),
                             np.broadcast_to(np.eye(N, dtype=complex) / N, (K, N, N)),
                             sigma_packing=sigma_packing, bits_per_real=bits_per_real) for s in members}
    bundles = {s: PrecoderBundle(np.broadcast_to(np.complex128(0), (K, M)), bits_per_real=bits_per_real)
               for s in members}

    rows = []
    for scheme in schemes:
        bus = Bus(graph, link_config)
        t = 0.0
        for phase in update_sends(catalog.get(scheme).architecture, members, central, ssis=ssi, reports=reports, bundles=bundles):
            for send in phase:
                bus.send(send.message, send.src, send.dst, t)
            # the phase is over once its slowest message has crossed its (single) hop
            t += 2.0 * max((float(link_config.hop_latency_s(link_length_km * 1e3, s.message.size_bits))
                            for s in phase), default=0.0) + 1.0
            bus.deliver(t)
        frame = bus.messages_frame()
        if len(frame) and not (frame["status"] == "delivered").all():
            raise RuntimeError(f"{scheme}: messages not delivered on the complete graph:\n{frame}")
        rows.append({"scheme": scheme, "bits": int(frame["link_bits"].sum()), "messages": int(len(frame)),
                     "payload_bits": int(frame["payload_bits"].sum()),
                     "max_hops": int(frame["hops"].max()) if len(frame) else 0,
                     "max_latency_s": float(frame["latency_s"].max()) if len(frame) else 0.0})
    config = {"S": S, "K": K, "M": M, "N": N, "bits_per_real": bits_per_real, "sigma_packing": sigma_packing,
              "central": central, "topology": "complete graph: one ISL hop between every pair",
              "link_length_km": float(link_length_km), "link": link_config.to_dict()}
    return {"per_update": rows, "config": config}
