"""`vulndesk mail ingest` (one RFC 5322 message on stdin, for an MTA pipe) and `vulndesk mail serve`."""

import asyncio
import signal
import sys
import threading
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import DatabaseError, connection

from vulndesk.intake.mail import MAX_MESSAGE_BYTES, ingest_mail

# sysexits.h EX_TEMPFAIL: the MTA keeps the message and tries again later.
EX_TEMPFAIL = 75


def _ingest_in_thread(raw: bytes) -> str:
    # The ORM must not run on the SMTP server's event loop; each message uses its own connection
    # in a worker thread, closed afterwards so no idle connection outlives it.
    try:
        inbound = ingest_mail(raw)
        return f"{inbound.get_status_display()} (#{inbound.pk})"
    finally:
        connection.close()


def serve(host: str, port: int, *, stopped: threading.Event, ready: threading.Event | None = None) -> None:
    """Accept mail on host:port until `stopped` is set; `ready` is set once the listener is up."""
    if host not in {"127.0.0.1", "::1", "localhost"}:
        raise CommandError("The SMTP listener serves loopback only; put your MTA in front of it.")
    controller = Controller(_Handler(), hostname=host, port=port, data_size_limit=MAX_MESSAGE_BYTES)
    controller.start()
    if ready is not None:
        ready.set()
    try:
        stopped.wait()
    finally:
        controller.stop()


class _Handler:
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 -- aiosmtpd's name
        raw = envelope.original_content or b""
        try:
            await asyncio.to_thread(_ingest_in_thread, raw)
        except DatabaseError:
            # Not stored: a temporary failure makes the sending server retry, so nothing is lost.
            return "451 Requested action aborted: local error, try again later"
        return "250 Message accepted"


class Command(BaseCommand):
    help = "Mail intake: read a message from standard input, or run an SMTP listener on loopback."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("ingest", help="Read one RFC 5322 message on standard input (for an MTA pipe).")
        serve = actions.add_parser("serve", help="Accept mail over SMTP (aiosmtpd) until stopped.")
        serve.add_argument("--host", default=None, help="Address to listen on (default VULNDESK_SMTP_HOST).")
        serve.add_argument("--port", type=int, default=None, help="Port (default VULNDESK_SMTP_PORT).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "ingest":
            self._ingest()
        else:
            self._serve(options["host"] or settings.INTAKE_SMTP_HOST, options["port"] or settings.INTAKE_SMTP_PORT)

    def _ingest(self) -> None:
        raw = sys.stdin.buffer.read()
        try:
            inbound = ingest_mail(raw)
        except DatabaseError as error:
            self.stderr.write(f"Could not store the message: {error}")
            sys.exit(EX_TEMPFAIL)
        self.stdout.write(f"{inbound.get_status_display()}: message #{inbound.pk}")
        if inbound.reason:
            self.stdout.write(f"Reason: {inbound.reason}")

    def _serve(self, host: str, port: int) -> None:
        stopped = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stopped.set())
        self.stdout.write(f"Accepting mail on {host}:{port}. Ctrl-C stops.")
        serve(host, port, stopped=stopped)
