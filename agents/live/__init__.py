"""The live multi-agent simulation: satellites as agents exchanging SSI / sCSI / precoders
over the ISL bus in simulated time (``satcoop run``; the experiment is :mod:`agents.experiments.run`,
the config :class:`agents.config.RunConfig`).

Modules: :mod:`.agent` (SatelliteAgent: one per satellite, its orbit and budget; RegionRole: its part in
one region, local sCSI, peer view; ``step`` dispatches to its
lanes), :mod:`.lanes` (one lane class per architecture: the rules of the exchange), :mod:`.compute` (the
runs the lanes ask for, batched per scheme across a host's agents), :mod:`.boundary`
(typed records crossing the agent / driver / evaluator boundary), :mod:`.messages` (the live ISL
messages), :mod:`.world` (ground truth: constellation, regions, topology, faults), :mod:`.evaluator`
(rates on the true channels), :mod:`.runtime` (local and Ray hosts), :mod:`.episode` (the driver),
:mod:`.results` (frames, summary.json, run folder, figures). Import the submodules directly; this
package import stays light.
"""
