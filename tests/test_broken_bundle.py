"""A missing or broken model breaks only its own page: that page says how to rebuild it, the others keep working."""
from __future__ import annotations

import shutil

import pytest
import streamlit as st

import rnn.checkpoint
from rnn.checkpoint import bundle_dir
from rnn.registry import TASKS, rebuild_command
from tests.apptest import needs_bundle, run_page

PAGES = {"stars": "4_Review_Stars.py", "entities": "3_Entities.py"}


@pytest.fixture
def assets(tmp_path, monkeypatch):
    """A copy of assets/ (linked, not copied) whose stars and entities bundles the test may break."""
    for task in (t.name for t in TASKS):
        if bundle_dir(task).is_dir():
            (tmp_path / task).symlink_to(bundle_dir(task), target_is_directory=True)
    monkeypatch.setattr(rnn.checkpoint, "ASSETS", tmp_path)
    st.cache_resource.clear()  # models loaded by earlier tests must not hide the broken bundle
    yield tmp_path
    st.cache_resource.clear()  # nor may the broken one stay for later tests


def break_bundle(assets, task: str, how: str) -> None:
    real = bundle_dir(task).resolve()
    (assets / task).unlink()
    if how == "missing":
        return
    shutil.copytree(real, assets / task)
    weights = assets / task / "model.pt"
    if how == "truncated":
        weights.write_bytes(weights.read_bytes()[:1000])
    else:  # wrong-shaped: another task's weights under this task's config
        other = "entities" if task == "stars" else "stars"
        shutil.copy(bundle_dir(other).resolve() / "model.pt", weights)


@needs_bundle("stars")
@needs_bundle("entities")
@pytest.mark.parametrize("how", ["missing", "truncated", "wrong-shaped"])
@pytest.mark.parametrize("broken", ["stars", "entities"])
def test_a_broken_bundle_breaks_only_its_own_page(assets, broken, how):
    break_bundle(assets, broken, how)
    page = run_page(PAGES[broken])
    errors = " ".join(e.value for e in page.error)
    assert f"The {broken} model is not available" in errors
    assert any(rebuild_command(broken) in c.value for c in page.code), "the page names the command that rebuilds it"

    (healthy,) = set(PAGES) - {broken}
    other = run_page(PAGES[healthy])
    assert not any("not available" in e.value for e in other.error)
