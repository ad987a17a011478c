"""Open local HTML pages in real headless Chromium with the network cut off.

Shared by the browser tests (the map, the report). Debian's ``chromium``
is driven through Playwright; every request that is not for a ``file:`` or
``data:`` URL is aborted and recorded, so a page that would fetch anything
from the network fails its test. Console errors, page errors, failed
requests and dialogs (``alert``) are collected too.

When Chromium or Playwright is missing the test is skipped, except under
``CI`` (the environment variable set), where it fails: CI installs both.

Usage::

    from browser import chromium, open_page

    def test_page(tmp_path):
        with chromium() as browser, open_page(browser, path) as (page, log):
            page.locator("h1").wait_for()
        assert log.clean, log.describe()
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("LANDUSE_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--metrics-recording-only",
    "--font-render-hinting=none",
]
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")


def missing(reason: str) -> None:
    """Skip the test, or fail it under CI (where the browser must be there)."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set: browser tests must run)")
    pytest.skip(reason)


@dataclass
class PageLog:
    """What a page did besides rendering."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    load_seconds: float = float("nan")

    @property
    def clean(self) -> bool:
        """No console or page error, no network request, no failed request, no dialog."""
        return not (self.console_errors or self.page_errors or self.blocked or self.failed
                    or self.dialogs)

    def describe(self) -> str:
        """A readable summary for assertion messages."""
        parts = [f"{name}: {items}" for name, items in (
            ("console errors", self.console_errors), ("page errors", self.page_errors),
            ("network requests blocked", self.blocked), ("failed requests", self.failed),
            ("dialogs", self.dialogs)) if items]
        return "; ".join(parts) or "clean"


@contextlib.contextmanager
def chromium(*, executable: str = CHROMIUM) -> Iterator[Any]:
    """Launch headless Chromium (skips, or fails under CI, when it cannot)."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("playwright is not installed (pip install playwright)")
    if not (Path(executable).exists() or shutil.which(executable)):
        missing(f"Chromium not found at {executable} (apt-get install chromium)")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        except PlaywrightError as err:
            missing(f"Chromium at {executable} does not start: {err}")
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(browser: Any, path: str | os.PathLike, *, width: int = 1366, height: int = 900,
              wait_for: str | None = None, timeout_ms: float = 20_000) -> Iterator[tuple[Any, PageLog]]:
    """Open ``path`` from ``file://`` in a fresh context with the network blocked.

    Parameters
    ----------
    browser : playwright Browser
        From :func:`chromium`.
    path : path-like
        The local HTML file.
    width, height : int
        Viewport in CSS pixels.
    wait_for : str, optional
        A CSS selector to wait for after the load event.
    timeout_ms : float
        Time allowed for the load and for ``wait_for``.

    Yields
    ------
    (page, PageLog)
        The page, and the log of what it tried; ``log.load_seconds`` is the
        time from navigation to the load event (and ``wait_for``).
    """
    log = PageLog()
    context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN",
                                  service_workers="block")

    def route(r: Any) -> None:
        url = r.request.url
        if url.startswith(LOCAL_SCHEMES):
            r.continue_()
        else:
            log.blocked.append(url)
            r.abort("internetdisconnected")

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: log.page_errors.append(str(e)))
    page.on("requestfailed", lambda r: None if r.url in log.blocked else log.failed.append(
        f"{r.url} ({r.failure})"))

    def dialog(d: Any) -> None:
        log.dialogs.append(f"{d.type}: {d.message}")
        d.dismiss()

    page.on("dialog", dialog)
    try:
        start = time.perf_counter()
        page.goto(Path(path).resolve().as_uri(), wait_until="load", timeout=timeout_ms)
        if wait_for:
            page.locator(wait_for).first.wait_for(state="attached", timeout=timeout_ms)
        log.load_seconds = time.perf_counter() - start
        yield page, log
    finally:
        context.close()
