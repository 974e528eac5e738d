"""A student's browser at the protocol level: Streamlit's own websocket, no browser.

A session does what the app's front end does: it loads the page (which also picks up a load balancer's affinity
cookie), opens `/_stcore/stream` with the `streamlit` subprotocol, and sends `BackMsg` protobufs (the classes that
ship inside the installed streamlit package): a `rerun_script` naming the page to open it, then, for each sentence,
a `rerun_script` carrying the sentence box's widget state, the box's fragment and the query string, as the browser
does when a student types. A rerun is done when the server sends `script_finished`. What it drew comes back as
delta messages; `Element` keeps each one's type and text, so a rerun can be compared with what a browser received.
"""
from __future__ import annotations

import asyncio
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

TIMEOUT_S = 90.0  # a student on a busy classroom server waits this long for an answer, as in the browser load test
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
# What each model page must draw after every sentence, or the student got no answer: (element type, text in it).
ANSWERS = {
    "Autocomplete": ("html", 'class="suggestion"'),
    "Translate": ("code", ""),
    "Entities": ("html", 'class="entities"'),
    "Review_Stars": ("metric", "★"),
    "Hidden_State": ("plotly_chart", ""),
}
# The text field of each element type that has one (the rest are compared by type alone).
_TEXT_FIELDS = {"markdown": "body", "heading": "body", "html": "body", "text": "body", "alert": "body",
                "code": "code_text", "metric": "body", "exception": "message", "text_input": "label",
                "text_area": "label", "checkbox": "label", "page_link": "label", "slider": "label",
                "selectbox": "label", "radio": "label", "download_button": "label", "button": "label"}


@dataclass(frozen=True)
class Element:
    """One delta the server sent: where it goes on the page, what it is, and its text."""

    path: tuple[int, ...]
    kind: str
    text: str = ""


def element_of(message: ForwardMsg) -> Element | None:
    """The element (or container block) a delta message draws; None for any other message."""
    if message.WhichOneof("type") != "delta":
        return None
    delta, path = message.delta, tuple(message.metadata.delta_path)
    if delta.HasField("add_block"):
        return Element(path, f"block:{delta.add_block.WhichOneof('type')}")
    if not delta.HasField("new_element"):
        return None  # transient elements (spinners) come and go
    kind = delta.new_element.WhichOneof("type")
    text = getattr(getattr(delta.new_element, kind), _TEXT_FIELDS[kind]) if kind in _TEXT_FIELDS else ""
    return Element(path, kind, text)


@dataclass
class Rerun:
    """What one rerun took and drew, and what went wrong in it (empty when the student got a good answer)."""

    ms: float
    elements: list[Element] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def answer_missing(page: str, elements: list[Element]) -> bool:
    kind, needle = ANSWERS[page]
    return not any(e.kind == kind and needle in e.text for e in elements)


def page_cookie(url: str) -> str:
    """Load the page's HTML as a browser does first; return the cookies it set (a load balancer's affinity cookie)."""
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
        response.read()
        return "; ".join(c.split(";", 1)[0] for c in response.headers.get_all("Set-Cookie") or [])


