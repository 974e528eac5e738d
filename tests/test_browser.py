"""What only a browser shows: the real server, real page loads, no exception boxes, HTML shown as text."""
from pathlib import Path

import pytest
from playwright.sync_api import expect

from rnn import ui
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
    # the sidebar mounts on its own after the main block: wait for it rather than count at once
    expect(menu).to_have_count(len(ui.menu()), timeout=15_000)  # home, the four tasks, the explore pages
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
        expect(box).to_have_value(payload)


def test_hidden_state_animation_plays_and_steps(app_url, page):
    page.goto(f"{app_url}/Hidden_State?model=Entities&text=Bill+Clinton+visited+Moscow")
    wait_for_app(page)
    chart = page.locator(".js-plotly-plot").first
    chart.wait_for()
    page.get_by_text("▶ Play").first.click()
    # After playing through four words, the Plotly slider has moved on to the last word.
    page.wait_for_function(
        "() => { const p = document.querySelector('.js-plotly-plot'); return p && p.layout.sliders[0].active === 3; }",
        timeout=15_000)
    # The motion-free step control: switch to step-by-step, then move the slider with the keyboard.
    page.get_by_text("Step by step").first.click()
    page.wait_for_url("**view=Step+by+step**")
    wait_for_app(page)
    handle = page.locator('[data-testid="stSlider"] input[type="range"]').first
    handle.focus()
    page.keyboard.press("ArrowRight")
    page.wait_for_url("**step=2**")
    wait_for_app(page)
    page.get_by_text("the network reads “Clinton”").first.wait_for()
    assert_no_exception(page)


def test_a_link_restores_the_exact_view(app_url, page):
    page.goto(f"{app_url}/Hidden_State?model=Autocomplete&text=we+are+late&view=Step+by+step&step=2&present=true")
    wait_for_app(page)
    # web-first assertions: the box gets its value from the URL a moment after the run ends on a busy machine
    expect(page.locator('[data-testid="stTextInput"] input').first).to_have_value("we are late", timeout=15_000)
    page.get_by_text("the network reads “are”").first.wait_for()
    # presenter mode hides Streamlit's header
    assert page.locator('[data-testid="stHeader"]').evaluate("e => getComputedStyle(e).display") == "none"
    page.goto(f"{app_url}/Review_Stars?text=not+good%2C+really+bad")
    wait_for_app(page)
    expect(page.locator('[data-testid="stTextInput"] input, [data-testid="stTextArea"] textarea').first).to_have_value(
        "not good, really bad", timeout=15_000)
    assert_no_exception(page)


def sidebar_link(page, name: str) -> None:
    page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]').filter(has_text=name).click()
    wait_for_app(page)


def presenter_toggle(page):
    return page.locator('[data-testid="stSidebar"] [data-testid="stCheckbox"]').first


def test_presenter_mode_from_the_link_survives_the_menu_and_turning_it_off_sticks(app_url, page):
    page.goto(f"{app_url}/?present=true")
    wait_for_app(page)
    sidebar_link(page, "Review stars")  # the first click used to turn it off
    assert presenter_toggle(page).locator("input").is_checked()
    presenter_toggle(page).click()
    page.wait_for_timeout(1000)
    wait_for_app(page)
    assert not presenter_toggle(page).locator("input").is_checked()
    sidebar_link(page, "Entities")
    assert not presenter_toggle(page).locator("input").is_checked()
    assert_no_exception(page)


def test_each_page_keeps_its_own_sentence(app_url, page):
    page.goto(f"{app_url}/Review_Stars?text=not+good%2C+really+bad")
    wait_for_app(page)
    box = page.locator('[data-testid="stMain"] input[type="text"]').first
    expect(box).to_have_value("not good, really bad", timeout=15_000)
    sidebar_link(page, "Entities")  # the review used to follow to every page
    expect(page.locator('[data-testid="stMain"] input[type="text"]').first).to_have_value("Dhaval loves baby yoda",
                                                                                           timeout=15_000)
    sidebar_link(page, "Review stars")
    expect(page.locator('[data-testid="stMain"] input[type="text"]').first).to_have_value("not good, really bad",
                                                                                           timeout=15_000)
    assert_no_exception(page)


def test_presenter_mode_shows_every_menu_name_whole(app_url, page):
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"{app_url}/?present=true")
    wait_for_app(page)
    menu = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"]')
    expect(menu).to_have_count(len(ui.menu()), timeout=15_000)
    # at presenter size "Memory over distance" was cut to "Memory over dist…": no part of a link may overflow its box
    cut = menu.evaluate_all("""links => links.flatMap(link => [...link.querySelectorAll(
            'span:has(> [data-testid="stMarkdownContainer"]), [data-testid="stMarkdownContainer"] *')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => link.innerText))""")
    assert cut == []


def test_the_hidden_state_csv_is_made_when_downloaded(app_url, page):
    """The page hands Streamlit a function, not the CSV: a click must still bring the whole table."""
    page.goto(f"{app_url}/Hidden_State?model=Entities&text=Bill+Clinton+visited+Moscow")
    wait_for_app(page)
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name="Hidden states and answers as CSV").click()
    assert download.value.suggested_filename == "hidden_states_entities.csv"
    rows = Path(download.value.path()).read_text().splitlines()
    assert rows[0].startswith("step,word,known,") and [row.split(",")[1] for row in rows[1:]] == ["Bill", "Clinton", "visited", "Moscow"]
