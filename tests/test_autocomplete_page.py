"""The Autocomplete page under AppTest, with the shipped model: typing, completing a word, accepting, letting it write."""
from streamlit.testing.v1 import AppTest

from tests.apptest import needs_bundle
from tests.apptest import run_page as run_apptest_page

pytestmark = needs_bundle("autocomplete")


def run_page(query_text: str | None = None) -> AppTest:
    return run_apptest_page("1_Autocomplete.py", query_text)


def grey_box(app: AppTest) -> str:
    return next(h.proto.body for h in app.get("html") if "color:#8A8F98" in h.proto.body)


def test_typing_shows_next_words_and_a_continuation():
    app = run_page()
    app.text_input(key="text").input("Could you please ").run()
    assert not app.exception, app.exception
    assert "Could you please " in grey_box(app)
    assert app.get("plotly_chart")  # the next-word bars
    assert any(s.value == "Model card" for s in app.subheader)


def test_the_model_card_says_where_the_model_was_trained():
    from rnn.checkpoint import bundle_dir, read_card

    trained_on = read_card(bundle_dir("autocomplete"))["trained_on"]
    (metric,) = [m for m in run_page().metric if m.label == "Training time"]
    assert metric.help == f"Trained on: {trained_on}."


def test_half_typed_word_offers_completions_and_one_click_accepts_it():
    app = run_page()
    app.text_input(key="text").input("I don't kn").run()
    labels = [b.label for b in app.button]
    assert any(label.startswith("know") for label in labels), labels
    next(b for b in app.button if b.label.startswith("know")).click().run()
    assert not app.exception, app.exception
    assert app.text_input(key="text").value == "I don't know "


def test_accepting_the_grey_text_extends_the_sentence():
    app = run_page()
    app.text_input(key="text").input("I am going to the ").run()
    app.button(key="accept").click().run()
    assert not app.exception, app.exception
    value = app.text_input(key="text").value
    assert value.startswith("I am going to the ") and len(value) > len("I am going to the ")


def test_let_it_write():
    app = run_page()
    app.button(key="write").click().run()
    assert not app.exception, app.exception
    assert len(app.get("html")) >= 2  # the written text is shown under the button


def test_hostile_and_empty_text():
    app = run_page("<script>alert(1)</script> 😀")
    assert "<script>" not in grey_box(app) and "&lt;script&gt;" in grey_box(app)
    app.text_input(key="text").input("").run()
    assert not app.exception
    assert app.info


def test_the_model_card_shows_how_each_teacher_was_built():
    def card_with_teachers():
        from rnn import ui

        ui.model_card({"task": "autocomplete", "metrics": {}, "command": "python -m rnn.train autocomplete --teacher A B",
                       "teachers": [{"model": "2 x 512 LSTM", "command": "python -m rnn.train autocomplete --hidden 512"},
                                    {"model": "1 x 512 LSTM", "command": "python -m rnn.train autocomplete --layers 1"}]})

    at = AppTest.from_function(card_with_teachers).run()
    assert not at.exception
    assert [c.value for c in at.code][1:] == ["python -m rnn.train autocomplete --hidden 512",
                                              "python -m rnn.train autocomplete --layers 1"]
    assert "Teacher 2" in " ".join(m.value for m in at.markdown)


def test_an_ensembles_card_shows_each_network_alone_beside_it():
    def card_with_members():
        from rnn import ui

        ui.model_card({"task": "autocomplete", "model": "ensemble of 2", "metrics": {"keystroke_savings": 0.58},
                       "members": [{"model": "2 x 512 LSTM", "metrics": {"keystroke_savings": 0.577}},
                                   {"model": "1 x 512 LSTM", "metrics": {"keystroke_savings": 0.575}}],
                       "baselines": {"Kneser-Ney trigram": {"keystroke_savings": 0.549}}})

    at = AppTest.from_function(card_with_members).run()
    assert not at.exception
    rows = list(at.table[0].value.index)
    assert rows == ["This RNN", "Network 1 alone (2 x 512 LSTM)", "Network 2 alone (1 x 512 LSTM)", "Kneser-Ney trigram"]


def test_the_page_says_when_several_networks_suggest_together():
    from rnn.tasks import autocomplete

    app = run_page()
    app.text_input(key="text").input("I would like to ").run()
    said = " ".join(c.value for c in app.caption)
    assert ("networks trained apart" in said) == (autocomplete.load().networks > 1)


def test_an_unlikely_completion_reads_below_one_percent_not_zero():
    app = run_page()
    app.text_input(key="text").input("I would like to go to the be").run()
    labels = [b.label for b in app.button if b.key and b.key.startswith("complete-")]
    assert labels and not any(label.endswith("(0%)") for label in labels), labels
    assert any(label.endswith("(<1%)") for label in labels), labels  # "best" and "beginning" are that unlikely here
