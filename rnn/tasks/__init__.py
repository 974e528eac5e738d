"""The task API the pages call. Each module here offers load() -> model and predict(model, text) -> result
(with a .trace), plus the train/evaluate CLIs that rnn.train and rnn.evaluate dispatch to; rnn.registry lists them."""
from __future__ import annotations

import importlib
from types import ModuleType

from rnn.registry import task


def task_module(name: str) -> ModuleType:
    """The module of a task (its load() and predict()), by the task's name in rnn.registry."""
    return importlib.import_module(task(name).module)
