"""Single-satellite joint linear precoding and DFT beam selection (the LP-DFT paper).

* :mod:`.dft`        the windowed 2-D DFT codebook ``T F`` and its grid directions
* :mod:`.scenario`   :class:`LPDFTConfig` (documented defaults), user drops, LoS channels
* :mod:`.algorithms` Algorithm 1 (LP-DFT), Algorithm 2 (Greedy-ZF), DFT-BF, MF-FDP, MMSE-FDP,
  the scheme registry :data:`LPDFT_SCHEMES` and the sum-rate results
* the sweep along one parameter (``satcoop lpdft``) is the experiment :mod:`agents.experiments.lpdft`
"""
from .algorithms import LPDFT_SCHEMES, SchemeResult, lp_dft, run_scheme
from .scenario import LPDFTConfig, LPDFTScenario, draw_scenario

__all__ = ["LPDFT_SCHEMES", "LPDFTConfig", "LPDFTScenario", "SchemeResult", "draw_scenario", "lp_dft", "run_scheme"]
