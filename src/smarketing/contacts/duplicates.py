"""Likely duplicate contacts, as pure logic: plain rows in, scored pairs with evidence out.

The normalized email is unique, so duplicates are the same person under two addresses.
Rules (weights add up, capped at 100):

- same phone in E.164 form (strong, 60);
- same full name at the same company, by company domain or company name (strong, 60);
- similar names (SequenceMatcher ratio >= 0.85 on normalized names) that share the
  initial of the first or of the last name, at the same company domain or the same
  email domain that is not a free-mail domain (medium, 40; not added on top of the
  strong name rule);
- same email local part at different domains, with the same full name (weak, 25).

Names are normalized by lower-casing, stripping accents and punctuation and collapsing
whitespace; name rules need at least two name words. Free-mail domains (gmail.com,
yahoo.*, ...) are never company evidence.

Candidates are compared only inside blocks (same phone, same normalized name, same
organisation domain + initial), so the work grows with the block sizes, not with n².
The "shared initial" condition is part of the similar-name rule so that blocking finds
exactly what comparing every pair would find.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

PHONE_WEIGHT = 60
SAME_NAME_SAME_COMPANY_WEIGHT = 60
SIMILAR_NAME_SAME_DOMAIN_WEIGHT = 40
SAME_LOCAL_PART_WEIGHT = 25
SIMILAR_NAME_THRESHOLD = 0.85
MAX_SCORE = 100

#: Public mailbox providers: sharing one says nothing about working at the same company.
FREE_MAIL_DOMAINS: frozenset[str] = frozenset({
    "gmail.com", "googlemail.com", "hotmail.com", "hotmail.es", "hotmail.it", "hotmail.fr",
    "hotmail.co.uk", "outlook.com", "outlook.es", "outlook.it", "live.com", "live.it",
    "live.com.pt", "msn.com", "icloud.com", "me.com", "mac.com", "aol.com", "protonmail.com",
    "proton.me", "gmx.com", "gmx.net", "gmx.de", "mail.com", "yandex.com", "zoho.com",
    "uol.com.br", "bol.com.br", "terra.com.br", "ig.com.br", "libero.it", "virgilio.it",
    "tiscali.it", "alice.it", "tin.it", "email.it", "sapo.pt", "telefonica.net", "ono.com",
    "web.de", "orange.fr", "wanadoo.fr", "free.fr", "laposte.net",
})  # fmt: skip
#: Providers with a domain per country (yahoo.es, yahoo.com.br, hotmail.co.uk...).
FREE_MAIL_FAMILIES: frozenset[str] = frozenset(
    {"yahoo", "ymail", "hotmail", "outlook", "live", "gmx", "aol", "gmail"}
)


@dataclass(frozen=True, slots=True)
class ContactRow:
    """What duplicate detection needs of one contact (phone in E.164 when it parsed)."""

    id: int
    email: str
    first_name: str | None = None
    last_name: str | None = None
    phone: str | None = None
    company_name: str | None = None
    company_domain: str | None = None

    @property
    def email_domain(self) -> str:
        return self.email.rpartition("@")[2].strip().lower()

    @property
    def email_local_part(self) -> str:
        return self.email.rpartition("@")[0].strip().lower()

    @property
    def display_name(self) -> str:
        return " ".join(p.strip() for p in (self.first_name, self.last_name) if p and p.strip())


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two contacts that are likely the same person; `first` has the lower id."""

    first: ContactRow
    second: ContactRow
    score: int
    evidence: tuple[str, ...]


def is_free_mail(domain: str | None) -> bool:
    if not domain:
        return False
    domain = domain.strip().lower()
    return domain in FREE_MAIL_DOMAINS or domain.split(".", 1)[0] in FREE_MAIL_FAMILIES


def normalize_name(value: str | None) -> str:
    """Lower case, no accents, punctuation as spaces: 'José  Pérez' -> 'jose perez'."""
    if not value:
        return ""
    decomposed = unicodedata.normalize("NFKD", value)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    cleaned = "".join(ch if ch.isalnum() else " " for ch in plain)
    return " ".join(cleaned.split())


def normalize_e164(phone: str | None) -> str | None:
    """The phone as '+' and digits when it is in international form, else None."""
    if not phone:
        return None
    text = phone.strip()
    if not text.startswith("+"):
        return None
    digits = "".join(ch for ch in text if ch.isdigit())
    if not 8 <= len(digits) <= 15:
        return None
    return "+" + digits


@dataclass(frozen=True, slots=True)
class _Prepared:
    row: ContactRow
    name: str  # normalized full name, "" when fewer than two words
    first_initial: str
    last_initial: str
    phone: str | None
    company_domain: str | None  # None when missing or a free-mail domain
    company_name: str
    email_org: str | None  # the email domain unless it is free mail


def _prepare(row: ContactRow) -> _Prepared:
    first, last = normalize_name(row.first_name), normalize_name(row.last_name)
    full = " ".join(p for p in (first, last) if p)
    domain = (row.company_domain or "").strip().lower() or None
    return _Prepared(
        row=row,
        name=full if len(full.split()) >= 2 else "",
        first_initial=first[:1],
        last_initial=last[:1],
        phone=normalize_e164(row.phone),
        company_domain=None if is_free_mail(domain) else domain,
        company_name=normalize_name(row.company_name),
        email_org=None if is_free_mail(row.email_domain) else (row.email_domain or None),
    )


