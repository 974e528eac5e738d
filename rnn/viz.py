"""Plotly figure builders: pure functions, data in and figure out (no Streamlit here)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from rnn.trace import Trace

# One palette for the whole app: calm, colour-blind safe (Okabe-Ito), readable on a projector.
ACCENT = "#0072B2"
SECOND = "#E69F00"
MUTED = "#8A8F98"
FONT = dict(family="Source Sans Pro, Arial, sans-serif", size=15)
DIVERGING = "RdBu"  # hidden units: negative red, positive blue, zero white


def _layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title=dict(text=title, x=0, xanchor="left", font=dict(size=17)),
        height=height,
        margin=dict(l=10, r=10, t=50 if title else 10, b=10),
        font=FONT,
        plot_bgcolor="white",
        paper_bgcolor="white",
    )
    return fig


def prob_bars(probs: dict[str, float], title: str = "", highlight: str | None = None, height: int | None = None) -> go.Figure:
    """Horizontal bars, one per label in the given order (top to bottom), each labelled with its percentage."""
    labels, values = list(probs), [float(v) for v in probs.values()]
    colours = [ACCENT if (highlight is None or label == highlight) else MUTED for label in labels]
    fig = go.Figure(go.Bar(
        x=values, y=labels, orientation="h", marker_color=colours,
        text=[f"{v:.0%}" for v in values], textposition="outside", cliponaxis=False,
        hovertemplate="%{y}: %{x:.1%}<extra></extra>",
    ))
    fig.update_xaxes(range=[0, max(1.0, max(values, default=0) * 1.15)], tickformat=".0%", showgrid=True, gridcolor="#eee")
    fig.update_yaxes(autorange="reversed", type="category")
    return _layout(fig, title, height or 60 + 34 * len(labels))


def readout_heatmap(trace: Trace, title: str | None = None) -> go.Figure:
    """What the model would answer after each word: tokens down the side, readout labels across."""
    labels = list(trace.readout[0]) if trace.readout else []
    z = np.array([[step.get(label, 0.0) for label in labels] for step in trace.readout]) if labels else np.zeros((0, 0))
    rows = [f"{i + 1}. {tok}" for i, tok in enumerate(trace.tokens)]
    fig = go.Figure(go.Heatmap(
        z=z, x=labels, y=rows, colorscale="Blues", zmin=0, zmax=1,
        text=[[f"{v:.0%}" for v in row] for row in z], texttemplate="%{text}",
        hovertemplate="after '%{y}': %{x} %{z:.1%}<extra></extra>", showscale=False,
    ))
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(side="top", type="category")
    return _layout(fig, title if title is not None else trace.readout_title, 80 + 30 * max(len(rows), 1))


def training_curve(curve: Sequence[dict], metric: str | None = None) -> go.Figure:
    """Training loss per epoch (left axis) and, if given, one validation metric (right axis)."""
    epochs = [row["epoch"] for row in curve]
    fig = go.Figure(go.Scatter(x=epochs, y=[row.get("train_loss") for row in curve], name="training loss",
                               mode="lines+markers", line=dict(color=ACCENT)))
    if metric and any(metric in row for row in curve):
        fig.add_trace(go.Scatter(x=epochs, y=[row.get(metric) for row in curve], name=f"validation {metric}",
                                 mode="lines+markers", line=dict(color=SECOND, dash="dash"), yaxis="y2"))
        fig.update_layout(yaxis2=dict(overlaying="y", side="right", title=metric, showgrid=False))
    fig.update_layout(xaxis_title="epoch (one pass over the training data)", yaxis_title="loss",
                      legend=dict(orientation="h", y=-0.3), hovermode="x unified")
    return _layout(fig, "", 300)
