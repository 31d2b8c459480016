"""Channels: the owners' e-mail through ``[email] url`` and the chat channels of an Apprise configuration.

Loading fails loudly (a :class:`ConfigError` naming the file, the entry and the masked URL) where Apprise
would log and skip; sending reports the error text instead of raising, so a failing channel is a failed
delivery, never a crashed pass.
"""

from __future__ import annotations

import logging
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tracker.domain.settings import Settings
from tracker.errors import ConfigError, InvalidInput, Problem
from tracker.services.notify.masking import mask_reason, mask_unloadable, private_url

DEFAULT_TAG = "default"
DEFAULT_ESCALATION_TAG = "escalation"


@dataclass
class Channels:
    """The channels a pass can use: the owners' email through ``email.url`` and the Apprise tags."""

    email_url: str | None = None
    email_masked: str | None = None
    email_html: bool = True
    organizer: str = "tracker@localhost"
    config_path: Path | None = None
    apprise: Any = None
    tags: dict[str, list[str]] = field(default_factory=dict)  # tag → masked URLs
    untagged: list[str] = field(default_factory=list)
    escalation_tag: str = DEFAULT_ESCALATION_TAG
    timeout: float = 30  # seconds a service may take to connect and to answer ([alerts] timeout)

    @property
    def configured(self) -> bool:
        return self.email_url is not None or self.apprise is not None

    def skip_reason(self, channel: str) -> str | None:
        """Why a channel cannot be used in this pass (None: usable); see :meth:`undefined` for mistyped tags."""
        if channel.startswith("email:"):
            return None if self.email_url else "email not configured (set [email] url)"
        tag = channel.removeprefix("tag:")
        if self.apprise is None:
            return "no Apprise configuration (set [alerts] apprise_config)"
        if tag not in self.tags:
            return f"no Apprise URL tagged {tag!r}"
        return None

    def undefined(self, channel: str) -> bool:
        """True for a tag a contract names that the loaded Apprise configuration does not define.

        The implicit ``default`` and escalation tags are never undefined: a missing one is skipped.
        """
        tag = channel.removeprefix("tag:")
        return (channel.startswith("tag:") and self.apprise is not None and tag not in self.tags
                and not self.implicit(tag))

    def undefined_reason(self, tag: str) -> str:
        """The error recorded for a delivery routed to a tag the configuration does not define."""
        return f"no Apprise URL tagged {tag!r} in {self.config_path} ({tag_list(self.tags)})"

    def implicit(self, tag: str) -> bool:
        """Tags a contract routes to without naming them: a missing one is skipped, not an error."""
        return tag in (DEFAULT_TAG, self.escalation_tag) and (
            tag == DEFAULT_TAG or self.escalation_tag == DEFAULT_ESCALATION_TAG
        )

    def describe(self) -> list[dict[str, Any]]:
        """Every channel with its masked URL(s): the email channel and one row per Apprise URL."""
        rows: list[dict[str, Any]] = []
        if self.email_masked:
            rows.append({"channel": "email:<owner>", "tags": [], "url": self.email_masked})
        if self.apprise is not None:
            for server in self.apprise:
                rows.append({
                    "channel": "tag:" + ",".join(sorted(str(t) for t in server.tags)) if server.tags else "(untagged)",
                    "tags": sorted(str(t) for t in server.tags), "url": private_url(server),
                })
        return rows

    def send(self, channel: str, subject: str, body: str, attachment: bytes | None = None) -> str | None:
        """Send one message to one channel; return None on success, else the error text."""
        import apprise

        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
            try:
                if channel.startswith("email:"):
                    ok = self._send_email(channel.removeprefix("email:"), subject, body, attachment)
                else:
                    tag = channel.removeprefix("tag:")
                    if self.apprise is None:
                        return f"no Apprise URL tagged {tag!r}"
                    if tag not in self.tags:
                        return self.undefined_reason(tag)
                    # No whole-call ``timeout``: Apprise would abandon a service still sending, and a message
                    # recorded as failed that then arrives is sent again (the per-service timeouts bound it).
                    result = self.apprise.notify(
                        body=body, title=subject, tag=tag, body_format=apprise.NotifyFormat.MARKDOWN,
                    )
                    ok = bool(result)
            except Exception as exc:  # a plugin crash is a failed delivery, not a crashed pass
                return f"{type(exc).__name__}: {mask_unloadable(str(exc))}"
            messages = [line.strip() for line in log.getvalue().splitlines() if line.strip()]
        if ok:
            return None
        return mask_unloadable("; ".join(dict.fromkeys(messages))[-500:]) or "the channel reported a failure"

    def email_url_for(self, address: str) -> str:
        assert self.email_url is not None
        return f"{self.email_url}{'&' if '?' in self.email_url else '?'}to={quote(address, safe='@')}"

    def _send_email(self, address: str, subject: str, body: str, attachment: bytes | None) -> bool:
        import apprise

        if not self.email_url:
            return False
        sender = apprise.Apprise()
        if not sender.add(self.email_url_for(address)):
            return False
        with_timeouts(sender[0], self.timeout)
        fmt = apprise.NotifyFormat.HTML if self.email_html else apprise.NotifyFormat.TEXT
        if attachment is None:
            return bool(sender.notify(body=body, title=subject, body_format=fmt))
        with tempfile.TemporaryDirectory(prefix="tracker-invite-") as folder:
            path = Path(folder) / "invite.ics"
            path.write_bytes(attachment)
            attach = apprise.AppriseAttachment()
            attach.add(str(path))
            return bool(sender.notify(body=body, title=subject, body_format=fmt, attach=attach))


