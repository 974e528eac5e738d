"""Figures: the app builds them without Plotly's property checks, the test suite with them; a model card's views are built once."""
import json

import pytest

from rnn import viz


def test_the_suite_checks_every_figure():
    """tests/conftest.py turns the checks on, so a misspelt property fails the test that draws it."""
    with pytest.raises(ValueError):
        viz.figure([dict(type="bar", x=[1], colour="red")], "bad", 100)


def test_the_app_builds_figures_unchecked_with_the_same_content(monkeypatch):
    checked = viz.prob_bars({"good": 0.7, "bad": 0.3}, "Stars")
    monkeypatch.setattr(viz, "VALIDATE", False)
    unchecked = viz.prob_bars({"good": 0.7, "bad": 0.3}, "Stars")
    assert unchecked.to_dict() == checked.to_dict()
    assert unchecked.layout.xaxis.fixedrange is True and list(unchecked.data[0].y) == ["good", "bad"]


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
