"""`vulndesk serve` (what `make run` ends with) really serves, runs the worker and scheduler, and stops on Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_health(url: str, process: subprocess.Popen[str], timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 -- a local http URL we built
                return int(response.status)
        except OSError:
            time.sleep(0.3)
    return 0


def test_serve_answers_health_checks_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    # The embedded default: SQLite in a fresh data folder, whatever database the suite runs on.
    env = {name: value for name, value in os.environ.items() if name != "DATABASE_URL"}
    env |= {"VULNDESK_DATA_DIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(  # noqa: S603 -- our own command
        [sys.executable, "-m", "vulndesk", "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        status = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()

    assert status == 200, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "Stopped." in output
    assert "Scheduler running" in output
    assert "Starting worker" in output
    assert process.returncode == 0
    assert (tmp_path / "vulndesk.sqlite3").exists()
    assert (tmp_path / "static").is_dir()
