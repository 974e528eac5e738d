"""The Entities page under AppTest, with the shipped model: it tags the default, a typed sentence and hostile text."""
import pytest
from streamlit.testing.v1 import AppTest

from rnn.tasks import entities
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


def test_the_page_reports_f1_with_and_without_capitals():
    app = run_page()
    line = next(m.value for m in app.markdown if "With and without capitals" in m.value)
    assert "as written" in line and "lower-cased" in line


@pytest.mark.parametrize("text", ["Dhaval loves baby yoda", "dhaval loves baby yoda"])
def test_the_videos_example_finds_dhaval_as_a_person_in_either_case(text):
    result = entities.predict(entities.load(), text)
    assert result.tags[0] == "B-PER"


def test_names_typed_in_lower_case_are_still_found():
    result = entities.predict(entities.load(), "angela merkel flew to paris on monday.")
    assert [(e.text, e.label) for e in result.entities][:2] == [("angela merkel", "PER"), ("paris", "LOC")]
