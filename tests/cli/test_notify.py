"""`tracker notify` end to end, with a real SMTP server and a real HTTP server on loopback (both engines).

The sample contract acme-ai-support has its notice deadline on 2026-12-24 (default leads 90/30/14/7/1/0),
routes to the `legal` tag, and escalates to bob@example.com and the `escalation` tag at the last stages.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from tests.conftest import SAMPLE_CSV, SAMPLE_YAML, Tracker
from tests.helpers_servers import HTTPServer, SMTPServer, write_config

ACME_SUBJECT = "Notice deadline – Acme AI, AI support agent platform (2026-12-24)"


@pytest.fixture
def alerting(tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer) -> Tracker:
    """The sample ledger, imported, with email and every sample tag pointed at the loopback servers."""
    tracker.ok("import", str(SAMPLE_YAML))
    tracker.ok("import", str(SAMPLE_CSV))
    tracker.config = write_config(tmp_path, smtp, http)
    return tracker


def acme_only(tracker: Tracker, tmp_path: Path, today: str) -> None:
    """Import only acme-ai-support from the sample data, as of ``today``."""
    doc = yaml.safe_load(SAMPLE_YAML.read_text(encoding="utf-8"))
    doc["contracts"] = [c for c in doc["contracts"] if c["key"] == "acme-ai-support"]
    path = tmp_path / "acme.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    tracker.ok("import", str(path), today=today)


def test_a_pass_delivers_reminders_by_email_and_chat_and_a_second_pass_sends_nothing(
    alerting: Tracker, smtp: SMTPServer, http: HTTPServer,
) -> None:
    first = alerting.json("notify")
    assert first["failed"] == [] and first["dead"] == [] and len(first["sent"]) == len(first["created"]) > 20
    # Alice's notice-deadline reminder: 33 days ahead on 2026-11-21, so the lead:90 stage (catch-up: once).
    notice = [m for m in smtp.to("alice@example.com") if m.subject == f"Due in 33 days: {ACME_SUBJECT}"]
    assert len(notice) == 1
    text = notice[0].part("text/plain")
    html = notice[0].part("text/html")
    assert text is not None and html is not None
    assert ("If no notice is sent by 2026-12-24, the contract renews on 2027-03-26 for 12 months at USD 120,000.00."
            in text)
    assert "tracker notice acme-ai-support --sent-on 2026-11-21" in text
    assert "tracker ack acme-ai-support/notice_deadline@T2" in html
    # The same reminder in Slack-style Markdown on the contract's `legal` tag.
    legal = [p for p in http.at("legal") if p["title"] == f"Due in 33 days: {ACME_SUBJECT}"]
    assert len(legal) == 1
    assert "- **Due:** 2026-12-24 (in 33 days)" in legal[0]["message"]
    assert "`tracker notice acme-ai-support --sent-on 2026-11-21`" in legal[0]["message"]
    # Overdue occurrences escalate to the backup owner and the escalation tag.
    overdue = [m for m in smtp.to("carol@example.com") if m.subject.startswith("OVERDUE by 22 days: Payment")]
    assert len(overdue) == 1 and "Escalation: still open and overdue" in (overdue[0].part("text/plain") or "")
    assert any("OVERDUE by 22 days" in p["title"] for p in http.at("escalation"))
    mails, posts = len(smtp.mails), len(http.posts)
    assert mails + posts == len(first["sent"])

    second = alerting.json("notify")
    assert second["created"] == [] and second["sent"] == []
    assert (len(smtp.mails), len(http.posts)) == (mails, posts)
    history = alerting.json("history", "acme-ai-support")
    sent = [e for e in history if e["kind"] == "alert_sent" and e["payload"]["stage"] == "lead:90"]
    assert {e["payload"]["channel"] for e in sent} >= {"email:alice@example.com", "tag:legal"}


def test_walking_day_by_day_through_the_notice_window_delivers_each_stage_once_in_order(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-09-20")
    tracker.config = write_config(tmp_path, smtp, http)
    day = date(2026, 9, 20)
    arrivals: list[tuple[str, str]] = []
    while day <= date(2026, 12, 27):
        seen = len(http.posts)
        assert tracker(*["notify"], today=day.isoformat()).exit_code == 0
        arrivals += [(day.isoformat(), p.body["title"]) for p in http.posts[seen:] if p.path == "/legal"
                     and ACME_SUBJECT in p.body["title"]]
        day += timedelta(days=1)
    assert arrivals == [
        ("2026-09-25", f"Due in 90 days: {ACME_SUBJECT}"),
        ("2026-11-24", f"Due in 30 days: {ACME_SUBJECT}"),
        ("2026-12-10", f"Due in 14 days: {ACME_SUBJECT}"),
        ("2026-12-17", f"Due in 7 days: {ACME_SUBJECT}"),
        ("2026-12-23", f"Due tomorrow: {ACME_SUBJECT}"),
        ("2026-12-24", f"Due today: {ACME_SUBJECT}"),
    ]
    alice = [m.subject for m in smtp.to("alice@example.com") if ACME_SUBJECT in m.subject and not m.attachments()]
    assert alice == [title for _, title in arrivals]
    # Only the last two stages escalate, to the backup owner and the escalation tag.
    assert [m.subject for m in smtp.to("bob@example.com") if ACME_SUBJECT in m.subject] == [
        arrivals[4][1], arrivals[5][1]]
    assert [p["title"] for p in http.at("escalation") if ACME_SUBJECT in p["title"]] == [
        arrivals[4][1], arrivals[5][1]]
    # The owner got one calendar invite for the deadline, on the first pass, with the feed's UID.
    invites = [m for m in smtp.to("alice@example.com") if m.attachments()]
    # ... and, once that deadline passed, one for the next term's deadline.
    assert [m.subject for m in invites] == [ACME_SUBJECT, ACME_SUBJECT.replace("2026-12-24", "2027-12-23")]
    ics = invites[0].attachments()["invite.ics"].decode().replace("\r\n ", "")  # unfolded
    assert "METHOD:REQUEST" in ics and "UID:acme-ai-support/notice_deadline/T2@tracker" in ics
    assert "SEQUENCE:1" in ics and "ORGANIZER" in ics and "mailto:alice@example.com" in ics
    assert "DTSTART;VALUE=DATE:20261224" in ics


def test_invites_are_updated_when_the_deadline_changes_and_cancelled_when_settled(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-09-01")
    tracker.config = write_config(tmp_path, smtp, http)
    tracker.ok("notify", today="2026-09-01")
    tracker.ok("edit", "acme-ai-support", "--notice", "60 days", today="2026-09-02")
    tracker.ok("notify", today="2026-09-02")
    tracker.ok("notice", "acme-ai-support", "--sent-on", "2026-09-03", today="2026-09-03")
    tracker.ok("notify", today="2026-09-03")
    tracker.ok("notify", today="2026-09-04")
    invites = [m for m in smtp.to("alice@example.com") if m.attachments() and "Notice deadline" in m.subject]
    calendars = [m.attachments()["invite.ics"].decode() for m in invites]
    assert [("METHOD:CANCEL" in c, "SEQUENCE:" + c.split("SEQUENCE:")[1][:1]) for c in calendars] == [
        (False, "SEQUENCE:1"), (False, "SEQUENCE:2"), (True, "SEQUENCE:3"),
    ]
    # 60 days before 2027-03-25 is Sunday 2027-01-24: the deadline rolls back to Friday 2027-01-22.
    assert "DTSTART;VALUE=DATE:20261224" in calendars[0]
    assert "DTSTART;VALUE=DATE:20270122" in calendars[1] and "DTSTART;VALUE=DATE:20270122" in calendars[2]
    assert invites[1].subject.startswith("Updated: ") and invites[2].subject.startswith("Cancelled: ")
    assert len({c.split("UID:")[1].split()[0] for c in calendars}) == 1
    kinds = [e["kind"] for e in tracker.json("history", "acme-ai-support")]
    assert kinds.count("invite_sent") >= 3


def test_the_first_invite_a_person_receives_never_says_updated(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-09-01")
    tracker.ok("edit", "acme-ai-support", "--notice", "60 days", today="2026-09-01")  # revision 2, nothing sent yet
    tracker.config = write_config(tmp_path, smtp, http)
    tracker.ok("notify", today="2026-09-02")
    invites = [m for m in smtp.to("alice@example.com") if m.attachments() and "Notice deadline" in m.subject]
    assert len(invites) == 1 and not invites[0].subject.startswith("Updated: ")
    assert "A deadline for your calendar" in (invites[0].part("text/html") or invites[0].part("text/plain") or "")
    assert "SEQUENCE:2" in invites[0].attachments()["invite.ics"].decode()  # the calendar still sees revision 2


def test_a_failing_channel_is_retried_on_the_next_pass_without_holding_back_the_others(
    alerting: Tracker, smtp: SMTPServer, http: HTTPServer,
) -> None:
    http.modes["/legal"] = "500"
    result = alerting("notify")
    assert result.exit_code == 1
    assert "failed" in result.stderr and "tag:legal" in result.stderr
    assert smtp.to("alice@example.com") and http.at("procurement")  # the others were delivered
    failed = alerting.json("deliveries", "--status", "failed", "--limit", "500")
    assert failed and {row["channel"] for row in failed} == {"tag:legal"}
    assert all("500" in (row["last_error"] or "") or "error" in (row["last_error"] or "").lower() for row in failed)
    assert "alert_failed" in [e["kind"] for e in alerting.json("history", "acme-ai-support")]
    # Same day, still failing: backoff keeps it waiting; the next day the channel has recovered.
    http.modes.clear()
    assert alerting("notify").exit_code == 0
    assert http.at("legal") == []
    assert alerting("notify", today="2026-11-22").exit_code == 0
    titles = [p["title"] for p in http.at("legal")]
    assert titles.count(f"Due in 33 days: {ACME_SUBJECT}") == 1
    assert len(titles) == len(set(titles)) == len(failed)
    assert alerting.json("deliveries", "--status", "failed") == []


def test_a_channel_that_times_out_fails_the_pass_and_recovers(
    alerting: Tracker, smtp: SMTPServer, http: HTTPServer,
) -> None:
    http.modes["/engineering"] = "hang"
    http.hang_seconds = 2.5
    result = alerting("notify")
    assert result.exit_code == 1 and "tag:engineering" in result.stderr
    assert smtp.mails and http.at("legal")
    http.modes.clear()
    assert alerting("notify", today="2026-11-22").exit_code == 0
    titles = [p["title"] for p in http.at("engineering")]
    assert titles and len(titles) == len(set(titles))


def test_deliveries_that_keep_failing_go_dead_and_are_reported(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-11-21")
    tracker.config = write_config(tmp_path, smtp, http, extra="max_attempts = 2\n")
    http.modes["/legal"] = "500"
    assert tracker("notify").exit_code == 1
    result = tracker("notify", today="2026-11-22")
    assert result.exit_code == 1 and "gave up on delivery" in result.stderr
    dead = tracker.json("deliveries", "--status", "dead")
    assert dead and dead[0]["attempts"] == 2 and dead[0]["channel"] == "tag:legal"
    assert "alert_dead" in [e["kind"] for e in tracker.json("history", "acme-ai-support")]
    http.modes.clear()
    assert tracker("notify", today="2026-11-23").exit_code == 0
    assert http.at("legal") == []  # dead rows are not retried


def test_dry_run_prints_the_messages_and_writes_nothing(alerting: Tracker, smtp: SMTPServer, http: HTTPServer) -> None:
    before = alerting.json("history", "acme-ai-support")
    out = alerting.ok("notify", "--dry-run")
    assert f"Subject: Due in 33 days: {ACME_SUBJECT}" in out
    assert "If no notice is sent by 2026-12-24, the contract renews on 2027-03-26" in out
    assert "dry run: nothing was written or sent" in out
    planned = alerting.json("notify", "--dry-run")["planned"]
    assert {"obligation": "acme-ai-support/notice_deadline@T2", "channel": "tag:legal", "stage": "lead:90"}.items() \
        <= next(p for p in planned if p["channel"] == "tag:legal" and p["stage"] == "lead:90"
                and p["obligation"].startswith("acme-ai-support/notice")).items()
    assert smtp.mails == [] and http.posts == []
    assert alerting.json("deliveries") == []
    assert alerting.json("history", "acme-ai-support") == before


def test_acknowledged_reminders_stop_until_the_obligation_changes(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-11-24")
    tracker.config = write_config(tmp_path, smtp, http)
    tracker.ok("notify", today="2026-11-24")
    tracker.ok("ack", "acme-ai-support/notice_deadline@T2", today="2026-11-25")
    for day in ("2026-12-10", "2026-12-17", "2026-12-24"):
        tracker.ok("notify", today=day)
    assert [p["title"] for p in http.at("legal") if ACME_SUBJECT in p["title"]] == [f"Due in 30 days: {ACME_SUBJECT}"]


def test_a_model_change_notice_breach_is_alerted_at_the_next_pass(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-11-21")
    tracker.config = write_config(tmp_path, smtp, http)
    tracker.ok("model-change", "acme-ai-support", "--announced", "2026-11-21", "--effective", "2026-12-01")
    tracker.ok("notify")
    breach = [p for p in http.at("legal") if p["title"].startswith("Breach:")]
    assert len(breach) == 1
    assert "10 days' notice where the contract promises 30 days" in breach[0]["message"]
    assert [p["title"] for p in http.at("escalation")].count(breach[0]["title"]) == 1
    assert any(m.subject.startswith("Breach: Acme AI") for m in smtp.to("bob@example.com"))
    tracker.ok("notify", today="2026-11-22")
    assert len([p for p in http.posts if p.body["title"].startswith("Breach:")]) == 2  # legal and escalation, once


def test_deliveries_lists_recent_rows_as_table_and_json(alerting: Tracker) -> None:
    alerting.ok("notify")
    rows = alerting.json("deliveries", "--limit", "5")
    assert len(rows) == 5 and rows[0]["id"] > rows[-1]["id"]
    assert set(rows[0]) >= {"id", "obligation", "stage", "channel", "status", "attempts", "last_error", "sent_at"}
    assert {r["status"] for r in rows} == {"sent"}
    table = alerting.ok("deliveries", "--limit", "3")
    assert "Status" in table and "sent" in table
    assert alerting("deliveries", "--status", "lost").exit_code == 2


def test_notify_without_channels_prints_a_hint(tracker: Tracker) -> None:
    tracker.ok("import", str(SAMPLE_YAML))
    out = tracker.ok("notify")
    assert "No channels configured" in out and "[email] url" in out
    assert tracker.json("deliveries") == []


def test_email_only_skips_tag_channels_and_reports_them(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-11-21")
    tracker.config = write_config(tmp_path, smtp, None)
    report = json.loads(tracker.ok("notify", "--format", "json"))
    assert report["failed"] == [] and report["sent"]
    assert any("no Apprise configuration" in reason for reason in report["skipped"])
    assert {row["channel"].split(":")[0] for row in tracker.json("deliveries")} == {"email"}


def test_counted_obligations_show_progress_and_the_command_that_counts(
    alerting: Tracker, smtp: SMTPServer, http: HTTPServer,
) -> None:
    alerting.ok("obligation", "record", "globex-crm/1", "--count", "1", "--on", "2026-12-01", today="2026-12-01")
    alerting.ok("notify", today="2026-12-16")
    training = [p for p in http.at("procurement") if "On-site training" in p["message"]]
    assert len(training) == 1
    assert training[0]["title"].startswith("Due in 30 days: Training – Globex CRM")
    assert "**Progress:** 1 of 3 delivered" in training[0]["message"]
    assert "`tracker obligation record globex-crm/1 --count 1`" in training[0]["message"]
    mail = [m for m in smtp.to("carol@example.com") if "Training" in m.subject]
    assert len(mail) == 1 and "Progress: 1 of 3 delivered" in (mail[0].part("text/plain") or "")


def test_a_stale_failed_reminder_is_superseded_by_the_next_stage(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-11-23")
    tracker.config = write_config(tmp_path, smtp, http)
    http.modes["/legal"] = "500"
    assert tracker("notify", today="2026-11-23").exit_code == 1  # lead:90 fails on the legal channel
    http.modes.clear()
    tracker.ok("notify", today="2026-11-24")  # lead:30 is reached: "in 31 days" would be stale news
    assert [p["title"] for p in http.at("legal")] == [f"Due in 30 days: {ACME_SUBJECT}"]
    stale = tracker.json("deliveries", "--status", "superseded")
    assert [(r["stage"], r["channel"]) for r in stale] == [("lead:90", "tag:legal")]


def _beta(tracker: Tracker, today: str, *extra: str) -> None:
    """A small contract `beta` (owner dana, routed to `legal`) entered on ``today``."""
    tracker.ok("add", "--key", "beta", "--title", "Beta platform", "--vendor", "Beta Inc", "--owner",
               "dana@example.com", "--start", "2026-01-01", "--term", "24 months", "--no-auto-renew",
               "--notify", "legal", *extra, today=today)


@pytest.mark.parametrize("settle", [("obligation", "done", "beta/1"), ("archive", "beta")],
                         ids=["settled", "archived"])
def test_a_queued_retry_is_dropped_once_the_obligation_is_settled_or_the_contract_archived(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer, settle: tuple[str, ...],
) -> None:
    _beta(tracker, "2026-11-01")
    tracker.ok("obligation", "add", "beta", "--kind", "payment", "--title", "Setup fee", "--due", "2026-11-10",
               "--lead", "7", today="2026-11-01")
    tracker.config = write_config(tmp_path, smtp, http)
    http.modes["/legal"] = "500"
    assert tracker("notify").exit_code == 1  # the overdue reminder fails on the legal channel
    failed = tracker.json("deliveries", "--status", "failed")
    assert [(r["obligation"], r["channel"]) for r in failed] == [("beta/1", "tag:legal")]
    tracker.ok(*settle)
    http.modes.clear()
    report = tracker.json("notify", today="2026-11-22")
    assert report["failed"] == [] and report["dead"] == []
    assert not [p for p in http.at("legal") if "Setup fee" in p["message"]]
    assert [(r["id"], r["stage"]) for r in report["superseded"]] == [(failed[0]["id"], failed[0]["stage"])]
    dropped = tracker.json("deliveries", "--status", "superseded")
    assert [r["id"] for r in dropped] == [failed[0]["id"]]
    assert "before it could be sent" in dropped[0]["last_error"]
    sent = [e for e in tracker.json("history", "beta") if e["kind"] == "alert_sent"]
    assert failed[0]["id"] not in [e["payload"]["delivery"] for e in sent]
    table = tracker.ok("deliveries", "--status", "superseded")
    assert "superseded" in table and "before it could be sent" in " ".join(table.split())


def test_a_queued_retry_is_dropped_once_the_occurrence_is_acknowledged(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(tracker, tmp_path, "2026-11-21")
    tracker.config = write_config(tmp_path, smtp, http)
    http.modes["/legal"] = "500"
    assert tracker("notify").exit_code == 1
    tracker.ok("ack", "acme-ai-support/notice_deadline@T2")
    http.modes.clear()
    assert tracker("notify", today="2026-11-22").exit_code == 0
    assert [p for p in http.at("legal") if ACME_SUBJECT in p["title"]] == []
    dropped = tracker.json("deliveries", "--status", "superseded")
    assert [(r["stage"], r["channel"]) for r in dropped] == [("lead:90", "tag:legal")]
    assert "acknowledged" in dropped[0]["last_error"]


def test_a_model_change_breach_far_ahead_is_alerted_at_the_next_pass_and_leads_keep_their_schedule(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    _beta(tracker, "2026-10-01", "--model-change-notice", "120 days")
    out = tracker.ok("model-change", "beta", "--announced", "2026-11-01", "--effective", "2027-02-15",
                     today="2026-11-01")
    assert "106 days' notice" in out and "promises 120 days" in out
    planned = tracker.json("notify", "--dry-run", today="2026-11-01")["planned"]
    assert {(p["kind"], p["channel"]) for p in planned if p["stage"] == "breach"} == {
        ("breach", "email:dana@example.com"), ("breach", "tag:legal"), ("breach", "tag:escalation"),
    }
    tracker.config = write_config(tmp_path, smtp, http)
    day, titles = date(2026, 11, 1), []
    while day <= date(2026, 11, 20):
        seen = len(http.posts)
        assert tracker("notify", today=day.isoformat()).exit_code == 0
        titles += [(day.isoformat(), p.body["title"].split(":")[0]) for p in http.posts[seen:]
                   if p.path == "/legal"]
        day += timedelta(days=1)
    # The breach at the first pass, once; the model change's lead:90 reminder on 2027-02-15 − 90 days.
    assert titles == [("2026-11-01", "Breach"), ("2026-11-17", "Due in 90 days")]
