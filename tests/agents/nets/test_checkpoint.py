"""``train --resume`` never runs code from ``checkpoint.pt``: a crafted pickle is refused with one line
naming the file, and the code in it never runs (the marker file it would create never appears)."""
from __future__ import annotations

import pickle
import zipfile

import pytest
import torch

from agents.cli import main
from agents.nets.checkpoint import load_checkpoint
from constellation.checks import BadInput


class _Evil:
    """Unpickling this runs ``exec(code)``: the code creates the marker file."""

    def __init__(self, marker):
        self.code = f"open({str(marker)!r}, 'w').close()"

    def __reduce__(self):
        return (exec, (self.code,))


def _plant(out, marker, form: str):
    out.mkdir(parents=True, exist_ok=True)
    path = out / "checkpoint.pt"
    payload = {"net": _Evil(marker), "optimizer": {}, "scheduler": {}, "history": [], "best": 0.0, "epoch": 1,
               "train_seconds": 0.0, "train_config": {"arch": "cen"}, "net_config": {}}
    if form == "torch":                       # what torch.save writes: a zip with archive/data.pkl
        torch.save(payload, path)
    else:                                     # a bare pickle stream (torch's legacy format path)
        path.write_bytes(pickle.dumps(payload, protocol=int(form[-1])))
    return path


def _run_pickle_in_file(path) -> None:
    """Positive control: what an unrestricted load of ``path`` would do (runs the planted code)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            name = next(n for n in z.namelist() if n.endswith("data.pkl"))
            data = z.read(name)

        class _U(pickle.Unpickler):               # tensors are absent from this payload: nothing to restore
            def persistent_load(self, pid):
                return None
        import io
        _U(io.BytesIO(data)).load()
    else:
        pickle.loads(path.read_bytes())


@pytest.mark.parametrize("form", ["torch", "pickle2", "pickle4"])
def test_malicious_checkpoint_is_refused_and_runs_nothing(tmp_path, capsys, form):
    marker = tmp_path / "pwned"
    out = tmp_path / "run"
    path = _plant(out, marker, form)
    rc = main(["train", "--arch", "cen", "--S", "2", "--K", "4", "--drops", "20", "--epochs", "1",
               "--hidden", "8", "--features", "8", "--layers", "1", "--out", str(out), "--resume", "--no-progress"])
    err = capsys.readouterr().err
    assert rc == 2
    assert not marker.exists()
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert str(path) in lines[0] and "--resume" in lines[0] and "refused" in lines[0]
    # the file really is malicious: an unrestricted unpickler runs its code
    _run_pickle_in_file(path)
    assert marker.exists()


@pytest.mark.parametrize("content, match", [
    (b"", "not a readable satcoop checkpoint"),
    (b"hello, I am text\n", "not a readable satcoop checkpoint"),
    ("truncated", "not a readable satcoop checkpoint"),
    ("tensor", "holds a Tensor"),
    ("nokeys", r"missing \['optimizer'"),
])
def test_malformed_checkpoint_is_one_line(tmp_path, content, match):
    path = tmp_path / "checkpoint.pt"
    if content == "truncated":
        torch.save({"net": {"w": torch.zeros(1000)}}, path)
        path.write_bytes(path.read_bytes()[:300])
    elif content == "tensor":
        torch.save(torch.zeros(3), path)
    elif content == "nokeys":
        torch.save({"net": {}}, path)
    else:
        path.write_bytes(content)
    with pytest.raises(BadInput, match=match) as exc:
        load_checkpoint(path)
    assert "\n" not in str(exc.value) and str(path) in str(exc.value)
