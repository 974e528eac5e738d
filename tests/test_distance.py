"""Memory over distance: the task, the three cells, the gradient, the narration, and the claims the page makes."""
import json

import pytest
import torch
from streamlit.testing.v1 import AppTest

from rnn import viz_distance
from rnn.distance import (CELLS, CLOSING, DISTANCES, EPOCHS, GATED, HIDDEN, SIMPLE, DistanceRun, Trained,
                          accuracy_story, accuracy_table, cell_story, cut_story, encode, examples, fresh_network,
                          gradient_by_step_back, gradient_story, reach, relative, sentence, train_all,
                          train_one, vocabulary)
from rnn.live_training import BAD, GOOD
from rnn.training import one_thread
from tests.apptest import run_page
from tests.serve import ROOT

LONGEST = max(DISTANCES)


def test_the_verdict_word_stands_k_words_before_the_answer():
    for distance in (4, 9):
        for words, label in examples(distance, 10, seed=0):
            assert len(words) == distance + 1
            assert words[0] in (GOOD if label else BAD)
            assert tuple(words[-len(CLOSING):]) == CLOSING
            assert not set(words[1:]) & set(GOOD + BAD)


def test_half_the_sentences_are_positive_and_a_seed_repeats_them():
    pairs = examples(12, 40, seed=3)
    assert sum(label for _, label in pairs) == 20
    assert pairs == examples(12, 40, seed=3) and pairs != examples(12, 40, seed=4)


def test_a_distance_shorter_than_the_closing_words_is_refused():
    import random
    with pytest.raises(ValueError):
        sentence(len(CLOSING) - 1, True, random.Random(0))


def test_the_three_cells_have_the_same_hidden_size_and_the_gated_ones_start_leaning_to_keep():
    vocab = vocabulary()
    nets = {cell: fresh_network(cell, vocab, seed=0) for cell in CELLS}
    assert {net.recurrent.hidden_size for net in nets.values()} == {HIDDEN}
    assert isinstance(nets[SIMPLE].recurrent, torch.nn.RNN) and nets[SIMPLE].recurrent.nonlinearity == "tanh"
    for cell in GATED:
        keep = nets[cell].recurrent.bias_ih_l0[HIDDEN:2 * HIDDEN]
        assert keep.mean() > 2  # the update (GRU) and forget (LSTM) gates: the second block of PyTorch's biases


def test_training_leaves_global_randomness_alone():
    torch.manual_seed(7)
    state = torch.get_rng_state()
    train_one(SIMPLE, 4, vocabulary(), seed=0)
    assert torch.equal(torch.get_rng_state(), state)


def test_training_runs_on_one_thread_and_restores_the_count():
    torch.set_num_threads(2)
    try:
        with pytest.raises(RuntimeError), one_thread():
            assert torch.get_num_threads() == 1
            raise RuntimeError("a training that fails still gives the threads back")
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(1)


def test_before_training_the_gradient_vanishes_over_distance_for_the_simple_rnn_only():
    """What the page's chart and explanation rely on: at the page's largest distance almost nothing reaches the
    verdict word through the simple RNN, and a sizeable share through each gated cell."""
    vocab = vocabulary()
    batch = encode(examples(LONGEST, 100, seed=1), vocab)
    ratios = {cell: relative(gradient_by_step_back(fresh_network(cell, vocab, 0), batch)) for cell in CELLS}
    assert all(len(r) == LONGEST + 1 and r[0] == 1 for r in ratios.values())
    assert ratios[SIMPLE][-1] < 1e-6
    assert all(ratios[cell][-1] > 0.05 for cell in GATED)
    assert ratios[SIMPLE][10] < ratios[SIMPLE][5] < ratios[SIMPLE][1]  # it shrinks word by word


def test_on_a_tiny_run_a_gru_beats_the_simple_rnn_at_the_largest_k():
    vocab = vocabulary()
    _, gru, _ = train_one("GRU", LONGEST, vocab, seed=0)
    _, simple, _ = train_one(SIMPLE, LONGEST, vocab, seed=0)
    assert gru.accuracy >= 0.9 and simple.accuracy < 0.6
    assert simple.accuracy == round(simple.accuracy, 2)  # whole percents: the narration judges what the table shows
    assert gru.epochs == simple.epochs == EPOCHS and cut_story(DistanceRun(results=[gru, simple])) is None


def test_with_pytorchs_own_gate_start_the_gated_cells_are_at_chance_at_the_largest_k_too():
    """What the page says about the keep gates' open start: without it, this short training does not reach k = 40."""
    vocab = vocabulary()
    for cell in GATED:
        assert train_one(cell, LONGEST, vocab, seed=0, keep_bias=0.0)[1].accuracy < 0.6


def test_train_all_reports_every_network_and_a_spent_time_cap_cuts_each_to_one_epoch():
    seen = []
    run = train_all(distances=(4, 5), time_cap_s=0.0, on_result=lambda so_far, trained: seen.append(trained))
    assert [(t.cell, t.distance) for t in seen] == [(cell, d) for cell in CELLS for d in (4, 5)]
    assert all(t.epochs == 1 for t in run.results)
    assert cut_story(run).startswith("The server was busy") and "stopped 6 of the 6 networks" in cut_story(run)
    assert accuracy_table(run)[SIMPLE]["k = 5"].endswith(f"% (1 of {EPOCHS} epochs)")
    assert set(run.gradient_before) == set(run.gradient_after) == set(CELLS)
    assert all(len(g) == 6 for g in run.gradient_before.values())


