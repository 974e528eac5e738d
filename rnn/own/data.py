"""The teacher's CSV (`text,label`): read it, say every problem in it by row, and split it for training.

Every limit here is what keeps one class's training small enough for a shared classroom server.
"""
from __future__ import annotations

import csv
import io
import random
from collections import Counter
from dataclasses import dataclass

MIN_ROWS, MAX_ROWS = 20, 5000
MIN_LABELS, MAX_LABELS = 2, 10
# Each label needs a few sentences so the held-out fifth still has one of it.
MIN_PER_LABEL = 4
MAX_TEXT_CHARS = 300
MAX_LABEL_CHARS = 40
# The same cap as a CSV upload (the uploader's max_upload_size): 5,000 rows of about 200 characters.
MAX_CSV_BYTES = 1_000_000
# How many problems a message lists before it says "and N more".
SHOWN_PROBLEMS = 8
HELD_OUT_SHARE = 0.2
SPLIT_SEED = 0
COLUMNS = ("text", "label")


class CsvProblem(ValueError):
    """What is wrong with a CSV, in plain words: one line per problem, each naming its row."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        super().__init__("\n".join(shown + ([f"…and {more} more."] if more > 0 else [])))


@dataclass(frozen=True)
class Labelled:
    text: str
    label: str


@dataclass(frozen=True)
class OwnData:
    """The checked rows, the labels in order of first appearance, and the 80/20 split (indices into rows)."""

    rows: tuple[Labelled, ...]
    labels: tuple[str, ...]
    train: tuple[int, ...]
    valid: tuple[int, ...]

    def texts(self, part: tuple[int, ...]) -> list[str]:
        return [self.rows[i].text for i in part]

    def targets(self, part: tuple[int, ...]) -> list[int]:
        return [self.labels.index(self.rows[i].label) for i in part]

    def majority_accuracy(self) -> float:
        """How often the held-out rows have the label most common in training: the score of always guessing it."""
        common = Counter(self.targets(self.train)).most_common(1)[0][0]
        valid = self.targets(self.valid)
        return sum(t == common for t in valid) / len(valid)


def decode(raw: bytes) -> str:
    """The bytes of an uploaded file as text; CsvProblem when it is too big or not UTF-8."""
    if len(raw) > MAX_CSV_BYTES:
        raise CsvProblem([f"The file is {len(raw) / 1e6:.1f} MB; the most it can be is {MAX_CSV_BYTES / 1e6:.0f} MB "
                          f"(about {MAX_ROWS:,} short rows)."])
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise CsvProblem([f"The file is not UTF-8 text (byte {raw[err.start]:#04x} at position {err.start:,}). "
                          "In a spreadsheet, save it as “CSV UTF-8”."]) from err


def _header(first: list[str]) -> list[str]:
    names = [name.strip().lower() for name in first]
    if sorted(names) != sorted(COLUMNS):
        found = ",".join(first) if first else "nothing"
        raise CsvProblem([f"Row 1 must name the two columns, text,label (found: {found[:80]})."])
    return names


def _row_problems(line: int, values: list[str]) -> list[str]:
    if len(values) != len(COLUMNS):
        return [f"Row {line} has {len(values)} values, not 2 (text,label). If the text has a comma in it, put the "
                "text in double quotes."]
    text, label = (v.strip() for v in values)
    problems = []
    if not text:
        problems.append(f"Row {line}: the text is empty.")
    if not label:
        problems.append(f"Row {line}: the label is empty.")
    if len(text) > MAX_TEXT_CHARS:
        problems.append(f"Row {line}: the text is {len(text):,} characters long; the most is {MAX_TEXT_CHARS}.")
    if len(label) > MAX_LABEL_CHARS:
        problems.append(f"Row {line}: the label is {len(label)} characters long; the most is {MAX_LABEL_CHARS}.")
    return problems


def _table_problems(rows: list[Labelled]) -> list[str]:
    counts = Counter(r.label for r in rows)
    problems = []
    if len(rows) < MIN_ROWS:
        problems.append(f"There are {len(rows)} rows; the networks need at least {MIN_ROWS}.")
    if len(rows) > MAX_ROWS:
        problems.append(f"There are {len(rows):,} rows; the most is {MAX_ROWS:,} (training has a time limit).")
    if len(counts) < MIN_LABELS:
        problems.append(f"Every row has the same label ({next(iter(counts), '?')}); give at least two labels.")
    if len(counts) > MAX_LABELS:
        problems.append(f"There are {len(counts)} labels; the most is {MAX_LABELS}.")
    rare = [label for label, n in counts.items() if n < MIN_PER_LABEL]
    if rare and MIN_LABELS <= len(counts) <= MAX_LABELS:
        problems.append(f"Each label needs at least {MIN_PER_LABEL} rows; too few for: " + ", ".join(rare[:5]) + ".")
    return problems


def parse_csv(text: str) -> OwnData:
    """Check a `text,label` CSV (a header row, then one row per sentence); CsvProblem lists what is wrong."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        records = [(reader.line_num, values) for values in reader if any(v.strip() for v in values)]
    except csv.Error as err:
        raise CsvProblem([f"Row {reader.line_num}: {err} (a quote that is never closed?)."]) from err
    if not records:
        raise CsvProblem([f"There is nothing here: paste a header row text,label and at least {MIN_ROWS} rows."])
    names = _header(records[0][1])
    problems, rows = [], []
    for line, values in records[1:]:
        found = _row_problems(line, values)
        problems += found
        if not found:
            fields = dict(zip(names, (v.strip() for v in values)))
            rows.append(Labelled(fields["text"], fields["label"]))
    problems += _table_problems(rows)
    if problems:
        raise CsvProblem(problems)
    labels = tuple(dict.fromkeys(r.label for r in rows))
    train, valid = split(rows, labels)
    return OwnData(rows=tuple(rows), labels=labels, train=train, valid=valid)


def split(rows: list[Labelled], labels: tuple[str, ...], seed: int = SPLIT_SEED) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """80/20, label by label (so every label is held out in proportion), shuffled with a fixed seed."""
    rng = random.Random(seed)
    train, valid = [], []
    for label in labels:
        members = [i for i, r in enumerate(rows) if r.label == label]
        rng.shuffle(members)
        cut = max(1, round(len(members) * HELD_OUT_SHARE))
        valid += members[:cut]
        train += members[cut:]
    return tuple(sorted(train)), tuple(sorted(valid))


def to_csv(rows: list[tuple[str, str]]) -> str:
    """Rows as the CSV the page's text box and the CLI read (a header, then text,label)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
