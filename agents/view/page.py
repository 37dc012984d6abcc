"""The episode page: one self-contained HTML file (``satcoop view RUN_DIR``, ``satcoop run --view``).

Everything is inlined -- the page's own script and style (``assets/view.js``, ``assets/view.css``,
``assets/page.html``), plotly.js from the ``plotly`` Python package (:func:`plotly.offline.get_plotlyjs`),
the coastlines (``assets/land_110m.json``: Natural Earth 1:110m land, public domain, via the world-atlas
npm package, ISC licence) and the data (:mod:`agents.view.data`, JSON in a ``<script type="application/json">``
element) -- and a Content-Security-Policy (``default-src 'none'``) forbids the page any request, so it
works offline and cannot reach the network even by mistake.

Size: plotly.js is ~4.8 MB; the default 60 s episode's data adds ~2 MB (measured sizes in docs/viewer.md).
"""
from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path

from constellation.checks import BadInput

from .data import ViewData, ViewOptions, build_view_data

PAGE_NAME = "view.html"
_TOKEN = re.compile(r"\{\{([A-Z]+)\}\}")


def _asset(name: str) -> str:
    return resources.files("agents.view").joinpath("assets", name).read_text(encoding="utf-8")


def _script_safe(text: str) -> str:
    """Text that cannot close the <script> element it is inlined in (``</`` -> ``<\\/``, valid in JSON
    strings and in JavaScript strings)."""
    return text.replace("</", "<\\/")


def render_page(view: ViewData) -> str:
    """The page's HTML text for ``view``."""
    from plotly.offline import get_plotlyjs

    parts = {
        "TITLE": html.escape(f"satcoop episode {view.meta.get('run_dir', '')}"),
        "STYLE": _asset("view.css"),
        "DATA": _script_safe(json.dumps(view.to_json(), separators=(",", ":"), allow_nan=False)),
        "LAND": _script_safe(_asset("land_110m.json")),
        "PLOTLY": _script_safe(get_plotlyjs()),
        "SCRIPT": _script_safe(_asset("view.js")),
    }
    # one pass over the template: inserted text is never scanned for tokens again
    return _TOKEN.sub(lambda m: parts[m.group(1)], _asset("page.html"))


def write_view(run_dir, out=None, options: ViewOptions | None = None, name: str = "RUN_DIR",
               out_name: str = "--out") -> tuple[Path, ViewData]:
    """Build the page of the run folder ``run_dir`` and write it to ``out`` (default ``RUN_DIR/view.html``).
    Returns (path written, the data embedded). :class:`BadInput` (one line naming ``name`` / ``out_name``)
    for a folder that is not a run folder or an ``out`` that cannot be written."""
    if out is not None:                          # checked before the (possibly long) build
        if Path(out).is_dir():
            raise BadInput(f"{out_name} = {str(out)!r}: is a directory; give the HTML file to write")
        if not Path(out).parent.is_dir():
            raise BadInput(f"{out_name} = {str(out)!r}: its folder does not exist")
    from agents.files import write_text
    view = build_view_data(run_dir, options, name=name)
    path = Path(out) if out is not None else Path(run_dir) / PAGE_NAME
    text = render_page(view)
    try:
        write_text(path, text)                  # exclusive temp name + rename: never through a symlink
    except OSError as exc:
        raise BadInput(f"{out_name} = {str(path)!r}: cannot write the page ({exc.strerror or type(exc).__name__})") from None
    return path, view
