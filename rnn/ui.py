"""Streamlit helpers every page shares: page setup, the sentence box, model loading, the model card.

Streamlit runs each script in pages/ on its own, so anything common to all pages lives here and each page
starts with setup_page(). This is the only module in rnn/ that imports streamlit.
"""
from __future__ import annotations

import functools
import gc
import json
import re
from pathlib import Path
from typing import Callable, NamedTuple, TypeVar

import pandas as pd
import plotly.graph_objects as go
import streamlit as st
import torch
from streamlit.errors import StreamlitAPIException

from rnn import attribution, viz, worker
from rnn.checkpoint import BundleError
from rnn.registry import TASKS
from rnn.text import strip_bidi_controls
from rnn.trace import Trace

T = TypeVar("T")

# One thread per inference: requests are tiny, and on a 2-core server with many students, torch's
# intra-op threads only fight each other (measured: entities predict 14 ms on one thread, ~130 ms on two
# under load). Set once, when the app first imports this module.
torch.set_num_threads(1)
ROOT = Path(__file__).resolve().parent.parent

# The longest text a page accepts. Models read at most rnn.text.MAX_TOKENS tokens of it.
MAX_CHARS = 1000
# What the sentence box itself accepts: a longer paste is cut to MAX_CHARS with a warning (guard_text), where a box
# capped at MAX_CHARS would drop or cut it without a word.
PASTE_LIMIT = 10 * MAX_CHARS

