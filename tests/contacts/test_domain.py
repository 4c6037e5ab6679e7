"""Who may see a contact and log an attempt on it (smarketing.auth.access, pure), and the
pure pieces of a contact's story (smarketing.contacts.domain)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smarketing.auth.access import (
    FULL_VIEW_ROLES,
    attempt_makers,
    can_see_contact,
    may_log_attempt,
    visible_owner_id,
)
from smarketing.contacts.domain import ContactStory, TimelineEvent, describe_duration
from smarketing.i18n.terms import Phrase
from smarketing.lifecycle.domain import NEXT_ACTIONS, Stage
from smarketing.records.schema import ROLES

REP, OTHER_REP = 7, 8


@pytest.mark.parametrize("role", ["admin", "marketing", "sales_manager"])
@pytest.mark.parametrize("owner_id", [REP, OTHER_REP, None])
def test_admins_marketing_and_managers_see_every_contact(role: str, owner_id: int | None) -> None:
    assert can_see_contact(role, REP, owner_id)


@pytest.mark.parametrize(("owner_id", "visible"), [(REP, True), (OTHER_REP, False),
                                                   (None, False)])  # fmt: skip
def test_a_sales_rep_sees_only_the_contacts_they_own(owner_id: int | None,
                                                     visible: bool) -> None:  # fmt: skip
    assert can_see_contact("sales_rep", REP, owner_id) is visible


def test_an_unknown_role_sees_only_own_contacts() -> None:
    assert not can_see_contact("guest", REP, OTHER_REP)
    assert not can_see_contact("", REP, None)
    assert can_see_contact("guest", REP, REP)


@given(role=st.sampled_from(ROLES), user_id=st.integers(1, 5),
       owner_id=st.one_of(st.none(), st.integers(1, 5)))  # fmt: skip
def test_visibility_matches_the_rule_as_written(role: str, user_id: int,
                                                owner_id: int | None) -> None:  # fmt: skip
    """docs/usage.md: sales reps see the contacts they own; every other role sees all."""
    expected = role != "sales_rep" or owner_id == user_id
    assert can_see_contact(role, user_id, owner_id) is expected
    assert (role in FULL_VIEW_ROLES) is (role != "sales_rep")


@pytest.mark.parametrize(("role", "limited_to"), [("admin", None), ("marketing", None),
                                                  ("sales_manager", None), ("sales_rep", REP)])
def test_views_are_limited_to_own_contacts_for_sales_reps_only(role: str,
                                                                limited_to: int | None) -> None:
    assert visible_owner_id(role, REP) == limited_to


@dataclass(frozen=True)
class User:
    id: int
    role: str
    team_id: int | None


OWNER = User(1, "sales_rep", 10)
USERS = {
    "the owner": (OWNER, True),
    "another rep": (User(2, "sales_rep", 10), False),
    "the owner's manager": (User(3, "sales_manager", 10), True),
    "another team's manager": (User(4, "sales_manager", 20), False),
    "a manager without a team": (User(5, "sales_manager", None), False),
    "an admin": (User(6, "admin", None), True),
    "marketing": (User(7, "marketing", 10), False),
}


@pytest.mark.parametrize("who", USERS)
def test_an_attempt_is_logged_by_the_owner_the_owners_manager_or_an_admin(who: str) -> None:
    user, allowed = USERS[who]
    assert may_log_attempt(user, OWNER) is allowed


def test_an_unowned_lead_takes_attempts_from_admins_only() -> None:
    assert may_log_attempt(User(6, "admin", None), None)
    assert not may_log_attempt(OWNER, None)
    assert not may_log_attempt(User(3, "sales_manager", None), User(9, "sales_rep", None))


def test_an_attempt_is_recorded_for_the_owner_when_someone_else_logs_it() -> None:
    manager, rep = User(3, "sales_manager", 10), User(2, "sales_rep", 10)
    assert attempt_makers(OWNER, OWNER) == [OWNER]
    assert attempt_makers(rep, OWNER) == [rep]
    assert attempt_makers(manager, OWNER) == [OWNER, manager]
    assert attempt_makers(manager, None) == [manager]


@pytest.mark.parametrize(("delta", "text"), [
    (timedelta(0), "0m"),
    (timedelta(seconds=59), "0m"),
    (timedelta(minutes=1), "1m"),
    (timedelta(minutes=59, seconds=59), "59m"),
    (timedelta(hours=1), "1h 0m"),
    (timedelta(hours=23, minutes=59), "23h 59m"),
    (timedelta(days=1), "1d 0h"),
    (timedelta(days=1, hours=2), "1d 2h"),
    (timedelta(days=2, hours=3, minutes=59), "2d 3h"),
])  # fmt: skip
def test_durations_read_in_the_two_largest_units(delta: timedelta, text: str) -> None:
    assert describe_duration(delta) == text


def _story(stage: Stage, entered: datetime, now: datetime) -> ContactStory:
    return ContactStory(id=1, email="a@b.es", name="A", job_title=None, company=None,
                        country=None, phone=None, persona=None, owner=None, owner_id=None,
                        stage=stage, stage_entered_at=entered, created_at=entered,
                        first_touch=None, last_touch=None, became_at={}, timeline=[],
                        now=now)  # fmt: skip


NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def test_time_in_stage_runs_from_entering_it_and_is_never_negative() -> None:
    assert _story(Stage.MQL, NOW - timedelta(hours=5), NOW).time_in_stage == timedelta(hours=5)
    assert _story(Stage.MQL, NOW + timedelta(hours=1), NOW).time_in_stage == timedelta(0)


@pytest.mark.parametrize(("stage", "team"), [(Stage.MQL, "marketing"), (Stage.SQL, "sales"),
                                             (Stage.OTHER, "marketing")])  # fmt: skip
def test_the_story_says_which_team_owns_the_stage_and_what_to_do_next(
    stage: Stage, team: str
) -> None:
    story = _story(stage, NOW, NOW)
    assert story.owning_team == team
    assert story.next_actions == NEXT_ACTIONS[stage]
    assert story.next_actions


def test_timeline_events_are_labelled_and_summarised_in_plain_english() -> None:
    moved = TimelineEvent(NOW, "stage_change", Phrase("%(a)s → %(b)s", {"a": "lead", "b": "mql"}))
    assert (moved.kind_label, moved.summary) == ("stage change", "lead → mql")
    assert TimelineEvent(NOW, "owner_change", Phrase("x")).kind_label == "owner change"
    assert TimelineEvent(NOW, "web_visit", Phrase("x")).kind_label == "web visit"
