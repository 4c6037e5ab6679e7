"""Property tests of the scoring engine against a brute-force scorer written plainly here.

The oracle shares no code with the engine: it sorts every activity, walks the rules,
recomputes each cap from the list of everything counted so far, and decays each entry
with the formula of the issue, `points * 2 ** (-age / half_life)`.
"""

from __future__ import annotations

import fnmatch
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.personas.profile import ContactProfile
from smarketing.scoring.domain import LedgerEntry, Scorer, ScoringEvent
from smarketing.scoring.model import model_from_data

START = datetime(2026, 10, 20, 0, 0, tzinfo=UTC)  # the window spans the 25 October DST change
KINDS = ("page_view", "form_submit", "chat")
URLS = (None, "https://x.example/es/cocinas", "https://x.example/es/careers/1",
        "https://x.example/it/prezzi")  # fmt: skip
CAMPAIGNS = (None, "gads", "fair")

# -- the oracle ---------------------------------------------------------------------------


def oracle_matches(when: dict[str, Any], e: ScoringEvent) -> bool:
    if "kinds" in when and e.kind not in when["kinds"]:
        return False
    if "campaigns" in when and e.campaign not in when["campaigns"]:
        return False
    if "url" in when:
        if e.url is None:
            return False
        if not any(fnmatch.fnmatchcase(e.url.lower(), g.lower()) for g in when["url"]):
            return False
    return True


def oracle_fit(rules: list[dict[str, Any]], profile: ContactProfile) -> list[tuple[str, int]]:
    out = []
    for rule in rules:
        when = rule["when"]
        ok = True
        if "countries" in when:
            ok = ok and profile.country in when["countries"]
        if "employees" in when:
            ok = ok and profile.employees is not None and profile.employees >= when["employees"][
                "min"]
        if ok:
            out.append((rule["id"], rule["points"]))
    return out


def oracle(doc: dict[str, Any], profile: ContactProfile, events: list[ScoringEvent],
           now: datetime) -> tuple[list[tuple[str, str, int]], float, float]:
    """(rule, activity, points) in order, fit at now, engagement at now."""
    tz = ZoneInfo(doc["timezone"])
    first: dict[str, ScoringEvent] = {}
    for e in events:
        if e.id not in first:
            first[e.id] = e
    ordered = sorted(first.values(), key=lambda e: (e.at, e.id))
    counted: list[tuple[str, str, datetime, int]] = []
    for e in ordered:
        for rule in doc["engagement_rules"]:
            if not oracle_matches(rule["when"], e):
                continue
            mine = [c for c in counted if c[0] == rule["id"]]
            today = [c for c in mine if c[2].astimezone(tz).date() == e.at.astimezone(tz).date()]
            room = abs(rule["points"])
            if "cap_total" in rule:
                room = min(room, rule["cap_total"] - sum(abs(c[3]) for c in mine))
            if "cap_per_day" in rule:
                room = min(room, rule["cap_per_day"] - sum(abs(c[3]) for c in today))
            room = max(room, 0)
            counted.append((rule["id"], e.id, e.at, room if rule["points"] > 0 else -room))
    fit = sum(points for _, points in oracle_fit(doc["fit_rules"], profile))
    engagement = 0.0
    for _, _, at, points in counted:
        if at <= now:
            if doc.get("half_life_days") is None:
                engagement += points
            else:
                age = (now - at).total_seconds()
                engagement += points * 2 ** (-age / (doc["half_life_days"] * 86400))
    return [(c[0], c[1], c[3]) for c in counted], fit, engagement


# -- strategies ---------------------------------------------------------------------------


@st.composite
def rules(draw: st.DrawFn) -> list[dict[str, Any]]:
    found = []
    for i in range(draw(st.integers(1, 5))):
        when: dict[str, Any] = {"kinds": draw(st.lists(st.sampled_from(KINDS), min_size=1,
                                                        max_size=3, unique=True))}  # fmt: skip
        if draw(st.booleans()):
            when["url"] = draw(st.lists(st.sampled_from(["*/careers*", "*/es/*", "*PREZZI"]),
                                        min_size=1, max_size=2, unique=True))  # fmt: skip
        if draw(st.integers(0, 3)) == 0:
            when["campaigns"] = ["fair"]
        rule: dict[str, Any] = {"id": f"r{i}", "when": when,
                                "points": draw(st.integers(-20, 30).filter(bool))}  # fmt: skip
        if draw(st.booleans()):
            rule["cap_per_day"] = draw(st.integers(1, 40))
        if draw(st.booleans()):
            rule["cap_total"] = draw(st.integers(1, 80))
        found.append(rule)
    return found


@st.composite
def models(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "key": "prop", "version": 1, "name": "Property model",
        "timezone": draw(st.sampled_from(["Europe/Madrid", "UTC", "America/Sao_Paulo"])),
        "half_life_days": draw(st.sampled_from([None, 0.25, 1, 7, 30])),
        "fit_grades": {"A": 30, "B": 20, "C": 10},
        "engagement_grades": {"1": 40, "2": 20, "3": 5},
        "fit_rules": [{"id": "spain", "points": 10, "when": {"countries": ["ES"]}},
                      {"id": "big", "points": 15, "when": {"employees": {"min": 100}}}],
        "engagement_rules": draw(rules()),
    }  # fmt: skip


