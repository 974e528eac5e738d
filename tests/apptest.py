"""Shared AppTest helpers for the page tests: run a page on a query string, skip when its model is untrained."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from rnn.checkpoint import bundle_dir
from rnn.registry import rebuild_command
from tests.serve import ROOT


def needs_bundle(task: str) -> pytest.MarkDecorator:
    """Skip (with the command that builds it) when assets/<task>/model.pt is missing."""
    return pytest.mark.skipif(not (bundle_dir(task) / "model.pt").is_file(),
                              reason=f"assets/{task}/model.pt is missing: train it with `{rebuild_command(task)}`")


def run_page(script: str, query_text: str | None = None, timeout: float = 120, **params: str) -> AppTest:
    """Run pages/<script> once, with ?text=query_text and any other query values; fail on an exception."""
    app = AppTest.from_file(str(ROOT / "pages" / script), default_timeout=timeout)
    if query_text is not None:
        app.query_params["text"] = query_text
    app.query_params.update(params)
    app.run()
    assert not app.exception, app.exception
    return app
