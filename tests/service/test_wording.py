"""Message templates: what a reader sees, autoescaping, strict variables, user overrides, the demo."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Tracker
from tracker.domain.money import format_money as money
from tracker.domain.settings import Settings
from tracker.errors import ConfigError
from tracker.services.wording import Renderer

CONTEXT = {
    "contract": {"key": "acme-ai-support", "title": "AI <support> & more", "vendor": "Acme AI",
                 "owner": "alice@example.com", "backup_owner": "bob@example.com", "value": "USD 120,000.00"},
    "obligation": {"id": "acme-ai-support/notice_deadline", "ref": "acme-ai-support/notice_deadline@T2",
                   "kind": "notice_deadline", "kind_label": "Notice deadline",
                   "title": "Last day to give notice of non-renewal", "owed_by": "us", "clause": "§12.3"},
    "due": "2026-12-24", "days_left": 1, "when": "tomorrow", "overdue": False, "stage": "lead:1",
    "escalated": True,
    "consequence": "If no notice is sent by 2026-12-24, the contract renews on 2027-03-26 for 12 months at "
                   "USD 120,000.00.",
    "progress": None, "command": "tracker notice acme-ai-support --sent-on 2026-12-23",
    "ack_command": "tracker ack acme-ai-support/notice_deadline@T2", "breach": None, "today": "2026-12-23",
    "invite": {"method": "REQUEST", "sequence": 1, "is_update": False},
}


def test_a_reminder_says_what_when_consequence_and_command_in_every_form() -> None:
    message = Renderer(Settings()).message("reminder", CONTEXT)
    assert message.subject == "Due tomorrow: Notice deadline – Acme AI, AI <support> & more (2026-12-24)"
    for body in (message.chat, message.text, message.html):
        assert "2026-12-24" in body and "tomorrow" in body
        assert "renews on 2027-03-26 for 12 months at USD 120,000.00" in body
        assert "tracker notice acme-ai-support --sent-on 2026-12-23" in body
        assert "tracker ack acme-ai-support/notice_deadline@T2" in body
    assert message.chat.startswith("**Escalation:** still open and due tomorrow; the owner is alice@example.com.")
    assert "- **Due:** 2026-12-24 (tomorrow)" in message.chat
    assert message.text.startswith("ESCALATION:")
    # HTML is autoescaped; chat and text are not HTML and keep the characters.
    assert "AI &lt;support&gt; &amp; more" in message.html and "<support>" not in message.html
    # Chat escapes user text for Markdown (Apprise turns \< into Slack's &lt;); the text e-mail shows it as is.
    assert "AI \\<support\\> & more" in message.chat and "AI <support> & more" in message.text


def test_progress_is_shown_for_counted_obligations() -> None:
    context = {**CONTEXT, "escalated": False, "progress": {"done": 1, "required": 3, "verb": "delivered"}}
    message = Renderer(Settings()).message("reminder", context)
    assert "**Progress:** 1 of 3 delivered" in message.chat and "Progress:   1 of 3 delivered" in message.text
    assert "Escalation" not in message.chat


def test_invite_and_cancellation_subjects() -> None:
    renderer = Renderer(Settings())
    assert renderer.message("invite", CONTEXT).subject.startswith("Notice deadline – Acme AI")
    updated = {**CONTEXT, "invite": {"method": "REQUEST", "sequence": 2, "is_update": True}}
    assert renderer.message("invite", updated).subject.startswith("Updated: Notice deadline")
    # A first invite at revision 2 (the contract was edited before it went out) is no update to its reader.
    first = {**CONTEXT, "invite": {"method": "REQUEST", "sequence": 2, "is_update": False}}
    assert renderer.message("invite", first).subject.startswith("Notice deadline")
    cancel = renderer.message("cancel", {**CONTEXT, "invite": {"method": "CANCEL", "sequence": 3, "is_update": True}})
    assert cancel.subject.startswith("Cancelled: ") and "no longer needs your attention" in cancel.text


def test_template_errors_name_the_template(tmp_path: Path) -> None:
    (tmp_path / "chat_reminder.j2").write_text("{{ contract.nickname }}", encoding="utf-8")
    (tmp_path / "subject.j2").write_text("{% if %}", encoding="utf-8")
    renderer = Renderer(Settings(templates=tmp_path))
    with pytest.raises(ConfigError, match=r"template chat_reminder.j2: .*'nickname'"):
        renderer.render("chat_reminder.j2", CONTEXT)
    with pytest.raises(ConfigError, match=r"template .*subject.j2, line 1"):
        renderer.render("subject.j2", CONTEXT)
    with pytest.raises(ConfigError, match="not a folder"):
        Renderer(Settings(templates=tmp_path / "missing"))


def test_money_formats_amounts_with_the_currency() -> None:
    assert money(120000, "USD") == "USD 120,000.00" and money(None, "USD") == "" and money(9.5) == "9.50"


def test_the_demo_shows_rendered_reminders(sqlite_tracker: Tracker) -> None:
    out = sqlite_tracker.ok("demo")
    section = out.split("Reminders a notify pass would send on 2026-11-21")[1]
    # The sample's nearest notice deadline: the monthly helpdesk plan with 30 days' notice.
    assert "[chat → tag:default]  Due in 10 days: Notice deadline – Zendo, AI helpdesk, Team plan (monthly)" in section
    assert "If no notice is sent by 2026-12-01, the contract renews on 2027-01-01 for 1 month at USD 1,200.00." \
        in section
    assert "Subject: Due in 10 days: Notice deadline – Zendo" in section
    assert "tracker notice zendo-helpdesk --sent-on 2026-11-21" in section
