"""The translate task: French units in and out, the split, a tiny model trained end to end, decoding, the CLI, the page."""
import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from rnn.checkpoint import BundleError
from rnn.data.tatoeba import group_references, is_valid, read_pairs, split_pairs
from rnn.nets.seq2seq import Hypothesis, beam_search, greedy
from rnn.tasks import translate
from rnn.tasks.translate import corpus
from rnn.tasks.translate import model as translator
from rnn.tasks.translate.confidence import UNSURE_BELOW, Confidence, confidence
from rnn.tasks.translate.train import _average_if_better
from rnn.text import Vocab

ROOT = Path(__file__).resolve().parent.parent
SUBJECTS = [("I", "Je", "suis"), ("You", "Tu", "es"), ("He", "Il", "est"), ("She", "Elle", "est")]
STATES = [("cold", "froid"), ("tired", "fatigué"), ("ready", "prêt"), ("here", "là")]


def write_pairs(path: Path) -> Path:
    """16 tiny pairs like 'I am cold.<TAB>Je suis froid.' (with a third column, as the contract allows)."""
    lines = []
    for en, fr, be in SUBJECTS:
        verb = "am" if en == "I" else "are" if en == "You" else "is"
        for state, etat in STATES:
            lines.append(f"{en} {verb} {state}.\t{fr} {be} {etat}.\tCC-BY")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A tiny translator trained for 2 passes through the real training CLI, and its data file."""
    root = tmp_path_factory.mktemp("translate")
    data = write_pairs(root / "pairs.txt")
    out = root / "bundle"
    argv = ["--data", str(data), "--out", str(out), "--epochs", "2", "--parts", "1", "--batch-size", "8",
            "--emb", "16", "--enc-hidden", "16", "--dec-hidden", "24", "--min-freq", "1", "--beam", "3"]
    assert translate.train_cli(argv) == 0
    return data, out, translate.load(out)


# ---------------------------------------------------------------- French units and the split


@pytest.mark.parametrize("sentence", [
    "Je n'aime pas ça !", "Qu'est-ce que c'est ?", "Il est allé à l'école aujourd'hui.",
    "« Bonjour », dit-il.", "J'ai 3,5 euros.", "Viens-tu ?",
])
def test_french_units_glue_back_to_the_sentence(sentence):
    assert translate.detokenize(translator.french_tokens(sentence)) == sentence


def test_french_elisions_are_separate_units():
    assert translator.french_tokens("Qu'il l'a vu.") == ["Qu'", "il", "l'", "a", "vu", "."]


def test_typographic_spaces_and_apostrophes_are_normalised():
    assert translator.french_tokens("C\u2019est vrai\u202f!") == ["C'", "est", "vrai", "!"]


def test_split_keeps_every_translation_of_a_sentence_on_one_side():
    pairs = [(f"Sentence {i}.", f"Phrase {i}{k}.") for i in range(400) for k in "ab"]
    train, valid = split_pairs(pairs)
    assert valid and train
    assert not {e for e, _ in train} & {e for e, _ in valid}
    assert all(is_valid(e) for e, _ in valid)
    english, refs = group_references(valid)
    assert all(len(r) == 2 for r in refs) and len(english) == len(valid) // 2


def test_read_pairs_takes_two_columns_and_skips_broken_lines(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("Go.\tVa !\tattribution\nno tab here\n\tempty English\nHi.\tSalut.\n", encoding="utf-8")
    assert read_pairs(path) == [("Go.", "Va !"), ("Hi.", "Salut.")]


def test_score_uses_all_references():
    hyps = ["Je suis prêt.", "Il est là."]
    refs = [["Je suis froid.", "Je suis prêt."], ["Il est là."]]
    assert corpus.score(hyps, refs)["bleu"] == pytest.approx(100.0)


# ---------------------------------------------------------------- the tiny model


def test_bundle_round_trip_and_card(tiny):
    _, out, model = tiny
    card = json.loads((out / "card.json").read_text(encoding="utf-8"))
    for key in ("task", "title", "model", "parameters", "data", "command", "curve", "metrics", "baselines",
                "headline", "train_seconds", "notes"):
        assert key in card
    assert {"bleu", "bleu_greedy", "chrf", "chrf_greedy"} <= set(card["metrics"])
    assert card["headline"]["key"] == "bleu" and len(card["curve"]) == 2
    assert "CC BY 2.0 FR" in card["data"]["licence"]
    assert card["trained_on"] == "CPU"
    again = translate.load(out)
    for name, tensor in model.net.state_dict().items():
        assert torch.equal(tensor, again.net.state_dict()[name])
    assert set(model.recurrent_layers().values()) == {model.net.encoder, model.net.decoder}


def test_resume_continues_the_curve_and_the_command(tiny, tmp_path):
    data, out, _ = tiny
    argv = ["--data", str(data), "--out", str(tmp_path), "--epochs", "2", "--parts", "1", "--batch-size", "8",
            "--beam", "2", "--resume", str(out), "--average", "2", "--dropout", "0.3"]
    assert translate.train_cli(argv) == 0
    assert translate.load(tmp_path).bundle.config.dropout == 0.3 != translate.load(out).bundle.config.dropout
    card = json.loads((tmp_path / "card.json").read_text(encoding="utf-8"))
    assert [row["epoch"] for row in card["curve"]] == [1, 2, 3, 4]
    assert "kept: row" in card["notes"] or "kept: the mean of rows 3-4" in card["notes"]
    assert card["command"].count("python -m rnn.train translate") == 2 and " && " in card["command"]
    assert translate.load(tmp_path).tgt_vocab.itos == translate.load(out).tgt_vocab.itos


def test_resume_with_no_epochs_only_re_measures(tiny, tmp_path):
    data, out, model = tiny
    argv = ["--data", str(data), "--out", str(tmp_path), "--epochs", "0", "--beam", "2", "--resume", str(out)]
    assert translate.train_cli(argv) == 0
    again = translate.load(tmp_path)
    assert again.bundle.card["curve"] == model.bundle.card["curve"] and "only re-measures" in again.bundle.card["notes"]
    assert all(torch.equal(a, b) for a, b in zip(again.net.state_dict().values(), model.net.state_dict().values()))
    assert again.lexicon == model.lexicon


def test_a_decoder_step_at_inference_gives_nn_grus_numbers():
    """Decoding steps the GRU with its own matrix products (Seq2Seq._gru_step); training uses nn.GRU."""
    from rnn.nets.seq2seq import Seq2Seq, Seq2SeqConfig

    torch.manual_seed(0)
    net = Seq2Seq(Seq2SeqConfig(src_vocab=20, tgt_vocab=30, emb=8, enc_hidden=6, dec_hidden=10)).eval()
    enc = net.encode(torch.randint(3, 20, (4, 5)), torch.tensor([5, 3, 1, 4]))
    prev, hidden = torch.randint(3, 30, (4,)), torch.randn(1, 4, 10)
    with torch.inference_mode():
        fast = net.step(prev, hidden, enc)
    slow = net.step(prev, hidden, enc)  # with gradients on: the nn.GRU path
    for a, b in zip(fast, slow):
        assert a.shape == b.shape and torch.allclose(a, b.detach(), atol=1e-6)


@pytest.mark.parametrize("members", [1, 2])
def test_a_beam_step_finds_the_same_best_extensions_as_the_whole_vocabulary(members):
    """best_next skips the adaptive softmax's clusters that cannot reach the k best: the same k as a top k over every
    word, on peaked distributions (clusters skipped) and flat ones (clusters needed) alike."""
    from rnn.nets.seq2seq import Seq2SeqConfig, build, select

    torch.manual_seed(members)
    net = build(Seq2SeqConfig(src_vocab=20, tgt_vocab=60, emb=32, enc_hidden=6, dec_hidden=10, cutoffs=(4, 30),
                              members=members)).eval()
    skipped = needed = 0
    with torch.inference_mode():
        for trial in range(40):
            width = 1 + trial % 4
            enc = select(net.encode(torch.randint(3, 20, (1, 5)), torch.tensor([5])), torch.zeros(width, dtype=torch.long))
            hidden = enc.start * (1 + trial % 3) + torch.randn_like(enc.start) * (trial % 5)
            prev, totals = torch.randint(3, 60, (width,)), -torch.rand(width) * 3
            scale = 10.0 if trial % 2 else 1.0  # sharper output layer: most steps need the head alone
            for member in getattr(net, "members", [net]):
                member.out.head.weight.mul_(scale)
            logp, full_hidden, _ = net.step(prev, hidden, enc)
            values, flat = (totals[:, None] + logp).flatten().topk(2 * width)
            best, new_hidden = net.best_next(prev, hidden, enc, totals, 2 * width)
            for member in getattr(net, "members", [net]):
                member.out.head.weight.div_(scale)
            assert list(zip(best.rows, best.words)) == [divmod(i, 60) for i in flat.tolist()]
            assert best.totals == pytest.approx(values.tolist(), abs=1e-5) and torch.equal(new_hidden, full_hidden)
            rare = (totals[:, None] + logp[:, 4:]).max()  # the best word outside the head
            skipped, needed = skipped + bool(values[-1] > rare), needed + bool(values[-1] <= rare)
    assert skipped and needed  # some steps could skip the rare words, others needed them


def test_inference_follows_weights_that_change_after_it_ran():
    """The decoder's contiguous weight copies are remade when training changes the weights."""
    from rnn.nets.seq2seq import Seq2Seq, Seq2SeqConfig

    torch.manual_seed(0)
    net = Seq2Seq(Seq2SeqConfig(src_vocab=20, tgt_vocab=30, emb=8, enc_hidden=6, dec_hidden=10)).eval()
    enc = net.encode(torch.randint(3, 20, (2, 5)), torch.tensor([5, 3]))
    prev, hidden = torch.randint(3, 30, (2,)), torch.randn(1, 2, 10)
    with torch.inference_mode():
        net.step(prev, hidden, enc)
    with torch.no_grad():
        for parameter in net.parameters():
            parameter.add_(0.1)
    with torch.inference_mode():
        after = net.step(prev, hidden, enc)
    reference = net.step(prev, hidden, enc)  # with gradients on: nn.Linear and nn.GRU themselves
    assert all(torch.allclose(a, b.detach(), atol=1e-5) for a, b in zip(after, reference))