def load_channels(settings: Settings) -> Channels:
    """Load ``email.url`` and the Apprise configuration; anything Apprise cannot load is a ConfigError.

    Apprise logs and skips URLs it cannot parse; here they fail the start with the file, the entry and the
    URL (masked), as does a tag named in the settings that no URL carries.
    """
    import apprise

    channels = Channels(escalation_tag=settings.escalation_tag, timeout=settings.alert_timeout)
    problems: list[Problem] = []
    if settings.email_url:
        probe = apprise.Apprise()
        with apprise.LogCapture(level=logging.WARNING, fmt="%(message)s") as log:
            added = probe.add(settings.email_url)
        server = probe[0] if added and len(probe) else None
        if server is None or ("mail" not in type(server).__name__.lower() and "email" not in type(server).__module__):
            detail = mask_reason(" ".join(log.getvalue().split())) or "not an Apprise mailto:// or mailtos:// URL"
            problems.append(Problem("email.url", mask_unloadable(settings.email_url),
                                    f"an Apprise mailto:// or mailtos:// URL without recipients ({detail})"))
        else:
            channels.email_url = settings.email_url
            channels.email_masked = private_url(server)
            channels.email_html = str(getattr(server, "notify_format", "html")) != "text"
            channels.organizer = _sender(settings.email_url, server)
    if settings.apprise_config is not None:
        channels.config_path = settings.apprise_config
        channels.apprise, channels.tags, channels.untagged = _load_apprise_config(settings.apprise_config, problems)
        for server in channels.apprise or ():
            with_timeouts(server, settings.alert_timeout)
        explicit = settings.escalation_tag != DEFAULT_ESCALATION_TAG
        if channels.apprise is not None and explicit and settings.escalation_tag not in channels.tags:
            problems.append(Problem("alerts.escalation_tag", settings.escalation_tag,
                                    f"a tag defined in {settings.apprise_config} ({tag_list(channels.tags)})"))
    if problems:
        raise ConfigError(problems)
    return channels


def with_timeouts(server: Any, seconds: float) -> Any:
    """Give an Apprise service ``seconds`` to connect and to answer, unless its URL sets ``cto``/``rto``.

    Apprise's own read timeout is 4 s: a service that accepts a message and answers after that would be
    recorded as failed, retried, and receive the message again. A URL's own values are kept.
    """
    kind = type(server)
    if server.socket_connect_timeout == kind.socket_connect_timeout:
        server.socket_connect_timeout = float(seconds)
    if server.socket_read_timeout == kind.socket_read_timeout:
        server.socket_read_timeout = float(seconds)
    return server


