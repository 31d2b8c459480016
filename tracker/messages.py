"""Messages from Jinja2 templates: chat (Markdown), email (HTML and text) and subjects (DESIGN §6).

The shipped templates live in the ``tracker.templates`` package (``templates/`` in the source tree); a
``templates`` folder named in the settings is searched first, so a user can override any of them by
file name. Templates render with ``StrictUndefined`` (a misspelt variable is an error, never a blank)
and HTML templates (``*.html.j2``) are autoescaped. Any template problem is a :class:`ConfigError`
naming the template, so it exits 2 before anything is written or sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracker.errors import ConfigError

if TYPE_CHECKING:
    from jinja2 import Environment

    from tracker.config import Settings

# Template names by message kind: (subject, chat, email html, email text).
TEMPLATES = {
    "reminder": ("subject.j2", "chat_reminder.j2", "email_reminder.html.j2", "email_reminder.txt.j2"),
    "breach": ("subject_breach.j2", "chat_breach.j2", "email_breach.html.j2", "email_breach.txt.j2"),
    "invite": ("subject_invite.j2", "chat_invite.j2", "email_invite.html.j2", "email_invite.txt.j2"),
    "cancel": ("subject_invite.j2", "chat_invite.j2", "email_invite.html.j2", "email_invite.txt.j2"),
    "test": ("subject_test.j2", "chat_test.j2", "email_test.html.j2", "email_test.txt.j2"),
}


@dataclass(frozen=True)
class Rendered:
    """One message in every form: a channel picks the body it can show."""

    subject: str
    chat: str
    html: str
    text: str


def environment(settings: Settings) -> Environment:
    """The Jinja2 environment: the user's templates folder first, then the shipped templates."""
    from importlib import resources

    from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

    if settings.templates is not None and not settings.templates.is_dir():
        raise ConfigError(f"templates: {settings.templates} is not a folder of templates")
    loaders = [FileSystemLoader(str(settings.templates))] if settings.templates is not None else []
    loaders.append(FileSystemLoader(str(resources.files("tracker.templates"))))
    env = Environment(
        loader=ChoiceLoader(loaders), undefined=StrictUndefined,
        autoescape=select_autoescape(["html", "htm", "xml", "html.j2"], default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )
    env.filters["money"] = money
    return env


def money(amount: Any, currency: str | None = None) -> str:
    """``USD 120,000.00``: the amount with thousands separators and two decimals."""
    if amount is None:
        return ""
    text = f"{float(amount):,.2f}"
    return f"{currency} {text}" if currency else text


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
            subject=" ".join(self.render(subject, context).split()),
            chat=self.render(chat, context),
            html=self.render(html, context),
            text=self.render(text, context),
        )
