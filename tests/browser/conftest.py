"""Browser fixtures: Debian's chromium driven by Playwright, and the real app served by
uvicorn in a background thread on a free localhost port.

Without /usr/bin/chromium, or when Playwright cannot launch it, the browser tests are
skipped; under CI=true they fail instead.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]  # fmt: skip
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
STARTUP_WAIT_SECONDS = 20


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"browser tests must run under CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    from playwright.sync_api import Error, sync_playwright

    playwright = sync_playwright().start()
    try:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
    except Error as exc:
        playwright.stop()
        _unavailable(f"Playwright cannot launch {CHROMIUM}: {exc.message.splitlines()[0]}")
    yield launched
    launched.close()
    playwright.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def serve_in_thread(app: FastAPI) -> Iterator[str]:
    """Serve `app` on a free 127.0.0.1 port until the generator is closed; yields the URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    for _ in range(STARTUP_WAIT_SECONDS * 20):
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    if not server.started:
        server.should_exit = True
        thread.join(5)
        sock.close()
        raise RuntimeError("uvicorn did not start")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
