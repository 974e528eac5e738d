"""Reader for the Stanford Sentiment Treebank in its PTB-tree format: `(label (label word) ...)` per line."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rnn.data import SHARED_DATA, open_text

SST5_DIR = SHARED_DATA / "sentiment" / "sst5"
SST5_LABELS = ("very negative", "negative", "neutral", "positive", "very positive")

# PTB escapes brackets; the app's tokenizer gives the characters themselves.
_PTB_ESCAPES = {"-LRB-": "(", "-RRB-": ")", "-LSB-": "[", "-RSB-": "]", "-LCB-": "{", "-RCB-": "}"}


@dataclass(frozen=True)
class Phrase:
    words: tuple[str, ...]
    label: int  # 0..4


@dataclass(frozen=True)
class Tree:
    """One sentence: its words, its root label, and every labelled phrase (node) in it, root first."""

    words: tuple[str, ...]
    label: int
    phrases: tuple[Phrase, ...]


def parse_tree(line: str) -> Tree:
    """Parse one binarized PTB tree. Raises ValueError on unbalanced or malformed input."""
    tokens = line.replace("(", " ( ").replace(")", " ) ").split()
    phrases: list[Phrase] = []
    position = 0

    def node() -> tuple[str, ...]:
        nonlocal position
        if position >= len(tokens) or tokens[position] != "(":
            raise ValueError(f"expected '(' at token {position}")
        position += 1
        if position >= len(tokens) or not tokens[position].isdigit():
            raise ValueError(f"expected a label at token {position}")
        label = int(tokens[position])
        position += 1
        words: tuple[str, ...] = ()
        while position < len(tokens) and tokens[position] != ")":
            if tokens[position] == "(":
                words += node()
            else:
                words += (_PTB_ESCAPES.get(tokens[position], tokens[position]),)
                position += 1
        if position >= len(tokens):
            raise ValueError("unbalanced parentheses")
        position += 1
        phrases.append(Phrase(words, label))
        return words

    words = node()
    if position != len(tokens):
        raise ValueError("text after the tree's closing parenthesis")
    root = phrases[-1]
    return Tree(words=words, label=root.label, phrases=(root, *phrases[:-1]))


def read_trees(path: str | Path) -> list[Tree]:
    """Every non-empty line of an SST tree file, parsed."""
    with open_text(path) as f:
        return [parse_tree(line) for line in f if line.strip()]
