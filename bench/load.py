"""How many students one server holds, measured at the protocol (bench/protocol.py), with no browsers in the way.

Each simulated student joins (a class opening a link over RAMP_S seconds), opens a model page, types sentence after
sentence into it (a new sentence each time, reading each answer for THINK_S) and after SENTENCES_PER_PAGE sentences
moves on to the next model page, as a class going through the lesson does. One real Chromium session types
alongside, as the ground truth for what a student sees. Every exception shown, every missing answer and every
timeout (TIMEOUT_S) counts as an error.

python bench/run.py --only load [--quick] runs the levels; python -m bench.load --sessions 30 --seconds 60 one level;
--profile FILE samples the server's stacks during the run (bench/sampler.py).
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import resource
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from bench.protocol import ANSWERS, Rerun, Session
from bench.sampler import WRITE_EVERY_S, read, report

PAGES = list(ANSWERS)
LEVELS = (30, 60, 120)
RAMP_S = 30.0
THINK_S = 1.5  # as the browser load test: a student reads the answer before typing the next sentence
SENTENCES_PER_PAGE = 5
_WHO = ["My sister", "The old man", "Our teacher", "A tall student", "The small dog", "Angela Merkel", "Barack Obama",
        "My best friend", "The new doctor", "Everyone in Paris"]
_DID = ["walked to", "talked about", "flew to", "wrote a long letter to", "was not happy with", "really loved",
        "did not like", "was late for"]
_WHAT = ["the beach in Spain", "the new school in Berlin", "the red book", "the train to London", "the dress from the shop",
         "the film last night", "the meeting with Google", "the lovely hotel"]
SENTENCES = [f"{who} {did} {what}" for who, did, what in itertools.product(_WHO, _DID, _WHAT)]


def sentence(student: int, count: int) -> str:
    """A sentence no other student types at the same moment, and never the same one twice in a row."""
    return SENTENCES[(student * 37 + count * 11) % len(SENTENCES)]


@dataclass
class Tally:
    """Every rerun of a level: how long it took, what kind it was (opening a page, or a sentence), what went wrong."""

    typed_ms: list[float] = field(default_factory=list)
    opened_ms: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, rerun: Rerun, opened: bool) -> None:
        (self.opened_ms if opened else self.typed_ms).append(rerun.ms)
        self.errors += rerun.errors


async def student(url: str, number: int, start_in: float, until: float, tally: Tally, think_s: float = THINK_S) -> None:
    await asyncio.sleep(start_in)
    count, page = 0, number % len(PAGES)
    try:
        async with Session(url) as session:
            while time.monotonic() < until:
                opened = await session.open(PAGES[page % len(PAGES)])
                tally.add(opened, opened=True)
                if opened.errors:
                    return  # a page that did not open: the student reloads (a new session), counted once
                for _ in range(SENTENCES_PER_PAGE):
                    if time.monotonic() >= until:
                        return
                    tally.add(await session.type(sentence(number, count)), opened=False)
                    count += 1
                    await asyncio.sleep(think_s)
                page += 1
    except Exception as exc:  # the connection itself failed: that student saw nothing
        tally.errors.append(f"student {number}: {type(exc).__name__}: {str(exc)[:120]}")


async def browser_student(url: str, seconds: float, errors: list[str]) -> int:
    """One Chromium tab typing on Entities through the level: the old browser load test's student."""
    from playwright.async_api import async_playwright

    from bench import run
    from tests.serve import CHROMIUM, CHROMIUM_ARGS

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        done = await run.one_session(browser, url, seconds, PAGES.index("Entities"), 1, 0, errors)
        await browser.close()
    return done


async def level(url: str, sessions: int, seconds: float, ramp_s: float, browser: bool = True) -> tuple[Tally, dict]:
    """sessions students joining over ramp_s, typing for `seconds` after the last one joined."""
    tally, browser_errors = Tally(), []
    until = time.monotonic() + ramp_s + seconds
    jobs = [student(url, n, n * ramp_s / sessions, until, tally) for n in range(sessions)]
    if browser:
        jobs.append(browser_student(url, ramp_s + seconds, browser_errors))
    results = await asyncio.gather(*jobs)
    return tally, {"browser_reruns": results[-1] if browser else 0, "browser_errors": browser_errors}


def percentile(values: list[float], q: float) -> float:
    from bench.run import percentile as run_percentile

    return round(run_percentile(values, q), 1) if values else -1.0


def own_cpu_seconds() -> float:
    """CPU time of this process: the protocol client's students (the ground-truth Chromium runs apart)."""
    mine = resource.getrusage(resource.RUSAGE_SELF)
    return mine.ru_utime + mine.ru_stime


