"""The entities task: CoNLL reading and scoring, the CRF, training a tiny tagger end to end, predict, the CLI."""
import itertools
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from rnn.baselines.tagging import most_frequent_tag_baseline
from rnn.checkpoint import BundleError
from rnn.data.conll import entity_scores, is_valid_bio, read_conll, spans
from rnn.nets.crf import CRF
from rnn.tasks import entities

ROOT = Path(__file__).resolve().parent.parent
TAGS = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]

PEOPLE = [["John", "Smith"], ["Mary"], ["Ali", "Khan"], ["Sara"], ["Tom", "Lee"]]
PLACES = [["Paris"], ["New", "York"], ["Berlin"], ["Rome"]]


def write_conll(path: Path, n: int = 20, seed: int = 0) -> Path:
    """n tiny sentences like 'John Smith lives in Paris .' in 4-column CoNLL format, with a -DOCSTART- line."""
    rng = random.Random(seed)
    lines = ["-DOCSTART- -X- -X- O", ""]
    for _ in range(n):
        person, place = rng.choice(PEOPLE), rng.choice(PLACES)
        verb = rng.choice(["lives in", "visited", "left"]).split()
        tagged = [(w, ("B-" if i == 0 else "I-") + "PER") for i, w in enumerate(person)]
        tagged += [(w, "O") for w in verb]
        tagged += [(w, ("B-" if i == 0 else "I-") + "LOC") for i, w in enumerate(place)]
        tagged.append((".", "O"))
        lines += [f"{w} NNP B-NP {t}" for w, t in tagged] + [""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny tagger trained for 2 epochs through the real CLI code path, and its data file."""
    root = tmp_path_factory.mktemp("entities")
    data = write_conll(root / "tiny.txt")
    out = root / "bundle"
    argv = ["--train", str(data), "--valid", str(data), "--out", str(out), "--epochs", "2", "--batch-size", "8",
            "--hidden", "16", "--word-dim", "16", "--char-filters", "8"]
    assert entities.train_cli(argv) == 0
    return data, out, entities.load(out)


# ---------------------------------------------------------------- data and scoring


def test_read_conll_skips_docstart_and_splits_on_blank_lines(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("-DOCSTART- -X- -X- O\n\nEU NNP B-NP B-ORG\nrejects VBZ B-VP O\n\n\nPeter B-PER\n", encoding="utf-8")
    sentences = read_conll(path)
    assert [s.tokens for s in sentences] == [["EU", "rejects"], ["Peter"]]
    assert [s.tags for s in sentences] == [["B-ORG", "O"], ["B-PER"]]


def test_spans_open_a_new_chunk_on_a_stray_inside_tag_like_conlleval():
    assert spans(["B-PER", "I-PER", "O", "I-LOC", "I-LOC", "B-LOC"]) == {("PER", 0, 2), ("LOC", 3, 5), ("LOC", 5, 6)}
    assert spans(["B-PER", "I-ORG"]) == {("PER", 0, 1), ("ORG", 1, 2)}


def test_entity_scores_count_exact_spans_only():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "O"]]
    scores = entity_scores(gold, pred)
    assert scores["precision"] == pytest.approx(2 / 3, abs=1e-4)
    assert scores["recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert scores["per_type"] == {"PER": 0.0, "ORG": 1.0, "LOC": 1.0}
    assert scores["n_sentences"] == 2


def test_is_valid_bio():
    assert is_valid_bio(["O", "B-PER", "I-PER", "B-LOC"])
    assert not is_valid_bio(["O", "I-PER"])
    assert not is_valid_bio(["B-PER", "I-LOC"])


# ---------------------------------------------------------------- the CRF


def random_crf(seed: int) -> CRF:
    torch.manual_seed(seed)
    crf = CRF(TAGS)
    with torch.no_grad():
        for p in crf.parameters():
            p.normal_()
    return crf


def brute_force(crf: CRF, emissions: torch.Tensor, length: int) -> dict[tuple[int, ...], float]:
    """The score of every tag path of one sentence."""
    width = emissions.shape[0]
    mask = torch.zeros(1, width, dtype=torch.bool)
    mask[0, :length] = True
    scores = {}
    for path in itertools.product(range(len(TAGS)), repeat=length):
        padded = torch.tensor([list(path) + [0] * (width - length)])
        scores[path] = crf.path_score(emissions.unsqueeze(0), padded, mask).item()
    return scores


@pytest.mark.parametrize("seed", range(6))
def test_viterbi_equals_brute_force_search_over_all_tag_paths(seed):
    crf = random_crf(seed)
    emissions = torch.randn(3, 4, len(TAGS)) * 2
    lengths = [4, 1 + seed % 4, 2]
    mask = torch.arange(4).unsqueeze(0) < torch.tensor(lengths).unsqueeze(1)
    paths = crf.viterbi(emissions, mask)
    for b, length in enumerate(lengths):
        scores = brute_force(crf, emissions[b], length)
        assert tuple(paths[b]) == max(scores, key=scores.get)


def test_marginals_and_partition_match_brute_force():
    crf = random_crf(7)
    emissions = torch.randn(1, 3, len(TAGS))
    mask = torch.ones(1, 3, dtype=torch.bool)
    scores = brute_force(crf, emissions[0], 3)
    log_z = torch.logsumexp(torch.tensor(list(scores.values())), 0)
    assert crf.log_partition(emissions, mask).item() == pytest.approx(log_z.item(), abs=1e-4)
    expected = torch.zeros(3, len(TAGS))
    for path, score in scores.items():
        for t, k in enumerate(path):
            expected[t, k] += torch.exp(torch.tensor(score) - log_z)
    assert torch.allclose(crf.marginals(emissions, mask)[0], expected, atol=1e-5)


def test_decoded_tags_are_always_valid_bio():
    crf = random_crf(3)
    emissions = torch.randn(50, 7, len(TAGS)) * 5
    emissions[:, :, 2] += 10  # push hard towards I-PER everywhere: constraints must still win
    for path in crf.viterbi(emissions, torch.ones(50, 7, dtype=torch.bool)):
        assert is_valid_bio([TAGS[k] for k in path])


# ---------------------------------------------------------------- training, bundle, predict


def test_tiny_training_writes_a_complete_card_and_loads_back(tiny):
    _, out, model = tiny
    card = model.bundle.card
    assert card["task"] == "entities" and card["command"].startswith("python -m rnn.train entities")
    assert len(card["curve"]) == 2 and {"f1", "precision", "recall"} <= set(card["metrics"])
    assert set(next(iter(card["baselines"].values()))) == set(card["metrics"])
    assert card["headline"]["value"] == card["metrics"]["f1"]
    assert set(model.recurrent_layers()) == {"bilstm"}
    assert isinstance(model.recurrent_layers()["bilstm"], torch.nn.LSTM)
    assert card["parameters"] == sum(p.numel() for p in model.net.parameters())


def test_predict_returns_aligned_tags_entities_and_trace(tiny):
    _, _, model = tiny
    text = "John Smith visited New York ."
    result = entities.predict(model, text)
    assert [t.text for t in result.tokens] == text.split()
    assert len(result.tags) == len(result.confidence) == 6 and is_valid_bio(result.tags)
    trace = result.trace
    hidden = model.net.config.hidden
    assert trace.hidden.shape == (6, hidden) and trace.hidden_backward.shape == (6, hidden)
    assert all(abs(sum(row.values()) - 1) < 1e-4 for row in trace.readout)
    for entity in result.entities:
        assert text[entity.start : entity.end] == entity.text and 0 <= entity.confidence <= 1


@pytest.mark.parametrize("text", ["", "   \n\t", "🦖🚀 👶 Yoda!!", "<script>alert('x')</script>", "<pad> <unk> <bos>",
                                  "Zxqv Blorp " * 1000])
def test_predict_never_raises_on_odd_text(tiny, text):
    _, _, model = tiny
    result = entities.predict(model, text)
    assert len(result.tags) == len(result.tokens) == len(result.trace) <= entities.MAX_TOKENS
    assert is_valid_bio(result.tags)
    html = entities.highlight_html(result)
    assert "<script>" not in html


def test_long_text_is_capped_and_flagged(tiny):
    result = entities.predict(tiny[2], "word " * 10_000)
    assert result.truncated and len(result.tokens) == entities.MAX_TOKENS


def test_load_of_a_missing_bundle_raises_bundle_error(tmp_path):
    with pytest.raises(BundleError, match="python -m rnn.train entities"):
        entities.load(tmp_path)


def test_evaluate_cli_prints_the_contract_json_on_the_last_line(tiny):
    data, out, _ = tiny
    run = subprocess.run([sys.executable, "-m", "rnn.evaluate", "entities", str(data), "--bundle", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert set(result) == {"f1", "precision", "recall", "n_sentences", "per_type"}
    assert result["n_sentences"] == 20
    assert all(0 <= result[k] <= 1 for k in ("f1", "precision", "recall"))
    assert set(result["per_type"]) <= {"PER", "LOC"}


def test_most_frequent_tag_baseline_gives_valid_bio(tiny):
    data, _, _ = tiny
    train = read_conll(data)
    predicted = most_frequent_tag_baseline(train, [["John", "Smith", "Paris", "Paris", "unseen"]])
    assert predicted == [["B-PER", "I-PER", "B-LOC", "I-LOC", "O"]]


def test_evaluate_lowercase_scores_the_file_as_students_type_it(tiny, tmp_path, capsys):
    data, out, _ = tiny
    lowered = tmp_path / "lower.txt"
    lowered.write_text("\n".join(" ".join([line.split(" ")[0].lower(), *line.split(" ")[1:]]) if line else ""
                                 for line in data.read_text(encoding="utf-8").splitlines()) + "\n", encoding="utf-8")
    results = []
    for argv in ([str(data), "--lowercase"], [str(lowered)]):
        assert entities.evaluate_cli([*argv, "--bundle", str(out)]) == 0
        results.append(json.loads(capsys.readouterr().out.strip().splitlines()[-1]))
    assert results[0] == results[1]  # --lowercase == a lower-cased file, scored as it is


def test_lower_share_trains_on_lower_cased_sentences_and_the_card_reports_both_f1s(tmp_path):
    data = write_conll(tmp_path / "tiny.txt")
    out = tmp_path / "bundle"
    assert entities.train_cli(["--train", str(data), "--valid", str(data), "--out", str(out), "--epochs", "1",
                               "--batch-size", "8", "--hidden", "8", "--word-dim", "8", "--char-filters", "4",
                               "--lower-share", "1.0"]) == 0
    card = json.loads((out / "card.json").read_text())
    assert "f1_lowercased" in card["metrics"] and "--lower-share 1.0" in card["command"]
    assert all("f1_lowercased" in baseline for baseline in card["baselines"].values())


def test_a_conll_file_lower_cased_whole_reads_the_same_apart_from_its_words(tmp_path):
    path = tmp_path / "lower.txt"
    path.write_text("-docstart- -x- -x- o\n\nsara nnp b-np b-per\nlives vbz b-vp o\n", encoding="utf-8")
    [sentence] = read_conll(path)
    assert sentence.tokens == ["sara", "lives"] and sentence.tags == ["B-PER", "O"]
