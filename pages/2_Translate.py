"""Translate: an attention encoder-decoder turns English into French, with every step of the decoding shown."""
import streamlit as st

from rnn import ui, viz, viz_beam, worker
from rnn.tasks import translate
from rnn.tasks.translate import beam_tree
from rnn.tasks.translate.confidence import confidence_note

ui.setup_page(
    "Translate",
    "🌍",
    "**English in, French out**, like Google Translate in the video. Word order matters: *the dog bit the man* "
    "and *the man bit the dog* use the same words but mean different things. A translation network has two RNNs: "
    "the **encoder** reads the English sentence one word at a time, and only when it has read **all** the words "
    "does the **decoder** start writing French, one word at a time. While writing, the decoder can look back at "
    "each English word (*attention*). Trained on Tatoeba's everyday sentences: short, simple ones work best.",
)

DEFAULT = "My grandmother lives in a small village."
EXAMPLES = {
    "Everyday": DEFAULT,
    "Tomorrow": "I am going to the station tomorrow.",
    "Word order 1": "The dog bit the man.",
    "Word order 2": "The man bit the dog.",
    "A question": "Where did you put my keys?",
    "Negation": "I don't think she will come tonight.",
    "Longer": "If it rains tomorrow, we will stay at home and watch a film.",
    "Goes wrong: unknown words": "Dhaval loves baby yoda.",
}

WHY = {
    EXAMPLES["Word order 1"]: "Same words as the next example, different order, different meaning: the encoder's memory "
                              "depends on the order it read the words in, so the French differs too.",
    EXAMPLES["Word order 2"]: "Compare with *The dog bit the man*: a bag of words could not tell these apart.",
    EXAMPLES["Goes wrong: unknown words"]: "Why it goes wrong: the model learned only the words in its training sentences. "
                                           "*Dhaval* and *yoda* were never there, so it reads them as `<unk>`: it "
                                           "cannot tell what they mean, only where they are.",
}


model = ui.load_model("translate", translate.load)
if model is None:
    st.stop()

ui.example_picker("Try an example", EXAMPLES, key="example")
beam = ui.controls().slider("Beam width", 1, 8, 5, key="beam", bind="query-params",
                 help="How many partial translations the decoder keeps at each step. 1 = greedy: always the most "
                      "likely next word.")


@st.cache_data(max_entries=512, show_spinner=False)
def translated(text: str, beam_width: int) -> translate.TranslateResult:
    """Shared by every session: thirty students opening the same link pay for one beam search, not thirty. Computed in
    the model worker's process (rnn/worker.py): the beam search was the largest part of a class's load on one core."""
    return worker.predict("translate", model, text, beam=beam_width)


@st.cache_data(max_entries=256, show_spinner="Decoding from that start…")
def forced_search(text: str, beam_width: int, prefix: tuple[int, ...]) -> beam_tree.BeamTree:
    """Shared by every session, like translated(): a class forcing the same branch pays for one search."""
    return beam_tree.search(model, text, beam_width, prefix)


def search_tree(result: translate.TranslateResult, text: str) -> None:
    """The Beam tree tab: the search the translation came from, and the same search forced to start with a branch."""
    tree = beam_tree.from_result(model, result)
    width = result.beam
    st.markdown(f"Each column is one step of the search: the French written so far is one word longer. At every step "
                f"the decoder extends each of its {width} partial translations by every French word it knows and keeps "
                f"the {width} most probable; drawn are the {2 * width} best candidates: **kept** ones in black, "
                "*pruned* ones in grey italics on dotted branches (every other word scored lower). `<eos>` ends a "
                "translation (its box is grey). The winner's path is **blue and bold**. Under each word: its score, as "
                "in the Beam tab (closer to 0 is better); hover or tap a word for more. Words are shown as the decoder "
                "wrote them, `<unk>` included.")
    window, size = (6, 19) if ui.presenting() else (4, 14)  # a phone shows four steps legibly, a projector larger words
    first, last = 1, tree.steps
    if tree.steps > window:
        first, last = st.select_slider("Words shown", options=list(range(1, tree.steps + 1)), value=(1, window),
                                       key=f"tree-steps-{hash(tuple(result.target))}-{width}")
    ui.chart(viz_beam.beam_tree(tree, first, last, size), key="beam_tree", alt=beam_tree.tree_summary(tree))
    st.caption(ui.plain(beam_tree.tree_summary(tree)))
    with st.expander("The search in words, step by step"):
        st.markdown("\n".join(f"- {line}" for line in beam_tree.narration(tree, ui.plain)))

    st.markdown("**Force a branch.** Pick any partial translation from the tree, one the beam pruned for instance: "
                "the decoder is made to write it first, then carries on with its own beam search.")
    branch = st.selectbox("Start the French with", tree.branches(), index=None, key=f"force-{hash((text, width))}",
                          format_func=lambda i: f"word {tree.nodes[i].step}: {tree.nodes[i].text} "
                                                f"({tree.nodes[i].fate}, {beam_tree.signed(tree.nodes[i].score)})",
                          placeholder="Pick a partial translation")
    if branch is None:
        return
    forced = forced_search(text, width, tree.nodes[branch].ids)
    st.info(beam_tree.forced_narration(tree, forced, ui.plain))
    if forced.winner is not None and tree.winner is not None:
        # the score before the translation, so a phone shows both numbers without scrolling the table
        st.dataframe([{"decoder": who, "score": node.score, "translation": node.text}
                      for who, node in (("its own choice", tree.winner), ("forced", forced.winner))],
                     hide_index=True, width="stretch",
                     column_config={"score": st.column_config.NumberColumn("score", format="%.2f")})
    with st.expander("The forced search as a tree"):
        start = max(1, forced.forced - 1)  # the last forced words, then what the decoder made of them
        ui.chart(viz_beam.beam_tree(forced, start, start + window - 1, size), key="forced_tree",
                 alt=beam_tree.tree_summary(forced))
        st.markdown("\n".join(f"- {line}" for line in beam_tree.narration(forced, ui.plain)))


