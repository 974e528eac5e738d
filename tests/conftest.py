"""Settings for the whole test suite."""
import pytest

from rnn import viz


@pytest.fixture(autouse=True)
def validated_figures(monkeypatch):
    """Every figure a test builds, directly or through a page it runs, is checked by Plotly (the app skips it)."""
    monkeypatch.setattr(viz, "VALIDATE", True)
