"""Tokenising (spaCy's rule-based English tokenizer) and the word vocabulary every model shares."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

PAD, UNK, BOS, EOS = "<pad>", "<unk>", "<bos>", "<eos>"
SPECIALS = (PAD, UNK, BOS, EOS)

# The most tokens any model reads from one input. Pages cap characters too; this cap is what keeps
# a 10,000-character paste from turning into a 10,000-step recurrence on a shared 2-core server.
MAX_TOKENS = 200


# Unicode's explicit bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). Typed or
# pasted into a shared link, one of them reverses or reorders the app's own sentences that follow it on the page.
_BIDI_CONTROLS = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def strip_bidi_controls(text: str) -> str:
    """text without bidirectional control characters (ordinary right-to-left letters are kept)."""
    return text.translate(_BIDI_CONTROLS)


@dataclass(frozen=True)
class Token:
    """One word as the user typed it, with its character span in the original text."""

    text: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _tokenizer():
    import spacy  # imported lazily: spaCy takes a second to import and tests of Vocab do not need it

    return spacy.blank("en").tokenizer


def tokenize(text: str, max_tokens: int | None = MAX_TOKENS) -> list[Token]:
    """Split text into word tokens (whitespace dropped), keeping character offsets; at most max_tokens."""
    tokens: list[Token] = []
    for tok in _tokenizer()(text):
        if tok.is_space or not tok.text.strip():
            continue
        tokens.append(Token(tok.text, tok.idx, tok.idx + len(tok.text)))
        if max_tokens is not None and len(tokens) >= max_tokens:
            break
    return tokens


def words(text: str, max_tokens: int | None = MAX_TOKENS) -> list[str]:
    """The token strings of text (tokenize without offsets)."""
    return [t.text for t in tokenize(text, max_tokens)]


class Vocab:
    """A word <-> id mapping. Ids 0-3 are <pad>, <unk>, <bos>, <eos>; unknown words map to <unk>."""

    def __init__(self, itos: Iterable[str]):
        self.itos: list[str] = list(itos)
        if tuple(self.itos[: len(SPECIALS)]) != SPECIALS:
            raise ValueError(f"a vocabulary must start with {SPECIALS}")
        self.stoi: dict[str, int] = {w: i for i, w in enumerate(self.itos)}
        if len(self.stoi) != len(self.itos):
            raise ValueError("a vocabulary must not repeat a word")

    pad_id, unk_id, bos_id, eos_id = 0, 1, 2, 3

    @classmethod
    def build(cls, sentences: Iterable[Iterable[str]], min_freq: int = 1, max_size: int | None = None) -> "Vocab":
        """Words seen at least min_freq times, most frequent first (ties alphabetical, so builds repeat)."""
        counts = Counter(w for sentence in sentences for w in sentence)
        for special in SPECIALS:
            counts.pop(special, None)
        ranked = sorted((w for w, c in counts.items() if c >= min_freq), key=lambda w: (-counts[w], w))
        if max_size is not None:
            ranked = ranked[: max(0, max_size - len(SPECIALS))]
        return cls([*SPECIALS, *ranked])

    def __len__(self) -> int:
        return len(self.itos)

    def __contains__(self, word: str) -> bool:
        return word in self.stoi and word not in SPECIALS

    def id(self, word: str) -> int:
        return self.stoi.get(word, self.unk_id)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        return [self.stoi.get(w, self.unk_id) for w in tokens]

    def decode(self, ids: Iterable[int]) -> list[str]:
        return [self.itos[i] if 0 <= i < len(self.itos) else UNK for i in ids]

    def known(self, tokens: Iterable[str]) -> list[bool]:
        """For each token: is it in the vocabulary (False means the model reads it as <unk>)."""
        return [w in self for w in tokens]

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.itos, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> "Vocab":
        itos = json.loads(Path(path).read_text(encoding="utf-8"))
        if not isinstance(itos, list) or not all(isinstance(w, str) for w in itos):
            raise ValueError(f"{path} is not a vocabulary (expected a JSON list of words)")
        return cls(itos)
