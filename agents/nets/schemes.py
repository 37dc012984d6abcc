"""Cen-TFC-WM and Dec-TFC-WM as schemes (:mod:`agents.precoding.contract`; catalogued in :mod:`agents.schemes`).

``cen_tfc_wm(problem, weights=None)`` / ``dec_tfc_wm(problem, weights=None)`` ->
``(Precoders, history)``, history with the contract keys: ``iterations`` 0 (one forward
pass), ``objective`` NaN (the nets have no objective of their own at inference), ``flops``
= one forward pass + recovery for that drop (:meth:`CenTFC.flops`, all satellites; Dec:
``S * DecTFC.flops(S-1, K)``, and ``flops_per_satellite`` [B,S] = what each satellite
computes on board).

Weights: the shipped files ``agents/nets/weights/{cen,dec}_tfc_wm.pt`` (installed with the
package; produced by ``satcoop train``, the invocation, data seed and reference figures in
the ``.json`` next to each), or ``weights``: a path or a list of paths to files written by
``satcoop train`` (``best.pt``); each file knows its architecture, and the one matching the
scheme is used. Loaded nets are cached per path.
"""
from __future__ import annotations

from constellation.checks import BadInput

import json
from functools import lru_cache
from pathlib import Path

import torch

from agents.precoding.contract import closed_form_history
from agents.precoding.problem import PrecodingProblem, Precoders

__all__ = ["WEIGHTS_DIR", "SHIPPED", "SCHEME_NAMES", "shipped_weights", "shipped_metadata", "resolve_weights",
           "load_net", "check_weights", "cen_tfc_wm", "dec_tfc_wm", "dec_tfc_wm_local", "training_overlap_note"]

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SHIPPED = {"cen": "cen_tfc_wm", "dec": "dec_tfc_wm"}
SCHEME_NAMES = {"cen": "Cen-TFC-WM", "dec": "Dec-TFC-WM"}


def shipped_weights(arch: str) -> Path:
    if arch not in SHIPPED:
        raise BadInput(f"arch must be 'cen' or 'dec', got {arch!r}")
    return WEIGHTS_DIR / f"{SHIPPED[arch]}.pt"


def shipped_metadata(arch: str) -> dict:
    """The JSON next to the shipped weights (invocation, data seed, training metrics, reference figures)."""
    path = shipped_weights(arch).with_suffix(".json")
    return json.loads(path.read_text()) if path.exists() else {}


@lru_cache(maxsize=16)
def _load(path: str, mtime: float, option: str):
    from .weights import load_weights
    return load_weights(path, option).double()


def check_weights(weights, option: str, scheme: str | None = None) -> None:
    """Each file of ``weights`` (a path or a list) is a readable satcoop net (one BadInput line naming
    ``option`` and the file otherwise); with ``scheme``, of that learned scheme's architecture."""
    paths = [weights] if isinstance(weights, (str, Path)) else list(weights)
    for p in paths:
        if not isinstance(p, (str, Path)) or not Path(p).is_file():
            raise BadInput(f"{option}: no weights file {str(p)!r} (give the best.pt written by satcoop train)")
        arch = load_net(p, option).config.arch
        want = {v: k for k, v in SCHEME_NAMES.items()}.get(scheme)
        if scheme is not None and arch != want:
            raise BadInput(f"{option}: {p} holds a {SCHEME_NAMES[arch]} net ({arch!r}), not one for {scheme}")


def load_net(path, option: str = "weights"):
    """The net stored at ``path`` (cached per path and modification time), eval mode, in float64:
    a drop's result then does not depend on which drops share its batch (float32 batched kernels
    differ at ~1e-7 with the batch size)."""
    p = Path(path)
    if not p.is_file():
        raise BadInput(f"weights: no file {str(p)!r}")
    return _load(str(p.resolve()), p.stat().st_mtime, option)


def _arch_of(path) -> str:
    return load_net(path).config.arch


