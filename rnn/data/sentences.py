"""Readers for the language-model corpora: Tatoeba English (one sentence a line) and Penn Treebank (Mikolov's files).

Tatoeba has no official split and its lines are ordered by length, so the validation split is chosen by hashing
each sentence (the same sentence always lands in the same split, on any machine, in any order).
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Iterator

from rnn.data import SHARED_DATA, open_text

TATOEBA = SHARED_DATA / "lm" / "tatoeba_eng" / "eng_sentences.txt.gz"
PTB = SHARED_DATA / "lm" / "ptb"

# sha1(sentence) % VALID_MODULUS == VALID_BUCKET -> validation. 1/60 of ~187k lines is ~3.1k sentences.
VALID_MODULUS = 60
VALID_BUCKET = 1


def read_lines(path: str | Path) -> Iterator[str]:
    """The non-empty lines of a text file (plain or .gz), stripped."""
    with open_text(path) as f:
        for line in f:
            line = line.strip()
            if line:
                yield line


def is_valid_sentence(sentence: str) -> bool:
    """Is this sentence in the hash-chosen validation split."""
    digest = hashlib.sha1(sentence.encode("utf-8")).hexdigest()
    return int(digest, 16) % VALID_MODULUS == VALID_BUCKET


def tatoeba_split(path: str | Path = TATOEBA) -> tuple[list[str], list[str]]:
    """(train, valid) sentences of the Tatoeba English file, split by sentence hash."""
    train, valid = [], []
    for sentence in read_lines(path):
        (valid if is_valid_sentence(sentence) else train).append(sentence)
    return train, valid


def read_ptb(path: str | Path) -> list[list[str]]:
    """A Mikolov PTB file as a list of sentences of tokens (already lower-cased, <unk>ed, space-separated)."""
    return [line.split() for line in read_lines(path)]
