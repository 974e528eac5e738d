"""Word attributions (occlusion): on toy networks whose answer depends on one known word, that word comes first,
through the method itself and through each task's adapter; the narration and the shaded words; the faithfulness CLI."""
import csv
import json

import pytest
import torch
from torch import nn

from rnn import attribution
from rnn.attribution.explain import attention_versus_attribution, influence_html
from rnn.attribution.faithfulness import faithfulness_cli
from rnn.checkpoint import Bundle, save_bundle
from rnn.nets.lm import LMConfig, LSTMLanguageModel
from rnn.nets.seq2seq import Seq2Seq, Seq2SeqConfig, Seq2SeqEnsemble
from rnn.nets.stars import StarsConfig, StarsPair
from rnn.nets.tagger import BiLSTMTagger, TaggerConfig
from rnn.tasks.autocomplete.model import AutocompleteModel
from rnn.tasks.entities import EntityModel
from rnn.tasks.stars.model import StarsModel
from rnn.tasks.translate.model import Translator
from rnn.text import Vocab

WORDS = ["the", "dress", "is", "not", "nice", "very", "fit", "."]
KEY = "not"  # in every toy network below, the only word the answer can depend on
VOCAB = Vocab.build([WORDS])
SENTENCE = ["the", "dress", "is", "not", "very", "nice", "."]


def only_the_key_word_reads(embedding: nn.Embedding, vocab: Vocab = VOCAB, key: str = KEY) -> None:
    """Every word but key (and <unk>) reads as zeros, so with zero recurrent biases the state stays zero until key."""
    with torch.no_grad():
        embedding.weight.zero_()
        embedding.weight[vocab.id(key)] = torch.linspace(0.5, 1.5, embedding.weight.shape[1])


def zero_biases(*modules: nn.Module) -> None:
    with torch.no_grad():
        for module in modules:
            for name, parameter in module.named_parameters():
                if "bias" in name:
                    parameter.zero_()


def assert_key_first(found: attribution.Attribution, tokens=SENTENCE, key: str = KEY) -> None:
    """key ranks first, and occluding any other word changes nothing (it read as zeros either way)."""
    assert found.tokens == list(tokens)
    assert found.tokens[found.ranked()[0]] == key
    key_score = abs(found.scores[tokens.index(key)])
    assert key_score > 1e-4
    assert all(abs(s) < 1e-6 for t, s in zip(tokens, found.scores) if t != key)


# ---------------------------------------------------------------- the method


