"""Sustained report submissions through a real HTTP server: POST /api/v1/reports from 4 clients.

Runs inside the bench's scenario process (Django set up, database migrated and seeded). It
starts gunicorn on a loopback port against the same database, gives each client its own
researcher and bearer token, and has the clients submit distinct reports back to back over
keep-alive connections. Each submission is a full one: rate-limit counting, validation,
duplicate check, preliminary priority, report row, state interval, audit event and the
acknowledgment's task row.

Rate limits are raised for the server (they would stop a flood, which is their job), so this
measures the submission path itself.
"""

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from typing import Any

from vulndesk.accounts.services import create_user, issue_token
from vulndesk.core.permissions import Role

CLIENTS = 4
WARM_UP = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "VULNDESK_SUBMISSIONS_PER_HOUR_PER_ACCOUNT": "100000000",
        "VULNDESK_SUBMISSIONS_PER_HOUR_PER_IP": "100000000",
        "VULNDESK_EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
    }
    command = [
        sys.executable, "-m", "gunicorn", "vulndesk.config.wsgi:application",
        "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--log-level", "warning",
        "--keep-alive", "30", "--no-control-socket",
    ]  # fmt: skip
    server = subprocess.Popen(command, env=environment)  # noqa: S603 -- our own fixed command
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    raise SystemExit("gunicorn did not start for the intake bench.")


def _client(port: int, token: str, number: int, count: int, *, latencies: list[float], failures: list[str]) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    for index in range(count):
        body = json.dumps(
            {
                "title": f"Bench client {number} report {index}: stored XSS in widget {index % 97}",
                "description": f"Submission {index} from client {number}. A script in a field runs for admins.",
                "steps_to_reproduce": "1. Sign in\n2. Put <script> in the name\n3. Open the admin list",
                "product_other": "Bench Widget",
                "impact_type": "spoofing",
                "suggested_cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:N",
                "accepts_policy": True,
            }
        )
        started = time.perf_counter()
        connection.request("POST", "/api/v1/reports", body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        latencies.append((time.perf_counter() - started) * 1000)
        if response.status != 201:
            failures.append(f"{response.status}")
    connection.close()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(*, submissions: int, label: str) -> dict[str, Any]:
    """Time `submissions` API submissions from CLIENTS concurrent clients; print and return figures."""
    tokens = []
    for number in range(CLIENTS):
        user = create_user(
            email=f"bench.researcher.{number}.{time.time_ns()}@example.test",
            role=Role.RESEARCHER,
            password=None,
            actor=None,
            display_name=f"Bench researcher {number}",
        )
        tokens.append(issue_token(user, name="bench", actor=None).secret)
    workers = max(2, 2 * (os.cpu_count() or 1))
    port = _free_port()
    server = _start_server(port, workers)
    try:
        warm: list[float] = []
        _client(port, tokens[0], 99, WARM_UP, latencies=warm, failures=[])
        per_client = max(1, submissions // CLIENTS)
        latencies: list[list[float]] = [[] for _ in range(CLIENTS)]
        failures: list[str] = []
        threads = [
            threading.Thread(
                target=_client,
                args=(port, tokens[n], n, per_client),
                kwargs={"latencies": latencies[n], "failures": failures},
            )
            for n in range(CLIENTS)
        ]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    samples = [value for client in latencies for value in client]
    figures = {
        "submissions": len(samples),
        "clients": CLIENTS,
        "gunicorn_workers": workers,
        "per_second": len(samples) / elapsed,
        "p50_ms": statistics.median(samples),
        "p99_ms": _percentile(samples, 0.99),
        "max_ms": max(samples),
        "failures": len(failures),
    }
    print(
        f"\n{label}: intake — {figures['submissions']:,} API submissions from {CLIENTS} clients through gunicorn "
        f"({workers} workers): {figures['per_second']:.0f}/s, p50 {figures['p50_ms']:.1f} ms, "
        f"p99 {figures['p99_ms']:.1f} ms, {figures['failures']} failed"
    )
    return figures
