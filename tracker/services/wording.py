"""What messages say: the facts of a deadline, the variables templates receive, and rendering them.

Messages come from Jinja2 templates: chat (Markdown), email (HTML and text), subjects (DESIGN §6) and the
calendar events' descriptions, all through one environment.

The shipped templates live in the ``tracker.templates`` package (``templates/`` in the source tree); a
``templates`` folder named in the settings is searched first, so a user can override any of them by
file name. Templates render with ``StrictUndefined`` (a misspelt variable is an error, never a blank)
and HTML templates (``*.html.j2``) are autoescaped. Any template problem is a :class:`ConfigError`
naming the template, so it exits 2 before anything is written or sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tracker.domain import ids
from tracker.domain.consequences import Deadline, consequence
from tracker.domain.kinds import label
from tracker.domain.meters import format_quantity
from tracker.domain.money import format_money
from tracker.domain.occurrences import Occurrence
from tracker.domain.settings import Settings
from tracker.domain.terms import term_end
from tracker.errors import ConfigError
from tracker.store.mapping import public_id, terms_of
from tracker.store.tables import Contract, Obligation, OccurrenceState

if TYPE_CHECKING:
    from jinja2 import Environment

# Template names by message kind: (subject, chat, email html, email text).
TEMPLATES = {
    "reminder": ("subject.j2", "chat_reminder.j2", "email_reminder.html.j2", "email_reminder.txt.j2"),
    "breach": ("subject_breach.j2", "chat_breach.j2", "email_breach.html.j2", "email_breach.txt.j2"),
    "invite": ("subject_invite.j2", "chat_invite.j2", "email_invite.html.j2", "email_invite.txt.j2"),
    "cancel": ("subject_invite.j2", "chat_invite.j2", "email_invite.html.j2", "email_invite.txt.j2"),
    "test": ("subject_test.j2", "chat_test.j2", "email_test.html.j2", "email_test.txt.j2"),
}


# Characters with a meaning in chat Markdown: emphasis, code, links (``[text](url)``) and Slack's
# ``<!channel>``, ``<@U…>``, ``<url|text>`` markup. Escaped with a backslash, as CommonMark defines: the
# body is sent as Markdown, and Apprise turns ``\<`` into Slack's ``&lt;`` (and ``&`` into ``&amp;``
# itself, so ``&`` is left alone here: escaping it twice would show "&amp;").
_CHAT_SPECIAL = re.compile(r"([\\`*_~<>\[\]#])")
# Mass mentions that ping a whole channel on Slack, Discord and Mattermost when typed as plain text.
_MASS_MENTION = re.compile(r"(?<![\w.+-])@(?=(?:everyone|here|channel|all)\b)", re.IGNORECASE)
ZERO_WIDTH_SPACE = "\u200b"


def without_mentions(text: str) -> str:
    """``@everyone``, ``@here``, ``@channel`` and ``@all`` with a zero-width space after the ``@``: no ping."""
    return _MASS_MENTION.sub("@" + ZERO_WIDTH_SPACE, text)


def chat_text(value: object) -> str:
    """User-supplied text made inert in a chat message (the ``chat`` template filter).

    Markdown and Slack markup characters are backslash-escaped, so a title cannot bold, strike, link or
    mention anything, and mass mentions are broken up; the words themselves read the same.
    """
    if value is None:
        return ""
    return without_mentions(_CHAT_SPECIAL.sub(r"\\\1", str(value)))


@dataclass(frozen=True)
class Rendered:
    """One message in every form: a channel picks the body it can show."""

    subject: str
    chat: str
    html: str
    text: str


def environment(settings: Settings) -> Environment:
    """The Jinja2 environment: the user's templates folder first, then the shipped templates."""
    if settings.templates is not None and not settings.templates.is_dir():
        raise ConfigError(f"templates: {settings.templates} is not a folder of templates")
    return _environment(settings.templates)


@lru_cache(maxsize=8)
def _environment(override: Path | None) -> Environment:
    from importlib import resources

    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

    loaders = [FileSystemLoader(str(override))] if override is not None else []
    loaders.append(FileSystemLoader(str(resources.files("tracker.templates"))))
    env = Environment(
        loader=ChoiceLoader(loaders), undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "htm", "xml", "html.j2"], default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )
    env.filters["money"] = format_money
    env.filters["quantity"] = lambda value: format_quantity(Decimal(str(value)))
    env.filters["chat"] = chat_text  # every user-supplied value in templates/chat_*.j2
    return env


