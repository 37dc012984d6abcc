"""Cen-TFC-WM / Dec-TFC-WM forward passes: permutation symmetries, any (S, K), exact budgets,
the on-board entry point, partial knowledge of the others."""
from __future__ import annotations

import pytest
import torch

from agents.nets.dec_tfc import OthersView, dec_tfc_local
from agents.nets.features import ssi_features

from .conftest import random_net


def _close(a, b, rtol=2e-4):
    return (a - b).abs().max() <= rtol * b.abs().max()


def _full_and_lag_outputs(net, prob):
    """The net's precoders from the full 2M^2 input block and from the lag features (``use_lags``), in that order;
    the net is left on the lag path."""
    with torch.no_grad():
        net.use_lags = False
        full, _ = net(prob)
        net.use_lags = True
        lag, _ = net(prob)
    return full, lag


def _cen_equivariance(net, world_problem):
    prob = world_problem(3, 5)
    ps, pk = [2, 0, 1], [3, 1, 4, 0, 2]
    with torch.no_grad():
        ref, _ = net(prob)
        out, _ = net(prob.take(sats=ps, uts=pk))
        out_s, _ = net(prob.take(sats=ps))
    assert _close(out.p, ref.p[:, ps][:, :, pk]) and _close(out.b, ref.b[:, ps][:, :, pk])
    assert _close(out_s.p, ref.p[:, ps])


def _dec_symmetries(net, world_problem):
    prob = world_problem(4, 5)
    with torch.no_grad():
        ref, _ = net(prob)
        # satellite 0 keeps its place, its three others are permuted: its output must not change
        other_perm, _ = net(prob.take(sats=[0, 3, 1, 2]))
        # UT permutation: equivariant
        pk = [4, 2, 0, 1, 3]
        ut_perm, _ = net(prob.take(uts=pk))
        # a full satellite permutation: each row follows its satellite
        ps = [2, 0, 3, 1]
        sat_perm, _ = net(prob.take(sats=ps))
    assert _close(other_perm.p[:, 0], ref.p[:, 0]) and _close(other_perm.b[:, 0], ref.b[:, 0])
    assert _close(ut_perm.p, ref.p[:, :, pk]) and _close(ut_perm.b, ref.b[:, :, pk])
    assert _close(sat_perm.p, ref.p[:, ps])


def test_cen_tfc_is_equivariant_random_weights(world_problem, small_config):
    _cen_equivariance(random_net(small_config("cen")), world_problem)


def test_dec_tfc_symmetries_random_weights(world_problem, small_config):
    _dec_symmetries(random_net(small_config("dec")), world_problem)


def _shipped(arch):
    from agents.nets.schemes import load_net, shipped_weights
    path = shipped_weights(arch)
    if not path.exists():
        pytest.fail(f"shipped weights missing: {path}")
    return load_net(path)


def test_cen_tfc_is_equivariant_shipped_weights(world_problem):
    _cen_equivariance(_shipped("cen"), world_problem)


def test_dec_tfc_symmetries_shipped_weights(world_problem):
    _dec_symmetries(_shipped("dec"), world_problem)


def test_cen_output_depends_on_other_satellites_and_uts(world_problem, small_config):
    """Equivariance is not vacuous: a change in satellite 2 / UT 4 moves satellite 0's precoder for UT 0."""
    net = random_net(small_config("cen"))
    prob = world_problem(3, 5)
    prob2 = world_problem(3, 5)
    prob2.beta[:, 2, 4] *= 10.0
    with torch.no_grad():
        a, _ = net(prob)
        b, _ = net(prob2)
    assert (a.p[:, 0, 0] - b.p[:, 0, 0]).abs().max() > 1e-4 * a.p.abs().max()


