"""The Hidden State page's computations (on tiny traces built here) and the page itself under AppTest."""
import json
import re

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest
from torch import nn

from rnn import hidden, viz
from rnn.checkpoint import bundle_dir
from rnn.registry import TASKS
from rnn.tasks import task_module
from rnn.text import Vocab
from rnn.trace import Trace
from tests.serve import ROOT

PAGE = str(ROOT / "pages" / "5_Hidden_State.py")


def tiny_trace(tokens=("not", "bad", "really", "good"), units=6, seed=0):
    rng = np.random.default_rng(seed)
    readout = [{"1 star": 0.3, "5 stars": 0.7}] * len(tokens)
    return Trace(tokens=list(tokens), known=[True] * len(tokens), hidden=rng.normal(size=(len(tokens), units)),
                 readout=readout, readout_title="stars so far")


def test_animation_has_one_frame_per_token():
    trace = tiny_trace()
    figure = viz.hidden_state_animation(trace)
    assert len(figure.frames) == len(trace.tokens)
    assert [s["label"].split(". ")[1] for s in figure.layout.sliders[0].steps] == trace.tokens
    np.testing.assert_allclose(np.array(figure.frames[2].data[1].z).ravel()[:6], trace.hidden[2], rtol=1e-6)


def test_still_picture_of_a_step_has_no_frames():
    figure = viz.hidden_state_animation(tiny_trace(), step=1)
    assert not figure.frames


def test_narration_names_the_word_and_the_biggest_change():
    trace = tiny_trace()
    line = hidden.narrate(trace, 1)
    assert "“bad”" in line and "“not”" in line
    unit = int(np.argmax(np.abs(trace.hidden[1] - trace.hidden[0])))
    assert f"unit {unit} moves most" in line
    assert "5 stars (70%)" in line


def test_memory_distance_is_zero_for_the_same_sentence_and_stops_at_the_shorter():
    a, b = tiny_trace(), tiny_trace(tokens=("not", "bad"), seed=1)
    assert np.allclose(hidden.memory_distance(a, a), 0)
    assert len(hidden.memory_distance(a, b)) == 2


def test_pca_path_has_a_point_per_word_and_explains_the_variance():
    points, variance = hidden.pca_2d(tiny_trace().hidden)
    assert points.shape == (4, 2)
    assert 0 < variance.sum() <= 1 + 1e-9
    assert hidden.pca_2d(np.ones((1, 3)))[0].shape == (1, 2)


def test_weight_rows_count_every_parameter_of_the_real_layer():
    gru = nn.GRU(5, 7, bidirectional=True)
    rows = hidden.recurrent_weights({"gru": gru})
    assert sum(r.count for r in rows) == sum(p.numel() for p in gru.parameters())
    assert ("weight_hh_l0", (21, 7)) in [(r.name, r.shape) for r in rows]
    assert hidden.gate_count(gru) == 3 and hidden.gate_count(nn.LSTM(2, 2)) == 4


def laid_out(words: list[str], vocab: Vocab, max_len: int) -> hidden.OneHotInput:
    return hidden.one_hot_input(words, vocab.encode(words), len(vocab), max_len)


def test_one_hot_input_cuts_long_and_pads_short_sentences():
    vocab = Vocab.build([["the", "cat", "sat"]])
    long = laid_out(["the", "cat", "sat", "on", "the", "mat"], vocab, 4)
    assert long.kept == ["the", "cat", "sat", "on"] and long.cut == ["the", "mat"] and long.padded == 0
    assert long.word_ids[3] == Vocab.unk_id
    short = laid_out(["cat"], vocab, 4)
    assert short.padded == 3 and short.neurons == 4 * len(vocab) and short.active == 1


def test_same_word_at_two_slots_hits_different_input_neurons():
    vocab = Vocab.build([["the", "cat"]])
    layout = laid_out(["the", "cat", "the"], vocab, 5)
    assert hidden.repeated_word(["the", "cat", "the"], 5) == ("the", 0, 2)
    assert layout.input_index(0) != layout.input_index(2)
    assert layout.input_index(2) - layout.input_index(0) == 2 * len(vocab)


