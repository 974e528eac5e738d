"""deploy/: the Dockerfile, compose.yaml and nginx.conf agree with each other and with the app, nginx accepts the
configuration (nginx -t), and three replicas behind it serve students with sticky sessions and no framing."""
from __future__ import annotations

import asyncio
import re
import urllib.request

import pytest
import yaml

from bench.protocol import Session
from bench.replicas import NGINX_CONF, behind_nginx, check_config, nginx_available, replicas_by_key
from tests.apptest import needs_bundle
from tests.serve import ROOT, free_port

DEPLOY = ROOT / "deploy"
needs_nginx = pytest.mark.skipif(not nginx_available(), reason="nginx is not installed here (apt-get install -y nginx)")


def test_compose_runs_the_replicas_nginx_balances():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))
    apps = sorted(name for name, service in compose["services"].items() if "build" in service)
    upstreams = re.findall(r"^\s*server (\S+):8501;", NGINX_CONF.read_text(encoding="utf-8"), flags=re.M)
    assert apps == sorted(upstreams) and len(apps) >= 2
    assert all(compose["services"][a]["build"]["dockerfile"] == "deploy/Dockerfile" for a in apps)
    assert "./nginx.conf:/etc/nginx/nginx.conf:ro" in compose["services"]["nginx"]["volumes"]


def test_the_image_installs_the_pinned_cpu_torch_and_checks_health():
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert dockerfile.startswith("#") and "FROM python:3.11" in dockerfile
    assert "download.pytorch.org/whl/cpu" in dockerfile and "grep -E '^torch==' requirements.txt" in dockerfile
    assert "/_stcore/health" in dockerfile and "--server.port=8501" in dockerfile
    assert "ENV MALLOC_ARENA_MAX=2" in dockerfile  # the soak's memory stays level only with it (bench/README.md)
    for part in ("rnn", "pages", "assets", ".streamlit", "streamlit_app.py"):
        assert (ROOT / part).exists() and re.search(rf"^COPY {re.escape(part)} ", dockerfile, flags=re.M), part


@needs_nginx
def test_nginx_accepts_the_shipped_configuration():
    checked = check_config([free_port(), free_port(), free_port()], free_port())
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


@needs_nginx
@needs_bundle("entities")
def test_three_replicas_behind_nginx_keep_each_student_on_one():
    async def students(url: str, count: int) -> list[list[str]]:
        async def one(number: int) -> list[str]:
            async with Session(url) as session:
                opened = await session.open("Entities")
                typed = await session.type(f"Angela Merkel met Barack Obama in Berlin {number}")
                return opened.errors + typed.errors
        return await asyncio.gather(*(one(n) for n in range(count)))

    with behind_nginx(3) as (url, servers, log):
        with urllib.request.urlopen(f"{url}/Entities") as response:
            headers = response.headers
        errors = asyncio.run(students(url, 6))
        served = replicas_by_key(log)
        upgraded = [line for line in log.read_text().splitlines() if " 101 /_stcore/stream" in line]
    assert errors == [[]] * 6
    assert "frame-ancestors 'self'" in headers["Content-Security-Policy"] and headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "rnn_replica=" in headers["Set-Cookie"]
    assert len(upgraded) == 6, "each student's websocket went through nginx"
    students_served = {key: upstreams for key, upstreams in served.items() if key}
    assert len(students_served) >= 7  # the header check's browser and the six students
    assert all(len(upstreams) == 1 for upstreams in students_served.values()), served
    assert len(set().union(*students_served.values())) >= 2, "the students were spread over the replicas"
