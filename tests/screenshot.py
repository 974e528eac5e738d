"""python -m tests.screenshot [PATH ...]: full-page PNGs of app pages at 1280x720 and 390 px wide.

PATH is a URL path with query, e.g. "/" or "/Review_Stars?text=not+bad". Files go to screenshots/.
"""
from __future__ import annotations

import re
import sys

from tests.serve import ROOT, chromium, streamlit_server, wait_for_app

VIEWPORTS = {"desktop": (1280, 720), "phone": (390, 844)}


def main(paths: list[str]) -> None:
    out = ROOT / "screenshots"
    out.mkdir(exist_ok=True)
    with streamlit_server() as url, chromium() as browser:
        for name, (width, height) in VIEWPORTS.items():
            context = browser.new_context(viewport={"width": width, "height": height})
            page = context.new_page()
            for path in paths or ["/"]:
                page.goto(url + path)
                wait_for_app(page)
                page.wait_for_timeout(1500)
                # Streamlit scrolls inside its own container, so grow the window to the content to capture all of it.
                full = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
                page.set_viewport_size({"width": width, "height": max(height, min(int(full), 12000))})
                page.wait_for_timeout(500)
                slug = re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")[:60] or "home"
                page.screenshot(path=str(out / f"{slug}_{name}.png"), full_page=True)
                print(out / f"{slug}_{name}.png")
                page.set_viewport_size({"width": width, "height": height})
            context.close()


if __name__ == "__main__":
    main(sys.argv[1:])
