"""Plotly figure builders: pure functions, data in and figure out (no Streamlit here)."""
from __future__ import annotations

import functools
import html
from typing import Sequence

import numpy as np
import plotly.colors
import plotly.graph_objects as go
import plotly.io

from rnn.trace import Trace

# One palette for the whole app: calm, colour-blind safe (Okabe-Ito), readable on a projector.
ACCENT = "#0072B2"
SECOND = "#E69F00"
MUTED = "#8A8F98"
FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=15)
# Colour scales as lists, as go.Figure would send them: a scale's name would be looked up by plotly.js instead,
# whose "Blues" is another scale than plotly's.
DIVERGING = plotly.colors.get_colorscale("RdBu")  # hidden units: negative red, positive blue, zero white
BLUES = plotly.colors.get_colorscale("Blues")


# Plotly checks every property of a figure while building it, and builds an object for every trace, frame and
# axis: most of a chart's cost on a page rerun (16 ms of the Hidden state animation's 20). The figures are fixed
# code, not user input, so the test suite builds every one of them as a checked go.Figure (tests/conftest.py turns
# this on, for the pages it runs too) and the app hands Streamlit the same content as a plain dict (DrawnFigure).
VALIDATE = False


class DrawnFigure(go.Figure):
    """A figure that only goes to st.plotly_chart, kept as the plain dict it was built from: st.plotly_chart asks a
    go.Figure for its to_dict() and nothing else. The dict is what go.Figure would give (the default template
    included); tests/test_viz.py checks every page's charts both ways. Anything else (.layout, .data) is not there:
    build with VALIDATE on to inspect a figure."""

    def __init__(self, spec: dict):  # go.Figure.__init__ is the cost this skips
        self.__dict__["_spec"] = spec

    def to_dict(self) -> dict:
        return self._spec

    to_plotly_json = to_dict


def _template() -> dict:
    """The default template as go.Figure puts it into every figure's layout (importing streamlit makes its own
    the default: the browser fills in the page's theme colours)."""
    return _template_named(plotly.io.templates.default)


@functools.lru_cache(maxsize=4)
def _template_named(name: str) -> dict:
    return go.Figure().to_dict()["layout"]["template"]


def figure(data: list[dict], title: str, height: int, frames: list[dict] | None = None, **layout) -> go.Figure:
    """One figure in the app's look, built from plain dicts in one go (checked only when VALIDATE is on).

    Plotly's graph objects re-validate on every update call (update_layout, update_xaxes, ...): built that way a
    page's charts took most of its rerun. Traces are dicts with a "type"; layout keys are plotly's own and
    override the look's defaults.
    """
    look = dict(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=17)),
        height=height,
        margin=dict(l=10, r=10, t=50 if title else 10, b=10),
        font=FONT,
        plot_bgcolor="white",
        paper_bgcolor="white",
        dragmode=False,
        xaxis=dict(fixedrange=True),
        yaxis=dict(fixedrange=True),
    )
    merged = {**look, **layout}
    # On a phone a swipe must scroll the page, never zoom or pan a chart: every axis keeps its range.
    for name, axis in merged.items():
        if name.startswith(("xaxis", "yaxis")) and isinstance(axis, dict):
            merged[name] = {"fixedrange": True, **axis}
    if VALIDATE:
        return go.Figure(dict(data=data, layout=merged, frames=frames or []))
    spec = _without_unset(dict(data=data, layout=merged, frames=frames or []))
    spec["layout"]["template"] = _template()
    return DrawnFigure(spec if frames else {"data": spec["data"], "layout": spec["layout"]})


def _without_unset(value):
    """The spec without its None-valued properties (None leaves a property unset: go.Figure drops them)."""
    if isinstance(value, dict):
        return {key: _without_unset(item) for key, item in value.items() if item is not None}
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return [_without_unset(item) for item in value]
    return value


