"""Entities: a BiLSTM-CRF highlights people, organisations and places as you type."""
import html

import pandas as pd
import streamlit as st

from rnn import ui, viz
from rnn.tasks import entities

ui.setup_page(
    "Entities",
    "🏷️",
    "**Named entity recognition**: the network reads your sentence and marks the names of people, companies "
    "and places, like the video's example, where *Dhaval* and *baby yoda* are person names. It learned from "
    "14,041 sentences of Reuters news, with no other knowledge of the world. "
    "The tag of a word depends on its neighbours (*Paris* is a place in *flew to Paris*, part of a person in "
    "*Paris Hilton*), so a recurrent network reads the sentence in both directions: one LSTM left to right, "
    "one right to left, and a CRF layer picks the best sequence of tags.",
)

DEFAULT = "Dhaval loves baby yoda"
EXAMPLES = {
    "The video's example": DEFAULT,
    "…with capitals": "Dhaval loves Baby Yoda",
    "No capitals": "dhaval moved from mumbai to new york to work for google.",
    "Football": "Manchester United beat Arsenal 2-1 at Old Trafford on Saturday, Reuters reported.",
    "Politics": "German Chancellor Angela Merkel met French President Emmanuel Macron in Berlin.",
    "Markets": "Shares of Toyota rose in Tokyo after the Bank of Japan kept interest rates unchanged.",
    "Goes wrong: Paris Hilton": "Paris Hilton was seen in London yesterday",
    "Goes wrong: news from 1996": "Elon Musk said Tesla will build a factory near Austin, Texas.",
}
WHY = {
    DEFAULT: "*Dhaval* is found as a person, though the model never read that name in training: a word it does not "
             "know, before *loves*, reads like someone's name. *baby yoda* is missed: in the training news a "
             "character's name would be capitalised, and *baby* is an ordinary word the model knows well. Try the "
             "next example, written the way a newspaper would.",
    EXAMPLES["…with capitals"]: "With capitals, *Baby Yoda* is found as a person too. Capital letters are a strong "
             "clue, but not the only one: compare the next example, typed all in lower case.",
    EXAMPLES["No capitals"]: "Typed the way students type. The model was also trained on lower-cased copies of its "
             "news sentences, so it learned that words like *from … to* and *work for* point at places and companies: "
             "it still finds the person and the places. Without a capital, *google* is missed, and confidence is lower "
             "everywhere.",
    EXAMPLES["Goes wrong: Paris Hilton"]: "Why it goes wrong: in the training news *Paris* appears 35 times, as the "
             "city or in a football club's name, and once inside a person's name. So the model tags *Paris Hilton* "
             "as a place. Context helps only as far as the training data showed it.",
    EXAMPLES["Goes wrong: news from 1996"]: "Why it goes wrong: the training news is from 1996–97, before the car "
             "company existed, and *Tesla* never appears in it. A capitalised word it never saw, right after a "
             "person and before *will*, looks like another person, so it guesses that (see its lower confidence "
             "in the table). A model knows only the world of its training data.",
}


model = ui.load_model("entities", entities.load)
if model is None:
    st.stop()

ui.example_picker("Try an example", EXAMPLES, key="example")


def kind_label(kind: str) -> str:
    return f"{kind} · {entities.LABEL_NAMES[kind]}"


# A link may name the types by their codes (?kinds=LOC) as well as by the labels the pills show (?kinds=LOC · place):
# the pills read only their labels from the link, so codes become the default they start from.
linked = [k for k in entities.ENTITY_TYPES if k in st.query_params.get_all("kinds")]
kinds = ui.controls().pills(
    "Show", list(entities.ENTITY_TYPES), selection_mode="multi", default=linked or list(entities.ENTITY_TYPES), key="kinds",
    bind="query-params", format_func=kind_label,
    help="Filter the highlighted entities by type.",
)


@st.fragment
def tagger() -> None:
    text = ui.guard_text(ui.text_box("Your sentence", DEFAULT, live=True, help="Tags update as you type."))
    if text is None:
        return
    result = entities.predict(model, text)
    if result.truncated:
        st.warning(f"The network reads the first {len(result.tokens)} words only.")
    st.html(entities.highlight_html(result, tuple(kinds or ())))
    legend = " ".join(
        f'<span style="background:{entities.COLOURS[k]};padding:0.15em 0.5em;border-radius:0.3em;'
        f'margin-right:0.4em;white-space:nowrap"><b>{k}</b> {entities.LABEL_NAMES[k]}</span>'
        for k in entities.ENTITY_TYPES
    )
    st.html(f'<div style="line-height:2.2;font-size:0.9em">{legend}</div>')  # our constants only
    found = [e for e in result.entities if e.label in (kinds or ())]
    if found:
        st.caption("Found: " + "; ".join(f"{ui.plain(e.text)} ({entities.LABEL_NAMES[e.label]}, {e.confidence:.0%} sure)" for e in found))
    else:
        st.caption("No names of the selected types found in this text.")
    if text in WHY:
        st.info(WHY[text])
    ui.unknown_words_note(result.trace)

    st.subheader("Word by word")
    st.caption("Each word's tag (B- begins a name, I- continues it, O is outside any name) and how sure the "
               "network is of it: the probability of that tag from the CRF, over every possible tagging.")
    table = pd.DataFrame({
        "word": [t.text for t in result.tokens],
        "tag": result.tags,
        "confidence": result.confidence,
        "known": ["yes" if k else "no: <unk>" for k in result.trace.known],
    })
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "confidence": st.column_config.ProgressColumn("confidence", format="percent", min_value=0.0, max_value=1.0),
    })

    st.subheader("Reading in both directions")
    st.caption("When the network tags a word, the forward LSTM has read everything up to it and the backward "
               "LSTM everything after it. Pick a word to see both halves of its context.")
    words = [t.text for t in result.tokens]
    first_name = result.entities[0].first if result.entities else 0
    # The key follows the words, so a new sentence starts on its first name rather than a stale position.
    index = st.select_slider("Word", options=list(range(len(words))), value=first_name,
                             format_func=lambda i: f"{i + 1}. {words[i]}",
                             key=f"word-{hash(tuple(words))}") if len(words) > 1 else 0
    left, right = st.columns(2)
    left.markdown("**→ Forward LSTM has read**")
    left.text(" ".join(words[: index + 1]))
    right.markdown("**← Backward LSTM has read**")
    right.text(" ".join(reversed(words[index:])))
    ui.chart(
        viz.prob_bars(result.trace.readout[index], f"Tag for “{html.escape(words[index])}”", highlight=result.tags[index][2:] or "O"), key="word_bars",
    )
    st.markdown(f"**Which words did it use** to tag “{ui.plain(words[index])}”? Pick another word above to ask about it.")
    ui.word_influence("entities", model, result, pick=index)
    with st.expander("Every word at once (heatmap)"):
        ui.chart(viz.readout_heatmap(result.trace), key="heatmap")


tagger()
scores = model.bundle.card.get("metrics", {})
if "f1_lowercased" in scores:
    st.markdown(f"**With and without capitals, measured.** On the 3,250 validation sentences the network never trained "
                f"on, entity F1 is **{scores['f1']:.1%}** as written and **{scores['f1_lowercased']:.1%}** with every "
                "word lower-cased, the way students often type.")
ui.model_card(model.bundle.card)