def _ensemble(tiny, tmp_path, second: Path) -> translate.Translator:
    data, out, _ = tiny
    assert translate.train_cli(["--data", str(data), "--out", str(tmp_path / "ensemble"), "--beam", "2",
                                "--ensemble", str(out), str(second)]) == 0
    return translate.load(tmp_path / "ensemble")


def test_an_ensemble_of_one_network_twice_translates_exactly_as_the_network(tiny, tmp_path):
    _, out, model = tiny
    twice = _ensemble(tiny, tmp_path, out)
    assert len(twice.net.members) == 2 and twice.bundle.card["parameters"] == 2 * model.bundle.card["parameters"]
    for text in ("He is tired.", "Zorblax is cold."):
        alone, ensemble = translate.predict(model, text, beam=3), translate.predict(twice, text, beam=3)
        assert ensemble.translation == alone.translation and ensemble.target == alone.target
        assert [a.logprob for a in ensemble.alternatives] == pytest.approx([a.logprob for a in alone.alternatives], abs=1e-4)
        np.testing.assert_allclose(ensemble.attention, alone.attention, atol=1e-5)
        np.testing.assert_allclose(ensemble.trace.hidden_backward, alone.trace.hidden_backward, atol=1e-6)
    assert set(twice.recurrent_layers().values()) == {twice.net.members[0].encoder, twice.net.members[0].decoder}


