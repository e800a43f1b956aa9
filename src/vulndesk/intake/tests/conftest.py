"""Intake test fixtures: an empty data folder per test, and the organisation's OpenPGP key."""

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings
from pytest_django.fixtures import Settings

from vulndesk.intake import orgkey


@pytest.fixture(autouse=True)
def _own_data_dir(settings: Settings, tmp_path: Path) -> None:
    # The organisation keyring lives in the data folder: a developer's own key must not leak into tests.
    settings.DATA_DIR = tmp_path


@pytest.fixture(scope="session")
def _org_key_dir() -> Iterator[Path]:
    if not orgkey.gpg_available():
        if os.environ.get("VULNDESK_REQUIRE_GNUPG"):
            pytest.fail("gpg not found; install Debian's gnupg package (apt-get install gnupg).")
        pytest.skip("OpenPGP tests need GnuPG (apt-get install gnupg).")
    # A short path: gpg-agent's socket path must stay under the Unix limit of ~100 bytes.
    with tempfile.TemporaryDirectory(prefix="vd-org-") as data_dir:
        with override_settings(DATA_DIR=Path(data_dir)):
            orgkey.create_key(name="Test PSIRT", email="security@example.com")
        yield Path(data_dir)


@pytest.fixture
def org_key(_org_key_dir: Path, settings: Settings) -> str:
    """The organisation key pair (generated once per test session); returns its fingerprint."""
    settings.DATA_DIR = _org_key_dir
    fingerprint = orgkey.fingerprint()
    assert fingerprint
    return fingerprint
