"""The model worker (rnn/worker.py): the same answers as the server's own process, from another process; when that
process dies, or is switched off, the server computes them itself."""
import os

import numpy as np
import pytest

from rnn import worker
from rnn.tasks import autocomplete, translate
from tests.apptest import needs_bundle

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="the worker runs only where there is a second core")


@pytest.fixture
def fresh_worker(monkeypatch):
    monkeypatch.delenv("RNN_WORKER", raising=False)
    worker._restart()
    yield
    worker._restart()


def worker_pids() -> list[int]:
    return list(worker._pool._processes) if worker._pool is not None else []


@needs_bundle("translate")
def test_a_translation_from_the_worker_is_the_one_computed_here(fresh_worker):
    model, text = translate.load(), "My grandmother lives in a small village."
    there = worker.predict("translate", model, text, beam=3)
    here = translate.predict(model, text, beam=3)
    assert worker_pids() and os.getpid() not in worker_pids()  # it came from another process
    assert there.translation == here.translation and there.alternatives == here.alternatives
    # the same numbers up to rounding (this test process may run torch on more threads than the worker)
    assert np.allclose(there.attention, here.attention, atol=1e-5) and there.trace.tokens == here.trace.tokens


@needs_bundle("autocomplete")
def test_suggestions_from_the_worker_are_the_ones_computed_here(fresh_worker):
    model, text = autocomplete.load(), "I would like to "
    there, here = worker.predict("autocomplete", model, text), autocomplete.predict(model, text)
    assert there.next_words == here.next_words and there.continuation == here.continuation


@needs_bundle("translate")
def test_when_the_worker_dies_the_server_answers_and_the_next_request_starts_a_new_one(fresh_worker):
    model, text = translate.load(), "I like tea."
    first = worker.predict("translate", model, text)
    [pid] = worker_pids()
    os.kill(pid, 9)
    assert worker.predict("translate", model, text).translation == first.translation  # computed here meanwhile
    assert worker.predict("translate", model, text).translation == first.translation
    assert worker_pids() and pid not in worker_pids()


@needs_bundle("translate")
def test_switched_off_it_computes_in_the_server(fresh_worker, monkeypatch):
    monkeypatch.setenv("RNN_WORKER", "0")
    model = translate.load()
    assert worker.predict("translate", model, "I like tea.").translation == translate.predict(model, "I like tea.").translation
    assert worker._pool is None  # no process was started


@needs_bundle("translate")
def test_a_bad_request_fails_as_it_would_in_the_server(fresh_worker):
    with pytest.raises(TypeError):
        worker.predict("translate", translate.load(), "I like tea.", beams=3)  # no such option
