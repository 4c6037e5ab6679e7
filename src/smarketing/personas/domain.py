"""Personas as pure logic: the criteria document, its validation, and matching a contact.

A persona's `criteria` (the `personas.criteria` column, the interchange `persona`
record's `criteria`) is a JSON object; every key is optional:

    {"job_titles": ["propietari*", "gerente", "diseñador* de cocinas", "titolare"],
     "employees": {"min": 2, "max": 25},
     "industries": ["Kitchen retail"],
     "countries": ["ES", "PT", "IT"],
     "product_lines": ["kitchens"],
     "properties": [{"property": "preferred_language", "op": "one_of",
                     "value": ["es", "pt"]}],
     "min_matched": 2}

`industry` (one string) is the older spelling of `industries` that the demo writes; it
reads as `industries: [industry]`. See smarketing.personas.profile for how each
criterion compares.

Matching a contact against the personas, in the order given:

- each criterion is matched, missed (the contact has the data and it does not fit) or
  unknown (the contact lacks the data: no job title, no company size...);
- a persona is a candidate when none of its criteria is missed and at least
  `min_matched` (default 1) are matched; a persona without criteria is never matched
  (it is assigned by hand);
- a candidate's score is its number of matched criteria; the best candidate wins, and
  a tie goes to the persona that comes first in the list.

The result names the persona (or none), the criteria that matched, and how it was
chosen, in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from smarketing.personas.profile import Check, ContactProfile, ProfileCriteria, parse_document


class PersonaCriteria(ProfileCriteria):
    """A persona's criteria document."""

    industry: Annotated[str, Field(min_length=1)] | None = None  # older spelling
    min_matched: Annotated[int, Field(ge=1)] = 1

    def checks(self, profile: ContactProfile) -> list[Check]:
        if self.industry is None:
            return super().checks(profile)
        merged = self.model_copy(update={"industries": (*self.industries, self.industry),
                                         "industry": None})  # fmt: skip
        return merged.checks(profile)

    @property
    def is_empty(self) -> bool:
        return not (self.job_titles or self.employees or self.industries or self.industry
                    or self.countries or self.product_lines or self.properties)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PersonaDefinition:
    key: str
    name: str
    criteria: PersonaCriteria


@dataclass(frozen=True, slots=True)
class PersonaResult:
    """One persona checked on one contact."""

    key: str
    name: str
    checks: tuple[Check, ...]
    min_matched: int

    @property
    def matched(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.outcome == "matched")

    @property
    def missed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.outcome == "missed")

    @property
    def score(self) -> int:
        return len(self.matched)

    @property
    def eligible(self) -> bool:
        return not self.missed and self.score >= self.min_matched


@dataclass(frozen=True, slots=True)
class PersonaMatch:
    """The best persona (None: none matched), the reason in words, and every result."""

    persona: str | None
    reason: str
    results: tuple[PersonaResult, ...]


def parse_criteria(data: Mapping[str, Any] | None, where: str = "criteria") -> PersonaCriteria:
    """Validate a criteria object (None: no criteria). A ValidationError names the path
    under `where`: 'criteria.employees.min: Input should be a valid integer'."""
    if data is None:
        return PersonaCriteria()
    return parse_document(PersonaCriteria, data, where)


def evaluate(persona: PersonaDefinition, profile: ContactProfile) -> PersonaResult:
    checks = () if persona.criteria.is_empty else tuple(persona.criteria.checks(profile))
    return PersonaResult(persona.key, persona.name, checks, persona.criteria.min_matched)


def match_persona(personas: Sequence[PersonaDefinition], profile: ContactProfile) -> PersonaMatch:
    """The contact's best persona among `personas` (in their order), or None."""
    results = tuple(evaluate(p, profile) for p in personas)
    candidates = [r for r in results if r.eligible]
    if not candidates:
        return PersonaMatch(None, _no_match_reason(results), results)
    best = max(candidates, key=lambda r: r.score)  # max keeps the first of equals
    return PersonaMatch(best.key, _match_reason(best, candidates), results)


def _match_reason(best: PersonaResult, candidates: list[PersonaResult]) -> str:
    facts = "; ".join(c.fact for c in best.matched)
    text = f"{best.key}: {_count(best.score)} matched ({facts})"
    others = [c for c in candidates if c is not best]
    if not others:
        return text + "; the only persona that fits"
    tied = [c.key for c in others if c.score == best.score]
    if tied:
        return text + f"; tied with {', '.join(tied)}, chosen as first in the persona list"
    beaten = ", ".join(f"{c.key} ({c.score})" for c in others)
    return text + f"; more criteria matched than {beaten}"


def _no_match_reason(results: tuple[PersonaResult, ...]) -> str:
    if not results:
        return "no persona is defined"
    parts = [f"{r.key}: {_why_not(r)}" for r in results]
    return "no persona fits: " + "; ".join(parts)


def _why_not(result: PersonaResult) -> str:
    if not result.checks:
        return "no criteria (assigned by hand)"
    if result.missed:
        return ", ".join(c.fact for c in result.missed)
    return f"{_count(result.score)} matched, needs {result.min_matched}"


def _count(n: int) -> str:
    return f"{n} criterion" if n == 1 else f"{n} criteria"
