"""Save and load a model bundle: assets/<task>/{model.pt, config.json, vocab_*.json, card.json}.

Weights are a plain state_dict (float16 on disk to keep bundles small; cast back to float32 at load),
read with torch.load(weights_only=True) so a bundle can never run code. Modules are never pickled.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
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
_LOG = logging.getLogger(__name__)


class BundleError(RuntimeError):
    """A model bundle is missing or unreadable. The message names the command that rebuilds it."""

    def __init__(self, task: str, directory: Path, reason: str):
        self.task, self.directory, self.reason = task, Path(directory), reason
        command = rebuild_command(task)
        # Students may read this: it names the bundle's file as the project does, never the server's own paths.
        super().__init__(f"The {task} model cannot be used: {reason}. Rebuild it with: {command}")

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


def shown_path(path: Path) -> str:
    """A bundle file as a page may name it: assets/<task>/<file>, or <folder>/<file> outside assets/."""
    try:
        return f"assets/{Path(path).relative_to(ASSETS).as_posix()}"
    except ValueError:
        return f"{Path(path).parent.name}/{Path(path).name}"


@contextlib.contextmanager
def _reading(task: str, directory: Path, file: str, problem: str):
    """Any failure while reading one file of a bundle -> BundleError naming that file and what is wrong with it.
    The raw exception (with the server's paths) goes to the server's log only."""
    try:
        yield
    except BundleError:
        raise
    except Exception as exc:  # a truncated file, a wrong shape, bad JSON: all mean "rebuild it"
        _LOG.warning("The %s bundle's %s cannot be used", task, directory / file, exc_info=exc)
        raise BundleError(task, directory, f"{shown_path(directory / file)} {problem}") from exc


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
        raise BundleError(task, directory, f"{shown_path(directory / 'model.pt')} is missing (the model has not been trained yet)")
    with _reading(task, directory, "config.json", "is not a settings file this version of the code reads"):
        config = config_cls(**json.loads((directory / "config.json").read_text(encoding="utf-8")))
    vocabs = {}
    for name in vocab_names:
        with _reading(task, directory, f"vocab_{name}.json", "is not a readable vocabulary"):
            vocabs[name] = Vocab.load(directory / f"vocab_{name}.json")
    with _reading(task, directory, "card.json", "does not follow the model card's schema"):
        card = _card_of(directory)
    with _reading(task, directory, "config.json", "describes a network this version of the code cannot build"):
        model = build_model(config, vocabs)
    with _reading(task, directory, "model.pt", "is truncated or is not a saved model"):
        state = torch.load(directory / "model.pt", map_location="cpu", weights_only=True)
    with _reading(task, directory, "model.pt", "does not fit config.json (its weights belong to another network)"):
        reference = model.state_dict()
        state = {k: v.to(reference[k].dtype) if k in reference else v for k, v in state.items()}
        model.load_state_dict(state)
    model.eval()
    for p in model.parameters():
        p.requires_grad_(False)
    return Bundle(model=model, config=config, vocabs=vocabs, card=card)
