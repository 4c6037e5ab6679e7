"""Matching contacts to personas: golden cases in Spanish, Portuguese and Italian, the
tie-break, and the criteria the demo stores today."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from smarketing.demo.generator import generate
from smarketing.personas.domain import PersonaDefinition, match_persona, parse_criteria
from smarketing.personas.profile import ContactProfile
from smarketing.scoring.records import contacts_from_records


def persona(key: str, **criteria: Any) -> PersonaDefinition:
    return PersonaDefinition(key, key.replace("_", " "), parse_criteria(criteria))


PERSONAS = [
    persona("kitchen_studio", job_titles=["propietari*", "proprietari*", "titolare", "gerente",
                                          "diseñador* de cocinas", "progettista cucine"],
            industries=["Kitchen retail"], employees={"max": 25}, product_lines=["kitchens"]),
    persona("interior_architect", job_titles=["interiorista", "arquitect* de interiores",
                                              "arquitet* de interiores", "architett* d'interni"],
            industries=["Architecture & interior design"]),
    persona("hotel_procurement", job_titles=["director* de compras", "diretor* de compras",
                                             "responsabile acquisti", "procurement"],
            industries=["Hospitality"], employees={"min": 80}),
    persona("facility_manager", job_titles=["facility manager", "servicios generales",
                                            "servizi generali", "servicos gerais"],
            employees={"min": 40}),
]  # fmt: skip

GOLDEN = [
    # job title, industry, employees, product lines, expected persona, words in the reason
    ("Propietaria", "Kitchen retail", 6, {"kitchens"}, "kitchen_studio",
     ["4 criteria matched", "'Propietaria' has 'propietari*'", "the only persona"]),
    ("Diseñadora de cocinas", None, None, set(), "kitchen_studio", ["1 criterion matched"]),
    ("Titolare", "Kitchen retail", 40, {"kitchens"}, None,
     ["kitchen_studio: 40 employees, wanted <= 25"]),
    ("Progettista Cucine", "kitchen retail", 12, {"kitchens"}, "kitchen_studio", []),
    ("Arquiteta de interiores", "Architecture & interior design", 3, set(),
     "interior_architect", ["2 criteria matched"]),
    ("Architetta d’interni", None, None, set(), "interior_architect", []),
    ("Diretora de Compras", "Hospitality", 900, set(), "hotel_procurement", []),
    ("Responsabile acquisti", "Hospitality", 30, set(), None,
     ["30 employees, wanted >= 80"]),
    ("Responsable de Servicios Generales", "Professional services", 300, set(),
     "facility_manager", ["2 criteria matched"]),
    ("Responsável de serviços gerais", None, 55, set(), "facility_manager", []),
    ("Cuoco", "Hospitality", 900, set(), None, ["hotel_procurement: job title 'Cuoco' has none"]),
    (None, None, None, set(), None, ["no persona fits", "0 criteria matched, needs 1"]),
]  # fmt: skip


@pytest.mark.parametrize(("title", "industry", "employees", "lines", "expected", "words"), GOLDEN)
def test_golden_matches(title: str | None, industry: str | None, employees: int | None,
                        lines: set[str], expected: str | None, words: list[str]) -> None:
    profile = ContactProfile(job_title=title, industry=industry, employees=employees,
                             product_lines=frozenset(lines))  # fmt: skip
    match = match_persona(PERSONAS, profile)
    assert match.persona == expected, match.reason
    for word in words:
        assert word in match.reason


def test_more_criteria_matched_wins_over_list_order() -> None:
    # 'Gerente' fits kitchen_studio by title only; the facility manager persona below it
    # matches title and size, so it wins although it comes later.
    personas = [persona("kitchen_studio", job_titles=["gerente"]),
                persona("facility_manager", job_titles=["gerente"], employees={"min": 40})]
    match = match_persona(personas, ContactProfile(job_title="Gerente", employees=120))
    assert match.persona == "facility_manager"
    assert "more criteria matched than kitchen_studio (1)" in match.reason


def test_a_tie_goes_to_the_first_persona() -> None:
    personas = [persona("b_first", job_titles=["gerente"]),
                persona("a_second", job_titles=["gerente"])]
    match = match_persona(personas, ContactProfile(job_title="Gerente"))
    assert match.persona == "b_first"
    assert "tied with a_second, chosen as first in the persona list" in match.reason
    assert match_persona(personas[::-1], ContactProfile(job_title="Gerente")).persona == "a_second"


def test_min_matched_and_unknown_data() -> None:
    strict = [persona("hotel", job_titles=["procurement"], industries=["Hospitality"],
                      min_matched=2)]  # fmt: skip
    title_only = ContactProfile(job_title="Procurement Manager")
    assert match_persona(strict, title_only).persona is None
    assert "1 criterion matched, needs 2" in match_persona(strict, title_only).reason
    both = ContactProfile(job_title="Procurement Manager", industry="Hospitality")
    assert match_persona(strict, both).persona == "hotel"


def test_property_and_country_criteria() -> None:
    personas = [persona("iberian_architect", countries=["ES", "PT"],
                        properties=[{"property": "preferred_language", "op": "one_of",
                                     "value": ["es", "pt"]}])]  # fmt: skip
    lisbon = ContactProfile(country="pt", properties={"preferred_language": "pt"})
    assert match_persona(personas, lisbon).persona == "iberian_architect"
    milan = ContactProfile(country="IT", properties={"preferred_language": "it"})
    assert match_persona(personas, milan).persona is None


def test_a_persona_without_criteria_is_never_matched() -> None:
    match = match_persona([persona("by_hand")], ContactProfile(job_title="CEO"))
    assert match.persona is None
    assert "by_hand: no criteria (assigned by hand)" in match.reason


def test_the_demo_criteria_match_the_demo_personas() -> None:
    """The criteria the demo stores ({industry, job_titles, product_lines}) still work: every
    demo contact, with its persona key removed, is matched back to it."""
    records = list(generate(400, 3, datetime(2026, 11, 20, tzinfo=UTC)))
    given = {r["email"]: r["persona"] for r in records if r["type"] == "contact"}
    for r in records:
        if r["type"] == "contact":
            r.pop("persona")
    contacts = list(contacts_from_records(records))
    assert len(contacts) == 400
    wrong = [(c.email, c.profile.persona) for c in contacts if c.profile.persona != given[c.email]]
    assert wrong == []
