"""Your sentences: the training engine keeps its time budget, trains one at a time, and each ready-made dataset's
pair of sentences shows what the page says it shows."""
import json
import threading
import time

import pytest
import torch

from rnn.own import report
from rnn.own.data import parse_csv, to_csv
from rnn.own.datasets import READY_MADE
from rnn.own.engine import MIN_UPDATES, TrainingQueue, prepare
from rnn.own.model import FEED_FORWARD_NAME, RNN_NAME, predict


def tiny_data():
    rows = [(f"the {thing} was {'not ' if i % 3 == 0 else ''}{'good' if i % 2 else 'bad'}",
             "positive" if (i % 2 == 1) != (i % 3 == 0) else "negative")
            for i, thing in enumerate(["film", "food", "song", "show", "trip"] * 8)]
    return parse_csv(to_csv(rows))


def test_a_tiny_budget_stops_training_early():
    training = prepare(tiny_data())
    training.run(seconds=0.0)
    assert training.out_of_time
    # one epoch each, where a full training runs MIN_UPDATES epochs of this one-batch data
    assert len(training.history[FEED_FORWARD_NAME]) == 1 and len(training.history[RNN_NAME]) == 1 < MIN_UPDATES


def test_training_restores_the_thread_count_and_leaves_global_randomness_alone():
    torch.set_num_threads(2)
    torch.manual_seed(5)
    expected = torch.rand(1)
    torch.manual_seed(5)
    prepare(tiny_data()).run(seconds=0.0)
    assert torch.get_num_threads() == 2
    assert torch.equal(torch.rand(1), expected)
    torch.set_num_threads(1)


def test_each_epoch_is_reported_with_the_held_out_accuracy():
    seen = []
    training = prepare(tiny_data())
    training.run(seconds=0.0, on_epoch=lambda name, row: seen.append((name, row["epoch"], row["valid_accuracy"])))
    assert [name for name, _, _ in seen] == [FEED_FORWARD_NAME, RNN_NAME]
    assert all(0 <= accuracy <= 1 for _, _, accuracy in seen)


def test_two_trainings_at_once_run_one_after_the_other():
    queue, events, positions = TrainingQueue(), [], []
    first_inside = threading.Event()

    def first():
        with queue.turn():
            events.append("first starts")
            first_inside.set()
            time.sleep(0.3)
            events.append("first ends")

    def second():
        first_inside.wait(5)
        with queue.turn(on_wait=positions.append):
            events.append("second starts")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert events == ["first starts", "first ends", "second starts"]
    assert positions and set(positions) == {1}  # one training ahead of it while it waited
    assert len(queue) == 0


def test_a_stopped_wait_leaves_the_queue():
    queue = TrainingQueue()

    def give_up(ahead):
        raise KeyboardInterrupt

    with queue.turn():
        done = threading.Event()

        def waiter():
            with pytest.raises(KeyboardInterrupt):
                with queue.turn(on_wait=give_up):
                    pass
            done.set()

        thread = threading.Thread(target=waiter)
        thread.start()
        assert done.wait(5)
        thread.join()
        assert len(queue) == 1
    assert len(queue) == 0


@pytest.fixture(scope="module")
def trained_ready_made():
    """Each ready-made dataset trained with the page's defaults."""
    models = {}
    for key, dataset in READY_MADE.items():
        training = prepare(parse_csv(dataset.csv()))
        training.run()
        assert not training.out_of_time, f"{key}: the default training should end before its budget"
        models[key] = training.result(dataset.title, "generated", demo=dataset.pair[0][0])
    return models


@pytest.mark.parametrize("key", list(READY_MADE))
def test_the_pair_shows_the_rnn_reading_past_the_feed_forward_slots(trained_ready_made, key):
    model, pair = trained_ready_made[key], READY_MADE[key].pair
    answers = [report.answers(model, text) for text, _ in pair]
    assert all(a[RNN_NAME][0] == truth for a, (_, truth) in zip(answers, pair))  # the RNN gets both right
    ff = [predict(model, text).ff_probs for text, _ in pair]
    assert ff[0] == ff[1]  # it reads only the shared first 12 words...
    assert any(a[FEED_FORWARD_NAME][0] != truth for a, (_, truth) in zip(answers, pair))  # ...so one is wrong
    verdict = report.pair_verdict(model, pair)
    assert "exactly the same answer" in verdict and "gets 2 of 2 right" in verdict.split("The RNN")[1]


@pytest.mark.parametrize("key", list(READY_MADE))
def test_the_rnn_beats_the_majority_guess_on_held_out_sentences(trained_ready_made, key):
    card = trained_ready_made[key].bundle.card
    assert card["metrics"]["accuracy"] > card["baselines"]["Always the most common label"]["accuracy"] + 0.2


def test_the_showcase_sentences_are_not_training_rows():
    for dataset in READY_MADE.values():
        texts = {text for text, _ in dataset.rows}
        assert not texts & {text for text, _ in dataset.pair}


def test_the_cli_saves_a_bundle_and_prints_one_json_object_last(tmp_path, capsys):
    from rnn.own.bundle import load_own
    from rnn.train import TRAINERS, dispatch

    rows = [(f"the {w} was {'good' if i % 2 else 'bad'}", "positive" if i % 2 else "negative")
            for i, w in enumerate(["film", "food", "song", "show"] * 6)]
    (tmp_path / "mine.csv").write_text(to_csv(rows), encoding="utf-8")
    assert dispatch(TRAINERS, ["own", str(tmp_path / "mine.csv"), "--seconds", "0", "--out", str(tmp_path / "out")], "train") == 0
    report_line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert {"rnn_accuracy", "ff_accuracy", "majority_accuracy", "n_train", "n_valid", "labels", "seconds"} <= set(report_line)
    assert (report_line["n_train"], report_line["n_valid"], report_line["labels"]) == (20, 4, ["negative", "positive"])
    assert report_line["out_of_time"]
    assert load_own(tmp_path / "out").bundle.card["command"].startswith("python -m rnn.train own ")


def test_the_cli_names_the_problem_in_a_bad_csv(tmp_path, capsys):
    from rnn.own.cli import train_own_cli

    (tmp_path / "bad.csv").write_text("sentence,class\nhi,yes\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stopped:
        train_own_cli([str(tmp_path / "bad.csv"), "--out", str(tmp_path / "out")])
    assert stopped.value.code == 2
    assert "Row 1 must name the two columns" in capsys.readouterr().err
