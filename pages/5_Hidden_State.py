"""Hidden state: watch the memory move word by word, beside a feed-forward network's one-hot input layer."""
import streamlit as st

from rnn import hidden, ui, viz
from rnn.checkpoint import bundle_dir
from rnn.own import model as own_task
from rnn.registry import hidden_state_tasks
from rnn.tasks import task_module

# Which model to open (by its label on the picker), each with the sentence that shows it off (rnn.registry).
MODELS = {entry.hidden_state_label: entry for entry in hidden_state_tasks()}

ui.setup_page(
    "Hidden state", "🧠",
    "An RNN reads one word at a time and keeps a **hidden state**: a vector of numbers that is its memory of "
    "everything read so far. The **same weights** turn (memory so far, next word) into the new memory at every "
    "step. Below, watch that memory change word by word — and see what a plain feed-forward network would need instead.",
)

names = [label for label, entry in MODELS.items() if (bundle_dir(entry.name) / "model.pt").is_file()] or list(MODELS)
own = ui.own_model()  # trained on the Your sentences page: this session's alone, never in MODELS
if own is not None:
    names = [own.entry.hidden_state_label, *names]
choice = ui.controls().segmented_control("Model", names, default=names[0], key="model", bind="query-params",
                                         help="Every model here is recurrent; pick whose memory to open.") or names[0]
chosen = own.entry if own is not None and choice == own.entry.hidden_state_label else MODELS[choice]
task_name, default_text = chosen.name, chosen.demo
if chosen.name == own_task.TASK:
    module, model = own_task, own
else:
    module = task_module(task_name)
    model = ui.load_model(task_name, module.load)
if model is None:
    st.stop()

text = ui.guard_text(ui.text_box("Sentence", default_text, help="The network reads it word by word."))
if text is None:
    st.stop()
result = module.predict(model, text)
trace = result.trace
if not trace.tokens:
    st.info("There are no words in that text to read. Try a sentence.")
    st.stop()
ui.unknown_words_note(trace)
steps = len(trace.tokens)

def words_tab() -> None:
    st.markdown(
        f"Each square is one of the {trace.hidden.shape[1]} hidden units (blue positive, red negative, white near zero)"
        + (f"; the bars show {trace.readout_title[:1].lower() + trace.readout_title[1:]}." if trace.readout else ".")
        + (" This model also reads right to left; shown here is the left-to-right direction." if trace.hidden_backward is not None else "")
        + (f" This model is {networks} networks trained apart whose answers are averaged; the memory shown is the "
           "first one's." if (networks := model.networks) > 1 else "")
    )
    mode = st.segmented_control("View", ["Animation", "Step by step"], default="Animation", key="view",
                                bind="query-params", help="Step by step needs no motion and works from the keyboard.")
    if mode == "Step by step" and steps > 1:
        step = st.slider("Word", 1, steps, key="step", bind="query-params",
                         help="Drag, or focus the slider and use the arrow keys.")
        figure = viz.hidden_state_animation(trace, step=step - 1)
        ui.chart(figure, alt=hidden.narrate(trace, step - 1))
        st.info(ui.plain(hidden.narrate(trace, step - 1)))
    else:
        ui.chart(viz.hidden_state_animation(trace, step=0 if steps == 1 else None),
                 alt=f"Animation of the hidden state over {steps} words; the narration below says the same in words.")
    with st.expander("Narration, word by word", expanded=mode != "Step by step"):
        st.markdown("\n".join(f"{i + 1}. {ui.plain(hidden.narrate(trace, i).split(': ', 1)[1])}" for i in range(steps)))


def memory_tab() -> None:
    st.markdown("Two sentences that differ in **one early word**. How long does the network remember the difference? "
                "After the words become the same again, the distance between the two memories shows what is still carried.")
    pair = chosen.memory_pair
    left, right = st.columns(2)
    with left:
        first = ui.text_box("Sentence A", pair[0], key="a")
    with right:
        second = ui.text_box("Sentence B", pair[1], key="b")
    trace_a, trace_b = module.predict(model, first).trace, module.predict(model, second).trace
    distance = hidden.memory_distance(trace_a, trace_b)
    if len(distance):
        ui.chart(viz.memory_chart(trace_a.tokens, trace_b.tokens, distance),
                 alt="Distance between the two sentences' hidden states after each word.")
        differ = [i for i, (a, b) in enumerate(zip(trace_a.tokens, trace_b.tokens)) if a != b]
        if differ and differ[-1] + 1 < len(distance):
            last = differ[-1]
            st.caption(f"The sentences last differ at word {last + 1}. Distance right after it: {distance[last]:.2f}; "
                       f"at the end, {len(distance) - last - 1} identical words later: {distance[-1]:.2f} "
                       f"({distance[-1] / max(distance[last], 1e-6):.0%} of it is still remembered).")
    else:
        st.info("Type two sentences to compare.")


def path_tab() -> None:
    points, variance = hidden.pca_2d(trace.hidden)
    st.markdown("Each hidden state is a point in a space of many dimensions. Squashed to the two directions in which "
                "this sentence moves the memory most (PCA), the reading becomes a path: one point per word.")
    ui.chart(viz.path_chart(points, trace.tokens, variance),
             alt="The hidden states projected to two dimensions, labelled by word, in reading order.")
    st.caption(f"These two directions show {variance.sum():.0%} of how the memory moves over this sentence.")


