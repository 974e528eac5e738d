"""Review stars: readers, metrics, the feed-forward baseline, tiny end-to-end training, the CLIs, odd input."""
import csv
import json

import pytest
import torch

from rnn.baselines.feedforward import FeedForwardConfig, FeedForwardNet, dense_parameters, one_hot_parameters
from rnn.checkpoint import BundleError
from rnn.data.reviews import read_reviews, read_split, split_reviews
from rnn.data.sst import parse_tree, read_trees
from rnn.nets.stars import StarsConfig, StarsNet
from rnn.tasks import stars
from rnn.tasks.stars.evaluate import evaluate_contrast_cli
from rnn.tasks.stars.metrics import contrast_scores, read_contrast_pairs, scores, tune_offsets
from rnn.tasks.stars.model import STAR_LABELS
from rnn.tasks.stars.sst5 import evaluate_sst5_cli, train_sst5_cli
from rnn.text import MAX_TOKENS
from rnn.training import count_parameters

GOOD = ["I love this dress, the fit is perfect", "Great top, soft and lovely", "Perfect, I love it",
        "Beautiful colour and great fit", "So soft, love love love"]
BAD = ["Terrible fabric, I returned it", "Cheap and ugly, sent it back", "Awful fit, returned",
       "Poor quality, not worth it", "Ugly colour and it ripped"]
TREES = [
    "(4 (3 (2 A) (4 lovely)) (4 (3 film) (2 .)))",
    "(0 (1 (2 A) (0 dreadful)) (1 (2 mess) (2 .)))",
    "(3 (2 (2 Not) (1 bad)) (3 (2 at) (2 all)))",
    "(1 (2 (2 Not) (3 good)) (2 (2 at) (2 all)))",
]


def write_reviews(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["", "Clothing ID", "Title", "Review Text", "Rating"])
        for i, (text, rating) in enumerate(rows):
            writer.writerow([i, 100 + i, "a title", text, rating])


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """20 tiny reviews, split 16/4, trained 1 epoch through the real CLI into a tiny bundle."""
    root = tmp_path_factory.mktemp("stars")
    rows = [(t, 5) for t in GOOD] + [(t, 1) for t in BAD] + [(t, 4) for t in GOOD] + [(t, 2) for t in BAD]
    rows.append(("", 3))  # an empty review: skipped everywhere
    write_reviews(root / "reviews.csv", rows)
    with open(root / "split.csv", "w", encoding="utf-8") as f:
        f.write("id,split\n" + "".join(f"{i},{'valid' if i % 5 == 0 else 'train'}\n" for i in range(len(rows) - 1)))
        f.write(f"{len(rows) - 1},drop\n")
    bundle = root / "bundle"
    assert stars.train_cli(["--data", str(root / "reviews.csv"), "--split", str(root / "split.csv"), "--out", str(bundle),
                            "--epochs", "2", "--ann-epochs", "1", "--embed", "8", "--hidden", "6", "--min-freq", "1"]) == 0
    return root, stars.load(bundle)


# ------------------------------------------------------------------------------------------- readers
def test_read_reviews_skips_empty_text_and_keeps_the_row_id(tmp_path):
    write_reviews(tmp_path / "r.csv", [("Nice", 5), ("", 4), ("Meh, it has\na newline", 3)])
    reviews = read_reviews(tmp_path / "r.csv")
    assert [(r.id, r.stars) for r in reviews] == [("0", 5), ("2", 3)]
    assert reviews[1].text == "Meh, it has\na newline"


def test_split_groups_reviews_by_the_split_file(tmp_path):
    write_reviews(tmp_path / "r.csv", [("a", 5), ("b", 4), ("c", 1)])
    (tmp_path / "s.csv").write_text("id,split\n0,train\n1,valid\n2,test\n")
    groups = split_reviews(read_reviews(tmp_path / "r.csv"), read_split(tmp_path / "s.csv"))
    assert {k: [r.text for r in v] for k, v in groups.items()} == {"train": ["a"], "valid": ["b"], "test": ["c"]}


def test_read_reviews_rejects_a_file_without_the_columns(tmp_path):
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match="Review Text"):
        read_reviews(tmp_path / "x.csv")


def test_parse_tree_gives_words_root_label_and_every_phrase():
    tree = parse_tree("(3 (2 (2 Not) (1 bad)) (3 (2 -LRB-) (2 all)))")
    assert tree.words == ("Not", "bad", "(", "all") and tree.label == 3
    assert tree.phrases[0].words == tree.words and len(tree.phrases) == 7
    assert ("bad",) in {p.words for p in tree.phrases}


