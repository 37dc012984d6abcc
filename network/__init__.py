"""The inter-satellite-link fabric: topology, link latency, faults and the message bus.

Depends on ``constellation`` only; knows nothing about Ray or the agents.

``network.topology``  +Grid (Walker) and k-nearest (TLE) ISL graphs rebuilt from live
                      positions: arrays (``TopologySnapshot``) and a networkx view; optional
                      links across shells (``CrossShellTopology``).
``network.cooperation``  the S cooperating satellites of a region that can reach each other
                      over the links up (``select_cooperating_sets``, ``SelectionRule``).
``network.links``     ``LinkConfig``: per-hop latency = length / c + processing + bits / rate; background load.
``network.queueing``  ``FifoLinks``: each link direction a FIFO server (queueing delay per hop).
``network.faults``    seeded outage models -> ``FaultTimeline`` (data: parquet, replay).
``network.messages``  ``SSI``, ``SCSIReport``, ``PrecoderBundle``: payload arrays + exact size in bits.
``network.bus``       ``Bus``: simulated-time transport with per-message and per-hop accounting.
"""
