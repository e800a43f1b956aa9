"""VULNDESK_EMAIL_URL: one setting for the outgoing mail server."""

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from vulndesk.core.tests.test_settings import load_settings
from vulndesk.lib.email_url import InvalidEmailUrl, SmtpServer, parse_email_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.com", SmtpServer("mail.example.com", 25, "", "", use_tls=False, use_ssl=False)),
        ("smtp+tls://ann:s%40cret@mail.example.com", SmtpServer("mail.example.com", 587, "ann", "s@cret", True, False)),
        ("smtps://ann:pw@mail.example.com:2465", SmtpServer("mail.example.com", 2465, "ann", "pw", False, True)),
    ],
)
def test_parses_the_three_schemes(url: str, expected: SmtpServer) -> None:
    assert parse_email_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://mail.example.com", "unknown scheme 'http'"),
        ("smtp://", "no host"),
        ("smtp://mail.example.com:99999", "port"),
    ],
)
def test_malformed_urls_say_what_is_wrong(url: str, message: str) -> None:
    with pytest.raises(InvalidEmailUrl, match=message):
        parse_email_url(url)


def test_settings_use_the_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    loaded = load_settings(monkeypatch, tmp_path, VULNDESK_EMAIL_URL="smtps://ann:pw@relay.example.com")

    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (loaded["EMAIL_HOST"], loaded["EMAIL_PORT"], loaded["EMAIL_USE_SSL"]) == ("relay.example.com", 465, True)


def test_bad_url_stops_start_up_naming_the_variable(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="VULNDESK_EMAIL_URL: unknown scheme"):
        load_settings(monkeypatch, tmp_path, VULNDESK_EMAIL_URL="imap://mail.example.com")


def test_without_it_mail_goes_to_files_in_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("VULNDESK_EMAIL_URL", raising=False)
    monkeypatch.delenv("VULNDESK_EMAIL_BACKEND", raising=False)

    loaded = load_settings(monkeypatch, tmp_path)

    assert loaded["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"
    assert loaded["EMAIL_FILE_PATH"] == tmp_path / "sent-mail"