def test_an_ensemble_averages_its_members_probabilities(tiny, tmp_path):
    data, out, model = tiny
    other = tmp_path / "other"
    assert translate.train_cli(["--data", str(data), "--out", str(other), "--epochs", "1", "--parts", "1", "--beam", "2",
                                "--batch-size", "8", "--resume", str(out), "--lr", "0.05", "--seed", "5"]) == 0
    ensemble, second = _ensemble(tiny, tmp_path, other), translate.load(other)
    ids = torch.tensor([[model.vocab.id("he"), model.vocab.id("is"), model.vocab.id("cold")]])
    with torch.inference_mode():
        mean = sum(m.net.reread(m.net.encode(ids, torch.tensor([3])), torch.tensor([[Vocab.bos_id]]))[0].exp()
                   for m in (model, second)) / 2
        joint = ensemble.net.reread(ensemble.net.encode(ids, torch.tensor([3])), torch.tensor([[Vocab.bos_id]]))[0].exp()
    torch.testing.assert_close(joint, mean)
    card = ensemble.bundle.card
    assert [m["bundle"] for m in card["members"]] == [str(out), str(other)]
    assert card["command"].endswith(f"--ensemble {out} {other}") and card["command"].count("--resume") == 1
    assert card["metrics"]["bleu"] == card["headline"]["value"] and "ensemble of 2" in card["model"]
    assert card["members"][1]["bleu_greedy"] == corpus.evaluate_pairs(second, read_pairs(data)[:1], beam=1)["bleu"]
    with pytest.raises(SystemExit, match="resume one of its members"):
        translate.train_cli(["--data", str(data), "--out", str(tmp_path / "x"), "--resume", str(tmp_path / "ensemble")])


