"""`vulndesk serve`: the web server, the task worker and the scheduler, started and stopped together.

The web server is gunicorn (a production-grade WSGI server, not `runserver`); the worker is
django-tasks' database worker; the scheduler runs the periodic jobs
(core/schedule.py). Ctrl-C (or SIGTERM) stops all three and waits for them.
"""

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

_GRACE_SECONDS = 10


class Command(BaseCommand):
    help = "Migrate, collect static files, then run the web server and the background worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes (default 2).")
        parser.add_argument(
            "--no-worker", action="store_true", help="Start neither the task worker nor the periodic-job scheduler."
        )
        parser.add_argument("--skip-setup", action="store_true", help="Skip migrate and collectstatic.")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["skip_setup"]:
            call_command("migrate", interactive=False, verbosity=0)
            call_command("collectstatic", interactive=False, verbosity=0)
        children = [self._start_web(options)]
        if not options["no_worker"]:
            children.append(subprocess.Popen([sys.executable, "-m", "vulndesk", "db_worker", "--no-reload", "-v", "1"]))
            children.append(subprocess.Popen([sys.executable, "-m", "vulndesk", "schedule"]))
        self.stdout.write(self.style.SUCCESS(f"vulndesk is running at http://{options['host']}:{options['port']}/"))
        self.stdout.write("Press Ctrl-C to stop.")

        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(child.poll() is None for child in children):
            time.sleep(0.2)
        failed = [child for child in children if child.poll() not in (None, 0)]
        self._stop(children)
        if failed and not stopping:
            self.stderr.write(f"A process exited unexpectedly (exit code {failed[0].returncode}); stopped everything.")
            sys.exit(1)
        self.stdout.write("Stopped.")

    def _start_web(self, options: dict[str, Any]) -> subprocess.Popen[bytes]:
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "vulndesk.config.wsgi:application",
            f"--bind={options['host']}:{options['port']}",
            f"--workers={options['workers']}",
            "--threads=4",
            "--access-logfile=-",
            "--graceful-timeout=10",
            # The control socket lives in $HOME and would clash between two instances.
            "--no-control-socket",
        ]
        return subprocess.Popen(command)

    def _stop(self, children: list[subprocess.Popen[bytes]]) -> None:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + _GRACE_SECONDS
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
