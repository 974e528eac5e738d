"""Save and load a model bundle: assets/<task>/{model.pt, config.json, vocab_*.json, card.json}.

Weights are a plain state_dict (float16 on disk to keep bundles small; cast back to float32 at load),
read with torch.load(weights_only=True) so a bundle can never run code. Modules are never pickled.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch
from torch import nn

from rnn.card import validate_card
from rnn.registry import rebuild_command
from rnn.text import Vocab

ASSETS = Path(__file__).resolve().parent.parent / "assets"

C = TypeVar("C")


class BundleError(RuntimeError):
    """A model bundle is missing or unreadable. The message names the command that rebuilds it."""

    def __init__(self, task: str, directory: Path, reason: str):
        self.task, self.directory, self.reason = task, Path(directory), reason
        command = rebuild_command(task)
        super().__init__(f"The {task} model in {directory} cannot be used: {reason}. Rebuild it with: {command}")

    @property
    def command(self) -> str:
        return rebuild_command(self.task)


def bundle_dir(task: str) -> Path:
    return ASSETS / task


@dataclass
class Bundle:
    """What load_bundle returns: the model in eval mode, its config, its vocabularies and its card."""

    model: nn.Module
    config: Any
    vocabs: dict[str, Vocab]
    card: dict


def save_bundle(directory: str | Path, model: nn.Module, config: Any, vocabs: dict[str, Vocab], card: dict) -> None:
    """Write a bundle. config is a dataclass; vocabs maps a name to a Vocab (saved as vocab_<name>.json)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: (v.half() if v.is_floating_point() else v).cpu() for k, v in model.state_dict().items()}
    torch.save(state, directory / "model.pt")
    (directory / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2), encoding="utf-8")
    for name, vocab in vocabs.items():
        vocab.save(directory / f"vocab_{name}.json")
    write_card(directory, card)


def write_card(directory: str | Path, card: dict) -> None:
    """Write card.json; a card that does not follow the schema (rnn.card) raises CardError and nothing is written."""
    text = json.dumps(validate_card(card), indent=2, ensure_ascii=False)
    Path(directory, "card.json").write_text(text, encoding="utf-8")


def read_card(directory: str | Path) -> dict | None:
    """The bundle's card, or None when it is missing, unreadable or off the schema (the home page says so)."""
    try:
        return validate_card(json.loads(Path(directory, "card.json").read_text(encoding="utf-8")))
    except (OSError, ValueError):  # CardError is a ValueError
        return None


def _card_of(directory: Path) -> dict:
    """The bundle's card for load_bundle: {} when there is none; CardError (a broken bundle) when it does not parse."""
    path = directory / "card.json"
    if not path.is_file():
        return {}
    return validate_card(json.loads(path.read_text(encoding="utf-8")))


def load_bundle(
    task: str,
    directory: str | Path,
    config_cls: type[C],
    build_model: Any,
    vocab_names: tuple[str, ...],
) -> Bundle:
    """Read a bundle and rebuild its model with build_model(config, vocabs). Any failure -> BundleError."""
    directory = Path(directory)
    if not (directory / "model.pt").is_file():
        raise BundleError(task, directory, "model.pt is missing (the model has not been trained yet)")
    try:
        config = config_cls(**json.loads((directory / "config.json").read_text(encoding="utf-8")))
        vocabs = {name: Vocab.load(directory / f"vocab_{name}.json") for name in vocab_names}
        card = _card_of(directory)
        model = build_model(config, vocabs)
        state = torch.load(directory / "model.pt", map_location="cpu", weights_only=True)
        reference = model.state_dict()
        state = {k: v.to(reference[k].dtype) if k in reference else v for k, v in state.items()}
        model.load_state_dict(state)
    except BundleError:
        raise
    except Exception as exc:  # a truncated file, a wrong shape, bad JSON: all mean "retrain it"
        raise BundleError(task, directory, f"{type(exc).__name__}: {exc}") from exc
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return Bundle(model=model, config=config, vocabs=vocabs, card=card)