# Presenter mode: bigger type, higher contrast, less chrome. Only our own constant CSS goes in here.
_PRESENTER_CSS = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 21px; }
[data-testid="stAppViewContainer"] p, [data-testid="stAppViewContainer"] li,
[data-testid="stAppViewContainer"] label { font-size: 1.15rem !important; color: #000 !important; }
[data-testid="stAppViewContainer"] h1 { font-size: 2.1rem !important; padding: 0 0 0.3rem 0 !important; }
[data-testid="stHeader"], [data-testid="stToolbar"], footer { display: none !important; }
[data-testid="stMainBlockContainer"] { padding-top: 1rem; max-width: 1240px; }
/* what the class reads from the back of the room: the typed sentence and the answers */
[data-testid="stMain"] [data-testid="stTextInput"] input, [data-testid="stMain"] textarea { font-size: 1.45rem !important; }
[data-testid="stMain"] [data-testid="stCode"] code { font-size: 1.5rem !important; }
[data-testid="stMain"] [data-testid="stMetricValue"], [data-testid="stMain"] [data-testid="stMetricValue"] * { font-size: 2.4rem !important; }
[data-testid="stMain"] .entities { font-size: 1.5rem !important; line-height: 2.6 !important; }
/* at this size a long menu name would be cut to "Memory over dist…": let it wrap instead */
[data-testid="stSidebar"] [data-testid="stPageLink-NavLink"] * { white-space: normal !important; overflow: visible !important; line-height: 1.3; }
</style>
"""
# Session keys of our own (never widget keys): presenter mode as last chosen; the page shown last; each page's
# last sentence per box (prefix + page + ":" + box key); a box that should start from its page's default.
_PRESENTING, _PAGE, _SENTENCE, _USE_DEFAULT = "_presenting", "_page", "_sentence:", "_use_default:"
_BASE_CSS = """
<style>
[data-testid="stMainBlockContainer"] { max-width: 1150px; }
/* on a phone the element toolbar (fullscreen, ...) would sit on a chart's title and its top labels */
@media (max-width: 640px) { [data-testid="stElementToolbar"] { display: none !important; } }
</style>
"""


# The pages after the four tasks, in the order of the video's story (a page whose script is absent is left out).
class ExplorePage(NamedTuple):
    script: str
    label: str
    icon: str
    blurb: str  # what a student does there, for the home page


EXPLORE_PAGES = [
    ExplorePage("pages/5_Hidden_State.py", "Hidden state", "🧠",
                "The hidden state carrying context word by word, beside the feed-forward network's one-hot input layer."),
    ExplorePage("pages/6_Watch_It_Learn.py", "Watch it learn", "🏋️",
                "Train a tiny RNN and the feed-forward network live, epoch by epoch, and see where they part ways."),
    ExplorePage("pages/7_Memory_Over_Distance.py", "Memory over distance", "📏",
                "The video's simple RNN against a GRU and an LSTM: who still remembers a word 40 steps back, and why."),
    ExplorePage("pages/8_Your_Sentences.py", "Your sentences", "✍️",
                "Your own labelled sentences train a tiny RNN and a feed-forward network, ready to explore."),
]


def explore_pages() -> list[ExplorePage]:
    """The explore pages whose script is there."""
    return [page for page in EXPLORE_PAGES if (ROOT / page.script).is_file()]


def menu() -> list[tuple[str, str, str]]:
    """(script, label, icon) of every page there is, in the order of the video's story."""
    pages = [("streamlit_app.py", "Home", "🏠"), *((t.page, t.title, t.icon) for t in TASKS)]
    return [page for page in pages if (ROOT / page[0]).is_file()] + [page[:3] for page in explore_pages()]


def setup_page(title: str, icon: str, intro: str = "") -> None:
    """First call of every page: page config, the shared sidebar, presenter mode, the title and intro."""
    st.set_page_config(page_title=f"{title} · RNN Playground", page_icon=icon, layout="wide")
    with st.sidebar:
        for script, label, page_icon in menu():
            try:
                st.page_link(script, label=label, icon=page_icon)
            except StreamlitAPIException:  # a page run on its own (AppTest) has no other pages to link to
                break
        st.divider()
        # A page link drops the query string, and the bound toggle would then read ?present as unset: remember it
        # in the session, so presenter mode stays on across the menu, page links, lesson links and examples.
        if st.session_state.get(_PRESENTING) and ("present" not in st.query_params or not st.session_state.get("present")):
            st.session_state["present"] = True
        presenting = st.toggle("Presenter mode", key="present", bind="query-params", on_change=_remember_presenting,
                               help="Large type and less chrome, for a projector. Also in the link: ?present=true")
        if presenting:  # also when it came from the link
            st.session_state[_PRESENTING] = True
        st.caption("RNN Playground: real recurrent networks, trained on real data, reading your sentence "
                   "one word at a time.")
    st.html(_PRESENTER_CSS if presenting else _BASE_CSS)
    _keep_sentences_apart(title)
    worker.warm()
    st.title(f"{icon} {title}")
    if intro and presenting:  # on a projector the answer must fit on the first screen: the teacher tells the story
        with st.expander("What this page shows"):
            st.markdown(intro)
    elif intro:
        st.markdown(intro)


def _keep_sentences_apart(page: str) -> None:
    """Each page keeps its own sentence. The sentence box is bound to ?text=, which Streamlit carries over to the
    next page: on arriving at a page with the previous page's sentence still in the box, put back this page's own
    (or its default). A lesson link that opens a page on a sentence of its own is left alone."""
    previous = st.session_state.get(_PAGE)
    st.session_state[_PAGE] = page
    if previous is None or previous == page:
        return
    prefix = f"{_SENTENCE}{previous}:"
    for memory in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        key = memory[len(prefix):]
        arrived_with = st.session_state.get(key, st.query_params.get(key))
        if arrived_with is None or arrived_with != st.session_state[memory]:
            continue
        own = st.session_state.get(f"{_SENTENCE}{page}:{key}")
        if own is None:
            st.session_state[f"{_USE_DEFAULT}{key}"] = True
        else:
            st.session_state[key] = own


def _remember_presenting() -> None:
    """The toggle's own changes (on or off) are what the session remembers."""
    st.session_state[_PRESENTING] = bool(st.session_state.get("present"))


def text_box(label: str, default: str, *, key: str = "text", live: bool | str = False, area: bool = False,
             placeholder: str | None = None, help: str | None = None) -> str:
    """The sentence box. Its value lives in the URL (?text=...), so a link opens the same sentence; each page keeps
    its own (see _keep_sentences_apart)."""
    if st.session_state.pop(f"{_USE_DEFAULT}{key}", False) or (key not in st.session_state and key not in st.query_params):
        st.session_state[key] = default
    if area:
        value = st.text_area(label, key=key, max_chars=PASTE_LIMIT, bind="query-params", placeholder=placeholder, help=help)
    else:
        value = st.text_input(label, key=key, max_chars=PASTE_LIMIT, bind="query-params", live=live,
                              placeholder=placeholder, help=help)
    st.session_state[f"{_SENTENCE}{st.session_state.get(_PAGE)}:{key}"] = value or ""
    # every page shows what this returns: a bidi override in it would reorder the page's own text after it
    return strip_bidi_controls(value or "")  # guard_text cuts it to MAX_CHARS, and says so


# The model a session trained or uploaded on the Your sentences page: held in that session's state only.
OWN_MODEL = "_own_model"


def own_model():
    """This session's own trained model (rnn.own.model.OwnModel), or None."""
    return st.session_state.get(OWN_MODEL)


def page_link(page: str, label: str, icon: str, query_params: dict[str, str] | None = None) -> None:
    """A link to another page, opened on query_params if given (a page run on its own, as in AppTest, has none)."""
    try:
        st.page_link(page, label=label, icon=icon, query_params=query_params)
    except StreamlitAPIException:
        pass


def presenting() -> bool:
    """Is presenter mode on (setup_page has run)?"""
    return bool(st.session_state.get(_PRESENTING))


def controls():
    """Where a page puts its examples and settings: above the sentence box, or in the sidebar in presenter mode,
    so that on a projector the sentence and the answer are on the first screen."""
    return st.sidebar if presenting() else st.container()


def example_picker(label: str, examples: dict[str, str], key: str, target_key: str = "text") -> str | None:
    """A row of example buttons; a click puts that example in the sentence box (session_state[target_key])."""

    def use(choice_key: str = key) -> None:
        choice = st.session_state.get(choice_key)
        if choice in examples:
            st.session_state[target_key] = examples[choice]

    # once the sentence is edited it is no longer the example: no pill stays lit
    chosen = st.session_state.get(key)
    if chosen in examples and st.session_state.get(target_key) != examples[chosen]:
        st.session_state[key] = None

    choice = controls().pills(label, list(examples), key=key, on_change=use, selection_mode="single")
    return examples.get(choice) if choice else None


def load_model(task: str, loader: Callable[[], T]) -> T | None:
    """The task's model, loaded once per process; on a missing or broken bundle, an error box and None."""
    try:
        return _load_cached(task, loader)
    except BundleError as err:
        st.error(f"**The {task} model is not available.** {err.reason}.\n\nRebuild it with:")
        st.code(err.command, language="bash")
        return None


@st.cache_resource(show_spinner="Loading the trained model…", max_entries=8)
def _load_cached(task: str, _loader: Callable[[], T]) -> T:
    model = _loader()
    # The model (and the libraries imported to load it) stays for the life of the process: move every object
    # alive now out of the garbage collector's sight, so its full collections stay fast (measured: ~110 ms -> under 1 ms).
    gc.freeze()
    return model


# Charts are for reading: no zoom, pan or toolbar, which on a phone catch the swipe meant for the page and
# cover the titles. Hover still shows the numbers.
CHART_CONFIG = {"displayModeBar": False, "scrollZoom": False, "doubleClick": False, "responsive": True}


def chart(figure, key: str | None = None, alt: str | None = None, where=st) -> None:
    """A Plotly figure across the page's width, in the app's touch-friendly configuration (where: e.g. an st.empty())."""
    where.plotly_chart(figure, width="stretch", key=key, config=CHART_CONFIG, alt=alt)


def lazy_tabs(tabs: dict[str, Callable[[], None]], key: str = "tab") -> None:
    """Tabs (label -> what draws its content) of which only the open one draws: a switch reruns the script, so a
    closed tab costs a rerun nothing. Bound to the link (?tab=Memory), so a link can open any of them."""
    containers = st.tabs(list(tabs), key=key, on_change="rerun", bind="query-params")
    for container, draw in zip(containers, tabs.values()):
        if container.open:
            with container:
                draw()


def plain(text: str) -> str:
    """User text for markdown: every markdown character escaped, so it shows exactly as typed."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")


def guard_text(text: str, max_chars: int = MAX_CHARS) -> str | None:
    """Empty -> a friendly prompt and None; too long -> a warning and the text cut to max_chars."""
    if not text or not text.strip():
        st.info("Type a sentence above (or pick an example) to see the network read it.")
        return None
    if len(text) > max_chars:
        st.warning(f"That text is long: the network reads the first {max_chars} characters.")
        return text[:max_chars]
    return text


def unknown_words_note(trace: Trace) -> None:
    """Say which words the model never saw in training (it reads each as the one <unk> token)."""
    unknown = trace.unknown_words
    if not trace.tokens:
        return
    if len(unknown) == len(trace.tokens):
        st.warning("The model knows none of these words: it reads every one as the same `<unk>` token, so its "
                   "answer says little. Try an everyday English sentence.")
    elif unknown:
        shown = ", ".join(f"“{plain(w)}”" for w in dict.fromkeys(unknown))
        st.caption(f"Not in the model's vocabulary (read as `<unk>`): {shown}")


def headline_text(card: dict | None) -> str:
    """'91.2% validation accuracy' from a card's headline, or an honest 'not trained yet'."""
    if not card or "headline" not in card:
        return "not trained yet"
    head = card["headline"]
    value = head.get("value")
    if value is None:
        return "not measured yet"
    shown = f"{value:.1%}" if head.get("format") == "pct" else f"{value:.2f}"
    return f"{shown} {head.get('label', head.get('key', ''))}"


def metrics_table(card: dict) -> pd.DataFrame:
    """One row for the model, one per ensemble member measured alone, and one per baseline; a column per metric."""
    # the model is described above the table: a short label keeps the numbers in view on a phone
    rows = {"This RNN": card.get("metrics", {})}
    for number, member in enumerate(card.get("members") or [], 1):  # an ensemble's networks, each measured alone
        scores = member.get("metrics") or {k: v for k, v in member.items() if k in card.get("metrics", {})}
        rows[f"Network {number} alone" + (f" ({member['model']})" if member.get("model") else "")] = scores
    rows.update(card.get("baselines", {}))
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table.apply(pd.to_numeric, errors="coerce").round(4)


# How the card's metric keys read in its table, and which are shares (shown as percentages).
METRIC_NAMES = {
    "accuracy": "accuracy", "macro_f1": "macro-F1", "mae": "mean error (stars)",
    "contrast_pair_accuracy": "order pairs: better one higher", "contrast_polarity_accuracy": "order pairs: both sides right",
    "f1": "F1", "f1_lowercased": "F1, all lower case", "precision": "precision", "recall": "recall",
    "f1_PER": "F1 people", "f1_ORG": "F1 organisations", "f1_LOC": "F1 places", "f1_MISC": "F1 other names",
    "bleu": "BLEU (beam)", "chrf": "chrF (beam)", "bleu_greedy": "BLEU (greedy)", "chrf_greedy": "chrF (greedy)",
    "flagged_share": "flagged unsure", "chrf_flagged": "chrF of the unsure", "chrf_unflagged": "chrF of the rest",
    "perplexity": "perplexity", "top1": "top-1 next word", "top3": "top-3 next word", "keystroke_savings": "keystrokes saved",
}
PERCENT_METRICS = {"accuracy", "macro_f1", "contrast_pair_accuracy", "contrast_polarity_accuracy", "f1", "f1_lowercased",
                   "precision", "recall", "f1_PER", "f1_ORG", "f1_LOC", "f1_MISC", "flagged_share", "top1", "top3",
                   "keystroke_savings"}
COUNT_METRICS = {"n_sentences", "n_pairs", "n"}  # sizes of what was measured, not scores


def card_table(card: dict) -> pd.DataFrame:
    """metrics_table for reading: named columns, percentages, two decimals, and a dash where nothing was measured."""
    table = metrics_table(card)
    table = table[[c for c in table.columns if c not in COUNT_METRICS]]

    def shown(key: str, value: float) -> str:
        if pd.isna(value):
            return "–"
        return f"{value:.1%}" if key in PERCENT_METRICS else f"{value:.2f}"

    return pd.DataFrame({METRIC_NAMES.get(key, key.replace("_", " ")): [shown(key, v) for v in table[key]]
                         for key in table.columns}, index=table.index)


@functools.lru_cache(maxsize=16)
def _card_views(card_json: str) -> tuple[pd.DataFrame, go.Figure | None]:
    """The card's score table and training-curve figure, built once per card (a card never changes while the
    app runs; both are only read afterwards). Keyed by the card's JSON: a rebuilt bundle gets its own."""
    card = json.loads(card_json)
    curve = card.get("curve") or []
    return card_table(card), viz.training_curve(curve, card.get("headline", {}).get("key")) if curve else None


def model_card(card: dict | None) -> None:
    """The model card: measured scores beside the baselines, the training curve, data, licence, command."""
    st.subheader("Model card")
    if not card:
        st.info("This model has no card yet: it has not been trained.")
        return
    st.markdown(f"**{card.get('title', card.get('task', 'Model'))}** — {card.get('model', '')}")
    cols = st.columns(3)
    cols[0].metric("Measured score", headline_text(card).split(" ", 1)[0], help=headline_text(card))
    cols[1].metric("Parameters", f"{card.get('parameters', 0):,}")
    where = card.get("trained_on")
    cols[2].metric("Training time", f"{card.get('train_seconds', 0) / 60:.0f} min", help=f"Trained on: {where}." if where else None)
    st.caption(f"Score: {headline_text(card)}. Measured on data the model never trained on.")
    table, curve = _card_views(json.dumps(card, sort_keys=True))
    st.table(table)  # a plain table wraps its long row names, so a phone still shows the numbers
    with st.expander("How it was trained"):
        if curve is not None:
            chart(curve, key=f"curve-{card.get('task', '')}",
                  alt="Training loss falling epoch by epoch, with the validation score beside it.")
        data = card.get("data", {})
        st.markdown(
            f"**Data:** {data.get('name', '?')} ({data.get('train_size', '?')} training / "
            f"{data.get('valid_size', '?')} validation examples). **Licence:** {data.get('licence', '?')}."
        )
        if data.get("attribution"):
            st.markdown(f"**Credit:** {data['attribution']}")
        if card.get("notes"):
            st.markdown(card["notes"])
        st.markdown("**Rebuild it with:**")
        st.code(card.get("command", ""), language="bash")
        for number, teacher in enumerate(card.get("teachers") or [], 1):
            st.markdown(f"**Teacher {number}**, whose predictions it also learned from: {teacher.get('model', '')}. Built with:")
            st.code(teacher.get("command", ""), language="bash")


def explains(task: str) -> bool:
    """Can word_influence explain this task's answers (the four shipped tasks)?"""
    return task in attribution.TASKS


def word_influence(task: str, model, result, pick: int | None = None, key: str = "influence",
                   attention: bool = False) -> None:
    """Which words the answer in result depended on, shaded, with its narration: computed only once the student asks
    (the toggle). pick: the word (entities) or French unit (translate) to explain; None offers a picker. attention:
    the decoder's attention for the same French unit beside it (translate)."""
    # bound to the link (?influence=true), so a slide can open a page with the view shown
    if not explains(task) or not st.toggle("Show which words moved the answer", key=key, bind="query-params",
                                           help="Replace each word in turn by an unknown word, and watch the answer."):
        return
    if pick is None and task in ("entities", "translate"):
        pick = _influence_pick(task, result, key)
    found = attribution.attribute(task, model, result, pick)
    if found is None:
        st.info("There is nothing to explain yet: type a few words.")
        return
    st.html(attribution.influence_html(found))
    st.caption(f"Method: {attribution.METHOD_TEXT}. {plain(attribution.reading_guide(found))}")  # it quotes a word
    st.info(plain(attribution.narrate(found)))
    if attention and pick is not None:
        weights = result.attention[pick, : len(found.tokens)]
        st.markdown("**Attention** while writing it: where the decoder read from, not what it needed.")
        st.html(attribution.attention_html(found.tokens, weights))
        st.caption(plain(attribution.attention_versus_attribution(found, weights)))


def _influence_pick(task: str, result, key: str) -> int | None:
    """The student picks the word whose tag (entities) or the French unit (translate) to explain."""
    words = [t.text for t in result.tokens] if task == "entities" else list(result.target)
    if not words:
        return None
    start = result.entities[0].first if task == "entities" and result.entities else 0
    label = "Word whose tag to explain" if task == "entities" else "French word to explain"
    return st.select_slider(label, options=list(range(len(words))), value=start, format_func=lambda i: f"{i + 1}. {words[i]}",
                            key=f"{key}-pick-{hash(tuple(words))}") if len(words) > 1 else 0
