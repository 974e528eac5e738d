"""The guided lesson walked in Chromium as a teacher would, from /?present=true: every step's link opens its page on
the promised sentence with presenter mode still on, and the step's claim holds on screen with the shipped models."""
import re
from pathlib import Path

import pytest

from rnn.lesson import LESSON
from tests.serve import CHROMIUM, chromium, streamlit_server, wait_for_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def lesson():
    """One projector-sized page that opened the home page in presenter mode."""
    with streamlit_server() as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        page.goto(f"{url}/?present=true")
        wait_for_app(page)
        yield page


def presenting(page) -> bool:
    return page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"] input').first.is_checked()


def open_step(page, number: int) -> None:
    """Back to the home page through the menu, then the step's own link (what a teacher clicks)."""
    page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]').filter(has_text="Home").click()
    wait_for_app(page)
    page.get_by_text("Reveal: open the page").nth(number - 1).click()
    wait_for_app(page)
    page.wait_for_timeout(500)
    assert page.locator('[data-testid="stException"]').count() == 0
    assert presenting(page), f"step {number} turned presenter mode off"
    promised = LESSON[number - 1][2].get("text")
    if promised is not None:
        assert page.locator('[data-testid="stMain"] input[type="text"]').first.input_value() == promised


def main_text(page) -> str:
    return page.locator('[data-testid="stMain"]').inner_text()


def stars_shown(page) -> list[int]:
    """The RNN's and the feed-forward network's stars, as the two metrics show them."""
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return [v.count("★") for v in values[:2]]


def test_step_1_opens_the_feed_forward_tab_sentence(lesson):
    open_step(lesson, 1)
    assert "Feed-forward network" in main_text(lesson)


def test_step_2_the_rnn_orders_the_pair_and_the_bag_of_words_cannot(lesson):
    open_step(lesson, 2)
    assert "have exactly the same words" in main_text(lesson)  # said in the state the link opens
    rnn_bad, ff_bad = stars_shown(lesson)
    lesson.locator('[data-testid="stSidebar"]').get_by_text("Not bad, really good", exact=True).click()
    wait_for_app(lesson)
    lesson.wait_for_timeout(800)
    rnn_good, ff_good = stars_shown(lesson)
    assert rnn_good > rnn_bad, (rnn_good, rnn_bad)
    assert ff_good == ff_bad


def test_step_3_opens_the_memory_experiment_on_review_stars(lesson):
    open_step(lesson, 3)
    lesson.get_by_role("tab", name="Memory").click()
    lesson.wait_for_timeout(500)
    text = main_text(lesson)
    assert "Sentence A" in text and "Sentence B" in text


def test_step_4_shows_the_next_word_bars(lesson):
    open_step(lesson, 4)
    assert "Next word after “to”" in main_text(lesson)


def test_step_5_the_first_french_word_changes_along_the_prefixes(lesson):
    open_step(lesson, 5)
    text = main_text(lesson)
    assert re.search(r"after “grandmother” it becomes Ma", text), text[:2000]


def test_step_6_finds_dhaval(lesson):
    open_step(lesson, 6)
    assert "Dhaval (person" in main_text(lesson)


def test_step_7_features_a_sentence_the_feed_forward_network_gets_wrong(lesson):
    open_step(lesson, 7)
    lesson.get_by_role("button", name="▶ Train both networks").click()
    lesson.get_by_text("After the last epoch").wait_for(timeout=120_000)
    verdict = lesson.get_by_text("After the last epoch").inner_text()
    assert re.search(r"RNN \(GRU\) says \d+% positive: right", verdict), verdict
    assert re.search(r"Feed-forward \(one-hot by slot\) says \d+% positive: wrong", verdict), verdict
