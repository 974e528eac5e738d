"""Figures: the app builds them without Plotly's property checks, the test suite with them; a model card's views are built once."""
import base64
import json

import numpy as np
import pytest

import plotly.graph_objects as go
import plotly.io

from rnn import viz, viz_distance


def test_the_suite_checks_every_figure():
    """tests/conftest.py turns the checks on, so a misspelt property fails the test that draws it."""
    with pytest.raises(ValueError):
        viz.figure([dict(type="bar", x=[1], colour="red")], "bad", 100)


def test_the_app_builds_figures_unchecked_with_the_same_content(monkeypatch):
    checked = viz.prob_bars({"good": 0.7, "bad": 0.3}, "Stars")
    monkeypatch.setattr(viz, "VALIDATE", False)
    unchecked = viz.prob_bars({"good": 0.7, "bad": 0.3}, "Stars")
    assert isinstance(unchecked, viz.DrawnFigure) and isinstance(unchecked, go.Figure)  # what st.plotly_chart takes
    assert unchecked.to_dict() == checked.to_dict()
    assert unchecked.to_dict()["layout"]["xaxis"]["fixedrange"] is True and unchecked.to_dict()["data"][0]["y"] == ["good", "bad"]


def test_a_model_cards_table_and_curve_are_built_once_per_card(monkeypatch):
    from rnn import ui

    built = []
    monkeypatch.setattr(ui, "card_table", lambda card: built.append(card["title"]) or card["title"])
    ui._card_views.cache_clear()
    card = {"title": "A", "curve": [{"epoch": 1, "train_loss": 1.0}], "headline": {"key": "accuracy"}}
    first = ui._card_views(json.dumps(card, sort_keys=True))
    again = ui._card_views(json.dumps(card, sort_keys=True))
    other = ui._card_views(json.dumps({**card, "title": "B"}, sort_keys=True))  # a rebuilt bundle: its own
    assert built == ["A", "B"] and again is first and other[0] == "B"
    assert list(first[1].data[0].y) == [1.0]
    ui._card_views.cache_clear()


# Every chart a student can open: each page as it opens, and each tab of the pages whose tabs draw only when open.
VIEWS = [("1_Autocomplete.py", {}), ("3_Entities.py", {}), ("4_Review_Stars.py", {})]
VIEWS += [("2_Translate.py", {"tab": tab}) for tab in ("① Encoder reads", "② Decoder writes", "Attention", "Beam tree")]
VIEWS += [("5_Hidden_State.py", {"tab": tab, "model": model}) for tab in ("Words", "Feed-forward network", "Memory", "Path",
          "Loop") for model in ("Review stars",)] + [("5_Hidden_State.py", {"model": "Translate"})]


@pytest.mark.parametrize("page,params", VIEWS, ids=[f"{p}-{'-'.join(v.values())}" for p, v in VIEWS])
def test_every_chart_the_app_draws_unchecked_is_the_checked_figure(monkeypatch, page, params):
    """The app's plain-dict figures (DrawnFigure) send Streamlit exactly what the checked go.Figure would."""
    from tests.apptest import run_page

    def charts(validate: bool) -> list[dict]:
        monkeypatch.setattr(viz, "VALIDATE", validate)
        app = run_page(page, **params)
        return [json.loads(chart.proto.spec) for chart in app.get("plotly_chart")]

    checked = charts(True)
    assert checked, "the view draws no chart"
    assert same_content(charts(False)) == same_content(checked)


def same_content(value):
    """A chart spec with its arrays as plain lists and its numbers at float32 precision: go.Figure sends numpy arrays
    as typed arrays (base64) and keeps float32 scalars short; the plain dict sends lists and doubles, which plotly.js
    draws the same."""
    if isinstance(value, dict) and {"dtype", "bdata"} <= set(value):
        array = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = [int(n) for n in str(value.get("shape", len(array))).split(",")]
        return same_content(array.reshape(shape).tolist())
    if isinstance(value, dict):
        return {key: same_content(item) for key, item in value.items()}
    if isinstance(value, list):
        return [same_content(item) for item in value]
    return float(np.float32(value)) if isinstance(value, float) else value


def _history(key: str) -> dict[str, list[dict]]:
    return {name: [{"epoch": e, key: 0.5 + 0.1 * e * (i + 1)} for e in range(1, 4)] for i, name in enumerate(["RNN", "Bag"])}


# The charts drawn while a network trains (Watch it learn, Your sentences, Memory over distance), and the model card's.
TRAINING_CHARTS = {
    "loss": lambda: viz.live_loss_chart(_history("train_loss")),
    "accuracy": lambda: viz.live_accuracy_chart(_history("valid_accuracy")),
    "watched": lambda: viz.live_watch_chart(_history("watched_positive")),
    "card curve": lambda: viz.training_curve([{"epoch": 1, "train_loss": 1.0, "valid_loss": 1.2}, {"epoch": 2, "train_loss": 0.8, "valid_loss": 1.0}]),
    "distance accuracy": lambda: viz_distance.accuracy_chart({"Simple RNN": {4: 1.0, 40: 0.5}}, [4, 40], 0.5),
    "gradient": lambda: viz_distance.gradient_chart({"Simple RNN": [1.0, 0.1, 0.01], "LSTM": [1.0, 0.9, 0.8]}),
}


@pytest.mark.parametrize("name", list(TRAINING_CHARTS))
def test_charts_drawn_while_training_are_the_checked_figures_too(monkeypatch, name):
    checked = json.loads(plotly.io.to_json(TRAINING_CHARTS[name]().to_dict(), validate=False))
    monkeypatch.setattr(viz, "VALIDATE", False)
    drawn = TRAINING_CHARTS[name]()
    assert isinstance(drawn, viz.DrawnFigure)
    assert same_content(json.loads(plotly.io.to_json(drawn.to_dict(), validate=False))) == same_content(checked)
