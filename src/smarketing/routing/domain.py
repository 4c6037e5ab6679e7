"""Who gets a new MQL, and why (pure logic: no database, no clock; ``now`` comes in).

:func:`route` decides and returns the new round-robin state; :func:`simulate` answers
the same question and changes nothing. The order of evaluation (docs/routing.md):

1. **Company owner**: a lead whose company has an owner goes to that owner, when the
   owner is an active user and (policy ``company_owner.when_unavailable``: ``rules``,
   the default) available; with ``keep`` an active owner gets it even when away.
2. **Captured by**: a lead a rep captured in person (a trade-fair badge scan, an offline
   list imported with ``--captured-by``) stays with that rep; by default (``keep``) even
   when they are away, with ``rules`` only when available. See :func:`captured_by_from`.
3. **Rules**, in document order: the first enabled rule whose conditions all hold sends
   the lead to its pool; when none holds, the fallback pool takes it (none: no owner).
4. **Inside the pool**: smooth weighted round robin (:mod:`smarketing.routing.roundrobin`)
   over the members who are active, under their monthly capacity and available
   (:mod:`smarketing.routing.availability`). When nobody is, the policy
   ``when_nobody_available`` says: ``no_owner`` (the default), ``least_loaded`` (the
   active member with the fewest leads this month, even if away or full), or
   ``fallback_pool`` (the same search in the fallback pool, else no owner).

Every decision carries the rule, the pool, who was skipped and why, and a reason in
words, so a person can check it by hand.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal

from smarketing.routing.availability import (
    Availability,
    OutOfOffice,
    check_availability,
    first_attempt_deadline,
)
from smarketing.routing.roundrobin import RoundRobinPick, RoutingState, smooth_weighted_pick
from smarketing.routing.rules import Conditions, OwnerPolicy, Pool, RoutingRules, Rule
from smarketing.sla.calendar import BusinessCalendar

__all__ = [
    "LeadProfile",
    "Rep",
    "Routed",
    "RoutingDecision",
    "Skip",
    "SlaContext",
    "Step",
    "captured_by_from",
    "explain_match",
    "first_matching_rule",
    "route",
    "rule_matches",
    "simulate",
]

Via = Literal["company_owner", "captured_by", "rule", "fallback_pool", "none"]
Method = Literal["owner", "round_robin", "least_loaded"]
SkipReason = Literal["inactive", "zero_weight", "at_capacity", "out_of_office", "outside_hours"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_ONE_DAY = timedelta(days=1)


def _empty() -> Mapping[str, Any]:
    return _EMPTY


# --------------------------------------------------------------------------- inputs


@dataclass(frozen=True)
class LeadProfile:
    """What routing looks at. The caller fills it from the contact and its company:

    - ``country``: the contact's country, else its company's (ISO 3166-1, ``ES``);
    - ``subdivision``: the contact property ``subdivision`` (ISO 3166-2 ``ES-MD``, or
      ``MD`` which is read with the country);
    - ``product_line``, ``persona``, ``channel``, ``campaign``: keys, as on the contact;
    - ``company_employees``: the company's ``employees``;
    - ``company_owner``: the email of the company's owner;
    - ``captured_by``: the email of the rep who captured the lead (:func:`captured_by_from`);
    - ``properties``: the contact's ``properties``.
    """

    email: str
    country: str | None = None
    subdivision: str | None = None
    product_line: str | None = None
    persona: str | None = None
    company_employees: int | None = None
    company_owner: str | None = None
    captured_by: str | None = None
    channel: str | None = None
    campaign: str | None = None
    properties: Mapping[str, Any] = field(default_factory=_empty)

    def __post_init__(self) -> None:
        country = self.country.strip().upper() if self.country else None
        subdivision = self.subdivision.strip().upper() if self.subdivision else None
        if subdivision and "-" not in subdivision and country:
            subdivision = f"{country}-{subdivision}"
        object.__setattr__(self, "country", country or None)
        object.__setattr__(self, "subdivision", subdivision or None)
        for name in ("company_owner", "captured_by"):
            value = getattr(self, name)
            object.__setattr__(self, name, value.strip().lower() or None if value else None)


@dataclass(frozen=True)
class Rep:
    """A user who can receive leads, as routing needs them.

    ``calendar``: their working hours (the user's calendar, else the team's, else the
    workspace's); ``weight``: the user's routing weight (None: 1; 0: no leads from pools
    unless the pool member sets a weight); ``out_of_office``: ``(first, last)`` date
    ranges, both included; ``active``: False for a user who must not receive leads
    (deactivated, wrong role).
    """

    email: str
    calendar: BusinessCalendar
    name: str | None = None
    weight: int | None = None
    out_of_office: tuple[OutOfOffice, ...] = ()
    active: bool = True

    @property
    def label(self) -> str:
        return self.name or self.email


@dataclass(frozen=True)
class SlaContext:
    """The SLA terms routing honours (from the SLA that applies to the lead's team).

    ``first_attempt_within_hours``: the first-attempt window in business hours (None:
    the document's ``policy.default_window_hours``); ``calendar``: the SLA's calendar
    (None: each rep's own); ``mqls_per_rep_per_month``: each rep's monthly capacity
    (None: no limit), unless a pool member sets its own ``capacity``.
    """

    first_attempt_within_hours: Decimal | None = None
    calendar: BusinessCalendar | None = None
    mqls_per_rep_per_month: int | None = None


# --------------------------------------------------------------------------- outputs


@dataclass(frozen=True)
class Skip:
    """A rep passed over: ``why`` is a code, ``detail`` the same in words."""

    user: str
    why: SkipReason
    detail: str


@dataclass(frozen=True)
class Step:
    """One step of the reasoning: a code (for pages in other languages) and English text."""

    code: str
    text: str
    params: Mapping[str, str] = field(default_factory=_empty)


@dataclass(frozen=True)
class RoutingDecision:
    """Who gets the lead (``owner``, an email, or None) and why.

    ``via``: what decided (``company_owner``, ``captured_by``, ``rule``,
    ``fallback_pool``, or ``none``); ``method``: how the owner was picked; ``rule`` and
    ``rule_position`` (1-based, in document order): the rule that matched; ``pool``: the
    pool used; ``matched``: the rule's conditions as they held for this lead;
    ``skipped``: pool members passed over; ``tied``: members that tied for the pick (the
    winner was drawn at random among them); ``earned``: the round-robin counters
    compared; ``deadline``: the first-attempt deadline availability was checked against.
    """

    owner: str | None
    via: Via
    method: Method | None
    steps: tuple[Step, ...]
    rule: str | None = None
    rule_position: int | None = None
    pool: str | None = None
    matched: tuple[str, ...] = ()
    skipped: tuple[Skip, ...] = ()
    tied: tuple[str, ...] = ()
    earned: Mapping[str, int] = field(default_factory=_empty)
    deadline: datetime | None = None

    @property
    def reason(self) -> str:
        """The decision in words, as recorded on the assignment."""
        return " ".join(step.text for step in self.steps)


@dataclass(frozen=True)
class Routed:
    decision: RoutingDecision
    state: RoutingState


# --------------------------------------------------------------------------- matching


def _in_places(lead: LeadProfile, places: Iterable[str]) -> str | None:
    """The lead's country or subdivision found in ``places``, if any."""
    codes = places if isinstance(places, frozenset | tuple) else tuple(places)
    if lead.subdivision is not None and lead.subdivision in codes:
        return lead.subdivision
    if lead.country is not None and lead.country in codes:
        return lead.country
    return None


def rule_matches(when: Conditions, lead: LeadProfile) -> bool:
    """Every condition given holds for the lead (an empty ``when`` always holds)."""
    if when.country is not None and _in_places(lead, when.country) is None:
        return False
    if when.territory is not None and _in_places(lead, when.territory_places) is None:
        return False
    if when.product_line is not None and lead.product_line not in when.product_line:
        return False
    if when.persona is not None and lead.persona not in when.persona:
        return False
    if when.channel is not None and lead.channel not in when.channel:
        return False
    if when.campaign is not None and lead.campaign not in when.campaign:
        return False
    if when.company_size is not None and not when.company_size.holds(lead.company_employees):
        return False
    return all(cond.holds(lead.properties) for cond in when.properties)


def first_matching_rule(rules: RoutingRules, lead: LeadProfile) -> tuple[int, Rule] | None:
    """The first enabled rule that holds, with its 1-based position, or None."""
    for position, rule in enumerate(rules.rules, start=1):
        if rule.enabled and rule_matches(rule.when, lead):
            return position, rule
    return None


def _listing(values: Iterable[str]) -> str:
    return ", ".join(values)


def explain_match(rules: RoutingRules, when: Conditions, lead: LeadProfile) -> tuple[str, ...]:
    """Each condition of a matching rule as it held for ``lead``, in words."""
    if when.is_empty:
        return ("no conditions (matches every lead)",)
    out: list[str] = []
    if when.country is not None:
        found = _in_places(lead, when.country)
        what = "subdivision" if found == lead.subdivision else "country"
        out.append(f"{what} {found} is in [{_listing(when.country)}]")
    if when.territory is not None:
        found = _in_places(lead, when.territory_places)
        names = [t for t in when.territory if found in rules.territories.get(t, ())]
        out.append(f"{found} is in territory {_listing(names)}")
    for name, label in (("product_line", "product line"), ("persona", "persona"),
                        ("channel", "channel"), ("campaign", "campaign")):  # fmt: skip
        if getattr(when, name) is not None:
            out.append(f"{label} {getattr(lead, name)} is in [{_listing(getattr(when, name))}]")
    if when.company_size is not None:
        low = when.company_size.min if when.company_size.min is not None else 0
        high = when.company_size.max
        bound = f"{low}-{high}" if high is not None else f">= {low}"
        out.append(f"company size {lead.company_employees} employees is {bound}")
    for cond in when.properties:
        out.append(f"property {cond.name} = {lead.properties.get(cond.name)!r}")
    return tuple(out)


def captured_by_from(
    activities: Iterable[tuple[datetime, Mapping[str, Any]]],
    contact_properties: Mapping[str, Any] | None = None,
) -> str | None:
    """Who captured a lead: the ``captured_by`` property of its most recent activity that
    has one (``smarketing import-csv --captured-by`` writes it on the ``event_attended``
    activity; any activity kind counts), else the contact's own ``captured_by``
    property, else None. ``activities``: ``(at, properties)`` pairs in any order."""
    latest: tuple[datetime, str] | None = None
    for at, properties in activities:
        value = properties.get("captured_by") if properties else None
        if isinstance(value, str) and value.strip() and (latest is None or at >= latest[0]):
            latest = (at, value.strip().lower())
    if latest is not None:
        return latest[1]
    own = (contact_properties or {}).get("captured_by")
    return own.strip().lower() if isinstance(own, str) and own.strip() else None


# --------------------------------------------------------------------------- deciding


class _Context:
    """One decision's inputs, with the deadlines and availabilities computed once."""

    def __init__(
        self,
        rules: RoutingRules,
        reps: Mapping[str, Rep],
        now: datetime,
        sla: SlaContext,
        assigned: Mapping[str, int],
    ) -> None:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError(f"now: {now.isoformat()} has no UTC offset (naive datetime)")
        self.rules, self.reps, self.now, self.sla, self.assigned = rules, reps, now, sla, assigned
        hours = sla.first_attempt_within_hours or rules.policy.default_window_hours
        self.window = timedelta(seconds=int(hours * 3600))
        self.hours = hours
        self._deadlines: dict[int, datetime] = {}
        self._availability: dict[tuple[int, int, tuple[OutOfOffice, ...]], Availability] = {}
        self.deadline: datetime | None = None

    def label(self, email: str) -> str:
        rep = self.reps.get(email)
        return rep.label if rep is not None else email

    def available(self, rep: Rep) -> Availability:
        # Reps on the same calendar with no day off in the way have the same answer: most
        # of a pool shares one or two calendars, so this is a walk or two, not ten.
        cal = self.sla.calendar or rep.calendar
        deadline = self._deadlines.get(id(cal))
        if deadline is None:
            deadline = first_attempt_deadline(cal, self.now, self.window)
            self._deadlines[id(cal)] = deadline
            self.deadline = self.deadline or deadline
        away = rep.out_of_office
        if away:
            first_day = self.now.date() - _ONE_DAY  # any time zone's local date is near
            last_day = deadline.date() + _ONE_DAY
            away = tuple((a, b) for a, b in away if a <= last_day and b >= first_day)
        key = (id(rep.calendar), id(cal), away)
        cached = self._availability.get(key)
        if cached is None:
            cached = check_availability(rep.calendar, away, self.now, deadline, cal)
            self._availability[key] = cached
        return cached

    def unavailable_text(self, state: Availability) -> str:
        if state.why == "out_of_office":
            return f"out of office until {state.away_until}"
        return (
            f"outside working hours until after the first-attempt deadline"
            f" {state.deadline.isoformat(timespec='minutes')} ({self.hours} business hours)"
        )


def _natural_owner(
    ctx: _Context, email: str, policy: OwnerPolicy, code: str, what: str
) -> tuple[str | None, Step]:
    """The company owner or capturer: (owner or None, the step that says why)."""
    rep = ctx.reps.get(email)
    params = {"user": email}
    if rep is None or not rep.active:
        return None, Step(f"{code}_inactive",
                          f"{what}, {email}, is not an active user who can take leads,"
                          " so the rules decide.", params)  # fmt: skip
    state = ctx.available(rep)
    if state.available:
        return email, Step(code, f"{what}, {rep.label}, gets the lead.", params)
    away = ctx.unavailable_text(state)
    if policy.when_unavailable == "keep":
        return email, Step(f"{code}_kept",
                           f"{what}, {rep.label}, gets the lead although {away}"
                           " (policy when_unavailable: keep).", params)  # fmt: skip
    return None, Step(f"{code}_unavailable",
                      f"{what}, {rep.label}, is {away}, so the rules decide.", params)  # fmt: skip


def _weight(rep: Rep, member_weight: int | None) -> int:
    """The member's weight, else the user's (0: no leads from pools), else 1."""
    if member_weight is not None:
        return member_weight
    return 1 if rep.weight is None else max(rep.weight, 0)


@dataclass(frozen=True)
class _PoolOutcome:
    pick: RoundRobinPick
    skipped: tuple[Skip, ...]
    weights: Mapping[str, int]
    active: tuple[str, ...]


def _try_pool(ctx: _Context, pool: Pool, state: RoutingState, rng: random.Random) -> _PoolOutcome:
    members: list[tuple[str, int]] = []
    available: set[str] = set()
    skipped: list[Skip] = []
    active: list[str] = []
    for member in pool.members:
        rep = ctx.reps.get(member.user)
        if rep is None or not rep.active:
            skipped.append(Skip(member.user, "inactive", "not an active user who can take leads"))
            continue
        weight = _weight(rep, member.weight)
        if weight == 0:
            skipped.append(Skip(member.user, "zero_weight", "routing weight 0"))
            continue
        members.append((rep.email, weight))
        active.append(rep.email)
        capacity = member.capacity
        if capacity is None:
            capacity = ctx.sla.mqls_per_rep_per_month
        done = ctx.assigned.get(rep.email, 0)
        if capacity is not None and done >= capacity:
            skipped.append(Skip(rep.email, "at_capacity",
                                f"at capacity: {done} of {capacity} leads this month"))  # fmt: skip
            continue
        state_of = ctx.available(rep)
        if not state_of.available:
            why = state_of.why or "outside_hours"
            skipped.append(Skip(rep.email, why, ctx.unavailable_text(state_of)))
            continue
        available.add(rep.email)
    pick = smooth_weighted_pick(members, available, state.counters(pool.key), rng)
    return _PoolOutcome(pick, tuple(skipped), dict(members), tuple(active))


def _skipped_text(ctx: _Context, skipped: tuple[Skip, ...]) -> str:
    """``Ana (out of office until ...); Pablo, Marta (at capacity ...)``: members with the
    same detail are named together, in pool order."""
    groups: dict[str, list[str]] = {}
    for skip in skipped:
        groups.setdefault(skip.detail, []).append(ctx.label(skip.user))
    return "; ".join(f"{_listing(names)} ({detail})" for detail, names in groups.items())


def _tie_text(ctx: _Context, tied: tuple[str, ...]) -> str:
    if len(tied) < 2:
        return ""
    return f"; a tie between {_listing(ctx.label(e) for e in tied)} was drawn at random"


def _least_loaded(
    ctx: _Context, pool: Pool, outcome: _PoolOutcome, rng: random.Random
) -> tuple[str | None, tuple[str, ...]]:
    if not outcome.active:
        return None, ()
    fewest = min(ctx.assigned.get(email, 0) for email in outcome.active)
    tied = tuple(e for e in outcome.active if ctx.assigned.get(e, 0) == fewest)
    return (tied[0] if len(tied) == 1 else rng.choice(tied)), tied


def _decide(
    rules: RoutingRules,
    lead: LeadProfile,
    reps: Mapping[str, Rep],
    state: RoutingState,
    now: datetime,
    rng: random.Random,
    sla: SlaContext,
    assigned: Mapping[str, int],
) -> Routed:
    ctx = _Context(rules, reps, now, sla, assigned)
    policy = rules.policy
    steps: list[Step] = []

    def done(owner: str | None, via: Via, method: Method | None) -> Routed:
        return Routed(RoutingDecision(owner, via, method, tuple(steps), deadline=ctx.deadline),
                      state)  # fmt: skip

    for email, owner_policy, code, what in (
        (lead.company_owner, policy.company_owner, "company_owner", "The company's owner"),
        (lead.captured_by, policy.captured_by, "captured_by", "The rep who captured the lead"),
    ):
        if email and owner_policy.enabled:
            owner, step = _natural_owner(ctx, email, owner_policy, code, what)
            steps.append(step)
            if owner is not None:
                via: Via = "company_owner" if code == "company_owner" else "captured_by"
                return done(owner, via, "owner")

    found = first_matching_rule(rules, lead)
    rule: Rule | None = None
    matched: tuple[str, ...] = ()
    if found is not None:
        position, rule = found
        matched = explain_match(rules, rule.when, lead)
        pool_key: str | None = rule.pool
        via = "rule"
        steps.append(Step("rule", f"Rule #{position} {rule.label} matched: {'; '.join(matched)}.",
                          {"rule": rule.key, "position": str(position)}))  # fmt: skip
    else:
        position = 0
        pool_key = rules.fallback_pool
        via = "fallback_pool"
        if pool_key is None:
            steps.append(Step("no_rule", "No rule matched and the document has no fallback"
                              " pool, so the lead has no owner."))  # fmt: skip
            return done(None, "none", None)
        fallback_label = rules.pools[pool_key].label
        steps.append(Step("no_rule_fallback", f"No rule matched, so the fallback pool"
                          f" {fallback_label} takes it.", {"pool": pool_key}))  # fmt: skip
    rule_fields: dict[str, Any] = {
        "rule": rule.key if rule else None,
        "rule_position": position or None,
        "matched": matched,
    }

    tried: list[str] = []
    all_skipped: list[Skip] = []
    while pool_key is not None:
        pool = rules.pools[pool_key]
        tried.append(pool_key)
        outcome = _try_pool(ctx, pool, state, rng)
        all_skipped.extend(outcome.skipped)
        pick = outcome.pick
        skipped_note = (
            f" Skipped: {_skipped_text(ctx, outcome.skipped)}." if outcome.skipped else ""
        )
        if pick.chosen is not None:
            chosen = pick.chosen
            tie = _tie_text(ctx, pick.tied)
            steps.append(Step(
                "round_robin",
                f"Weighted round robin in pool {pool.label} chose {ctx.label(chosen)} (weight"
                f" {outcome.weights[chosen]} of {pick.total_weight} available; counter"
                f" {pick.earned[chosen]}, the highest{tie}).{skipped_note}",
                {"pool": pool_key, "user": chosen},
            ))  # fmt: skip
            new_state = state.with_counters(pool_key, pick.counters)
            decision = RoutingDecision(
                chosen, via, "round_robin", tuple(steps), pool=pool_key,
                skipped=tuple(all_skipped), tied=pick.tied if len(pick.tied) > 1 else (),
                earned=MappingProxyType(dict(pick.earned)), deadline=ctx.deadline, **rule_fields,
            )  # fmt: skip
            return Routed(decision, new_state)
        nobody = f"Nobody in pool {pool.label} is available.{skipped_note}"
        mode = policy.when_nobody_available
        if mode == "least_loaded":
            owner, tied = _least_loaded(ctx, pool, outcome, rng)
            if owner is not None:
                count = ctx.assigned.get(owner, 0)
                tie = _tie_text(ctx, tied)
                steps.append(Step("least_loaded",
                                  f"{nobody} Policy least_loaded: {ctx.label(owner)} has the"
                                  f" fewest leads this month ({count}){tie}.",
                                  {"pool": pool_key, "user": owner}))  # fmt: skip
                decision = RoutingDecision(
                    owner, via, "least_loaded", tuple(steps), pool=pool_key,
                    skipped=tuple(all_skipped), tied=tied if len(tied) > 1 else (),
                    deadline=ctx.deadline, **rule_fields,
                )  # fmt: skip
                return Routed(decision, state)
        if (mode == "fallback_pool" and rules.fallback_pool is not None
                and rules.fallback_pool not in tried):  # fmt: skip
            steps.append(Step("pool_unavailable_fallback",
                              f"{nobody} Policy fallback_pool: trying pool"
                              f" {rules.pools[rules.fallback_pool].label}.",
                              {"pool": pool_key}))  # fmt: skip
            pool_key = rules.fallback_pool
            continue
        steps.append(Step("no_owner", f"{nobody} The lead has no owner (policy"
                          f" when_nobody_available: {mode}).", {"pool": pool_key}))  # fmt: skip
        decision = RoutingDecision(
            None, "none", None, tuple(steps), pool=pool_key, skipped=tuple(all_skipped),
            deadline=ctx.deadline, **rule_fields,
        )  # fmt: skip
        return Routed(decision, state)
    raise AssertionError("unreachable")  # pragma: no cover


def route(
    rules: RoutingRules,
    lead: LeadProfile,
    reps: Mapping[str, Rep],
    state: RoutingState,
    *,
    now: datetime,
    rng: random.Random,
    sla: SlaContext | None = None,
    assigned_this_month: Mapping[str, int] | None = None,
) -> Routed:
    """Decide who gets ``lead`` at ``now`` and return the decision with the new state.

    ``reps``: every user who may receive leads, by lowercase email; ``state``: the
    round-robin state returned by the previous call (``RoutingState()`` at first);
    ``rng``: breaks ties (seed it for repeatable results); ``sla``: the applicable SLA's
    window, calendar and capacity; ``assigned_this_month``: leads assigned to each rep
    so far this month (the caller counts them, in the workspace's time zone).
    """
    return _decide(rules, lead, reps, state, now, rng, sla or SlaContext(),
                   assigned_this_month or {})  # fmt: skip


def simulate(
    rules: RoutingRules,
    lead: LeadProfile,
    reps: Mapping[str, Rep],
    state: RoutingState,
    *,
    now: datetime,
    rng: random.Random | None = None,
    sla: SlaContext | None = None,
    assigned_this_month: Mapping[str, int] | None = None,
) -> RoutingDecision:
    """Who would get ``lead`` now and why, changing nothing: the state is not returned
    and ``rng`` (a copy of it is used) is left as it was. A tie is drawn from the copy
    and listed in ``tied``, so the answer says who else could have got it."""
    copy = random.Random()  # noqa: S311 - a tie-break, not a secret
    copy.setstate((rng or random.Random(0)).getstate())  # noqa: S311
    return route(rules, lead, reps, state, now=now, rng=copy, sla=sla,
                 assigned_this_month=assigned_this_month).decision  # fmt: skip
