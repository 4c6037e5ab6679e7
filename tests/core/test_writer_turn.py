"""`writer_turn`: one SQLite writer of the process at a time, handed over at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from smarketing.core import database
from smarketing.core.database import (
    WriterTurnTimeout,
    make_engine,
    make_session_factory,
    writer_turn,
)


def test_a_second_writer_waits_for_the_first_to_finish(tmp_path: Path) -> None:
    sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'w.db'}"))
    order: list[str] = []
    first_in = threading.Event()

    def second() -> None:
        first_in.wait()
        with writer_turn(sessions):
            order.append("second")

    thread = threading.Thread(target=second)
    thread.start()
    with writer_turn(sessions):
        first_in.set()
        thread.join(timeout=0.2)
        assert thread.is_alive()  # still waiting for the turn
        order.append("first")
    thread.join(timeout=10)
    assert order == ["first", "second"]


def test_a_writer_that_waits_too_long_gets_a_clear_error(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> (
    None
):
    monkeypatch.setattr(database, "WRITER_TURN_TIMEOUT", 0.05)
    sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'w.db'}"))
    failures: list[BaseException] = []

    def other() -> None:
        try:
            with writer_turn(sessions):
                pass
        except WriterTurnTimeout as exc:
            failures.append(exc)

    with writer_turn(sessions):
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(timeout=10)
    assert len(failures) == 1
    assert "held the database" in str(failures[0])


def test_postgresql_writers_do_not_queue(postgres_url: str) -> None:
    sessions = make_session_factory(make_engine(postgres_url))
    with writer_turn(sessions), writer_turn(sessions):  # would block on SQLite
        pass
