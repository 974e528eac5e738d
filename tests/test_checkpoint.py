"""Model bundles: round trip, float16 on disk, and one clear error for anything broken."""
import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from torch import nn

from rnn.card import CardError, validate_card
from rnn.checkpoint import BundleError, load_bundle, read_card, save_bundle
from rnn.text import Vocab
from rnn.trace import Trace


@dataclass
class TinyConfig:
    vocab_size: int
    hidden: int = 3


class Tiny(nn.Module):
    def __init__(self, config: TinyConfig):
        super().__init__()
        self.embed = nn.Embedding(config.vocab_size, 2)
        self.rnn = nn.GRU(2, config.hidden, batch_first=True)


def build(config, vocabs):
    return Tiny(config)


def tiny_card(**changes) -> dict:
    card = {"task": "tiny", "title": "Tiny", "model": "a GRU", "parameters": 10, "command": "python -m rnn.train tiny",
            "data": {"name": "two words", "licence": "CC0"}, "curve": [], "metrics": {"accuracy": 0.5},
            "train_seconds": 1.0}
    return {**card, **changes}


def save_tiny(directory):
    vocab = Vocab.build([["a", "b"]])
    model = Tiny(TinyConfig(len(vocab)))
    save_bundle(directory, model, TinyConfig(len(vocab)), {"words": vocab}, tiny_card())
    return model


def test_round_trip_restores_weights(tmp_path):
    model = save_tiny(tmp_path)
    bundle = load_bundle("tiny", tmp_path, TinyConfig, build, ("words",))
    assert bundle.config == TinyConfig(6)
    assert bundle.vocabs["words"].itos[4:] == ["a", "b"]
    assert bundle.card["metrics"] == {"accuracy": 0.5}
    for name, value in model.state_dict().items():
        assert torch.allclose(bundle.model.state_dict()[name], value, atol=1e-3)
        assert bundle.model.state_dict()[name].dtype == torch.float32
    assert not bundle.model.training


def test_weights_are_float16_on_disk(tmp_path):
    save_tiny(tmp_path)
    state = torch.load(tmp_path / "model.pt", weights_only=True)
    assert all(v.dtype == torch.float16 for v in state.values())


def test_missing_bundle_names_the_retrain_command(tmp_path):
    with pytest.raises(BundleError, match=r"python -m rnn.train stars"):
        load_bundle("stars", tmp_path / "nowhere", TinyConfig, build, ("words",))


def test_truncated_weights_raise_bundle_error(tmp_path):
    save_tiny(tmp_path)
    data = (tmp_path / "model.pt").read_bytes()
    (tmp_path / "model.pt").write_bytes(data[: len(data) // 2])
    with pytest.raises(BundleError, match="Rebuild it with"):
        load_bundle("tiny", tmp_path, TinyConfig, build, ("words",))


def test_wrong_shaped_weights_raise_bundle_error(tmp_path):
    save_tiny(tmp_path)
    (tmp_path / "config.json").write_text('{"vocab_size": 6, "hidden": 5}')
    with pytest.raises(BundleError):
        load_bundle("tiny", tmp_path, TinyConfig, build, ("words",))


@pytest.mark.parametrize("changes, message", [
    ({"metircs": {"accuracy": 0.5}}, "unknown key.*'metircs'"),
    ({"data": {"name": "x", "licence": "y", "trian_size": 3}}, "unknown key.*'trian_size'"),
    ({"headline": {"key": "accuracy", "label": "accuracy", "value": 0.5}}, "missing 'format'"),
    ({"parameters": "10"}, "should be int"),
    ({"metrics": {"accuracy": "high"}}, "should be a number"),
])
def test_a_card_off_the_schema_fails_loudly_when_saved(tmp_path, changes, message):
    vocab = Vocab.build([["a", "b"]])
    with pytest.raises(CardError, match=message):
        save_bundle(tmp_path, Tiny(TinyConfig(len(vocab))), TinyConfig(len(vocab)), {"words": vocab}, tiny_card(**changes))
    assert not (tmp_path / "card.json").exists()


def test_a_card_missing_a_required_key_fails():
    card = tiny_card()
    del card["command"]
    with pytest.raises(CardError, match="missing 'command'"):
        validate_card(card)


def test_a_card_that_does_not_parse_is_a_broken_bundle_with_its_rebuild_command(tmp_path):
    save_tiny(tmp_path)
    (tmp_path / "card.json").write_text('{"task": "tiny", "metircs": {}}')
    with pytest.raises(BundleError, match="Rebuild it with"):
        load_bundle("tiny", tmp_path, TinyConfig, build, ("words",))
    assert read_card(tmp_path) is None  # the home page then says it is not trained


def test_every_shipped_card_follows_the_schema():
    from rnn.checkpoint import ASSETS

    for path in sorted(ASSETS.glob("*/card.json")):
        validate_card(json.loads(path.read_text(encoding="utf-8")))


def test_card_of_missing_bundle_is_none(tmp_path):
    assert read_card(tmp_path) is None
    (tmp_path / "card.json").write_text("not json")
    assert read_card(tmp_path) is None


def test_trace_checks_its_shapes():
    trace = Trace(tokens=["a", "b"], known=[True, False], hidden=np.zeros((2, 3)))
    assert trace.unknown_words == ["b"]
    with pytest.raises(ValueError):
        Trace(tokens=["a"], known=[True], hidden=np.zeros((2, 3)))
