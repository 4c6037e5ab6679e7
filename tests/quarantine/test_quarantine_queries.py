"""The quarantine's listing helpers and `replay_open`, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.orm import Session

from smarketing.core.errors import ValidationError
from smarketing.interchange.service import import_records
from smarketing.quarantine import service as quarantine

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
FAIR = {"id": "q1", "email": "ana@studio.example", "kind": "form_submit",
        "campaign": "autumn-fair"}  # fmt: skip


def _hold(session: Session, payload: object, source: str = "api", kind: str = "activity") -> int:
    return quarantine.hold(session, source=source, kind=kind, payload=payload, reason="bad",
                           now=NOW)  # fmt: skip


def test_newest_first_counts_and_filter_values(session: Session) -> None:
    first = _hold(session, FAIR)
    second = _hold(session, {"email": "x"}, source="track")
    third = _hold(session, {"email": "y"}, kind="contact")
    quarantine.discard(session, first, NOW, "junk")
    assert [i.id for i in quarantine.newest_items(session)] == [third, second]
    assert [i.id for i in quarantine.newest_items(session, None, limit=2)] == [third, second]
    assert [i.id for i in quarantine.newest_items(session, "open", "activity")] == [second]
    assert quarantine.count_items(session) == 2
    assert quarantine.count_items(session, None) == 3
    assert quarantine.count_items(session, "discarded") == 1
    assert quarantine.count_items(session, "open", source="track") == 1
    kinds, sources = quarantine.kinds_and_sources(session)
    assert (kinds, sources) == (["activity", "contact"], ["api", "track"])
    with pytest.raises(ValidationError, match="status: must be one of"):
        quarantine.count_items(session, "closed")


def test_replay_open_replays_each_on_its_own(session: Session) -> None:
    fixed = _hold(session, FAIR)
    bad = _hold(session, {"id": "q2", "email": "not-an-email", "kind": "page_view"})
    unknown_kind = _hold(session, {"a": 1}, kind="no-such-kind")
    other_source = _hold(session, {**FAIR, "id": "q3"}, source="track")
    import_records(session, [{"type": "campaign", "key": "autumn-fair", "name": "Autumn fair",
                              "channel": "event"}], now=NOW)  # fmt: skip

    summary = quarantine.replay_open(session, NOW, source="api", page=2)
    assert summary.replayed == 1
    assert [item_id for item_id, _ in summary.still_open] == [bad, unknown_kind]
    assert summary.still_open[1][1] == "no replayer for items of kind 'no-such-kind'"
    assert quarantine.get_item(session, fixed).status == "replayed"
    assert quarantine.get_item(session, bad).attempts == 2
    assert quarantine.get_item(session, other_source).status == "open"


def test_replay_of_an_unknown_kind_changes_nothing(session: Session) -> None:
    item_id = _hold(session, {"a": 1}, kind="no-such-kind")
    with pytest.raises(ValidationError, match="no replayer"):
        quarantine.replay(session, item_id, NOW, payload={"a": 2})
    item = quarantine.get_item(session, item_id)
    assert (item.payload, item.attempts) == ('{"a":1}', 1)


def test_preview_and_pretty_payload() -> None:
    assert quarantine.preview('{\n  "a": 1\n}') == '{ "a": 1 }'
    assert quarantine.preview("x" * 10, width=5) == "xxxx…"
    assert quarantine.pretty_payload('{"a":[1]}') == '{\n  "a": [\n    1\n  ]\n}'
    assert quarantine.pretty_payload("not json") == "not json"
