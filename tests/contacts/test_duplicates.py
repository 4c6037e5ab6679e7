"""Duplicate scoring: golden cases, and blocking against the all-pairs oracle."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smarketing.contacts.duplicates import (
    ContactRow,
    find_duplicates,
    find_duplicates_all_pairs,
    is_free_mail,
    normalize_e164,
    normalize_name,
    score_pair,
)


def row(id: int, email: str, first: str | None = None, last: str | None = None, *,  # noqa: A002
        phone: str | None = None, company: str | None = None,
        domain: str | None = None) -> ContactRow:  # fmt: skip
    return ContactRow(id, email, first, last, phone, company, domain)


CASES = [
    pytest.param(
        row(1, "a@x.es", phone="+34612345678"), row(2, "b@y.es", phone="+34 612-345-678"),
        60, ["same phone +34612345678"], id="phone formats",
    ),
    pytest.param(
        row(1, "a@x.es", phone="612345678"), row(2, "b@y.es", phone="612345678"),
        0, [], id="unparsed local phones are not compared",
    ),
    pytest.param(
        row(1, "jose@gmail.com", "José", "Pérez", company="Cocinas López",
            domain="cocinas-lopez.es"),
        row(2, "jperez@hotmail.com", "JOSE", "PEREZ", domain="cocinas-lopez.es"),
        60, ["same name 'José Pérez' at the same company cocinas-lopez.es"],
        id="accents and case, same company domain",
    ),
    pytest.param(
        row(1, "a@one.es", "Luis", "López", company="Cocinas López"),
        row(2, "b@two.es", "luis", "lopez", company="COCINAS  LOPEZ"),
        60, ["same name 'Luis López' at the same company Cocinas López"],
        id="same company by name",
    ),
    pytest.param(
        row(1, "jose.perez@cocinas-lopez.es", "José", "Pérez"),
        row(2, "jperez@cocinas-lopez.es", "Jose", "Perezz"),
        40, ["names 'José Pérez' and 'Jose Perezz' match at 0.95 and both use the email "
             "domain cocinas-lopez.es"],
        id="similar names, same company email domain",
    ),
    pytest.param(
        row(1, "jose.perez@gmail.com", "José", "Pérez"),
        row(2, "jperez@gmail.com", "Jose", "Perezz"),
        0, [], id="free mail is not company evidence",
    ),
    pytest.param(
        row(1, "jose.perez@yahoo.com.br", "José", "Pérez", domain="yahoo.com.br"),
        row(2, "jperez@yahoo.com.br", "Jose", "Perezz", domain="yahoo.com.br"),
        0, [], id="free-mail family as company domain",
    ),
    pytest.param(
        row(1, "ana@a.es", "Ana", "Ruiz", domain="a.es"),
        row(2, "bea@a.es", "Bea", "Gil", domain="a.es"),
        0, [], id="colleagues are not duplicates",
    ),
    pytest.param(
        row(1, "mrossi@gmail.com", "Marco", "Rossi"),
        row(2, "mrossi@libero.it", "Marco", "Rossi"),
        25, ["same email name 'mrossi' at gmail.com and libero.it, and the same name "
             "'Marco Rossi'"],
        id="same local part, same name",
    ),
    pytest.param(
        row(1, "mrossi@gmail.com", "Marco", "Rossi"),
        row(2, "mrossi@libero.it", "Mario", "Bianchi"),
        0, [], id="same local part, other name",
    ),
    pytest.param(
        row(1, "luis@cocinas-lopez.es", "Luis", "López", phone="+34612345678",
            domain="cocinas-lopez.es"),
        row(2, "l.lopez@cocinas-lopez.es", "Luis", "Lopez", phone="+34612345678",
            domain="cocinas-lopez.es"),
        100, ["same phone +34612345678",
              "same name 'Luis López' at the same company cocinas-lopez.es"],
        id="capped at 100",
    ),
    pytest.param(
        row(1, "luis@a.es", "Luis", None, domain="a.es"),
        row(2, "luis2@a.es", "Luis", None, domain="a.es"),
        0, [], id="a first name alone is not enough",
    ),
]


@pytest.mark.parametrize(("a", "b", "score", "evidence"), CASES)
def test_score_pair(a: ContactRow, b: ContactRow, score: int, evidence: list[str]) -> None:
    assert score_pair(a, b) == (score, tuple(evidence))
    assert score_pair(b, a) == (score, tuple(evidence))


@pytest.mark.parametrize(("value", "expected"), [
    ("  José   María Pérez-Gómez ", "jose maria perez gomez"),
    ("ÀNGELA", "angela"),
    (None, ""),
])  # fmt: skip
def test_normalize_name(value: str | None, expected: str) -> None:
    assert normalize_name(value) == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("+34 612 345 678", "+34612345678"), ("612345678", None), ("+1", None), (None, None),
])  # fmt: skip
def test_normalize_e164(value: str | None, expected: str | None) -> None:
    assert normalize_e164(value) == expected


@pytest.mark.parametrize(("domain", "free"), [
    ("gmail.com", True), ("yahoo.es", True), ("yahoo.com.br", True), ("uol.com.br", True),
    ("libero.it", True), ("hotmail.co.uk", True), ("cocinas-lopez.es", False), (None, False),
])  # fmt: skip
def test_free_mail(domain: str | None, free: bool) -> None:
    assert is_free_mail(domain) is free


def test_pairs_sorted_by_score_then_ids() -> None:
    rows = [
        row(5, "mrossi@gmail.com", "Marco", "Rossi"),
        row(3, "mrossi@libero.it", "Marco", "Rossi"),
        row(1, "a@x.es", phone="+34612345678"),
        row(2, "b@y.es", phone="+34612345678"),
    ]
    pairs = find_duplicates(rows)
    assert [(p.first.id, p.second.id, p.score) for p in pairs] == [(1, 2, 60), (3, 5, 25)]
    assert find_duplicates(rows, min_score=30) == pairs[:1]


FIRST = ["José", "Jose", "Luis", "Lúis", "Ana", "Anna", "Marco"]
LAST = ["Pérez", "Perez", "Perezz", "López", "Rossi", None]
LOCAL = ["jp", "luis", "ana", "mrossi"]
DOMAINS = ["gmail.com", "a.es", "b.it", "yahoo.es"]
PHONES = ["+34612345678", "+34 612 345 678", "+39061234567", "612345678", None]
COMPANIES = [("Cocinas López", "a.es"), ("COCINAS LOPEZ", None), (None, "b.it"),
             (None, "gmail.com"), (None, None)]  # fmt: skip


@st.composite
def contact_rows(draw: st.DrawFn) -> list[ContactRow]:
    count = draw(st.integers(0, 12))
    rows = []
    for contact_id in draw(st.permutations(range(1, 40)))[:count]:
        company, domain = draw(st.sampled_from(COMPANIES))
        rows.append(row(
            contact_id, f"{draw(st.sampled_from(LOCAL))}@{draw(st.sampled_from(DOMAINS))}",
            draw(st.sampled_from(FIRST)), draw(st.sampled_from(LAST)),
            phone=draw(st.sampled_from(PHONES)), company=company, domain=domain,
        ))  # fmt: skip
    return rows


@settings(max_examples=300, deadline=None)
@given(contact_rows(), st.integers(1, 100))
def test_blocking_finds_what_all_pairs_finds(rows: list[ContactRow], min_score: int) -> None:
    pairs = find_duplicates(rows, min_score)
    assert pairs == find_duplicates_all_pairs(rows, min_score)
    unordered = [frozenset((p.first.id, p.second.id)) for p in pairs]
    assert len(unordered) == len(set(unordered))
    assert all(p.first.id < p.second.id for p in pairs)
    assert all(min_score <= p.score <= 100 for p in pairs)
    assert pairs == find_duplicates(list(reversed(rows)), min_score)
