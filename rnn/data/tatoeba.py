"""Tatoeba sentence pairs (manythings.org export): `English<TAB>Other[<TAB>anything]`, plain or .gz.

There is no official split, so validation is chosen by hashing the English sentence: every translation of
one English sentence lands on the same side (no leakage), and the split is the same on every machine.
"""
from __future__ import annotations

import zlib
from collections import defaultdict
from pathlib import Path

from rnn.data import SHARED_DATA, open_text

ENG_FRA = SHARED_DATA / "translation" / "tatoeba_eng_fra" / "eng-fra.txt.gz"
ATTRIBUTION = "Tatoeba sentence pairs from www.manythings.org/anki and tatoeba.org, CC BY 2.0 FR"

# About 2.5% of the distinct English sentences (~2.4k of ~96k) go to validation.
VALID_PER_MILLE = 25


def read_pairs(path: str | Path) -> list[tuple[str, str]]:
    """The (English, translation) pairs of a file; lines without two non-empty columns are skipped."""
    pairs = []
    with open_text(path) as lines:
        for line in lines:
            columns = line.rstrip("\r\n").split("\t")
            if len(columns) >= 2 and columns[0].strip() and columns[1].strip():
                pairs.append((columns[0].strip(), columns[1].strip()))
    return pairs


def is_valid(english: str) -> bool:
    """Does this English sentence (and so all its translations) belong to the validation split?"""
    return zlib.crc32(english.encode("utf-8")) % 1000 < VALID_PER_MILLE


def split_pairs(pairs: list[tuple[str, str]]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(train, valid) by the hash of the English side."""
    train, valid = [], []
    for pair in pairs:
        (valid if is_valid(pair[0]) else train).append(pair)
    return train, valid


def group_references(pairs: list[tuple[str, str]]) -> tuple[list[str], list[list[str]]]:
    """Distinct English sentences (first-seen order) and, for each, all its translations."""
    refs: dict[str, list[str]] = defaultdict(list)
    for english, other in pairs:
        refs[english].append(other)
    return list(refs), list(refs.values())