@pytest.mark.parametrize("arch", ["cen", "dec"])
@pytest.mark.parametrize("s,k", [(1, 4), (2, 12), (4, 12), (3, 6), (3, 30)])
def test_forward_any_size_meets_every_budget_exactly(world_problem, small_config, arch, s, k):
    net = random_net(small_config(arch))
    prob = world_problem(s, k, power_dbw=5.0)
    with torch.no_grad():
        prec, _ = net(prob)
    assert prec.p.shape == prob.g.shape and prec.b.shape == prob.d0.shape
    assert torch.isfinite(prec.p).all() and torch.isfinite(prec.b).all()
    assert torch.allclose(prec.power_w, prob.power_w, rtol=1e-10, atol=0)
    assert torch.allclose(torch.linalg.vector_norm(prec.b, dim=-1), torch.ones(prob.beta.shape, dtype=torch.float64))


def test_dec_local_entry_point_equals_batched_row_and_uses_only_ssi(world_problem, small_config):
    net = random_net(small_config("dec"))
    prob = world_problem(3, 6)
    with torch.no_grad():
        ref, _ = net(prob)
        for s in range(3):
            got = dec_tfc_local(net, prob.take(sats=[s]), OthersView.from_problem(prob, s))
            assert _close(got.p[:, 0], ref.p[:, s], 1e-5) and _close(got.b[:, 0], ref.b[:, s], 1e-5)
        # the others' CSI (beta, kappa, Sigma) is not an input: changing it leaves satellite 0 unchanged
        other = world_problem(3, 6)
        other.beta[:, 1:] *= 7.0
        other.kappa[:, 1:] *= 0.1
        changed, _ = net(other)
    assert _close(changed.p[:, 0], ref.p[:, 0], 1e-6)
    assert (changed.p[:, 1] - ref.p[:, 1]).abs().max() > 1e-6 * ref.p.abs().max()


def test_dec_with_only_some_others_known(world_problem, small_config):
    """Masked others are ignored (their content is irrelevant) and equal leaving them out."""
    net = random_net(small_config("dec"))
    prob = world_problem(4, 5)
    local = prob.take(sats=[0])
    full = OthersView.from_problem(prob, 0)
    masked = OthersView.from_problem(prob, 0, known=[True, False, True])
    garbage = OthersView(g=masked.g.clone(), d0=masked.d0.clone(), power_w=masked.power_w.clone(), mask=masked.mask)
    garbage.g[:, 1] = torch.flip(garbage.g[:, 1], dims=[-1])
    garbage.power_w[:, 1] *= 100.0
    subset = OthersView(g=full.g[:, [0, 2]], d0=full.d0[:, [0, 2]], power_w=full.power_w[:, [0, 2]],
                        mask=full.mask[:, [0, 2]])
    nobody = OthersView(g=full.g[:, :0], d0=full.d0[:, :0], power_w=full.power_w[:, :0], mask=full.mask[:, :0])
    with torch.no_grad():
        a = dec_tfc_local(net, local, masked)
        b = dec_tfc_local(net, local, garbage)
        c = dec_tfc_local(net, local, subset)
        d = dec_tfc_local(net, local, full)
        e = dec_tfc_local(net, local, nobody)
        f, _ = net(prob.take(sats=[0]))                # S = 1 problem: nobody else exists
    assert _close(a.p, b.p, 1e-6) and _close(a.p, c.p, 1e-5)
    assert not _close(a.p, d.p, 1e-3)
    assert _close(e.p, f.p, 1e-6)
    assert torch.allclose(a.power_w, local.power_w, rtol=1e-10)