def encoder_tab(result: translate.TranslateResult) -> None:
    """The Encoder reads tab: the encoder's memory word by word, and the first French word it would allow."""
    trace = result.trace
    st.markdown("The encoder reads **every** English word before the decoder writes anything. After each word it "
                "holds a hidden state: its memory of the sentence so far. The decoder starts from the final memory.")
    units = min(48, trace.hidden.shape[1])
    ui.chart(
        viz.word_heatmap(trace.hidden[:, :units], [str(u + 1) for u in range(units)], viz.numbered(trace.tokens),
                 "Encoder memory after each word",
                 viz.DIVERGING, "after %{y}<br>unit %{x}: %{z:.2f}", zmid=0.0), key="encoder_states")
    st.caption(f"The first {units} of its {trace.hidden.shape[1]} hidden units. Blue: positive, red: negative. Rows change as each new word arrives: that is the memory updating. "
               "A second RNN also reads the sentence right to left (not shown) so each word knows what follows it.")
    st.markdown("**Why the decoder must wait.** If the English stopped after each word, the first French word would be:")
    ui.chart(viz.readout_heatmap(trace, title=""), key="first_word")
    changes = translate.first_word_changes(trace)
    if len(changes) > 1:
        steps = "; ".join(f"after “{ui.plain(trace.tokens[i])}” it becomes *{ui.plain(word)}*" for i, word in changes[1:])
        st.caption(f"After “{ui.plain(trace.tokens[0])}” alone the first French word would be "
                   f"*{ui.plain(changes[0][1])}*; {steps}. A word further on changed how the sentence must start: "
                   "that is why the decoder waits for the encoder to read to the end.")
    elif changes:
        st.caption(f"Here the first French word is *{ui.plain(changes[0][1])}* whatever comes next, but that is "
                   "not always so: in *My grandmother lives in a small village.* it starts as *Mon* and becomes "
                   "*Ma* once *grandmother* arrives. The decoder cannot know in advance, so it waits for the end.")


def decoder_tab(result: translate.TranslateResult) -> None:
    """The Decoder writes tab: one step of the decoder, its next-word bars and where it looked."""
    st.markdown("The decoder writes one French word at a time. At each step it scores every word it knows; "
                "it takes into account what it has already written and where it looks in the English.")
    steps = len(result.target)
    index = st.select_slider("Step", options=list(range(steps)), value=0,
                             format_func=lambda i: f"{i + 1}. {result.target[i]}"
                             + (f" → {result.replaced[i][1]}" if i in result.replaced else ""),
                             key=f"step-{hash(tuple(result.target))}") if steps > 1 else 0
    written = translate.detokenize(result.written()[:index])
    st.markdown("**Written so far:**")
    st.text(written or "(nothing yet: the decoder starts from the encoder's final memory)")
    left, right = st.columns(2)
    with left:
        ui.chart(viz.prob_bars(result.steps[index], f"Step {index + 1}: next French word",
                                      highlight=result.target[index]), key="step_bars")
    with right:
        looks = dict(zip(viz.numbered(result.source), result.attention[index].tolist()))
        top = dict(sorted(looks.items(), key=lambda kv: -kv[1])[:5])
        ui.chart(viz.prob_bars(top, "…while looking at these English words"),
                        key="step_attention")
    st.caption("`<eos>` is the word that ends the sentence: the decoder stops when it chooses it. The bars "
               "show the model's probabilities along the chosen translation.")


