"""The live agents and `satcoop overhead` call the same protocol code: every SSI, sCSI report
and precoder bundle an agent puts on the bus comes from agents.protocol's ssi_of / ssi_sends /
report_sends / bundle_sends."""
from __future__ import annotations

from collections import Counter

from agents import protocol
from agents.experiments.run import run_episode

from .conftest import tiny


def test_agents_send_exactly_what_the_protocol_functions_return(monkeypatch):
    made = Counter()

    def spy(name):
        real = getattr(protocol, name)

        def wrapped(*a, **k):
            out = real(*a, **k)
            if name == "ssi_of":
                made[name] += 1
            else:
                made[name] += len(out)
                made["sends"] += len(out)
            return out
        monkeypatch.setattr(protocol, name, wrapped)

    for name in ("ssi_of", "ssi_sends", "report_sends", "bundle_sends"):
        spy(name)
    res = run_episode(tiny(duration_s=2.0, schemes=["Sep-MRT", "Cen-Opt-WM"],
                           scheme_options={"Cen-Opt-WM": {"max_iter": 10}}), progress=False)
    types = Counter(res.messages["type"])
    # every message on the bus was returned by a protocol function, and nothing else was sent
    assert made["sends"] == len(res.messages) > 0
    assert made["ssi_sends"] == types["SSI"] > 0
    assert made["report_sends"] == types["SCSIReport"] > 0
    assert made["bundle_sends"] == types["PrecoderBundle"] > 0
    # every SSI (broadcast ones and those inside reports) built by protocol.ssi_of
    assert made["ssi_of"] >= types["SSI"] / 2 + types["SCSIReport"]
