"""Headless Chromium from Debian's `chromium` package, driven by Playwright (no downloaded browser)."""

import os
import shutil
from collections.abc import Iterator

import pytest
from django.db import connections
from playwright.sync_api import Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Flags that keep Chromium from reaching for the network this machine doesn't have.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(monkeypatch: pytest.MonkeyPatch) -> Iterator[Page]:
    """A fresh browser per test.

    Playwright's sync API keeps an event loop running in this thread while it is open, and
    Django then keeps ORM connections per context. Opening and closing it around each test
    keeps that from leaking into other tests, and the connections made meanwhile are closed
    before it stops, so none outlives the test and blocks dropping the test database.
    """
    if not os.path.exists(CHROMIUM):
        if os.environ.get("VULNDESK_REQUIRE_BROWSER"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; install Debian's package: apt-get install chromium")
        pytest.skip("Browser tests need Debian's chromium package (apt-get install chromium).")
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(10_000)
        yield page
        context.close()
        browser.close()
        connections.close_all()