def measure_level(url: str, pids: list[int], sessions: int, seconds: float, ramp_s: float, browser: bool = True) -> dict:
    from bench.run import cpu_seconds, rss_mb

    server_before, client_before, started = cpu_seconds(pids), own_cpu_seconds(), time.perf_counter()
    tally, seen = asyncio.run(level(url, sessions, seconds, ramp_s, browser))
    wall = time.perf_counter() - started
    for line in (tally.errors + seen["browser_errors"])[:10]:
        print("  error:", line.splitlines()[0])
    cores = os.cpu_count() or 1
    return {"sessions": sessions, "reruns": len(tally.typed_ms) + len(tally.opened_ms), "errors": len(tally.errors),
            "rerun_ms_p50": round(statistics.median(tally.typed_ms), 1) if tally.typed_ms else -1.0,
            "rerun_ms_p95": percentile(tally.typed_ms, 95), "open_ms_p95": percentile(tally.opened_ms, 95),
            "rss_mb": round(sum(rss_mb(pid) for pid in pids), 1),
            "cpu_share_server": round((cpu_seconds(pids) - server_before) / wall / cores, 2),
            "cpu_share_client": round((own_cpu_seconds() - client_before) / wall / cores, 2),
            "browser_reruns": seen["browser_reruns"], "browser_errors": len(seen["browser_errors"])}


def warm_up(url: str) -> None:
    """Open every model page once, as the teacher does before class: models load before the students come."""
    async def visit() -> None:
        async with Session(url) as session:
            for page in PAGES:
                opened = await session.open(page)
                if opened.errors:
                    raise RuntimeError(f"warm-up: {opened.errors}")

    asyncio.run(visit())


@contextlib.contextmanager
def server(profile: str = "", arenas: str = "") -> Iterator[tuple[str, list[int]]]:
    """One app server (tests/serve.py); with profile, its stacks are sampled into that file (bench/sampler.py);
    with arenas, it runs with MALLOC_ARENA_MAX=arenas (as deploy/Dockerfile does)."""
    from tests.serve import streamlit_process

    saved = {k: os.environ.get(k) for k in ("RNN_STACK_SAMPLES", "PYTHONPATH", "MALLOC_ARENA_MAX")}
    if arenas:
        os.environ["MALLOC_ARENA_MAX"] = arenas
    if profile:
        os.environ["RNN_STACK_SAMPLES"] = str(Path(profile).resolve())
        os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(__file__).parent / "sampling"), saved["PYTHONPATH"]]))
    try:
        with streamlit_process() as (url, process):
            yield url, [process.pid]
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def profile_so_far(profile: str) -> dict | None:
    """The sampler's counts once the pages are warm (its next write), so a report can leave the warm-up out."""
    if not profile:
        return None
    time.sleep(WRITE_EVERY_S + 1)
    return read(profile)


def print_profiles(profile: str, warmed: dict | None) -> None:
    """The server's profile since the warm-up, then its model worker's (rnn/worker.py; its own file) if it ran."""
    print(report(profile, since=warmed))
    if Path(profile + ".child").is_file():
        print("\nthe model worker (its whole life, loading included):")
        print(report(profile + ".child"))


def print_level(row: dict) -> None:
    print(f"  {row['sessions']:>4} sessions: {row['reruns']} reruns, {row['errors']} errors, rerun p50/p95 "
          f"{row['rerun_ms_p50']:.0f}/{row['rerun_ms_p95']:.0f} ms, page open p95 {row['open_ms_p95']:.0f} ms, "
          f"RSS {row['rss_mb']} MB, CPU server/client {row['cpu_share_server']}/{row['cpu_share_client']}, "
          f"browser {row['browser_reruns']} reruns {row['browser_errors']} errors", flush=True)


def load_measures(quick: bool, profile: str = "", levels: tuple[int, ...] = LEVELS, seconds: float = 60) -> dict:
    """The JSON part of bench/run.py --only load: per level, and the summary keys."""
    levels, seconds = ((30,), 20) if quick else (levels, seconds)
    rows = []
    with server(profile) as (url, pids):
        warm_up(url)
        warmed = profile_so_far(profile)
        for sessions in levels:
            rows.append(measure_level(url, pids, sessions, seconds, RAMP_S))
            print_level(rows[-1])
        if profile:
            time.sleep(WRITE_EVERY_S + 1)  # the sampler's last write
            print_profiles(profile, warmed)
    clean = [r["sessions"] for r in rows if r["errors"] == 0 and r["browser_errors"] == 0]
    at_30 = next((r for r in rows if r["sessions"] == 30), rows[0])
    return {"load_levels": rows, "load_sessions": max(clean, default=0), "load_errors": at_30["errors"] + at_30["browser_errors"],
            "load_rerun_ms_p95": at_30["rerun_ms_p95"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running app (or nginx in front of replicas); default: start one here")
    parser.add_argument("--sessions", type=int, nargs="+", default=[30])
    parser.add_argument("--seconds", type=float, default=60, help="typing time after the last student joined")
    parser.add_argument("--ramp", type=float, default=RAMP_S)
    parser.add_argument("--no-browser", action="store_true", help="leave out the Chromium ground-truth session")
    parser.add_argument("--profile", default="", help="sample the started server's stacks into this file")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        url, pids = (args.url, []) if args.url else stack.enter_context(server(args.profile))
        warm_up(url)
        warmed = profile_so_far(args.profile)
        for sessions in args.sessions:
            print_level(measure_level(url, pids, sessions, args.seconds, args.ramp, browser=not args.no_browser))
        if args.profile:
            time.sleep(WRITE_EVERY_S + 1)
            print_profiles(args.profile, warmed)


if __name__ == "__main__":
    main()
