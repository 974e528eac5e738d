"""Several app replicas behind Debian's nginx, configured by deploy/nginx.conf, on this machine (no Docker).

python -m bench.replicas --replicas 3 --sessions 30: starts the replicas on loopback ports (tests/serve.py), nginx in
front of them with the shipped configuration (only its upstream addresses, listen address and access log changed),
runs bench/load.py's students through nginx, and checks from nginx's access log that every browser's requests
stayed on one replica.
"""
from __future__ import annotations

import argparse
import collections
import contextlib
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

ROOT = Path(__file__).resolve().parent.parent
NGINX_CONF = ROOT / "deploy" / "nginx.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# What the local run changes in the shipped configuration; each must be there exactly once.
_SHIPPED_UPSTREAMS = "        server app1:8501;\n        server app2:8501;\n        server app3:8501;\n"
_SHIPPED_LISTEN = "        listen 80;\n"
_SHIPPED_LOG = "    access_log off;\n"


def nginx_available() -> bool:
    return Path(NGINX).is_file()


def local_config(ports: list[int], listen_port: int, prefix: Path) -> str:
    """deploy/nginx.conf pointed at replicas on 127.0.0.1:ports, listening on 127.0.0.1:listen_port, logging each
    request's affinity key and the replica that served it to prefix/access.log (its temp files under prefix too,
    so a run needs no writable /var/lib/nginx)."""
    text = NGINX_CONF.read_text(encoding="utf-8")
    for shipped in (_SHIPPED_UPSTREAMS, _SHIPPED_LISTEN, _SHIPPED_LOG):
        if text.count(shipped) != 1:
            raise ValueError(f"deploy/nginx.conf no longer has {shipped.strip()!r} once")
    text = text.replace(_SHIPPED_UPSTREAMS, "".join(f"        server 127.0.0.1:{port};\n" for port in ports))
    text = text.replace(_SHIPPED_LISTEN, f"        listen 127.0.0.1:{listen_port};\n")
    temp = "".join(f"    {kind}_temp_path {prefix}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return text.replace(_SHIPPED_LOG, "    log_format replica '$replica_key $upstream_addr $status $request_uri';\n"
                                      f"    access_log {prefix}/access.log replica;\n{temp}")


def nginx_command(prefix: Path, *extra: str) -> list[str]:
    return [NGINX, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log"),
            "-g", f"daemon off; pid {prefix}/nginx.pid;", *extra]


def check_config(ports: list[int], listen_port: int) -> subprocess.CompletedProcess:
    """nginx -t on the local configuration."""
    with tempfile.TemporaryDirectory() as folder:
        prefix = Path(folder)
        (prefix / "nginx.conf").write_text(local_config(ports, listen_port, prefix), encoding="utf-8")
        return subprocess.run(nginx_command(prefix, "-t"), capture_output=True, text=True, timeout=30)


@contextlib.contextmanager
def behind_nginx(replicas: int = 3) -> Iterator[tuple[str, list[tuple[str, int]], Path]]:
    """Yield (nginx's URL, each replica's (URL, pid), nginx's access log) with `replicas` app servers behind nginx."""
    from tests.serve import free_port, streamlit_process

    with contextlib.ExitStack() as stack:
        servers = [stack.enter_context(streamlit_process()) for _ in range(replicas)]
        prefix = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        listen_port = free_port()
        ports = [int(url.rsplit(":", 1)[1]) for url, _ in servers]
        (prefix / "nginx.conf").write_text(local_config(ports, listen_port, prefix), encoding="utf-8")
        nginx = subprocess.Popen(nginx_command(prefix), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        stack.callback(_stop, nginx)
        url = f"http://127.0.0.1:{listen_port}"
        _wait_healthy(url, nginx, prefix / "error.log")
        yield url, [(replica, process.pid) for replica, process in servers], prefix / "access.log"


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def _wait_healthy(url: str, nginx: subprocess.Popen, errors: Path, attempts: int = 100) -> None:
    """Until the app answers its health check through nginx (an error with nginx's log if it never does)."""
    for _ in range(attempts):
        if nginx.poll() is not None:
            break
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).close()
            return
        time.sleep(0.3)
    raise RuntimeError(f"nginx did not come up:\n{errors.read_text() if errors.exists() else ''}")


def replicas_by_key(log: Path) -> dict[str, set[str]]:
    """From the access log: for each browser's affinity key, the replicas that served its requests."""
    served: dict[str, set[str]] = collections.defaultdict(set)
    for line in log.read_text().splitlines():
        key, upstream, *_ = line.split(" ")
        if upstream != "-":
            served[key].add(upstream)
    return served


def main() -> None:
    from bench import load

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicas", type=int, default=3)
    parser.add_argument("--sessions", type=int, nargs="+", default=[30])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    with behind_nginx(args.replicas) as (url, servers, log):
        for replica, _ in servers:
            load.warm_up(replica)
        for sessions in args.sessions:
            load.print_level(load.measure_level(url, [pid for _, pid in servers], sessions, args.seconds, load.RAMP_S))
        time.sleep(1)  # nginx writes a websocket's log line when it closes
        served = replicas_by_key(log)
    moved = [key for key, upstreams in served.items() if len(upstreams) > 1]
    per_replica = collections.Counter(next(iter(u)) for u in served.values() if len(u) == 1)
    print(f"  {len(served)} browsers, {len(moved)} served by more than one replica; browsers per replica: "
          f"{dict(per_replica)}")


if __name__ == "__main__":
    main()
