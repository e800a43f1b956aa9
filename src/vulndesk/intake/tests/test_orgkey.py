"""The organisation's OpenPGP key: `vulndesk pgp`, the published public key, signed security.txt."""

from io import StringIO
from pathlib import Path

import gnupg
import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from pytest_django.fixtures import Settings
from sectxt import Parser

from vulndesk.intake import orgkey


def test_without_a_key_the_key_url_is_404_and_security_txt_is_unsigned(client: Client, db: None) -> None:
    assert client.get("/.well-known/openpgp-key.asc").status_code == 404
    text = client.get("/.well-known/security.txt").content.decode()
    assert "Encryption:" not in text
    assert "BEGIN PGP SIGNED MESSAGE" not in text


def test_the_public_key_is_published_and_the_private_one_is_not(client: Client, org_key: str) -> None:
    response = client.get("/.well-known/openpgp-key.asc")

    text = response.content.decode()
    assert response.status_code == 200
    assert "BEGIN PGP PUBLIC KEY BLOCK" in text
    assert "PRIVATE KEY" not in text


def test_security_txt_is_signed_names_the_key_and_still_validates(
    client: Client, org_key: str, settings: Settings, tmp_path: Path
) -> None:
    settings.BASE_URL = "https://psirt.example"

    body = client.get("/.well-known/security.txt").content

    parser = Parser(body, urls="https://psirt.example/.well-known/security.txt")
    assert body.startswith(b"-----BEGIN PGP SIGNED MESSAGE-----")
    assert b"Encryption: https://psirt.example/.well-known/openpgp-key.asc" in body
    assert parser.errors == []
    checker = gnupg.GPG(gnupghome=str(tmp_path))
    checker.import_keys(client.get("/.well-known/openpgp-key.asc").content.decode())
    assert checker.verify(body).valid


def test_pgp_init_refuses_to_replace_a_key(org_key: str) -> None:
    with pytest.raises(CommandError, match="already exists"):
        call_command("pgp", "init")


def test_pgp_show_prints_the_fingerprint(org_key: str) -> None:
    out = StringIO()

    call_command("pgp", "show", stdout=out)

    assert f"Fingerprint: {org_key}" in out.getvalue()


def test_pgp_import_takes_an_existing_secret_key(org_key: str, settings: Settings, tmp_path: Path) -> None:
    exported = orgkey._gpg().export_keys(org_key, secret=True, expect_passphrase=False)
    key_file = tmp_path / "key.asc"
    key_file.write_text(exported)
    settings.DATA_DIR = tmp_path / "fresh"
    out = StringIO()

    call_command("pgp", "import", str(key_file), stdout=out)

    assert orgkey.fingerprint() == org_key
    assert (tmp_path / "fresh" / "gnupg").stat().st_mode & 0o077 == 0


def test_pgp_import_refuses_a_public_key(org_key: str, settings: Settings, tmp_path: Path) -> None:
    key_file = tmp_path / "public.asc"
    key_file.write_text(orgkey.public_key())
    settings.DATA_DIR = tmp_path / "fresh"

    with pytest.raises(CommandError, match="not an OpenPGP secret key"):
        call_command("pgp", "import", str(key_file))


def test_pgp_show_without_a_key_says_what_to_do(db: None) -> None:
    with pytest.raises(CommandError, match="vulndesk pgp init"):
        call_command("pgp", "show")
