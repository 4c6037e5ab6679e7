"""Run the real `smarketing` command line against a fresh workspace."""

from collections.abc import Callable, Iterator

import pytest
from typer.testing import CliRunner, Result

from smarketing.cli import app
from smarketing.core.settings import get_settings

Invoke = Callable[..., Result]


@pytest.fixture
def cli(workspace_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Invoke]:
    """`cli("funnel", "--json")` runs a command on a fresh SQLite or PostgreSQL workspace."""
    monkeypatch.setenv("SMARKETING_DATABASE_URL", workspace_url)
    monkeypatch.setenv("COLUMNS", "200")  # Rich wraps table cells at 80 columns
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    yield invoke
    get_settings.cache_clear()