def test_networks_of_different_sizes_cannot_form_an_ensemble(tiny, tmp_path):
    data, out, _ = tiny
    argv = ["--data", str(data), "--out", str(tmp_path / "small"), "--epochs", "1", "--parts", "1", "--emb", "8",
            "--enc-hidden", "8", "--dec-hidden", "8", "--min-freq", "1"]
    assert translate.train_cli(argv) == 0
    with pytest.raises(SystemExit, match="same sizes and vocabularies"):
        _ensemble(tiny, tmp_path, tmp_path / "small")


@pytest.mark.parametrize("mean_scores_higher", [True, False])
def test_checkpoint_averaging_keeps_the_mean_only_when_it_translates_better(mean_scores_higher):
    net = torch.nn.Linear(2, 2)
    states = [{k: torch.full_like(v, value) for k, v in net.state_dict().items()} for value in (1.0, 3.0)]
    before = {k: v.clone() for k, v in net.state_dict().items()}
    kept_mean = _average_if_better(net, states, 30.0, lambda m: {"bleu": 31.0 if mean_scores_higher else 29.0})
    assert kept_mean == mean_scores_higher
    expected = {k: torch.full_like(v, 2.0) for k, v in before.items()} if mean_scores_higher else before
    assert all(torch.equal(net.state_dict()[k], expected[k]) for k in before)


def test_load_missing_bundle_names_the_rebuild_command(tmp_path):
    with pytest.raises(BundleError, match="python -m rnn.train translate"):
        translate.load(tmp_path)


def _encode(model, sentence):
    ids = [model.vocab.id(w.lower()) for w in translator.english_tokens(sentence)]
    return model.net.encode(torch.tensor([ids]), torch.tensor([len(ids)]))


@pytest.mark.parametrize("sentence", ["I am cold.", "She is ready.", "You are here.", "cold cold he"])
def test_greedy_equals_beam_of_width_one(tiny, sentence):
    model = tiny[2]
    with torch.inference_mode():
        enc = _encode(model, sentence)
        ids, scores = greedy(model.net, enc, Vocab.bos_id, Vocab.eos_id, 12)
        best = beam_search(model.net, enc, Vocab.bos_id, Vocab.eos_id, 12, width=1)
    assert len(best) == 1 and best[0].ids == ids[0]
    assert best[0].logprob == pytest.approx(scores[0], abs=1e-4)


def test_beam_scores_are_sorted_best_first(tiny):
    model = tiny[2]
    with torch.inference_mode():
        hyps = beam_search(model.net, _encode(model, "He is tired."), Vocab.bos_id, Vocab.eos_id, 12, width=4)
    scores = [h.score for h in hyps]
    assert 1 < len(hyps) <= 4 and scores == sorted(scores, reverse=True)
    result = translate.predict(model, "He is tired.", beam=4)
    assert [a.score for a in result.alternatives] == sorted((a.score for a in result.alternatives), reverse=True)
    # The beam's best, as the decoder wrote it, is the translation once any <unk> in it is replaced.
    assert result.alternatives[0].text == translate.detokenize(result.target[:-1])
    assert result.translation == translate.detokenize(result.written()[:-1])


