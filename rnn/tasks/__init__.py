"""The task API the pages call. Each module here offers load() -> model and predict(model, text) -> result
(with a .trace), plus the train/evaluate CLIs that rnn.train and rnn.evaluate dispatch to."""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class TaskInfo:
    name: str  # the bundle folder under assets/ and the rnn.train TASK
    title: str
    page: str  # the page script, for st.page_link
    icon: str
    blurb: str  # one line in the video's terms
    shape: str  # which of the four shapes of recurrent problem it is


TASKS = (
    TaskInfo("autocomplete", "Autocomplete", "pages/1_Autocomplete.py", "⌨️",
             "Suggests the next word while you type, like Gmail's Smart Compose.", "next-step generation"),
    TaskInfo("translate", "Translate", "pages/2_Translate.py", "🌍",
             "An encoder reads the whole English sentence, then a decoder writes French.", "encoder → decoder"),
    TaskInfo("entities", "Entities", "pages/3_Entities.py", "🏷️",
             "Finds names of people, organisations and places in the text.", "many-to-many, aligned"),
    TaskInfo("stars", "Review stars", "pages/4_Review_Stars.py", "⭐",
             "Reads a product review and gives it 1 to 5 stars.", "many-to-one"),
)


def task_module(name: str) -> ModuleType:
    """The module of a task (its load() and predict()), by the task's name: rnn.tasks.<name>."""
    if name not in {t.name for t in TASKS}:
        raise KeyError(f"no task {name!r}; the tasks are {', '.join(t.name for t in TASKS)}")
    return importlib.import_module(f"rnn.tasks.{name}")
