"""Autocomplete: an LSTM language model suggests the next words while you type, like Gmail's Smart Compose."""
import html
import random

import streamlit as st

from rnn import ui, viz, worker
from rnn.tasks import autocomplete

ui.setup_page(
    "Autocomplete",
    "⌨️",
    "**Start typing, and the network guesses what comes next**, like Gmail's autocomplete in the video. "
    "A recurrent network reads your words **one at a time** and carries a memory (its hidden state) from each "
    "word to the next, so *I am going to the* and *I am going to* lead to different guesses. "
    "It was trained on everyday English sentences from Tatoeba, and it has never seen yours.",
)

DEFAULT = "I would like to "
EXAMPLES = {
    "Polite request": "Could you please ",
    "Half a word": "I don't kn",
    "Question": "What time does the ",
    "Plans": "I am going to the ",
    "Feelings": "I'm so happy that you ",
    "Goes wrong: unknown names": "Dhaval and baby yoda ",
}

model = ui.load_model("autocomplete", autocomplete.load)
if model is None:
    st.stop()


def _set_text(value: str) -> None:
    st.session_state["text"] = value[: ui.MAX_CHARS]
    st.session_state.pop("written", None)


def _grey(typed: str, suggestion: str) -> str:
    """The typed text in black and the suggestion in grey, both escaped (st.html shows no raw user HTML)."""
    return (f'<div class="suggestion" style="font-size:1.35rem;line-height:1.6;padding:.4rem .6rem;border:1px solid #ddd;'
            f'border-radius:.5rem;word-wrap:break-word"><span class="typed">{html.escape(typed)}</span>'
            f'<span style="color:#8A8F98">{html.escape(suggestion)}</span></div>')


ui.example_picker("Try an example", EXAMPLES, key="example")


@st.fragment
def autocompleter() -> None:
    # "0ms": every key commits at once (a pause-based commit showed nothing while a student kept typing)
    text = ui.guard_text(ui.text_box("Type here", DEFAULT, live="0ms",
                                     help="The suggestions update with every key you press."))
    if text is None:
        return
    result = worker.predict("autocomplete", model, text)  # in the model worker's process (rnn/worker.py)
    ui.unknown_words_note(result.context_trace)

    # The grey continuation (beam search): one click accepts all of it.
    st.html(_grey(text, result.grey))
    if result.grey.strip():
        st.button("Accept the grey text ⇥", key="accept", type="primary",
                  on_click=_set_text, args=(result.completed(result.continuation) + " ",),
                  help="Beam search: the network kept the 3 most likely partial continuations at each word and "
                       "shows the best one.")

    if result.prefix:
        st.markdown("**Finish the half-typed word** with one click: the likeliest words that start with those letters.")
        if result.completions:
            cols = st.columns(len(result.completions))
            for col, (word, prob) in zip(cols, result.completions.items()):
                col.button(f"{result.written(word)}  ({viz.percent(prob)})", key=f"complete-{word}", width="stretch",
                           on_click=_set_text, args=(result.completed([word]) + " ",))
        for note in result.notes:
            st.caption(note)

    last = result.context[-1] if result.context else None
    title = f"Next word after “{last}”" if last else "First word of a sentence"
    if result.prefix:
        title = f"Word in place of “{result.prefix}”, ignoring its letters"
    ui.chart(viz.prob_bars({result.written(w): p for w, p in result.next_words.items()}, title), key="next_bars")
    st.caption("The network scores all the words it knows; these are its top guesses with their probabilities. "
               "`.` or `?` mean it thinks the sentence could end here.")
    if model.networks > 1:
        st.caption(f"The bars and the buttons average {model.networks} networks trained apart, which corrects some of "
                   "each one's mistakes (the model card shows each one alone). The grey text starts with the top "
                   "suggestion; the words after it and the guesses after each word below are the first network's, "
                   "whose memory the Hidden State page shows.")
    ui.word_influence("autocomplete", model, result)

    with st.expander("✍️ Let it write", expanded=False):
        temperature = st.slider("Temperature", 0.1, 1.5, 0.8, 0.1, key="temperature", bind="query-params",
                                help="Low: always pick the likeliest word (safe, repetitive). "
                                     "High: take more chances (surprising, sometimes nonsense).")
        # it writes after the typed words, finishing a half-typed word first
        base = result.completed(result.continuation[:1]) if result.prefix and result.continuation else result.kept_text
        base = base if not base or base[-1].isspace() else base + " "
        if st.button("Write the rest of the sentence", key="write"):
            st.session_state["written"] = autocomplete.generate(model, base, temperature=temperature,
                                                                seed=random.randrange(2**31))
        written = st.session_state.get("written")
        if written is not None:
            addition = autocomplete.join_words(written, capitalise=not base.strip(), casing=model.casing)
            st.html(_grey(base, addition or "(it chose to end the sentence here)"))
            if addition:
                st.button("Keep it", key="keep", on_click=_set_text, args=(base + addition + " ",))
        st.caption("Each word is drawn at random from the network's probabilities, sharpened or flattened by the "
                   "temperature; then the network reads its own word and guesses again.")

    with st.expander("What the network guessed after each word"):
        rows = [{"after": word, "top guesses": ", ".join(f"{result.written(w)} {viz.percent(p)}" for w, p in list(guesses.items())[:3])}
                for word, guesses in zip(result.trace.tokens, result.trace.readout)]
        if rows:
            st.dataframe(rows, hide_index=True, width="stretch")
            st.caption("Each row is the network's guess if you had stopped typing after that word. Its memory of "
                       "the earlier words is what changes the guesses; the Hidden State page shows that memory.")
        else:
            st.caption("Type a word to see the network's guesses change as it reads.")


autocompleter()
ui.model_card(model.bundle.card)
st.caption("Keystrokes saved: type each validation sentence letter by letter; before each letter 3 words are "
           "suggested, and one key accepts the right one. The n-gram baseline only looks at the last two words.")
st.caption("Data: Tatoeba English sentences, CC BY 2.0 FR — credit: tatoeba.org and www.manythings.org/anki.")
