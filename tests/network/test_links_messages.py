import numpy as np
import pytest

from network.links import SPEED_OF_LIGHT_M_S, LinkConfig
from network.messages import (SSI, Opaque, PrecoderBundle, SCSIReport, pack_hermitian,
                              unpack_hermitian)


def test_hop_and_path_latency_by_hand():
    cfg = LinkConfig(processing_s=2e-3, rate_bps=1e6)
    # 1000 km hop, 5000-bit message: 1e6 / 299792458 + 0.002 + 0.005
    assert cfg.hop_latency_s(1e6, 5000) == pytest.approx(0.0033356409519815205 + 0.007, rel=1e-12)
    lengths = [1e6, 2.5e6, 3e5]
    hand = sum(l / 299_792_458.0 for l in lengths) + 3 * (0.002 + 5000 / 1e6)
    assert cfg.path_latency_s(lengths, 5000) == pytest.approx(hand, rel=1e-12)
    assert cfg.path_latency_s([], 5000) == 0.0
    assert SPEED_OF_LIGHT_M_S == 299_792_458.0


@pytest.mark.parametrize("kw, field", [({"processing_s": -1e-3}, "processing_s"), ({"rate_bps": 0.0}, "rate_bps"),
                                       ({"rate_bps": float("inf")}, "rate_bps")])
def test_link_config_rejects_bad_values(kw, field):
    with pytest.raises(ValueError, match=field):
        LinkConfig(**kw)


def _ssi(bits=32):
    return SSI(np.array([7e6, 0.0, 0.0]), np.array([1.0, 0, 0, 0]), 20.0, bits_per_real=bits)


@pytest.mark.parametrize("bits", [32, 16, 64])
def test_ssi_size_hand_count(bits):
    # position 3 + quaternion 4 + power 1 = 8 reals
    assert _ssi(bits).size_bits == 8 * bits


@pytest.mark.parametrize("k, n, packing, reals_per_ut", [(12, 4, "full", 2 + 32), (12, 4, "hermitian", 2 + 16),
                                                         (3, 2, "full", 2 + 8), (5, 1, "hermitian", 2 + 1)])
def test_scsi_report_size_hand_count(k, n, packing, reals_per_ut):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, n, n)) + 1j * rng.standard_normal((k, n, n))
    sigma = a @ a.conj().transpose(0, 2, 1)
    rep = SCSIReport(_ssi(), rng.random(k), rng.random(k), sigma, sigma_packing=packing)
    assert rep.size_bits == 32 * (8 + k * reals_per_ut)
    # the paper's S=3 / K=12 / N=4 report: 8 + 12 * (1 + 1 + 2*16) = 416 reals = 13312 bits
    if (k, n, packing) == (12, 4, "full"):
        assert rep.size_bits == 13312


def test_precoder_bundle_size_hand_count():
    p = np.zeros((3, 12, 64), complex)
    b = PrecoderBundle.for_satellite(p, 1)
    assert b.p.shape == (12, 64)
    assert b.size_bits == 12 * 64 * 2 * 32 == 49152
    assert PrecoderBundle(np.zeros((2, 8), complex), bits_per_real=16).size_bits == 2 * 8 * 2 * 16
    assert Opaque(size=1234).size_bits == 1234


def test_scsi_report_from_statistical_csi():
    from constellation.csi import StatisticalCSI
    b, s, k, m, n = 2, 3, 4, 8, 2
    rng = np.random.default_rng(1)
    z = lambda *sh: np.zeros(sh)  # noqa: E731
    csi = StatisticalCSI(g=np.ones((b, s, k, m), complex) / np.sqrt(m), d0=np.ones((b, s, k, n), complex) / np.sqrt(n),
                         beta=rng.random((b, s, k)), kappa=rng.random((b, s, k)),
                         sigma=np.broadcast_to(np.eye(n) / n, (b, s, k, n, n)).astype(complex),
                         noise_w=np.ones((b, k)), aod_theta=z(b, s, k), aod_phi=z(b, s, k), aoa_theta=z(b, s, k),
                         aoa_phi=z(b, s, k), elevation=z(b, s, k), range_m=z(b, s, k))
    rep = SCSIReport.from_csi(csi, sat=2, ssi=_ssi(), batch=1)
    np.testing.assert_array_equal(rep.beta, csi.beta[1, 2])
    np.testing.assert_array_equal(rep.kappa, csi.kappa[1, 2])
    assert rep.size_bits == 32 * (8 + k * (2 + 2 * n * n))
    with pytest.raises(ValueError, match="sat"):
        SCSIReport.from_csi(csi, sat=3, ssi=_ssi())


def test_hermitian_packing_is_lossless_and_has_n_squared_reals():
    rng = np.random.default_rng(2)
    for n in (1, 2, 4, 7):
        a = rng.standard_normal((5, n, n)) + 1j * rng.standard_normal((5, n, n))
        h = a @ a.conj().transpose(0, 2, 1)
        packed = pack_hermitian(h)
        assert packed.shape == (5, n * n) and packed.dtype.kind == "f"
        np.testing.assert_allclose(unpack_hermitian(packed, n), h, atol=1e-12)


def test_message_validation_names_the_field():
    with pytest.raises(ValueError, match="position_m"):
        SSI(np.zeros(4), np.zeros(4), 1.0)
    with pytest.raises(ValueError, match="attitude_q"):
        SSI(np.zeros(3), np.zeros(3), 1.0)
    with pytest.raises(ValueError, match="bits_per_real"):
        SSI(np.zeros(3), np.zeros(4), 1.0, bits_per_real=0)
    with pytest.raises(ValueError, match="sigma_packing"):
        SCSIReport(_ssi(), np.ones(2), np.ones(2), np.zeros((2, 3, 3)), sigma_packing="diag")
    with pytest.raises(ValueError, match="sigma"):
        SCSIReport(_ssi(), np.ones(2), np.ones(2), np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="kappa"):
        SCSIReport(_ssi(), np.ones(2), np.ones(3), np.zeros((2, 3, 3)))
    with pytest.raises(ValueError, match="PrecoderBundle.p"):
        PrecoderBundle(np.zeros(5, complex))
