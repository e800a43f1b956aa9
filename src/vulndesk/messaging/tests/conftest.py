"""A real SMTP server on loopback (aiosmtpd) for the mail tests, and GnuPG keys made on the spot."""

import os
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from typing import Any

import gnupg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from pytest_django.fixtures import Settings

from vulndesk.messaging.openpgp import gpg_available


@dataclass
class Mailbox:
    """What the loopback server received; `refuse` makes it answer 550 for those recipients."""

    received: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook name
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.original_content or b""
        self.received.append(message_from_bytes(content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SmtpServer:
    """An aiosmtpd server that can be stopped and started again on the same port (an outage)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp_port(settings: Settings) -> int:
    """Point Django's SMTP backend at a loopback port (nothing listens there until a server starts)."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    return port


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[SmtpServer]:
    server = SmtpServer(smtp_port)
    server.start()
    yield server
    server.stop()


@dataclass(frozen=True)
class GpgIdentity:
    gpg: Any  # gnupg.GPG, untyped
    public_key: str
    fingerprint: str


@pytest.fixture(scope="session")
def researcher_gpg() -> Iterator[GpgIdentity]:
    """A researcher's key pair in a throw-away keyring. CI requires gpg (VULNDESK_REQUIRE_GNUPG)."""
    if not gpg_available():
        if os.environ.get("VULNDESK_REQUIRE_GNUPG"):
            pytest.fail("gpg not found; install Debian's gnupg package (apt-get install gnupg).")
        pytest.skip("OpenPGP tests need GnuPG (apt-get install gnupg).")
    with tempfile.TemporaryDirectory(prefix="vd-test-gpg-") as home:
        gpg = gnupg.GPG(gnupghome=home)
        key_input = gpg.gen_key_input(
            name_email="researcher@example.test",
            key_type="EDDSA",
            key_curve="ed25519",
            subkey_type="ECDH",
            subkey_curve="cv25519",
            no_protection=True,
        )
        key = gpg.gen_key(key_input)
        assert key.fingerprint, key.stderr
        yield GpgIdentity(gpg=gpg, public_key=gpg.export_keys(key.fingerprint), fingerprint=key.fingerprint)


@pytest.fixture
def database_task_queue(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real queue: tasks wait in the database until a worker runs."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    # The worker would recycle the database connection between tasks, which would end the
    # test's transaction; connection handling is not what is under test here.
    monkeypatch.setattr("django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None)