def test_predict_lays_the_decoding_open(tiny):
    result = translate.predict(tiny[2], "I am tired.", beam=3)
    n_src, n_tgt = len(result.source), len(result.target)
    assert result.source == ["I", "am", "tired", "."] and result.target[-1] == "<eos>"
    assert result.attention.shape == (n_tgt, n_src)
    assert np.allclose(result.attention.sum(axis=1), 1.0, atol=1e-4)
    assert len(result.steps) == n_tgt and all(len(s) == translator.STEP_TOP for s in result.steps)
    trace = result.trace
    assert trace.hidden.shape[0] == n_src and trace.hidden_backward.shape == trace.hidden.shape
    assert len(trace.readout) == n_src and all(trace.known)


def test_the_lexicon_is_learned_from_the_pairs_and_travels_with_the_bundle(tiny):
    data, out, model = tiny
    assert translator.build_lexicon(read_pairs(data))["cold"] == "froid"
    assert (out / translator.LEXICON_FILE).is_file() and model.lexicon["tired"] == "fatigué"


@pytest.mark.parametrize("content", ["not json", '["a list"]', '{"cold": 3, "tired": "fatigué"}'])
def test_a_broken_lexicon_falls_back_to_copying(tiny, tmp_path, content):
    shutil.copytree(tiny[1], tmp_path / "bundle")
    (tmp_path / "bundle" / translator.LEXICON_FILE).write_text(content, encoding="utf-8")
    model = translate.load(tmp_path / "bundle")
    assert model.lexicon == ({"tired": "fatigué"} if "tired" in content else {})
    assert isinstance(translate.predict(model, "I am cold.").translation, str)


def test_an_unknown_french_word_is_replaced_through_attention(tiny):
    model = dataclasses.replace(tiny[2], lexicon={"hawks": "faucons"})
    units = ["J'", "ai", "vu", "<unk>", "et", "<unk>", "<eos>"]
    attention = np.full((len(units), 4), 0.1, dtype=np.float32)
    attention[3, 2] = attention[5, 3] = 0.7  # the first <unk> looked at "hawks", the second at "Zorblax"
    replaced = translator.replace_unknowns(model, ["I", "saw", "hawks", "Zorblax"], units, attention)
    assert replaced == {3: ("hawks", "faucons"), 5: ("Zorblax", "Zorblax")}  # lexicon, else copied as typed


def test_decoding_never_shows_unk_in_the_french(tiny, monkeypatch):
    """Force the decoder to write only <unk>: both decoders hand back the English word's French instead."""
    model = tiny[2]
    monkeypatch.setattr(corpus, "greedy", lambda net, enc, *a: ([[Vocab.unk_id]] * enc.mask.size(0), [0.0]))
    assert corpus.translate_corpus(model, ["I am cold.", "She is ready."], beam=1)[0] in set(model.lexicon.values())
    hypothesis = Hypothesis([Vocab.unk_id], -1.0, -1.0, True)
    monkeypatch.setattr(translator, "beam_search", lambda *a, **k: [hypothesis])
    result = translate.predict(model, "She is ready.", beam=2)
    assert result.target == ["<unk>", "<eos>"] and list(result.replaced) == [0]
    english, french = result.replaced[0]
    assert english in result.source and result.translation == french == model.lexicon[english.lower()]


@pytest.mark.parametrize("text", ["", "   \n\t", "😀🚀", "<script>alert(1)</script>", "x" * 10_000,
                                  "cold " * 3000, "Zorblax quibbled vexingly."],
                         ids=["empty", "whitespace", "emoji", "script", "10k-chars", "3000-words", "unknown"])
def test_predict_never_raises_on_bad_input(tiny, text):
    result = translate.predict(tiny[2], text)
    assert isinstance(result.translation, str)
    assert len(result.source) <= 200 and len(result.trace) == len(result.source)
    if not result.source:
        assert result.translation == "" and result.notes
    elif not all(result.trace.known):
        assert any("<unk>" in note for note in result.notes)


