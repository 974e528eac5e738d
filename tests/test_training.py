"""The shared training loop: it learns, keeps the best epoch, stops early, and repeats with a seed."""
import torch
from torch import nn

from rnn.training import count_parameters, ensemble_command, ensemble_train_seconds, fit


def xor_batches(epoch):
    x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = torch.tensor([0, 1, 1, 0])
    return [(x, y)] * 25


def train(epochs=8, patience=None, seed=3):
    torch.manual_seed(seed)
    model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 2))
    x, y = xor_batches(0)[0]

    def validate(m):
        return {"accuracy": float((m(x).argmax(1) == y).float().mean())}

    result = fit(model, train_batches=xor_batches, loss_of=lambda m, b: nn.functional.cross_entropy(m(b[0]), b[1]),
                 validate=validate, monitor="accuracy", epochs=epochs, lr=0.05, patience=patience, seed=seed)
    return model, result, validate


def test_fit_learns_xor_and_records_a_curve():
    model, result, validate = train()
    assert validate(model)["accuracy"] == 1.0
    assert [row["epoch"] for row in result.curve] == list(range(1, len(result.curve) + 1))
    assert result.curve[-1]["train_loss"] < result.curve[0]["train_loss"]


def test_fit_restores_the_best_epoch():
    model, result, validate = train()
    assert validate(model)["accuracy"] == result.best_metrics["accuracy"] == max(r["accuracy"] for r in result.curve)


def test_fit_stops_after_patience():
    _, result, _ = train(epochs=50, patience=2)
    assert len(result.curve) <= result.best_epoch + 2


def test_same_seed_same_curve():
    assert train(seed=5)[1].curve[-1]["train_loss"] == train(seed=5)[1].curve[-1]["train_loss"]


def test_count_parameters():
    assert count_parameters(nn.Linear(3, 2)) == 8


def test_the_card_says_where_a_model_was_trained():
    from rnn.training import trained_on

    assert trained_on("cpu") == "CPU"
    assert trained_on("cpu", "CPU") == "CPU"
    assert trained_on("cpu", "NVIDIA H100 80GB HBM3") == "NVIDIA H100 80GB HBM3, then CPU"


def test_an_ensembles_training_time_counts_shared_history_once():
    first = {"command": "python -m rnn.train x", "train_seconds": 100}
    resumed = {"command": "python -m rnn.train x && python -m rnn.train x --resume a", "train_seconds": 130}
    apart = {"command": "python -m rnn.train x --seed 2", "train_seconds": 90}
    assert ensemble_train_seconds([first, resumed]) == 130
    assert ensemble_train_seconds([first, apart]) == 190


def test_an_ensembles_command_rebuilds_every_member_once_then_joins_them():
    first = {"command": "train a"}
    continued = {"command": "train a && train b --init a"}
    assert ensemble_command([first, continued], "join a b") == "train a && train b --init a && join a b"
