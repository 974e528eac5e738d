"""Figures: the app builds them without Plotly's property checks, the test suite with them."""
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