class Renderer:
    """Renders messages; template errors become a ConfigError naming the template and the problem."""

    def __init__(self, settings: Settings) -> None:
        self.env = environment(settings)

    def render(self, name: str, context: dict[str, Any]) -> str:
        from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError, UndefinedError

        try:
            return self.env.get_template(name).render(**context).strip() + "\n"
        except TemplateNotFound as exc:
            raise ConfigError(f"template {exc.name}: not found in the templates folder or the shipped ones") from exc
        except TemplateSyntaxError as exc:
            where = exc.filename or exc.name or name
            raise ConfigError(f"template {where}, line {exc.lineno}: {exc.message}") from exc
        except UndefinedError as exc:
            raise ConfigError(f"template {name}: {exc.message} (an undefined variable; see README for the "
                              "variables a template receives)") from exc
        except TemplateError as exc:
            raise ConfigError(f"template {name}: {exc}") from exc

    def message(self, kind: str, context: dict[str, Any]) -> Rendered:
        """Subject, chat Markdown, email HTML and email text for a message ``kind`` (see TEMPLATES)."""
        subject, chat, html, text = TEMPLATES[kind]
        return Rendered(
            # A subject becomes a chat message's title too: no mass mention there either.
            subject=without_mentions(" ".join(self.render(subject, context).split())),
            chat=self.render(chat, context),
            html=self.render(html, context),
            text=self.render(text, context),
        )


def when_text(days_left: int) -> str:
    if days_left == 0:
        return "today"
    if days_left == 1:
        return "tomorrow"
    if days_left > 0:
        return f"in {days_left} days"
    return "1 day overdue" if days_left == -1 else f"{-days_left} days overdue"


def occurrence_ref(contract: Contract, obligation: Obligation, occurrence_key: str) -> str:
    """The id of one occurrence of a row: ``acme-ai-support/2@2026-12-05``."""
    return ids.occurrence_ref(public_id(contract.key, obligation), occurrence_key)


def deadline_facts(contract: Contract, obligation: Obligation, occurrence: Occurrence) -> Deadline:
    """The facts the consequence of missing ``occurrence`` depends on (one source for e-mail, chat, calendar)."""
    terms = terms_of(contract)
    renews_on = None
    if obligation.kind == "notice_deadline":
        renews_on = term_end(terms, (occurrence.term or 1) - 1) + timedelta(days=1)
    return Deadline(
        kind=obligation.kind, owed_by=obligation.owed_by, due=occurrence.due, vendor=contract.vendor,
        clause=obligation.clause, price=format_money(contract.value, contract.currency), renews_on=renews_on,
        renewal_term=str(terms.renewal),
    )


def settle_command(contract: Contract, obligation: Obligation, occurrence_key: str, today: date) -> str:
    """The exact command that settles the occurrence."""
    ref = occurrence_ref(contract, obligation, occurrence_key)
    if obligation.kind == "notice_deadline":
        return f"tracker notice {contract.key} --sent-on {today.isoformat()}"
    if obligation.derived:
        return f"tracker ack {ref}"
    if obligation.required:
        return f"tracker obligation record {ref} --count 1"
    return f"tracker obligation done {ref}"


def message_context(
    contract: Contract, obligation: Obligation, occurrence: Occurrence, state: OccurrenceState | None,
    stage: str, escalated: bool, today: date, invite_update: bool = False,
) -> dict[str, Any]:
    """Every variable a template receives (documented in the README).

    ``invite_update``: the recipient already received an invite for this occurrence (so this one updates it).
    """
    days_left = (occurrence.due - today).days
    progress = None
    if obligation.required:
        progress = {"done": state.progress if state else 0, "required": obligation.required,
                    "verb": "delivered" if obligation.owed_by == "vendor" else "done"}
    ref = occurrence_ref(contract, obligation, occurrence.key)
    method, _, sequence = stage.partition(":")
    return {
        "contract": {
            "key": contract.key, "title": contract.title, "vendor": contract.vendor, "owner": contract.owner,
            "backup_owner": contract.backup_owner, "value": format_money(contract.value, contract.currency) or None,
        },
        "obligation": {
            "id": public_id(contract.key, obligation), "ref": ref, "kind": obligation.kind,
            "kind_label": label(obligation.kind), "title": obligation.title, "owed_by": obligation.owed_by,
            "clause": obligation.clause,
        },
        "due": occurrence.due.isoformat(),
        "days_left": days_left,
        "when": when_text(days_left),
        "overdue": days_left < 0,
        "stage": stage,
        "escalated": escalated,
        "consequence": consequence(deadline_facts(contract, obligation, occurrence)),
        "progress": progress,
        "command": settle_command(contract, obligation, occurrence.key, today),
        "ack_command": f"tracker ack {ref}",
        "breach": obligation.breach,
        "today": today.isoformat(),
        "invite": {"method": "CANCEL" if method == "cancel" else "REQUEST",
                   "sequence": int(sequence) if sequence.isdigit() else obligation.revision,
                   "is_update": invite_update},  # not "update": templates would see dict.update
    }
