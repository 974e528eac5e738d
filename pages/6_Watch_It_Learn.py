"""Watch it learn: a tiny RNN and the video's feed-forward network trained live, side by side."""
import pandas as pd
import streamlit as st

from rnn import ui, viz
from rnn.live_training import (DEFAULT_EPOCHS, LABELS, MAX_SLOTS, featured_sentence, fresh_networks, negation_data,
                               not_slots, positive_probabilities, train_live, vocabulary, watch_sentences,
                               watched_history)
from rnn.training import count_parameters

ui.setup_page(
    "Watch it learn", "🏋️",
    "Training, as the video walks through it: show the network every training sentence, measure how wrong it is, "
    "and nudge every weight to be a little less wrong — again and again, **epoch** after epoch. Here two small "
    "networks learn the same task live, on this server's CPU, in a few seconds.",
)

train, shifted = negation_data()
vocab = vocabulary()
trained_slots, shifted_slots = not_slots(train), not_slots(shifted)

st.markdown(
    f"**The task:** is a short sentence positive or negative? *not* flips the meaning, so **word order decides**. "
    f"There are {len(train)} training sentences made from a small grammar. In training, a sentence starts with at most "
    "one filler word (*well*, *honestly*…), so *not* only ever stands in slot "
    f"{' or '.join(map(str, trained_slots))}. The **shifted test** puts three or four fillers first: the same phrases, "
    "further along."
)


def sample(examples, per_label: int = 3) -> pd.DataFrame:
    """A few examples of each label, so the table shows both kinds."""
    chosen = [e for label in (1, 0) for e in [x for x in examples if x.label == label][:per_label]]
    return pd.DataFrame({"sentence": [e.text for e in chosen], "label": [LABELS[e.label] for e in chosen]})


left, right = st.columns(2)
left.markdown("**Training sentences**")
left.dataframe(sample(train), hide_index=True, width="stretch")
right.markdown("**Shifted test sentences**")
right.dataframe(sample(shifted), hide_index=True, width="stretch")

with st.expander("The four steps of one training step", expanded=True):
    st.markdown(
        "1. **Forward:** the network reads a batch of sentences and outputs its guess (the probability of *positive*).\n"
        "2. **Loss:** cross-entropy measures how wrong the guesses are (0 = perfectly sure and right).\n"
        "3. **Backprop:** back-propagation works out, for every weight, which way to move it to lower the loss.\n"
        "4. **Update:** the optimiser (Adam) moves every weight a small step that way.\n\n"
        f"One **epoch** = these four steps over all {len(train)} training sentences, in batches of 16."
    )

# Sentences with "not" in a slot the feed-forward network never trained: where the two networks part ways.
watchable = watch_sentences(shifted)
epochs = st.slider("Epochs", 5, 40, DEFAULT_EPOCHS, key="epochs", bind="query-params")

clicked = st.button("▶ Train both networks", type="primary")
# The loss chart has one place: drawn live while training, then redrawn there from the stored history.
status, loss_chart = st.empty(), st.empty()
if clicked:
    networks = fresh_networks(vocab)
    history: dict[str, list[dict]] = {name: [] for name in networks}
    for name, net in networks.items():
        def report(row, name=name, net=net):
            row = {**row, "watch_positive": positive_probabilities(net, watchable, vocab)}
            history[name].append(row)
            status.info(f"**{name}**, epoch {row['epoch']}/{epochs}: forward → loss {row['train_loss']:.3f} → backprop → "
                        f"update. Training accuracy {row['train_accuracy']:.0%}, shifted test {row['shifted_accuracy']:.0%}.")
            ui.chart(viz.live_loss_chart(history), where=loss_chart, key=f"loss_{name}_{row['epoch']}",
                     alt="Training loss per epoch for both networks.")
        train_live(net, train, shifted, vocab, epochs=epochs, on_epoch=report)
    parameters = {name: count_parameters(net) for name, net in networks.items()}
    st.session_state["live_history"] = (history, parameters)
    # A new run opens on the sentence that shows the point in this run's result.
    st.session_state["watch"] = featured_sentence(watchable, {name: rows[-1]["watch_positive"]
                                                              for name, rows in history.items()}).text
    status.success("Done. Both networks were trained on exactly the same sentences.")

if "live_history" in st.session_state:
    history, parameters = st.session_state["live_history"]
    ui.chart(viz.live_loss_chart(history), where=loss_chart, alt="Training loss per epoch for both networks.")
    st.subheader("What they learned")
    st.dataframe(pd.DataFrame({
        name: {"training accuracy": f"{rows[-1]['train_accuracy']:.0%}",
               "shifted test accuracy": f"{rows[-1]['shifted_accuracy']:.0%}", "parameters": f"{parameters[name]:,}"}
        for name, rows in history.items()
    }).T, width="stretch")
    texts = [e.text for e in watchable]
    text = st.selectbox("Sentence to watch (from the shifted test)", texts, key="watch",
                        help="It opens on the first sentence the RNN gets right and the feed-forward network gets "
                             "wrong, when there is one.")
    watched = texts.index(text)
    st.markdown(f"**“{text}”** (truly *{LABELS[watchable[watched].label]}*): the probability of *positive* after each epoch.")
    ui.chart(viz.live_watch_chart(watched_history(history, watched)),
             alt="Each network's probability of positive for the watched sentence, epoch by epoch.")
    truth = watchable[watched].label
    verdicts = []
    for name, rows in history.items():
        positive = rows[-1]["watch_positive"][watched]
        verdict = "right" if (positive >= 0.5) == (truth == 1) else "wrong"
        verdicts.append(f"**{name}** says {positive:.0%} positive: **{verdict}**")
    st.markdown("After the last epoch: " + "; ".join(verdicts) + ".")
    st.markdown(
        "Both networks learn the training sentences. On the shifted test, the **RNN** reads *not* with the same "
        "weights in any slot, so it keeps working. The **feed-forward network** learned one weight row per (slot, word): "
        f"the rows for *not* in slots {shifted_slots[0]}–{shifted_slots[-1]} never trained, and with {MAX_SLOTS} slots "
        "it cannot read a longer sentence at all."
    )
else:
    st.caption("Press the button: training takes a few seconds.")

ui.page_link("pages/7_Memory_Over_Distance.py", "Next: how far back can an RNN remember?", "📏")