def test_ssi_rows_carry_no_csi_of_the_others(world_problem):
    """The other-satellite rows (44) are functions of steering vectors, noise and budgets only."""
    prob = world_problem(3, 4)
    small, big = ssi_features(prob.g, prob.d0, prob.noise_w, prob.power_w, (8, 8), (2, 2), dtype=torch.float64)
    assert small.shape[-1] == 6 + 2 * 4 * 4 and big.shape[-1] == 2 * 64 * 64
    # closed forms of (44): vec(M g g^H) and vec(N d0 d0^H) interleaved re/im, noise and budget in dB / 10
    as_complex = lambda x, n: torch.view_as_complex(x.reshape(*x.shape[:-1], n, n, 2).contiguous())
    gg = 64 * prob.g[..., :, None] * prob.g[..., None, :].conj()
    dd = 4 * prob.d0[..., :, None] * prob.d0[..., None, :].conj()
    assert torch.allclose(as_complex(big, 64), gg, atol=1e-12)
    assert torch.allclose(as_complex(small[..., 6:], 4), dd, atol=1e-12)
    noise_db = 10 * torch.log10(prob.noise_w)
    assert torch.allclose(small[..., 4], ((noise_db + 150.0) / 10.0)[:, None, :].expand_as(small[..., 4]), atol=1e-12)
    power_db = 10 * torch.log10(prob.power_w)
    assert torch.allclose(small[..., 5], (power_db / 10.0)[:, :, None].expand_as(small[..., 5]), atol=1e-12)


def test_flops_grow_with_problem_size(small_config):
    from agents.nets.weights import build_net
    cen, dec = build_net(small_config("cen")), build_net(small_config("dec"))
    assert cen.flops(3, 24) > cen.flops(3, 12) > cen.flops(2, 12) > 0
    assert dec.flops(3, 12) > dec.flops(2, 12) > 0
    # the per-satellite decentralized inference costs less than the centralized one at S = 3
    assert dec.flops(2, 12) < cen.flops(3, 12)


@pytest.mark.parametrize("arch", ["cen", "dec"])
def test_lag_form_of_the_steering_block_is_exact(world_problem, small_config, arch):
    """v v^H of a UPA response depends only on the index lag: the net's lag-form input gives the
    same output as the full 2M^2 block (exact), and non-UPA vectors fall back to the full block."""
    from agents.nets.features import is_upa, upa_cosines, upa_lags, _lag_feats, _outer_feats
    net = random_net(small_config(arch)).double()
    prob = world_problem(3, 5)
    fm, _, _ = upa_lags(8, 8)
    assert torch.allclose(_lag_feats(prob.g, (8, 8), 64.0, torch.float64)[..., fm],
                          _outer_feats(prob.g, 64.0, torch.float64), atol=1e-12)
    # the closed form from the direction cosines (what the nets use) equals the products
    cos = upa_cosines(prob.g, (8, 8))
    assert cos is not None
    assert torch.allclose(_lag_feats(prob.g, (8, 8), 64.0, torch.float64, cosines=cos)[..., fm],
                          _outer_feats(prob.g, 64.0, torch.float64), atol=1e-12)
    full, lag = _full_and_lag_outputs(net, prob)
    with torch.no_grad():
        assert net.last_used_lags
        assert _close(lag.p, full.p, 1e-10) and _close(lag.b, full.b, 1e-10)
        bent = world_problem(3, 5)
        bent.g[0, 0, 0] = torch.roll(bent.g[0, 0, 0], 1)              # not a UPA response any more
        assert not is_upa(bent.g, (8, 8))
        net(bent)
        assert not net.last_used_lags
    assert net.flops(3, 5, lags=True) < net.flops(3, 5, lags=False) if arch == "cen" else \
        net.flops(2, 5, lags=True) < net.flops(2, 5, lags=False)


def test_cached_lag_weights_follow_the_weights(world_problem, small_config):
    """Outside autograd the lag-summed input weights are cached: any in-place change of the
    weights (optimizer step, load_state_dict) must show in the next output."""
    net = random_net(small_config("cen")).double()
    prob = world_problem(3, 5)
    with torch.no_grad():
        before = net.outputs(prob)
        assert net.last_used_lags
        net.ten.inp.weight.mul_(1.5)                       # in place, as an optimizer step
        after = net.outputs(prob)
        assert not torch.allclose(after, before)
        with torch.enable_grad():
            fresh = net.outputs(prob)                      # no cache under autograd
        assert torch.allclose(after, fresh, rtol=0, atol=1e-12)
        net.load_state_dict({k: v.clone() * 0.5 if k == "ten.inp.weight" else v for k, v in net.state_dict().items()})
        assert torch.allclose(net.outputs(prob), _grad_outputs(net, prob), rtol=0, atol=1e-12)
    want = _grad_outputs(net, prob)
    with torch.inference_mode():                           # weights made here are inference tensors (no version counter)
        frozen = random_net(small_config("cen")).double()
        frozen.load_state_dict(net.state_dict())
        assert frozen.ten.inp.weight.is_inference()
        assert torch.allclose(frozen.outputs(prob), want, rtol=0, atol=1e-12)


