"""Lead scoring as pure logic: a ledger of points, decayed engagement, grades, explanations.

A `Scorer` is a compiled `ScoringModel`. It turns a contact's profile and activities into
ledger entries and reads a score off a ledger at any instant `now`:

- Fit: each fit rule whose conditions all match the profile gives its points, once.
  A fit entry is written when a rule starts or stops matching (+points, or -points to
  take them back), dated at the `now` it was noticed; fit points do not decay.
- Engagement: each activity gives the points of every engagement rule it matches
  (rules add up; none is exclusive). Caps bound the magnitude of a rule's points per
  calendar day in the model's timezone (`cap_per_day`) and over all time
  (`cap_total`): an activity beyond a cap counts what is left of it, maybe 0 (the entry
  is still written, with a note, so the explanation shows it). Activities take their
  share of a cap in order of (instant, activity id).
- Decay: at `now`, an engagement entry counts `points * 2 ** (-age / half_life)` with
  age = now - the activity's instant (no decay when the model has no half-life).
  Entries dated after `now` do not count yet, so a ledger also answers "what was the
  score on 1 October?".
- Score: total = fit + engagement; the grade is the fit letter (A-D) and the engagement
  digit (1-4) from the model's thresholds, e.g. "B2".

Incremental: `update` takes the ledger so far and new activities and returns only the
new entries. Activities already in the ledger are skipped, so a replay changes nothing.
An activity that arrives late (dated before activities of a capped rule already scored)
re-shares that rule's caps: the entries it displaces get correction entries (their
activity and instant, the difference in points). `rescore` is `update` from an empty
ledger: it writes one entry per (activity, rule) in (instant, id, rule) order, and
scoring in order gives exactly that ledger. Per (rule, activity) the net points are the
same however the activities arrived.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from zoneinfo import ZoneInfo

from smarketing.contacts.duplicates import is_free_mail
from smarketing.core.errors import ValidationError
from smarketing.personas.profile import ContactProfile
from smarketing.records.schema import ACTIVITY_KINDS
from smarketing.scoring.model import (
    ENGAGEMENT_GRADES,
    FIT_GRADES,
    EmailDomains,
    EngagementConditions,
    EngagementRule,
    FitConditions,
    FitRule,
    ScoringModel,
)

DAY_SECONDS = 86400.0

# ---------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class ScoringEvent:
    """An activity as scoring sees it. `channel` is the activity's own channel, else its
    campaign's; `campaign` is the campaign's key."""

    id: str
    kind: str
    at: datetime
    channel: str | None = None
    campaign: str | None = None
    url: str | None = None
    content: str | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One change of a score: a fit entry (no activity; `fact` says what matched) or an
    engagement entry (the activity that earned it). `points` are raw, before decay."""

    rule_id: str
    points: int
    at: datetime
    activity_id: str | None = None
    fact: str = ""
    note: str = ""

    @property
    def is_fit(self) -> bool:
        return self.activity_id is None


@dataclass(frozen=True, slots=True)
class Score:
    fit: float
    engagement: float
    grade: str

    @property
    def total(self) -> float:
        return self.fit + self.engagement


@dataclass(frozen=True, slots=True)
class ScoreUpdate:
    """The entries to append to the ledger, and the score at `now` with them."""

    entries: tuple[LedgerEntry, ...]
    score: Score


