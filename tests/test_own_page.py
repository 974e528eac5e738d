"""Your sentences page: paste, train, type a sentence; a bad CSV keeps what was typed; the model opens on the
Hidden state page of this session only."""
import pytest
from streamlit.testing.v1 import AppTest

from rnn import ui
from rnn.own.bundle import to_zip
from rnn.own.data import to_csv
from rnn.own.datasets import READY_MADE
from tests.serve import ROOT

PAGE = str(ROOT / "pages" / "8_Your_Sentences.py")
QUESTIONS = to_csv([(f"{'is the' if i % 2 else 'the'} {w} {'open' if i % 2 else 'is open'}", "question" if i % 2 else "statement")
                    for i, w in enumerate(["door", "shop", "bank", "gate", "park"] * 6)])


def fresh() -> AppTest:
    app = AppTest.from_file(PAGE, default_timeout=180)
    app.run()
    assert not app.exception
    return app


@pytest.fixture(scope="module")
def trained():
    """The page trained on pasted sentences."""
    app = fresh()
    app.text_area(key="own_csv").input(QUESTIONS).run()
    app.button[0].click().run()
    assert not app.exception
    return app


def test_it_opens_on_a_ready_made_dataset_ready_to_train():
    app = fresh()
    assert app.text_area(key="own_csv").value == READY_MADE["negation"].csv()
    assert "**400 sentences**, 2 labels" in app.markdown[1].value
    assert not app.button[0].disabled


def test_a_bad_csv_says_which_row_and_keeps_the_text():
    app = fresh()
    broken = QUESTIONS + "good, really good,question\n"
    app.text_area(key="own_csv").input(broken).run()
    assert "Row 32 has 3 values" in app.error[0].value
    assert app.text_area(key="own_csv").value == broken
    assert app.button[0].disabled


def test_paste_train_and_type(trained):
    assert trained.success[0].value.startswith("Done in")
    rows = trained.table[0].value
    assert list(rows["network"])[0] == "RNN (GRU)"
    trained.text_input(key="try").input("is the door open").run()
    assert [m.label for m in trained.metric] == ["RNN (GRU)", "Feed-forward"]
    assert trained.metric[0].value == "question"
    assert not trained.get("help")  # no bare expression went through Streamlit's magic


def test_the_trained_model_opens_on_the_hidden_state_page(trained):
    """As the page's link opens it (the browser test follows the link itself)."""
    hidden = AppTest.from_file(str(ROOT / "pages" / "5_Hidden_State.py"), default_timeout=120)
    hidden.session_state[ui.OWN_MODEL] = trained.session_state[ui.OWN_MODEL]
    hidden.query_params.update({"model": "Your sentences", "text": "is the shop open"})
    hidden.run()
    assert not hidden.exception
    assert hidden.segmented_control(key="model").value == "Your sentences"
    assert hidden.text_input(key="text").value == "is the shop open"
    narration = next(m.value for m in hidden.markdown if m.value.startswith("1. "))
    assert "Answer at this word\\: question" in narration.splitlines()[-1]  # the trained model's own answer


def test_another_session_sees_no_trained_model(trained):
    """Even when it opens the link the page gave the trainer: the picker falls back to a shipped model."""
    other = AppTest.from_file(str(ROOT / "pages" / "5_Hidden_State.py"), default_timeout=120)
    other.query_params.update({"model": "Your sentences", "text": "is the shop open"})
    other.run()
    assert not other.exception
    assert "Your sentences" not in other.segmented_control(key="model").options
    assert other.segmented_control(key="model").value == "Review stars"


def test_a_csv_upload_that_is_not_utf8_says_so_and_keeps_the_box():
    app = fresh()
    before = app.text_area(key="own_csv").value
    app.get("file_uploader")[0].set_value(("class.csv", "text,label\ncafé,yes\n".encode("latin-1"), "text/csv")).run()
    assert not app.exception
    assert ui.plain("not UTF-8 text") in app.error[0].value  # as the student reads it
    assert app.text_area(key="own_csv").value == before


def test_a_csv_upload_fills_the_box():
    app = fresh()
    app.get("file_uploader")[0].set_value(("class.csv", QUESTIONS.encode(), "text/csv")).run()
    assert app.text_area(key="own_csv").value == QUESTIONS
    assert "**30 sentences**" in app.markdown[1].value


def test_a_downloaded_bundle_uploads_into_a_new_session(trained):
    raw = to_zip(trained.session_state[ui.OWN_MODEL])
    app = fresh()
    app.get("file_uploader")[1].set_value(("model.zip", raw, "application/zip")).run()
    assert not app.exception
    app.text_input(key="try").input("is the gate open").run()
    assert app.metric[0].value == "question"


def test_a_bad_bundle_upload_says_why():
    app = fresh()
    app.get("file_uploader")[1].set_value(("model.zip", b"not a zip", "application/zip")).run()
    assert not app.exception
    assert "not a zip file" in app.error[0].value


def test_labels_and_sentences_with_markup_show_as_typed():
    app = fresh()
    rows = [(f"<script>alert({i})</script> **bold** {i}", "[click](javascript:alert(1))" if i % 2 else "*star*")
            for i in range(24)]
    app.text_area(key="own_csv").input(to_csv(rows)).run()
    assert not app.exception
    summary = app.markdown[1].value
    assert ui.plain("[click](javascript:alert(1))") in summary and ui.plain("*star*") in summary