def test_sharing_example_uses_a_repeated_word_and_counts_slots_from_one():
    vocab = Vocab.build([["the", "cat"]])
    example = hidden.sharing_example(laid_out(["the", "cat", "the"], vocab, 5))
    assert example.repeated and example.word == "the" and example.slots == (1, 3)
    assert example.neurons == (vocab.id("the"), 2 * len(vocab) + vocab.id("the"))


def test_sharing_example_without_a_repeat_moves_the_first_word_to_slot_4():
    vocab = Vocab.build([["the", "cat", "sat"]])
    example = hidden.sharing_example(laid_out(["the", "cat", "sat"], vocab, 5))
    assert not example.repeated and example.word == "the" and example.slots == (1, 4)
    assert example.neurons[1] - example.neurons[0] == 3 * len(vocab)


def axis_label(spec: dict, y: float) -> str:
    """The slot number the one-hot chart's axis shows at this height (its tick text, if the axis has any)."""
    axis = spec["layout"]["yaxis"]
    if "ticktext" in axis:
        return str(axis["ticktext"][list(axis["tickvals"]).index(y)])
    return f"{y:g}"


def slot_shown_beside(spec: dict, word: str) -> str:
    marks = spec["data"][0]
    return axis_label(spec, marks["y"][list(marks["text"]).index(word)])


def words_shown_in_slot(spec: dict, slot: str) -> list[str]:
    marks = spec["data"][0]
    return [w for w, y in zip(marks["text"], marks["y"]) if axis_label(spec, y) == slot]


def test_one_hot_chart_numbers_slots_from_one_like_the_caption():
    vocab = Vocab.build([["the", "cat", "sat"]])
    layout = laid_out(["the", "cat", "sat"], vocab, 5)
    spec = viz.one_hot_chart(layout).to_plotly_json()
    example = hidden.sharing_example(layout)
    assert slot_shown_beside(spec, "the") == str(example.slots[0]) == "1"
    assert slot_shown_beside(spec, "sat") == "3"


@pytest.mark.parametrize("text", ["The fabric is not bad at all, I really love it", "the dress and the fit are lovely"])
def test_caption_slot_numbers_match_the_one_hot_chart(text):
    if not (bundle_dir("stars") / "model.pt").is_file():
        pytest.skip("the stars bundle is not trained")
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.query_params.update({"model": "Review stars", "text": text, "tab": "Feed-forward network"})
    app.run()
    assert not app.exception
    caption = next(m.value for m in app.markdown if "No parameter sharing" in m.value)
    word, first, second = re.search(r"“([^”]+)” in slot (\d+) .*?slot (\d+)", caption).groups()
    specs = [json.loads(chart.proto.spec) for chart in app.get("plotly_chart") if chart.proto.spec]
    spec = next(s for s in specs if s["layout"].get("yaxis", {}).get("title", {}).get("text") == "word slot")
    assert slot_shown_beside(spec, word) == first
    if "moved to slot" in caption:
        assert word not in words_shown_in_slot(spec, second)
    else:
        assert word.lower() in [w.lower() for w in words_shown_in_slot(spec, second)]


def test_lesson_tabs_keep_their_names_and_stay_short_enough_for_a_phone():
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.run()
    labels = [t.label for t in app.tabs]
    # the guided lesson sends students to these two tabs by name, and they come right after the default tab
    assert labels[1:3] == ["Feed-forward network", "Memory"]
    # short labels without emoji: together they fit the tab bar of a 390 px phone, so no tab hides behind an arrow
    assert sum(len(label) for label in labels) <= 40 and all(label.isascii() for label in labels)


def test_only_the_open_tab_draws_and_a_link_opens_any_tab():
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.run()
    assert not app.exception, app.exception
    drawn = {"Words": "Each square is one of the", "Feed-forward network": "No parameter sharing",
             "Memory": "differ in **one early word**", "Path": "Each hidden state is a point",
             "Loop": "One set of weights, shared by all"}

    def shown() -> set[str]:
        markdown = " ".join(m.value for m in app.markdown)
        return {tab for tab, words in drawn.items() if words in markdown}

    assert shown() == {"Words"}  # a closed tab costs a rerun nothing
    for tab in drawn:
        app.query_params["tab"] = tab
        app.run()
        assert not app.exception, app.exception
        assert shown() == {tab}


def test_feedforward_first_layer_parameters():
    assert hidden.feedforward_first_layer(10, 1000, 8) == 10 * 1000 * 8 + 8


