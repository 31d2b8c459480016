"""Issue 11, hardening the reminders: mistyped tags, bursts, sub-daily rules, slow channels, leases, chat injection.

Each test drives `tracker` as a user would and checks what a user would notice: the messages the loopback
SMTP and HTTP servers received, `tracker deliveries`, exit codes and error messages.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.test_notify import ACME_SUBJECT, acme_only
from tests.conftest import REPO, SAMPLE_CSV, SAMPLE_YAML, Tracker
from tests.helpers_servers import HTTPServer, SMTPServer, write_config


def _apprise(folder: Path, http: HTTPServer, tags: dict[str, str], query: str = "") -> Path:
    """An apprise.yml routing each tag to an HTTP path on ``http`` (no cto/rto unless ``query`` sets them)."""
    entries = "\n".join(f'  - "json://127.0.0.1:{http.port}/{path}{query}":\n      - tag: {tag}'
                        for tag, path in tags.items())
    (folder / "apprise.yml").write_text(f"urls:\n{entries}\n", encoding="utf-8")
    return folder / "apprise.yml"


def _settings(folder: Path, smtp: SMTPServer | None, extra: str = "") -> Path:
    """tracker.toml using ``folder``/apprise.yml (and ``smtp`` for e-mail)."""
    lines = ["[email]", f'url = "{smtp.url()}"'] if smtp is not None else []
    lines += ["[alerts]", 'apprise_config = "apprise.yml"', extra]
    (folder / "tracker.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder / "tracker.toml"


def _contract(tracker: Tracker, key: str, today: str, *extra: str) -> None:
    """A two-year contract ``key`` (owner dana, backup erin) that does not renew, entered on ``today``."""
    tracker.ok("add", "--key", key, "--title", f"{key} platform", "--vendor", "Beta Inc", "--owner",
               "dana@example.com", "--backup-owner", "erin@example.com", "--start", "2026-01-01", "--term",
               "24 months", "--no-auto-renew", *extra, today=today)


# --- 1. a mistyped notify tag ----------------------------------------------------------------------


def test_a_tag_the_channel_configuration_does_not_define_is_rejected_at_entry(
    tracker: Tracker, tmp_path: Path, http: HTTPServer,
) -> None:
    _apprise(tmp_path, http, {"legal": "legal", "procurement": "procurement"})
    tracker.config = _settings(tmp_path, None)
    result = tracker("add", "--key", "beta", "--title", "Beta", "--vendor", "Beta Inc", "--owner", "d@example.com",
                     "--start", "2026-01-01", "--term", "12 months", "--no-auto-renew", "--notify", "legall")
    assert result.exit_code == 2
    assert "contract beta: notify: 'legall' is invalid" in result.stderr
    assert "defined tags: legal, procurement" in result.stderr
    doc = yaml.safe_load(SAMPLE_YAML.read_text(encoding="utf-8"))
    doc["contracts"][0]["notify"] = ["legal", "finance"]
    (tmp_path / "typo.yaml").write_text(yaml.safe_dump(doc), encoding="utf-8")
    result = tracker("import", str(tmp_path / "typo.yaml"))
    assert result.exit_code == 2 and "notify: 'finance' is invalid" in result.stderr
    assert tracker.json("list") == []  # nothing was written
    # The implicit tags are always allowed; an edit to a defined tag works, a typo does not.
    _contract(tracker, "beta", "2026-11-21", "--notify", "default", "--notify", "escalation", "--notify", "legal")
    result = tracker("edit", "beta", "--notify", "procurment")
    assert result.exit_code == 2 and "'procurment' is invalid" in result.stderr and "procurement" in result.stderr
    tracker.ok("edit", "beta", "--notify", "procurement")
    # Without a channel configuration any tag is accepted: channels may be set up later.
    tracker.config = None
    _contract(tracker, "gamma", "2026-11-21", "--notify", "anything")


def test_a_mistyped_tag_fails_only_that_contracts_deliveries_and_the_pass_goes_on(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    tracker.ok("import", str(SAMPLE_YAML))
    tracker.ok("import", str(SAMPLE_CSV))
    # The configuration lost the `legal` tag that acme-ai-support routes to (say, renamed).
    tracker.config = write_config(tmp_path, smtp, http, paths={
        "procurement": "procurement", "engineering": "engineering", "default": "default", "escalation": "escalation",
    }, extra="max_attempts = 2\n")
    result = tracker("notify")
    assert result.exit_code == 1
    assert http.at("procurement") and http.at("engineering")  # other contracts' reminders went out
    notice = [m for m in smtp.to("alice@example.com") if m.subject == f"Due in 33 days: {ACME_SUBJECT}"]
    assert len(notice) == 1  # and so did acme's own e-mail
    failed = tracker.json("deliveries", "--status", "failed", "--limit", "500")
    assert failed and {row["channel"] for row in failed} == {"tag:legal"}
    assert all(row["last_error"].startswith("no Apprise URL tagged 'legal' in ") for row in failed)
    assert "defined tags: default, engineering, escalation, procurement" in failed[0]["last_error"]
    assert "tag:legal" in result.stderr
    # The retry fails again and gives up: the row is dead, and reported.
    result = tracker("notify", today="2026-11-22")
    assert result.exit_code == 1 and "gave up on delivery" in result.stderr
    dead = tracker.json("deliveries", "--status", "dead", "--limit", "500")
    assert {row["id"] for row in dead} >= {row["id"] for row in failed}


@pytest.mark.slow
def test_run_keeps_looping_past_a_mistyped_tag(sqlite_tracker: Tracker, tmp_path: Path, http: HTTPServer) -> None:
    acme_only(sqlite_tracker, tmp_path, "2026-11-21")
    sqlite_tracker.config = write_config(tmp_path, None, http, paths={"procurement": "procurement"})
    command = [sys.executable, "-m", "tracker", "--db", sqlite_tracker.db_url, "--config",
               str(sqlite_tracker.config), "--today", "2026-11-21", "run", "--interval", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    time.sleep(6)  # several passes at one a second
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    passes = int(out.split("stopped after ")[1].split(" ")[0])
    assert passes >= 2, out
    assert "no Apprise URL tagged 'legal'" in err


# --- 2. bursts -------------------------------------------------------------------------------------


def _mentions(http: HTTPServer, path: str, text: str) -> list[str]:
    return [p["title"] for p in http.at(path) if text in p["message"]]


def test_a_daily_rule_that_started_a_year_ago_sends_one_reminder_per_channel_not_365(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    _contract(tracker, "beta", "2025-11-01", "--notify", "legal")
    tracker.ok("obligation", "add", "beta", "--kind", "custom", "--title", "Daily log review", "--every", "FREQ=DAILY",
               "--start", "2025-11-21", "--lead", "0", "--roll", "none", today="2025-11-21")
    tracker.config = write_config(tmp_path, smtp, http)
    report = tracker.json("notify")
    assert report["failed"] == []
    assert _mentions(http, "legal", "Daily log review") == ["OVERDUE by 1 day: Deadline – Beta Inc, beta platform "
                                                           "(2026-11-20)"]
    assert len(_mentions(http, "escalation", "Daily log review")) == 1
    assert len([m for m in smtp.to("dana@example.com") if "Daily log review" in (m.part("text/plain") or "")]) == 1
    assert sorted(c["channel"] for c in report["created"] if c["obligation"].startswith("beta/1@")) == [
        "email:dana@example.com", "email:erin@example.com", "tag:escalation", "tag:legal"]
    # The next day: one more per channel, about the occurrence that is now the latest overdue one.
    tracker.ok("notify", today="2026-11-22")
    assert [t.split(": ")[0] for t in _mentions(http, "legal", "Daily log review")] == [
        "OVERDUE by 1 day", "OVERDUE by 1 day"]


def test_a_channel_down_for_days_gets_the_latest_reminder_not_every_retry_at_once(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    _contract(tracker, "beta", "2025-11-01", "--notify", "legal")
    tracker.ok("obligation", "add", "beta", "--kind", "custom", "--title", "Daily log review", "--every", "FREQ=DAILY",
               "--start", "2026-11-01", "--lead", "0", "--roll", "none", today="2026-11-01")
    tracker.config = write_config(tmp_path, smtp, http)
    http.modes["/legal"] = "500"
    for day in ("2026-11-21", "2026-11-22", "2026-11-23"):
        assert tracker("notify", today=day).exit_code == 1
    http.modes.clear()
    tracker.ok("notify", today="2026-11-24")
    assert _mentions(http, "legal", "Daily log review") == [
        "OVERDUE by 1 day: Deadline – Beta Inc, beta platform (2026-11-23)"]
    stale = [r for r in tracker.json("deliveries", "--status", "superseded", "--limit", "100")
             if r["channel"] == "tag:legal"]
    assert len(stale) == 3 and all("newer reminder" in r["last_error"] for r in stale)


def test_a_daily_rule_from_1900_plans_one_reminder_per_channel(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    tracker.ok("add", "--key", "old", "--title", "Old lease", "--vendor", "Ancient Ltd", "--owner", "dana@example.com",
               "--start", "1900-01-01", "--end", "2199-12-31", "--no-auto-renew", "--notify", "legal")
    tracker.ok("obligation", "add", "old", "--kind", "custom", "--title", "Check the meter", "--every", "FREQ=DAILY",
               "--start", "1900-01-01")
    tracker.config = write_config(tmp_path, smtp, http)
    began = time.monotonic()
    report = tracker.json("notify")
    seconds = time.monotonic() - began
    reminders = [c for c in report["created"] if "Check the meter" in c["body"]]
    assert sorted(c["channel"] for c in reminders) == ["email:dana@example.com", "tag:escalation", "tag:legal"]
    assert {c["due"] for c in reminders} == {"2026-11-20"}
    assert len(_mentions(http, "legal", "Check the meter")) == 1
    assert seconds < 60, f"a pass took {seconds:.1f} s"  # generous: a pass over 46,000 dates would not finish


def test_a_monthly_contract_with_long_notice_sends_one_notice_reminder_per_pass(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    tracker.ok("add", "--key", "monthly", "--title", "Chat seats", "--vendor", "Seatly", "--owner", "dana@example.com",
               "--start", "2026-01-01", "--term", "1 month", "--auto-renew", "--notice", "20 days", "--notify",
               "legal", today="2026-11-01")
    tracker.config = write_config(tmp_path, smtp, http)
    day, per_pass, dues = date(2026, 11, 21), [], set()
    while day <= date(2027, 1, 15):
        seen = len(http.posts)
        assert tracker("notify", today=day.isoformat()).exit_code == 0
        titles = [p.body["title"] for p in http.posts[seen:]
                  if p.path == "/legal" and "Notice deadline" in p.body["title"]]
        per_pass.append(len(titles))
        dues |= {t.rsplit("(", 1)[1].rstrip(")") for t in titles}
        day += timedelta(days=1)
    assert max(per_pass) == 1, per_pass  # three deadlines sit inside the 90-day lead window: one at a time
    # Each monthly deadline still gets its reminders, nearest first.
    assert sorted(dues) == ["2026-12-11", "2027-01-11"], dues
    first = next(p["title"] for p in http.at("legal"))
    assert first == "Due in 20 days: Notice deadline – Seatly, Chat seats (2026-12-11)"


# --- 3. sub-daily rules ----------------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["FREQ=DAILY;BYHOUR=9,17", "FREQ=DAILY;BYHOUR=9;BYMINUTE=0,30;BYSECOND=0"])
def test_a_rule_with_times_of_day_is_rejected_naming_every(tracker: Tracker, rule: str) -> None:
    _contract(tracker, "beta", "2026-11-21")
    result = tracker("obligation", "add", "beta", "--kind", "custom", "--title", "Twice a day", "--every", rule,
                     "--start", "2026-11-01")
    assert result.exit_code == 2
    assert f"every: {rule!r} is invalid" in result.stderr and "at most one occurrence a day" in result.stderr
    assert [o for o in tracker.json("show", "beta")["obligations"] if o["title"] == "Twice a day"] == []


# --- 4. slow channels ------------------------------------------------------------------------------


def test_a_channel_that_answers_after_four_seconds_is_sent_once_and_marked_sent(
    sqlite_tracker: Tracker, tmp_path: Path, http: HTTPServer,
) -> None:
    acme_only(sqlite_tracker, tmp_path, "2026-11-21")
    _apprise(tmp_path, http, {"legal": "slow"})
    sqlite_tracker.config = _settings(tmp_path, None)
    http.modes["/slow"] = "hang"  # takes the message, answers 200 after 5 s (past Apprise's own 4 s)
    http.hang_seconds = 5
    report = sqlite_tracker.json("notify")
    assert report["failed"] == [] and [r["channel"] for r in report["sent"]] == ["tag:legal"]
    sqlite_tracker.ok("notify", today="2026-11-22")
    sqlite_tracker.ok("notify", today="2026-11-25")
    assert http.arrived.count("/slow") == 2  # lead:90 on the 21st and lead:30 on the 25th, each once
    assert {r["status"] for r in sqlite_tracker.json("deliveries")} == {"sent"}


def test_alerts_timeout_is_the_limit_a_channel_gets(sqlite_tracker: Tracker, tmp_path: Path, http: HTTPServer) -> None:
    acme_only(sqlite_tracker, tmp_path, "2026-11-21")
    _apprise(tmp_path, http, {"legal": "slow"})
    sqlite_tracker.config = _settings(tmp_path, None, "timeout = 1")
    http.modes["/slow"] = "hang"
    http.hang_seconds = 3
    result = sqlite_tracker("notify")
    assert result.exit_code == 1 and "tag:legal" in result.stderr
    assert [r["channel"] for r in sqlite_tracker.json("deliveries", "--status", "failed")] == ["tag:legal"]
    sqlite_tracker.config = _settings(tmp_path, None, "timeout = 0")
    result = sqlite_tracker("notify")
    assert result.exit_code == 2 and "alerts.timeout" in result.stderr


@pytest.mark.slow
def test_run_stops_claiming_after_the_shutdown_grace_and_leaves_the_rest_pending(
    sqlite_tracker: Tracker, tmp_path: Path, http: HTTPServer,
) -> None:
    sqlite_tracker.ok("import", str(SAMPLE_YAML))
    sqlite_tracker.ok("import", str(SAMPLE_CSV))
    _apprise(tmp_path, http, {tag: "slow" for tag in ("legal", "procurement", "engineering", "default", "escalation")})
    sqlite_tracker.config = _settings(tmp_path, None)
    http.modes["/slow"] = "hang"
    http.hang_seconds = 1.0  # every message takes a second: the pass has far more than the grace to do
    command = [sys.executable, "-m", "tracker", "--db", sqlite_tracker.db_url, "--config",
               str(sqlite_tracker.config), "--today", "2026-11-21", "run", "--interval", "60", "--shutdown-grace", "1"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    deadline = time.monotonic() + 60
    while "/slow" not in http.arrived and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "/slow" in http.arrived, "the pass never reached the channel"
    stopped = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    took = time.monotonic() - stopped
    assert proc.returncode == 0, err
    assert "stopped after 1 pass(es)" in out
    assert took < 6, f"shutdown took {took:.1f} s"  # the grace (1 s) plus the send in flight (1 s), with slack
    statuses = Counter(r["status"] for r in sqlite_tracker.json("deliveries", "--limit", "500"))
    assert statuses["sent"] >= 1 and statuses["pending"] >= 10 and statuses["sending"] == 0, statuses
    # The next pass sends what was left; every delivery reached the channel exactly once.
    http.modes.clear()
    sqlite_tracker.ok("notify")
    rows = sqlite_tracker.json("deliveries", "--limit", "500")
    assert {r["status"] for r in rows} == {"sent"}
    assert len(http.arrived) == len(rows)


# --- 5. leases on the database's clock --------------------------------------------------------------


def test_a_scheduler_whose_clock_runs_fast_cannot_take_over_a_live_claim(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tracker.domain.settings import parse_settings
    from tracker.services.context import Context
    from tracker.services.notify import passes
    from tracker.services.notify.channels import load_channels
    from tracker.services.notify.outbox import claim
    from tracker.store.engine import make_engine

    acme_only(tracker, tmp_path, "2026-11-21")
    config = write_config(tmp_path, smtp, http)
    settings = parse_settings(config.read_text(encoding="utf-8"), config)
    channels = load_channels(settings)
    engine = make_engine(tracker.db_url)
    real = datetime.now(UTC)
    ctx = Context(today=date(2026, 11, 21), now=real, actor="tester", settings=settings)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed after the send, before marking")

    monkeypatch.setattr(passes, "mark", crash)
    with pytest.raises(RuntimeError):  # a scheduler on the right clock takes a lease and dies holding it
        passes.run_pass(engine, ctx, channels, clock=lambda: real, worker="honest")
    monkeypatch.undo()
    live = [r for r in tracker.json("deliveries") if r["status"] == "sending"]
    assert len(live) == 1
    # A scheduler whose clock is an hour fast claims what is due, but not the live claim.
    fast = real + timedelta(hours=1)
    taken = []
    while claimed := claim(engine, channels, "fast", fast, today=date(2026, 11, 21)):
        taken += [row.id for row, _, _ in claimed]
    assert taken and live[0]["id"] not in taken
    engine.dispose()


# --- 6. chat injection -----------------------------------------------------------------------------

HOSTILE = "Seats <!channel> <@U024BE7LH> <https://evil.example/login|Renew now> @everyone *urgent* _x_ ~y~ `z`"


def test_a_hostile_title_reaches_chat_as_plain_text(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    from apprise.plugins.slack import NotifySlack

    _contract(tracker, "beta", "2026-11-01", "--notify", "legal", "--title", HOSTILE)
    tracker.ok("obligation", "add", "beta", "--kind", "payment", "--title", "Pay @here [now](https://evil.example)",
               "--due", "2026-11-30", "--clause", "§1 <!here>", today="2026-11-01")
    tracker.config = write_config(tmp_path, smtp, http)
    tracker.ok("notify")
    post = next(p for p in http.at("legal") if "Pay" in p["title"])
    body, title = post["message"], post["title"]
    assert "**Payment: Pay @\u200bhere \\[now\\](https://evil.example)**" in body
    assert ("Beta Inc · Seats \\<!channel\\> \\<@U024BE7LH\\> \\<https://evil.example/login|Renew now\\> "
            "@\u200beveryone \\*urgent\\* \\_x\\_ \\~y\\~ \\`z\\`") in body
    assert "- **Clause:** §1 \\<!here\\>" in body
    assert "@everyone" not in title and "@\u200beveryone" in title
    # What Slack receives after Apprise turns the Markdown into mrkdwn: no mention, no disguised link.
    slack = NotifySlack._commonmark_to_slack(body)
    for live in ("<!channel>", "<!here>", "<@U024BE7LH>", "<https://evil.example/login|Renew now>", "|now>"):
        assert live not in slack
    assert "&lt;!channel&gt;" in slack and "*Payment:" in slack  # our own bold survives
    # E-mail HTML stays autoescaped, without chat escapes.
    mail = next(m for m in smtp.to("dana@example.com") if "Pay" in m.subject)
    assert "Seats &lt;!channel&gt;" in (mail.part("text/html") or "")
