"""python -m rnn.train own FILE.csv --seconds S --out DIR: the Your sentences page's training from the command line.
Trains both networks on FILE (80/20 split, fixed seed), saves the bundle to DIR and prints, as its last line, one
JSON object with both networks' held-out accuracy, the majority guess's, the split's sizes, the labels and the seconds."""
from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path

from rnn.own.bundle import save_own
from rnn.own.data import CsvProblem, decode, parse_csv
from rnn.own.engine import DEFAULT_EPOCHS, DEFAULT_SECONDS, MAX_SECONDS, prepare
from rnn.own.model import FEED_FORWARD_NAME, RNN_NAME


def train_own_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m rnn.train own", description=__doc__.split("\n")[0])
    parser.add_argument("file", type=Path, help="a CSV with a header row text,label")
    parser.add_argument("--seconds", type=float, default=DEFAULT_SECONDS,
                        help=f"time budget of one core for both networks (at most {MAX_SECONDS:.0f})")
    parser.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="most epochs per network (small data gets more)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the bundle")
    args = parser.parse_args(argv)
    try:
        data = parse_csv(decode(args.file.read_bytes()))
    except (CsvProblem, OSError) as err:
        parser.exit(2, f"{args.file}: {err}\n")
    training = prepare(data)
    training.command = "python -m rnn.train own " + shlex.join(argv)
    training.run(seconds=args.seconds, epochs=args.epochs,
                 on_epoch=lambda name, row: print(f"{name} epoch {row['epoch']}: train loss {row['train_loss']:.4f}, "
                                                  f"held-out accuracy {row['valid_accuracy']:.3f}", flush=True))
    model = training.result(args.file.name, "as its owner's")
    save_own(args.out, model)
    report = {**{k: round(v, 4) for k, v in training.scores().items()}, "n_train": len(data.train),
              "n_valid": len(data.valid), "labels": list(data.labels), "seconds": training.seconds,
              "epochs": {RNN_NAME: len(training.history[RNN_NAME]), FEED_FORWARD_NAME: len(training.history[FEED_FORWARD_NAME])},
              "out_of_time": training.out_of_time}
    print(json.dumps(report))
    return 0