def check_routes(settings: Settings, routes: dict[str, list[str]]) -> None:
    """Reject contracts routed to Apprise tags the configuration does not define (at entry, exit 2).

    ``routes`` maps a contract key to its ``notify`` tags. Without ``[alerts] apprise_config`` every tag is
    accepted (channels may be set up later); the implicit ``default`` and escalation tags always are.
    The configuration is only read when some contract names tags.
    """
    if settings.apprise_config is None or not any(routes.values()):
        return
    problems: list[Problem] = []
    channels = Channels(escalation_tag=settings.escalation_tag, config_path=settings.apprise_config)
    channels.apprise, channels.tags, channels.untagged = _load_apprise_config(settings.apprise_config, problems)
    if problems:
        raise ConfigError(problems)
    expected = f"an Apprise tag defined in {settings.apprise_config} ({tag_list(channels.tags)})"
    undefined = [Problem("notify", tag, expected, f"contract {key}")
                 for key, tags in routes.items() for tag in tags if channels.undefined(f"tag:{tag}")]
    if undefined:
        raise InvalidInput(undefined)


def _sender(url: str, server: Any) -> str:
    query = parse_qs(urlsplit(url).query)
    if query.get("from"):
        return query["from"][0]
    parts = urlsplit(url)
    if parts.username and parts.hostname:
        return f"{parts.username}@{parts.hostname}"
    return "tracker@localhost"


def tag_list(tags: dict[str, list[str]]) -> str:
    return "defined tags: " + (", ".join(sorted(tags)) if tags else "none")


def _load_apprise_config(path: Path, problems: list[Problem]) -> tuple[Any, dict[str, list[str]], list[str]]:
    import apprise

    label = "alerts.apprise_config"
    if not path.is_file():
        problems.append(Problem(label, str(path), "the path of an Apprise configuration file (YAML or TEXT)"))
        return None, {}, []
    config = apprise.AppriseConfig()
    with apprise.LogCapture(level=logging.DEBUG, fmt="%(levelname)s %(message)s") as log:
        loaded = config.add(str(path))
        servers = config.services() if loaded else []
    lines = log.getvalue().splitlines()
    errors = [line.removeprefix("ERROR ").strip() for line in lines if line.startswith("ERROR ")]
    warnings = [line.removeprefix("WARNING ").strip() for line in lines if line.startswith("WARNING ")]
    if not loaded:
        problems.append(Problem(label, str(path), "an Apprise configuration file Apprise can read"))
        return None, {}, []
    for error in errors:
        match = re.search(r"(?:Unparseable URL|Could not load URL)\s+(.+?)((?:\s+on line \d+)?\.?)$", error)
        reason = next((w for w in warnings if "invalid" in w.lower() or "unsupported" in w.lower()), "")
        if match:
            url = mask_unloadable(match.group(1))
            where = match.group(2).strip().rstrip(".")
            message = f"cannot load URL {url}{' (' + where + ')' if where else ''}"
            reason = mask_reason(reason)
            problems.append(Problem(label, message, f"a URL Apprise can load{': ' + reason if reason else ''}",
                                    str(path)))
        else:
            problems.append(Problem(label, mask_unloadable(error), "a configuration Apprise can load", str(path)))
    if not errors and not servers:
        problems.append(Problem(label, str(path), "an Apprise configuration with at least one URL"))
    expected = _count_urls(path)
    if not errors and expected is not None and expected != len(servers):
        problems.append(Problem(label, f"{expected} URLs, {len(servers)} loaded",
                                "every URL to load: " + mask_reason("; ".join(warnings)[:300]), str(path)))
    apobj = apprise.Apprise()
    tags: dict[str, list[str]] = defaultdict(list)
    untagged: list[str] = []
    for server in servers:
        apobj.add(server)
        names = sorted(str(t) for t in server.tags)
        for name in names:
            tags[name].append(private_url(server))
        if not names:
            untagged.append(private_url(server))
    return apobj, dict(tags), untagged


def _count_urls(path: Path) -> int | None:
    """How many URLs the file lists (None when unsure), to notice entries Apprise skipped silently."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    stripped = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith(("#", ";"))]
    if path.suffix.lower() in (".yml", ".yaml") or any(line.startswith("urls:") for line in stripped):
        import yaml

        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            return None
        urls = doc.get("urls") if isinstance(doc, dict) else None
        if not isinstance(urls, list):
            return None
        count = 0
        for entry in urls:
            if isinstance(entry, dict) and len(entry) == 1:
                value = next(iter(entry.values()))
                count += len(value) if isinstance(value, list) and value else 1
            else:
                count += 1
        return count
    if any(line.startswith("include") for line in stripped):
        return None
    return sum(1 for line in stripped if "://" in line)
