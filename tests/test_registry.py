"""The task table: every task has its page, module functions and CLIs; the lists built from it agree."""
import importlib

import pytest

from rnn import registry
from tests.serve import ROOT


@pytest.mark.parametrize("entry", registry.TASKS, ids=lambda t: t.name)
def test_every_task_has_its_page_and_functions(entry):
    assert (ROOT / entry.page).is_file()
    module = importlib.import_module(entry.module)
    for function in ("load", "predict", entry.trainer, entry.evaluator):
        assert callable(getattr(module, function)), function
    assert entry.demo and all(entry.memory_pair)


def test_the_clis_list_every_task_and_the_benchmarks():
    from rnn.evaluate import EVALUATORS
    from rnn.train import TRAINERS

    names = {t.name for t in registry.TASKS}
    assert names | {"sst5", "ptb", "own"} == set(TRAINERS)
    assert names | {"sst5", "ptb", "stars-contrast", "attribution"} == set(EVALUATORS)
    for module, function in [*TRAINERS.values(), *EVALUATORS.values()]:
        assert callable(getattr(importlib.import_module(module), function))


def test_the_hidden_state_page_lists_every_task_once_review_stars_first():
    order = [t.name for t in registry.hidden_state_tasks()]
    assert order[0] == "stars" and sorted(order) == sorted(t.name for t in registry.TASKS)


def test_rebuild_commands_and_unknown_tasks():
    assert registry.rebuild_command("entities") == "python -m rnn.train entities"
    assert registry.rebuild_command("ptb") == "python -m rnn.train ptb"
    with pytest.raises(KeyError, match="the tasks are"):
        registry.task("weather")
