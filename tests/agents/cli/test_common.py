"""``--plot`` is checked before any work: a directory, a missing directory, a place that cannot be
written, an extension matplotlib cannot write -- one line naming --plot; nothing is left behind."""
from __future__ import annotations

import os

import pytest

from agents.cli.common import check_plot_path


def test_plot_path_checks(tmp_path):
    with pytest.raises(ValueError, match=r"--plot .*: is a directory; give a file name inside it"):
        check_plot_path(str(tmp_path))
    with pytest.raises(ValueError, match=r"--plot .*: directory .* does not exist"):
        check_plot_path(str(tmp_path / "nope" / "f.png"))
    with pytest.raises(ValueError, match=r"--plot .*: extension 'txt' not writable"):
        check_plot_path(str(tmp_path / "f.txt"))
    with pytest.raises(ValueError, match=r"--plot '/proc/satcoop-test.png': cannot write there"):
        check_plot_path("/proc/satcoop-test.png")          # even root cannot create files in /proc
    good = tmp_path / "f.png"
    check_plot_path(str(good))
    assert not good.exists()                               # the probe leaves nothing behind
    good.write_bytes(b"old")
    check_plot_path(str(good))
    assert good.read_bytes() == b"old"                     # an existing file is not truncated by the check
    if os.geteuid() != 0:                                  # permission bits do not bind root
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        with pytest.raises(ValueError, match="cannot write there"):
            check_plot_path(str(ro / "f.png"))


def test_progress_bars_only_on_a_terminal(monkeypatch):
    """The one factory behind compare's and lpdft's bars: None off a terminal or with the flag off, else a
    ``total -> bar`` callable whose bar counts to ``total`` on stderr."""
    import io
    import sys

    from agents.cli.common import progress_bars

    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert progress_bars(True, "x", "run") is None           # pytest's stderr is not a terminal
    monkeypatch.setattr(sys, "stderr", Tty())
    assert progress_bars(False, "x", "run") is None
    make = progress_bars(True, "compare", "batch", leave=False)
    bar = make(7)
    bar.update(7)
    bar.close()
    assert bar.total == 7 and bar.n == 7
    assert "compare:" in sys.stderr.getvalue() and "/7 " in sys.stderr.getvalue()
