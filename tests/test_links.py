"""Links restore a page's options, and hostile query values fall back to defaults without an error."""
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest import run_page

HOSTILE = ["<script>alert(1)</script>", "-1", "1e309", "", "ñ" * 3000, "[]", "None"]


def run(page: str, params: dict) -> AppTest:
    return run_page(page, **params)


def test_translate_beam_width_comes_from_the_link():
    assert run("2_Translate.py", {"beam": "2", "text": "I like tea."}).slider(key="beam").value == 2


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("page,key", [("1_Autocomplete.py", "temperature"), ("2_Translate.py", "beam"),
                                      ("3_Entities.py", "kinds"), ("4_Review_Stars.py", "text"),
                                      ("5_Hidden_State.py", "step"), ("6_Watch_It_Learn.py", "epochs"),
                                      ("2_Translate.py", "tab"), ("5_Hidden_State.py", "tab")])
def test_hostile_query_values_fall_back(page, key, value):
    run(page, {key: value})


TABS = {"2_Translate.py": ["① Encoder reads", "② Decoder writes", "Attention", "Beam", "Beam tree"],
        "5_Hidden_State.py": ["Words", "Feed-forward network", "Memory", "Path", "Loop"]}


@pytest.mark.parametrize("page,tab", [(page, tab) for page, tabs in TABS.items() for tab in tabs])
def test_every_tab_opens_from_the_link_on_hostile_text(page, tab):
    """Only the open tab draws, so each one is opened here on a sentence that tries to be HTML."""
    app = run_page(page, "<script>alert(1)</script> <b>Bob</b> met 😀 in Paris", tab=tab)
    assert [t.label for t in app.tabs] == TABS[page]
    assert not app.error