def resolve_weights(arch: str, weights=None) -> Path:
    """The weights file for ``arch``: the one of ``weights`` (path or list of paths) with that
    architecture, else the shipped one. ValueError if none exists."""
    if weights is not None:
        paths = [weights] if isinstance(weights, (str, Path)) else list(weights)
        for p in paths:
            if _arch_of(p) == arch:
                return Path(p)
    path = shipped_weights(arch)
    if not path.exists():
        raise BadInput(f"weights: no shipped weights for {SCHEME_NAMES[arch]} at {path}; "
                         f"train them with `satcoop train --arch {arch}` and pass --weights <out>/best.pt")
    return path


def cen_tfc_wm(problem: PrecodingProblem, weights=None) -> tuple[Precoders, dict]:
    """Cen-TFC-WM (Section III, Algorithm 2): one forward pass of the centralized net + (26)."""
    net = load_net(resolve_weights("cen", weights))
    b, s, k = problem.shape[:3]
    with torch.no_grad():
        prec, _ = net(problem)
    return prec.detach(), closed_form_history(b, float(net.flops(s, k, lags=net.last_used_lags)))


def dec_tfc_wm(problem: PrecodingProblem, weights=None) -> tuple[Precoders, dict]:
    """Dec-TFC-WM (Section V, Algorithm 3): every satellite's own inference from its sCSI and
    the others' SSI (batched over satellites; row s equals
    :func:`agents.nets.dec_tfc.dec_tfc_local` of satellite s)."""
    net = load_net(resolve_weights("dec", weights))
    b, s, k = problem.shape[:3]
    with torch.no_grad():
        prec, _ = net(problem)
    per_sat = float(net.flops(s - 1, k, lags=net.last_used_lags))
    return prec.detach(), closed_form_history(b, s * per_sat,
                                              flops_per_satellite=torch.full((b, s), per_sat, dtype=torch.float64))


def dec_tfc_wm_local(local: PrecodingProblem, others, weights=None) -> tuple[Precoders, dict]:
    """On-board Dec-TFC-WM of ONE satellite (the scheme's ``local`` entry, which the live agents call):
    ``local`` its own S=1 problem, ``others`` an
    :class:`agents.nets.dec_tfc.OthersView` built from the SSI it holds. Returns (Precoders
    [B,1,K,...], contract history with ``flops`` = that satellite's inference, counted for the
    others it knows)."""
    from .dec_tfc import dec_tfc_local

    net = load_net(resolve_weights("dec", weights))
    b, _, k = local.shape[:3]
    with torch.no_grad():
        prec = dec_tfc_local(net, local, others)
    known = others.mask.sum(-1) if others.mask.numel() else torch.zeros(b, dtype=torch.long)
    fl = torch.tensor([float(net.flops(int(o), k, lags=net.last_used_lags)) for o in known], dtype=torch.float64)
    return prec.detach(), closed_form_history(b, fl)


def training_overlap_note(seed: int, first: int, drops: int, weights=None, names=()) -> str | None:
    """A one-line note if drops ``[first, first+drops)`` of ``seed`` include drops a learned
    scheme in ``names`` was trained or validated on (its weights' data seed and splits)."""
    notes = []
    for arch, name in SCHEME_NAMES.items():
        if name not in names:
            continue
        try:
            path = resolve_weights(arch, weights)
        except ValueError:
            continue
        meta = torch.load(path, map_location="cpu", weights_only=True).get("meta", {})
        data = meta.get("data") or {}
        metrics = Path(path).parent / "metrics.json"          # a `satcoop train` output directory
        if not data and metrics.exists():
            data = json.loads(metrics.read_text()).get("data", {})
        if data.get("seed") != seed:
            continue
        ranges = [(data.get("train", [0, 0])[0], data.get("val", [0, 0])[1])]
        if data.get("train_extra"):
            ranges.append(tuple(data["train_extra"]))
        hit = [f"[{lo}, {hi})" for lo, hi in ranges if first < hi and first + drops > lo]
        if hit:
            notes.append(f"{name} was trained/validated on drops {' and '.join(hit)} of seed {seed}")
    if not notes:
        return None
    return ("warning: evaluating on training data: " + "; ".join(notes)
            + " -- use another --seed (or --first within the weights' test split) for held-out figures")