def test_reach_is_where_every_shorter_distance_is_still_reliable():
    assert reach({4: 1.0, 8: 0.95, 12: 0.7, 20: 0.92}) == 8
    assert reach({4: 0.5, 8: 1.0}) is None


def test_the_narration_says_each_cells_numbers():
    run = DistanceRun(results=[Trained(SIMPLE, 4, 1.0, 6, 1.0), Trained(SIMPLE, 40, 0.52, 6, 1.0),
                               Trained("GRU", 4, 1.0, 6, 1.0), Trained("GRU", 40, 1.0, 6, 1.0),
                               Trained("LSTM", 4, 0.95, 6, 1.0), Trained("LSTM", 40, 0.75, 6, 1.0)])
    story = accuracy_story(run)
    assert story[0] == "At k = 40 words back: the simple RNN 52%, the GRU 100%, the LSTM 75% (guessing gets 50%)."
    assert story[1] == ("The simple RNN is right at least 90% of the time up to k = 4, "
                        "and no better than guessing (under 60%) at k = 40.")
    assert story[2] == "The GRU is right at least 90% of the time at every distance up to k = 40."
    assert cell_story("LSTM", {4: 0.5, 8: 0.55}) == ("The LSTM is under 90% already at k = 4, and no better than "
                                                     "guessing (under 60%) at k = 4 and 8.")


def test_the_gradient_narration_gives_the_share_at_the_verdict_word():
    lines = gradient_story({SIMPLE: [2.0, 0.1, 1e-12], "GRU": [1.0, 0.5, 0.2], "LSTM": [1.0, 2.0, 3.0]}, "Before training")
    assert lines[0].startswith("Before training, on sentences whose verdict word is 2 words back")
    assert lines[1] == "Simple RNN: 5.0 × 10⁻¹³ of the last word's (10 times smaller every 0.2 words)."
    assert lines[2] == "GRU: 0.20 of the last word's."
    assert lines[3] == "LSTM: 3.0 times the last word's."


def test_charts_keep_their_ranges_and_the_gradient_is_on_a_log_scale():
    accuracy = viz_distance.accuracy_chart({SIMPLE: {4: 1.0, 40: 0.5}}, list(DISTANCES), 0.5).to_plotly_json()
    assert accuracy["layout"]["xaxis"]["fixedrange"] and accuracy["layout"]["yaxis"]["range"] == [0.3, 1.05]
    gradient = viz_distance.gradient_chart({cell: [1.0, 0.1, 0.01] for cell in CELLS}).to_plotly_json()
    assert gradient["layout"]["yaxis"]["type"] == "log" and gradient["layout"]["xaxis"]["autorange"] == "reversed"
    assert [line["name"] for line in gradient["data"]] == list(CELLS)


def test_the_apps_models_are_the_gated_cells_the_page_names():
    cards = {task: json.loads((ROOT / "assets" / task / "card.json").read_text())["model"]
             for task in ("autocomplete", "entities", "translate", "stars")}
    assert "LSTM" in cards["autocomplete"] and "LSTM" in cards["entities"]
    assert "GRU" in cards["translate"] and "GRU" in cards["stars"]


def test_the_seed_comes_from_the_link():
    assert run_page("7_Memory_Over_Distance.py", seed="3").selectbox(key="seed").value == 3


@pytest.mark.parametrize("value", ["1e309", "-1", "12", "<script>alert(1)</script>", "None"])
def test_regression_a_hostile_seed_in_the_link_falls_back_to_seed_0(value):
    """A number box crashed on ?seed=1e309 (Streamlit's parsing overflows); the choice of seeds ignores it."""
    assert run_page("7_Memory_Over_Distance.py", seed=value).selectbox(key="seed").value == 0


@pytest.fixture(scope="module")
def trained_page():
    app = AppTest.from_file(str(ROOT / "pages" / "7_Memory_Over_Distance.py"), default_timeout=240)
    app.run()
    assert not app.exception
    assert not app.get("plotly_chart") and "distance_run" not in app.session_state  # nothing trains until asked
    app.button[0].click().run()
    assert not app.exception
    return app


def test_the_page_trains_when_asked_and_narrates_its_own_result(trained_page):
    seed, run = trained_page.session_state["distance_run"]
    assert seed == 0 and len(run.results) == len(CELLS) * len(DISTANCES)
    markdown = [m.value for m in trained_page.markdown]
    assert "\n".join(f"- {line}" for line in accuracy_story(run)) in markdown
    assert "\n".join(f"- {line}" for line in gradient_story(run.gradient_before, "Before training")) in markdown
    assert len(trained_page.get("plotly_chart")) == 2
    assert trained_page.success[0].value.startswith(f"Done: {len(run.results)} networks trained")
    assert not trained_page.get("help")  # no stray Streamlit docs


def test_the_page_switches_the_gradient_chart_to_after_training(trained_page):
    _, run = trained_page.session_state["distance_run"]
    trained_page.segmented_control(key="gradient_when").set_value("After training").run()
    markdown = [m.value for m in trained_page.markdown]
    assert "\n".join(f"- {line}" for line in gradient_story(run.gradient_after, "After training")) in markdown
    assert "distance_run" in trained_page.session_state  # kept: a rerun trains nothing
