"""RNN Playground's home page. Run the app with `streamlit run streamlit_app.py`.

Streamlit's pages/ folder holds the other pages; rnn.ui.setup_page draws the sidebar menu on every page
(so links straight to a page, e.g. from a slide, get the same menu).
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from rnn import ui
from rnn.checkpoint import bundle_dir, read_card
from rnn.lesson import HIDDEN_STATE_PAGE, LESSON
from rnn.registry import TASKS

ROOT = Path(__file__).resolve().parent


def home() -> None:
    ui.setup_page(
        "RNN Playground", "🔁",
        "Type a sentence and watch **real, trained recurrent neural networks** read it, one word at a time. "
        "Each page below runs a model trained on real data, and shows how well it scores on sentences it "
        "never saw in training.",
    )

    st.header("Why order matters in language")
    left, right = st.columns(2)
    left.markdown("> **not bad, really good**")
    right.markdown("> **not good, really bad**")
    st.markdown(
        "Same words, opposite meaning. A network that only counts which words appear cannot tell these two apart. "
        "A **recurrent** network reads the words in order and carries a *hidden state* — a memory of what it has "
        "read so far — from each word to the next, using the same weights at every step."
    )

    st.header("Four things an RNN does")
    # One row per pair, so on a phone (where columns stack) the cards still read in order.
    for i, task in enumerate(TASKS):
        if i % 2 == 0:
            columns = st.columns(2)
        with columns[i % 2].container(border=True):
            st.markdown(f"### {task.icon} {task.title}")
            st.markdown(task.blurb)
            st.caption(f"Shape: {task.shape} · Score: {ui.headline_text(read_card(bundle_dir(task.name)))}")
            if (ROOT / task.page).is_file():
                st.page_link(task.page, label=f"Open {task.title}", icon="➡️")

    st.header("What a plain feed-forward network cannot do")
    st.markdown(
        "- **Fixed input size.** Its input layer has one slot per word position, so a longer sentence must be cut "
        "and a shorter one padded.\n"
        "- **Huge, sparse inputs.** Each word is a one-hot vector as long as the vocabulary — thousands of "
        "neurons per position, one per word the network knows, almost all zero.\n"
        "- **No parameter sharing.** The same word at position 2 and at position 7 meets different weights, so what "
        "it learns about a word in one place does not carry to another."
    )
    if (ROOT / HIDDEN_STATE_PAGE).is_file():
        st.page_link(HIDDEN_STATE_PAGE, label="See it side by side on the Hidden state page", icon="🧠")
    guided_lesson()
    more_to_explore()
    st.divider()
    st.caption("Data: Tatoeba (CC BY 2.0 FR, tatoeba.org), CoNLL-2003 (Reuters, research use), Women's E-Commerce "
               "Clothing Reviews (CC0), SST-5 and Penn Treebank (research use). See the README for details.")


def guided_lesson() -> None:
    st.header("A guided lesson")
    st.markdown("The video's story in order, about twenty minutes with a class. For each step: **guess first**, "
                "then open the page and see what the trained network does.")
    for number, (title, page, params, question) in enumerate(LESSON, start=1):
        if not (ROOT / page).is_file():
            continue
        with st.container(border=True):
            st.markdown(f"**{number}. {title}.** {question}")
            st.page_link(page, label="Reveal: open the page", icon="👀", query_params=params)


def more_to_explore() -> None:
    st.header("More to explore")
    for page in ui.explore_pages():
        with st.container(border=True):
            st.markdown(f"**{page.icon} {page.label}.** {page.blurb}")
            st.page_link(page.script, label=f"Open {page.label}", icon="➡️")


home()
