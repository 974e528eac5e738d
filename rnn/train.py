"""python -m rnn.train TASK [options]: train a model and write its bundle (and card) to assets/TASK.

Each task's module owns its options; `python -m rnn.train TASK --help` lists them.
"""
from __future__ import annotations

import importlib
import sys

from rnn.registry import trainers

TRAINERS = trainers()


def dispatch(table: dict[str, tuple[str, str]], argv: list[str], verb: str) -> int:
    """Run table[argv[0]] with the remaining arguments; print usage for an unknown task."""
    if not argv or argv[0] not in table:
        print(f"usage: python -m rnn.{verb} TASK [options]; TASK is one of: {', '.join(table)}", file=sys.stderr)
        return 2
    module_name, function_name = table[argv[0]]
    function = getattr(importlib.import_module(module_name), function_name)
    return function(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(dispatch(TRAINERS, sys.argv[1:], "train"))
