"""Your sentences: a teacher's labelled sentences train a tiny RNN and the video's feed-forward network, live."""
import time

import streamlit as st

from rnn import ui, viz
from rnn.own import report
from rnn.own.bundle import MAX_BUNDLE_BYTES, BundleProblem, from_zip, to_zip
from rnn.own.data import MAX_CSV_BYTES, MAX_LABELS, MAX_ROWS, MAX_TEXT_CHARS, MIN_ROWS, CsvProblem, decode, parse_csv
from rnn.own.datasets import READY_MADE
from rnn.own.engine import DEFAULT_SECONDS, TRAINING_QUEUE, prepare
from rnn.own.model import FEED_FORWARD_NAME, RNN_NAME, predict

ui.setup_page(
    "Your sentences", "✍️",
    "Give the networks **your own examples**: sentences with a label each (positive/negative, question/statement, "
    "formal/informal…). A tiny RNN and the video's feed-forward network learn them side by side, here on the "
    "server, in under a minute; then type new sentences into both and open the RNN's memory on the Hidden state page.",
)

# Session keys of this page's own: a training that is running (kept when the run is interrupted, e.g. by Stop),
# which ready-made dataset the model was trained on, the problem an uploaded CSV had, the bundle last loaded.
PARTIAL, TRAINED_ON, UPLOAD_PROBLEM, LOADED_BUNDLE = "_own_partial", "_own_trained_on", "_own_upload_problem", "_own_bundle_id"
datasets = {d.title: d.csv() for d in READY_MADE.values()}
if "own_csv" not in st.session_state:
    st.session_state["own_csv"], st.session_state["own_start"] = READY_MADE["negation"].csv(), READY_MADE["negation"].title


def read_upload() -> None:
    """An uploaded CSV goes into the text box (which keeps it, and any edits, across errors)."""
    upload = st.session_state.get("own_upload")
    st.session_state.pop(UPLOAD_PROBLEM, None)
    if upload is not None:
        try:
            st.session_state["own_csv"] = decode(upload.getvalue())
        except CsvProblem as problem:
            st.session_state[UPLOAD_PROBLEM] = str(problem)


