"""The scheme contract (agents.precoding.contract), the catalog (agents.schemes), the per-drop convergence
policy and the flop counts."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from agents.precoding import flops as fl
from agents.precoding.convergence import DropFreezer, relative_change
from agents.precoding.miso import miso_wmmse
from agents.precoding.problem import PrecodingProblem
from agents import schemes as catalog
from agents.precoding.contract import ARCHITECTURES, Scheme
from agents.schemes import CATALOG
from constellation.checks import BadInput

run_scheme = catalog.run

OURS = {"Sep-MRT": "separate", "Sep-MMSE": "separate", "Sep-Opt-WM": "separate", "Cen-Opt-WM": "centralized",
        "Cen-Opt-ER": "centralized"}
ITERATIVE = ("Sep-Opt-WM", "Cen-Opt-WM", "Cen-Opt-ER")


def _opts(name):
    if name.endswith("-WM"):
        return {"max_iter": 60, "tol": 1e-5}
    if name == "Cen-Opt-ER":          # long enough for the ascent's sensitivity to round-off to show
        return {"max_iter": 60, "tol": 1e-5, "steps": 150, "samples_per_step": 8, "eval_samples": 32}
    return {}


def test_catalog_names_and_architectures():
    for name, arch in OURS.items():
        assert catalog.get(name).architecture == arch
    assert catalog.names() == ["Sep-MRT", "Sep-MMSE", "Sep-Opt-WM", "Cen-Opt-WM", "Cen-Opt-ER", "Cen-TFC-WM",
                               "Dec-TFC-WM"]
    assert catalog.names("separate") == ["Sep-MRT", "Sep-MMSE", "Sep-Opt-WM"]
    assert catalog.names("decentralized") == ["Dec-TFC-WM"]
    assert all(CATALOG[n].architecture == "centralized" for n in catalog.names("centralized"))
    assert set(ARCHITECTURES) == {"separate", "centralized", "decentralized"}
    # declared, not guessed: exactly the iterative schemes take a warm start, only Dec-TFC-WM has an on-board entry
    assert [n for n, s in CATALOG.items() if s.warm_start] == ["Sep-Opt-WM", "Cen-Opt-WM", "Cen-Opt-ER"]
    assert [n for n, s in CATALOG.items() if s.local is not None] == ["Dec-TFC-WM"]
    assert [n for n, s in CATALOG.items() if s.keyed] == ["Cen-Opt-ER"]
    # the default live set leaves out Cen-Opt-ER only; "all" and lists name any registered scheme
    assert [n for n, s in CATALOG.items() if not s.live_default] == ["Cen-Opt-ER"]
    assert catalog.resolve("default") == [n for n in catalog.names() if n != "Cen-Opt-ER"]
    assert catalog.resolve("all") == catalog.names() and catalog.resolve(["Cen-Opt-ER"]) == ["Cen-Opt-ER"]
    import inspect
    for n, s in CATALOG.items():
        assert s.warm_start == ("init" in inspect.signature(s.fn).parameters), n
        assert s.keyed == ("keys" in inspect.signature(s.fn).parameters), n
    # the two papers' tables have distinct names
    from agents.lpdft.algorithms import LPDFT_SCHEMES
    assert not set(LPDFT_SCHEMES) & set(CATALOG)


def test_register_and_run_check_the_contract(make_csi):
    prob = PrecodingProblem.from_csi(make_csi(40, B=2, S=2, K=3, M=4, N=2), power_dbw=0.0)
    with pytest.raises(ValueError, match="architecture"):
        Scheme("Tmp-Bad", lambda p: None, architecture="federated")
    with pytest.raises(ValueError, match="on-board entry"):
        Scheme("Tmp-Local", lambda p: None, architecture="separate", local=lambda p, o: None)
    with pytest.raises(ValueError, match="already registered"):
        catalog.register(Scheme("Cen-Opt-WM", lambda p: None, architecture="centralized"))
    with pytest.raises(BadInput, match="unknown scheme 'Nope'"):
        run_scheme("Nope", prob)
    with pytest.raises(BadInput, match="schemes = 'Nope': not a registered scheme"):
        catalog.resolve(["Sep-MRT", "Nope"])
    assert catalog.resolve("all") == catalog.names()
    good = CATALOG["Sep-MRT"].fn
    bad_fns = {
        "Tmp-Nohist": lambda p: good(p)[0],                                               # no history
        "Tmp-Missing": lambda p: (good(p)[0], {"iterations": torch.zeros(2, dtype=torch.long)}),
        "Tmp-Shape": lambda p: (good(p)[0], {**good(p)[1], "flops": torch.zeros(3, dtype=torch.float64)}),
        "Tmp-Dtype": lambda p: (good(p)[0], {**good(p)[1], "iterations": torch.zeros(2)}),
    }
    try:
        for name, fn in bad_fns.items():
            catalog.register(Scheme(name, fn, architecture="separate"))
            with pytest.raises(TypeError):
                run_scheme(name, prob)
    finally:
        for name in bad_fns:
            CATALOG.pop(name, None)
    assert list(CATALOG) == catalog.names()


@pytest.mark.parametrize("name", list(OURS))
def test_history_has_the_fixed_keys(make_csi, name):
    prob = PrecodingProblem.from_csi(make_csi(41, B=3, S=2, K=3, M=4, N=2), power_dbw=0.0)
    prec, hist = run_scheme(name, prob, **_opts(name))          # run_scheme checks shapes and dtypes
    assert hist["iterations"].dtype == torch.long and hist["flops"].dtype == torch.float64
    assert bool((hist["flops"] > 0).all())
    if name in ITERATIVE:
        assert bool((hist["iterations"] >= 1).all()) and bool(torch.isfinite(hist["objective"]).all())
    else:
        assert bool((hist["iterations"] == 0).all()) and bool(torch.isnan(hist["objective"]).all())


@pytest.mark.parametrize("name", ITERATIVE)
def test_a_drops_result_does_not_depend_on_its_batch(make_csi, name):
    """Every iterative scheme freezes each drop on its own: drop i alone == drop i inside a batch
    (and the batch really holds drops that stop at different iterations)."""
    prob = PrecodingProblem.from_csi(make_csi(42, B=4, S=2, K=4, M=8, N=2), power_dbw=5.0)

    def keys(ids):                    # a keyed scheme's draws follow the drop's identity (seed 9, drop i)
        return {"keys": [(9, i) for i in ids]} if CATALOG[name].keyed else {}

    prec, hist = run_scheme(name, prob, **_opts(name), **keys(range(4)))
    assert len(set(hist["iterations"].tolist())) > 1
    for i in (0, 3):
        one, h1 = run_scheme(name, prob.take(batch=[i]), **_opts(name), **keys([i]))
        assert h1["iterations"].item() == hist["iterations"][i].item()
        np.testing.assert_allclose(one.p[0].numpy(), prec.p[i].numpy(), rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(one.b[0].numpy(), prec.b[i].numpy(), rtol=1e-7, atol=1e-12)
        assert h1["flops"].item() == pytest.approx(hist["flops"][i].item(), rel=1e-12)
    # and in another order, in another batch
    perm = [2, 0, 3]
    prec2, hist2 = run_scheme(name, prob.take(batch=perm), **_opts(name), **keys(perm))
    np.testing.assert_allclose(prec2.p.numpy(), prec.p[perm].numpy(), rtol=1e-7, atol=1e-12)


def test_miso_wmmse_freezes_each_drop():
    """The textbook MISO loop used to run until EVERY drop converged; now drop i alone == drop i in a batch."""
    rng = np.random.default_rng(3)
    h = torch.tensor((rng.standard_normal((4, 3, 4)) + 1j * rng.standard_normal((4, 3, 4))) / np.sqrt(2))
    noise = torch.full((4, 3), 0.1, dtype=torch.float64)
    power = torch.tensor([0.1, 1.0, 10.0, 100.0], dtype=torch.float64)
    W, hist = miso_wmmse(h, noise, power, max_iter=100, tol=1e-6)
    assert len(set(hist["iterations"].tolist())) > 1
    for i in range(4):
        w1, h1 = miso_wmmse(h[i:i + 1], noise[i:i + 1], power[i:i + 1], max_iter=100, tol=1e-6)
        assert h1["iterations"].item() == hist["iterations"][i].item()
        np.testing.assert_allclose(w1[0].numpy(), W[i].numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["Sep-MRT", "Sep-MMSE", "Sep-Opt-WM"])
def test_separate_scheme_on_one_satellite_equals_its_slice(make_csi, name):
    """The live simulation runs a separate scheme on board each satellite, on problem.take(sats=[s])."""
    prob = PrecodingProblem.from_csi(make_csi(43, B=2, S=3, K=4, M=8, N=2),
                                     power_w=np.array([[0.5, 1.0, 2.0], [1.0, 0.3, 1.0]]))
    prec, hist = run_scheme(name, prob, **_opts(name))
    total = torch.zeros(2, dtype=torch.float64)
    for s in range(3):
        one, h1 = run_scheme(name, prob.take(sats=[s]), **_opts(name))
        np.testing.assert_allclose(one.p[:, 0].numpy(), prec.p[:, s].numpy(), rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(one.b[:, 0].numpy(), prec.b[:, s].numpy(), rtol=1e-7, atol=1e-12)
        np.testing.assert_allclose(h1["flops"].numpy(), hist["flops_per_satellite"][:, s].numpy(), rtol=1e-12)
        total += h1["flops"]
    np.testing.assert_allclose(hist["flops"].numpy(), total.numpy(), rtol=1e-12)


def test_flop_primitives_and_sep_mmse_by_hand(make_csi):
    """Sep-MMSE at K=2, M=4, N=2 counted by hand from its operations (per satellite):
    gamma = d0^H R d0: K (N^2 + N) complex multiply-adds = 2*6*8 = 96;
    rows sqrt(gamma) g^H: 2KM = 16; Gram [2x4][4x2]: 8*2*4*2 = 128;
    LU of 2x2 + 2 right-hand sides: 8*8/3 + 8*4*2 = 85.33; P = H^H X [4x2][2x2]: 128;
    power + rescale: 6KM = 48; R^ut d_bar d_bar^H part: 8 K N^2 = 64. Sum 565.33."""
    assert fl.cmatmul(2, 4, 2) == 128 and fl.csolve(2, 2) == pytest.approx(64 / 3 + 64)
    assert fl.ceigh(3) == 36 * 27 and fl.cquad(2) == 48
    hand = 96 + 16 + 128 + (64 / 3 + 64) + 128 + 48 + 64
    assert fl.sep_mmse_flops(1, 2, 4, 2) == pytest.approx(hand, rel=1e-12)
    prob = PrecodingProblem.from_csi(make_csi(44, B=2, S=3, K=2, M=4, N=2), power_dbw=0.0)
    _, hist = run_scheme("Sep-MMSE", prob)
    np.testing.assert_allclose(hist["flops"].numpy(), 3 * hand, rtol=1e-12)
    _, hist = run_scheme("Sep-MRT", prob)
    np.testing.assert_allclose(hist["flops"].numpy(), 3 * 2 * 2 * 4, rtol=1e-12)   # S * 2 K M


def test_cen_opt_wm_flops_follow_its_iterations(make_csi):
    """flops = setup + iterations * per-iteration + multiplier steps * 10 R, from what each drop ran;
    more iterations cost more, and the dominant per-iteration terms are those of the R x R span system."""
    prob = PrecodingProblem.from_csi(make_csi(45, B=4, S=2, K=4, M=8, N=2), power_dbw=5.0)
    _, hist = run_scheme("Cen-Opt-WM", prob, max_iter=60, tol=1e-5)
    s, k, m, n, r = 2, 4, 8, 2, 4
    want = (fl.wmmse_setup_flops(s, k, m, n) + hist["iterations"].double() * fl.wmmse_iteration_flops(s, k, m, n)
            + hist["multiplier_steps"].double() * 10 * r)
    np.testing.assert_allclose(hist["flops"].numpy(), want.numpy(), rtol=1e-12)
    # per-iteration count by hand at S=2, K=4, M=8, N=2 (R=4):
    per_it = (3 * 4 * 4 + 2 * 2 * (8 * 4 * 4 * 4 + 2 * 16) + 2 * (36 * 64 + 8 * 4 * 4 * 4)
              + 2 * (8 * 64 / 3 + 8 * 16 * 4 + 8 * 8 * 4 * 4) + 2 * 8 * 4 * 8 * 4
              + 4 * 2 * 4 * 4 + 2 * 4 * 2 + 2 * 4 * (8 * 8 / 3 + 8 * 4) + 4 * 4 * 48 + 8 * 2 * 4 * 2 + 20 * 2 * 4)
    assert fl.wmmse_iteration_flops(s, k, m, n) == pytest.approx(per_it, rel=1e-12)
    one, h_more = run_scheme("Cen-Opt-WM", prob, max_iter=60, tol=1e-8)
    assert bool((h_more["flops"] >= hist["flops"]).all()) and bool((h_more["flops"] > hist["flops"]).any())


def test_drop_freezer_policy():
    fr = DropFreezer(3, max_iter=3, tol=1e-3)
    keep = fr.update(torch.tensor([1.0, 1.0, 1.0]), torch.tensor([1.0005, 1.5, 2.0]))
    assert keep.tolist() == [False, True, True] and fr.active.tolist() == [1, 2]
    keep = fr.update(torch.tensor([1.5, 2.0]), torch.tensor([1.5, 2.5]))
    assert keep.tolist() == [False, True] and fr.active.tolist() == [2]
    keep = fr.update(torch.tensor([2.5]), torch.tensor([3.0]))       # max_iter reached: nobody stays
    assert keep.tolist() == [False] and fr.finished
    assert fr.iterations.tolist() == [1, 2, 3] and fr.converged_at.tolist() == [1, 2, 3]
    assert fr.converged.tolist() == [True, True, False]
    assert relative_change(torch.tensor([2.0]), torch.tensor([1.0]), torch.tensor([4.0])).item() == 0.25
    for bad in ({"max_iter": 0, "tol": 1e-3}, {"max_iter": 2.5, "tol": 1e-3}, {"max_iter": 3, "tol": math.nan}):
        with pytest.raises(ValueError, match="max_iter|tol"):
            DropFreezer(2, **bad)