@dataclass(frozen=True, slots=True)
class Contribution:
    """What one ledger entry counts at `now` (`value`: after decay)."""

    entry: LedgerEntry
    value: float
    rule: str  # the rule's description, else its id

    def line(self, now: datetime) -> str:
        entry = self.entry
        if entry.is_fit:
            return f"{entry.points:+d} fit: {self.rule} ({entry.fact})"
        age = (now - entry.at).total_seconds() / DAY_SECONDS
        note = f"; {entry.note}" if entry.note else ""
        return (f"{entry.points:+d} -> {self.value:.2f} engagement: {self.rule} "
                f"(activity {entry.activity_id}, {age:.1f} days ago{note})")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a score is what it is: every counted entry and its value at `now`."""

    now: datetime
    score: Score
    contributions: tuple[Contribution, ...]

    def lines(self) -> list[str]:
        s = self.score
        head = (f"score {format_points(s.total)} = fit {format_points(s.fit)} + engagement "
                f"{format_points(s.engagement)}, grade {s.grade}")  # fmt: skip
        return [head] + [c.line(self.now) for c in self.contributions]


def format_points(value: float) -> str:
    """A score for people: rounded down to one decimal (so 59.96 never reads as 60),
    without a trailing '.0'."""
    shown = Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_FLOOR)
    return str(shown.to_integral_value()) if shown == shown.to_integral_value() else str(shown)


# ---------------------------------------------------------------------------- grades


def grade(fit: float, engagement: float, model: ScoringModel) -> str:
    """'A'..'D' by the fit thresholds, then '1'..'4' by the engagement thresholds."""
    letter = next((g for g in FIT_GRADES if fit >= model.fit_grades[g]), "D")
    digit = next((g for g in ENGAGEMENT_GRADES if engagement >= model.engagement_grades[g]), "4")
    return letter + digit


_GRADE = re.compile(r"[A-D][1-4]?")


def check_grade(text: str) -> str:
    """A grade or a minimum grade: a fit letter A-D, optionally with a digit 1-4."""
    if not _GRADE.fullmatch(text):
        raise ValueError(f"{text!r} is not a grade (a letter A-D, optionally a digit 1-4: B2)")
    return text


def grade_at_least(value: str, minimum: str) -> bool:
    """'A3' is at least 'B' (fit only); 'B2' is at least 'B3' and 'C2' but not 'B1'."""
    check_grade(minimum)
    if value[0] > minimum[0]:
        return False
    return len(minimum) == 1 or value[1:] <= minimum[1:]


# ---------------------------------------------------------------------------- matching


def _glob_pattern(globs: Sequence[str]) -> str:
    return r"\A(?:" + "|".join(fnmatch.translate(g) for g in globs) + ")"


def _text_pattern(globs: Sequence[str], regex: str | None) -> re.Pattern[str] | None:
    if regex is not None:
        return re.compile(regex, re.IGNORECASE)
    return re.compile(_glob_pattern(globs), re.IGNORECASE) if globs else None


def _text_ok(pattern: re.Pattern[str] | None, text: str | None) -> bool:
    return pattern is None or (text is not None and pattern.search(text) is not None)


@dataclass(frozen=True, slots=True)
class EventMatcher:
    """Compiled engagement conditions."""

    kinds: frozenset[str] | None
    url: re.Pattern[str] | None
    content: re.Pattern[str] | None
    campaigns: frozenset[str] | None
    channels: frozenset[str] | None

    @classmethod
    def of(cls, when: EngagementConditions) -> EventMatcher:
        return cls(_set(when.kinds), _text_pattern(when.url, when.url_regex),
                   _text_pattern(when.content, when.content_regex), _set(when.campaigns),
                   _set(when.channels))  # fmt: skip

    def matches(self, event: ScoringEvent) -> bool:
        return (
            (self.kinds is None or event.kind in self.kinds)
            and (self.campaigns is None or event.campaign in self.campaigns)
            and (self.channels is None or event.channel in self.channels)
            and _text_ok(self.url, event.url)
            and _text_ok(self.content, event.content)
        )


def _set(values: Sequence[str]) -> frozenset[str] | None:
    return frozenset(values) if values else None


@dataclass(frozen=True, slots=True)
class EmailKinds:
    """Tells free-mail, competitor and business email domains apart."""

    free_mail: re.Pattern[str] | None
    competitor: re.Pattern[str] | None

    @classmethod
    def of(cls, domains: EmailDomains) -> EmailKinds:
        return cls(_domain_pattern(domains.free_mail), _domain_pattern(domains.competitor))

    def kind(self, domain: str) -> str:
        if self.competitor is not None and self.competitor.match(domain):
            return "competitor"
        if is_free_mail(domain) or (self.free_mail is not None and self.free_mail.match(domain)):
            return "free_mail"
        return "business"


def _domain_pattern(patterns: Sequence[str]) -> re.Pattern[str] | None:
    """A domain pattern also covers its subdomains: 'rival.example' matches 'es.rival.example'."""
    if not patterns:
        return None
    return re.compile(_glob_pattern([*patterns, *(f"*.{p}" for p in patterns)]), re.IGNORECASE)


def fit_holds(when: FitConditions, profile: ContactProfile, emails: EmailKinds) -> bool:
    """Whether every condition of a fit rule matches (fast: no facts)."""
    if when.personas and profile.persona not in when.personas:
        return False
    if when.email_kinds:
        domain = profile.email_domain
        if not domain or emails.kind(domain) not in when.email_kinds:
            return False
    return when.holds(profile)


def fit_facts(when: FitConditions, profile: ContactProfile, emails: EmailKinds) -> (
    tuple[bool, str]
):
    """Whether every condition matches, and the facts compared (the failed ones when not)."""
    checks = [(c.outcome == "matched", c.fact) for c in when.checks(profile)]
    if when.personas:
        held = profile.persona in when.personas
        checks.append((held, f"persona {profile.persona or 'none'}"))
    if when.email_kinds:
        domain = profile.email_domain
        kind = emails.kind(domain) if domain else "unknown"
        checks.append((kind in when.email_kinds, f"email domain {domain or 'none'} is {kind}"))
    failed = [fact for held, fact in checks if not held]
    if failed:
        return False, "; ".join(failed)
    return True, "; ".join(fact for _, fact in checks)


# ---------------------------------------------------------------------------- the scorer


@dataclass(frozen=True, slots=True)
class _Allocation:
    points: int
    note: str


class Scorer:
    """A compiled scoring model: build once, then score any number of contacts."""

    def __init__(self, model: ScoringModel) -> None:
        self.model = model
        self.tz = ZoneInfo(model.timezone)
        self.half_life = model.half_life_days * DAY_SECONDS if model.half_life_days else None
        self.emails = EmailKinds.of(model.email_domains)
        self.fit_rules: tuple[FitRule, ...] = model.fit_rules
        self.rules: tuple[EngagementRule, ...] = model.engagement_rules
        self.matchers = tuple(EventMatcher.of(rule.when) for rule in self.rules)
        self.by_kind = {kind: self._candidates(kind) for kind in ACTIVITY_KINDS}
        self.any_kind = self._candidates(None)
        rules: list[FitRule | EngagementRule] = [*self.fit_rules, *self.rules]
        self.names = {r.id: r.description or r.id for r in rules}

    def _candidates(self, kind: str | None) -> tuple[int, ...]:
        return tuple(i for i, m in enumerate(self.matchers)
                     if m.kinds is None or (kind is not None and kind in m.kinds))  # fmt: skip

    # -- use -----------------------------------------------------------------------------

    def update(self, profile: ContactProfile, ledger: Sequence[LedgerEntry],
               events: Iterable[ScoringEvent], now: datetime) -> ScoreUpdate:  # fmt: skip
        """The new ledger entries for `profile` and `events`, and the score at `now`."""
        entries = self.fit_changes(profile, ledger, now) + self.engagement_changes(ledger, events)
        return ScoreUpdate(tuple(entries), self.score([*ledger, *entries], now))

    def rescore(self, profile: ContactProfile, events: Iterable[ScoringEvent],
                now: datetime) -> ScoreUpdate:  # fmt: skip
        """A whole new ledger from every activity of the contact."""
        return self.update(profile, (), events, now)

    def score(self, ledger: Iterable[LedgerEntry], now: datetime) -> Score:
        fit: list[float] = []
        engagement: list[float] = []
        for entry in ledger:
            if entry.at <= now:
                if entry.is_fit:
                    fit.append(entry.points)
                else:
                    engagement.append(self.value(entry, now))
        return self._score(math.fsum(fit), math.fsum(engagement))

    def _score(self, fit: float, engagement: float) -> Score:
        return Score(fit, engagement, grade(fit, engagement, self.model))

    def value(self, entry: LedgerEntry, now: datetime) -> float:
        """What an entry counts at `now`: fit points as they are, engagement decayed."""
        if entry.is_fit or self.half_life is None:
            return float(entry.points)
        age = (now - entry.at).total_seconds()
        return entry.points * math.pow(2.0, -age / self.half_life)

    def decayed(self, engagement: float, since: datetime, now: datetime) -> float:
        """An engagement score computed at `since`, as it stands at `now` when no entry is
        dated between: every entry decays by the same factor, so a stored score can be
        brought up to date without reading its ledger."""
        if self.half_life is None or now <= since:
            return engagement
        return engagement * math.pow(2.0, -(now - since).total_seconds() / self.half_life)

    def explain(self, ledger: Iterable[LedgerEntry], now: datetime) -> Explanation:
        """Every entry that counts at `now` with its value; the values add up to the score."""
        counted = [e for e in ledger if e.at <= now]
        parts = tuple(Contribution(e, self.value(e, now), self.names.get(e.rule_id, e.rule_id))
                      for e in sorted(counted, key=lambda e: not e.is_fit))  # fmt: skip
        fit = math.fsum(c.value for c in parts if c.entry.is_fit)
        engagement = math.fsum(c.value for c in parts if not c.entry.is_fit)
        return Explanation(now, self._score(fit, engagement), parts)

    # -- fit -----------------------------------------------------------------------------

    def fit_changes(self, profile: ContactProfile, ledger: Sequence[LedgerEntry],
                    now: datetime) -> list[LedgerEntry]:  # fmt: skip
        """Entries that bring each fit rule's net points to what the profile earns now."""
        have: dict[str, int] = {}
        for entry in ledger:
            if entry.is_fit:
                have[entry.rule_id] = have.get(entry.rule_id, 0) + entry.points
        changes = []
        for rule in self.fit_rules:
            held = fit_holds(rule.when, profile, self.emails)
            delta = (rule.points if held else 0) - have.get(rule.id, 0)
            if delta:
                facts = fit_facts(rule.when, profile, self.emails)[1]
                fact = facts if held else f"no longer matches: {facts}"
                changes.append(LedgerEntry(rule.id, delta, now, None, fact))
        return changes

    # -- engagement ----------------------------------------------------------------------

    def matching_rules(self, event: ScoringEvent) -> list[int]:
        """Indexes of the engagement rules `event` matches, in model order."""
        candidates = self.by_kind.get(event.kind, self.any_kind)
        return [i for i in candidates if self.matchers[i].matches(event)]

    def engagement_changes(self, ledger: Sequence[LedgerEntry],
                           events: Iterable[ScoringEvent]) -> list[LedgerEntry]:  # fmt: skip
        """Entries for the activities not yet in the ledger (and cap corrections)."""
        fresh = _fresh(events, {e.activity_id for e in ledger if e.activity_id is not None})
        matched: dict[int, list[ScoringEvent]] = {}
        for event in fresh:
            for index in self.matching_rules(event):
                matched.setdefault(index, []).append(event)
        planned: list[tuple[datetime, str, int, LedgerEntry]] = []
        for index in sorted(matched):
            for entry in self._rule_entries(self.rules[index], matched[index], ledger):
                planned.append((entry.at, entry.activity_id or "", index, entry))
        planned.sort(key=lambda p: p[:3])
        return [p[3] for p in planned]

    def _rule_entries(self, rule: EngagementRule, events: list[ScoringEvent],
                      ledger: Sequence[LedgerEntry]) -> list[LedgerEntry]:  # fmt: skip
        if rule.cap_per_day is None and rule.cap_total is None:
            return [LedgerEntry(rule.id, rule.points, e.at, e.id) for e in events]
        old = _net_by_activity(rule.id, ledger)
        if not old:  # nothing to re-share: the new activities take the caps in order
            shares = self.allocate(rule, [e.at for e in events])
            return [LedgerEntry(rule.id, share.points, e.at, e.id, note=share.note)
                    for e, share in zip(events, shares, strict=True)]  # fmt: skip
        fresh = {e.id for e in events}
        merged = sorted([(at, key) for key, (at, _) in old.items()]
                        + [(e.at, e.id) for e in events])  # fmt: skip
        entries = []
        for (at, key), share in zip(merged, self.allocate(rule, [a for a, _ in merged]),
                                    strict=True):  # fmt: skip
            if key in fresh:
                entries.append(LedgerEntry(rule.id, share.points, at, key, note=share.note))
            elif share.points != old[key][1]:
                delta = share.points - old[key][1]
                note = "correction: an activity dated earlier arrived later and took a share "
                note += f"of the cap ({share.note or 'now within it'})"
                entries.append(LedgerEntry(rule.id, delta, at, key, note=note))
        return entries

    def allocate(self, rule: EngagementRule, instants: Sequence[datetime]) -> list[_Allocation]:
        """The points each of a rule's activities counts, taken in order, within its caps."""
        size, sign = abs(rule.points), (1 if rule.points >= 0 else -1)
        used_total = 0
        used_day: dict[date, int] = {}
        shares = []
        for at in instants:
            day = at.astimezone(self.tz).date()
            room, note = size, ""
            if rule.cap_total is not None and rule.cap_total - used_total < room:
                room, note = max(rule.cap_total - used_total, 0), f"cap_total {rule.cap_total}"
            day_left = (rule.cap_per_day or 0) - used_day.get(day, 0)
            if rule.cap_per_day is not None and day_left < room:
                room, note = max(day_left, 0), f"cap_per_day {rule.cap_per_day} on {day}"
            used_total += room
            used_day[day] = used_day.get(day, 0) + room
            text = f"capped: {sign * room:+d} of {rule.points:+d} ({note})" if note else ""
            shares.append(_Allocation(sign * room, text))
        return shares


def _fresh(events: Iterable[ScoringEvent], seen: set[str]) -> list[ScoringEvent]:
    """Activities not in `seen`, each id once (the first wins), in (instant, id) order."""
    fresh: dict[str, ScoringEvent] = {}
    for event in events:
        if event.at.tzinfo is None:
            raise ValidationError(f"activity {event.id}: instant {event.at} has no timezone")
        if event.id not in seen:
            fresh.setdefault(event.id, event)
    return sorted(fresh.values(), key=lambda e: (e.at, e.id))


def _net_by_activity(rule_id: str, ledger: Sequence[LedgerEntry]) -> (
    dict[str, tuple[datetime, int]]
):
    net: dict[str, tuple[datetime, int]] = {}
    for entry in ledger:
        if entry.rule_id == rule_id and entry.activity_id is not None:
            at, points = net.get(entry.activity_id, (entry.at, 0))
            net[entry.activity_id] = (at, points + entry.points)
    return net