# ---------------------------------------------------------------- the CLI


def _check_json(stdout: str, decoding: str) -> None:
    result = json.loads(stdout.strip().splitlines()[-1])
    assert set(result) == {"bleu", "chrf", "n_sentences", "n_pairs", "decoding", "flagged_share", "chrf_flagged", "chrf_unflagged"}
    assert 0 <= result["flagged_share"] <= 1
    assert result["n_sentences"] == 16 and result["n_pairs"] == 16 and result["decoding"] == decoding
    assert 0 <= result["bleu"] <= 100


def test_evaluate_cli_prints_json_last(tiny):
    data, out, _ = tiny
    run = subprocess.run([sys.executable, "-m", "rnn.evaluate", "translate", str(data), "--bundle", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    _check_json(run.stdout, "greedy")


def test_evaluate_cli_accepts_beam(tiny, capsys):
    from rnn.evaluate import EVALUATORS
    from rnn.train import dispatch

    data, out, _ = tiny
    assert dispatch(EVALUATORS, ["translate", str(data), "--bundle", str(out), "--beam", "3"], "evaluate") == 0
    _check_json(capsys.readouterr().out, "beam 3")


def test_evaluate_groups_references_by_english_sentence(tiny, tmp_path):
    path = tmp_path / "multi.txt"
    path.write_text("I am cold.\tJe suis froid.\nI am cold.\tJ'ai froid.\nHe is here.\tIl est là.\n", encoding="utf-8")
    result = corpus.evaluate_pairs(tiny[2], read_pairs(path))
    assert (result["n_sentences"], result["n_pairs"]) == (2, 3)


# ---------------------------------------------------------------- the page


@pytest.mark.skipif(not (ROOT / "assets" / "translate" / "model.pt").is_file(),
                    reason="assets/translate/model.pt is missing: train it with python -m rnn.train translate")
def test_page_translates_typed_text():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "2_Translate.py"), default_timeout=60).run()
    assert not at.exception
    at.text_input(key="text").set_value("The man bit the dog.").run()
    assert not at.exception
    assert at.code[0].value.strip() and at.code[0].value != "(no translation)"
    at.text_input(key="text").set_value("Dhaval loves baby yoda.").run()  # unknown words: never <unk> in the French
    assert not at.exception and at.code[0].value.strip() and "<unk>" not in at.code[0].value
    at.text_input(key="text").set_value("<script>alert(1)</script>").run()
    assert not at.exception
    at.slider(key="beam").set_value(1).run()
    assert not at.exception
    at.text_input(key="text").set_value("").run()
    assert not at.exception and at.info


@pytest.mark.skipif(not (ROOT / "assets" / "translate" / "model.pt").is_file(),
                    reason="assets/translate/model.pt is missing: train it with python -m rnn.train translate")
def test_page_says_plainly_when_a_translation_is_unsure_and_why():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "pages" / "2_Translate.py"), default_timeout=60)
    at.query_params["text"] = "My grandmother makes the best chocolate cake in the world."
    at.run()
    warning = next(w.value for w in at.warning if "Unsure translation" in w.value)
    assert "on average they gave each French word" in warning and "least likely" in warning
    at.text_input(key="text").set_value("My sister is a doctor.").run()
    assert not any("Unsure translation" in w.value for w in at.warning)
    assert any(c.value.startswith("**Fairly sure:**") for c in at.caption)
    # and the first-word chart's caption says how the first French word changed
    at.text_input(key="text").set_value("My grandmother lives in a small village.").run()
    assert any("after “grandmother” it becomes *Ma*" in c.value for c in at.caption)