def percent(probability: float) -> str:
    """A probability as a whole percentage; "<1%" rather than a rounded "0%", which reads as "impossible"."""
    return "<1%" if probability < 0.005 else f"{probability:.0%}"


def prob_bars(probs: dict[str, float], title: str = "", highlight: str | None = None, height: int | None = None) -> go.Figure:
    """Horizontal bars, one per label in the given order (top to bottom), each labelled with its percentage."""
    labels, values = list(probs), [float(v) for v in probs.values()]
    colours = [ACCENT if (highlight is None or label == highlight) else MUTED for label in labels]
    bars = dict(type="bar", x=values, y=labels, orientation="h", marker=dict(color=colours),
                text=[percent(v) for v in values], textposition="outside", cliponaxis=False,
                hovertemplate="%{y}: %{x:.1%}<extra></extra>")
    return figure([bars], title, height or 60 + 34 * len(labels),
                   xaxis=dict(range=[0, max(1.0, max(values, default=0) * 1.15)], tickformat=".0%", showgrid=True, gridcolor="#eee"),
                   yaxis=dict(autorange="reversed", type="category"))


def readout_heatmap(trace: Trace, title: str | None = None) -> go.Figure:
    """What the model would answer after each word: tokens down the side, readout labels across."""
    labels = list(trace.readout[0]) if trace.readout else []
    z = np.array([[step.get(label, 0.0) for label in labels] for step in trace.readout]) if labels else np.zeros((0, 0))
    rows = [f"{i + 1}. {tok}" for i, tok in enumerate(_words(trace.tokens))]
    cells = dict(type="heatmap", z=z, x=labels, y=rows, colorscale=BLUES, zmin=0, zmax=1,
                 text=[[percent(v) for v in row] for row in z], texttemplate="%{text}",
                 hovertemplate="after '%{y}': %{x} %{z:.1%}<extra></extra>", showscale=False)
    return figure([cells], title if title is not None else trace.readout_title, 80 + 30 * max(len(rows), 1),
                   yaxis=dict(autorange="reversed", type="category"), xaxis=dict(side="top", type="category"))


def training_curve(curve: Sequence[dict], metric: str | None = None) -> go.Figure:
    """Training loss per epoch (left axis) and, if given, one validation metric (right axis)."""
    epochs = [row["epoch"] for row in curve]
    lines = [dict(type="scatter", x=epochs, y=[row.get("train_loss") for row in curve], name="training loss",
                  mode="lines+markers", line=dict(color=ACCENT))]
    extra = {}
    if metric and any(metric in row for row in curve):
        lines.append(dict(type="scatter", x=epochs, y=[row.get(metric) for row in curve], name=f"validation {metric}",
                          mode="lines+markers", line=dict(color=SECOND, dash="dash"), yaxis="y2"))
        extra["yaxis2"] = dict(overlaying="y", side="right", title=dict(text=metric), showgrid=False)
    return figure(lines, "", 300, xaxis=dict(title=dict(text="epoch (one pass over the training data)")),
                   yaxis=dict(title=dict(text="loss")), legend=dict(orientation="h", y=-0.3), hovermode="x unified", **extra)


# ---- the Hidden State page ---------------------------------------------------------------------------

def _words(tokens) -> list[str]:
    """User words for Plotly text, which reads a few HTML tags (<b>, <a>): escaped so they show as typed."""
    return [html.escape(w) for w in tokens]


