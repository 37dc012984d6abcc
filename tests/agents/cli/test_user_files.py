"""Files the user hands over: every malformed --weights (compare), --init (train), --resume (train) file,
scheme_options.*.weights (run), an OMM XML of the wrong layout (world), scheme_options with an unknown key or
for an unregistered scheme: exit 2, one line naming the option and the file, no traceback, nothing run
from the file."""
from __future__ import annotations

import os

import pytest
import torch

from agents.cli import main
from agents.nets.cen_tfc import NetConfig
from agents.nets.weights import build_net, save_weights

PWNED = "/tmp/satcoop-test-pwned-{}".format(os.getpid())


class _Exploit:
    def __reduce__(self):                          # what a crafted pickle does: call a global on load
        return (os.system, (f"touch {PWNED}",))


def _good(path, arch="cen"):
    torch.manual_seed(0)
    net = build_net(NetConfig(arch=arch, d_hidden=4, layers=1, features=4))
    save_weights(net, path)
    return net


def _blob(path):
    return torch.load(path, weights_only=True)


def _make(kind, tmp_path):
    """A malformed weights file of ``kind``; returns (path, what the message must say)."""
    p = tmp_path / f"{kind}.pt"
    good = tmp_path / "good.pt"
    _good(good)
    if kind == "empty":
        p.write_bytes(b"")
    elif kind == "truncated":
        p.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    elif kind == "text":
        p.write_text("these are not weights\n")
    elif kind == "bare_tensor":
        torch.save(torch.zeros(3), p)
    elif kind == "list":
        torch.save([1, 2, 3], p)
    elif kind == "no_config":
        torch.save({"state_dict": _blob(good)["state_dict"]}, p)
    elif kind == "missing_keys":
        b = _blob(good)
        b["state_dict"] = dict(list(b["state_dict"].items())[1:])
        torch.save(b, p)
    elif kind == "unknown_field":
        b = _blob(good)
        b["config"]["colour"] = "blue"
        torch.save(b, p)
    elif kind == "bad_arch":
        b = _blob(good)
        b["config"]["arch"] = "rnn"
        torch.save(b, p)
    elif kind == "pickle":
        with open(p, "wb") as f:
            torch.save({"config": {}, "state_dict": {}, "x": _Exploit()}, f)
    elif kind == "nan":
        b = _blob(good)
        k = next(iter(b["state_dict"]))
        b["state_dict"][k] = b["state_dict"][k].clone().fill_(float("nan"))
        torch.save(b, p)
    return p, {"empty": "not a readable", "truncated": "not a readable", "text": "not a readable",
               "bare_tensor": "it holds Tensor", "list": "it holds list", "no_config": "'config'",
               "missing_keys": "do not fit", "unknown_field": "unknown net config field 'colour'",
               "bad_arch": "arch must be 'cen' or 'dec'", "pickle": "refused",
               "nan": "non-finite weights"}[kind]


KINDS = ["empty", "truncated", "text", "bare_tensor", "list", "no_config", "missing_keys", "unknown_field",
         "bad_arch", "pickle", "nan"]


def _one_line(capsys, argv, *fragments):
    rc = main(argv)
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert err.count("\n") == 0 and "Traceback" not in err and "internal error" not in err, err
    for f in fragments:
        assert f in err, err
    return err


@pytest.mark.parametrize("kind", KINDS)
def test_malformed_weights_and_init(tmp_path, capsys, monkeypatch, kind):
    monkeypatch.setenv("SATCOOP_CACHE", str(tmp_path / "cache"))
    path, why = _make(kind, tmp_path)
    _one_line(capsys, ["compare", "--S", "1", "--K", "1", "--drops", "1", "--schemes", "Cen-TFC-WM",
                       "--weights", str(path), "--no-progress"], "--weights", str(path), why)
    _one_line(capsys, ["train", "--arch", "cen", "--hidden", "4", "--features", "4", "--layers", "1",
                       "--init", str(path), "--out", str(tmp_path / "t"), "--no-progress"], "--init", str(path), why)
    _one_line(capsys, ["run", "--runtime", "local", "--duration-s", "0.1", "--out", str(tmp_path / "r"),
                       "--set", 'schemes=["Cen-TFC-WM"]', "--set",
                       f'scheme_options.Cen-TFC-WM.weights="{path}"'],
              "scheme_options.Cen-TFC-WM.weights", str(path), why)
    assert not os.path.exists(PWNED), "code ran from the file"


@pytest.mark.parametrize("kind", ["empty", "text", "list", "pickle"])
def test_malformed_resume_checkpoint(tmp_path, capsys, kind):
    out = tmp_path / "t"
    out.mkdir()
    src, _ = _make(kind, tmp_path)
    os.replace(src, out / "checkpoint.pt")
    _one_line(capsys, ["train", "--arch", "cen", "--out", str(out), "--resume", "--no-progress"],
              "--resume", str(out / "checkpoint.pt"))
    assert not os.path.exists(PWNED)


def test_weights_for_no_learned_scheme_or_the_wrong_architecture(tmp_path, capsys):
    cen, dec = tmp_path / "cen.pt", tmp_path / "dec.pt"
    _good(cen, "cen")
    _good(dec, "dec")
    base = ["compare", "--S", "1", "--K", "1", "--drops", "1", "--no-progress"]
    _one_line(capsys, [*base, "--schemes", "Sep-MRT", "--weights", str(cen)], "--weights", "Cen-TFC-WM",
              "not among the schemes run")
    _one_line(capsys, [*base, "--schemes", "Cen-TFC-WM", "--weights", str(dec)], "--weights", "Dec-TFC-WM")
    run = ["run", "--runtime", "local", "--duration-s", "0.1", "--out", str(tmp_path / "r")]
    _one_line(capsys, [*run, "--set", f'scheme_options.Cen-TFC-WM.weights="{dec}"'],
              "scheme_options.Cen-TFC-WM.weights", "Dec-TFC-WM net")


def test_scheme_options_unknown_key_or_scheme(tmp_path, capsys):
    run = ["run", "--runtime", "local", "--duration-s", "0.1", "--out", str(tmp_path / "r")]
    _one_line(capsys, [*run, "--set", 'scheme_options.Sep-MRT.gain=2'],
              "scheme_options.Sep-MRT.gain", "takes no option 'gain'")
    _one_line(capsys, [*run, "--set", 'scheme_options.Sep-Magic.max_iter=2'],
              "scheme_options.Sep-Magic", "not a registered scheme")


def test_omm_xml_of_the_wrong_layout(tmp_path, capsys):
    p = tmp_path / "elements.xml"
    p.write_text('<?xml version="1.0"?><ndm><omm><body><segment><meta/><data><x/></data></segment></body></omm></ndm>')
    _one_line(capsys, ["world", "--omm", str(p)], str(p), "invalid OMM XML")
