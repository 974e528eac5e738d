"""python -m rnn.evaluate TASK FILE [--bundle DIR]: score a model on a file; the last stdout line is JSON."""
from __future__ import annotations

import json
import sys

from rnn.registry import evaluators
from rnn.train import dispatch

EVALUATORS = evaluators()


def print_result(result: dict) -> None:
    """The CLI contract: a result is printed as one JSON object on the last line of stdout."""
    print(json.dumps(result, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    sys.exit(dispatch(EVALUATORS, sys.argv[1:], "evaluate"))
