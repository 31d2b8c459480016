"""The outbox under stress: bad configuration, crashes around the send, concurrent passes, the run loop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_notify import ACME_SUBJECT, acme_only
from tests.conftest import REPO, SAMPLE_CSV, SAMPLE_YAML, Tracker
from tests.helpers_servers import HTTPServer, SMTPServer, http_server, write_config
from tracker.services.notify.outbox import backoff

# --- bad input: exit 2, clear message, nothing written ---------------------------------------------


def test_an_unparsable_apprise_url_fails_at_start_with_the_url_masked(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    (tmp_path / "apprise.yml").write_text(
        'urls:\n  - "json://127.0.0.1:9/ok":\n      - tag: legal\n  - "bogus://user:s3cret@host/x":\n'
        "      - tag: chat\n", encoding="utf-8")
    (tmp_path / "tracker.toml").write_text('[alerts]\napprise_config = "apprise.yml"\n', encoding="utf-8")
    sqlite_tracker.config = tmp_path / "tracker.toml"
    for command in (["notify"], ["channels"], ["run", "--once"]):
        result = sqlite_tracker(*command)
        assert result.exit_code == 2, command
        assert "alerts.apprise_config" in result.stderr and "cannot load URL bogus://***" in result.stderr
        assert "s3cret" not in result.stderr


def test_a_text_config_with_a_broken_slack_url_names_the_line(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    (tmp_path / "apprise.txt").write_text("legal=json://127.0.0.1:9/ok\nchat=slack://T1/only-one-token\n",
                                          encoding="utf-8")
    (tmp_path / "tracker.toml").write_text('[alerts]\napprise_config = "apprise.txt"\n', encoding="utf-8")
    sqlite_tracker.config = tmp_path / "tracker.toml"
    result = sqlite_tracker("channels")
    assert result.exit_code == 2
    assert "cannot load URL slack://*** (on line 2)" in result.stderr and "only-one-token" not in result.stderr


def test_a_contract_routed_to_an_unknown_tag_fails_only_its_own_deliveries(sqlite_tracker: Tracker,
                                                                           tmp_path: Path) -> None:
    sqlite_tracker.ok("import", str(SAMPLE_YAML))  # before the configuration exists: entry cannot check the tag
    with http_server() as http:
        sqlite_tracker.config = write_config(tmp_path, None, http, paths={"procurement": "p", "engineering": "e"})
        result = sqlite_tracker("notify")
    assert result.exit_code == 1  # the pass ran: other contracts' reminders went out
    assert http.posts
    failed = [d for d in sqlite_tracker.json("deliveries", "--status", "failed") if d["channel"] == "tag:legal"]
    assert failed and all("no Apprise URL tagged 'legal'" in d["last_error"] for d in failed)
    assert all("defined tags: engineering, procurement" in d["last_error"] for d in failed)


def test_unknown_tags_in_settings_or_on_the_command_line_are_errors(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    with http_server() as http:
        sqlite_tracker.config = write_config(tmp_path, None, http, paths={"legal": "legal"},
                                             extra='escalation_tag = "on-call"\n')
        result = sqlite_tracker("channels")
        assert result.exit_code == 2 and "alerts.escalation_tag: 'on-call' is invalid" in result.stderr
        sqlite_tracker.config = write_config(tmp_path, None, http, paths={"legal": "legal"})
        result = sqlite_tracker("channels", "test", "finance")
        assert result.exit_code == 2 and "TAG: 'finance' is invalid" in result.stderr and "legal" in result.stderr


@pytest.mark.parametrize(("extra", "field"), [
    ("lead_days = [30, -7]\n", "alerts.lead_days"),
    ('lead_days = ["soon"]\n', "alerts.lead_days"),
    ("[alerts.lead_days_by_kind]\ninvoice = [-1]\n", "alerts.lead_days_by_kind.invoice"),
])
def test_bad_lead_days_are_rejected(sqlite_tracker: Tracker, tmp_path: Path, extra: str, field: str) -> None:
    sqlite_tracker.config = write_config(tmp_path, None, None, extra=extra)
    result = sqlite_tracker("notify")
    assert result.exit_code == 2 and field in result.stderr and "whole numbers" in result.stderr


def test_an_email_url_that_is_not_email_is_rejected(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    (tmp_path / "tracker.toml").write_text('[email]\nurl = "json://127.0.0.1:9/x"\n', encoding="utf-8")
    sqlite_tracker.config = tmp_path / "tracker.toml"
    result = sqlite_tracker("notify")
    assert result.exit_code == 2 and "email.url" in result.stderr and "mailto://" in result.stderr


def test_a_template_with_an_undefined_variable_is_named(
    sqlite_tracker: Tracker, tmp_path: Path, smtp: SMTPServer,
) -> None:
    sqlite_tracker.ok("import", str(SAMPLE_YAML))
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "subject.j2").write_text("{{ obligation.kind_label }} {{ deadline_date }}", encoding="utf-8")
    sqlite_tracker.config = write_config(tmp_path, smtp, None, extra='')
    text = sqlite_tracker.config.read_text(encoding="utf-8")
    sqlite_tracker.config.write_text('templates = "mine"\n' + text, encoding="utf-8")
    for args in (["notify"], ["notify", "--dry-run"]):
        result = sqlite_tracker(*args)
        assert result.exit_code == 2
        assert "template subject.j2" in result.stderr and "'deadline_date' is undefined" in result.stderr
    assert smtp.mails == [] and sqlite_tracker.json("deliveries") == []


def test_user_templates_override_the_shipped_ones_and_html_is_escaped(
    sqlite_tracker: Tracker, tmp_path: Path, smtp: SMTPServer,
) -> None:
    acme_only(sqlite_tracker, tmp_path, "2026-11-21")
    sqlite_tracker.ok("edit", "acme-ai-support", "--title", "Support <b>bots</b> & co")
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "subject.j2").write_text("[contracts] {{ obligation.ref }} due {{ due }}", encoding="utf-8")
    sqlite_tracker.config = write_config(tmp_path, smtp, None)
    sqlite_tracker.config.write_text('templates = "mine"\n' + sqlite_tracker.config.read_text(), encoding="utf-8")
    sqlite_tracker.ok("notify")
    mail = next(m for m in smtp.to("alice@example.com") if not m.attachments())
    assert mail.subject == "[contracts] acme-ai-support/notice_deadline@T2 due 2026-12-24"
    html = mail.part("text/html") or ""
    assert "Support &lt;b&gt;bots&lt;/b&gt; &amp; co" in html and "<b>bots</b>" not in html


# --- channels ------------------------------------------------------------------------------------


def test_channels_lists_tags_with_secrets_masked(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    (tmp_path / "apprise.yml").write_text(
        "urls:\n"
        '  - "slack://T1ABCDEF/B2ABCDEF/VerySecretWebhookToken":\n      - tag: legal, escalation\n'
        '  - "json://127.0.0.1:9/hook":\n      - tag: procurement\n', encoding="utf-8")
    (tmp_path / "tracker.toml").write_text(
        '[email]\nurl = "mailtos://tracker:hunter2@smtp.example.com?from=tracker@example.com"\n'
        '[alerts]\napprise_config = "apprise.yml"\n', encoding="utf-8")
    sqlite_tracker.config = tmp_path / "tracker.toml"
    out = sqlite_tracker.ok("channels")
    assert "hunter2" not in out and "VerySecretWebhookToken" not in out
    rows = sqlite_tracker.json("channels")
    assert [r["tags"] for r in rows] == [[], ["escalation", "legal"], ["procurement"]]
    assert rows[0]["url"].startswith("mailtos://tracker:****@smtp.example.com")
    assert rows[1]["url"].startswith("slack://T...F/B...F/V...n")


def test_channels_never_print_apprise_header_values_or_secret_query_parameters(
    sqlite_tracker: Tracker, tmp_path: Path,
) -> None:
    (tmp_path / "apprise.yml").write_text(
        "urls:\n"
        '  - "json://admin:HookPassw0rd@127.0.0.1:9/hook?-X-Api-Key=HeaderSecret1&+X-Token=PlusSecret2'
        '&:field=PayloadSecret3&cto=1":\n      - tag: legal\n'
        '  - "form://127.0.0.1:9/form?:password=FormSecret4":\n      - tag: ops\n', encoding="utf-8")
    (tmp_path / "tracker.toml").write_text('[alerts]\napprise_config = "apprise.yml"\n', encoding="utf-8")
    sqlite_tracker.config = tmp_path / "tracker.toml"
    secrets = ("HookPassw0rd", "HeaderSecret1", "PlusSecret2", "PayloadSecret3", "FormSecret4")
    out = sqlite_tracker.ok("channels")
    rows = sqlite_tracker.json("channels")
    for secret in secrets:
        assert secret not in out and secret not in json.dumps(rows), secret
    legal = next(r["url"] for r in rows if r["tags"] == ["legal"])
    assert legal.startswith("json://admin:****@127.0.0.1:9/hook?") and "-X-Api-Key=****" in legal
    assert "cto=1" in legal  # harmless parameters stay readable


def test_an_email_url_with_a_space_in_its_password_is_masked_whole(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    (tmp_path / "tracker.toml").write_text('[email]\nurl = "mailtos://user:Pa ss@host"\n',
                                           encoding="utf-8")
    sqlite_tracker.config = tmp_path / "tracker.toml"
    for command in (["channels"], ["notify"]):
        result = sqlite_tracker(*command)
        assert result.exit_code == 2 and "email.url" in result.stderr
        assert "mailtos://***" in result.stderr
        assert "Pa ss" not in result.stderr and " ss@host" not in result.stderr


def test_mask_url_hides_header_payload_and_secret_looking_query_values() -> None:
    from tracker.services.notify.masking import mask_unloadable, mask_url

    assert mask_url("json://host/hook?-X-Api-Key=a&%2BX-Other=b&%3Afield=c&cto=1&format=text") == (
        "json://host/hook?-X-Api-Key=****&%2BX-Other=****&%3Afield=****&cto=1&format=text")
    assert mask_url("ntfy://host/t?token=abc&apikey=d&webhook=e&password=f&pass=g&secret=h&key=i&mode=x") == (
        "ntfy://host/t?token=****&apikey=****&webhook=****&password=****&pass=****&secret=****&key=****&mode=x")
    assert mask_url("slack://T...F/B...F") == "slack://T...F/B...F"
    assert mask_unloadable('bad "bogus://u:Pa ss@h/x" and more\nnext line') == 'bad "bogus://***" and more\nnext line'
    assert mask_unloadable("could not load mailtos://user:Pa ss@host") == "could not load mailtos://***"


def test_channels_test_sends_a_message_and_fails_with_the_channel(
    sqlite_tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    sqlite_tracker.config = write_config(tmp_path, smtp, http, paths={"legal": "legal", "ops": "ops"})
    out = sqlite_tracker.ok("channels", "test", "legal", "--email", "ops@example.com")
    assert "tag:legal: sent" in out and "email:ops@example.com: sent" in out
    assert http.at("legal")[0]["title"] == "Test message from tracker"
    assert "channel `tag:legal`" in http.at("legal")[0]["message"]
    assert smtp.to("ops@example.com")[0].subject == "Test message from tracker"
    http.modes["/ops"] = "500"
    result = sqlite_tracker("channels", "test")
    assert result.exit_code == 1 and "tag:ops: FAILED" in result.stdout and "tag:legal: sent" in result.stdout


# --- crashes around the send ---------------------------------------------------------------------


class Crash(RuntimeError):
    """A process dying at an inconvenient moment."""


def _acme_tracker(tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer) -> Tracker:
    acme_only(tracker, tmp_path, "2026-11-21")
    tracker.config = write_config(tmp_path, smtp, http)
    return tracker


def _reminders(smtp: SMTPServer, http: HTTPServer) -> Counter[str]:
    titles = [f"email {m.subject}" for m in smtp.to("alice@example.com") if not m.attachments()]
    titles += [f"legal {p['title']}" for p in http.at("legal")]
    return Counter(titles)


def test_a_crash_after_sending_and_before_committing_duplicates_at_most_that_message(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tracker.services.notify import passes as delivery

    _acme_tracker(tracker, tmp_path, smtp, http)
    real_mark = delivery.mark

    def crash_once(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(delivery, "mark", real_mark)
        raise Crash("killed after the channel accepted the message")

    monkeypatch.setattr(delivery, "mark", crash_once)
    with pytest.raises(Crash):
        tracker("notify")
    assert _reminders(smtp, http) == Counter({f"email Due in 33 days: {ACME_SUBJECT}": 1})
    assert [r["status"] for r in tracker.json("deliveries", "--status", "sending")] == ["sending"]
    # A pass within the lease leaves the in-flight row alone and sends the rest.
    tracker.ok("notify")
    assert _reminders(smtp, http)[f"legal Due in 33 days: {ACME_SUBJECT}"] == 1
    # After the lease the row is sent again: the one documented duplicate, and nothing else repeats.
    tracker.ok("notify", today="2026-11-22")
    assert _reminders(smtp, http) == Counter({
        f"email Due in 33 days: {ACME_SUBJECT}": 2, f"legal Due in 33 days: {ACME_SUBJECT}": 1,
    })
    assert {r["status"] for r in tracker.json("deliveries")} == {"sent"}
    tracker.ok("notify", today="2026-11-23")
    assert sum(_reminders(smtp, http).values()) == 3


def test_a_crash_before_sending_loses_nothing(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tracker.services.notify import passes as delivery

    _acme_tracker(tracker, tmp_path, smtp, http)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise Crash("killed before the send")

    monkeypatch.setattr(delivery.Channels, "send", crash)
    with pytest.raises(Crash):
        tracker("notify")
    assert smtp.mails == [] and http.posts == []
    monkeypatch.undo()
    tracker.ok("notify", today="2026-11-22")
    assert _reminders(smtp, http) == Counter({
        f"email Due in 33 days: {ACME_SUBJECT}": 1, f"legal Due in 33 days: {ACME_SUBJECT}": 1,
    })
    assert len([m for m in smtp.mails if m.attachments()]) == 1


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3)] == [timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=20)]
    assert backoff(30) == timedelta(hours=6)


# --- processes -----------------------------------------------------------------------------------


def _command(tracker: Tracker, *args: str, today: str = "2026-11-21") -> list[str]:
    return [sys.executable, "-m", "tracker", "--db", tracker.db_url, "--config", str(tracker.config),
            "--today", today, *args]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def test_two_notify_processes_at_once_send_each_message_once(
    tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    tracker.ok("import", str(SAMPLE_YAML))
    tracker.ok("import", str(SAMPLE_CSV))
    tracker.config = write_config(tmp_path, smtp, http)
    procs = [subprocess.Popen(_command(tracker, "notify", "--format", "json"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=_env()) for _ in range(2)]
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
    rows = tracker.json("deliveries", "--limit", "1000")
    assert rows and {r["status"] for r in rows} == {"sent"}
    mails = Counter((tuple(m.rcpt), m.subject) for m in smtp.mails)
    posts = Counter((p.path, p.body["title"]) for p in http.posts)
    assert max(mails.values()) == 1 and max(posts.values()) == 1
    assert sum(mails.values()) + sum(posts.values()) == len(rows)


def test_run_stops_cleanly_on_sigterm_after_finishing_its_pass(
    sqlite_tracker: Tracker, tmp_path: Path, smtp: SMTPServer, http: HTTPServer,
) -> None:
    acme_only(sqlite_tracker, tmp_path, "2026-11-21")
    sqlite_tracker.config = write_config(tmp_path, smtp, http)
    http.modes["/legal"] = "hang"
    http.hang_seconds = 1.5
    proc = subprocess.Popen(_command(sqlite_tracker, "run", "--interval", "60"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=_env())
    deadline = time.monotonic() + 60
    while "/legal" not in http.arrived and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "/legal" in http.arrived, "the pass never reached the hanging channel"
    proc.send_signal(signal.SIGTERM)  # mid-pass: the send in progress and the marking still happen
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "stopped after 1 pass(es)" in out and "sent 2, failed 1" in out
    statuses = Counter(r["status"] for r in sqlite_tracker.json("deliveries"))
    assert statuses == Counter({"sent": 2, "failed": 1})