def loop_tab() -> None:
    layers = model.recurrent_layers()
    rows = hidden.recurrent_weights(layers)
    total = sum(r.count for r in rows)
    kind = type(next(iter(layers.values()))).__name__
    st.markdown(f"The loop of an RNN, unrolled over this sentence: the **same {kind} cell** at every time step. "
                "The word comes in from below, the memory from the left; the new memory goes right and up.")
    ui.chart(viz.unrolled_diagram(trace.tokens, f"{kind} cell"),
             alt=f"The same {kind} cell repeated for each word, passing the hidden state along.")
    st.markdown(f"**One set of weights, shared by all {steps} steps** — {total:,} parameters in the recurrent "
                f"layer{'s' if len(layers) > 1 else ''}, whether the sentence has 3 words or 300:")
    st.dataframe(
        [{"layer": r.layer, "weight": r.name, "shape": " × ".join(map(str, r.shape)), "parameters": r.count} for r in rows],
        width="stretch", hide_index=True)
    st.caption("weight_ih: input → hidden; weight_hh: hidden → hidden (the recurrence); rows whose weight ends in "
               "`_reverse`, or whose layer is a backward GRU, read right to left. The {hidden.gate_count(next(iter(layers.values())))} stacked blocks "
               f"in each {kind} matrix are its gates.")


def feedforward_tab() -> None:
    vocab = model.vocab
    total = sum(r.count for r in hidden.recurrent_weights(model.recurrent_layers()))
    st.markdown("The video's plain feed-forward network has a **fixed input layer**: one slot per word position, and "
                "in each slot a one-hot vector with one neuron per vocabulary word. Here it is for this sentence and "
                f"this model's vocabulary of {len(vocab):,} words. (The feed-forward network trained on the Review "
                "stars page adds its slots' one-hot vectors up instead: that fits any length, but then it cannot "
                "tell where a word stood, so it never sees the order.)")
    slots = st.slider("Input slots (the longest sentence the network accepts)", 3, 30, 10, key="slots", bind="query-params")
    layout = hidden.one_hot_input(trace.tokens, trace.ids, len(vocab), slots)
    ui.chart(viz.one_hot_chart(layout),
             alt=f"{layout.neurons:,} input neurons, of which {layout.active} are 1: a sparse one-hot input layer.")
    units = trace.hidden.shape[1]
    ff_params = hidden.feedforward_first_layer(slots, len(vocab), units)
    a, b, c = st.columns(3)
    a.metric("Input neurons", f"{layout.neurons:,}", help=f"{slots} slots × {len(vocab):,} words")
    b.metric("Switched on", f"{layout.active}", help="everything else is 0")
    c.metric("Share that is 1", f"{layout.active / layout.neurons:.4%}")
    if layout.cut:
        st.warning(f"Too long: the last {len(layout.cut)} word(s) do not fit and are **cut**: "
                   + ", ".join(f"“{ui.plain(w)}”" for w in layout.cut) + ". The RNN reads them all.")
    if layout.padded:
        st.info(f"Too short: {layout.padded} empty slot(s) are **padded** with zeros.")
    table = hidden.word_embedding(model.bundle.model, len(vocab))
    rnn_input = table.weight.numel() if table is not None else 0
    rnn_reading = (f"its word table ({len(vocab):,} × {table.embedding_dim} = {rnn_input:,}: one row per word, the "
                   f"same rows at every position) plus its recurrent layer ({total:,}): **{rnn_input + total:,}**"
                   if table is not None else f"its recurrent layer: **{total:,}**")
    st.markdown(
        f"**Parameters that read the words.** The feed-forward network's first layer, to {units} hidden units (as "
        f"many as this RNN has): {slots} × {len(vocab):,} × {units} + {units} = **{ff_params:,}**, and one more "
        f"slot's worth for every word it should accept. The RNN: {rnn_reading}, for sentences of any length.")
    example = hidden.sharing_example(layout)
    word, (first_slot, second_slot), (first_neuron, second_neuron) = ui.plain(example.word), example.slots, example.neurons
    elsewhere = (f"in slot {second_slot} it switches on neuron {second_neuron:,}" if example.repeated else
                 f"moved to slot {second_slot}, it would switch on neuron {second_neuron:,}")
    st.markdown(
        f"**No parameter sharing:** “{word}” in slot {first_slot} switches on input neuron {first_neuron:,}; "
        f"{elsewhere}. Different neurons, different rows of weights: what the network learns about “{word}” in one "
        f"place does not carry to the other. The RNN reads “{word}” with the same weights wherever it stands.")


# Labels short enough that all five tabs fit a 390 px phone without a scroll arrow; the lesson sends students to the
# feed-forward network first and the memory next, so those come right after the default tab (they stay in reach
# on a narrower phone too). The lesson names them "Feed-forward network" and "Memory": keep those labels.
# Only the open tab draws (a switch reruns the page): each closed one cost every rerun its charts, and Memory its
# two more readings (bench/README.md). ?tab=Memory opens one from a link.
ui.lazy_tabs({"Words": words_tab, "Feed-forward network": feedforward_tab, "Memory": memory_tab, "Path": path_tab,
              "Loop": loop_tab})

if ui.explains(task_name):
    st.subheader("Which words did it use?")
    st.caption("The memory above carries every word read so far. Which of them did the answer depend on? Take each "
               "word away in turn and see how far the answer moves.")
    ui.word_influence(task_name, model, result)

# made only when clicked: every rerun building it cost the page a CSV of every hidden unit
st.download_button("⬇ Hidden states and answers as CSV", lambda: hidden.trace_csv(trace), file_name=f"hidden_states_{task_name}.csv",
                   mime="text/csv", help="One row per word: the answer so far and every hidden unit.")
