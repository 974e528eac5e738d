"""The shared sentence box and example pills (rnn.ui) under AppTest, on the shipped pages."""
from streamlit.testing.v1 import AppTest

from rnn.ui import MAX_CHARS
from tests.apptest import needs_bundle, run_page
from tests.serve import ROOT


@needs_bundle("autocomplete")
def test_autocomplete_commits_every_key_not_after_a_pause():
    box = run_page("1_Autocomplete.py").text_input(key="text")
    assert box.proto.live_debounce_ms == 0  # live=True waited 250 ms: no suggestion while a student kept typing


@needs_bundle("stars")
def test_a_paste_longer_than_the_page_reads_is_cut_with_a_warning_not_dropped():
    app = run_page("4_Review_Stars.py")
    app.text_input(key="text").input("lovely dress " * 120).run()  # 1,560 characters
    assert not app.exception
    assert any("That text is long" in w.value and str(MAX_CHARS) in w.value for w in app.warning)
    assert app.metric  # and it is still rated


@needs_bundle("stars")
def test_an_example_pill_goes_out_once_the_text_is_edited():
    app = AppTest.from_file(str(ROOT / "pages" / "4_Review_Stars.py"), default_timeout=60).run()
    pills = app.button_group[0]
    pills.select("Love it").run()
    assert app.button_group[0].value == "Love it" and app.text_input(key="text").value.startswith("I love this dress")
    app.text_input(key="text").input("I love this dress, but it runs small.").run()
    assert not app.exception and app.button_group[0].value is None