ui.example_picker("Start from a ready-made dataset", datasets, key="own_start", target_key="own_csv")
st.file_uploader("…or upload a CSV file (text,label)", type=["csv", "txt"], key="own_upload", on_change=read_upload,
                 max_upload_size=max(1, MAX_CSV_BYTES // 1_000_000))
if UPLOAD_PROBLEM in st.session_state:
    st.error(ui.plain(st.session_state[UPLOAD_PROBLEM]))
csv_text = st.text_area(
    "Your sentences: a first row text,label, then one sentence and its label per row", key="own_csv", height=220,
    max_chars=MAX_CSV_BYTES,
    help=f"{MIN_ROWS}–{MAX_ROWS:,} rows, 2–{MAX_LABELS} labels, at most {MAX_TEXT_CHARS} characters a sentence. "
         "Put a sentence with a comma in double quotes. Edit freely: nothing is lost when a row has a problem.")
try:
    data = parse_csv(csv_text or "")
    st.markdown(report.data_summary(data, ui.plain))
except CsvProblem as problem:
    data = None
    st.error("**Fix these rows and the Train button comes back:**\n\n"
             + "\n".join(f"- {ui.plain(line)}" for line in str(problem).splitlines()))
dataset = next((key for key, d in READY_MADE.items() if data is not None and d.csv() == csv_text), None)
if dataset is not None:
    st.caption(f"**{READY_MADE[dataset].title}:** {READY_MADE[dataset].description}")


def keep(training, trained_on, stopped: bool) -> None:
    """The trained pair becomes this session's model (and the Hidden state page's 'Your sentences')."""
    pair = READY_MADE[trained_on].pair if trained_on else None
    model = training.result(READY_MADE[trained_on].title if trained_on else "Your sentences", "your own data",
                            demo=pair[0][0] if pair else None,
                            memory_pair=(pair[0][0], pair[1][0]) if pair else None)
    st.session_state[ui.OWN_MODEL], st.session_state[TRAINED_ON] = model, trained_on
    st.session_state["try"] = model.demo
    if stopped:
        st.warning(f"Stopped: the RNN had trained {len(training.history[RNN_NAME])} epoch(s). Below is what both "
                   "networks learned until then.")


clicked = st.button("▶ Train both networks", type="primary", disabled=data is None,
                    help=f"At most {DEFAULT_SECONDS:.0f} seconds of one core; one training at a time on this server.")
stop_slot, status, live_chart = st.empty(), st.empty(), st.empty()
if PARTIAL in st.session_state:  # the last run was stopped (or interrupted) while training
    training, trained_on = st.session_state.pop(PARTIAL)
    if not clicked and training.history[RNN_NAME]:
        keep(training, trained_on, stopped=True)
    elif not clicked:
        st.warning("Stopped before the RNN's first epoch: nothing to show yet. Press Train to start again.")
if clicked and data is not None:
    stop_slot.button("■ Stop", help="Keep both networks as they are after their last epoch.")

    def waiting(ahead: int) -> None:
        status.info(f"⏳ Another class member's training is running on this server: yours is number {ahead + 1} in "
                    "the queue and starts by itself when theirs is done (each takes under a minute).")

    drawn = [0.0]  # when the chart was last drawn: a few times a second is live enough, and cheaper

    def progress(name: str, row: dict) -> None:
        status.info(f"**{name}**, epoch {row['epoch']}: training loss {row['train_loss']:.3f}, held-out accuracy "
                    f"{row['valid_accuracy']:.0%}.")
        if time.monotonic() - drawn[0] < 0.5:
            return
        drawn[0] = time.monotonic()
        ui.chart(viz.live_accuracy_chart(training.history), where=live_chart, key=f"own_{name}_{row['epoch']}",
                 alt="Held-out accuracy per epoch for both networks.")

    with TRAINING_QUEUE.turn(on_wait=waiting):  # the encoded sentences exist only during one's own turn
        status.info("Training starts…")
        training = prepare(data)
        st.session_state[PARTIAL] = (training, dataset)
        training.run(seconds=DEFAULT_SECONDS, on_epoch=progress)
    st.session_state.pop(PARTIAL, None)
    stop_slot.empty()
    keep(training, dataset, stopped=False)
    status.success(f"Done in {training.seconds:.0f} s"
                   + (" (the time budget ended it early)." if training.out_of_time else "."))

model = ui.own_model()
if model is not None:
    ui.chart(viz.live_accuracy_chart(model.history), where=live_chart, alt="Held-out accuracy per epoch for both networks.")
    st.subheader("What they learned")
    st.caption(f"Accuracy on the held-out sentences ({model.bundle.card['data']['valid_size']}), which neither network "
               f"trained on. Trained on: {ui.plain(model.bundle.card['data']['name'])}.")
    st.table(report.accuracy_rows(model))
    shown = st.session_state.get(TRAINED_ON)
    if shown in READY_MADE:
        pair = READY_MADE[shown].pair
        st.markdown("**Where the RNN's memory shows:** two new sentences, alike in their first words.")
        st.table(report.pair_rows(model, pair))
        st.markdown(report.pair_verdict(model, pair))
    st.subheader("Try a sentence")
    text = ui.guard_text(ui.text_box("A sentence of your own", model.demo, key="try", live=True))
    if text is not None:
        result = predict(model, text)
        if result.label is None:
            st.info("There are no words in that text to read. Try a sentence.")
        else:
            left, right = st.columns(2)
            left.metric(RNN_NAME, result.label, help=f"{result.probs[result.label]:.0%} sure")
            right.metric("Feed-forward", result.ff_label, help=f"{FEED_FORWARD_NAME}: {result.ff_probs[result.ff_label]:.0%} sure")
            st.caption(f"RNN {result.probs[result.label]:.0%} sure; feed-forward {result.ff_probs[result.ff_label]:.0%} sure.")
            for note in result.notes:
                st.caption(ui.plain(note))
            ui.unknown_words_note(result.trace)
            model.demo = text
            # A link, not st.switch_page: switching clears the query string, which this page's bound boxes forbid.
            ui.page_link("pages/5_Hidden_State.py", "Open this sentence on the Hidden state page", "🧠",
                         {"text": text, "model": model.entry.hidden_state_label} | ({"present": "true"} if ui.presenting() else {}))
    st.download_button("⬇ Download the trained networks (.zip)", data=lambda: to_zip(model),
                       file_name="your_sentences_model.zip", mime="application/zip", on_click="ignore",
                       help="The same files as a model bundle in assets/: weights, config, vocabulary and model card.")

with st.expander("Open a bundle you downloaded before"):
    bundle = st.file_uploader("A .zip from this page", type=["zip"], key="own_bundle",
                              max_upload_size=max(1, MAX_BUNDLE_BYTES // 1_000_000))
    if bundle is not None and st.session_state.get(LOADED_BUNDLE) != bundle.file_id:
        try:
            st.session_state[ui.OWN_MODEL] = from_zip(bundle.getvalue())
            st.session_state[LOADED_BUNDLE], st.session_state[TRAINED_ON] = bundle.file_id, None
            st.session_state.pop("try", None)
            st.rerun()
        except BundleProblem as problem:
            st.error(ui.plain(str(problem)))
    st.caption("Your model lives only in this browser tab's session: nobody else on the server can see or use it.")
st.caption("The ready-made datasets are generated by code in this app (rnn/own/datasets.py) from small grammars.")
