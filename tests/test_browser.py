"""What only a browser shows: the real server, real page loads, no exception boxes, HTML shown as text."""
from pathlib import Path

import pytest

from tests.serve import CHROMIUM, chromium, streamlit_server, wait_for_app

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (apt-get install -y chromium)"),
]


@pytest.fixture(scope="module")
def app_url():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.dialogs = dialogs
    yield page
    context.close()


def assert_no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not page.dialogs, f"a dialog fired: {page.dialogs}"


def test_home_page_has_title_and_links(app_url, page):
    page.goto(app_url)
    wait_for_app(page)
    assert page.title().endswith("RNN Playground")
    assert page.get_by_role("heading", name="RNN Playground").count() >= 1
    assert page.get_by_text("Why order matters in language").is_visible()
    assert_no_exception(page)
    menu = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')
    assert menu.count() == 7  # home, four task pages, hidden state, watch it learn
    menu.filter(has_text="Hidden state").click()
    wait_for_app(page)
    assert page.url.endswith("/Hidden_State")
    assert_no_exception(page)


PAGES = ["Autocomplete", "Translate", "Entities", "Review_Stars", "Hidden_State", "Watch_It_Learn"]
PAYLOADS = ['<script>alert("xss")</script> hello', '<img src=x onerror="alert(1)"> Paris', "**bold** <b>tag</b> [x](javascript:alert(1))"]


@pytest.mark.parametrize("path", PAGES)
def test_page_opens_without_an_exception(app_url, page, path):
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    assert_no_exception(page)


@pytest.mark.parametrize("path", [p for p in PAGES if p != "Watch_It_Learn"])
def test_typed_html_shows_as_text_and_never_runs(app_url, page, path):
    page.goto(f"{app_url}/{path}")
    wait_for_app(page)
    box = page.locator('[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea').first
    for payload in PAYLOADS:
        box.fill(payload)
        box.press("Control+Enter" if box.evaluate("e => e.tagName") == "TEXTAREA" else "Enter")
        page.wait_for_timeout(800)
        wait_for_app(page)
        assert_no_exception(page)
        assert page.locator("img[src='x']").count() == 0, "typed HTML became an element"
        assert page.locator("script:has-text('xss')").count() == 0
        assert box.input_value() == payload
