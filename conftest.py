"""Role fixtures shared by every test: name the person, not their permissions."""

import importlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import pytest_django
from django.core.cache import cache
from django.db import connection
from pytest_django.fixtures import Settings

from vulndesk.accounts.models import User
from vulndesk.core.permissions import Role
from vulndesk.core.tests.api_client import ApiClient
from vulndesk.core.tests.factories import UserFactory

# Raw-SQL migrations whose effect the code relies on, not only speed: the stored search document
# (0018) and the title index, whose statistics duplicate detection reads (0016). PostgreSQL only.
_SCHEMA_OUTSIDE_THE_MODELS = [
    ("vulndesk.triage.migrations.0016_report_title_search_index", "create"),
    ("vulndesk.triage.migrations.0018_report_search_document", "forwards"),
]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: pytest_django.DjangoDbBlocker) -> None:
    """The test database is built from the models (--no-migrations); what those migrations add
    outside the models is added as they add it."""
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for module, function in _SCHEMA_OUTSIDE_THE_MODELS:
            getattr(importlib.import_module(module), function)(None, editor)


@pytest.fixture(autouse=True)
def _tasks_run_immediately(settings: Settings) -> None:
    # Tasks run inline in tests so their effects can be asserted; the worker is tested on its own.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.STORAGES = {
        "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Rate-limit counters live in the cache: every test starts with none.
    cache.clear()


@pytest.fixture
def researcher(db: None) -> User:
    """External researcher; sees only their own reports."""
    return UserFactory.create(role=Role.RESEARCHER, email="researcher@example.test")


@pytest.fixture
def outsider(db: None) -> User:
    """Another researcher: must see nothing of `researcher`'s."""
    return UserFactory.create(role=Role.RESEARCHER, email="outsider@example.test")


@pytest.fixture
def analyst(db: None) -> User:
    return UserFactory.create(role=Role.ANALYST, email="analyst@example.test")


@pytest.fixture
def engineer(db: None) -> User:
    return UserFactory.create(role=Role.ENGINEER, email="engineer@example.test")


@pytest.fixture
def release_manager(db: None) -> User:
    return UserFactory.create(role=Role.RELEASE_MANAGER, email="release.manager@example.test")


@pytest.fixture
def coordinator(db: None) -> User:
    return UserFactory.create(role=Role.COORDINATOR, email="coordinator@example.test")


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory.create(role=Role.ADMIN, email="admin@example.test")


@pytest.fixture
def api(db: None) -> Callable[[User | None], ApiClient]:
    """`api(analyst).get("/reports")` calls /api/v1 with a bearer token of analyst's; `api(None)` anonymously."""
    return ApiClient


def pytest_report_header() -> str:
    database = os.environ.get("DATABASE_URL", "")
    return f"vulndesk database: {database.split('@')[-1] if database else 'SQLite (embedded)'}"


STANDARDS_DIR = Path(__file__).resolve().parent.parent / "shared" / "standards"


@pytest.fixture(scope="session")
def standards_dir() -> Path:
    """The published standards material beside the repository (../shared/standards).

    A user's fresh clone has no ../shared, so tests that read it skip there; CI sets
    VULNDESK_REQUIRE_STANDARDS=1 so that a missing folder fails instead of skipping.
    """
    if not STANDARDS_DIR.is_dir():
        if os.environ.get("VULNDESK_REQUIRE_STANDARDS"):
            pytest.fail(f"VULNDESK_REQUIRE_STANDARDS is set but {STANDARDS_DIR} does not exist.")
        pytest.skip(f"Standards material not found at {STANDARDS_DIR} (it sits beside the repository in CI).")
    return STANDARDS_DIR
