"""Review stars: a bidirectional GRU gives a review 1 to 5 stars, beside a feed-forward network on a bag of words."""
import streamlit as st

from rnn import ui, viz
from rnn.tasks import stars

ui.setup_page(
    "Review stars",
    "⭐",
    "**Sentiment analysis**, the video's example: read a product review and give it **one to five stars**. "
    "A recurrent network reads the review one word at a time and carries its memory forward, so word order "
    "counts: *not bad, really good* is not *not good, really bad*. Beside it sits a plain feed-forward network on "
    "one-hot words. The video's has one input slot per word position (see the Hidden state page); to take reviews "
    "of any length this one adds the slots' one-hot vectors up, so it sees which words occur but never in what order.",
)

DEFAULT = "The fabric is soft and the color is lovely, but it runs small. Not bad, I kept it."
EXAMPLES = {
    "Looks great": "I was worried it would look cheap but it looks great.",
    "Looks cheap": "I was worried it would look great but it looks cheap.",
    "Quality is perfect": "Not cheap but the quality is perfect.",
    "Quality is cheap": "Not perfect but the quality is cheap.",
    "Not bad, really good": "Not bad, really good.",
    "Not good, really bad": "Not good, really bad.",
    "Love it": "I love this dress! The fit is perfect and the fabric is so soft. I get compliments every time.",
    "Mixed": DEFAULT,
    "Sent it back": "Sadly this did not work for me. The material is cheap and see-through and it fit like a sack. Returned.",
    "Wanted to love it": "I wanted to love this top, the colour is beautiful, but the cut is very boxy and unflattering.",
}
# Pairs with the same words in another order: the feed-forward network's bag of one-hot vectors cannot
# tell them apart. Each text maps to its partner.
PAIRS = [("Looks great", "Looks cheap"), ("Quality is perfect", "Quality is cheap"),
         ("Not bad, really good", "Not good, really bad")]
SAME_WORDS = {stars.plain_words(EXAMPLES[a]): EXAMPLES[b] for a, b in PAIRS} | {
    stars.plain_words(EXAMPLES[b]): EXAMPLES[a] for a, b in PAIRS}


def star_text(count: int | None) -> str:
    return "–" if count is None else "★" * count + "☆" * (5 - count)


model = ui.load_model("stars", stars.load)
if model is None:
    st.stop()

ui.example_picker("Try an example", EXAMPLES, key="example")


@st.fragment
def reader() -> None:
    text = ui.guard_text(ui.text_box("Your review", DEFAULT, live=True, area=False,
                                     help="The stars update as you type."))
    if text is None:
        return
    result = stars.predict(model, text)
    if result.stars is None:
        st.info("There are no words in that text to read. Try a sentence about a piece of clothing.")
        return
    if result.truncated:
        st.warning(f"The network reads the first {stars.MAX_TOKENS} words only.")

    rnn_col, ann_col = st.columns(2)
    with rnn_col:
        st.metric("Recurrent network (bidirectional GRU)", star_text(result.stars), help="Reads the words in order.")
        st.caption(f"{result.stars} of 5 stars, {result.probs[result.label]:.0%} sure")
        ui.chart(viz.prob_bars(result.probs, "RNN: probability of each rating", highlight=result.label), key="rnn_bars")
    with ann_col:
        st.metric("Feed-forward network (one-hot words added up)", star_text(result.ann_stars),
                  help="Sees which words occur, not their order.")
        st.caption(f"{result.ann_stars} of 5 stars, {result.ann_probs[result.ann_label]:.0%} sure")
        ui.chart(viz.prob_bars(result.ann_probs, "Feed-forward: probability of each rating",
                                      highlight=result.ann_label), key="ann_bars")
    partner = SAME_WORDS.get(stars.plain_words(text))
    if partner:
        st.info(f"This review and “{partner}” have exactly the same words. Added up, their one-hot "
                "vectors are the same input, so the feed-forward network must give both the same answer. The "
                "recurrent network reads the words in order and need not: pick the other one to compare.")
    ui.unknown_words_note(result.trace)

    st.subheader("Word by word")
    st.caption("What the network would say **if the review ended at this word**: a readout of the forward "
               "(left-to-right) memory alone, trained on every prefix of every review. Watch *not*, *but* or "
               "*returned* pull the stars down. The dashed line is the answer for the whole review, which also "
               "uses the right-to-left direction.")
    ui.chart(viz.stars_path(result.trace.tokens, [stars.expected_stars(step) for step in result.trace.readout],
                               stars.expected_stars(result.probs)), key="path")
    with st.expander("Every word's full star distribution (heatmap)"):
        ui.chart(viz.readout_heatmap(result.trace), key="heatmap")

    st.subheader("Which words did it use?")
    st.caption("The chart above is what the network would say if the review stopped early. This asks something else: "
               "for the answer to the whole review, how much did each word matter? A word counts in its context: "
               "after *not*, even *bad* can push the stars up.")
    ui.word_influence("stars", model, result)


reader()
contrast = stars.contrast_summary(model.bundle.card)
if contrast:
    st.markdown(contrast)
ui.model_card(model.bundle.card)