@st.composite
def event_lists(draw: st.DrawFn, unique: bool = False) -> list[ScoringEvent]:
    ids = st.sampled_from([f"a{i:02d}" for i in range(40)])
    events = []
    for _ in range(draw(st.integers(0, 30))):
        minutes = draw(st.integers(0, 12 * 24 * 60))
        events.append(ScoringEvent(draw(ids), draw(st.sampled_from(KINDS)),
                                   START + timedelta(minutes=minutes),
                                   campaign=draw(st.sampled_from(CAMPAIGNS)),
                                   url=draw(st.sampled_from(URLS))))  # fmt: skip
    if unique:
        seen: dict[str, ScoringEvent] = {}
        for e in events:
            seen.setdefault(e.id, e)
        return list(seen.values())
    return events


profiles = st.builds(ContactProfile, country=st.sampled_from([None, "ES", "PT"]),
                     employees=st.sampled_from([None, 20, 100, 500]))  # fmt: skip
nows = st.integers(0, 16 * 24 * 60).map(lambda m: START + timedelta(minutes=m))


def rows(entries: Any) -> list[tuple[str, str, int]]:
    return [(e.rule_id, e.activity_id, e.points) for e in entries if not e.is_fit]


def net(entries: Any) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for e in entries:
        if not e.is_fit:
            totals[(e.rule_id, e.activity_id)] += e.points
    return dict(totals)


# -- properties ---------------------------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(models(), profiles, event_lists(), nows)
def test_full_rescore_equals_the_brute_force_scorer(doc: dict[str, Any], profile: ContactProfile,
                                                    events: list[ScoringEvent],
                                                    now: datetime) -> None:  # fmt: skip
    scorer = Scorer(model_from_data(doc))
    update = scorer.rescore(profile, events, now)
    expected, fit, engagement = oracle(doc, profile, events, now)
    assert rows(update.entries) == expected
    assert [(e.rule_id, e.points) for e in update.entries if e.is_fit] == oracle_fit(
        doc["fit_rules"], profile)  # fmt: skip
    assert abs(update.score.fit - fit) <= 1e-9
    assert abs(update.score.engagement - engagement) <= 1e-9
    explanation = scorer.explain(update.entries, now)
    assert abs(sum(c.value for c in explanation.contributions) - (fit + engagement)) <= 1e-9


@settings(max_examples=120, deadline=None)
@given(models(), profiles, event_lists(unique=True), nows,
       st.lists(st.integers(0, 30), max_size=4))  # fmt: skip
def test_incremental_in_order_gives_the_same_ledger(doc: dict[str, Any], profile: ContactProfile,
                                                    events: list[ScoringEvent], now: datetime,
                                                    cuts: list[int]) -> None:  # fmt: skip
    scorer = Scorer(model_from_data(doc))
    ordered = sorted(events, key=lambda e: (e.at, e.id))
    bounds = [0, *sorted(min(c, len(ordered)) for c in cuts), len(ordered)]
    ledger: list[LedgerEntry] = []
    for low, high in zip(bounds, bounds[1:], strict=False):
        ledger += scorer.update(profile, ledger, ordered[low:high], now).entries
    full = scorer.rescore(profile, events, now)
    assert rows(ledger) == rows(full.entries)
    assert [(e.rule_id, e.points, e.fact) for e in ledger if e.is_fit] == [
        (e.rule_id, e.points, e.fact) for e in full.entries if e.is_fit]  # fmt: skip
    assert scorer.score(ledger, now) == full.score


@settings(max_examples=120, deadline=None)
@given(models(), profiles, event_lists(unique=True), nows, st.randoms(use_true_random=False),
       st.integers(1, 6))  # fmt: skip
def test_any_arrival_order_gives_the_same_net_points(doc: dict[str, Any],
                                                     profile: ContactProfile,
                                                     events: list[ScoringEvent], now: datetime,
                                                     rng: Any, batches: int) -> None:  # fmt: skip
    scorer = Scorer(model_from_data(doc))
    shuffled = list(events)
    rng.shuffle(shuffled)
    ledger: list[LedgerEntry] = []
    for i in range(batches):
        ledger += scorer.update(profile, ledger, shuffled[i::batches], now).entries
    full = scorer.rescore(profile, events, now)
    expected, fit, engagement = oracle(doc, profile, events, now)
    assert net(ledger) == net(full.entries) == _sum_rows(expected)
    score = scorer.score(ledger, now)
    assert abs(score.fit - fit) <= 1e-9
    assert abs(score.engagement - engagement) <= 1e-9
    assert scorer.update(profile, ledger, events, now).entries == ()  # a replay adds nothing


def _sum_rows(found: list[tuple[str, str, int]]) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    for rule, activity, points in found:
        totals[(rule, activity)] += points
    return dict(totals)


@settings(max_examples=100, deadline=None)
@given(models(), event_lists(unique=True), nows, st.integers(0, 20 * 24 * 60))
def test_a_stored_engagement_decays_without_its_ledger(doc: dict[str, Any],
                                                       events: list[ScoringEvent], now: datetime,
                                                       later: int) -> None:  # fmt: skip
    scorer = Scorer(model_from_data(doc))
    ledger = scorer.rescore(ContactProfile(), [e for e in events if e.at <= now], now).entries
    then = now + timedelta(minutes=later)
    stored = scorer.score(ledger, now).engagement
    later_score = scorer.score(ledger, then).engagement
    assert abs(scorer.decayed(stored, now, then) - later_score) <= 1e-9
    assert abs(later_score) <= abs(stored) + 1e-9  # every entry decays by the same factor
