"""Your sentences in a real browser: paste sentences, train, type a new one and read both networks' answers."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rnn.own.data import to_csv
from tests.serve import CHROMIUM, chromium, streamlit_server, wait_for_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]

SENTENCES = to_csv([(f"{'is the' if i % 2 else 'the'} {w} {'open' if i % 2 else 'is open'}", "question" if i % 2 else "statement")
                    for i, w in enumerate(["door", "shop", "bank", "gate", "park"] * 6)])


def test_paste_train_and_type():
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{url}/Your_Sentences")
        wait_for_app(page)
        box = page.locator('[data-testid="stTextArea"] textarea').first
        box.fill(SENTENCES)
        box.press("Control+Enter")
        expect(page.get_by_text("30 sentences")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="▶ Train both networks").click()
        expect(page.get_by_text("Done in")).to_be_visible(timeout=120_000)
        wait_for_app(page)
        sentence = page.get_by_label("A sentence of your own")
        sentence.fill("is the bank open")
        expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("question", timeout=30_000)
        assert page.locator('[data-testid="stException"]').count() == 0
