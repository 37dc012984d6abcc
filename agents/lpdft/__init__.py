"""Single-satellite joint linear precoding and DFT beam selection (the LP-DFT paper, issue 5).

* :mod:`.dft`        the windowed 2-D DFT codebook ``T F`` and its grid directions
* :mod:`.scenario`   :class:`LPDFTConfig` (documented defaults), user drops, LoS channels
* :mod:`.algorithms` Algorithm 1 (LP-DFT), Algorithm 2 (Greedy-ZF), DFT-BF, MF-FDP, MMSE-FDP,
  the scheme registry :data:`LPDFT_SCHEMES` and the sum-rate results
* :mod:`.sweep`      sum rate per scheme along one swept parameter (``satcoop lpdft``)
"""
from .algorithms import LPDFT_SCHEMES, SchemeResult, lp_dft, run_scheme
from .scenario import LPDFTConfig, LPDFTScenario, draw_scenario

__all__ = ["LPDFT_SCHEMES", "LPDFTConfig", "LPDFTScenario", "SchemeResult", "draw_scenario", "lp_dft", "run_scheme"]
