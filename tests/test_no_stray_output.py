"""Regression: a bare expression in a page (`st.warning(x) if c else st.caption(x)`) is written out by Streamlit's
"magic" as the docs of Streamlit's element builder, a long table of methods on the page. No page may show one."""
import pytest

from tests.apptest import needs_bundle, run_page

PAGES = [pytest.param("1_Autocomplete.py", marks=needs_bundle("autocomplete")),
         pytest.param("2_Translate.py", marks=needs_bundle("translate")),
         pytest.param("3_Entities.py", marks=needs_bundle("entities")),
         pytest.param("4_Review_Stars.py", marks=needs_bundle("stars")),
         pytest.param("5_Hidden_State.py", marks=needs_bundle("stars")),
         "6_Watch_It_Learn.py"]


@pytest.mark.parametrize("script", PAGES)
def test_regression_no_page_shows_streamlits_own_docs(script):
    assert not run_page(script).get("help")