class Session:
    """One student's tab: `async with Session(base_url) as s: await s.open("Entities"); await s.type("...")`."""

    def __init__(self, base_url: str, timeout_s: float = TIMEOUT_S):
        self.base_url, self.timeout_s = base_url.rstrip("/"), timeout_s
        self.page = ""
        self.pages: dict[str, str] = {}  # url path -> page script hash, from the server's navigation message
        self.box: tuple[str, str, str] | None = None  # the sentence box: widget id, fragment id, query parameter
        self.websocket = None
        self.last_sent: BackMsg | None = None

    async def connect(self, first_page: str) -> None:
        cookie = await asyncio.to_thread(page_cookie, f"{self.base_url}/{first_page}")
        stream = self.base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.websocket = await asyncio.wait_for(connect(
            stream, subprotocols=["streamlit"], origin=self.base_url, max_size=None, open_timeout=self.timeout_s,
            additional_headers={"Cookie": cookie} if cookie else None), self.timeout_s)

    async def __aenter__(self) -> "Session":
        return self

    async def __aexit__(self, *exc) -> None:
        if self.websocket is not None:
            await self.websocket.close()

    async def open(self, page: str) -> Rerun:
        """Open a page as its link does: a rerun naming the page, with no widget state yet."""
        if self.websocket is None:
            await self.connect(page)
        self.page, self.box = page, None
        message = self._rerun(query="")
        if page in self.pages:
            message.rerun_script.page_script_hash = self.pages[page]
        else:
            message.rerun_script.page_name = page
        return await self._send(message)

    async def type(self, sentence: str) -> Rerun:
        """Commit a sentence in the page's sentence box, as the browser does on Enter (or on a pause, live boxes)."""
        if self.box is None:
            return Rerun(0.0, errors=[f"{self.page}: no sentence box to type into"])
        widget, fragment, parameter = self.box
        message = self._rerun(query=urllib.parse.urlencode({parameter: sentence}) if parameter else "")
        state = message.rerun_script.widget_states.widgets.add()
        state.id, state.string_value = widget, sentence
        message.rerun_script.page_script_hash = self.pages.get(self.page, "")
        if fragment:
            message.rerun_script.fragment_id = fragment
        return await self._send(message)

    def _rerun(self, query: str) -> BackMsg:
        message = BackMsg()
        message.rerun_script.query_string = query
        context = message.rerun_script.context_info
        context.timezone, context.locale, context.color_scheme = "UTC", "en-US", "light"
        context.url = f"{self.base_url}/{self.page}" + (f"?{query}" if query else "")
        return message

    async def _send(self, message: BackMsg) -> Rerun:
        started = time.perf_counter()
        rerun, self.last_sent = Rerun(0.0), message
        try:
            await self.websocket.send(message.SerializeToString())
            await asyncio.wait_for(self._read_until_finished(rerun), self.timeout_s)
        except asyncio.TimeoutError:
            rerun.errors.append(f"{self.page}: no answer within {self.timeout_s:.0f} s")
        except Exception as exc:  # a closed connection is an error a student sees as a frozen page
            rerun.errors.append(f"{self.page}: {type(exc).__name__}: {str(exc)[:120]}")
        rerun.ms = (time.perf_counter() - started) * 1000
        if not rerun.errors and self.page in ANSWERS and answer_missing(self.page, rerun.elements):
            rerun.errors.append(f"{self.page}: the answer is missing")
        return rerun

    async def _read_until_finished(self, rerun: Rerun) -> None:
        while True:
            message = ForwardMsg()
            message.ParseFromString(await self.websocket.recv())
            kind = message.WhichOneof("type")
            if kind == "script_finished":
                if message.script_finished not in FINISHED:
                    rerun.errors.append(f"{self.page}: the script ended with status {message.script_finished}")
                return
            if kind == "navigation":
                self.pages = {p.url_pathname: p.page_script_hash for p in message.navigation.app_pages}
            elif kind == "page_not_found":
                rerun.errors.append(f"{self.page}: page not found")
            element = element_of(message)
            if element is not None:
                self._note(message, element, rerun)

    def _note(self, message: ForwardMsg, element: Element, rerun: Rerun) -> None:
        rerun.elements.append(element)
        if element.kind == "exception":
            rerun.errors.append(f"{self.page}: exception shown: {element.text[:120]}")
        elif element.kind in ("text_input", "text_area") and element.path[0] == 0 and self.box is None:
            widget = getattr(message.delta.new_element, element.kind)
            self.box = (widget.id, message.delta.fragment_id, widget.query_param_key)


def reruns_in(frames: list[bytes]) -> list[list[Element]]:
    """The elements of each rerun in a recording of the ForwardMsg frames a browser received (one list per rerun)."""
    reruns: list[list[Element]] = [[]]
    for frame in frames:
        message = ForwardMsg()
        message.ParseFromString(frame)
        if message.WhichOneof("type") == "script_finished":
            reruns.append([])
        elif (element := element_of(message)) is not None:
            reruns[-1].append(element)
    return reruns[:-1]
