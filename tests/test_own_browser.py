"""Your sentences in a real browser: paste sentences, train, type a new one and read both networks' answers; the
stop button ends a training and keeps what it learned."""
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rnn.own.data import to_csv
from tests.serve import CHROMIUM, wait_for_app
from tests.test_browser import app_url, browser, page  # noqa: F401  (the same server, browser and page fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]

SENTENCES = to_csv([(f"{'is the' if i % 2 else 'the'} {w} {'open' if i % 2 else 'is open'}", "question" if i % 2 else "statement")
                    for i, w in enumerate(["door", "shop", "bank", "gate", "park"] * 6)])


def test_paste_train_and_type(app_url, page):
    page.goto(f"{app_url}/Your_Sentences")
    wait_for_app(page)
    box = page.locator('[data-testid="stTextArea"] textarea').first
    box.fill(SENTENCES)
    box.press("Control+Enter")
    expect(page.get_by_text("30 sentences")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="▶ Train both networks").click()
    expect(page.get_by_text("Done in")).to_be_visible(timeout=120_000)
    wait_for_app(page)
    page.get_by_label("A sentence of your own").fill("is the bank open")
    expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text("question", timeout=30_000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.get_by_role("link", name="Open this sentence on the Hidden state page").click()
    expect(page.get_by_role("heading", name="🧠 Hidden state")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_label("Sentence", exact=True)).to_have_value("is the bank open")
    expect(page.get_by_text("the label if the sentence ended at this word")).to_be_visible()
    assert page.locator('[data-testid="stException"]').count() == 0


def test_stop_keeps_the_networks_as_they_were(app_url, page):
    page.goto(f"{app_url}/Your_Sentences")
    wait_for_app(page)
    page.get_by_role("button", name="▶ Train both networks").click()
    expect(page.get_by_text(re.compile(r"RNN \(GRU\), epoch \d+:"))).to_be_visible(timeout=60_000)  # the RNN's turn
    page.get_by_role("button", name="■ Stop").click()
    expect(page.get_by_text("Stopped: the RNN had trained")).to_be_visible(timeout=30_000)
    wait_for_app(page)
    expect(page.get_by_text("What they learned")).to_be_visible()
    expect(page.get_by_text("The two sentences share their first 12 words")).to_be_visible()  # the ready-made pair
    assert page.locator('[data-testid="stException"]').count() == 0
