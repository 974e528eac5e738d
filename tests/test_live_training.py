"""Watch it learn: the grammar, the two networks, and the claim the page makes about them."""
import pytest
import torch
from streamlit.testing.v1 import AppTest

from rnn.live_training import (DEFAULT_EPOCHS, FEED_FORWARD_NAME, MAX_SLOTS, RNN_NAME, Example, SlotFeedForward, TinyRNN,
                               encode, featured_sentence, fresh_networks, negation_data, not_slots,
                               positive_probabilities, train_live, vocabulary, watch_sentences)
from tests.serve import ROOT


@pytest.fixture(scope="module")
def trained():
    """Both networks after the training the page runs by default, with each one's final P(positive) for every
    sentence the page offers to watch."""
    train, shifted = negation_data()
    vocab = vocabulary()
    networks = fresh_networks(vocab)
    curves = {name: train_live(net, train, shifted, vocab, epochs=DEFAULT_EPOCHS) for name, net in networks.items()}
    watchable = watch_sentences(shifted)
    final = {name: positive_probabilities(net, watchable, vocab) for name, net in networks.items()}
    return networks, curves, watchable, final


@pytest.fixture(scope="module")
def trained_page():
    app = AppTest.from_file(str(ROOT / "pages" / "6_Watch_It_Learn.py"), default_timeout=180)
    app.run()
    assert not app.exception
    app.button[0].click().run()
    assert not app.exception
    return app


def gets_right(probability: float, example: Example) -> bool:
    return (probability > 0.5) == bool(example.label)


def test_labels_follow_negation():
    train, shifted = negation_data()
    for example in train + shifted:
        positive_word = any(w in ("good", "great", "nice", "fine") for w in example.words)
        assert example.label == int(positive_word != ("not" in example.words))


def test_not_stands_in_new_slots_only_in_the_shifted_test():
    train, shifted = negation_data()
    assert not_slots(train) == [4, 5] and not_slots(shifted) == [7, 8]
    assert max(len(e.words) for e in shifted) <= MAX_SLOTS


def test_slots_count_from_one():
    example = Example(("the", "film", "was", "not", "good"), 0)
    assert not_slots([example]) == [4]


def test_page_names_the_slots_not_stands_in_counting_from_one(trained_page):
    markdown = " ".join(m.value for m in trained_page.markdown)
    assert "only ever stands in slot 4 or 5." in markdown
    assert "the rows for *not* in slots 7–8 never trained" in markdown


def test_slot_network_equals_a_dense_layer_on_concatenated_one_hots():
    vocab = vocabulary()
    net = SlotFeedForward(len(vocab), hidden=3, slots=5)
    ids, lengths, _ = encode(negation_data()[0][:4], vocab)
    one_hot = torch.zeros(len(ids), 5 * len(vocab))
    for row, sentence in enumerate(ids[:, :5]):
        for slot, word in enumerate(sentence):
            if word != 0:
                one_hot[row, slot * len(vocab) + word] = 1
    dense = torch.tanh(one_hot @ net.first.weight + net.bias)
    assert torch.allclose(net(ids, lengths), net.out(dense), atol=1e-5)


def test_the_rnn_generalises_to_new_positions_and_the_feedforward_network_does_not(trained):
    networks, curves, _, _ = trained
    rnn, ffn = curves[RNN_NAME][-1], curves[FEED_FORWARD_NAME][-1]
    assert rnn["train_accuracy"] > 0.95 and ffn["train_accuracy"] > 0.95
    assert rnn["shifted_accuracy"] > 0.9
    assert ffn["shifted_accuracy"] < 0.7
    assert isinstance(networks[RNN_NAME], TinyRNN)


def test_featured_sentence_is_one_the_feedforward_network_gets_wrong_and_the_rnn_right(trained):
    _, _, watchable, final = trained
    featured = featured_sentence(watchable, final)
    index = watchable.index(featured)
    assert not gets_right(final[FEED_FORWARD_NAME][index], featured)
    assert gets_right(final[RNN_NAME][index], featured)


def test_featured_sentence_falls_back_to_the_first_when_the_networks_agree():
    sentences = [Example(("not", "good"), 0), Example(("not", "bad"), 1)]
    assert featured_sentence(sentences, {RNN_NAME: [0.1, 0.9], FEED_FORWARD_NAME: [0.2, 0.8]}) == sentences[0]
    assert featured_sentence(sentences, {RNN_NAME: [0.1, 0.9], FEED_FORWARD_NAME: [0.2, 0.3]}) == sentences[1]


def test_probabilities_in_a_batch_equal_one_sentence_at_a_time():
    vocab = vocabulary()
    sentences = watch_sentences(negation_data()[1])[:5]
    for net in fresh_networks(vocab).values():
        batch = positive_probabilities(net, sentences, vocab)
        alone = [positive_probabilities(net, [s], vocab)[0] for s in sentences]
        assert batch == pytest.approx(alone, abs=1e-6)


def test_live_training_leaves_global_randomness_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    vocab = vocabulary()
    train, shifted = negation_data()
    train_live(fresh_networks(vocab)["RNN (GRU)"], train[:32], shifted[:8], vocab, epochs=1)
    assert torch.equal(torch.rand(3), expected)


def test_page_trains_when_asked(trained_page):
    assert trained_page.success and "Both networks" in trained_page.success[0].value
    table = trained_page.dataframe[-1].value
    assert "shifted test accuracy" in table.columns
    expected = {name: f"{sum(p.numel() for p in net.parameters()):,}" for name, net in fresh_networks(vocabulary()).items()}
    assert table["parameters"].to_dict() == expected


def test_page_features_a_sentence_the_feedforward_network_gets_wrong(trained_page, trained):
    _, _, watchable, final = trained
    shown = trained_page.selectbox(key="watch").value
    index = [e.text for e in watchable].index(shown)
    assert not gets_right(final[FEED_FORWARD_NAME][index], watchable[index])
    assert gets_right(final[RNN_NAME][index], watchable[index])
    assert any(f"“{shown}”" in m.value for m in trained_page.markdown)


def test_loss_chart_is_drawn_once(trained_page):
    # one loss chart (drawn live, then redrawn in place) and the watched sentence's chart
    assert len(trained_page.get("plotly_chart")) == 2