def _grad_outputs(net, prob):
    with torch.enable_grad():
        return net.outputs(prob).detach()


@pytest.mark.parametrize("arch", ["cen", "dec"])
def test_v3_inputs_are_equivariant(world_problem, arch):
    from agents.nets.cen_tfc import NetConfig
    net = random_net(NetConfig(arch=arch, d_hidden=16, features=16, layers=2, heads=2, inputs="v3"))
    (_cen_equivariance if arch == "cen" else _dec_symmetries)(net, world_problem)


@pytest.mark.parametrize("arch", ["cen", "dec"])
def test_v3_precoders_invariant_to_a_common_scale_of_betas_and_noise(world_problem, arch):
    """(16) depends on beta and sigma^2 only through their ratio: multiplying every beta and every
    noise power by one factor (another altitude, another noise figure) leaves the rate of given
    precoders unchanged, and the v3 net's precoders too. v2 (dB features with fixed centres) is not."""
    import dataclasses

    from agents.nets.cen_tfc import NetConfig
    from agents.precoding.rates import ergodic_rates
    prob = world_problem(3, 5, power_dbw=5.0)
    outs = {}
    for inputs in ("v2", "v3"):
        net = random_net(NetConfig(arch=arch, d_hidden=16, features=16, layers=2, heads=2, inputs=inputs)).double()
        for factor in (1.0, 1e3, 10 ** -2.5):
            scaled = dataclasses.replace(prob, beta=prob.beta * factor, noise_w=prob.noise_w * factor)
            with torch.no_grad():
                outs[inputs, factor] = (scaled, net(scaled)[0])
    for factor in (1e3, 10 ** -2.5):
        ref, got = outs["v3", 1.0][1], outs["v3", factor][1]
        assert torch.allclose(got.p, ref.p, rtol=0, atol=1e-12 * ref.p.abs().max().item())
        assert torch.allclose(got.b, ref.b, rtol=0, atol=1e-12)
        assert (outs["v2", factor][1].p - outs["v2", 1.0][1].p).abs().max() > 1e-3 * ref.p.abs().max()
        gen = lambda: torch.Generator().manual_seed(3)
        r_ref = ergodic_rates(prob, ref, samples=32, generator=gen()).wsr
        r_got = ergodic_rates(outs["v3", factor][0], got, samples=32, generator=gen()).wsr
        assert torch.allclose(r_got, r_ref, rtol=1e-10)


def test_v3_on_board_entry_point_equals_batched_row(world_problem):
    from agents.nets.cen_tfc import NetConfig
    net = random_net(NetConfig(arch="dec", d_hidden=16, features=16, layers=2, heads=2, inputs="v3")).double()
    prob = world_problem(3, 5)
    with torch.no_grad():
        full, _ = net(prob)
        own = dec_tfc_local(net, prob.take(sats=[1]), OthersView.from_problem(prob, 1))
    assert torch.allclose(own.p[:, 0], full.p[:, 1], rtol=0, atol=1e-12 * full.p.abs().max().item())


def test_net_config_inputs_default_and_bad_value():
    from agents.nets.cen_tfc import NetConfig
    old = NetConfig(arch="cen").to_dict()
    del old["inputs"]                                   # a weights file written before the field
    assert NetConfig.from_dict(old).inputs == "v2"
    with pytest.raises(ValueError, match="inputs"):
        NetConfig(arch="cen", inputs="v9")


