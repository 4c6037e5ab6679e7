"""Job-title keywords, property conditions and criteria validation (pure)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.core.errors import ValidationError
from smarketing.personas.domain import parse_criteria
from smarketing.personas.profile import ContactProfile, first_keyword, parse_keyword, title_words

KEYWORDS = [
    # title, keyword, found?
    ("Diseñadora de Cocinas", "diseñador* de cocinas", True),
    ("DISEÑADOR DE COCINAS", "disenador de cocinas", True),
    ("Diseñador de baños", "diseñador* de cocinas", False),
    ("Jefa de compras", "jefe de compras", False),  # no '*': the whole word must match
    ("Jefa de compras", "jef* de compras", True),
    ("Architetto d’interni", "architetto d'interni", True),  # curly vs straight apostrophe
    ("Responsabile Acquisti, Gruppo Alberghiero", "responsabile acquisti", True),
    ("Sócia-gerente", "gerente", True),  # punctuation separates words
    ("Sócia-gerente", "socia gerente", True),
    ("Gerente de loja", "gerente de loja", True),
    ("Arquiteta de interiores", "arquitet* de interiores", True),
    ("Arquiteta de interiores", "arquiteto", False),
    ("Diretora Comercial", "diretor*", True),
    ("Subdirector", "director", False),  # whole words only, not inside a word
    ("Titolare", "proprietari*", False),
    ("Proprietário", "proprietario", True),
]


@pytest.mark.parametrize(("title", "keyword", "found"), KEYWORDS)
def test_keyword_in_title(title: str, keyword: str, found: bool) -> None:
    assert (first_keyword((keyword,), title) == keyword) is found
    assert parse_keyword(keyword).found_in(title_words(title)) is found


def test_first_keyword_leftmost_then_in_list_order() -> None:
    keywords = ("titolare", "showroom", "responsabile*", "responsabile showroom")
    assert first_keyword(keywords, "Responsabile showroom") == "responsabile*"
    assert first_keyword(keywords, "Showroom, titolare") == "showroom"
    assert first_keyword(keywords, "Commessa") is None


WORDS = st.sampled_from(["de", "cocinas", "disenador", "diseñadora", "jefe", "jefa", "compras",
                         "d'interni", "Sócio-gerente", "gerente", "a", "ab", "abc"])
KEYWORD_WORDS = st.sampled_from(["de", "cocinas", "diseñador*", "jef*", "compras", "d", "gerente",
                                 "socio", "a*", "ab", "*"])


@given(st.lists(WORDS, max_size=6).map(" ".join),
       st.lists(st.lists(KEYWORD_WORDS, min_size=1, max_size=3).map(" ".join), min_size=1,
                max_size=4))  # fmt: skip
def test_the_keyword_regex_agrees_with_word_by_word_matching(title: str,
                                                             keywords: list[str]) -> None:
    keywords = [k for k in keywords if k.strip("* ")]
    words = title_words(title)
    expected = [k for k in keywords if parse_keyword(k).found_in(words)]
    found = first_keyword(tuple(keywords), title)
    assert (found is None) == (not expected)
    assert found is None or found in expected


@given(st.text(min_size=1, max_size=30))
def test_a_title_always_contains_itself(title: str) -> None:
    if title_words(title):
        assert parse_keyword(title).found_in(title_words(title))
        assert parse_keyword(title.upper()).found_in(title_words(title.lower()))


PROFILE = ContactProfile(
    email="Ana@Hoteis-Douro.pt", job_title="Diretora de compras", country="PT",
    industry="Hospitality", employees=420, persona="hotel_procurement",
    product_lines=frozenset({"hospitality"}),
    properties={"city": "Lisboa", "rooms": "120", "tags": ["Spa", "Golf"], "vip": True,
                "empty": ""},
)  # fmt: skip

CONDITIONS = [
    # property, op, value, outcome
    ("city", "equals", "LISBOA", "matched"),
    ("city", "equals", "Porto", "missed"),
    ("city", "one_of", ["Porto", "lisboa"], "matched"),
    ("city", "contains", "isb", "matched"),
    ("tags", "contains", "spa", "matched"),  # a list contains an equal item
    ("tags", "equals", "Golf", "matched"),  # a list equals when one item does
    ("tags", "one_of", ["Tennis"], "missed"),
    ("rooms", "gte", 120, "matched"),  # numeric string on the contact's side
    ("rooms", "gt", 120, "missed"),
    ("rooms", "lt", 200.5, "matched"),
    ("city", "gt", 3, "missed"),  # not a number: present, but does not hold
    ("employees", "lte", 420, "matched"),  # a profile field
    ("email_domain", "equals", "hoteis-douro.pt", "matched"),
    ("product_lines", "contains", "hospitality", "matched"),
    ("vip", "equals", True, "matched"),
    ("vip", "equals", "true", "missed"),  # booleans compare exactly
    ("vip", "exists", None, "matched"),
    ("missing", "exists", None, "missed"),
    ("missing", "exists", False, "matched"),
    ("empty", "exists", False, "matched"),  # "" is absent
    ("missing", "equals", "x", "unknown"),
    ("missing", "gt", 1, "unknown"),
]


@pytest.mark.parametrize(("prop", "op", "value", "outcome"), CONDITIONS)
def test_property_conditions(prop: str, op: str, value: Any, outcome: str) -> None:
    condition: dict[str, Any] = {"property": prop, "op": op}
    if value is not None:
        condition["value"] = value
    criteria = parse_criteria({"properties": [condition]})
    (check,) = criteria.checks(PROFILE)
    assert check.outcome == outcome, check.fact


def test_criteria_checks_each_field() -> None:
    criteria = parse_criteria({
        "job_titles": ["diretor*"], "employees": {"min": 80}, "industries": ["hospitality"],
        "countries": ["pt", "ES"], "product_lines": ["kitchens"],
    })  # fmt: skip
    outcomes = {c.criterion: c.outcome for c in criteria.checks(PROFILE)}
    assert outcomes == {"job title": "matched", "company size": "matched", "industry": "matched",
                        "country": "matched", "product interest": "missed"}  # fmt: skip
    assert criteria.countries == ("PT", "ES")
    unknown = {c.criterion: c.outcome for c in criteria.checks(ContactProfile())}
    assert set(unknown.values()) == {"unknown"}


BAD = [
    ({"employees": {"min": "ten"}}, "criteria.employees.min: Input should be a valid integer"),
    ({"employees": {"min": 50, "max": 10}}, "criteria.employees: min (50) is above max (10)"),
    ({"employees": {}}, "criteria.employees: give min, max or both"),
    ({"countries": ["SP"]}, "criteria.countries: 'SP' is not an ISO 3166 alpha-2"),
    ({"countries": ["ESP"]}, "criteria.countries: 'ESP' is not an ISO 3166 alpha-2"),
    ({"job_titles": ["ok", "***"]}, "criteria.job_titles: keyword '***' has no letters"),
    ({"job_titles": "gerente", "industry": 3}, "criteria.industry: Input should be a valid string"),
    ({"properties": [{"property": "x", "op": "gt", "value": "a"}]},
     "criteria.properties[0]: gt: value must be a number, got 'a'"),
    ({"properties": [{"property": "x", "op": "one_of", "value": []}]},
     "criteria.properties[0]: one_of: value must be a non-empty array"),
    ({"properties": [{"property": "x", "op": "like"}]},
     "criteria.properties[0].op: Input should be"),
    ({"job_title": ["gerente"]}, "criteria.job_title: unknown key (a typo?)"),
    ({"min_matched": 0}, "criteria.min_matched: Input should be greater than or equal to 1"),
]  # fmt: skip


@pytest.mark.parametrize(("data", "message"), BAD)
def test_validation_names_the_path(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_criteria(data)
    assert message in str(caught.value)


def test_criteria_must_be_an_object() -> None:
    with pytest.raises(ValidationError, match="persona x.criteria: must be a JSON object, got an"):
        parse_criteria(["gerente"], "persona x.criteria")  # type: ignore[arg-type]


def test_a_lone_string_reads_as_a_list() -> None:
    assert parse_criteria({"job_titles": "gerente"}).job_titles == ("gerente",)


CRITERIA = st.fixed_dictionaries({}, optional={
    "job_titles": st.lists(st.sampled_from(["gerente", "diretor*", "socio gerente", "titolare"]),
                           min_size=1, max_size=3),
    "employees": st.sampled_from([{"min": 10}, {"max": 50}, {"min": 5, "max": 500}]),
    "industries": st.lists(st.sampled_from(["Hospitality", "kitchen retail"]), min_size=1),
    "countries": st.lists(st.sampled_from(["ES", "pt", "IT"]), min_size=1, max_size=2),
    "product_lines": st.lists(st.sampled_from(["kitchens", "office"]), min_size=1),
    "properties": st.lists(st.sampled_from([
        {"property": "city", "op": "equals", "value": "Lisboa"},
        {"property": "rooms", "op": "gt", "value": 100},
        {"property": "vip", "op": "exists"}]), max_size=2),
})  # fmt: skip
PROFILES = st.builds(
    ContactProfile,
    job_title=st.sampled_from([None, "", "Gerente", "Sócio-gerente", "Diretora geral", "Chef"]),
    country=st.sampled_from([None, "ES", "pt", "FR"]),
    industry=st.sampled_from([None, "Kitchen Retail", "Hospitality", "Banking"]),
    employees=st.sampled_from([None, 3, 40, 900]),
    product_lines=st.sampled_from([frozenset(), frozenset({"kitchens"}), frozenset({"hotel"})]),
    properties=st.sampled_from([{}, {"city": "lisboa", "rooms": 120, "vip": True},
                                {"city": "Porto", "rooms": "80"}]),
)  # fmt: skip


@given(CRITERIA, PROFILES)
def test_holds_says_what_the_checks_say(data: dict[str, Any], profile: ContactProfile) -> None:
    criteria = parse_criteria(data)
    assert criteria.holds(profile) == all(c.outcome == "matched" for c in criteria.checks(profile))
