"""Watch it learn: the grammar, the two networks, and the claim the page makes about them."""
import torch
from streamlit.testing.v1 import AppTest

from rnn.live_training import (MAX_SLOTS, SlotFeedForward, TinyRNN, encode, fresh_networks, negation_data, train_live,
                               vocabulary)
from tests.serve import ROOT


def test_labels_follow_negation():
    train, shifted = negation_data()
    for example in train + shifted:
        positive_word = any(w in ("good", "great", "nice", "fine") for w in example.words)
        assert example.label == int(positive_word != ("not" in example.words))


def test_not_stands_in_new_slots_only_in_the_shifted_test():
    train, shifted = negation_data()
    train_slots = {e.words.index("not") for e in train if "not" in e.words}
    shifted_slots = {e.words.index("not") for e in shifted if "not" in e.words}
    assert train_slots <= {3, 4} and not (shifted_slots & train_slots)
    assert max(len(e.words) for e in shifted) <= MAX_SLOTS


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


def test_the_rnn_generalises_to_new_positions_and_the_feedforward_network_does_not():
    train, shifted = negation_data()
    vocab = vocabulary()
    networks = fresh_networks(vocab)
    curves = {name: train_live(net, train, shifted, vocab, epochs=15) for name, net in networks.items()}
    rnn, ffn = curves["RNN (GRU)"][-1], curves["Feed-forward (one-hot by slot)"][-1]
    assert rnn["train_accuracy"] > 0.95 and ffn["train_accuracy"] > 0.95
    assert rnn["shifted_accuracy"] > 0.9
    assert ffn["shifted_accuracy"] < 0.7
    assert isinstance(networks["RNN (GRU)"], TinyRNN)


def test_live_training_leaves_global_randomness_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    vocab = vocabulary()
    train, shifted = negation_data()
    train_live(fresh_networks(vocab)["RNN (GRU)"], train[:32], shifted[:8], vocab, epochs=1)
    assert torch.equal(torch.rand(3), expected)


def test_page_trains_when_asked():
    app = AppTest.from_file(str(ROOT / "pages" / "6_Watch_It_Learn.py"), default_timeout=180)
    app.query_params["epochs"] = "5"
    app.run()
    assert not app.exception
    app.button[0].click().run()
    assert not app.exception
    assert app.success and "Both networks" in app.success[0].value
    table = app.dataframe[-1].value
    assert "shifted test accuracy" in table.columns
    expected = {name: f"{sum(p.numel() for p in net.parameters()):,}" for name, net in fresh_networks(vocabulary()).items()}
    assert table["parameters"].to_dict() == expected
