"""The home page under AppTest: it runs, names the four applications, and shows each model's score or an honest gap."""
from streamlit.testing.v1 import AppTest

from rnn.checkpoint import bundle_dir, read_card
from rnn.registry import TASKS
from rnn.ui import explore_pages, headline_text
from tests.serve import ROOT


def run_home() -> AppTest:
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.run()
    assert not app.exception, app.exception
    return app


def test_home_names_the_four_applications():
    app = run_home()
    markdown = " ".join(m.value for m in app.markdown)
    for task in TASKS:
        assert task.title in markdown


def test_home_offers_every_explore_page():
    app = run_home()
    markdown = " ".join(m.value for m in app.markdown)
    assert "More to explore" in [h.value for h in app.header]
    for page in explore_pages():
        assert f"{page.label}.** {page.blurb}" in markdown


def test_home_shows_each_models_measured_score_or_not_trained():
    app = run_home()
    captions = " ".join(c.value for c in app.caption)
    for task in TASKS:
        assert headline_text(read_card(bundle_dir(task.name))) in captions


def test_headline_text_formats_and_admits_gaps():
    assert headline_text(None) == "not trained yet"
    card = {"headline": {"key": "accuracy", "label": "validation accuracy", "value": 0.6789, "format": "pct"}}
    assert headline_text(card) == "67.9% validation accuracy"
    assert headline_text({"headline": {"label": "BLEU", "value": 41.234, "format": "num"}}) == "41.23 BLEU"


def test_presenter_mode_comes_from_the_url():
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60)
    app.query_params["present"] = "true"
    app.run()
    assert not app.exception
    assert app.toggle(key="present").value is True


def test_server_config_keeps_classroom_reruns_cheap():
    """Both settings cost more than a page itself under load: keep them off."""
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["fileWatcherType"] == "none"
    assert config["runner"]["postScriptGC"] is False
    assert config["browser"]["gatherUsageStats"] is False