def attention_tab(result: translate.TranslateResult) -> None:
    """The Attention tab: where the decoder read from, and (asked for) which words each French word needed."""
    ui.chart(
        viz.word_heatmap(result.attention, viz.numbered(result.source), viz.numbered(result.target),
                 "Where the decoder looked (English across, French down)", viz.BLUES,
                 "writing %{y}<br>looking at %{x}: %{z:.0%}"), key="attention_map")
    st.caption("This network's attention is all or nothing: at each step it reads from a single English position "
               "(the weights really are 100 % and 0 %, not rounded; hover for the exact values). And that position "
               "is not always the word being translated: the bidirectional encoder's state at a word also holds "
               "what it read before and after it, so the decoder may find *tomorrow* by looking at the final “.”. "
               "Attention shows where the decoder read from, which is often, not always, the word it translates.")
    st.caption("Each row is one French word being written; dark squares are the English words it attended to. "
               "Word order differs between the languages, so the dark squares do not always follow the diagonal.")
    st.markdown("**Attention or attribution?** Attention shows where the decoder *read from* while writing a French "
                "word. Attribution asks which English words that French word *needed*: take one away (replace it "
                "by an unknown word), and see how much the decoder's probability of writing it changes.")
    ui.word_influence("translate", model, result, attention=True)


def beams_tab(result: translate.TranslateResult) -> None:
    """The Beam tab: the translations the beam kept, with their scores."""
    if result.beam == 1:
        st.info("Beam width 1 is greedy decoding: the decoder keeps only its single best guess at each step. "
                "Move the slider above to keep several.")
    st.markdown(f"The beam kept the {result.beam} most likely partial translations at each step; these finished. "
                f"Score: the log-probability divided by a length factor, ((5 + words) / 6) to the power {translate.BEAM_LENGTH_ALPHA:g}, "
                "so that short sentences are not favoured; closer to 0 is better. They are shown as the decoder wrote them, `<unk>` included.")
    st.dataframe(
        [{"rank": i + 1, "translation": alt.text, "score": alt.score, "probability": alt.probability}
         for i, alt in enumerate(result.alternatives)],
        hide_index=True, width="stretch",
        column_config={"score": st.column_config.NumberColumn("score", format="%.3f"),
                       "probability": st.column_config.NumberColumn("probability", format="%.2e")})


@st.fragment
def translator() -> None:
    text = ui.guard_text(ui.text_box("English sentence", DEFAULT, live=True,
                                     help="The translation updates as you type."))
    if text is None:
        return
    result = translated(text, beam)
    trace = result.trace
    if not result.source:
        st.info(result.notes[0] if result.notes else "There is no English word to translate.")
        return

    # Before translating: which words the encoder knows.
    st.markdown("**What the encoder reads**, word by word (a word it never saw in training is marked → `<unk>`: "
                "it reads all of them as that one token):")
    st.text(" ".join(w if k else f"{w}→<unk>" for w, k in zip(result.source, trace.known)))
    ui.unknown_words_note(trace)

    st.subheader("French")
    st.code(result.translation or "(no translation)", language=None, wrap_lines=True)
    if result.confidence is not None:
        # the French may hold a copied English word (a name): escaped, so it shows as typed
        note = confidence_note(result.confidence, [ui.plain(unit) for unit in result.written()])
        if result.confidence.unsure:
            st.warning(note)
        else:
            st.caption(note)
    if model.networks > 1:
        st.caption(f"Written by {model.networks} networks of the same design, trained apart: at every step each one "
                   "scores the next French word and the decoder takes their average, which corrects some of each "
                   "one's mistakes. The memory below is the first network's; the bars and the attention are the average.")
    for note in result.notes:
        st.caption(note)
    if text in WHY:
        st.info(WHY[text])
    if result.replaced:
        swaps = ", ".join(f"{ui.plain(english)} → {ui.plain(french)}"
                          for english, french in dict.fromkeys(result.replaced.values()))
        times = "once" if len(result.replaced) == 1 else f"{len(result.replaced)} times"
        st.caption(f"`<unk>` written {times}: the decoder wanted a French word it does not know. Attention shows which "
                   "English word it was reading, and that word's usual French partner in the training pairs takes its "
                   f"place (or the word is copied, like a name): {swaps}.")

    # Only the open tab draws (a switch reruns the fragment): a closed tab costs a student's rerun nothing
    # (bench/README.md); ?tab=Beam+tree opens one from a link.
    ui.lazy_tabs({"① Encoder reads": lambda: encoder_tab(result), "② Decoder writes": lambda: decoder_tab(result),
                  "Attention": lambda: attention_tab(result), "Beam": lambda: beams_tab(result),
                  "Beam tree": lambda: search_tree(result, text)})


translator()
card = model.bundle.card
ui.model_card(card)
st.caption("Data: Tatoeba sentence pairs, CC BY 2.0 FR — credit: www.manythings.org/anki and tatoeba.org.")
