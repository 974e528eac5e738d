"""The Entities page under AppTest, with the shipped model: it tags the default, a typed sentence and hostile text."""
from streamlit.testing.v1 import AppTest

from tests.apptest import needs_bundle
from tests.apptest import run_page as run_apptest_page

pytestmark = needs_bundle("entities")


def run_page(query_text: str | None = None) -> AppTest:
    return run_apptest_page("3_Entities.py", query_text)


def highlighted(app: AppTest) -> str:
    return next(h.proto.body for h in app.get("html") if 'class="entities"' in h.proto.body)


def test_page_tags_the_default_sentence_and_shows_the_card():
    app = run_page()
    assert "Dhaval" in highlighted(app)
    assert app.dataframe  # the token table (and the card's metrics)
    assert any(s.value == "Model card" for s in app.subheader)


def test_typing_a_sentence_shows_its_entities():
    app = run_page()
    app.text_input(key="text").input("Angela Merkel flew to Paris on Monday.").run()
    assert not app.exception, app.exception
    body = highlighted(app)
    assert "Merkel" in body and 'class="entity"' in body
    assert any(c.value.startswith("Found:") for c in app.caption)


def test_typed_html_is_shown_as_text():
    app = run_page("<script>alert(1)</script> <b>Bob</b> met Alice")
    body = highlighted(app)
    assert "<script>" not in body and "&lt;script&gt;" in body


def test_empty_text_asks_for_a_sentence():
    app = run_page()
    app.text_input(key="text").input("").run()
    assert not app.exception
    assert app.info
