"""What only a browser shows of the Beam tree tab: it draws when the student opens it (the tab reruns the page on a
switch), a phone gets the tree without zoom or drag, and picking a branch in the box forces it."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.apptest import needs_bundle
from tests.serve import CHROMIUM, chromium, streamlit_server, wait_for_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install -y chromium)"),
    needs_bundle("translate"),
]


def test_opening_the_tab_draws_the_tree_and_picking_a_branch_forces_it():
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(f"{url}/Translate")
        wait_for_app(page)
        page.get_by_role("tab", name="Beam tree").click()
        # the open tab's first chart (the other tabs' charts name French words too)
        tree = page.get_by_role("tabpanel").filter(has_text="Force a branch").locator(".js-plotly-plot").first
        expect(tree).to_contain_text("grand-mère", timeout=30_000)
        # no zoom or drag on a phone: the swipe scrolls the page
        assert tree.evaluate("e => e.layout.dragmode") is False
        page.locator('[data-testid="stSelectbox"]').filter(has_text="Start the French with").click()
        page.keyboard.type("Mon (")
        page.get_by_role("option").filter(has_text="word 1: Mon (").first.click()
        expect(page.get_by_text("Forced to start with “Mon”")).to_be_visible(timeout=20_000)
        assert page.locator('[data-testid="stException"]').count() == 0
