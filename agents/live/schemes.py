"""The live simulation's view of the scheme registry: names, architecture, flops, on-board entry points.

The episode runs with whichever schemes are registered (:mod:`agents.precoding.schemes`,
``PRECODING_SCHEMES``: each entry carries its ``architecture`` in {separate, centralized,
decentralized}; the learned schemes register themselves when :mod:`agents.nets` is imported).
If that contract module is absent (older trees), the legacy ``baselines.SCHEMES`` dict is used
with the documented rule: a name starting with ``Cen-`` is centralized, ``Dec-`` decentralized,
anything else separate.

Compute is charged from what a scheme actually did: ``history["flops"]`` (real floating-point
operations counted by the scheme, :mod:`agents.precoding.flops`), or for a separate /
decentralized scheme run on one satellite's S = 1 problem, that satellite's own count. Without a
``flops`` key an order-of-magnitude count from Table II of the multi-satellite paper is used
(outer iterations x S K M^3 for the WMMSE family) and the run records ``flops_source = "table2"``.
"""
from __future__ import annotations

import importlib
import time
from functools import lru_cache

import torch

ARCHITECTURES = ("separate", "centralized", "decentralized")
PLUGIN_MODULES = ("agents.nets",)


@lru_cache(maxsize=1)
def _registry():
    """(name -> (fn, architecture), run_scheme) from the contract module, else the legacy dict."""
    for mod in PLUGIN_MODULES:
        try:
            importlib.import_module(mod)
        except ImportError:
            pass
    try:
        from agents.precoding import schemes as contract
    except ImportError:
        contract = None
    if contract is not None and hasattr(contract, "PRECODING_SCHEMES"):
        return contract, None
    from agents.precoding import baselines
    return None, baselines


def registered() -> dict[str, str]:
    """Every registered scheme name -> architecture, in registration order."""
    contract, legacy = _registry()
    if contract is not None:
        return {n: s.architecture for n, s in contract.PRECODING_SCHEMES.items()}
    return {n: architecture_from_name(n) for n in legacy.SCHEMES}


def architecture_from_name(name: str) -> str:
    """The documented fallback rule: Cen-* centralized, Dec-* decentralized, else separate."""
    if name.startswith("Cen-"):
        return "centralized"
    if name.startswith("Dec-"):
        return "decentralized"
    return "separate"


def resolve(schemes) -> list[str]:
    """``"all"`` -> every registered scheme; a list is checked against the registry (ValueError naming
    ``schemes``, the bad value and the registered names)."""
    reg = registered()
    if schemes == "all":
        return list(reg)
    bad = [s for s in schemes if s not in reg]
    if bad:
        raise ValueError(f"schemes = {bad[0]!r}: not a registered scheme; registered: {', '.join(reg)} (or \"all\")")
    return list(schemes)


def local_entry(name: str):
    """The scheme's on-board per-satellite entry point ``fn(local_problem [1,1,K], others_view) -> Precoders``
    if it offers one (attribute ``local`` of the registry entry or of its function), else None."""
    contract, legacy = _registry()
    if contract is None:
        return None
    entry = contract.PRECODING_SCHEMES[name]
    return getattr(entry, "local", None) or getattr(entry.fn, "local", None)


@lru_cache(maxsize=None)
def accepts_init(name: str) -> bool:
    """Whether the scheme takes ``init=Precoders`` (a warm start: the iterative WMMSE family)."""
    import inspect
    contract, legacy = _registry()
    fn = contract.PRECODING_SCHEMES[name].fn if contract is not None else legacy.SCHEMES[name]
    try:
        return "init" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False


def _table2_flops(name: str, problem, history) -> float:
    b, s, k, m, n = problem.shape
    it = history.get("iterations") if history else None
    if isinstance(it, torch.Tensor):
        it = float(it.double().mean())
    it = float(it or 1)
    if "Opt" in name:
        return 8.0 * it * s * k * m ** 3
    return 8.0 * s * k * m ** 3 if "TFC" in name else 8.0 * s * (k * k * m + k ** 3)


def run(name: str, problem, options: dict | None = None):
    """Run scheme ``name`` on a [1,S,K] problem. Returns (Precoders, flops, iterations, wall_s, flops_source)."""
    contract, legacy = _registry()
    opts = dict(options or {})
    t0 = time.perf_counter()
    if contract is not None:
        prec, hist = contract.run_scheme(name, problem, **opts)
    else:
        prec, hist = legacy.run_scheme(name, problem, **opts)
    wall = time.perf_counter() - t0
    hist = hist or {}
    fl = hist.get("flops")
    if isinstance(fl, torch.Tensor):
        flops, source = float(fl.double().sum()), "counted"
    else:
        flops, source = _table2_flops(name, problem, hist), "table2"
    it = hist.get("iterations", 0)
    it = int(it.max()) if isinstance(it, torch.Tensor) else int(it or 0)
    return prec, flops, it, wall, source
