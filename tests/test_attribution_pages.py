"""The word-attribution view on each page: off until asked, then the shaded words and a narration that says what
the shipped model computes on the page's own sentence."""
import pytest

from rnn import attribution, registry, ui
from rnn.registry import TASKS
from rnn.tasks import task_module
from rnn.tasks import autocomplete, entities, stars, translate
from tests.apptest import needs_bundle, run_page

STARS_DEFAULT = "The fabric is soft and the color is lovely, but it runs small. Not bad, I kept it."


def asked(script: str, text: str | None = None, **params):
    """The page with the attribution toggle switched on."""
    app = run_page(script, text, **params)
    assert not narrations(app), "computed before it was asked for"
    app.toggle(key="influence").set_value(True).run()
    assert not app.exception, app.exception
    return app


def narrations(app) -> list[str]:
    return [i.value for i in app.info if "changed it most" in i.value or "No single word" in i.value]


def expected(found: attribution.Attribution) -> str:
    return ui.plain(attribution.narrate(found))


@needs_bundle("stars")
@pytest.mark.parametrize("text", [STARS_DEFAULT, "Not bad, really good."])
def test_review_stars_narrates_what_the_model_computes(text):
    app = asked("4_Review_Stars.py", text)
    model = stars.load()
    assert narrations(app) == [expected(attribution.attribute("stars", model, stars.predict(model, text)))]
    assert any(c.value.startswith("Method: occlusion") for c in app.caption)


@needs_bundle("stars")
def test_after_not_bad_pushes_the_stars_up_as_the_review_stars_page_says():
    model = stars.load()
    found = attribution.attribute("stars", model, stars.predict(model, STARS_DEFAULT))
    scores = dict(zip(found.tokens, found.scores))
    assert "Not bad" in STARS_DEFAULT and scores["bad"] > 0.1 and scores["Not"] > 0.1


@needs_bundle("entities")
def test_entities_explains_the_tag_of_the_word_the_student_picks():
    text = "Bill Clinton met Boris Yeltsin in Moscow on Tuesday"
    app = asked("3_Entities.py", text)
    app.select_slider[0].set_value(6).run()  # "Moscow"
    assert not app.exception, app.exception
    model = entities.load()
    found = attribution.attribute("entities", model, entities.predict(model, text), 6)
    assert narrations(app) == [expected(found)]
    assert "“Moscow” is a place" in found.measure


@needs_bundle("translate")
def test_translate_shows_attribution_beside_attention_for_the_french_word_picked():
    text = "My grandmother lives in a small village."
    app = asked("2_Translate.py", text, tab="Attention")  # the view sits in the Attention tab
    picker = next(s for s in app.select_slider if s.label == "French word to explain")
    picker.set_value(1).run()
    assert not app.exception, app.exception
    model = translate.load()
    result = translate.predict(model, text)
    found = attribution.attribute("translate", model, result, 1)
    assert narrations(app) == [expected(found)]
    assert any(m.value.startswith("**Attention** while writing it") for m in app.markdown)
    weights = result.attention[1, : len(found.tokens)]
    assert ui.plain(attribution.attention_versus_attribution(found, weights)) in [c.value for c in app.caption]


@needs_bundle("autocomplete")
def test_autocomplete_explains_the_top_next_word_guess():
    text = "I would like to "
    app = asked("1_Autocomplete.py", text)
    model = autocomplete.load()
    result = autocomplete.predict(model, text)
    found = attribution.attribute("autocomplete", model, result)
    assert narrations(app) == [expected(found)]
    assert f"“{result.written(next(iter(result.next_words)))}”" in found.measure  # the top bar's word


@pytest.mark.parametrize("task", [pytest.param(t.name, marks=needs_bundle(t.name)) for t in TASKS])
def test_hidden_state_page_explains_whichever_model_is_chosen(task):
    entry = registry.task(task)
    app = asked("5_Hidden_State.py", None, model=entry.hidden_state_label)
    module = task_module(task)
    model = module.load()
    result = module.predict(model, entry.demo)
    # the picker starts on the first name (entities) or the first French word (translate)
    pick = (result.entities[0].first if result.entities else 0) if task == "entities" else 0
    assert narrations(app) == [expected(attribution.attribute(task, model, result, pick))]


@needs_bundle("entities")
def test_the_word_the_caption_quotes_shows_as_typed():
    app = asked("3_Entities.py", "U.S. troops entered Moscow")  # the first name: "U.S.", dots and all
    assert any("The framed word, “U\\.S\\.”," in c.value for c in app.caption if c.value.startswith("Method:"))