def test_the_cards_table_shows_each_network_of_the_ensemble_alone():
    from rnn.ui import metrics_table

    card = {"metrics": {"bleu": 40.15, "bleu_greedy": 37.15},
            "members": [{"bundle": "a", "bleu": 39.66, "bleu_greedy": 36.44, "train_seconds": 100},
                        {"bundle": "b", "bleu": 38.91, "bleu_greedy": 36.33, "train_seconds": 90}],
            "baselines": {"word-by-word dictionary": {"bleu": 10.1}}}
    table = metrics_table(card)
    assert list(table.index) == ["This RNN", "Network 1 alone", "Network 2 alone", "word-by-word dictionary"]
    assert table.loc["Network 2 alone", "bleu"] == 38.91 and "train_seconds" not in table.columns


# ---------------------------------------------------------------- how sure a translation is


def _rated(model, sentence):
    enc = _encode(model, sentence)
    ids = beam_search(model.net, enc, Vocab.bos_id, Vocab.eos_id, 20, width=3)[0].ids
    return ids, enc, confidence(model.net, enc, ids)


def test_confidence_is_the_geometric_mean_probability_of_the_written_units(tiny):
    _, _, model = tiny
    ids, enc, rated = _rated(model, "He is tired.")
    log_probs, _ = model.net.reread(enc, torch.tensor([[Vocab.bos_id] + ids]))
    chosen = log_probs[0, torch.arange(len(ids) + 1), torch.tensor(ids + [Vocab.eos_id])]
    assert rated.value == pytest.approx(float(chosen.mean().exp()), rel=1e-5)
    assert rated.networks == [pytest.approx(rated.value)]
    assert rated.weakest_probability == pytest.approx(float(chosen.min().exp()), rel=1e-5)
    assert 0 < rated.value <= 1


def test_an_ensemble_is_rated_together_and_each_network_alone(tiny, tmp_path):
    data, out, _ = tiny
    other = tmp_path / "other"
    assert translate.train_cli(["--data", str(data), "--out", str(other), "--epochs", "1", "--parts", "1", "--beam", "2",
                                "--batch-size", "8", "--resume", str(out), "--lr", "0.05", "--seed", "5"]) == 0
    ensemble = _ensemble(tiny, tmp_path, other)
    _, _, rated = _rated(ensemble, "She is ready.")
    assert len(rated.networks) == 2
    # per unit, the mean of two probabilities is at least their geometric mean, so the ensemble rates at least its least sure network
    assert min(rated.networks) - 1e-6 <= rated.value


def test_unsure_below_the_threshold():
    def rated(value):
        return Confidence(value=value, networks=[value], weakest=0, weakest_probability=value)

    assert rated(UNSURE_BELOW - 1e-6).unsure and not rated(UNSURE_BELOW).unsure


def test_confidence_split_scores_each_group_on_its_own():
    def decoded(text, value):
        return corpus.Decoded(text, Confidence(value, [value], 0, value))

    rows = [decoded("Je suis froid.", 0.9), decoded("Il est là.", 0.95), decoded("Le chat gâteau.", 0.1), corpus.Decoded("Tu es prêt.")]
    references = [["Je suis froid."], ["Il est là."], ["Elle est fatiguée."], ["Tu es prêt."]]
    split = corpus.confidence_split(rows, references)
    assert split["flagged_share"] == 0.25  # one of four; a sentence without a confidence is never flagged
    assert split["chrf_flagged"] == corpus.score(["Le chat gâteau."], [["Elle est fatiguée."]])["chrf"]
    assert split["chrf_unflagged"] == corpus.score(["Je suis froid.", "Il est là.", "Tu es prêt."],
                                                      [references[0], references[1], references[3]])["chrf"]
    assert corpus.confidence_split(rows[:2], references[:2])["chrf_flagged"] is None


def test_the_cards_table_reads_as_names_percentages_and_dashes():
    from rnn.ui import card_table

    card = {"metrics": {"bleu": 40.15, "bleu_greedy": 37.15, "n_sentences": 2380, "flagged_share": 0.2512},
            "baselines": {"word-by-word dictionary": {"bleu": 10.1}}}
    table = card_table(card)
    assert list(table.columns) == ["BLEU (beam)", "BLEU (greedy)", "flagged unsure"]  # counts are not scores
    assert table.loc["This RNN"].tolist() == ["40.15", "37.15", "25.1%"]
    assert table.loc["word-by-word dictionary"].tolist() == ["10.10", "–", "–"]
