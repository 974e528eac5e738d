"""What a school server needs: no tracebacks for students, bundle errors without server paths, no bidi tricks in
shared links, a CSV that opens safely in a spreadsheet, and entity links that name the types by their codes."""
from __future__ import annotations

import csv
import io
import tomllib

import numpy as np
import pytest
from streamlit import config
from streamlit.elements import exception as exception_element
from streamlit.proto.Exception_pb2 import Exception as ExceptionProto

from rnn.hidden import trace_csv
from rnn.registry import rebuild_command
from rnn.text import strip_bidi_controls
from rnn.trace import Trace
from tests.apptest import needs_bundle, run_page
from tests.serve import ROOT
from tests.test_broken_bundle import assets, break_bundle  # noqa: F401  (assets is a fixture)

BIDI_CONTROLS = [chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]]


def test_students_never_see_a_traceback():
    settings = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert settings["client"]["showErrorDetails"] == "none"
    # what "none" does: an exception reaches the browser with neither its text nor its stack
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", "none")
    try:
        proto = ExceptionProto()
        try:
            raise ValueError(f"secret detail from {ROOT}")
        except ValueError as err:
            exception_element.marshall(proto, err, apply_show_error_details=True)  # as for an uncaught exception
    finally:
        config.set_option("client.showErrorDetails", before)
    shown = f"{proto.message} {' '.join(proto.stack_trace)} {proto.type}"
    assert "secret detail" not in shown and str(ROOT) not in shown and not proto.stack_trace


@needs_bundle("stars")
@needs_bundle("entities")
@pytest.mark.parametrize("how, file", [("truncated", "model.pt"), ("wrong-shaped", "model.pt"), ("bad-config", "config.json")])
def test_a_broken_bundle_names_its_file_and_the_rebuild_command_but_no_server_path(assets, how, file):  # noqa: F811
    if how == "bad-config":
        break_bundle(assets, "stars", "truncated")
        (assets / "stars" / "config.json").write_text('{"hidden": ', encoding="utf-8")
    else:
        break_bundle(assets, "stars", how)
    page = run_page("4_Review_Stars.py")
    shown = " ".join([*(e.value for e in page.error), *(c.value for c in page.code)])
    assert f"assets/stars/{file}" in shown
    assert rebuild_command("stars") in shown
    for leak in (str(assets), str(ROOT), "Error", "Traceback", "size mismatch", "PytorchStreamReader", "Expecting"):
        assert leak not in shown, f"the page shows {leak!r}: {shown}"


def test_bidi_controls_are_stripped_and_right_to_left_letters_kept():
    assert strip_bidi_controls("a\u202eb\u2066c\u2069d" + "".join(BIDI_CONTROLS)) == "abcd"
    assert strip_bidi_controls("שלום مرحبا") == "שלום مرحبا"
    assert strip_bidi_controls("\u200fmark kept\u200e") == "\u200fmark kept\u200e"  # marks only affect their neighbours


@needs_bundle("entities")
def test_a_shared_link_with_a_bidi_override_shows_no_control_character():
    page = run_page("3_Entities.py", "Angela \u202eMerkel met Barack Obama\u2066 in Berlin")
    shown = [e.value for e in [*page.markdown, *page.caption, *page.get("html")] if isinstance(e.value, str)]
    assert any("Merkel" in text for text in shown)
    assert not [text for text in shown if any(c in text for c in BIDI_CONTROLS)]


def test_hidden_state_csv_cells_never_start_a_formula():
    words = ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)", "plain", "\tTab"]
    trace = Trace(tokens=words, known=[False] * 6, hidden=np.full((6, 2), -0.5),
                  readout=[{"=bad": 0.5, "good": 0.5}] * 6)
    rows = list(csv.reader(io.StringIO(trace_csv(trace))))
    assert rows[0][3] == "'=bad" and rows[0][4] == "good"
    assert [row[1] for row in rows[1:]] == ["'=HYPERLINK(\"http://x\")", "'+1", "'-2", "'@SUM(A1)", "plain", "'\tTab"]
    assert all(float(cell) == -0.5 for row in rows[1:] for cell in row[-2:])  # the app's own numbers stay numbers


@needs_bundle("entities")
@pytest.mark.parametrize("kinds", ["LOC", "LOC · place"])
def test_entities_link_names_a_type_by_its_code_or_its_label(kinds):
    page = run_page("3_Entities.py", "Angela Merkel met Barack Obama in Berlin", kinds=kinds)
    assert page.button_group(key="kinds").value == ["LOC"]
    found = next(c.value for c in page.caption if c.value.startswith("Found"))
    assert "Berlin" in found and "Merkel" not in found
