"""The pure reminder planner: stages, catch-up, overdue repeats, escalation routing, acknowledgement."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tracker.domain.durations import Duration
from tracker.domain.reminders import Policy, Target, next_stage_on, plan_target, reached_stage, stage_rank, superseded

DUE = date(2026, 12, 24)
LEADS = (90, 30, 14, 7, 1, 0)
POLICY = Policy()


def target(**changes: object) -> Target:
    values: dict[str, object] = dict(
        obligation_id=1, occurrence="T2", due=DUE, kind="notice_deadline", derived=True, leads=LEADS,
        owner="alice@example.com", backup_owner="bob@example.com", tags=("legal",),
    )
    values.update(changes)
    return Target(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("today", "expected"), [
    (date(2026, 9, 24), None),
    (date(2026, 9, 25), "lead:90"),
    (date(2026, 11, 23), "lead:90"),
    (date(2026, 11, 24), "lead:30"),
    (date(2026, 12, 23), "lead:1"),
    (date(2026, 12, 24), "lead:0"),
    (date(2026, 12, 25), None),  # a derived deadline that passed has lapsed: no overdue reminders
])
def test_the_most_advanced_stage_reached(today: date, expected: str | None) -> None:
    stage = reached_stage(target(), today, POLICY)
    assert (stage.name if stage else None) == expected


def test_entered_obligations_get_overdue_reminders_every_overdue_every() -> None:
    invoice = target(kind="payment", derived=False, leads=(7, 1))
    names = {day: reached_stage(invoice, DUE + timedelta(days=day), POLICY).name for day in (1, 7, 8, 14, 15)}
    assert names == {1: "overdue:1", 7: "overdue:1", 8: "overdue:2", 14: "overdue:2", 15: "overdue:3"}
    monthly = Policy(overdue_every=Duration(1, "months"))
    assert reached_stage(invoice, date(2027, 1, 25), monthly).name == "overdue:2"


def test_catch_up_sends_only_the_most_advanced_unsent_stage() -> None:
    # Entered late, 20 days before the deadline: one lead:30 reminder, not 90 and 30.
    first = plan_target(target(), DUE - timedelta(days=20), {}, POLICY)
    assert [(p.stage.name, p.channel) for p in first.deliveries] == [
        ("lead:30", "email:alice@example.com"), ("lead:30", "tag:legal"),
    ]
    # lead:7 was sent; the passes for lead:1 were missed: on the due day only lead:0 goes out.
    recorded = {"email:alice@example.com": {"lead:7"}, "tag:legal": {"lead:7"}}
    late = plan_target(target(), DUE, recorded, POLICY)
    assert {p.stage.name for p in late.deliveries} == {"lead:0"}
    # Recorded lead:0 supersedes lead:1 for that channel (a rerun on the same day sends nothing more).
    assert superseded("lead:1", {"lead:0"}) and not superseded("lead:0", {"lead:1"})
    assert not superseded("overdue:2", {"overdue:1", "lead:0"}) and superseded("overdue:1", {"overdue:2"})


def test_last_stages_and_overdue_escalate_to_backup_owner_and_escalation_tag() -> None:
    calm = plan_target(target(), DUE - timedelta(days=7), {}, POLICY)
    assert {p.channel for p in calm.deliveries} == {"email:alice@example.com", "tag:legal"}
    last = plan_target(target(), DUE - timedelta(days=1), {}, POLICY)
    assert {p.channel for p in last.deliveries} == {
        "email:alice@example.com", "tag:legal", "email:bob@example.com", "tag:escalation",
    }
    assert all(p.stage.escalate for p in last.deliveries)
    overdue = plan_target(target(kind="invoice", derived=False, tags=()), DUE + timedelta(days=3), {}, POLICY)
    assert {p.channel for p in overdue.deliveries} == {
        "email:alice@example.com", "tag:default", "email:bob@example.com", "tag:escalation",
    }


def test_acknowledged_occurrences_get_no_reminders_but_a_breach_is_alerted_once() -> None:
    assert plan_target(target(acked=True), DUE, {}, POLICY).deliveries == []
    breach = target(kind="model_change", derived=False, leads=(), breach="short notice")
    first = plan_target(breach, DUE - timedelta(days=40), {}, POLICY)
    assert {p.stage.name for p in first.deliveries} == {"breach"}
    recorded = {p.channel: {"breach"} for p in first.deliveries}
    assert plan_target(breach, DUE - timedelta(days=39), recorded, POLICY).deliveries == []


def test_next_stage_day_is_where_the_next_pass_has_work() -> None:
    assert next_stage_on(target(), date(2026, 9, 1), POLICY) == date(2026, 9, 25)
    assert next_stage_on(target(), date(2026, 11, 24), POLICY) == date(2026, 12, 10)
    assert next_stage_on(target(), DUE, POLICY) is None
    entered = target(derived=False, kind="payment")
    assert next_stage_on(entered, DUE, POLICY) == DUE + timedelta(days=1)
    assert next_stage_on(entered, DUE + timedelta(days=1), POLICY) == DUE + timedelta(days=8)
    assert next_stage_on(target(acked=True), date(2026, 9, 1), POLICY) is None


def test_stage_rank_orders_leads_before_overdue() -> None:
    names = ["overdue:2", "lead:0", "lead:90", "overdue:1", "lead:7"]
    assert sorted(names, key=lambda n: stage_rank(n) or 0) == ["lead:90", "lead:7", "lead:0", "overdue:1", "overdue:2"]
    assert stage_rank("invite:3") is None


# --- one reminder per obligation and channel in a pass (issue 11) ------------------------------------


def _channels_of(plan_deliveries: list[object]) -> list[tuple[str, str, str]]:
    return [(p.target.occurrence, p.stage.name, p.channel) for p in plan_deliveries]  # type: ignore[attr-defined]


def test_a_recurrence_a_year_overdue_gets_one_reminder_per_channel_for_the_latest_overdue_occurrence() -> None:
    from tracker.domain.reminders import plan_obligation

    today = date(2026, 11, 21)
    days = [today - timedelta(days=n) for n in range(365, 0, -1)] + [today]
    targets = [target(occurrence=d.isoformat(), due=d, kind="invoice", derived=False, leads=(0,), tags=())
               for d in days]
    plan = plan_obligation(targets, today, {}, POLICY)
    chosen = {occurrence for occurrence, _, _ in _channels_of(plan.deliveries)}
    assert chosen == {"2026-11-20"}  # overdue first: the most recent overdue occurrence, not all 365
    assert sorted(channel for *_, channel in _channels_of(plan.deliveries)) == [
        "email:alice@example.com", "email:bob@example.com", "tag:default", "tag:escalation"]


def test_several_deadlines_in_the_lead_window_send_only_the_nearest() -> None:
    from tracker.domain.reminders import plan_obligation

    today = date(2026, 11, 21)
    monthly = [target(occurrence=f"T{n}", due=due) for n, due in
               ((5, date(2026, 12, 11)), (6, date(2027, 1, 11)), (7, date(2027, 2, 11)))]
    plan = plan_obligation(list(reversed(monthly)), today, {}, POLICY)
    assert {occurrence for occurrence, _, _ in _channels_of(plan.deliveries)} == {"T5"}
    # Once the nearest is acknowledged (or its stage was recorded), the next one is the most urgent.
    acked = [target(occurrence="T5", due=date(2026, 12, 11), acked=True), *monthly[1:]]
    assert {o for o, _, _ in _channels_of(plan_obligation(acked, today, {}, POLICY).deliveries)} == {"T6"}
    recorded = {"T5": {"email:alice@example.com": {"lead:30"}, "tag:legal": {"lead:30"}}}
    assert plan_obligation(monthly, today, recorded, POLICY).deliveries == []
    assert plan_obligation(monthly, today, recorded, POLICY).next_on == date(2026, 11, 27)  # T5's lead:14


def test_a_breach_is_alerted_even_when_another_occurrence_is_reminded() -> None:
    from tracker.domain.reminders import plan_obligation

    today = date(2026, 11, 21)
    targets = [target(occurrence="T5", due=date(2027, 6, 1), breach="10 days' notice"),
               target(occurrence="T4", due=date(2026, 12, 1))]
    stages = {(o, s) for o, s, _ in _channels_of(plan_obligation(targets, today, {}, POLICY).deliveries)}
    assert stages == {("T5", "breach"), ("T4", "lead:14")}


@pytest.mark.parametrize("every", [
    Duration(1, "days"), Duration(7, "days"), Duration(2, "weeks"), Duration(1, "months"), Duration(1, "years"),
])
def test_overdue_stages_counted_in_one_step_agree_with_walking_them(every: Duration) -> None:
    from tracker.domain.reminders import overdue_on, overdue_reached

    due = date(2025, 1, 31)
    for today in (due, due + timedelta(days=1), due + timedelta(days=2), date(2025, 3, 1), date(2026, 11, 21)):
        walked = 0
        while overdue_on(due, walked + 1, every) <= today:
            walked += 1
        assert overdue_reached(due, today, every) == walked
    # A daily stage on each of the 46,345 days since 1900-01-02, counted without walking them.
    assert overdue_reached(date(1900, 1, 1), date(2026, 11, 21), Duration(1, "days")) == 46_345
