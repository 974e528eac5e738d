"""Autocomplete: the LSTM language model, the keystroke simulation, the Kneser-Ney baseline and the CLIs, on tiny data."""
import json
import math

import numpy as np
import pytest
import torch

from rnn.baselines.ngram import KneserNeyTrigram
from rnn.checkpoint import BundleError
from rnn.data.sentences import tatoeba_split
from rnn.tasks import autocomplete as ac
from rnn.tasks.autocomplete.casing import load_casing, save_casing, surface_forms
from rnn.tasks.autocomplete.metrics import keystrokes, lstm_sentence_probs, score
from rnn.tasks.autocomplete.model import READOUT_WORDS
from rnn.tasks.autocomplete.search import CONTINUATION_LENGTH, beam_continuation
from rnn.tasks.autocomplete.train import _batches, _distilled_nll, _nll
from rnn.tasks.autocomplete.words import PrefixIndex
from rnn.text import Vocab

SUBJECTS = ["i", "you", "we", "they", "tom", "mary"]
VERBS = ["like", "want", "need", "know", "see"]
OBJECTS = ["the cat", "the car", "a book", "my dog", "you", "it"]


def tiny_sentences() -> list[str]:
    return [f"{s.capitalize()} {v} {o}." for s in SUBJECTS for v in VERBS for o in OBJECTS]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "sentences.txt"
    path.write_text("\n".join(tiny_sentences()) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def bundle(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle")
    code = ac.train_cli(["--data", str(corpus), "--out", str(out), "--epochs", "2", "--parts", "1",
                         "--emb", "16", "--hidden", "16", "--min-freq", "1", "--batch", "16", "--lr", "0.01"])
    assert code == 0
    return out


@pytest.fixture(scope="module")
def model(bundle):
    return ac.load(bundle)


# ---------------------------------------------------------------- the keystroke simulation, hand-checked

def toy() -> tuple[Vocab, PrefixIndex]:
    vocab = Vocab(["<pad>", "<unk>", "<bos>", "<eos>", "hello", "help", "world", "word", "."])
    return vocab, PrefixIndex(vocab)


def dist(vocab: Vocab, ranked: list[str]) -> np.ndarray:
    """A distribution giving the words in ranked decreasing probability (the rest share a little)."""
    p = np.full(len(vocab), 0.001)
    for rank, word in enumerate(ranked):
        p[vocab.id(word)] = 0.5 / (rank + 1)
    return p / p.sum()


def test_keystrokes_on_a_hand_checked_sentence():
    vocab, index = toy()
    probs = np.stack([
        dist(vocab, ["help", "world", "word", "hello"]),  # "hello" 4th: not shown until "h" is typed
        dist(vocab, ["world", "word"]),  # "world" shown at once
        dist(vocab, ["hello", "help", "world", "word"]),  # "." is never in the top 3: typed by hand
    ])
    # "hello world." is 12 characters: h + accept (covers "hello "), accept (covers "world"), "." typed
    assert keystrokes("hello world.", probs, vocab, index) == (4, 12)


def test_unknown_words_and_spaces_are_typed_by_hand():
    vocab, index = toy()
    probs = np.stack([dist(vocab, ["hello"]), dist(vocab, ["hello"]), dist(vocab, ["hello"])])
    # "zzz" (3 keys, not in the vocabulary), the space (1), "hello" accepted before its first letter (1)
    assert keystrokes("zzz hello", probs, vocab, index) == (5, 9)


def test_capitals_are_matched_lower_cased():
    vocab, index = toy()
    probs = np.stack([dist(vocab, ["world"]), dist(vocab, ["."])])
    assert keystrokes("World.", probs, vocab, index) == (2, 6)


def test_prefix_completion_only_offers_words_with_that_prefix():
    vocab, index = toy()
    probs = dist(vocab, ["world", "word", ".", "hello", "help"])
    assert [vocab.itos[i] for i in index.suggest(probs, "wor")] == ["world", "word"]
    assert [vocab.itos[i] for i in index.suggest(probs, "hel")] == ["hello", "help"]
    assert index.suggest(probs, "x") == []
    assert len(index.suggest(probs, "")) == 3  # never the specials
    assert all(vocab.itos[i] not in ("<eos>", "<unk>", "<pad>", "<bos>") for i in index.suggest(probs, "<"))


def test_predict_completions_start_with_the_typed_letters(model):
    result = ac.predict(model, "Tom wants the c")
    assert result.prefix == "c"
    assert result.completions and all(w.startswith("c") for w in result.completions)
    assert result.continuation and result.continuation[0].startswith("c")


# ---------------------------------------------------------------- the LSTM language model

def test_probabilities_sum_to_one(model):
    with torch.inference_mode():
        logp, hidden = model.sentence_log_probs(model.vocab.encode(["i", "like", "the", "zebra"]))
    assert logp.shape == (5, len(model.vocab))
    assert torch.allclose(logp.exp().sum(-1), torch.ones(5), atol=1e-4)
    assert hidden.shape == (4, 16)


def test_adaptive_softmax_loss_matches_the_full_distribution():
    from rnn.nets.lm import LMConfig, LSTMLanguageModel

    torch.manual_seed(0)
    net = LSTMLanguageModel(LMConfig(vocab_size=50, emb=8, hidden=8, layers=2, cutoffs=[10, 30])).eval()
    feats, _ = net.features(torch.randint(0, 50, (2, 6)))
    targets = torch.randint(0, 50, (12,))
    full = -net.log_probs(feats).reshape(12, 50).gather(1, targets[:, None]).sum()
    assert torch.allclose(net.loss(feats.reshape(12, 8), targets), full, atol=1e-4)


@pytest.mark.parametrize("layers", [1, 2])
def test_a_single_step_gives_what_nn_lstm_gives(layers):
    """The keystroke path steps the LSTM with its own matrix products (LSTMLanguageModel._one_step)."""
    from rnn.nets.lm import LMConfig, LSTMLanguageModel

    torch.manual_seed(0)
    net = LSTMLanguageModel(LMConfig(vocab_size=50, emb=8, hidden=12, layers=layers)).eval()
    ids = torch.randint(0, 50, (3, 1))
    state = (torch.randn(layers, 3, 12), torch.randn(layers, 3, 12))
    with torch.inference_mode():
        fast_out, (fast_h, fast_c) = net.features(ids, state)
        slow_out, (slow_h, slow_c) = net.lstm(net.embed(ids), state)
        for fast, slow in ((fast_out, slow_out), (fast_h, slow_h), (fast_c, slow_c)):
            assert fast.shape == slow.shape and torch.allclose(fast, slow, atol=1e-6)
    with torch.no_grad():  # new weights (training, load_state_dict) must not be stepped with stale fused copies
        net.lstm.weight_hh_l0.mul_(-1)
    with torch.inference_mode():
        assert torch.allclose(net.features(ids, state)[0], net.lstm(net.embed(ids), state)[0], atol=1e-6)


def _tiny_single():
    from rnn.nets.lm import LMConfig, LSTMLanguageModel

    torch.manual_seed(0)
    net = LSTMLanguageModel(LMConfig(vocab_size=300, emb=8, hidden=8, cutoffs=[20, 100])).eval()
    torch.nn.init.normal_(net.bias, 0, 3)  # make tail words win sometimes, so the pruning is exercised
    return net


@pytest.mark.parametrize("make_net", [lambda: _tiny_single(), lambda: _tiny_ensemble()], ids=["single", "ensemble"])
def test_top_words_is_the_exact_top_of_the_full_distribution(make_net):
    net = make_net()
    feats = torch.randn(50, net.hidden_size) * 3
    with torch.inference_mode():
        lp, ids = net.top_words(feats, 5)
        full_lp, full_ids = torch.topk(net.log_probs(feats), 5)
        assert torch.allclose(lp, full_lp, atol=1e-5) and torch.equal(ids, full_ids)
        # limited to the head and the first tail cluster (the 100 most frequent words): the exact top among those
        lp, ids = net.top_words(feats, 5, clusters=1)
        frequent_lp, frequent_ids = torch.topk(net.log_probs(feats)[:, :100], 5)
        assert torch.allclose(lp, frequent_lp, atol=1e-5) and torch.equal(ids, frequent_ids)


def test_bundle_round_trip(bundle, model):
    card = json.loads((bundle / "card.json").read_text())
    assert card["task"] == "autocomplete" and card["headline"]["key"] == "keystroke_savings"
    assert set(card["baselines"]["Kneser-Ney trigram"]) == set(card["metrics"])
    assert card["curve"] and card["parameters"] > 0
    assert isinstance(model.recurrent_layers()["lstm"], torch.nn.LSTM)
    again = ac.load(bundle)
    text = "i want the"
    assert ac.predict(again, text).next_words == ac.predict(model, text).next_words


def test_missing_bundle_is_a_bundle_error(tmp_path):
    with pytest.raises(BundleError, match="python -m rnn.train autocomplete"):
        ac.load(tmp_path)


def test_trace_has_a_row_and_a_readout_per_word(model):
    result = ac.predict(model, "You like zebras ")
    trace = result.trace
    assert trace.tokens == ["you", "like", "zebras"] and trace.known == [True, True, False]
    assert trace.hidden.shape == (3, 16) and len(trace.readout) == 3
    assert result.prefix == "" and result.context == ["you", "like", "zebras"]
    half = ac.predict(model, "You like zeb")
    assert half.prefix == "zeb" and len(half.trace) == 3  # the trace reads every token typed so far
    assert half.context_trace.tokens == ["you", "like"]  # the half-typed word is not reported as unknown


@pytest.mark.parametrize("text", ["", "   ", "😀🙈", "<script>alert(1)</script>", "x" * 10_000,
                                  "qwzx vbnm plkj ", "word " * 2_000, "\n\t"])
def test_predict_never_raises(model, text):
    result = ac.predict(model, text)
    assert len(result.trace.tokens) <= 200
    assert result.next_words and math.isclose(sum(result.next_words.values()), sum(result.next_words.values()))
    assert all(w.startswith(result.prefix) for w in result.completions)


def test_accepting_keeps_the_typed_letters_and_capitals(model):
    result = ac.predict(model, "I want the Ca")
    assert result.completed(["car", "."]) == "I want the Car."
    assert ac.predict(model, "").completed(["i", "know", "."]) == "I know."
    assert result.completed([]) == "I want the Ca"


def test_let_it_write_is_reproducible_per_seed(model):
    assert ac.generate(model, "I want", 1.0, seed=3) == ac.generate(model, "I want", 1.0, seed=3)
    assert len(ac.generate(model, "<script>", 0.5, max_words=4, seed=1)) <= 4
    with pytest.raises(ValueError):
        ac.generate(model, "I want", 0.0)


# ---------------------------------------------------------------- the Kneser-Ney baseline

def test_ngram_distributions_sum_to_one_and_prefer_what_was_seen():
    vocab = Vocab(["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d"])
    lm = KneserNeyTrigram(len(vocab), vocab.bos_id, vocab.eos_id, never=(0, 2))
    lm.fit([vocab.encode("a b c".split()), vocab.encode("a b d".split()), vocab.encode("d c".split())])
    for history in ([], [4], [4, 5], [7, 7], [1]):
        p = lm.next_probs(vocab.encode(vocab.decode(history)))
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-9) and p[0] == 0 and p[2] == 0
    after_ab = lm.next_probs([4, 5])
    assert after_ab[6] > after_ab[4] and after_ab[7] > after_ab[4]  # "c", "d" were seen after "a b"
    assert lm.next_probs([])[4] > lm.next_probs([])[5]  # sentences start with "a", never with "b"
    assert lm.log_likelihood([4, 5, 6]) > lm.log_likelihood([6, 5, 4])


# ---------------------------------------------------------------- the CLIs

def test_evaluate_cli_prints_the_contract_json(bundle, corpus, tmp_path, capsys):
    file = tmp_path / "held_out.txt"
    file.write_text("Tom likes the cat.\nMary wants a book.\n\nWe need my dog.\n", encoding="utf-8")
    assert ac.evaluate_cli([str(file), "--bundle", str(bundle), "--train", str(corpus)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == {"perplexity", "top1", "top3", "keystroke_savings", "ngram_perplexity",
                           "ngram_keystroke_savings", "n_sentences"}
    assert result["n_sentences"] == 3
    assert 0 <= result["top1"] <= result["top3"] <= 1 and result["perplexity"] > 1
    assert -1 < result["keystroke_savings"] < 1 and -1 < result["ngram_keystroke_savings"] < 1


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_ptb_cli_trains_and_evaluates_on_tiny_files(tmp_path, capsys, optimizer):
    lines = [" " + " ".join(s.lower().rstrip(".").split()) + " " for s in tiny_sentences()]
    (tmp_path / "ptb.train.txt").write_text("\n".join(lines[:150]) + "\n", encoding="utf-8")
    (tmp_path / "ptb.valid.txt").write_text("\n".join(lines[150:]) + "\n", encoding="utf-8")
    out = tmp_path / "bundle"
    assert ac.train_ptb_cli(["--data", str(tmp_path), "--out", str(out), "--epochs", "2", "--hidden", "8",
                            "--decay-after", "1", "--optimizer", optimizer, "--lr", "0.01"]) == 0
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    assert card["model"].endswith(optimizer) and len(card["curve"]) == 2
    assert ac.evaluate_ptb_cli([str(tmp_path / "ptb.valid.txt"), "--bundle", str(out)]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert set(result) == {"perplexity"} and result["perplexity"] > 1


def test_cached_context_gives_the_same_answer_as_a_fresh_reading(model):
    text = "the cat sat o"
    model.clear_caches()
    fresh = ac.predict(model, text)
    model.clear_caches()
    for i in range(1, len(text)):  # type it letter by letter: each new word extends the cached reading by one step
        ac.predict(model, text[:i])
    warm = ac.predict(model, text)
    assert list(warm.next_words) == list(fresh.next_words) and list(warm.completions) == list(fresh.completions)
    np.testing.assert_allclose(list(warm.next_words.values()), list(fresh.next_words.values()), atol=1e-4)
    assert warm.continuation == fresh.continuation
    np.testing.assert_allclose(warm.trace.hidden, fresh.trace.hidden, atol=1e-6)
    warm.trace.hidden[:] = 0  # a caller changing its trace must not reach the shared cache
    np.testing.assert_allclose(ac.predict(model, text).trace.hidden, fresh.trace.hidden, atol=1e-6)
    # past a word boundary the beam search walks steps cached by the search before it
    model.clear_caches()
    fresh_next_word = ac.predict(model, "the cat sat ").continuation
    model.clear_caches()
    ac.predict(model, "the cat sat")
    assert ac.predict(model, "the cat sat ").continuation == fresh_next_word


def test_init_continues_a_bundle_with_a_new_dropout(bundle, corpus, tmp_path):
    out = tmp_path / "continued"
    common = ["--data", str(corpus), "--epochs", "1", "--parts", "1", "--emb", "16", "--min-freq", "1", "--batch", "16"]
    code = ac.train_cli([*common, "--hidden", "16", "--init", str(bundle), "--dropout", "0.3", "--device", "cpu", "--out", str(out)])
    assert code == 0
    before, after = json.loads((bundle / "card.json").read_text()), json.loads((out / "card.json").read_text())
    assert ac.load(out).bundle.config.dropout == 0.3
    assert len(after["curve"]) == len(before["curve"]) + 1 and "--init" in after["command"]
    assert after["trained_on"] == "CPU"
    again = tmp_path / "again"  # without --dropout a continuation keeps the bundle's
    assert ac.train_cli([*common, "--hidden", "16", "--init", str(out), "--out", str(again)]) == 0
    assert ac.load(again).bundle.config.dropout == 0.3
    with pytest.raises(SystemExit, match="another vocabulary or architecture"):
        ac.train_cli([*common, "--hidden", "32", "--init", str(bundle), "--out", str(tmp_path / "other")])


def _tiny_net(seed: int):
    from rnn.nets.lm import LMConfig, LSTMLanguageModel

    torch.manual_seed(seed)
    return LSTMLanguageModel(LMConfig(vocab_size=50, emb=8, hidden=8, layers=2, cutoffs=[10, 30])).eval()


def test_distillation_at_weight_zero_is_the_plain_loss():
    net, teacher = _tiny_net(0), _tiny_net(1)
    batch = next(_batches([[5, 7, 9], [11, 40], [3, 3, 3, 12]], 8, None))
    plain, n = _nll(net, batch)
    distilled, m = _distilled_nll(net, [teacher], 0.0, batch)
    assert n == m == 12 and torch.allclose(plain, distilled, atol=1e-4)


def test_distillation_pulls_the_student_to_the_teachers_average():
    """At weight 1 the target is the teachers' mean distribution: a student that already gives it has zero gradient,
    and a different student's loss exceeds it by exactly the KL divergence."""
    student, teachers = _tiny_net(0), [_tiny_net(1), _tiny_net(2)]
    batch = next(_batches([[5, 7, 9], [11, 40, 2]], 8, None))
    feats = [t.features(batch[0])[0][batch[1] >= 0] for t in teachers]
    mean = torch.stack([t.log_probs(f).exp() for t, f in zip(teachers, feats)]).mean(0)
    loss, _ = _distilled_nll(student, teachers, 1.0, batch)
    log_p = student.log_probs(student.features(batch[0])[0][batch[1] >= 0])
    kl = (mean * (mean.log() - log_p)).sum()
    assert torch.allclose(loss, kl - (mean * mean.log()).sum(), atol=1e-4)
    twin, _ = _distilled_nll(teachers[0], teachers[:1] * 2, 1.0, batch)
    twin.backward()
    assert all(p.grad is None or p.grad.abs().max() < 1e-5 for p in teachers[0].parameters())


def test_teacher_bundles_are_recorded_and_must_share_the_vocabulary(bundle, corpus, tmp_path):
    out = tmp_path / "distilled"
    common = ["--data", str(corpus), "--epochs", "1", "--parts", "1", "--emb", "16", "--hidden", "16", "--batch", "16"]
    assert ac.train_cli([*common, "--min-freq", "1", "--teacher", str(bundle), str(bundle), "--out", str(out)]) == 0
    card = json.loads((out / "card.json").read_text())
    assert len(card["teachers"]) == 2 and card["teachers"][0]["command"].startswith("python -m rnn.train autocomplete")
    assert "distilled from 2 networks" in card["model"]
    with pytest.raises(SystemExit, match="same data and vocabulary"):
        ac.train_cli([*common, "--min-freq", "50", "--teacher", str(bundle), "--out", str(tmp_path / "other")])


# ---------------------------------------------------------------- ensembles

def _tiny_ensemble(seed: int = 0):
    """Two networks of different depths and widths over one vocabulary, with their own random weights."""
    from rnn.nets.lm import LMConfig, LMEnsemble

    torch.manual_seed(seed)
    net = LMEnsemble(LMConfig(vocab_size=300, emb=8, hidden=12, layers=2, cutoffs=[20, 100],
                              other_members=[{"hidden": 6, "layers": 1}])).eval()
    for member in net.members:
        torch.nn.init.normal_(member.bias, 0, 3)  # make tail words win sometimes, so top_words' pruning is exercised
    return net


def test_an_ensemble_gives_the_mean_of_its_members_probabilities():
    net = _tiny_ensemble()
    ids = torch.randint(0, 300, (2, 5))
    with torch.inference_mode():
        feats, _ = net.features(ids)
        mean = torch.stack([m.log_probs(m.features(ids)[0]).exp() for m in net.members]).mean(0)
        assert feats.shape == (2, 5, 12 + 6)
        assert torch.allclose(net.log_probs(feats).exp(), mean, atol=1e-6)


def test_an_ensembles_state_carries_every_member_step_by_step():
    """One call over a sentence and word-by-word steps through the joined state read the same (the keystroke path)."""
    net = _tiny_ensemble()
    ids = torch.randint(0, 300, (3, 4))
    with torch.inference_mode():
        whole, (h, c) = net.features(ids)
        state, steps = None, []
        for t in range(4):
            out, state = net.features(ids[:, t: t + 1], state)
            steps.append(out)
        assert torch.allclose(torch.cat(steps, dim=1), whole, atol=1e-5)
        assert torch.allclose(state[0], h, atol=1e-5) and torch.allclose(state[1], c, atol=1e-5)
        lead_h, _ = net.members[0].features(ids)[1]
        assert torch.allclose(net.member_states(state)[0][0], lead_h, atol=1e-5)


def test_ensemble_cli_joins_bundles_measures_each_and_is_used_by_the_page_code(bundle, corpus, tmp_path):
    common = ["--data", str(corpus), "--epochs", "1", "--parts", "1", "--min-freq", "1", "--batch", "16", "--emb", "16"]
    wider = tmp_path / "wider"
    assert ac.train_cli([*common, "--hidden", "24", "--layers", "2", "--seed", "5", "--out", str(wider)]) == 0
    joined = tmp_path / "joined"
    assert ac.train_cli(["--data", str(corpus), "--ensemble", str(bundle), str(wider), "--out", str(joined)]) == 0
    card = json.loads((joined / "card.json").read_text())
    first, second = ac.load(bundle), ac.load(wider)
    assert "ensemble of 2" in card["model"] and card["headline"]["value"] == card["metrics"]["keystroke_savings"]
    assert [m["model"] for m in card["members"]] == ["1 x 16 LSTM", "2 x 24 LSTM"]
    _, valid = tatoeba_split(str(corpus))
    assert card["members"][1]["metrics"] == score(valid, lstm_sentence_probs(second), second.vocab)
    assert card["command"].endswith(f"--ensemble {bundle} {wider} --out {joined}")
    assert card["command"].count("python -m rnn.train autocomplete") == 3

    model = ac.load(joined)
    result = ac.predict(model, "you like the c")
    both = [lstm_sentence_probs(m)(m.vocab.encode(["you", "like", "the"]))[-1] for m in (first, second)]
    mean = (both[0] + both[1]) / 2
    assert result.completions and all(abs(p - mean[model.vocab.id(w)]) < 1e-4 for w, p in result.completions.items())
    assert result.trace.hidden.shape == (4, 16)  # the lead network's memory, and its guesses
    lead_guesses = model.lead.top_words(torch.tensor(result.trace.hidden[-1:]), READOUT_WORDS)[1][0].tolist()
    assert list(result.trace.readout[-1]) == [model.vocab.itos[i] for i in lead_guesses]
    assert "first network" in result.trace.readout_title
    assert model.recurrent_layers()["lstm"] is model.net.members[0].lstm
    assert result.continuation and result.continuation[0] in result.completions

    with pytest.raises(SystemExit, match="holds an ensemble"):
        ac.train_cli([*common, "--hidden", "16", "--init", str(joined), "--out", str(tmp_path / "x")])
    other = tmp_path / "other"
    assert ac.train_cli([*common, "--min-freq", "50", "--hidden", "8", "--out", str(other)]) == 0  # the last --min-freq wins
    with pytest.raises(SystemExit, match="same data and vocabulary"):
        ac.train_cli(["--data", str(corpus), "--ensemble", str(bundle), str(other), "--out", str(tmp_path / "y")])


def test_the_grey_continuation_stops_at_continuation_length_words(model):
    for text in ("", "You li", "Tom ", "you like "):
        model.clear_caches()
        result = ac.predict(model, text)
        ids = tuple(model.vocab.encode(result.context))
        top = list(result.completions if result.prefix else result.next_words)[:1]
        with torch.inference_mode():
            searched = beam_continuation(model, ids, [model.vocab.id(w) for w in top], max_words=CONTINUATION_LENGTH)
        assert result.continuation == searched and len(searched) <= CONTINUATION_LENGTH


def test_regression_the_grey_text_starts_with_the_top_suggestion_not_another_word(model):
    # the page showed "see you." in grey beside a top bar saying "go": the model contradicting itself
    for text in ("", "You li", "Tom ", "you like "):
        result = ac.predict(model, text)
        top = list(result.completions if result.prefix else result.next_words)[0]
        assert result.continuation[0] == top


def test_surface_forms_learn_names_and_ignore_the_capital_of_a_first_word():
    texts = ["Tom is here.", "I saw Tom today.", "Where is Tom?", "Apples are red.", "I like apples.", "We like NASA.",
             "Paris is big.", "I saw paris once.", "I saw Paris.", "I saw Paris too."]
    forms = surface_forms(texts)
    assert forms["tom"] == "Tom" and forms["nasa"] == "NASA" and forms["paris"] == "Paris"
    assert "apples" not in forms and "where" not in forms  # a capital only at a sentence's start says nothing


def test_join_words_writes_names_with_their_capitals():
    assert ac.join_words(["let", "'s", "meet", "tom", "."], capitalise=True, casing={"tom": "Tom"}) == "Let's meet Tom."


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"tom": 3, "bob": "Robert"}'])
def test_a_broken_casing_file_is_ignored(tmp_path, content):
    (tmp_path / "casing.json").write_text(content, encoding="utf-8")
    assert load_casing(tmp_path) == {}


def test_casing_travels_with_the_bundle_and_the_page_shows_it(model, tmp_path):
    save_casing(tmp_path, {"tom": "Tom"})
    assert load_casing(tmp_path) == {"tom": "Tom"}
    result = ac.predict(model, "you like ")
    result.casing = {"tom": "Tom"}
    assert result.written("tom") == "Tom" and result.written("i") == "I" and result.written("cat") == "cat"
    assert result.completed(["tom", "."]) == "you like Tom."
