"""A second process for the heaviest model work, so that one app server can use a second core.

Streamlit runs every student's rerun as a thread of one Python process, and Python runs one thread's code at a time
(the GIL): under a class's load one server did at most one core of work while the other core sat idle
(bench/README.md). A Translate rerun's beam search is the largest single piece of that work (a thousand small tensor
operations, each with Python around it), so it runs here instead: in a process of its own, started once per server,
holding its own copy of the translator. The server's threads wait for it without holding the GIL, and draw pages
meanwhile.

If the process cannot start or dies, the work runs in the server's own process as before: slower under load, never
wrong. RNN_WORKER=0 turns the process off (a server with one core, or too little memory for a second copy of the
translator: about 250 MB).
"""
from __future__ import annotations

import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from rnn.tasks import task_module

log = logging.getLogger(__name__)

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()
_models: dict[str, Any] = {}  # in the worker process: each task's model, loaded on its first request
_warmed: set[str] = set()  # in the server: the tasks the current worker has been asked to load
TASKS = ("translate", "autocomplete")  # the tasks whose pages send their predictions here


def enabled() -> bool:
    """Use the worker process? Off with RNN_WORKER=0, and on a machine with one core (nothing to gain there)."""
    return os.environ.get("RNN_WORKER", "1") != "0" and (os.cpu_count() or 1) > 1


def _start_worker() -> None:
    """In the worker process: one torch thread, as the app's own inference uses."""
    import torch

    torch.set_num_threads(1)


def _model_here(task: str) -> Any:
    """In the worker process: its own copy of the task's shipped model."""
    if task not in _models:
        _models[task] = task_module(task).load()
    return _models[task]


def _predict_here(task: str, text: str, options: dict) -> Any:
    return task_module(task).predict(_model_here(task), text, **options)


def warm() -> None:
    """Start the worker and have it load its models now, without waiting (every page calls this as it opens): the
    first translation then does not wait the few seconds a new process and its models take to load."""
    for task in TASKS:
        if enabled() and task not in _warmed:
            _warmed.add(task)
            _the_pool().submit(_model_here, task)


def _the_pool() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn: a fresh interpreter, never a fork of a server with threads running
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_start_worker)
        return _pool


def predict(task: str, model: Any, text: str, **options: Any) -> Any:
    """module.predict(model, text, **options) for a shipped task, computed in the worker process when it runs
    (with its own copy of the same bundle), else here with `model`."""
    if enabled():
        try:
            return _the_pool().submit(_predict_here, task, text, options).result()
        except (BrokenProcessPool, OSError) as err:  # the process died or could not start
            log.warning("the model worker failed (%s): computing in the server's process", err)
            _restart()
    return task_module(task).predict(model, text, **options)


def _restart() -> None:
    """Drop a broken pool: the next request starts a new worker process."""
    global _pool
    with _lock:
        if _pool is not None:
            _pool.shutdown(wait=False, cancel_futures=True)
            _pool = None
        _warmed.clear()