class ToyRNN(nn.Module):
    """A plain tanh RNN whose answer is its last state summed: only the key word's embedding is not zero."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.embedding = nn.Embedding(len(VOCAB), 4)
        self.rnn = nn.RNN(4, 4, batch_first=True)
        only_the_key_word_reads(self.embedding)
        zero_biases(self.rnn)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.rnn(self.embedding(ids))[0][:, -1].sum(-1)


def test_occlusion_puts_the_word_the_answer_depends_on_first():
    net = ToyRNN().eval()
    ids = torch.tensor(VOCAB.encode(SENTENCE))
    answer, scores = attribution.occlusion_scores(net, (ids,), (Vocab.unk_id,))
    with torch.no_grad():
        assert answer == pytest.approx(float(net(ids[None])[0]))
    found = attribution.Attribution(SENTENCE, scores, answer, "the toy answer", "stars")
    assert_key_first(found)


def test_occlusion_reads_every_variant_in_one_batch():
    calls = []

    def answer(rows: torch.Tensor) -> torch.Tensor:
        calls.append(rows.clone())
        return (rows == VOCAB.id(KEY)).sum(-1).float()

    ids = torch.tensor(VOCAB.encode(SENTENCE))
    value, scores = attribution.occlusion_scores(answer, (ids,), (Vocab.unk_id,))
    assert len(calls) == 1 and calls[0].shape == (len(SENTENCE) + 1, len(SENTENCE))
    assert value == 1.0 and scores == [1.0 if w == KEY else 0.0 for w in SENTENCE]


# ---------------------------------------------------------------- each task's adapter, on a tiny model it builds


def test_stars_adapter_finds_the_word_the_stars_depend_on():
    found = attribution.stars_attribution(toy_stars_model(), SENTENCE)
    assert_key_first(found)
    assert 1 <= found.answer <= 5


def toy_stars_model() -> StarsModel:
    torch.manual_seed(1)
    config = StarsConfig(vocab_size=len(VOCAB), embed=6, hidden=5, ann_hidden=4)
    pair = StarsPair(config).eval()
    only_the_key_word_reads(pair.rnn.embedding)
    zero_biases(pair.rnn.forward_gru, pair.rnn.backward_gru)
    return StarsModel(bundle=Bundle(pair, config, {"words": VOCAB}, {}), vocab=VOCAB)


def toy_entities_model() -> EntityModel:
    tags = ["O", "B-PER", "I-PER", "B-LOC", "I-LOC"]
    chars = Vocab.build([list("".join(WORDS))])
    torch.manual_seed(2)
    config = TaggerConfig(n_words=len(VOCAB), n_chars=len(chars), tags=tags, word_dim=6, char_dim=4, char_filters=3,
                          case_dim=2, hidden=5)
    net = BiLSTMTagger(config).eval()
    only_the_key_word_reads(net.word_emb)
    with torch.no_grad():  # characters and casing read as zeros too: only the key word's table row is not
        net.char_emb.weight.zero_()
        net.case_emb.weight.zero_()
    zero_biases(net.lstm, net.char_cnn)
    return EntityModel(Bundle(net, config, {"words": VOCAB, "chars": chars}, {}))


def test_entities_adapter_finds_the_word_a_tag_depends_on():
    found = attribution.entity_attribution(toy_entities_model(), SENTENCE, 1, "PER")
    assert_key_first(found)
    assert "“dress” is a person" in found.measure and found.target == "dress"
    assert influence_html(found).count("3px solid") == 1  # the word whose tag it explains is framed
    assert "The framed word, “dress”," in attribution.reading_guide(found)


def toy_translator(members: int = 1) -> Translator:
    french = Vocab.build([["la", "robe", "ne", "pas", "belle"]])
    torch.manual_seed(3)
    config = Seq2SeqConfig(src_vocab=len(VOCAB), tgt_vocab=len(french), emb=6, enc_hidden=5, dec_hidden=7,
                           members=members)
    net = (Seq2SeqEnsemble(config) if members > 1 else Seq2Seq(config)).eval()
    for member in getattr(net, "members", [net]):
        only_the_key_word_reads(member.src_emb)
        zero_biases(member.encoder)
    return Translator(bundle=Bundle(net, config, {"src": VOCAB, "tgt": french}, {}), net=net, vocab=VOCAB, tgt_vocab=french)


@pytest.mark.parametrize("members", [1, 2])
def test_translate_adapter_finds_the_english_word_a_french_word_depends_on(members):
    found = attribution.translation_attribution(toy_translator(members), SENTENCE, ["la", "robe", "pas", "<eos>"], 2)
    assert_key_first(found)
    assert found.answer < 0 and "“pas”" in found.measure  # a log-probability


def toy_language_model() -> AutocompleteModel:
    torch.manual_seed(4)
    config = LMConfig(vocab_size=len(VOCAB), emb=6, hidden=5, layers=1, dropout=0.0, cutoffs=[])
    net = LSTMLanguageModel(config).eval()
    only_the_key_word_reads(net.embed)
    zero_biases(net.lstm)
    with torch.no_grad():
        net.bias.copy_(torch.linspace(0, 1, len(VOCAB)))  # a clear top guess: the last word
    return AutocompleteModel(Bundle(net, config, {"words": VOCAB}, {}))


def test_autocomplete_adapter_finds_the_word_the_next_guess_depends_on():
    model = toy_language_model()
    found = attribution.next_word_attribution(model, SENTENCE, written=str.upper)
    assert_key_first(found, [w.upper() for w in SENTENCE], KEY.upper())  # written the page's way
    assert 0 < found.answer < 1 and "“VERY” as the next word" in found.measure  # the bias makes "very" the top guess
    given = attribution.next_word_attribution(model, SENTENCE, guess="very")  # as the page passes its top bar's word
    assert given.target == found.target == "very" and given.scores == pytest.approx(found.scores)


def test_attribute_explains_nothing_without_a_pick_or_a_word():
    model = toy_stars_model()
    assert attribution.stars_attribution(model, []) is None
    assert attribution.translation_attribution(None, SENTENCE, ["la"], 3) is None
    assert attribution.entity_attribution(None, SENTENCE, len(SENTENCE), "O") is None


# ---------------------------------------------------------------- narration and the shaded words


def made_up(scores, kind="stars", answer=3.5) -> attribution.Attribution:
    return attribution.Attribution(["Not", "bad", "<b>at</b>", "all"], scores, answer, "the expected number of stars", kind)


def test_narration_is_written_from_the_numbers():
    text = attribution.narrate(made_up([1.4, -0.3, 0.0, -2.1]))
    assert text.startswith("The expected number of stars is 3.50. “all” changed it most: \u22122.10 stars.")
    assert "the answer would be 5.60, so “all” pushed it down" in text
    assert text.endswith("Next: “Not” +1.40 stars, “bad” \u22120.30 stars.")  # the zero score is left out


def test_narration_says_so_when_no_word_matters():
    assert "No single word changes it noticeably" in attribution.narrate(made_up([0.001, 0.0, -0.002, 0.0]))


def test_probabilities_are_narrated_in_points():
    text = attribution.narrate(made_up([0.01, 0.3, 0.0, 0.0], kind="probability", answer=0.004))
    assert "is <1%" in text and "+30 points" in text and "+1 point." in text


def test_shaded_words_escape_user_text_and_colour_by_sign():
    shown = attribution.influence_html(made_up([1.0, -1.0, 0.0, 0.5]))
    assert "<b>" not in shown and "&lt;b&gt;at&lt;/b&gt;" in shown
    assert "rgba(0,114,178,0.85)" in shown and "rgba(213,94,0,0.85)" in shown and "rgba(0,114,178,0.00)" in shown
    assert "\u22121.00" in shown  # the change is written under the word, not told by colour alone


def test_attention_and_attribution_are_compared_on_the_same_words():
    found = made_up([0.1, 2.0, 0.0, 0.0], kind="logprob", answer=-0.1)
    differ = attention_versus_attribution(found, [0.0, 0.0, 0.0, 1.0])
    assert "looked hardest at “all” (100%)" in differ and "most is “bad”" in differ and "a different word" in differ
    assert "the same word" in attention_versus_attribution(found, [0.0, 0.9, 0.1, 0.0])


# ---------------------------------------------------------------- the faithfulness check


TOY_CARD = {"title": "toy", "model": "toy", "parameters": 1, "data": {"name": "toy", "licence": "none"},
            "command": "none", "curve": [], "metrics": {}, "train_seconds": 0}


def run_cli(argv: list[str], capsys) -> dict:
    assert faithfulness_cli(argv) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"top_word_change", "random_word_change", "n", "method"} <= set(result)
    assert result["method"] == attribution.METHOD
    return result


def test_faithfulness_cli_on_reviews_prints_the_contract_json_last(tmp_path, capsys):
    model = toy_stars_model()
    save_bundle(tmp_path / "bundle", model.net, model.config, {"words": VOCAB}, {"task": "stars", **TOY_CARD})
    reviews = ["The dress is not nice.", "Not very nice, the fit.", "very nice", "nice", "The fit is not very nice."]
    with open(tmp_path / "reviews.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["", "Clothing ID", "Title", "Review Text", "Rating"])
        writer.writerows([i, 7, "t", text, 3] for i, text in enumerate(reviews))
    (tmp_path / "split.csv").write_text("id,split\n0,valid\n1,valid\n2,train\n3,valid\n4,valid\n", encoding="utf-8")
    result = run_cli(["stars", str(tmp_path / "reviews.csv"), "--split", str(tmp_path / "split.csv"),
                      "--bundle", str(tmp_path / "bundle")], capsys)
    assert result["n"] == 3  # the valid rows of two words or more
    assert result["top_word_change"] > result["random_word_change"]  # the key word is in every one of them


def test_faithfulness_cli_on_the_other_tasks_runs_on_their_own_formats(tmp_path, capsys):
    toys = {"entities": (toy_entities_model(), "valid.conll", "the B-PER\ndress I-PER\nis O\nnot O\nnice O\n\n"),
            "translate": (toy_translator(), "pairs.tsv", "the dress is not nice .\tla robe ne pas belle\n"),
            "autocomplete": (toy_language_model(), "sentences.txt", "the dress is not very nice .\n")}
    for task, (model, name, text) in toys.items():
        save_bundle(tmp_path / task, model.bundle.model, model.bundle.config, model.bundle.vocabs, {"task": task, **TOY_CARD})
        (tmp_path / name).write_text(text, encoding="utf-8")
        result = run_cli([task, str(tmp_path / name), "--bundle", str(tmp_path / task)], capsys)
        assert result["n"] == 1 and result["top_word_change"] >= result["random_word_change"], task
