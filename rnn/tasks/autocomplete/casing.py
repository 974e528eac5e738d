"""How the language model's lower-case words are written back: names keep their capitals ("tom" -> "Tom").

The model reads and writes lower-case words (capitals would double its vocabulary). Each word's usual written
form is learned from the training sentences, leaving out each sentence's first word, whose capital says nothing.
"""
from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable, Mapping

from rnn.text import tokenize

CASING_FILE = "casing.json"


def surface_forms(texts: Iterable[str]) -> dict[str, str]:
    """lower-case word -> the form it is written in more often than not, for the words not written in lower case."""
    seen: dict[str, Counter] = defaultdict(Counter)
    for text in texts:
        for token in tokenize(text, None)[1:]:
            seen[token.text.lower()][token.text] += 1
    forms = {}
    for word, written in seen.items():
        form, count = written.most_common(1)[0]
        if form != word and 2 * count > sum(written.values()):
            forms[word] = form
    return forms


def save_casing(directory: str | Path, forms: Mapping[str, str]) -> None:
    Path(directory, CASING_FILE).write_text(json.dumps(dict(sorted(forms.items())), ensure_ascii=False, indent=0),
                                            encoding="utf-8")


def load_casing(directory: str | Path) -> dict[str, str]:
    """The bundle's written forms; {} when the file is missing or broken (then only "I" and a sentence's first
    word are capitalised)."""
    try:
        forms = json.loads(Path(directory, CASING_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(forms, dict):
        return {}
    return {k: v for k, v in forms.items() if isinstance(k, str) and isinstance(v, str) and v.lower() == k}
