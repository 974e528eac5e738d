"""Your sentences: a trained pair round-trips through its zip, and a bad or hostile zip is refused with a message."""
import io
import json
import pickle
import zipfile

import pytest
import torch

from rnn.own.bundle import FILES, MAX_BUNDLE_BYTES, BundleProblem, from_zip, load_own, save_own, to_zip
from rnn.own.data import parse_csv, to_csv
from rnn.own.engine import prepare
from rnn.own.model import MAX_VOCAB, OwnConfig, OwnPair, predict
from rnn.text import Vocab

SENTENCES = ["the film was not good", "a lovely long day", "was it bad"]


@pytest.fixture(scope="module")
def model():
    rows = [(f"the {w} was {'good' if i % 2 else 'bad'}", "positive" if i % 2 else "negative")
            for i, w in enumerate(["film", "food", "song", "show"] * 6)]
    training = prepare(parse_csv(to_csv(rows)))
    training.run(seconds=0.0)
    return training.result("test rows", "written by the test")


def files_of(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def zipped(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def refused(raw: bytes) -> str:
    with pytest.raises(BundleProblem) as caught:
        from_zip(raw)
    return str(caught.value)


def test_a_bundle_round_trips_with_the_same_predictions(model):
    loaded = from_zip(to_zip(model))
    for text in SENTENCES:
        before, after = predict(model, text), predict(loaded, text)
        assert before.label == after.label and before.ff_label == after.ff_label
        for label, p in before.probs.items():  # float16 on disk
            assert after.probs[label] == pytest.approx(p, abs=0.01)
    assert loaded.demo == model.demo and loaded.labels == model.labels
    assert loaded.bundle.card["data"]["name"] == "test rows"


def test_the_zip_holds_the_files_of_an_assets_bundle(model, tmp_path):
    assert sorted(files_of(to_zip(model))) == sorted(FILES)
    save_own(tmp_path, model)
    assert predict(load_own(tmp_path), SENTENCES[0]).label == predict(model, SENTENCES[0]).label


def test_the_biggest_bundle_fits_the_upload_cap():
    config = OwnConfig(vocab_size=MAX_VOCAB, labels=[f"l{i}" for i in range(10)])
    with torch.random.fork_rng():
        pair = OwnPair(config)
    from rnn.checkpoint import Bundle
    from rnn.own.model import OwnModel
    vocab = Vocab(["<pad>", "<unk>", "<bos>", "<eos>", *(f"w{i}" for i in range(MAX_VOCAB - 4))])
    card = {"task": "own", "title": "t", "model": "m", "parameters": 1, "data": {"name": "n", "licence": "l"},
            "command": "c", "curve": [], "metrics": {}, "train_seconds": 0}
    big = OwnModel(Bundle(pair, config, {"words": vocab}, card), vocab, "a b", ("a b", "c b"))
    assert len(to_zip(big)) < MAX_BUNDLE_BYTES


def test_not_a_zip():
    assert "not a zip file" in refused(b"just some bytes")


def test_a_zip_with_other_files(model):
    files = files_of(to_zip(model))
    files["../evil.py"] = b"print('hi')"
    assert "should hold exactly" in refused(zipped(files))


def test_a_missing_file(model):
    files = files_of(to_zip(model))
    del files["card.json"]
    assert "should hold exactly" in refused(zipped(files))


def test_a_pickle_that_would_run_code_is_refused(model, capsys):
    class Hostile:
        def __reduce__(self):
            return (print, ("this must never run",))

    files = files_of(to_zip(model))
    files["model.pt"] = pickle.dumps({"rnn.embed.weight": Hostile()}, protocol=2)
    assert "cannot be loaded" in refused(zipped(files))
    assert "this must never run" not in capsys.readouterr().out


def test_a_config_that_would_allocate_gigabytes_is_refused(model):
    files = files_of(to_zip(model))
    config = json.loads(files["config.json"])
    config["hidden"] = 10**6
    files["config.json"] = json.dumps(config).encode()
    assert refused(zipped(files)) == ("That bundle cannot be loaded: config.json describes a network this version of "
                                      "the code cannot build.")


def test_a_card_off_the_schema_is_refused(model):
    files = files_of(to_zip(model))
    card = json.loads(files["card.json"])
    card["surprise"] = 1
    files["card.json"] = json.dumps(card).encode()
    assert "card.json does not follow the model card's schema" in refused(zipped(files))


def test_another_task_s_card_is_refused(model):
    files = files_of(to_zip(model))
    card = json.loads(files["card.json"])
    card["task"] = "stars"
    files["card.json"] = json.dumps(card).encode()
    assert "not a Your sentences card" in refused(zipped(files))


def test_truncated_weights_are_refused(model):
    files = files_of(to_zip(model))
    files["model.pt"] = files["model.pt"][:1000]
    assert "cannot be loaded" in refused(zipped(files))


def test_a_file_bigger_than_any_bundle():
    assert "at most 3 MB" in refused(b"0" * (MAX_BUNDLE_BYTES + 1))


def test_a_zip_bomb_is_refused(model):
    files = files_of(to_zip(model))
    files["vocab_words.json"] = b" " * 5_000_000  # compresses to a few kB
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    assert "bigger than any bundle" in refused(raw.getvalue())