def _unit_grid(vector: np.ndarray, columns: int) -> np.ndarray:
    """Lay H hidden units out as a grid (rows of `columns`), NaN-padded, so each unit is one square."""
    rows = -(-len(vector) // columns)
    grid = np.full(rows * columns, np.nan)
    grid[: len(vector)] = vector
    return grid.reshape(rows, columns)


def _sentence_colours(n: int, step: int) -> list[str]:
    return [ACCENT if i == step else ("#1B1F24" if i < step else "#C4C8CE") for i in range(n)]


def hidden_state_animation(trace, step: int | None = None, columns: int = 32) -> go.Figure:
    """The memory, word by word: the sentence (current word highlighted, future words grey), the hidden
    vector as a grid of units (blue positive, red negative) and the readout so far.

    With step=None the figure has one frame per token and plays in the browser (play, pause, slider);
    with a step it is the still picture of that step (the keyboard-operable, motion-free view).
    """
    tokens, n = _words(trace.tokens), len(trace.tokens)
    has_readout = bool(trace.readout)
    limit = float(np.nanmax(np.abs(trace.hidden))) if trace.hidden.size else 1.0
    # The sentence wraps onto rows of a few words, so it stays readable on a phone too.
    per_row = 5
    xs, ys = [i % per_row for i in range(n)], [-(i // per_row) for i in range(n)]
    units = _unit_grid(np.arange(trace.hidden.shape[1]), columns).tolist()

    # Built as one plain dict and validated once: plotly's make_subplots and its per-call updates took most of a
    # Hidden State rerun (about 50 ms for a sentence). Layout: the sentence on top across the width; below it the
    # memory grid (left) and the readout bars (right).
    def traces_at(t: int) -> list[dict]:
        shown = [dict(type="scatter", x=xs, y=ys, mode="text", text=[f"<b>{w}</b>" if i == t else w for i, w in enumerate(tokens)],
                      textfont=dict(size=15, color=_sentence_colours(n, t)), hoverinfo="skip", showlegend=False,
                      xaxis="x", yaxis="y"),
                 dict(type="heatmap", z=_unit_grid(trace.hidden[t], columns).tolist(), colorscale=DIVERGING, zmid=0,
                      zmin=-limit, zmax=limit, showscale=False, hovertemplate="unit %{customdata}: %{z:.2f}<extra></extra>",
                      customdata=units, xgap=1, ygap=1, xaxis="x2", yaxis="y2")]
        if has_readout:
            labels = list(trace.readout[t])
            shown.append(dict(type="bar", x=[trace.readout[t][k] for k in labels], y=labels, orientation="h",
                              marker=dict(color=ACCENT), text=[f"{trace.readout[t][k]:.0%}" for k in labels],
                              textposition="outside", cliponaxis=False, showlegend=False,
                              hovertemplate="%{y}: %{x:.1%}<extra></extra>", xaxis="x3", yaxis="y3"))
        return shown

    # the gap between the memory grid and the readout bars holds the bars' labels ("5 stars", a word), also on a phone
    grid_right, bars_left = (0.54, 0.74) if has_readout else (1.0, 1.0)
    layout = dict(
        xaxis=dict(domain=[0, 1], anchor="y", visible=False, range=[-0.6, per_row - 0.4]),
        yaxis=dict(domain=[0.7976, 1], anchor="x", visible=False, range=[min(ys, default=0) - 0.6, 0.6]),
        xaxis2=dict(domain=[0, grid_right], anchor="y2", visible=False),
        yaxis2=dict(domain=[0, 0.7176], anchor="x2", visible=False, autorange="reversed"),
        annotations=[dict(text=f"memory: {trace.hidden.shape[1]} hidden units", x=grid_right / 2, y=0.7176,
                          xref="paper", yref="paper", xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=16))],
        height=470 + 28 * -min(ys, default=0),
    )
    if has_readout:
        layout["xaxis3"] = dict(domain=[bars_left, 1], anchor="y3", range=[0, 1.2], tickformat=".0%")
        layout["yaxis3"] = dict(domain=[0, 0.7176], anchor="x3", autorange="reversed", type="category")
        layout["annotations"].append(dict(text="answer here", x=(bars_left + 1) / 2, y=0.7176, xref="paper", yref="paper",
                                          xanchor="center", yanchor="bottom", showarrow=False, font=dict(size=16)))
    frames = []
    if step is None and n > 1:
        frames = [dict(data=traces_at(t), name=str(t), traces=[0, 1, 2][: 3 if has_readout else 2]) for t in range(n)]
        slider_steps = [dict(method="animate", label=f"{t + 1}. {w}"[:14],
                             args=[[str(t)], dict(mode="immediate", frame=dict(duration=0, redraw=True), transition=dict(duration=0))])
                        for t, w in enumerate(tokens)]
        layout["updatemenus"] = [dict(type="buttons", direction="left", x=0, y=-0.03, xanchor="left", yanchor="top", showactive=False,
                                      buttons=[dict(label="▶ Play", method="animate",
                                                    args=[None, dict(frame=dict(duration=900, redraw=True), fromcurrent=True, transition=dict(duration=0))]),
                                               dict(label="⏸ Pause", method="animate",
                                                    args=[[None], dict(mode="immediate", frame=dict(duration=0, redraw=False))])])]
        # the slider sits below the play/pause buttons, full width, so its "after word ..." label never hides
        # behind them on a narrow phone screen
        layout["sliders"] = [dict(active=0, steps=slider_steps, x=0, len=1.0, y=-0.12, yanchor="top",
                                  currentvalue=dict(prefix="after word ", font=dict(size=14)), pad=dict(t=10))]
        layout["height"] += 130
    return figure(traces_at(step if step is not None else 0), "", layout.pop("height"), frames=frames, **layout)


def memory_chart(tokens_a: list[str], tokens_b: list[str], distance: np.ndarray) -> go.Figure:
    """How far apart the two sentences' hidden states are after each word, in reading order."""
    steps = list(range(1, len(distance) + 1))
    labels = [f"{a} / {b}" if a != b else a for a, b in zip(_words(tokens_a), _words(tokens_b))]
    line = dict(type="scatter", x=steps, y=distance, mode="lines+markers+text", text=labels, textposition="top center",
                line=dict(color=ACCENT), hovertemplate="after word %{x} (%{text}): distance %{y:.2f}<extra></extra>")
    return figure([line], "", 340, xaxis=dict(title=dict(text="word position"), dtick=1),
                   yaxis=dict(title=dict(text="distance between the two memories"), rangemode="tozero"))


def path_chart(points: np.ndarray, tokens: list[str], variance: np.ndarray) -> go.Figure:
    """The hidden states as a path in 2-D (PCA), one labelled point per word, arrows in reading order."""
    path = dict(type="scatter", x=points[:, 0], y=points[:, 1], mode="lines+markers+text",
                text=[f"{i + 1}. {w}" for i, w in enumerate(_words(tokens))], textposition="top center",
                marker=dict(size=11, color=np.arange(len(tokens)), colorscale=BLUES, cmin=-2,
                            line=dict(width=1, color="#1B1F24")),
                line=dict(color=MUTED, width=1.5), hovertemplate="%{text}<extra></extra>")
    arrows = [dict(x=points[i, 0], y=points[i, 1], ax=points[i - 1, 0], ay=points[i - 1, 1], xref="x", yref="y", axref="x",
                   ayref="y", showarrow=True, arrowhead=3, arrowsize=1.2, arrowcolor=MUTED, text="")
              for i in range(1, len(tokens))]
    return figure([path], "", 420, annotations=arrows,
                   xaxis=dict(title=dict(text=f"direction 1 ({variance[0]:.0%} of the movement)"), zeroline=False),
                   yaxis=dict(title=dict(text=f"direction 2 ({variance[1]:.0%})"), zeroline=False))


def unrolled_diagram(tokens: list[str], cell_label: str, max_steps: int = 6) -> go.Figure:
    """The same cell drawn at every time step: word in below, hidden state passed right, one set of weights."""
    shown = _words(tokens[:max_steps])
    shapes, notes = [], []

    def arrow(x, y, ax, ay, colour="#1B1F24", width=1):
        notes.append(dict(x=x, y=y, ax=ax, ay=ay, xref="x", yref="y", axref="x", ayref="y", text="", showarrow=True,
                          arrowhead=2, arrowcolor=colour, arrowwidth=width))

    for i, word in enumerate(shown):
        x = i * 2.0
        shapes.append(dict(type="rect", x0=x - 0.6, x1=x + 0.6, y0=-0.45, y1=0.45, line=dict(color=ACCENT, width=2),
                           fillcolor="#E3F0FA"))
        notes += [dict(x=x, y=0, text=cell_label, showarrow=False, font=dict(size=13)),
                  dict(x=x, y=-1.25, text=f"“{word}”", showarrow=False, font=dict(size=14)),
                  dict(x=x, y=1.1, text=f"h{i + 1}", showarrow=False, font=dict(size=14)),
                  dict(x=x - 1.0, y=0.18, text="h0 = 0" if i == 0 else f"h{i}", showarrow=False,
                       font=dict(size=12, color=SECOND))]
        arrow(x, -0.48, x, -1.05)  # the word goes in
        arrow(x, 0.95, x, 0.48)  # the new memory comes out
        arrow(x - 0.62, 0, x - 1.4, 0, SECOND, 2)  # the memory so far comes in from the left
    if len(tokens) > max_steps:
        notes.append(dict(x=len(shown) * 2.0 - 0.8, y=0, text=f"… {len(tokens) - max_steps} more", showarrow=False))
    return figure([], "", 260, shapes=shapes, annotations=notes,
                   xaxis=dict(visible=False, range=[-1.6, len(shown) * 2.0 - 0.2]), yaxis=dict(visible=False, range=[-1.6, 1.4]))


def one_hot_chart(layout, tokens_label: str = "") -> go.Figure:
    """The feed-forward input layer: max_len rows of vocab_size neurons; a dot for each 1, everything else 0."""
    box = dict(type="rect", x0=0, x1=layout.vocab_size, y0=0.5, y1=layout.max_len + 0.5, line=dict(color=MUTED),
               fillcolor="#F4F5F7", layer="below")
    marks = []
    if layout.kept:
        slots = [p + 1 for p in layout.positions]  # counted from 1, as every caption counts them
        marks.append(dict(type="scatter", x=layout.word_ids, y=slots, mode="markers+text", text=_words(layout.kept),
                          textposition="middle right", marker=dict(size=10, color=ACCENT, symbol="square"),
                          hovertemplate="slot %{y}: “%{text}” switches on neuron %{x} of this slot<extra></extra>",
                          showlegend=False))
    if layout.padded:
        pads = list(range(len(layout.kept) + 1, layout.max_len + 1))
        marks.append(dict(type="scatter", x=[layout.vocab_size * 0.5] * len(pads), y=pads, mode="text",
                          text=["(padding: all zeros)"] * len(pads), textfont=dict(color=MUTED), showlegend=False,
                          hoverinfo="skip"))
    return figure(marks, tokens_label, 140 + 28 * layout.max_len, shapes=[box],
                   xaxis=dict(title=dict(text=f"vocabulary id (0 … {layout.vocab_size - 1:,}): one neuron per word"),
                              range=[-layout.vocab_size * 0.01, layout.vocab_size * 1.12]),
                   yaxis=dict(title=dict(text="word slot"), autorange="reversed", dtick=1, range=[layout.max_len + 0.5, 0.5]))


# ---- Watch it learn ----------------------------------------------------------------------------------

_NETWORK_STYLE = [dict(color=ACCENT, dash="solid", symbol="circle"), dict(color=SECOND, dash="dash", symbol="square")]


def _per_network_lines(history: dict[str, list[dict]], key: str) -> list[dict]:
    return [dict(type="scatter", x=[r["epoch"] for r in rows], y=[r[key] for r in rows], name=name, mode="lines+markers",
                 line=dict(color=style["color"], dash=style["dash"]), marker=dict(symbol=style["symbol"]))
            for style, (name, rows) in zip(_NETWORK_STYLE, history.items())]


def live_loss_chart(history: dict[str, list[dict]]) -> go.Figure:
    """Training loss per epoch, one line per network (solid and dashed, so colour is never the only cue)."""
    return figure(_per_network_lines(history, "train_loss"), "", 320, legend=dict(orientation="h", y=-0.3),
                   xaxis=dict(title=dict(text="epoch"), rangemode="tozero"),
                   yaxis=dict(title=dict(text="training loss"), rangemode="tozero"))


def live_accuracy_chart(history: dict[str, list[dict]]) -> go.Figure:
    """Accuracy on the held-out sentences per epoch, one line per network."""
    return figure(_per_network_lines(history, "valid_accuracy"), "", 320, legend=dict(orientation="h", y=-0.3),
                  xaxis=dict(title=dict(text="epoch"), rangemode="tozero"),
                  yaxis=dict(title=dict(text="held-out accuracy"), range=[0, 1], tickformat=".0%"))


def live_watch_chart(history: dict[str, list[dict]]) -> go.Figure:
    """Each network's P(positive) for the watched sentence, epoch by epoch."""
    undecided = dict(type="line", xref="paper", x0=0, x1=1, y0=0.5, y1=0.5, line=dict(color=MUTED, dash="dot"))
    label = dict(text="undecided", xref="paper", x=1, y=0.5, xanchor="right", yanchor="bottom", showarrow=False)
    return figure(_per_network_lines(history, "watched_positive"), "", 320, legend=dict(orientation="h", y=-0.3),
                   shapes=[undecided], annotations=[label],
                   xaxis=dict(title=dict(text="epoch")), yaxis=dict(title=dict(text="P(positive)"), range=[0, 1], tickformat=".0%"))


def stars_path(tokens: list[str], values: list[float], final: float) -> go.Figure:
    """Expected stars after each word (forward direction), with the whole-review answer as a line."""
    shown = _words(tokens)
    path = dict(type="scatter", x=list(range(1, len(tokens) + 1)), y=values, mode="lines+markers",
                line=dict(color=ACCENT), customdata=shown, name="if it ended here",
                hovertemplate="after “%{customdata}”: %{y:.2f} stars<extra></extra>")
    whole = dict(type="line", xref="paper", x0=0, x1=1, y0=final, y1=final, line=dict(color=SECOND, dash="dash"))
    label = dict(text="whole review", xref="paper", x=0, y=final, xanchor="left", yanchor="bottom", showarrow=False)
    return figure([path], "", 320, margin=dict(l=10, r=10, t=30, b=10), showlegend=False,
                  shapes=[whole], annotations=[label],
                  yaxis=dict(range=[0.8, 5.2], title=dict(text="expected stars"), dtick=1),
                  xaxis=dict(title=dict(text="word"), tickmode="array", tickvals=list(range(1, len(tokens) + 1)),
                             ticktext=shown if len(tokens) <= 12 else None))  # longer: words on hover


def numbered(words: list[str]) -> list[str]:
    """Numbered, escaped axis labels: numbers keep repeated words apart, escaping keeps user text as text."""
    return [f"{i + 1}. {html.escape(w)}" for i, w in enumerate(words)]


def word_heatmap(z: np.ndarray, x: list[str], y: list[str], title: str, colorscale: list, hover: str,
                 zmid: float | None = None) -> go.Figure:
    """A grid of words against words (or units), labels across the top: encoder memory, attention."""
    cells = dict(type="heatmap", z=z, x=x, y=y, colorscale=colorscale, zmid=zmid, showscale=False,
                 hovertemplate=hover + "<extra></extra>")
    return figure([cells], title, 120 + 28 * len(y), margin=dict(l=10, r=10, t=110, b=10),
                  yaxis=dict(autorange="reversed", type="category"),
                  xaxis=dict(type="category", side="top", tickangle=-45))
