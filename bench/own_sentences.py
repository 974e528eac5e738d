"""Write the Your sentences benchmark CSV: 800 binary movie-review sentences from the SST-5 dev split (label 2
dropped, 0-1 negative, 3-4 positive, 800 taken with a fixed seed), then train on it with the page's engine:

    python bench/own_sentences.py /tmp/sst_binary_800.csv
    python -m rnn.train own /tmp/sst_binary_800.csv --seconds 60 --out /tmp/own_sst
"""
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rnn.data.sst import SST5_DIR, read_trees  # noqa: E402
from rnn.own.data import to_csv  # noqa: E402

SEED, COUNT = 0, 800


def main(out: str) -> None:
    trees = [t for t in read_trees(SST5_DIR / "dev.txt") if t.label != 2]
    random.Random(SEED).shuffle(trees)
    rows = [(" ".join(t.words), "positive" if t.label >= 3 else "negative") for t in trees[:COUNT]]
    Path(out).write_text(to_csv(rows), encoding="utf-8")
    print(f"{len(rows)} sentences written to {out}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/sst_binary_800.csv")
