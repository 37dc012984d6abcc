"""Helpers shared by the ``satcoop`` subcommands."""
from __future__ import annotations

import os


def check_plot_path(path: str) -> None:
    """``--plot`` must name a file in an existing directory, with an extension matplotlib can write.

    Checked before any work is done; ValueError naming ``--plot`` otherwise.
    """
    if not str(path).strip():
        raise ValueError("--plot: give a file name, e.g. figure.png")
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise ValueError(f"--plot {path!r}: directory {parent!r} does not exist")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    formats = sorted(FigureCanvasAgg(Figure()).get_supported_filetypes())
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in formats:
        raise ValueError(f"--plot {path!r}: extension {ext!r} not writable; allowed {formats}")
