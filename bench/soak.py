"""Does the server's memory hold over a long lesson? python bench/run.py --only soak --minutes 30

SESSIONS students (bench/load.py's, at the protocol level) stay busy on every model page for the whole run; each
one leaves after STAY_S and a new student takes the place (a class changing over), so sessions come and go as on a
school server. The server's RSS is printed every minute (MALLOC_ARENA_MAX in the environment overrides ARENAS:
MALLOC_ARENA_MAX=16 is glibc's default on 2 cores). Target: the RSS at the end within 50 MB of the RSS after the
first 5 minutes (after the first minute for a run shorter than 10 minutes).
"""
from __future__ import annotations

import asyncio
import os
import time

from bench import load

SESSIONS = 10
STAY_S = 180.0
# The server runs as deploy/Dockerfile runs it: glibc's malloc with at most two arenas. With its default (8 per core)
# every new script thread could take an arena of its own, and the server's RSS kept growing (bench/README.md).
ARENAS = os.environ.get("MALLOC_ARENA_MAX", "2")


async def seat(url: str, number: int, until: float, tally: load.Tally) -> int:
    """One seat in the room: students one after another until the end; returns how many sat there."""
    students = 0
    while time.monotonic() < until:
        await load.student(url, number + SESSIONS * students, 0, min(until, time.monotonic() + STAY_S), tally)
        students += 1
    return students


async def watch_memory(pids: list[int], until: float, every_s: float = 60) -> list[float]:
    from bench.run import rss_mb

    readings, started = [], time.monotonic()
    while time.monotonic() < until:
        await asyncio.sleep(min(every_s, max(0.0, until - time.monotonic())))
        readings.append(round(sum(rss_mb(pid) for pid in pids), 1))
        print(f"  minute {(time.monotonic() - started) / 60:4.1f}: RSS {readings[-1]} MB", flush=True)
    return readings


async def soak(url: str, pids: list[int], minutes: float, sessions: int) -> tuple[load.Tally, list[float], int]:
    tally, until = load.Tally(), time.monotonic() + minutes * 60
    *seats, readings = await asyncio.gather(*(seat(url, n, until, tally) for n in range(sessions)),
                                            watch_memory(pids, until))
    return tally, readings, sum(seats)


def soak_measures(minutes: float, sessions: int = SESSIONS, arenas: str = ARENAS) -> dict:
    with load.server(arenas=arenas) as (url, pids):
        load.warm_up(url)
        tally, readings, students = asyncio.run(soak(url, pids, minutes, sessions))
    for line in tally.errors[:10]:
        print("  error:", line.splitlines()[0])
    base_minute = 5 if minutes >= 10 else 1
    base = readings[min(base_minute, len(readings)) - 1] if readings else -1.0
    end = readings[-1] if readings else -1.0
    return {"soak_minutes": minutes, "soak_malloc_arena_max": arenas, "soak_students": students, "soak_reruns": len(tally.typed_ms) + len(tally.opened_ms),
            "soak_errors": len(tally.errors), "soak_rerun_ms_p95": load.percentile(tally.typed_ms, 95),
            "soak_rss_mb_per_minute": readings, f"soak_rss_mb_after_{base_minute}_min": base, "soak_rss_mb_end": end,
            "soak_rss_growth_mb": round(end - base, 1)}