MODELS = {t.hidden_state_label: t.name for t in TASKS}


def trace_title_start(task: str) -> str:
    module = __import__(f"rnn.tasks.{task}", fromlist=["load"])
    title = module.predict(module.load(), "Paris is lovely").trace.readout_title
    return title[:1].lower() + title[1:]


@pytest.mark.parametrize("name", list(MODELS))
def test_page_runs_for_each_model(name):
    if not (bundle_dir(MODELS[name]) / "model.pt").is_file():
        pytest.skip(f"the {MODELS[name]} bundle is not trained")
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.query_params["model"] = name
    app.run()
    assert not app.exception, app.exception
    assert not app.error
    markdown = " ".join(m.value for m in app.markdown)
    model = task_module(MODELS[name]).load()
    # names keep their capitals inside the sentence ("French", "CRF")
    assert "the bars show " + trace_title_start(MODELS[name]) in markdown
    # an ensemble shows its first network, and says so
    assert ("networks trained apart" in markdown) == (model.networks > 1)
    app.query_params["tab"] = "Loop"
    app.run()
    assert not app.exception, app.exception
    markdown = " ".join(m.value for m in app.markdown)
    assert "One set of weights, shared by all" in markdown
    # the parameter count on the page is the real model's
    total = sum(p.numel() for layer in model.recurrent_layers().values() for p in layer.parameters())
    assert f"{total:,} parameters in the recurrent" in markdown


def test_step_by_step_view_comes_from_the_url_and_narrates():
    if not (bundle_dir("entities") / "model.pt").is_file():
        pytest.skip("the entities bundle is not trained")
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.query_params.update({"model": "Entities", "view": "Step by step", "step": "2", "text": "Obama visited Paris"})
    app.run()
    assert not app.exception
    assert app.slider(key="step").value == 2
    assert any("reads “visited”" in i.value for i in app.info)


def test_hostile_query_values_fall_back():
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.query_params.update({"model": "<script>alert(1)</script>", "step": "-7", "slots": "999999", "view": "nope"})
    app.run()
    assert not app.exception


def test_trace_csv_has_a_row_per_word_and_a_column_per_unit():
    import csv
    import io

    trace = tiny_trace()
    rows = list(csv.reader(io.StringIO(hidden.trace_csv(trace))))
    assert rows[0][:5] == ["step", "word", "known", "1 star", "5 stars"]
    assert len(rows) == 1 + len(trace.tokens)
    assert len(rows[1]) == 5 + trace.hidden.shape[1]
    assert float(rows[2][5]) == pytest.approx(trace.hidden[1, 0], abs=1e-4)


def test_typed_html_in_words_stays_text_in_the_charts():
    trace = tiny_trace(tokens=("<b>hi</b>", "<a href='x'>", "ok"))
    figure = viz.hidden_state_animation(trace, step=0)
    assert "&lt;b&gt;hi&lt;/b&gt;" in figure.data[0].text[0]
    assert all("<a" not in str(t) for t in figure.data[0].text)


def test_regression_a_digit_normalised_word_is_the_same_id_in_the_trace_and_the_one_hot_panel():
    # Entities reads "1996" as its word-table row "0000": the panel showed the model's known word as <unk>
    from rnn.tasks import entities

    if not (ROOT / "assets" / "entities" / "model.pt").is_file():
        pytest.skip("assets/entities is missing")
    model = entities.load()
    trace = entities.predict(model, "Reuters reported it in 1996 .").trace
    layout = hidden.one_hot_input(trace.tokens, trace.ids, len(model.vocab), 10)
    slot = trace.tokens.index("1996")
    assert trace.known[slot] and layout.word_ids[slot] == model.vocab.id("0000") != model.vocab.unk_id




def test_a_sentence_typed_in_a_tab_is_still_there_after_a_look_at_another_tab():
    app = AppTest.from_file(PAGE, default_timeout=120)
    app.query_params["tab"] = "Memory"
    app.run()
    app.text_input(key="a").set_value("the red dog ran home").run()
    for tab in ("Words", "Memory"):
        app.query_params["tab"] = tab
        app.run()
        assert not app.exception, app.exception
    assert app.text_input(key="a").value == "the red dog ran home"
