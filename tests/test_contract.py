"""Every shipped task model keeps the task contract, and its predict() says the same things the same way."""
import pytest

from rnn.contract import TaskModel
from rnn.registry import TASKS
from rnn.tasks import task_module
from rnn.trace import TaskResult
from tests.apptest import needs_bundle


@pytest.mark.parametrize("name", [pytest.param(t.name, marks=needs_bundle(t.name)) for t in TASKS])
def test_a_task_model_keeps_the_contract_and_says_when_it_cut_the_text(name):
    module = task_module(name)
    model = module.load()
    assert isinstance(model, TaskModel) and model.networks >= 1 and model.recurrent_layers()
    short = module.predict(model, "Paris is lovely in the spring")
    assert isinstance(short, TaskResult) and short.text == "Paris is lovely in the spring" and not short.truncated
    assert len(short.trace.ids) == len(short.trace.tokens)
    long = module.predict(model, "word " * 250)
    assert long.truncated and len(long.trace.tokens) <= 200
    empty = module.predict(model, "")
    assert isinstance(empty, TaskResult) and not empty.trace.tokens and not empty.truncated
