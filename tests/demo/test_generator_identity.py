"""The demo generator's records are pinned: the same (contacts, seed, now) must give the very
same records, byte for byte, in every version.

The hashes below were computed from commit 51368b1aa422ef778a597a9ae6c0005278233255 (main,
before the generator was made faster) and MUST NEVER CHANGE: changing the demo's records
changes everyone's demo workspace, the README screenshots and the demo export that issue 9
requires to stay byte-identical. A speed-up that breaks one of them is a bug in the speed-up,
not a reason to update a constant here.

Each hash is the sha256 of the concatenated `orjson.dumps` of every record, in order (orjson
keeps key order, so the hash pins keys, their order, values and value types). The record
count is pinned as well, so a failure says early whether records went missing.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import orjson
import pytest

from smarketing.demo.generator import generate

MADRID = ZoneInfo("Europe/Madrid")

# (contacts, seed, now, records, sha256); the comment gives the history's last day
# (`now`'s date in Madrid) and why the case is here.
PINNED: list[tuple[int, int, datetime, int, str]] = [
    # 2026-11-20: the date the demo tests use.
    (50, 7, datetime(2026, 11, 20, 15, 30, tzinfo=UTC), 461,
     "b131ee60b1607cbe30e2160476503bae0f7366071f04a2367e06f3d9f0d5b80b"),
    # 2028-02-29: a leap day.
    (50, 0, datetime(2028, 2, 29, 12, 0, tzinfo=UTC), 508,
     "2a706a3e825bab8468ab47d3c9619f4c360f60cd80595b5b128997c0958249cc"),
    # 2026-03-29: spring forward in Madrid; `now` is 23:30 UTC of the day before.
    (50, 123456789, datetime(2026, 3, 28, 23, 30, tzinfo=UTC), 504,
     "1e9561202e71371770363c5a04865b7ff16ca39786378083bd72db2126ab3822"),
    # 2026-03-29: spring forward, with `now` given in Madrid time.
    (3000, 7, datetime(2026, 3, 29, 1, 30, tzinfo=MADRID), 19399,
     "9acb6ad01750c966e29cbdb5ccae6e98c2654738ee84df23eef93e3030f3ea41"),
    # 2024-02-29: a leap day, 3,000 contacts.
    (3000, 42, datetime(2024, 2, 29, 12, 0, tzinfo=UTC), 19231,
     "db95b36465402cabfc0a9d654e4dd352ae6ad459061d98640324fa79a02ebf5c"),
    # 2024-03-01: 23:30 UTC of a leap day is already the next day in Madrid.
    (50, 5, datetime(2024, 2, 29, 23, 30, tzinfo=UTC), 454,
     "c557b7eaf35d4478f207ab88f34c0812f210060c773dad2b54dd97c234d8a798"),
    # 2026-10-25: fall back in Madrid; `now` is in the repeated hour (fold=1).
    (3000, 7, datetime(2026, 10, 25, 2, 30, tzinfo=MADRID, fold=1), 19086,
     "048733c10641cb2888c74742e7828e612fa66e539f8c91a24041ecb36ed4025f"),
    # 2027-07-01: `now` in another offset (UTC-5) whose date differs from Madrid's.
    (3000, 9, datetime(2027, 6, 30, 20, 0, tzinfo=timezone(timedelta(hours=-5))), 19329,
     "47912674a0c1474ddb7bdb373395d056a79176efc9ef148ed8f8d989c4231dfb"),
]  # fmt: skip


def fingerprint(contacts: int, seed: int, now: datetime) -> tuple[int, str]:
    digest = hashlib.sha256()
    count = 0
    for record in generate(contacts, seed, now):
        digest.update(orjson.dumps(record))
        count += 1
    return count, digest.hexdigest()


@pytest.mark.parametrize(
    ("contacts", "seed", "now", "records", "sha256"),
    PINNED,
    ids=[f"{c}-seed{s}-{n.isoformat()}" for c, s, n, _r, _h in PINNED],
)
def test_generated_records_are_pinned(
    contacts: int, seed: int, now: datetime, records: int, sha256: str
) -> None:
    assert fingerprint(contacts, seed, now) == (records, sha256)


def test_the_fingerprint_sees_a_changed_value_and_a_changed_key_order() -> None:
    """The hash is sensitive to what the pins are meant to catch."""
    records = list(generate(5, 7, PINNED[0][2]))

    def digest(rs: list[dict[str, object]]) -> str:
        return hashlib.sha256(b"".join(orjson.dumps(r) for r in rs)).hexdigest()

    original = digest(records)
    changed = [dict(r) for r in records]
    changed[-1]["type"] = changed[-1]["type"] + "x"
    assert digest(changed) != original
    reordered = [dict(reversed(list(r.items()))) for r in records]
    assert digest(reordered) != original
    assert digest(list(reversed(records))) != original
