"""The protocol-level load client (bench/protocol.py) against a real server, checked against Chromium: the same
rerun through both draws the same elements, and the client sends the BackMsg the browser sends."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from streamlit.proto.BackMsg_pb2 import BackMsg

from bench.protocol import Session, reruns_in
from tests.apptest import needs_bundle
from tests.serve import chromium, streamlit_server, wait_for_app

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="Debian's chromium is not installed")]
SENTENCE = "Angela Merkel met Barack Obama in Berlin"


def browser_reruns(url: str) -> tuple[list, list[BackMsg]]:
    """What Chromium received (elements per rerun) and sent, opening Entities and typing SENTENCE."""
    received: list[bytes] = []
    sent: list[BackMsg] = []

    def record(socket) -> None:
        socket.on("framereceived", lambda frame: received.append(frame))
        socket.on("framesent", lambda frame: sent.append(BackMsg.FromString(frame)))

    with chromium() as browser:
        page = browser.new_page()
        page.on("websocket", record)
        page.goto(f"{url}/Entities")
        wait_for_app(page)
        page.locator('[data-testid="stTextInput"] input').first.fill(SENTENCE)
        page.wait_for_function(f"() => document.querySelector('.entities')?.textContent.includes('Berlin')"
                               " && document.querySelector('[data-testid=\"stApp\"]').getAttribute("
                               "'data-test-script-state') === 'notRunning'", timeout=60_000)
        page.wait_for_timeout(500)
    return reruns_in(received), [m for m in sent if m.WhichOneof("type") == "rerun_script"]


async def client_reruns(url: str) -> tuple[list, BackMsg]:
    async with Session(url) as session:
        opened = await session.open("Entities")
        typed = await session.type(SENTENCE)
        return [opened, typed], session.last_sent


@needs_bundle("entities")
def test_the_client_sees_what_the_browser_sees():
    with streamlit_server() as url:
        browser_runs, browser_sent = browser_reruns(url)
        (opened, typed), client_sent = asyncio.run(client_reruns(url))
    assert not opened.errors and not typed.errors, opened.errors + typed.errors
    assert len(browser_runs) == 2, "the browser opened the page and reran it once for the sentence"
    assert opened.elements == browser_runs[0]
    assert typed.elements == browser_runs[1]
    assert any(e.kind == "html" and "Berlin" in e.text for e in typed.elements)

    browser_typed, mine = browser_sent[1].rerun_script, client_sent.rerun_script
    box = next(w for w in browser_typed.widget_states.widgets if w.string_value == SENTENCE)
    assert [(w.id, w.string_value) for w in mine.widget_states.widgets] == [(box.id, SENTENCE)]
    assert (mine.fragment_id, mine.page_script_hash, mine.query_string) == \
        (browser_typed.fragment_id, browser_typed.page_script_hash, browser_typed.query_string)
