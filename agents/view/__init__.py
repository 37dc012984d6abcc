"""The episode viewer: one self-contained HTML page of a run folder (``satcoop view RUN_DIR``).

:func:`agents.view.data.build_view_data` rebuilds what the page shows from the run folder alone;
:func:`agents.view.page.write_view` writes the page. See docs/viewer.md.
"""
from __future__ import annotations

from .data import ViewData, ViewOptions, build_view_data
from .page import write_view

__all__ = ["ViewData", "ViewOptions", "build_view_data", "write_view"]