@pytest.mark.parametrize("line", ["(3 (2 a) (2 b)", "(x a)", "(3 a) b", "a"])
def test_parse_tree_rejects_malformed_trees(line):
    with pytest.raises(ValueError):
        parse_tree(line)


# ------------------------------------------------------------------------------------------- metrics
def test_scores_accuracy_macro_f1_and_mae():
    got = scores([0, 0, 4, 4], [0, 4, 4, 4])
    assert got["accuracy"] == 0.75 and got["mae"] == 1.0
    assert got["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_tune_offsets_recovers_a_minority_class():
    logits = torch.tensor([[0.0, 1.0]] * 6 + [[0.5, 1.0]] * 4)  # argmax always says class 1
    gold = [1] * 6 + [0] * 4
    offsets = tune_offsets(logits, gold, lambda m: m["accuracy"])
    assert scores(gold, (logits + offsets).argmax(-1).tolist(), 2)["accuracy"] == 1.0


# ------------------------------------------------------------------------------------------- feed-forward
def test_feedforward_ignores_word_order_and_padding():
    net = FeedForwardNet(FeedForwardConfig(vocab_size=10, hidden=4, classes=5)).eval()
    a = torch.tensor([[4, 5, 6, 7]])  # "not bad really good"
    b = torch.tensor([[4, 7, 6, 5, 0, 0]])  # "not good really bad" + padding
    assert torch.allclose(net(a), net(b))


def test_feedforward_parameters_match_the_dense_layers_it_stands_for():
    net = FeedForwardNet(FeedForwardConfig(vocab_size=100, hidden=16, classes=5))
    assert count_parameters(net) == one_hot_parameters(100, 16, 5) == dense_parameters([100, 16, 5])
    assert one_hot_parameters(100, 16, 5, positions=10) == 1000 * 16 + 16 + 16 * 5 + 5


# ------------------------------------------------------------------------------------------- tiny model
def test_tiny_training_writes_a_bundle_with_its_card(tiny):
    root, model = tiny
    card = model.bundle.card
    assert card["task"] == "stars" and card["command"].startswith("python -m rnn.train stars --data")
    assert set(card["metrics"]) == {"accuracy", "macro_f1", "mae", "contrast_pair_accuracy", "contrast_polarity_accuracy"}
    assert any(name.startswith("Feed-forward") for name in card["baselines"])
    assert card["data"]["train_size"] == 16 and card["data"]["valid_size"] == 4
    assert card["headline"]["key"] == "accuracy" and 0 <= card["headline"]["value"] <= 1
    assert [row["epoch"] for row in card["curve"]] == [1, 2]
    assert all(v.dtype == torch.float16 for v in torch.load(root / "bundle" / "model.pt").values() if v.is_floating_point())
    assert set(model.recurrent_layers()) == {"forward GRU", "backward GRU"}


def test_predict_returns_stars_both_networks_and_an_honest_trace(tiny):
    _, model = tiny
    result = stars.predict(model, "I love this dress, not bad at all")
    assert 1 <= result.stars <= 5 and 1 <= result.ann_stars <= 5
    assert list(result.probs) == STAR_LABELS and sum(result.probs.values()) == pytest.approx(1, abs=1e-3)
    trace = result.trace
    assert trace.tokens[:3] == ["I", "love", "this"] and trace.hidden.shape == (len(trace.tokens), 6)
    assert trace.hidden_backward.shape == trace.hidden.shape and len(trace.readout) == len(trace.tokens)
    assert trace.known[trace.tokens.index("love")] and not trace.known[trace.tokens.index("bad")]


def test_readout_at_a_word_does_not_see_the_words_after_it(tiny):
    _, model = tiny
    a = stars.predict(model, "Great top, soft").trace
    b = stars.predict(model, "Great top, returned").trace
    assert a.readout[:3] == b.readout[:3]
    assert (a.hidden[:3] == b.hidden[:3]).all()


def test_padding_does_not_change_a_texts_states():
    net = StarsNet(StarsConfig(vocab_size=12, embed=4, hidden=3)).eval()
    short = torch.tensor([[5, 6, 7]])
    padded = torch.tensor([[5, 6, 7, 0, 0], [8, 9, 10, 11, 4]])
    alone = net(short, torch.tensor([3]))
    batched = net(padded, torch.tensor([3, 5]))
    assert torch.allclose(alone[0], batched[0][:1], atol=1e-6)
    assert torch.allclose(alone[2][0], batched[2][0, :3], atol=1e-6)
    assert (batched[2][0, 3:] == 0).all()


def test_same_words_in_another_order_give_the_feed_forward_network_the_same_answer(tiny):
    _, model = tiny
    a, b = stars.predict(model, "not bad, really good"), stars.predict(model, "not good, really bad")
    assert a.ann_probs == b.ann_probs


@pytest.mark.parametrize("text", ["", "   \n\t ", "🙂🙂🔥", "<script>alert(1)</script>", "zzqx vvbnm qqq",
                                  "love " * 2000, "x" * 10_000])
def test_predict_never_raises_on_odd_input(tiny, text):
    _, model = tiny
    result = stars.predict(model, text)
    assert len(result.trace.tokens) <= MAX_TOKENS
    if result.trace.tokens:
        assert 1 <= result.stars <= 5 and len(result.trace.readout) == len(result.trace.tokens)
    else:
        assert result.stars is None and result.probs == {}


def test_load_a_missing_bundle_raises_bundle_error_with_the_command(tmp_path):
    with pytest.raises(BundleError, match="python -m rnn.train stars"):
        stars.load(tmp_path)


# ------------------------------------------------------------------------------------------- CLIs
def test_evaluate_cli_prints_the_contract_json_last(tiny, capsys):
    root, _ = tiny
    assert stars.evaluate_cli([str(root / "reviews.csv"), "--bundle", str(root / "bundle")]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == {"accuracy", "macro_f1", "mae", "n", "ann_accuracy", "ann_macro_f1", "ann_mae"}
    assert result["n"] == 20
    assert all(0 <= result[k] <= 1 for k in ("accuracy", "macro_f1", "ann_accuracy", "ann_macro_f1"))


def test_sst5_trains_on_phrases_and_evaluates_sentences(tmp_path, capsys):
    (tmp_path / "train.txt").write_text("\n".join(TREES * 3) + "\n")
    (tmp_path / "dev.txt").write_text("\n".join(TREES) + "\n")
    assert len(read_trees(tmp_path / "dev.txt")) == 4
    out = tmp_path / "bundle"
    assert train_sst5_cli(["--data-dir", str(tmp_path), "--out", str(out), "--epochs", "1", "--ann-epochs", "1",
                                 "--embed", "8", "--hidden", "4", "--min-freq", "1"]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["task"] == "sst5" and card["data"]["train_size"] == 22  # distinct phrases of the 4 trees (28 nodes)
    capsys.readouterr()
    assert evaluate_sst5_cli([str(tmp_path / "dev.txt"), "--bundle", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == {"accuracy", "n"} and result["n"] == 4


# ------------------------------------------------------------------------------------------- contrast pairs
def test_read_contrast_pairs_skips_comments_and_blank_lines(tmp_path):
    path = tmp_path / "pairs.tsv"
    path.write_text("# more positive<TAB>less positive\n\nnot bad, really good\tnot good, really bad\n  # indented\n"
                    "i love it\ti hate it\n", encoding="utf-8")
    assert read_contrast_pairs(path) == [("not bad, really good", "not good, really bad"), ("i love it", "i hate it")]


@pytest.mark.parametrize("line", ["only one review", "a\tb\tc", "a\t ", "\tb"])
def test_read_contrast_pairs_rejects_a_line_that_is_not_two_reviews(tmp_path, line):
    (tmp_path / "bad.tsv").write_text(line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.tsv:1"):
        read_contrast_pairs(tmp_path / "bad.tsv")


def test_contrast_scores_by_hand():
    # pair 1: expected 4.6 vs 1.4, argmax 5 vs 1 -> pair right, polarity right
    # pair 2: expected 3.2 vs 3.0, argmax 3 vs 3 -> pair right, polarity wrong
    # pair 3: the same distribution twice -> pair wrong (not strictly higher), polarity wrong
    # pair 4: expected 2.0 vs 4.0 -> pair wrong; argmax 2 vs 4 -> polarity wrong
    probs = torch.tensor([
        [0.0, 0.0, 0.0, 0.4, 0.6], [0.6, 0.4, 0.0, 0.0, 0.0],
        [0.0, 0.0, 0.8, 0.2, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0],
        [0.2, 0.2, 0.2, 0.2, 0.2], [0.2, 0.2, 0.2, 0.2, 0.2],
        [0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 1.0, 0.0],
    ])
    assert contrast_scores(probs, 4) == {"pair_accuracy": 0.5, "polarity_accuracy": 0.25}


def test_expected_stars_is_the_mean_of_the_distribution():
    assert stars.expected_stars({"1 star": 0.5, "2 stars": 0.0, "3 stars": 0.0, "4 stars": 0.0, "5 stars": 0.5}) == 3.0


def test_contrast_cli_prints_the_contract_json_last(tiny, tmp_path, capsys):
    root, model = tiny
    path = tmp_path / "pairs.tsv"
    path.write_text("# a comment\nPerfect, I love it\tAwful fit, returned\nSo soft, love love love\tCheap and ugly\n",
                    encoding="utf-8")
    capsys.readouterr()
    assert evaluate_contrast_cli([str(path), "--bundle", str(root / "bundle")]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == {"pair_accuracy", "polarity_accuracy", "ff_pair_accuracy", "ff_polarity_accuracy", "n_pairs"}
    assert result["n_pairs"] == 2
    # the CLI's numbers are the page's: predict's expected stars decide each pair
    pairs = read_contrast_pairs(path)
    right = [stars.expected_stars(stars.predict(model, a).probs) > stars.expected_stars(stars.predict(model, b).probs)
             for a, b in pairs]
    assert result["pair_accuracy"] == sum(right) / 2


def test_the_card_measures_the_contrast_set_for_both_networks(tiny):
    root, model = tiny
    card = model.bundle.card
    assert {"contrast_pair_accuracy", "contrast_polarity_accuracy"} <= set(card["metrics"])
    ff = next(v for k, v in card["baselines"].items() if k.startswith("Feed-forward"))
    assert {"contrast_pair_accuracy", "contrast_polarity_accuracy"} <= set(ff)


def test_sst_phrases_join_the_reviews_and_the_majority_baseline_counts_reviews_only(tmp_path):
    (tmp_path / "train.txt").write_text("\n".join(TREES) + "\n")
    rows = [(t, 5) for t in GOOD] + [(t, 1) for t in BAD[:2]]
    write_reviews(tmp_path / "reviews.csv", rows)
    (tmp_path / "split.csv").write_text("id,split\n" + "".join(f"{i},{'valid' if i < 2 else 'train'}\n" for i in range(len(rows))))
    out = tmp_path / "bundle"
    assert stars.train_cli(["--data", str(tmp_path / "reviews.csv"), "--split", str(tmp_path / "split.csv"),
                            "--sst-phrases", str(tmp_path), "--out", str(out), "--epochs", "1", "--ann-epochs", "1",
                            "--embed", "8", "--hidden", "4", "--min-freq", "1"]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["data"]["train_size"] == 5 + 22  # 5 training reviews and the 22 distinct phrases
    assert "SST-5" in card["data"]["name"]
    # the reviews' most common class is 5 stars (the phrases' would be neutral): the 2 valid reviews are 5 stars
    assert card["baselines"]["Always the most common class"]["accuracy"] == 1.0


def test_a_phrase_trains_the_phrase_head_and_the_reader_never_the_reviews_head():
    from rnn.nets.stars import StarsConfig, StarsNet
    from rnn.tasks.stars.train import WithPhraseHead

    torch.manual_seed(0)
    trainee = WithPhraseHead(StarsNet(StarsConfig(vocab_size=12, embed=4, hidden=3)))
    assert torch.equal(trainee.phrase_head.weight, trainee.rnn.head.weight)  # both heads start alike
    ids, lengths = torch.tensor([[3, 4, 5], [6, 7, 0]]), torch.tensor([3, 2])
    logits, _, gold = trainee(ids, lengths, torch.tensor([5 + 4, 5 + 0]))  # two phrases: 5 stars and 1 star
    assert gold.tolist() == [4, 0]
    torch.nn.functional.cross_entropy(logits, gold).backward()
    assert trainee.rnn.head.weight.grad is None or not trainee.rnn.head.weight.grad.any()
    assert trainee.phrase_head.weight.grad.any() and trainee.rnn.embedding.weight.grad.any()
    trainee.zero_grad()
    logits, _, gold = trainee(ids, lengths, torch.tensor([4, 0]))  # two reviews: the reviews' head
    torch.nn.functional.cross_entropy(logits, gold).backward()
    phrase_grad = trainee.phrase_head.weight.grad
    assert trainee.rnn.head.weight.grad.any() and (phrase_grad is None or not phrase_grad.any())


def test_a_phrase_head_run_ships_the_same_bundle_shape(tmp_path):
    (tmp_path / "train.txt").write_text("\n".join(TREES) + "\n")
    rows = [(t, 5) for t in GOOD] + [(t, 1) for t in BAD[:2]]
    write_reviews(tmp_path / "reviews.csv", rows)
    (tmp_path / "split.csv").write_text("id,split\n" + "".join(f"{i},{'valid' if i < 2 else 'train'}\n" for i in range(len(rows))))
    args = ["--data", str(tmp_path / "reviews.csv"), "--split", str(tmp_path / "split.csv"), "--sst-phrases", str(tmp_path),
            "--epochs", "1", "--ann-epochs", "1", "--embed", "8", "--hidden", "4", "--min-freq", "1"]
    assert stars.train_cli([*args, "--out", str(tmp_path / "plain")]) == 0
    assert stars.train_cli([*args, "--phrase-head", "--out", str(tmp_path / "heads")]) == 0
    plain, heads = stars.load(tmp_path / "plain"), stars.load(tmp_path / "heads")
    assert heads.net.state_dict().keys() == plain.net.state_dict().keys()  # the phrase head stays behind
    assert "--phrase-head" in heads.bundle.card["command"] and stars.predict(heads, "Not bad at all").stars in range(1, 6)


def test_teacher_targets_are_the_teachers_mean_for_reviews_and_the_label_for_phrases(tiny):
    from rnn.tasks.stars.model import encode
    from rnn.tasks.stars.train import teacher_targets

    _root, teacher = tiny
    tokens = [["great", "fit"], [], ["not", "bad"]]  # the empty text is left out, as make_examples leaves it out
    targets = teacher_targets([teacher, teacher], tokens, [4, 1, 5 + 3], taught=2, classes=5)
    ids = torch.tensor([encode(teacher.config, teacher.vocab, ["great", "fit"])])
    with torch.inference_mode():
        review = torch.softmax(teacher.net.rnn(ids, torch.tensor([2]))[0][0], -1)
    assert targets.shape == (2, 5)
    assert torch.allclose(targets[0], review, atol=1e-6)  # two copies of one teacher: its own distribution
    assert targets[1].tolist() == [0, 0, 0, 1, 0]  # a phrase (label 5 + 3) keeps its label, 4 stars


def test_a_distilled_run_names_its_teachers_on_the_card(tiny, tmp_path):
    root, _model = tiny
    out = tmp_path / "student"
    assert stars.train_cli(["--data", str(root / "reviews.csv"), "--split", str(root / "split.csv"), "--out", str(out),
                            "--epochs", "1", "--ann-epochs", "1", "--embed", "8", "--hidden", "6", "--min-freq", "1",
                            "--teacher", str(root / "bundle"), "--teacher-weight", "0.7"]) == 0
    card = json.loads((out / "card.json").read_text())
    assert card["model"].endswith("distilled from 1 network (weight 0.7)") and len(card["teachers"]) == 1
    assert card["teachers"][0]["command"].startswith("python -m rnn.train stars --data")


def test_the_blended_loss_is_the_plain_one_without_teachers_and_the_soft_one_with_weight_one():
    from rnn.tasks.stars.train import blended_cross_entropy

    logits, gold = torch.tensor([[2.0, 0.0, -1.0], [0.0, 1.0, 0.0]]), torch.tensor([0, 2])
    soft = torch.tensor([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    log_p = torch.log_softmax(logits, -1)
    assert torch.isclose(blended_cross_entropy(logits, gold, None, 0.5), torch.nn.functional.cross_entropy(logits, gold))
    assert torch.isclose(blended_cross_entropy(logits, gold, soft, 1.0), -(soft * log_p).sum(-1).mean())
    # half and half: row 1 learns 0.75 / 0.25 / 0, row 2 its gold class alone (the teacher agrees)
    half = -(0.75 * log_p[0, 0] + 0.25 * log_p[0, 1] + log_p[1, 2]) / 2
    assert torch.isclose(blended_cross_entropy(logits, gold, soft, 0.5), half)


def test_each_batch_carries_the_targets_of_its_own_examples():
    from rnn.tasks.stars.batches import Examples, batches

    ids = [[3 + i] * (1 + i % 4) for i in range(10)]  # example i reads word 3 + i
    targets = torch.eye(5)[[i % 5 for i in range(10)]] * torch.arange(1, 11)[:, None]  # row i: i + 1 at class i % 5
    data = Examples(ids, [i % 5 for i in range(10)], targets)
    for batch_ids, _lengths, labels, batch_targets in batches(data, 3, epoch=1):
        assert (batch_targets.sum(-1) - 1).tolist() == (batch_ids[:, 0] - 3).tolist()
        assert batch_targets.argmax(-1).tolist() == labels.tolist()
    assert all(b[3] is None for b in batches(Examples(ids, [0] * 10), 3, epoch=1))
