"""python -m rnn.evaluate TASK FILE [--bundle DIR]: score a model on a file; the last stdout line is JSON."""
from __future__ import annotations

import json
import sys

from rnn.train import dispatch

EVALUATORS = {
    "stars": ("rnn.tasks.stars", "evaluate_cli"),
    "stars-contrast": ("rnn.tasks.stars", "evaluate_contrast_cli"),
    "sst5": ("rnn.tasks.stars", "evaluate_sst5_cli"),
    "entities": ("rnn.tasks.entities", "evaluate_cli"),
    "translate": ("rnn.tasks.translate", "evaluate_cli"),
    "autocomplete": ("rnn.tasks.autocomplete", "evaluate_cli"),
    "ptb": ("rnn.tasks.autocomplete", "evaluate_ptb_cli"),
}


def print_result(result: dict) -> None:
    """The CLI contract: a result is printed as one JSON object on the last line of stdout."""
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    sys.exit(dispatch(EVALUATORS, sys.argv[1:], "evaluate"))
