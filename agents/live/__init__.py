"""The live multi-agent simulation (issue 8): satellites as agents exchanging SSI / sCSI / precoders
over the ISL bus in simulated time; `satcoop run`.

Modules: :mod:`.config` (RunConfig, the one validated schema), :mod:`.agent` (SatelliteAgent),
:mod:`.world` (ground truth: constellation, regions, topology, faults), :mod:`.evaluator` (rates on
the true channels), :mod:`.runtime` (local and Ray hosts), :mod:`.episode` (the driver),
:mod:`.results` (frames, summary.json, run folder, figures), :mod:`.run` (``run_episode``).
Import the submodules directly; this package import stays light.
"""
