"""The model card's schema: what card.json holds, checked when a card is written and when it is read.

A card is plain JSON (the page shows it, people read it), so it stays a dict in memory; this module decides what a
valid one is. A misspelt key fails loudly when the trainer saves the bundle, rather than showing "?" on a page; a
card that does not parse makes its bundle broken, with the command that rebuilds it.
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any


class CardError(ValueError):
    """A card that does not follow the schema; the message names the key."""


@dataclass(frozen=True)
class Field:
    kind: type | tuple[type, ...]
    required: bool = False


NUMBER = (int, float)
# Every key a card may have. Required ones: what the page and the rebuild need.
CARD_FIELDS = {
    "task": Field(str, True),
    "title": Field(str, True),
    "model": Field(str, True),  # the architecture in a line
    "parameters": Field(int, True),
    "data": Field(dict, True),  # see DATA_FIELDS
    "command": Field(str, True),  # the exact command that rebuilds the bundle
    "curve": Field(list, True),  # one dict per epoch (or part of one)
    "metrics": Field(dict, True),  # name -> number, measured on the validation split
    "train_seconds": Field(NUMBER, True),
    "baselines": Field(dict),  # baseline name -> metrics measured the same way
    "headline": Field(dict),  # see HEADLINE_FIELDS
    "notes": Field(str),
    "trained_on": Field(str),  # the device(s)
    "best_epoch": Field(int),
    "members": Field(list),  # an ensemble's networks, each measured alone
    "teachers": Field(list),  # what a distilled network learned from
    "vocabulary": Field(int),
    "offsets": Field(dict),  # per-class decision offsets (review stars)
    "contrast_pairs": Field(int),  # how many order/negation pairs the contrast metrics count
}
DATA_FIELDS = {"name": Field(str, True), "licence": Field(str, True), "attribution": Field(str),
               "train_size": Field(int), "valid_size": Field(int)}
HEADLINE_FIELDS = {"key": Field(str, True), "label": Field(str, True), "value": Field(NUMBER, True),
                   "format": Field(str, True)}


def _check(mapping: Any, fields: dict[str, Field], where: str) -> None:
    if not isinstance(mapping, dict):
        raise CardError(f"{where} must be an object, not {type(mapping).__name__}")
    unknown = sorted(set(mapping) - set(fields))
    if unknown:
        raise CardError(f"{where} has unknown key(s) {', '.join(map(repr, unknown))}; known: {', '.join(fields)}")
    for key, spec in fields.items():
        if key not in mapping:
            if spec.required:
                raise CardError(f"{where} is missing {key!r}")
            continue
        value = mapping[key]
        if value is None and not spec.required:
            continue
        if isinstance(value, bool) or not isinstance(value, spec.kind):
            raise CardError(f"{where}[{key!r}] should be {_name(spec.kind)}, not {type(value).__name__}")


def _name(kind: type | tuple[type, ...]) -> str:
    return " or ".join(k.__name__ for k in kind) if isinstance(kind, tuple) else kind.__name__


def validate_card(card: Any) -> dict:
    """The card itself when it follows the schema; CardError naming the first problem otherwise."""
    _check(card, CARD_FIELDS, "card")
    _check(card["data"], DATA_FIELDS, "card['data']")
    if card.get("headline") is not None:
        _check(card["headline"], HEADLINE_FIELDS, "card['headline']")
    for name, value in card["metrics"].items():  # None: measured on nothing (e.g. no sentence was flagged)
        if value is not None and (not isinstance(value, Real) or isinstance(value, bool)):
            raise CardError(f"card['metrics'][{name!r}] should be a number, not {type(value).__name__}")
    return card
