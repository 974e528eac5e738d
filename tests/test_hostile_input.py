"""Hostile input to every task's predict: any Unicode, empty, whitespace, control characters, 10,000
characters, HTML. The answer is a result (possibly empty) or a ValueError with a message; never a crash."""
import importlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rnn.checkpoint import bundle_dir
from rnn.registry import TASKS

FIXED = ["", " ", "\n\t ", "\x00\x01\x1b[31m", "👍🏽🔥", "<script>alert(1)</script>", '<img src=x onerror="alert(1)">',
         "**bold** [link](javascript:alert(1))", "a" * 10_000, "word " * 2_000, "zxqv qwpf blorft", "中文 العربية русский"]


def trained(task: str):
    if not (bundle_dir(task) / "model.pt").is_file():
        pytest.skip(f"the {task} bundle is not trained")
    module = importlib.import_module(f"rnn.tasks.{task}")
    return module, module.load()


def predict_safely(module, model, text: str):
    try:
        result = module.predict(model, text)
    except ValueError as err:
        assert str(err), "a ValueError must say what is wrong"
        return None
    assert len(result.trace.tokens) == len(result.trace.known) == result.trace.hidden.shape[0]
    return result


@pytest.fixture(scope="module", params=[t.name for t in TASKS])
def task_model(request):
    return trained(request.param)


@pytest.mark.parametrize("text", FIXED, ids=range(len(FIXED)))
def test_fixed_hostile_texts(task_model, text):
    module, model = task_model
    predict_safely(module, model, text)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=300))
def test_any_unicode_text(task_model, text):
    module, model = task_model
    predict_safely(module, model, text)
