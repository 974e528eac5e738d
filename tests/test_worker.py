"""The model worker (rnn/worker.py): the same answers as the server's own process, from another process; when that
process dies, or is switched off, the server computes them itself."""
import io
import os
import threading

import numpy as np
import pytest

from rnn import worker
from rnn.tasks import autocomplete, translate
from tests.apptest import needs_bundle



@pytest.fixture
def fresh_worker(monkeypatch):
    monkeypatch.setenv("RNN_WORKER", "1")  # on whatever machine the tests run
    worker._stop()
    yield
    worker._stop()


def started() -> None:
    """A worker that has loaded its models (until then the server answers itself)."""
    assert worker.warm().ready.wait(timeout=120)


def worker_pids() -> list[int]:
    return [worker._worker.process.pid] if worker._worker is not None and worker._worker.process.poll() is None else []


@needs_bundle("translate")
def test_a_translation_from_the_worker_is_the_one_computed_here(fresh_worker):
    model, text = translate.load(), "My grandmother lives in a small village."
    started()
    there = worker.predict("translate", model, text, beam=3)
    here = translate.predict(model, text, beam=3)
    assert worker_pids() and os.getpid() not in worker_pids()  # it came from another process
    assert there.translation == here.translation and there.alternatives == here.alternatives
    # the same numbers up to rounding (this test process may run torch on more threads than the worker)
    assert np.allclose(there.attention, here.attention, atol=1e-5) and there.trace.tokens == here.trace.tokens


@needs_bundle("autocomplete")
def test_suggestions_from_the_worker_are_the_ones_computed_here(fresh_worker):
    model, text = autocomplete.load(), "I would like to "
    started()
    there, here = worker.predict("autocomplete", model, text), autocomplete.predict(model, text)
    assert there.next_words == here.next_words and there.continuation == here.continuation


@needs_bundle("translate")
def test_when_the_worker_dies_the_server_answers_and_the_next_request_starts_a_new_one(fresh_worker):
    model, text = translate.load(), "I like tea."
    started()
    first = worker.predict("translate", model, text)
    [pid] = worker_pids()
    os.kill(pid, 9)
    assert worker.predict("translate", model, text).translation == first.translation  # computed here meanwhile
    started()
    assert worker.predict("translate", model, text).translation == first.translation
    assert worker_pids() and pid not in worker_pids()


@needs_bundle("translate")
def test_while_the_worker_loads_its_models_the_server_answers_itself(fresh_worker, monkeypatch):
    model = translate.load()
    asked, loading = [], threading.Event()
    monkeypatch.setattr(worker.Worker, "call", lambda self, request: asked.append(request) or loading.wait(60))
    assert not worker.warm().ready.is_set()  # still loading: the stub holds its first model
    assert worker.predict("translate", model, "I like tea.").translation == translate.predict(model, "I like tea.").translation
    assert ("predict", "translate", "I like tea.", {}) not in asked
    loading.set()


@needs_bundle("translate")
def test_switched_off_it_computes_in_the_server(fresh_worker, monkeypatch):
    monkeypatch.setenv("RNN_WORKER", "0")
    model = translate.load()
    assert worker.predict("translate", model, "I like tea.").translation == translate.predict(model, "I like tea.").translation
    assert worker._worker is None  # no process was started


@needs_bundle("translate")
def test_a_bad_request_fails_as_it_would_in_the_server(fresh_worker):
    started()
    with pytest.raises(TypeError):
        worker.predict("translate", translate.load(), "I like tea.", beams=3)  # no such option


@pytest.mark.parametrize("cores,memory_gb,chosen,expected", [
    (2, 24.0, "", True), (1, 24.0, "", False), (2, 1.0, "", False),  # no second core, or no room for a second copy
    (2, 1.0, "1", True), (2, 24.0, "0", False)])
def test_it_runs_where_there_is_a_second_core_and_memory_for_it(monkeypatch, cores, memory_gb, chosen, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(worker, "memory_gb", lambda: memory_gb)
    monkeypatch.setenv("RNN_WORKER", chosen)
    assert worker.enabled() is expected


def test_the_memory_it_reads_is_a_size_in_gb():
    assert 0.1 < worker.memory_gb() < 10_000


def test_the_worker_process_ends_when_its_server_goes(fresh_worker):
    process = worker.Worker().process
    process.stdin.close()  # what a server's exit does to the pipe
    assert process.wait(timeout=60) == 0


def test_a_failure_seen_on_an_old_worker_leaves_its_successor_running(fresh_worker):
    old = worker.warm()
    old.stop()  # it died; another thread's request has already started the next one
    new = worker.warm()
    assert new is not old
    worker._stop(old)  # what the first thread does when its call to the old one fails
    assert worker._worker is new and new.process.poll() is None


@pytest.mark.parametrize("every_s,trims", [(0.0, 3), (3600.0, 0)])
def test_the_worker_trims_its_heap_at_most_every_so_often(monkeypatch, every_s, trims):
    trimmed = []
    monkeypatch.setattr(worker, "_heap_trimmer", lambda: trimmed.append)
    monkeypatch.setattr(worker, "TRIM_EVERY_S", every_s)
    requests, answers = io.BytesIO(), io.BytesIO()
    for _ in range(3):
        worker.send(requests, ("predict", "no such task", "text", {}))  # cheap: each fails and is answered
    requests.seek(0)
    worker.serve(requests, answers)  # returns when the requests run out, as when the server goes
    answers.seek(0)
    assert [worker.receive(answers)[0] for _ in range(3)] == [False] * 3
    assert trimmed == [0] * trims
