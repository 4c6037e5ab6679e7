"""The demo workspace's default model and MQL rule: canonical files, the worked example of
docs/scoring.md, and how well they agree with the demo's own MQLs."""

from __future__ import annotations

import fnmatch
from datetime import UTC, datetime, timedelta

import pytest

from smarketing.demo import generator
from smarketing.personas.profile import ContactProfile
from smarketing.scoring.defaults import (
    default_model,
    default_model_text,
    default_mql_rule,
    default_mql_rule_text,
)
from smarketing.scoring.domain import LedgerEntry, Scorer, ScoringEvent
from smarketing.scoring.model import dump_model
from smarketing.scoring.qualification import MqlRule, dump_mql_rule, qualify
from smarketing.scoring.records import contacts_from_records

NOW = datetime(2026, 11, 20, 11, 0, tzinfo=UTC)


def test_the_shipped_files_are_canonical() -> None:
    assert dump_model(default_model()) == default_model_text()
    assert dump_mql_rule(default_mql_rule()) == default_mql_rule_text()
    assert len(default_model().fit_rules) + len(default_model().engagement_rules) == 20
    assert default_mql_rule().min_score == generator.MQL_SCORE


def test_the_model_speaks_the_demo_vocabulary() -> None:
    model = default_model()
    personas = {p.key for p in generator.PERSONAS}
    for rule in model.fit_rules:
        assert set(rule.when.personas) <= personas, rule.id
    contents = [c for _, c in generator.HIGH_INTENT] + [
        "Catalogue request", "Trade account request", "Referral form",
        *(c for names in generator.CONTENT.values() for c in names)]  # fmt: skip
    conditions = [r.when for r in model.engagement_rules] + list(default_mql_rule().hand_raises)
    for when in conditions:
        for glob in when.content:
            if glob != "*sales desk*":
                assert any(fnmatch.fnmatch(c.lower(), glob.lower()) for c in contents), glob


def test_the_worked_example_of_the_docs() -> None:
    """docs/scoring.md, "Recomputing a score by hand"."""
    lucia = ContactProfile(email="lucia@cocinas-garcia.es", job_title="Propietaria",
                           country="ES", industry="Kitchen retail", employees=8,
                           persona="kitchen_studio",
                           product_lines=frozenset({"kitchens"}))  # fmt: skip
    site = "https://www.nordwood.example/es/cocinas"
    events = [
        ScoringEvent("a1", "page_view", NOW - timedelta(days=30), "organic_search", url=site),
        ScoringEvent("a2", "content_download", NOW - timedelta(days=15), "email",
                     "newsletter-trade", content="Trade price list – kitchens"),
        ScoringEvent("a3", "form_submit", NOW, "direct", url=f"{site}/contact",
                     content="Quote request"),
    ]  # fmt: skip
    scorer = Scorer(default_model())
    update = scorer.rescore(lucia, events, NOW)
    assert [(e.rule_id, e.activity_id, e.points) for e in update.entries] == [
        ("persona-kitchen-studio", None, 15), ("buyer-role", None, 10),
        ("core-country", None, 5), ("web-visit", "a1", 2), ("price-list", "a2", 15),
        ("content-download", "a2", 8), ("quote-or-sales-contact", "a3", 30)]  # fmt: skip
    values = [round(c.value, 4) for c in scorer.explain(update.entries, NOW).contributions]
    assert values == [15, 10, 5, 1.0, 10.6066, 5.6569, 30]
    assert round(update.score.engagement, 4) == 47.2635
    assert update.score.grade == "B1"
    result = qualify(default_mql_rule(), update.score, events, NOW)
    assert result.reason == ("score 77.2 >= 60; hand-raise quote-or-sales-contact: form_submit "
                             f"{site}/contact 'Quote request'")  # fmt: skip


@pytest.fixture(scope="module")
def demo_contacts() -> list:  # type: ignore[type-arg]
    return list(contacts_from_records(generator.generate(500, 7, NOW)))


def _first_qualified(contact, scorer: Scorer, rule: MqlRule) -> datetime | None:  # type: ignore[no-untyped-def]
    ledger: list[LedgerEntry] = []
    for event in sorted(contact.events, key=lambda e: (e.at, e.id)):
        update = scorer.update(contact.profile, ledger, [event], event.at)
        ledger += update.entries
        if qualify(rule, update.score, [event], event.at).qualified:
            return event.at
    return None


def test_the_default_rule_agrees_with_the_demo_mqls(demo_contacts: list) -> None:  # type: ignore[type-arg]
    """The demo marks a lead MQL after a high-intent touch ("Lead score N >= 60"); replayed
    event by event, the default model and rule should mostly agree."""
    scorer, rule = Scorer(default_model()), default_mql_rule()
    mqls = [c for c in demo_contacts if c.mql_at]
    others = [c for c in demo_contacts if not c.mql_at]
    caught = [c for c in mqls if _first_qualified(c, scorer, rule) is not None]
    extra = [c for c in others if _first_qualified(c, scorer, rule) is not None]
    assert len(mqls) > 50
    assert len(caught) >= 0.8 * len(mqls)
    assert len(extra) <= 0.05 * len(others)
