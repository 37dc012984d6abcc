"""The episode page in a real headless Chromium (Debian's ``chromium``, driven by Playwright; ``.ci/run``
installs it when missing). With no network: any request other than the page itself (or a data:/blob: URL)
is aborted and fails the test. Checks: no console error, the slider moves the satellites, the screenshot
shows a globe and plots (pixel variance), the region selector and the map toggle work.

Without Chromium (or Playwright) the test is skipped on a developer's machine and FAILS in CI (CI=true).
The screenshot is kept at ``$SATCOOP_VIEW_SCREENSHOT`` when that is set (to look at it).
"""
from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from agents import cli

CHROMIUM = os.environ.get("SATCOOP_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>"]       # nowhere to go even if asked


def _browser_or_skip():
    missing = None
    try:
        from playwright.sync_api import sync_playwright  # noqa: F401
    except ImportError:
        missing = "the playwright package (pip install -e '.[test]')"
    if missing is None and not (Path(CHROMIUM).is_file() or shutil.which("chromium")):
        missing = f"Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does it)"
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"browser test: {missing} is missing in CI")
        pytest.skip(f"browser test: {missing} is missing")


def _variance(png: bytes, box) -> float:
    from PIL import Image
    im = Image.open(io.BytesIO(png)).convert("L")
    x, y, w, h = (int(round(v)) for v in (box["x"], box["y"], box["width"], box["height"]))
    return float(np.asarray(im.crop((x, y, x + w, y + h)), float).std())


def test_episode_page_in_headless_chromium(default_run, faulty_run, tmp_path):
    _browser_or_skip()
    from playwright.sync_api import sync_playwright

    page_file = (default_run / "view.html").resolve()           # written by `satcoop run --view`
    multi_file = tmp_path / "multi.html"
    assert cli.main(["view", str(faulty_run), "--out", str(multi_file)]) == 0
    errors, requests, blocked = [], [], []
    allowed = {page_file.as_uri(), multi_file.resolve().as_uri()}

    def route(r):
        url = r.request.url
        if url in allowed or url.startswith(("data:", "blob:")):
            r.continue_()
        else:
            blocked.append(url)
            r.abort()

    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(str(tmp_path / "chromium-profile"),   # a fresh profile
                                                   executable_path=shutil.which("chromium") if not Path(CHROMIUM).is_file()
                                                   else CHROMIUM, headless=True, args=ARGS,
                                                   viewport={"width": 1500, "height": 1350})
        try:
            ctx.route("**/*", route)
            page = ctx.new_page()
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)

            # the slider: click near its start, then near its end (real input events)
            box = page.locator("#slider").bounding_box()
            page.mouse.click(box["x"] + 0.1 * box["width"], box["y"] + box["height"] / 2)
            t1 = page.evaluate("window.satcoopView.getTime()")
            drawn1 = {s: (x, y) for s, x, y in page.evaluate("window.satcoopView.drawn()")}
            label1 = page.inner_text("#tlabel")
            page.mouse.click(box["x"] + 0.9 * box["width"], box["y"] + box["height"] / 2)
            t2 = page.evaluate("window.satcoopView.getTime()")
            drawn2 = {s: (x, y) for s, x, y in page.evaluate("window.satcoopView.drawn()")}
            assert 0.0 < t1 < 1.5 and 2.5 < t2 <= 4.0 and page.inner_text("#tlabel") != label1
            common = sorted(set(drawn1) & set(drawn2))
            assert len(common) > 30
            moved = np.array([np.hypot(drawn2[s][0] - drawn1[s][0], drawn2[s][1] - drawn1[s][1]) for s in common])
            assert np.median(moved) > 0.5                                # ~20 km in ~2.6 s at this zoom
            counts = page.evaluate("window.satcoopView.counts()")
            assert counts["up"] > 50

            # hover the central: its tooltip names it, its NORAD id and shell, and its role
            drawn = page.evaluate("window.satcoopView.drawn()")
            centrals = page.evaluate("JSON.parse(document.getElementById('satcoop-data').textContent).regions[0].centrals")
            cen_id = [c for t_s, c in centrals if t_s <= t2][-1]
            cx, cy = next((x, y) for s, x, y in drawn if s == cen_id)
            cbox = page.locator("#globe").bounding_box()
            page.mouse.move(cbox["x"] + cx, cbox["y"] + cy)
            tip = page.inner_text("#tooltip")
            assert f"index {cen_id}, NORAD {cen_id + 1}" in tip and "shell 0: 53.0 deg, 600 km" in tip
            assert "central of region 0" in tip

            png = page.screenshot(full_page=True)
            if os.environ.get("SATCOOP_VIEW_SCREENSHOT"):
                Path(os.environ["SATCOOP_VIEW_SCREENSHOT"]).write_bytes(png)
            assert _variance(png, cbox) > 12                              # a globe, not a blank canvas
            pbox = page.locator("#plots .cartesianlayer").bounding_box()
            assert pbox["height"] > 300 and _variance(png, pbox) > 8      # plotted lines, not an empty area
            assert page.locator("#plots .scatterlayer .trace").count() >= 7 * 3

            # the map toggle and, on the two-region page, the region selector
            page.click("#mode-map")
            assert page.evaluate("window.satcoopView.state.mode") == "map"
            page.goto(multi_file.resolve().as_uri())
            page.wait_for_selector("body[data-ready='1']", timeout=30_000)
            assert page.locator("#region option").count() == 2
            before = page.inner_text("#now")
            page.select_option("#region", "1")
            page.wait_for_timeout(300)
            assert page.evaluate("window.satcoopView.state.region") == 1 and page.inner_text("#now") != before
        finally:
            ctx.close()
    assert errors == []
    assert blocked == []
    assert set(requests) <= allowed
