"""THE task table: every place that lists the tasks reads it (the menu, the home page's cards, the Hidden state
page, the "model missing" messages, python -m rnn.train / rnn.evaluate, the tests).

Adding a task: write rnn/tasks/<name>/ (or one module, while it is small) exporting load(), predict() and its CLIs,
a page in pages/, and one Task here.
Plain data only (no torch), so the home page and the CLIs' usage read it for free.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Task:
    name: str  # the bundle folder under assets/ and the TASK of python -m rnn.train / rnn.evaluate
    title: str
    icon: str
    page: str  # the page script, for st.page_link
    blurb: str  # one line in the video's terms (home page card)
    shape: str  # which of the four shapes of recurrent problem it is
    hidden_state_label: str  # its name on the Hidden state page's model picker
    demo: str  # the sentence the Hidden state page opens on for it
    memory_pair: tuple[str, str]  # two sentences that differ in one early word (the Memory tab)
    trainer: str = "train_cli"  # functions of rnn.tasks.<name>, taking argv
    evaluator: str = "evaluate_cli"

    @property
    def module(self) -> str:
        return f"rnn.tasks.{self.name}"

    @property
    def rebuild(self) -> str:
        """The command that rebuilds the shipped bundle (shown when it is missing or broken)."""
        return f"python -m rnn.train {self.name}"


# In the order of the video's story (the menu and the home page's cards).
TASKS = (
    Task("autocomplete", "Autocomplete", "⌨️", "pages/1_Autocomplete.py",
         "Suggests the next word while you type, like Gmail's Smart Compose.", "next-step generation",
         "Autocomplete", "I would like to buy a new",
         ("I am not going to the party tonight", "We are not going to the party tonight")),
    Task("translate", "Translate", "🌍", "pages/2_Translate.py",
         "An encoder reads the whole English sentence, then a decoder writes French.", "encoder → decoder",
         "Translation encoder", "My grandmother lives in a small village.",
         ("She is reading a book in the garden.", "He is reading a book in the garden.")),
    Task("entities", "Entities", "🏷️", "pages/3_Entities.py",
         "Finds names of people, organisations and places in the text.", "many-to-many, aligned",
         "Entities", "Bill Clinton met Boris Yeltsin in Moscow on Tuesday",
         ("Paris Hilton was seen in London yesterday", "Paris police were seen in London yesterday")),
    Task("stars", "Review stars", "⭐", "pages/4_Review_Stars.py",
         "Reads a product review and gives it 1 to 5 stars.", "many-to-one",
         "Review stars", "The fabric is not bad at all, I really love it",
         ("This dress is not good and the fit is odd", "This dress is very good and the fit is odd")),
)
# The Hidden state page's picker starts with these (Review stars first: its readout is the easiest to read).
HIDDEN_STATE_FIRST = ("stars", "entities", "autocomplete", "translate")

# CLIs that belong to no page: the benchmarks (SST-5, Penn Treebank), the contrast-pair evaluation and the
# attribution faithfulness check.
OTHER_TRAINERS = {"sst5": ("rnn.tasks.stars.sst5", "train_sst5_cli"), "ptb": ("rnn.tasks.autocomplete.ptb", "train_ptb_cli"),
                  "own": ("rnn.own.cli", "train_own_cli")}  # trains on a CSV of yours (the Your sentences page's engine)
OTHER_EVALUATORS = {"stars-contrast": ("rnn.tasks.stars.evaluate", "evaluate_contrast_cli"),
                    "attribution": ("rnn.attribution.faithfulness", "faithfulness_cli"),
                    "sst5": ("rnn.tasks.stars.sst5", "evaluate_sst5_cli"),
                    "ptb": ("rnn.tasks.autocomplete.ptb", "evaluate_ptb_cli")}


def task(name: str) -> Task:
    for entry in TASKS:
        if entry.name == name:
            return entry
    raise KeyError(f"no task {name!r}; the tasks are {', '.join(t.name for t in TASKS)}")


def hidden_state_tasks() -> list[Task]:
    """Every task, in the Hidden state page's order: HIDDEN_STATE_FIRST, then any other in menu order."""
    return sorted(TASKS, key=lambda t: HIDDEN_STATE_FIRST.index(t.name) if t.name in HIDDEN_STATE_FIRST else len(TASKS))


def rebuild_command(name: str) -> str:
    """What rebuilds the bundle of a task or benchmark."""
    return task(name).rebuild if name in {t.name for t in TASKS} else f"python -m rnn.train {name}"


def trainers() -> dict[str, tuple[str, str]]:
    """python -m rnn.train TASK: TASK -> (module, function taking argv)."""
    return {t.name: (t.module, t.trainer) for t in TASKS} | OTHER_TRAINERS


def evaluators() -> dict[str, tuple[str, str]]:
    """python -m rnn.evaluate TASK: TASK -> (module, function taking argv)."""
    return {t.name: (t.module, t.evaluator) for t in TASKS} | OTHER_EVALUATORS
