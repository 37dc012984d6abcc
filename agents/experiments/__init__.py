"""Experiments: a config in (:mod:`agents.config`), a result out; the functions the CLI and sweeps call.

* :mod:`.run` -- ``run_episode``: one live multi-agent episode (``satcoop run``);
* :mod:`.compare` -- ``run_compare``: every scheme on the same world drops vs power (``compare``);
* :mod:`.sweep` -- ``run_sweep``: a grid of compares or episodes as Ray tasks, resumable (``sweep``);
* :mod:`.train` -- ``train``: unsupervised training of the learned precoders (``train``);
* :mod:`.overhead` -- ``run_overhead``: ISL bits per update, counted by the bus (``overhead``);
* :mod:`.world` -- ``world_record``: one seeded drop and its link budgets (``world``);
* :mod:`.lpdft` -- ``run_lpdft``: the LP-DFT paper's sweeps (``lpdft``).

Import the modules directly; this package import stays light (no torch, no Ray).
"""
