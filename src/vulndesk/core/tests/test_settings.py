"""Start-up refuses insecure or malformed production settings and names the variable."""

import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from vulndesk.config import settings as settings_module

GOOD_PRODUCTION = {
    "VULNDESK_MODE": "production",
    "VULNDESK_SECRET_KEY": "k3Jx9-vQ2mZr8TtLw0pYcB7nHd4sFa6eGu1iOjKlMqNbVcXzRy",
    "VULNDESK_ALLOWED_HOSTS": "psirt.example.com",
    "VULNDESK_BASE_URL": "https://psirt.example.com",
    "DATABASE_URL": "postgresql://vulndesk@db.internal/vulndesk",
    "VULNDESK_DEBUG": "false",
}


def load_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **env: str) -> dict[str, object]:
    for name in [*GOOD_PRODUCTION, "VULNDESK_SECRET_KEY_FILE", "VULNDESK_EMAIL_PORT"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VULNDESK_DATA_DIR", str(tmp_path))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    # Run the module's code afresh; the settings Django already loaded stay untouched.
    return runpy.run_path(str(Path(settings_module.__file__)))


def test_good_production_settings_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    loaded = load_settings(monkeypatch, tmp_path, **GOOD_PRODUCTION)

    assert loaded["IS_PRODUCTION"] is True
    assert loaded["SESSION_COOKIE_SECURE"] is True
    assert loaded["DATABASES"]["default"]["ENGINE"] == "django.db.backends.postgresql"  # type: ignore[index]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("VULNDESK_SECRET_KEY", "short"),
        ("VULNDESK_SECRET_KEY", "django-insecure-" + "x" * 50),
        ("VULNDESK_DEBUG", "true"),
        ("VULNDESK_DEBUG", "maybe"),
        ("VULNDESK_ALLOWED_HOSTS", "*"),
        ("VULNDESK_ALLOWED_HOSTS", ""),
        ("VULNDESK_BASE_URL", "http://psirt.example.com"),
        ("DATABASE_URL", "sqlite:///tmp/db.sqlite3"),
        ("DATABASE_URL", ""),
        ("VULNDESK_EMAIL_PORT", "smtp"),
        ("VULNDESK_EMAIL_PORT", "70000"),
        ("VULNDESK_MODE", "prod"),
    ],
)
def test_production_refuses_bad_setting_and_names_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=variable):
        load_settings(monkeypatch, tmp_path, **(GOOD_PRODUCTION | {variable: value}))


def test_embedded_mode_generates_a_secret_key_once(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    first = load_settings(monkeypatch, tmp_path)["SECRET_KEY"]
    second = load_settings(monkeypatch, tmp_path)["SECRET_KEY"]

    assert first == second
    assert len(str(first)) >= 50
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_embedded_mode_defaults_to_sqlite_in_the_data_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    loaded = load_settings(monkeypatch, tmp_path)

    assert loaded["DATABASES"]["default"]["NAME"] == str(tmp_path / "vulndesk.sqlite3")  # type: ignore[index]


def test_secret_can_come_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text(GOOD_PRODUCTION["VULNDESK_SECRET_KEY"] + "\n")
    env = GOOD_PRODUCTION | {"VULNDESK_SECRET_KEY_FILE": str(secret_file)}
    del env["VULNDESK_SECRET_KEY"]

    loaded = load_settings(monkeypatch, tmp_path, **env)

    assert loaded["SECRET_KEY"] == GOOD_PRODUCTION["VULNDESK_SECRET_KEY"]


def test_unreadable_secret_file_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with pytest.raises(ImproperlyConfigured, match="VULNDESK_SECRET_KEY_FILE"):
        load_settings(monkeypatch, tmp_path, VULNDESK_SECRET_KEY_FILE=str(tmp_path / "missing"))


@pytest.mark.parametrize(
    ("url", "options"),
    [
        ("postgresql://vulndesk@db.internal/vulndesk", "-c parallel_setup_cost=10000"),
        ("postgresql://vulndesk@db.internal/vulndesk?options=-c%20work_mem%3D8MB", "-c work_mem=8MB"),
    ],
)
def test_postgresql_sessions_start_parallel_workers_only_for_large_savings_unless_the_url_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, url: str, options: str
) -> None:
    loaded = load_settings(monkeypatch, tmp_path, DATABASE_URL=url)

    assert loaded["DATABASES"]["default"]["OPTIONS"]["options"] == options  # type: ignore[index]
