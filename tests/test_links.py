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
                                      ("5_Hidden_State.py", "step"), ("6_Watch_It_Learn.py", "epochs")])
def test_hostile_query_values_fall_back(page, key, value):
    run(page, {key: value})
