"""The Review stars page under AppTest, with the shipped model: default review, typed review, odd input."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from rnn.checkpoint import bundle_dir

PAGE = Path(__file__).resolve().parent.parent / "pages" / "4_Review_Stars.py"

if not (bundle_dir("stars") / "model.pt").is_file():
    pytest.skip("assets/stars/model.pt is missing: train it with `python -m rnn.train stars`", allow_module_level=True)


def page(url_text: str | None = None, typed: str | None = None) -> AppTest:
    """The page opened (from a link carrying ?text= when url_text is given), then typed into; no exception."""
    app = AppTest.from_file(str(PAGE), default_timeout=60)
    if url_text is not None:
        app.query_params["text"] = url_text
    app.run()
    if typed is not None:
        app.text_input(key="text").input(typed).run()
    assert not app.exception, app.exception
    return app


def answers(app: AppTest) -> list[str]:
    return [m.label + " " + m.value for m in app.metric]


def test_page_rates_the_default_review_with_both_networks_and_shows_the_card():
    app = page()
    shown = answers(app)
    assert any(s.startswith("Recurrent network") and "★" in s for s in shown)
    assert any(s.startswith("Feed-forward network") and "★" in s for s in shown)
    assert any(s.value == "Model card" for s in app.subheader)


def test_typing_a_review_updates_the_stars():
    app = page(typed="Awful. The fabric is cheap and it fell apart, I sent it back.")
    assert any(c.value.endswith("sure") for c in app.caption)
    assert any(s.value == "Word by word" for s in app.subheader)


def test_same_words_pair_explains_the_bag_of_words():
    app = page("Not good, really bad.")
    assert any("same words" in i.value for i in app.info)


@pytest.mark.parametrize("text", ["<script>alert(1)</script>", "🙂🔥", "qqqzz xxyyv"])
def test_odd_text_is_read_without_error(text):
    app = page(text)
    assert app.metric


def test_empty_text_asks_for_a_review():
    app = page(typed="")
    assert app.info


def test_the_page_measures_order_and_negation_beside_the_feed_forward_network():
    app = page()
    line = next(m.value for m in app.markdown if "Order and negation, measured" in m.value)
    assert "131 hand-written pairs" in line and "the feed-forward network:" in line


def test_the_lessons_pair_gets_opposite_stars_from_the_rnn_and_the_same_from_the_bag_of_words():
    from rnn.tasks import stars

    model = stars.load()
    good, bad = stars.predict(model, "Not bad, really good."), stars.predict(model, "Not good, really bad.")
    assert good.stars >= 4 and bad.stars <= 2
    assert good.ann_probs == bad.ann_probs  # the same words: the same input to the bag of words
