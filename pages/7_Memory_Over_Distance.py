"""Memory over distance: the video's simple RNN against a GRU and an LSTM, trained live, as the word that decides
the answer moves further back."""
import pandas as pd
import streamlit as st

from rnn import ui, viz_distance
from rnn.distance import (BATCH, CELLS, CHANCE, CLOSING, DISTANCES, EPOCHS, HIDDEN, KEEP_SHARE, STEPS_PER_EPOCH,
                          TEST_SIZE, TIME_CAP_S, TRAIN_SIZE, accuracy_story, accuracy_table, cut_story, example_rows,
                          gradient_story, relative, train_all)

ui.setup_page(
    "Memory over distance", "📏",
    "The video's RNN carries its memory, the hidden state, from word to word, with the same weights at every step. "
    "How far back can it remember? Here the video's **simple RNN**, a **GRU** and an **LSTM**, each with "
    f"{HIDDEN} hidden units, learn the same task live on this server, while the word that decides the answer moves "
    "further and further back.",
)

st.markdown(
    "**The task:** a short review opens with its verdict (*great*, *awful*…), then come neutral phrases in random "
    f"order (the last one cut to fit), then *{' '.join(CLOSING)}*, and the network answers *positive* or "
    "*negative*. Only the verdict word decides, and it stands **k words before the answer**. For each k in "
    f"{', '.join(map(str, DISTANCES))}, a fresh network of each kind learns from {TRAIN_SIZE:,} such sentences "
    f"({EPOCHS * STEPS_PER_EPOCH} steps of {BATCH}) and is tested on {TEST_SIZE} new ones."
)
st.table(pd.DataFrame(example_rows(12), columns=["sentence (k = 12)", "answer"]).set_index("sentence (k = 12)"))

# A choice among fixed seeds, not a number box: a link's ?seed=1e309 would crash a number box's parsing.
seed = ui.controls().selectbox("Seed", list(range(10)), key="seed", bind="query-params", width=220,
                               help="The random start: the same seed gives the same sentences, weights and results.")
clicked = st.button("▶ Train the three networks", type="primary")
# One place for the accuracy chart: drawn live while training, then redrawn there from the stored run.
status, accuracy_place = st.empty(), st.empty()


def draw_accuracy(run, key: str | None = None) -> None:
    by_cell = {cell: run.accuracy(cell) for cell in CELLS if run.accuracy(cell)}
    ui.chart(viz_distance.accuracy_chart(by_cell, list(DISTANCES), CHANCE), where=accuracy_place, key=key,
             alt="Share of new sentences each network gets right, against k, the words between the verdict and the answer.")


if clicked:
    def report(run, trained) -> None:
        status.info(f"**{trained.cell}**, k = {trained.distance}: {trained.accuracy:.0%} right on new sentences "
                    f"(trained in {trained.seconds:.1f} s).")
        draw_accuracy(run, key=f"accuracy_{len(run.results)}")

    finished = train_all(seed=int(seed), on_result=report)
    st.session_state["distance_run"] = (int(seed), finished)
    status.success(f"Done: {len(finished.results)} networks trained in {finished.seconds:.0f} s on one core of this server.")

if "distance_run" in st.session_state:
    trained_seed, run = st.session_state["distance_run"]
    draw_accuracy(run)
    if trained_seed != seed:
        st.caption(f"These results are from seed {trained_seed}. Press the button to train with seed {seed}.")
    if note := cut_story(run):
        st.warning(note)
    st.markdown("\n".join(f"- {line}" for line in accuracy_story(run)))
    st.table(pd.DataFrame(accuracy_table(run)))  # a column per cell and a row per k: it fits a phone

    st.subheader("The gradient at each word: the signal training learns from")
    st.markdown(
        "Training nudges each weight by the **gradient**: how much the loss would change if that weight (or a word's "
        "vector) moved a little. It starts at the answer and travels back one word at a time. The chart shows how "
        "large it still is at each earlier word (the word vector's gradient, averaged over the test sentences), "
        "on a log scale: each grid line is 100 times smaller."
    )
    when = st.segmented_control("Gradient measured", ["Before training", "After training"], default="Before training",
                                key="gradient_when", required=True)
    gradients = run.gradient_before if when == "Before training" else run.gradient_after
    st.caption("Before training: what each network has to learn from. After training: how strongly each trained "
               "network's answer still reacts to a small change in each word.")
    ui.chart(viz_distance.gradient_chart({cell: relative(g) for cell, g in gradients.items()}),
             alt="Size of the gradient at each word before the answer, log scale, one line per network.")
    st.markdown("\n".join(f"- {line}" for line in gradient_story(gradients, when)))
else:
    st.caption(f"Press the button: the {len(CELLS) * len(DISTANCES)} networks train in at most about "
               f"{TIME_CAP_S:.0f} seconds, usually far less.")

st.subheader("Why the app's real models use gated cells")
st.markdown(
    "In the video's RNN the hidden state after each word is computed from the hidden state before it and the word, "
    "**with the same weights at every step**. In the simple RNN that is the whole memory: at every word it is "
    "multiplied by the same weights and squeezed through *tanh* again. So is the gradient on its way back: "
    "multiplied by nearly the same factor at every word, and when that factor is below 1 it shrinks geometrically. "
    "After a few dozen words almost nothing reaches the verdict word, so the weights never learn that it mattered: "
    "the **vanishing gradient**.\n\n"
    "A **GRU** or an **LSTM** carries the same hidden state from word to word, plus **gates**: small learned "
    "switches that decide, at each word, how much of the memory to keep and how much new to write. Where the keep "
    "gate is open the memory passes to the next word almost unchanged, and so does the gradient on its way back. "
    f"Here the gated cells start with their keep gates leaning open (about {KEEP_SHARE:.0%} kept per word), as is "
    "common. With PyTorch's own start (about half kept per word) this short training leaves them at chance at "
    f"k = {max(DISTANCES)} too: the gate is what lets a network start with a memory that lasts, and a simple RNN has "
    "no gate.\n\n"
    "Real sentences, and reviews above all, are often longer than the simple RNN's reach, which is why every model "
    "in this app is gated: Autocomplete's and Entities' networks are LSTMs, Translate's and Review stars' are GRUs."
)
