"""The catalog of precoding schemes: the one place that says which schemes exist and where they run.

Every built-in scheme of the multi-satellite paper is registered here, explicitly, with its
architecture (declared once, never guessed from its name), its on-board entry and whether it
takes a warm start (:class:`agents.precoding.contract.Scheme`). The CLI, the live agents,
``compare`` and sweeps ask this module, and only this module, for a scheme.

=============  ==============  ==========================================================
name           architecture    algorithm
=============  ==============  ==========================================================
Sep-MRT        separate        matched filter per satellite, equal power per stream
Sep-MMSE       separate        regularised ZF per satellite on the b = d0 channel
Sep-Opt-WM     separate        Algorithm 1 per satellite, others' interference ignored
Cen-Opt-WM     centralized     Algorithm 1: centralized WMMSE on sCSI (18)-(25)
Cen-Opt-ER     centralized     stochastic projected ascent on the ergodic rate (16)
Cen-TFC-WM     centralized     learned TFC net on every satellite's sCSI + (26)
Dec-TFC-WM     decentralized   learned dual-branch TFC net, own sCSI + others' SSI + (26)
=============  ==============  ==========================================================

A research extension registers its own scheme with :func:`register` (``Scheme(name, fn,
architecture=...)``); the LP-DFT paper's single-satellite schemes have their own table,
:data:`agents.lpdft.algorithms.LPDFT_SCHEMES`.
"""
from __future__ import annotations

from agents.nets.schemes import cen_tfc_wm, dec_tfc_wm, dec_tfc_wm_local
from agents.precoding.baselines import sep_mmse_scheme, sep_mrt_scheme
from agents.precoding.contract import ARCHITECTURES, Scheme
from agents.precoding.ergodic import cen_opt_er
from agents.precoding.problem import PrecodingProblem, Precoders
from agents.precoding.wmmse import cen_opt_wm, sep_opt_wm
from constellation.checks import BadInput

__all__ = ["ARCHITECTURES", "CATALOG", "Scheme", "register", "get", "names", "architectures", "resolve", "check_options", "run"]

CATALOG: dict[str, Scheme] = {}


def register(scheme: Scheme, *, overwrite: bool = False) -> Scheme:
    """Add ``scheme`` to :data:`CATALOG` under its name; ValueError if the name is taken (unless ``overwrite``)."""
    if not isinstance(scheme, Scheme):
        raise TypeError(f"register: expected a Scheme, got {type(scheme).__name__}")
    if scheme.name in CATALOG and not overwrite:
        raise ValueError(f"register: {scheme.name!r} is already registered")
    CATALOG[scheme.name] = scheme
    return scheme


def get(name: str) -> Scheme:
    """The registered :class:`Scheme`; :class:`BadInput` naming the registered names otherwise."""
    try:
        return CATALOG[name]
    except (KeyError, TypeError):
        raise BadInput(f"unknown scheme {name!r}; registered: {', '.join(CATALOG)}") from None


def names(architecture: str | None = None) -> list[str]:
    """Registered names (in registration order), optionally of one architecture."""
    if architecture is not None and architecture not in ARCHITECTURES:
        raise ValueError(f"names: architecture must be one of {ARCHITECTURES}, got {architecture!r}")
    return [n for n, s in CATALOG.items() if architecture is None or s.architecture == architecture]


def architectures() -> dict[str, str]:
    """Every registered name -> its architecture, in registration order."""
    return {n: s.architecture for n, s in CATALOG.items()}


def resolve(schemes, field: str = "schemes") -> list[str]:
    """``"all"`` -> every registered scheme; ``"default"`` -> the default live set (every registered scheme
    whose ``live_default`` is true); a list is checked against the catalog (:class:`BadInput` naming
    ``field``, the bad value and the registered names)."""
    if schemes == "all":
        return list(CATALOG)
    if schemes == "default":
        return [n for n, s in CATALOG.items() if s.live_default]
    bad = [s for s in schemes if s not in CATALOG]
    if bad:
        raise BadInput(f"{field} = {bad[0]!r}: not a registered scheme; registered: {', '.join(CATALOG)} "
                       f"(or \"all\", \"default\")")
    return list(schemes)


def check_options(options: dict, field: str = "scheme_options") -> None:
    """``{scheme: {option: value}}`` as a run config gives it: every scheme registered, every option one
    its function takes (not ``init``: the live lanes pass the warm start), every ``weights`` file a
    readable net of the scheme's architecture. :class:`BadInput` naming ``field.scheme[.option]``."""
    import inspect

    for name, opts in options.items():
        if name not in CATALOG:
            raise BadInput(f"{field}.{name}: not a registered scheme; registered: {', '.join(CATALOG)}")
        params = inspect.signature(CATALOG[name].fn).parameters
        takes = [p for p in list(params)[1:] if p != "init" and params[p].kind is not inspect.Parameter.VAR_KEYWORD]
        for key in opts:
            if key not in takes:
                raise BadInput(f"{field}.{name}.{key}: {name} takes no option {key!r}; "
                               f"it takes: {', '.join(takes) or 'none'}")
        for key, lo, hi in (("max_iter", 1, 10_000), ("tol", 0.0, 1.0)):
            v = opts.get(key)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi
                                  or (key == "max_iter" and not float(v).is_integer())):
                raise BadInput(f"{field}.{name}.{key} = {v!r}: must be {'an integer' if key == 'max_iter' else 'a number'}"
                               f" in [{lo:g}, {hi:g}]")
        if "weights" in opts:
            from agents.nets.schemes import check_weights
            check_weights(opts["weights"], f"{field}.{name}.weights", name)


def run(name: str, problem: PrecodingProblem, **options) -> tuple[Precoders, dict]:
    """Run the registered scheme ``name``; returns (Precoders, history) with the contract keys checked."""
    return get(name)(problem, **options)


for _s in (
    Scheme("Sep-MRT", sep_mrt_scheme, "separate", "matched filter per satellite, equal power per stream"),
    Scheme("Sep-MMSE", sep_mmse_scheme, "separate", "regularised ZF per satellite on the b = d0 effective channel"),
    Scheme("Sep-Opt-WM", sep_opt_wm, "separate", "Algorithm 1 per satellite, ignoring the others' interference",
           warm_start=True),
    Scheme("Cen-Opt-WM", cen_opt_wm, "centralized", "Algorithm 1: centralized WMMSE on sCSI, per-satellite budgets",
           warm_start=True),
    Scheme("Cen-Opt-ER", cen_opt_er, "centralized",
           "stochastic projected ascent on the ergodic sum rate (16), warm-started from Cen-Opt-WM", warm_start=True,
           keyed=True, live_default=False),     # ~10x Cen-Opt-WM's time per live update (docs/live.md)
    Scheme("Cen-TFC-WM", cen_tfc_wm, "centralized",
           "learned: tensor-equivariant TFC net (TEN-FDA-CFR) + closed form (26)"),
    Scheme("Dec-TFC-WM", dec_tfc_wm, "decentralized",
           "learned: dual-branch TFC net per satellite, others' SSI only, + (26)", local=dec_tfc_wm_local),
):
    register(_s)
del _s
