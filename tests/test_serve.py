"""`vulndesk serve` (what `make run` ends with) really serves, runs the worker and scheduler, and stops on Ctrl-C."""

import os
import signal
import socket
import subprocess
import sys
import threading
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


def collect_output(process: subprocess.Popen[str]) -> tuple[list[str], threading.Thread]:
    """Read the process's output in the background, so the test can wait for what it prints."""
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        lines.extend(iter(process.stdout.readline, ""))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    return lines, reader


def wait_for_lines(lines: list[str], markers: tuple[str, ...], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not all(any(marker in line for line in lines) for marker in markers):
        time.sleep(0.2)


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
    lines, reader = collect_output(process)
    try:
        status = wait_for_health(f"http://127.0.0.1:{port}/healthz", process)
        # Ctrl-C only once every process is up, as a person would see it.
        wait_for_lines(lines, ("Starting worker", "Scheduler running"))
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    reader.join(timeout=10)  # the output ends when the process does
    assert process.stdout is not None
    process.stdout.close()
    output = "".join(lines)

    assert status == 200, output
    assert f"http://127.0.0.1:{port}/" in output
    assert "Starting worker" in output
    assert "Scheduler running" in output
    assert "Stopped." in output
    assert process.returncode == 0
    assert (tmp_path / "vulndesk.sqlite3").exists()
    assert (tmp_path / "static").is_dir()