def _same_company(a: _Prepared, b: _Prepared) -> str | None:
    if a.company_domain and a.company_domain == b.company_domain:
        return a.company_domain
    if a.company_name and a.company_name == b.company_name:
        return (a.row.company_name or "").strip()
    return None


def _shared_org(a: _Prepared, b: _Prepared) -> str | None:
    if a.company_domain and a.company_domain == b.company_domain:
        return f"both work at {a.company_domain}"
    if a.email_org and a.email_org == b.email_org:
        return f"both use the email domain {a.email_org}"
    return None


def _share_initial(a: _Prepared, b: _Prepared) -> bool:
    return bool(
        (a.first_initial and a.first_initial == b.first_initial)
        or (a.last_initial and a.last_initial == b.last_initial)
    )


def _similarity(a: str, b: str) -> float:
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    # The quick ratios are upper bounds of ratio(): skip the exact one when they are too low.
    if matcher.real_quick_ratio() < SIMILAR_NAME_THRESHOLD:
        return 0.0
    if matcher.quick_ratio() < SIMILAR_NAME_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _score(a: _Prepared, b: _Prepared) -> tuple[int, tuple[str, ...]]:
    score = 0
    evidence: list[str] = []
    if a.phone and a.phone == b.phone:
        score += PHONE_WEIGHT
        evidence.append(f"same phone {a.phone}")
    company = _same_company(a, b) if a.name and a.name == b.name else None
    if company:
        score += SAME_NAME_SAME_COMPANY_WEIGHT
        evidence.append(f"same name '{a.row.display_name}' at the same company {company}")
    elif a.name and b.name and _share_initial(a, b):
        org = _shared_org(a, b)
        if org:
            ratio = _similarity(a.name, b.name)
            if ratio >= SIMILAR_NAME_THRESHOLD:
                score += SIMILAR_NAME_SAME_DOMAIN_WEIGHT
                evidence.append(
                    f"names '{a.row.display_name}' and '{b.row.display_name}' match at "
                    f"{ratio:.2f} and {org}"
                )
    local_a, local_b = a.row.email_local_part, b.row.email_local_part
    if (a.name and a.name == b.name and local_a and local_a == local_b
            and a.row.email_domain != b.row.email_domain):  # fmt: skip
        score += SAME_LOCAL_PART_WEIGHT
        evidence.append(
            f"same email name '{local_a}' at {a.row.email_domain} and {b.row.email_domain}, "
            f"and the same name '{a.row.display_name}'"
        )
    return min(score, MAX_SCORE), tuple(evidence)


def score_pair(a: ContactRow, b: ContactRow) -> tuple[int, tuple[str, ...]]:
    """Score (0..100) and evidence that `a` and `b` are the same person."""
    first, second = sorted((a, b), key=lambda row: row.id)
    return _score(_prepare(first), _prepare(second))


def _blocking_keys(p: _Prepared) -> Iterator[tuple[str, ...]]:
    if p.phone:
        yield ("phone", p.phone)
    if p.name:
        yield ("name", p.name)
        for org in {p.company_domain, p.email_org} - {None}:
            assert org is not None  # noqa: S101 - narrowed for mypy
            if p.first_initial:
                yield ("org-first", org, p.first_initial)
            if p.last_initial:
                yield ("org-last", org, p.last_initial)


def find_duplicates(rows: Iterable[ContactRow], min_score: int = 1) -> list[DuplicatePair]:
    """Every pair scoring at least `min_score`, each unordered pair once, best first.

    Ties are ordered by the pair's ids, so the result is deterministic.
    """
    blocks: dict[tuple[str, ...], list[_Prepared]] = defaultdict(list)
    for row in rows:
        prepared = _prepare(row)
        for key in _blocking_keys(prepared):
            blocks[key].append(prepared)
    seen: set[tuple[int, int]] = set()
    pairs: list[DuplicatePair] = []
    for members in blocks.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda p: p.row.id)
        for a, b in combinations(members, 2):
            ids = (a.row.id, b.row.id)
            if a.row.id == b.row.id or ids in seen:
                continue
            seen.add(ids)
            score, evidence = _score(a, b)
            if score >= max(min_score, 1):
                pairs.append(DuplicatePair(a.row, b.row, score, evidence))
    pairs.sort(key=lambda pair: (-pair.score, pair.first.id, pair.second.id))
    return pairs


def find_duplicates_all_pairs(rows: Iterable[ContactRow], min_score: int = 1) -> (
    list[DuplicatePair]
):
    """The slow, obviously correct oracle: compare every pair (tests only)."""
    ordered = sorted(rows, key=lambda row: row.id)
    pairs = []
    for a, b in combinations(ordered, 2):
        if a.id == b.id:
            continue
        score, evidence = score_pair(a, b)
        if score >= max(min_score, 1):
            pairs.append(DuplicatePair(a, b, score, evidence))
    pairs.sort(key=lambda pair: (-pair.score, pair.first.id, pair.second.id))
    return pairs
