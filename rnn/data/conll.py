"""CoNLL-format NER files (token first column, BIO tag last) and conlleval-style entity-level scoring."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from rnn.data import open_text

ENTITY_TYPES = ("PER", "ORG", "LOC", "MISC")


@dataclass
class Sentence:
    tokens: list[str]
    tags: list[str]


def read_conll(path: str | Path) -> list[Sentence]:
    """Sentences of a CoNLL file: blank lines separate sentences, -DOCSTART- lines are skipped.

    A file lower-cased as a whole (as students type) reads the same apart from its words: -docstart- is skipped
    and tags are read in upper case.
    """
    sentences: list[Sentence] = []
    tokens: list[str] = []
    tags: list[str] = []

    def flush() -> None:
        if tokens:
            sentences.append(Sentence(list(tokens), list(tags)))
        tokens.clear()
        tags.clear()

    with open_text(path) as handle:
        for line_no, line in enumerate(handle, 1):
            columns = line.split()
            if not columns:
                flush()
                continue
            if columns[0].upper() == "-DOCSTART-":
                flush()
                continue
            if len(columns) < 2:
                raise ValueError(f"{path}:{line_no}: expected 'token ... tag', got {line.strip()!r}")
            tokens.append(columns[0])
            tags.append(columns[-1].upper())  # tags are upper case; a file lower-cased whole ('b-per') still scores
    flush()
    return sentences


def _split(tag: str) -> tuple[str, str]:
    """'B-PER' -> ('B', 'PER'); 'O' -> ('O', '')."""
    if tag == "O" or "-" not in tag:
        return "O", ""
    prefix, _, kind = tag.partition("-")
    return prefix, kind


def spans(tags: list[str]) -> set[tuple[str, int, int]]:
    """Entity chunks (type, start, end-exclusive) the way conlleval reads them.

    Like conlleval, an I-X that does not continue an X chunk (after O, or after another type) opens a
    new chunk, so a tagger is not rewarded for, nor silently forgiven, a broken BIO sequence.
    """
    chunks: set[tuple[str, int, int]] = set()
    start, kind = None, ""
    for i, tag in enumerate(tags):
        prefix, tag_kind = _split(tag)
        continues = prefix == "I" and start is not None and tag_kind == kind
        if start is not None and not continues:
            chunks.add((kind, start, i))
            start = None
        if prefix in ("B", "I") and not continues:
            start, kind = i, tag_kind
    if start is not None:
        chunks.add((kind, start, len(tags)))
    return chunks


def is_valid_bio(tags: list[str]) -> bool:
    """True when every I-X follows a B-X or I-X."""
    previous = "O"
    for tag in tags:
        prefix, kind = _split(tag)
        if prefix == "I" and _split(previous)[1] != kind:
            return False
        if prefix not in ("B", "I", "O"):
            return False
        previous = tag
    return True


def _prf(correct: int, predicted: int, gold: int) -> tuple[float, float, float]:
    precision = correct / predicted if predicted else 0.0
    recall = correct / gold if gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def entity_scores(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """Micro precision/recall/F1 over exact entity spans, plus F1 per type (fractions in 0..1)."""
    if len(gold) != len(predicted):
        raise ValueError(f"{len(gold)} gold sentences but {len(predicted)} predicted")
    correct, n_pred, n_gold = Counter(), Counter(), Counter()
    for gold_tags, pred_tags in zip(gold, predicted):
        if len(gold_tags) != len(pred_tags):
            raise ValueError("a predicted sentence has a different length from its gold sentence")
        gold_spans, pred_spans = spans(gold_tags), spans(pred_tags)
        n_gold.update(s[0] for s in gold_spans)
        n_pred.update(s[0] for s in pred_spans)
        correct.update(s[0] for s in gold_spans & pred_spans)
    precision, recall, f1 = _prf(sum(correct.values()), sum(n_pred.values()), sum(n_gold.values()))
    kinds = sorted(set(n_gold) | set(n_pred), key=lambda k: (ENTITY_TYPES.index(k) if k in ENTITY_TYPES else 99, k))
    per_type = {k: round(_prf(correct[k], n_pred[k], n_gold[k])[2], 5) for k in kinds}
    return {
        "f1": round(f1, 5),
        "precision": round(precision, 5),
        "recall": round(recall, 5),
        "n_sentences": len(gold),
        "per_type": per_type,
    }