@pytest.mark.parametrize("arch", ["cen", "dec"])
def test_v2_weights_re_expressed_for_v3_give_the_v2_precoders(world_problem, arch):
    """The warm start of a v3 run from v2 weights (``--init``) is the v2 net, exactly, at the world's noise."""
    import dataclasses

    from agents.experiments.train import v3_state_from_v2
    from agents.nets.schemes import load_net, shipped_weights
    from agents.nets.weights import build_net
    v2 = load_net(shipped_weights(arch))
    v3 = build_net(dataclasses.replace(v2.config, inputs="v3")).double().eval()
    v3.load_state_dict(v3_state_from_v2(v2.state_dict(), arch))
    for p in (-10.0, 10.0):
        prob = world_problem(3, 6, power_dbw=p)
        with torch.no_grad():
            a, b = v2(prob)[0], v3(prob)[0]
        assert torch.allclose(b.p, a.p, rtol=0, atol=1e-9 * a.p.abs().max().item())
    with torch.no_grad():                  # at another noise power the two differ (v3 sees the SNR, v2 the dB values)
        loud = dataclasses.replace(prob, noise_w=prob.noise_w * 10.0)
        assert (v3(loud)[0].p - v2(loud)[0].p).abs().max() > 1e-4 * a.p.abs().max()


def test_folded_lag_input_is_the_same_linear_map(world_problem):
    """v v^H is Hermitian: the input Linear over all L lags equals the folded one over the lags >= 0."""
    from agents.nets.features import _lag_feats, lag_count, lag_inputs, upa_cosines
    from agents.nets.layers import fold_lag_weights
    prob = world_problem(3, 5)
    cos = upa_cosines(prob.g, (8, 8))
    full = _lag_feats(prob.g, (8, 8), 64.0, torch.float64, cosines=cos)
    half = _lag_feats(prob.g, (8, 8), 64.0, torch.float64, cosines=cos, half=True)
    c = lag_count((8, 8)) // 2
    assert half.shape[-1] == 2 * lag_inputs((8, 8)) == 226
    assert torch.equal(half, full[..., 2 * c:])
    gathered = _lag_feats(prob.g, (8, 8), 64.0, torch.float64, half=True)          # the gather path
    assert torch.allclose(gathered, half, rtol=0, atol=1e-12)
    w = torch.randn(16, full.shape[-1], dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    want = full @ w.T
    got = half @ fold_lag_weights(w).T
    assert torch.allclose(got, want, rtol=0, atol=1e-12 * want.abs().max().item())
    # TEN.embed takes either width (all lags, or the lags >= 0 the feature builders give): same result
    from agents.nets.cen_tfc import NetConfig
    from agents.nets.features import upa_lags
    net = random_net(NetConfig(arch="cen", d_hidden=16, features=16, layers=2)).double()
    small = torch.randn(*full.shape[:-1], 8 + 32, dtype=torch.float64)
    fm = upa_lags(8, 8)[0]
    with torch.no_grad():
        a, b = net.ten.embed((small, full, fm)), net.ten.embed((small, half, fm))
    assert torch.allclose(a, b, rtol=0, atol=1e-12 * a.abs().max().item())


@pytest.mark.parametrize("arch", ["cen", "dec"])
def test_shipped_nets_fast_input_path_equals_the_full_block_to_1e_12(world_problem, arch):
    """The folded lag input (half the width) and the cheaper UPA check change no output: the shipped
    nets give the precoders of the full 2M^2 g g^H block to 1e-12 (relative), at low and high power."""
    from agents.nets.schemes import load_net, shipped_weights
    net = load_net(shipped_weights(arch))
    for p in (-10.0, 0.0):
        prob = world_problem(3, 12, batch=4, power_dbw=p)
        full, fast = _full_and_lag_outputs(net, prob)
        assert net.last_used_lags
        assert (fast.p - full.p).abs().max() <= 1e-12 * full.p.abs().max()
        assert (fast.b - full.b).abs().max() <= 1e-12                      # unit vectors
