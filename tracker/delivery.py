"""The outbox: plan reminders and invites, record each delivery before sending, send once (DESIGN §6).

A pass (:func:`run_pass`) runs in short transactions:

1. **plan** — obligations whose indexed ``next_remind_on`` is due are planned with the pure
   :mod:`tracker.alerts`; invite-kind deadlines within the calendar horizon get invites (and
   cancellations once settled); each new delivery is rendered and inserted with
   ``INSERT … ON CONFLICT DO NOTHING`` on (obligation, occurrence, stage, channel); ``next_remind_on``
   moves to the next day a new stage is reached. Committed.
2. **claim** — due rows (pending or failed whose ``next_attempt_at`` has come, or ``sending`` rows whose
   lease expired after a crash) are marked ``sending`` with this worker's name and a lease, in one
   ``UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING`` statement. Committed. On SQLite the
   engine's ``BEGIN IMMEDIATE`` serialises claimers; on PostgreSQL ``SKIP LOCKED`` lets several
   schedulers share the work. In the same transaction a claimed reminder or breach alert whose occurrence
   was settled, waived, acknowledged or archived since it was queued is marked ``superseded`` instead
   (:func:`unsendable`): a retry never reports "still open" for a deadline that is done.
3. **send** — each claimed row goes to its channel through Apprise, outside any transaction, one channel
   at a time, so a failing channel never holds the others back.
4. **mark** — one transaction per row: ``sent`` (with ``sent_at``) only after Apprise reported success for
   that channel; otherwise ``failed`` with the error and a retry time (exponential backoff), or ``dead``
   after ``max_attempts``. The ledger event (``alert_sent``, ``invite_sent``, ``alert_failed``,
   ``alert_dead``) is written in the same transaction as the status.

Exactly once, and the one duplicate window: a crash before the send leaves the row ``pending`` or
``sending``; it is sent by a later pass (a ``sending`` row once its lease expires), so nothing is lost.
A crash *after* the channel accepted the message but *before* step 4 commits leaves the row ``sending``
too; when its lease expires it is sent again. That is the only way a message is delivered twice, and at
most once more per crash: no channel offers a transaction the database could join. A tag that routes
to several Apprise URLs is one channel: if one of its URLs fails, the retry goes to all of them.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, unquote_plus, urlsplit

from tracker import alerts
from tracker.config import Settings
from tracker.errors import ConfigError, InvalidInput, Problem
from tracker.messages import Rendered, Renderer, money

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlmodel import Session

    from tracker.ledger import Context
    from tracker.models import Contract, Delivery, Obligation, OccurrenceState
    from tracker.schedule import Occurrence

LEASE = timedelta(minutes=10)
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
CLAIM_BATCH = 1  # rows leased at a time: after a crash only the row in flight waits for its lease
DEFAULT_TAG = "default"
DEFAULT_ESCALATION_TAG = "escalation"
ACTIVE = ("pending", "failed", "sending")
ALERT_KINDS = ("reminder", "breach")  # re-checked before sending; invites and cancellations always go out


def backoff(attempts: int, base: timedelta = BACKOFF_BASE, cap: timedelta = BACKOFF_CAP) -> timedelta:
    """Delay before retry number ``attempts`` (1-based): base × 2^(attempts−1), capped."""
    return min(cap, base * (2 ** max(0, attempts - 1)))


def default_worker() -> str:
    """A worker name for ``claimed_by``: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


# --- channels ------------------------------------------------------------------------------------


# A URL runs to the end of its line or its quote: a password may hold spaces ("user:Pa ss@host").
_URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://[^\r\n\"'`]+", re.IGNORECASE)
_SECRET_PARAM = re.compile(r"token|key|secret|pass|pwd|webhook", re.IGNORECASE)


def mask_unloadable(text: str) -> str:
    """Hide everything after the scheme of URLs Apprise could not load, up to the line's end or a quote."""
    return _URL.sub(lambda m: f"{m.group(1)}://***", text)


def mask_url(url: str) -> str:
    """Mask query values Apprise's privacy URL keeps in clear: headers and payload fields, secret-looking ones.

    Apprise's ``-name``/``+name``/``:name`` parameters are HTTP headers, GET arguments and payload fields
    (``-X-Api-Key=…``); names such as token, key, secret, password and webhook hold credentials wherever
    they appear.
    """
    head, mark, query = url.partition("?")
    if not mark:
        return url
    query, hash_mark, fragment = query.partition("#")
    parts = []
    for part in query.split("&"):
        name, eq, value = part.partition("=")
        plain = unquote_plus(name)
        if eq and value and (plain[:1] in ("-", "+", ":") or _SECRET_PARAM.search(plain)):
            value = "****"
        parts.append(f"{name}{eq}{value}")
    return f"{head}?{'&'.join(parts)}{hash_mark}{'****' if fragment else ''}"


def _private(server: Any) -> str:
    """A loaded Apprise URL for display: Apprise's privacy URL with query secrets masked too."""
    return mask_url(server.url(privacy=True))


def mask_reason(text: str) -> str:
    """Apprise's reasons quote the offending value in parentheses ("Token (xoxb-…)"): hide it."""
    return re.sub(r"\((?!second\)|first\)|third\))[^)]*\)", "(***)", mask_unloadable(text))


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
    timeout: float = 0  # seconds for one whole Apprise call; 0: the services' own limits

    @property
    def configured(self) -> bool:
        return self.email_url is not None or self.apprise is not None

    def skip_reason(self, channel: str) -> str | None:
        """Why a channel cannot be used in this pass (None: usable). Unknown explicit tags are errors."""
        if channel.startswith("email:"):
            return None if self.email_url else "email not configured (set [email] url)"
        tag = channel.removeprefix("tag:")
        if self.apprise is None:
            return "no Apprise configuration (set [alerts] apprise_config)"
        if tag not in self.tags:
            return f"no Apprise URL tagged {tag!r}"
        return None

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
                    "tags": sorted(str(t) for t in server.tags), "url": _private(server),
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
                    if self.apprise is None or tag not in self.tags:
                        return f"no Apprise URL tagged {tag!r}"
                    result = self.apprise.notify(
                        body=body, title=subject, tag=tag, body_format=apprise.NotifyFormat.MARKDOWN,
                        **({"timeout": self.timeout} if self.timeout else {}),
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

    channels = Channels(escalation_tag=settings.escalation_tag)
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
            channels.email_masked = _private(server)
            channels.email_html = str(getattr(server, "notify_format", "html")) != "text"
            channels.organizer = _sender(settings.email_url, server)
    if settings.apprise_config is not None:
        channels.config_path = settings.apprise_config
        channels.apprise, channels.tags, channels.untagged = _load_apprise_config(settings.apprise_config, problems)
        explicit = settings.escalation_tag != DEFAULT_ESCALATION_TAG
        if channels.apprise is not None and explicit and settings.escalation_tag not in channels.tags:
            problems.append(Problem("alerts.escalation_tag", settings.escalation_tag,
                                    f"a tag defined in {settings.apprise_config} ({_tag_list(channels.tags)})"))
    if problems:
        raise ConfigError(problems)
    return channels


def _sender(url: str, server: Any) -> str:
    query = parse_qs(urlsplit(url).query)
    if query.get("from"):
        return query["from"][0]
    parts = urlsplit(url)
    if parts.username and parts.hostname:
        return f"{parts.username}@{parts.hostname}"
    return "tracker@localhost"


def _tag_list(tags: dict[str, list[str]]) -> str:
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
            message = f"{path}: cannot load URL {url}{' (' + where + ')' if where else ''}"
            reason = mask_reason(reason)
            problems.append(Problem(label, message, f"a URL Apprise can load{': ' + reason if reason else ''}"))
        else:
            problems.append(Problem(label, f"{path}: {mask_unloadable(error)}", "a configuration Apprise can load"))
    if not errors and not servers:
        problems.append(Problem(label, str(path), "an Apprise configuration with at least one URL"))
    expected = _count_urls(path)
    if not errors and expected is not None and expected != len(servers):
        problems.append(Problem(label, f"{path}: {expected} URLs, {len(servers)} loaded",
                                "every URL to load: " + mask_reason("; ".join(warnings)[:300])))
    apobj = apprise.Apprise()
    tags: dict[str, list[str]] = defaultdict(list)
    untagged: list[str] = []
    for server in servers:
        apobj.add(server)
        names = sorted(str(t) for t in server.tags)
        for name in names:
            tags[name].append(_private(server))
        if not names:
            untagged.append(_private(server))
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


# --- message context -----------------------------------------------------------------------------


def kind_label(kind: str) -> str:
    from tracker.calendar import KIND_LABELS

    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


def when_text(days_left: int) -> str:
    if days_left == 0:
        return "today"
    if days_left == 1:
        return "tomorrow"
    if days_left > 0:
        return f"in {days_left} days"
    return "1 day overdue" if days_left == -1 else f"{-days_left} days overdue"


def occurrence_ref(contract: Contract, obligation: Obligation, occurrence_key: str) -> str:
    from tracker.models import public_id

    base = public_id(contract.key, obligation)
    return f"{base}@{occurrence_key}" if occurrence_key else base


def consequence(contract: Contract, obligation: Obligation, occurrence: Occurrence) -> str:
    """What happens if the deadline is missed, in one sentence a user acts on."""
    from tracker.models import terms_of
    from tracker.schedule import term_end

    due = occurrence.due.isoformat()
    price = money(contract.value, contract.currency)
    clause = f" ({obligation.clause})" if obligation.clause else ""
    match obligation.kind:
        case "notice_deadline":
            terms = terms_of(contract)
            k = (occurrence.term or 1) - 1
            renews = term_end(terms, k) + timedelta(days=1)
            tail = f" at {price}" if price else ""
            return (f"If no notice is sent by {due}, the contract renews on {renews.isoformat()} "
                    f"for {terms.renewal}{tail}.")
        case "term_end":
            return (f"The contract ends on {due} and does not renew: arrange any replacement and export "
                    "your data before then.")
        case "renewal":
            return f"The contract renews on {due}."
        case "model_change":
            return (f"The vendor's model change takes effect on {due}: if parallel tests are not run by then, "
                    "you switch to the new model untested.")
        case "rollback_window":
            return f"After {due} the right to roll back the model change expires{clause}."
        case "price_lock":
            return f"After {due} the price lock expires and prices may rise at renewal{clause}."
        case "payment":
            return f"A payment after {due} is late and may breach the contract{clause}."
    if obligation.owed_by == "vendor":
        return (f"{contract.vendor} owes this by {due}{clause}; if it is missed, record it and raise it with "
                "the vendor.")
    return f"If it is not done by {due}, you are out of compliance with the contract{clause}."


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
    stage: str, escalated: bool, today: date,
) -> dict[str, Any]:
    """Every variable a template receives (documented in the README)."""
    from tracker.models import public_id

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
            "backup_owner": contract.backup_owner, "value": money(contract.value, contract.currency) or None,
        },
        "obligation": {
            "id": public_id(contract.key, obligation), "ref": ref, "kind": obligation.kind,
            "kind_label": kind_label(obligation.kind), "title": obligation.title, "owed_by": obligation.owed_by,
            "clause": obligation.clause,
        },
        "due": occurrence.due.isoformat(),
        "days_left": days_left,
        "when": when_text(days_left),
        "overdue": days_left < 0,
        "stage": stage,
        "escalated": escalated,
        "consequence": consequence(contract, obligation, occurrence),
        "progress": progress,
        "command": settle_command(contract, obligation, occurrence.key, today),
        "ack_command": f"tracker ack {ref}",
        "breach": obligation.breach,
        "today": today.isoformat(),
        "invite": {"method": "CANCEL" if method == "cancel" else "REQUEST",
                   "sequence": int(sequence) if sequence.isdigit() else obligation.revision},
    }


# --- a pass --------------------------------------------------------------------------------------


@dataclass
class Outgoing:
    """A delivery a pass creates (or, in a dry run, would create), rendered."""

    obligation_id: int
    occurrence: str
    stage: str
    channel: str
    kind: str
    due: date
    contract_key: str
    ref: str
    rendered: Rendered
    subject: str
    body: str

    def view(self) -> dict[str, Any]:
        return {"obligation": self.ref, "contract": self.contract_key, "stage": self.stage,
                "channel": self.channel, "kind": self.kind, "due": self.due.isoformat(), "subject": self.subject,
                "body": self.body}


@dataclass
class PassReport:
    """What one pass did: deliveries created, sent, failed, dead, superseded, skipped channels, renewals."""

    today: date
    dry_run: bool = False
    created: list[Outgoing] = field(default_factory=list)
    sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    dead: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)  # queued alerts settled before sending
    skipped: Counter[str] = field(default_factory=Counter)
    renewed: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failed and not self.dead

    def view(self) -> dict[str, Any]:
        return {
            "today": self.today.isoformat(), "dry_run": self.dry_run,
            "planned" if self.dry_run else "created": [o.view() for o in self.created],
            "sent": self.sent, "failed": self.failed, "dead": self.dead, "superseded": self.superseded,
            "skipped": dict(self.skipped), "renewed": self.renewed,
        }


@contextmanager
def _transaction(engine: Engine, commit: bool = True) -> Iterator[Session]:
    from sqlmodel import Session

    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            if commit:
                session.commit()
            else:
                session.rollback()
        except BaseException:
            session.rollback()
            raise


def _policy(settings: Settings) -> alerts.Policy:
    return alerts.Policy(settings.overdue_every, settings.escalation_tag, settings.escalate_within_days)


def _insert(session: Session, table: Any, rows: list[dict[str, Any]], keys: list[str]) -> int:
    """INSERT … ON CONFLICT DO NOTHING on ``keys`` for SQLite and PostgreSQL; returns rows inserted."""
    if not rows:
        return 0
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    result = connection.execute(insert(table).on_conflict_do_nothing(index_elements=keys), rows)
    return result.rowcount or 0


class _Planner:
    """Step 1 of a pass, in one transaction: what to create, rendered; next reminder dates."""

    def __init__(self, session: Session, ctx: Context, renderer: Renderer, channels: Channels | None) -> None:
        self.session, self.ctx, self.renderer, self.channels = session, ctx, renderer, channels
        self.policy = _policy(ctx.settings)
        self.report_skips: Counter[str] = Counter()
        self.problems: list[Problem] = []
        self.outgoing: list[Outgoing] = []
        self.supersede: list[int] = []
        self._cache: dict[tuple[int, str, str, bool], Rendered] = {}

    def usable(self, contract: Contract, channel: str) -> bool:
        if self.channels is None:  # a dry run without channels: show everything
            return True
        reason = self.channels.skip_reason(channel)
        if reason is None:
            return True
        tag = channel.removeprefix("tag:")
        if (channel.startswith("tag:") and self.channels.apprise is not None and tag not in self.channels.tags
                and not self.channels.implicit(tag)):
            self.problems.append(Problem(
                "notify", tag, f"an Apprise tag defined in {self.channels.config_path} "
                f"({_tag_list(self.channels.tags)})", f"contract {contract.key}"))
        self.report_skips[reason] += 1
        return False

    def render(self, contract: Contract, obligation: Obligation, occurrence: Occurrence,
               state: OccurrenceState | None, stage: str, kind: str, escalated: bool) -> Rendered:
        assert obligation.id is not None
        key = (obligation.id, occurrence.key, stage, escalated)
        if key not in self._cache:
            context = message_context(contract, obligation, occurrence, state, stage, escalated, self.ctx.today)
            self._cache[key] = self.renderer.message(kind, context)
        return self._cache[key]

    def add(self, contract: Contract, obligation: Obligation, occurrence: Occurrence,
            state: OccurrenceState | None, stage: str, kind: str, channel: str, escalated: bool) -> None:
        assert obligation.id is not None
        rendered = self.render(contract, obligation, occurrence, state, stage, kind, escalated)
        email = channel.startswith("email:")
        html = self.channels.email_html if self.channels is not None else True
        body = (rendered.html if html else rendered.text) if email else rendered.chat
        self.outgoing.append(Outgoing(
            obligation.id, occurrence.key, stage, channel, kind, occurrence.due, contract.key,
            occurrence_ref(contract, obligation, occurrence.key), rendered, rendered.subject, body,
        ))

    def existing(self, obligation_ids: list[int], kinds: tuple[str, ...], since: date | None) -> list[Delivery]:
        from sqlmodel import col, select

        from tracker.models import Delivery

        if not obligation_ids:
            return []
        query = select(Delivery).where(col(Delivery.obligation_id).in_(obligation_ids), col(Delivery.kind).in_(kinds))
        if since is not None:
            query = query.where(col(Delivery.due) >= since)
        return list(self.session.exec(query).all())

    def reminders(self) -> None:
        """Reminders and breach alerts for obligations whose ``next_remind_on`` has come."""
        from sqlmodel import col, select

        from tracker.ledger import NO_REMINDER_KINDS, first_occurrence, is_open, open_occurrences, states_for
        from tracker.models import Contract, Obligation

        today = self.ctx.today
        rows = self.session.exec(
            select(Obligation, Contract).join(Contract, col(Contract.id) == Obligation.contract_id)
            .where(col(Obligation.next_remind_on).is_not(None), col(Obligation.next_remind_on) <= today)
            .where(col(Contract.archived).is_(False))
            .order_by(col(Obligation.next_due), col(Obligation.id))
        ).all()
        ids = [o.id for o, _ in rows if o.id is not None]
        states = states_for(self.session, ids)
        since = min((o.next_due for o, _ in rows if o.next_due), default=None)
        recorded: dict[tuple[int, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
        active: dict[tuple[int, str, str], list[Delivery]] = defaultdict(list)
        for row in self.existing(ids, ("reminder", "breach"), since):
            recorded[(row.obligation_id, row.occurrence)][row.channel].add(row.stage)
            if row.status in ("pending", "failed"):
                active[(row.obligation_id, row.occurrence, row.channel)].append(row)
        for obligation, contract in rows:
            assert obligation.id is not None
            if obligation.kind in NO_REMINDER_KINDS:
                obligation.next_remind_on = None
                self.session.add(obligation)
                continue
            leads = self.ctx.settings.lead_days_for(obligation.kind, obligation.lead)
            until = today + timedelta(days=max(leads, default=0))
            occurrences = open_occurrences(contract, obligation, states, today, until)
            if obligation.breach and not occurrences:
                # A breach is alerted at the first pass after it is recorded, however far ahead the deadline
                # is; the occurrence's lead-day reminders still come on their own days (next_stage_on).
                ahead = first_occurrence(
                    contract, obligation, until + timedelta(days=1), today,
                    lambda occ, ob=obligation: is_open(ob, occ, states.get((ob.id or 0, occ.key)), today),
                )
                occurrences = [ahead] if ahead else []
            next_days: list[date] = []
            for index, occurrence in enumerate(occurrences):
                state = states.get((obligation.id, occurrence.key))
                target = alerts.Target(
                    obligation.id, occurrence.key, occurrence.due, obligation.kind, obligation.derived, leads,
                    contract.owner, contract.backup_owner, tuple(contract.notify),
                    acked=state is not None and state.acked_revision == obligation.revision,
                    breach=obligation.breach if index == 0 else None,
                )
                result = alerts.plan_target(target, today, recorded[(obligation.id, occurrence.key)], self.policy)
                if result.next_on:
                    next_days.append(result.next_on)
                for planned in result.deliveries:
                    if not self.usable(contract, planned.channel):
                        continue
                    self.add(contract, obligation, occurrence, state, planned.stage.name, planned.stage.kind,
                             planned.channel, planned.stage.escalate)
                    rank = alerts.stage_rank(planned.stage.name)
                    for old in active[(obligation.id, occurrence.key, planned.channel)]:
                        old_rank = alerts.stage_rank(old.stage)
                        if rank is not None and old_rank is not None and old_rank < rank and old.id is not None:
                            self.supersede.append(old.id)
            later = first_occurrence(contract, obligation, until + timedelta(days=1), today)
            if later:
                next_days.append(later.due - timedelta(days=max(leads, default=0)))
            obligation.next_remind_on = max(min(next_days), today + timedelta(days=1)) if next_days else None
            self.session.add(obligation)

    def renewals(self) -> list[str]:
        """Record a ``renewed`` event once for each auto-renewal whose day has come."""
        from sqlalchemy import update
        from sqlmodel import col, select

        from tracker.ledger import obligation_occurrences, record_event, refresh_schedule
        from tracker.models import Contract, Obligation, OccurrenceState

        today = self.ctx.today
        rows = self.session.exec(
            select(Obligation, Contract).join(Contract, col(Contract.id) == Obligation.contract_id)
            .where(Obligation.kind == "renewal", col(Obligation.next_due).is_not(None),
                   col(Obligation.next_due) <= today, col(Contract.archived).is_(False))
        ).all()
        renewed = []
        table = OccurrenceState.__table__  # type: ignore[attr-defined]
        for obligation, contract in rows:
            assert obligation.next_due is not None
            for occurrence in obligation_occurrences(contract, obligation, obligation.next_due, today):
                _insert(self.session, table, [{
                    "obligation_id": obligation.id, "occurrence": occurrence.key, "due": occurrence.due,
                    "status": "open", "progress": 0, "observed": False, "updated_at": self.ctx.now,
                }], ["obligation_id", "occurrence"])
                changed = self.session.connection().execute(
                    update(table).where(table.c.obligation_id == obligation.id,
                                        table.c.occurrence == occurrence.key, table.c.observed.is_(False))
                    .values(observed=True, updated_at=self.ctx.now)
                ).rowcount
                if changed:
                    record_event(self.session, self.ctx, "renewed", contract, obligation, on=occurrence.due,
                                 term=occurrence.term, occurrence=occurrence.key)
                    renewed.append(f"{contract.key} renewed on {occurrence.due.isoformat()}")
            refresh_schedule(self.session, contract, obligation, self.ctx)
        return renewed

    def invites(self) -> None:
        """Invites for invite-kind deadlines within the horizon; cancellations once they are settled.

        Only obligations whose indexed ``invite_on`` has come are examined: the ledger sets it on every
        write, and this planner moves it to the day the next deadline comes into view or passes.
        """
        from sqlmodel import col, select

        from tracker.calendar import horizon
        from tracker.ledger import first_occurrence, open_occurrences, states_for
        from tracker.models import Contract, Delivery, Obligation

        settings, today = self.ctx.settings, self.ctx.today
        if not settings.invite_kinds:
            return
        _, until = horizon(today, settings)
        ahead = until - today
        rows = self.session.exec(
            select(Obligation, Contract).join(Contract, col(Contract.id) == Obligation.contract_id)
            .where(col(Obligation.invite_on).is_not(None), col(Obligation.invite_on) <= today)
            .where(col(Obligation.kind).in_(settings.invite_kinds))
        ).all()
        ids = [o.id for o, _ in rows if o.id is not None]
        states = states_for(self.session, ids)
        stages: dict[tuple[int, str, str], set[str]] = defaultdict(set)
        for row in self.existing(ids, ("invite", "cancel"), today):
            stages[(row.obligation_id, row.occurrence, row.channel)].add(row.stage)
        open_keys: set[tuple[int, str]] = set()
        for obligation, contract in rows:
            assert obligation.id is not None
            channel = f"email:{contract.owner}"
            upcoming = [o for o in open_occurrences(contract, obligation, states, today, until) if o.due >= today]
            for occurrence in upcoming[:1]:  # the next deadline; later ones are invited when they come next
                open_keys.add((obligation.id, occurrence.key))
                stage = f"invite:{obligation.revision}"
                if stage in stages[(obligation.id, occurrence.key, channel)] or not self.usable(contract, channel):
                    continue
                self.add(contract, obligation, occurrence, states.get((obligation.id, occurrence.key)), stage,
                         "invite", channel, False)
            # Look again the day after this deadline passes, or when the next one comes into view.
            if upcoming:
                obligation.invite_on = upcoming[0].due + timedelta(days=1)
            else:
                later = first_occurrence(contract, obligation, until + timedelta(days=1), today)
                obligation.invite_on = max(later.due - ahead, today + timedelta(days=1)) if later else None
            self.session.add(obligation)
        # Cancellations: invites sent for deadlines still ahead whose occurrence is no longer open (settled,
        # waived, notice given, contract ended or archived) or whose owner changed.
        sent = self.session.exec(
            select(Delivery, Obligation, Contract)
            .join(Obligation, col(Obligation.id) == Delivery.obligation_id)
            .join(Contract, col(Contract.id) == Obligation.contract_id)
            .where(col(Delivery.obligation_id).in_(ids))
            .where(Delivery.status == "sent", Delivery.kind == "invite", col(Delivery.due) >= today)
        ).all() if ids else []
        sent_invites: dict[tuple[int, str, str], list[Delivery]] = defaultdict(list)
        for row, _, _ in sent:
            sent_invites[(row.obligation_id, row.occurrence, row.channel)].append(row)
        cancelled = {
            (r.obligation_id, r.occurrence, r.channel): r for r in self.session.exec(
                select(Delivery).where(col(Delivery.obligation_id).in_(ids), Delivery.kind == "cancel",
                                       col(Delivery.due) >= today)
            ).all()
        } if ids else {}
        seen: set[tuple[int, str, str]] = set()
        for row, obligation, contract in sent:
            key = (row.obligation_id, row.occurrence, row.channel)
            if key in seen:
                continue
            seen.add(key)
            still_open = (row.obligation_id, row.occurrence) in open_keys and row.channel == f"email:{contract.owner}"
            newest = max(sent_invites[key], key=lambda r: int(r.stage.partition(":")[2]))
            latest = int(newest.stage.partition(":")[2])
            done = cancelled.get(key)
            if still_open or (done is not None and int(done.stage.partition(":")[2]) >= latest):
                continue
            if not self.usable(contract, row.channel):
                continue
            occurrence = _occurrence_for(contract, obligation, newest.occurrence, newest.due)
            stage = f"cancel:{max(obligation.revision, latest)}"
            self.add(contract, obligation, occurrence, None, stage, "cancel", row.channel, False)


def _occurrence_for(contract: Contract, obligation: Obligation, key: str, due: date) -> Occurrence:
    """The occurrence ``key`` near ``due`` as the schedule computes it, else one rebuilt from the row."""
    from tracker.ledger import obligation_occurrences
    from tracker.schedule import Occurrence

    for occurrence in obligation_occurrences(contract, obligation, due - timedelta(days=31), due + timedelta(days=31)):
        if occurrence.key == key:
            return occurrence
    term = int(key[1:]) if key.startswith("T") and key[1:].isdigit() else None
    return Occurrence(due, due, key, term)


def plan_pass(session: Session, ctx: Context, renderer: Renderer, channels: Channels | None) -> _Planner:
    """Plan a pass in ``session`` (the caller commits or rolls back). Unknown tags raise ConfigError."""
    planner = _Planner(session, ctx, renderer, channels)
    planner.reminders()
    planner.invites()
    if planner.problems:
        raise ConfigError(list(dict.fromkeys(planner.problems)))
    return planner


def dry_run(engine: Engine, ctx: Context, channels: Channels | None = None,
            renderer: Renderer | None = None) -> PassReport:
    """What a pass on ``ctx.today`` would send, rendered; nothing is written."""
    renderer = renderer or Renderer(ctx.settings)
    with _transaction(engine, commit=False) as session:
        planner = plan_pass(session, ctx, renderer, channels)
    return PassReport(ctx.today, dry_run=True, created=planner.outgoing, skipped=planner.report_skips)


def run_pass(
    engine: Engine, ctx: Context, channels: Channels, *, renderer: Renderer | None = None,
    worker: str | None = None, clock: Callable[[], datetime] | None = None,
    backoff_base: timedelta = BACKOFF_BASE, lease: timedelta = LEASE,
) -> PassReport:
    """One scheduler pass: plan and record deliveries, then claim, send and mark them (module docstring)."""
    from tracker.models import Delivery

    renderer = renderer or Renderer(ctx.settings)
    worker = worker or default_worker()
    clock = clock or (lambda: ctx.now)
    report = PassReport(ctx.today)
    table = Delivery.__table__  # type: ignore[attr-defined]
    with _transaction(engine) as session:
        report.renewed = _Planner(session, ctx, renderer, channels).renewals()
    with _transaction(engine) as session:
        planner = plan_pass(session, ctx, renderer, channels)
        now = clock()
        _insert(session, table, [{
            "obligation_id": o.obligation_id, "occurrence": o.occurrence, "stage": o.stage, "channel": o.channel,
            "kind": o.kind, "due": o.due, "status": "pending", "attempts": 0, "subject": o.subject, "body": o.body,
            "next_attempt_at": now, "created_at": now,
        } for o in planner.outgoing], ["obligation_id", "occurrence", "stage", "channel"])
        if planner.supersede:
            from sqlalchemy import update

            session.connection().execute(
                update(table).where(table.c.id.in_(planner.supersede), table.c.status.in_(("pending", "failed")))
                .values(status="superseded", last_error="a more advanced reminder replaced it")
            )
    report.created, report.skipped = planner.outgoing, planner.report_skips
    while True:
        claimed = claim(engine, channels, worker, clock(), lease, today=ctx.today, dropped=report.superseded)
        if not claimed:
            break
        for row, obligation, contract in claimed:
            attachment = _attachment(row, obligation, contract, ctx, channels) if row.kind in ("invite", "cancel") \
                else None
            error = channels.send(row.channel, row.subject or "", row.body or "", attachment)
            mark(engine, ctx, row, obligation, contract, error, clock(), backoff_base, report)
    return report


def claim(
    engine: Engine, channels: Channels, worker: str, now: datetime, lease: timedelta = LEASE, *,
    today: date | None = None, dropped: list[dict[str, Any]] | None = None,
) -> list[tuple[Delivery, Obligation, Contract]]:
    """Claim due rows for this worker in one statement (FOR UPDATE SKIP LOCKED on PostgreSQL).

    A claimed reminder or breach alert whose occurrence is no longer open on ``today`` (settled, waived,
    lapsed, acknowledged for the obligation's current revision, or its contract archived) is not sent: it
    is marked ``superseded`` with the reason, in the same transaction, and appended to ``dropped``.
    Invites and cancellations always go out. Claims again until a row is left to send or none is due.
    """
    while True:
        claimed, skipped = _claim_once(engine, channels, worker, now, lease, today or now.date())
        if dropped is not None:
            dropped += skipped
        if claimed or not skipped:
            return claimed


def _claim_once(
    engine: Engine, channels: Channels, worker: str, now: datetime, lease: timedelta, today: date,
) -> tuple[list[tuple[Delivery, Obligation, Contract]], list[dict[str, Any]]]:
    from sqlalchemy import and_, or_, select, update
    from sqlmodel import col
    from sqlmodel import select as sm_select

    from tracker.models import Contract, Delivery, Obligation, OccurrenceState

    table = Delivery.__table__  # type: ignore[attr-defined]
    kinds = []
    if channels.email_url:
        kinds.append(table.c.channel.like("email:%"))
    if channels.apprise is not None:
        kinds.append(table.c.channel.like("tag:%"))
    if not kinds:
        return [], []
    due = or_(
        and_(table.c.status.in_(("pending", "failed")), table.c.next_attempt_at <= now),
        and_(table.c.status == "sending", table.c.lease_until < now),
    )
    candidates = (
        select(table.c.id).where(due, or_(*kinds)).order_by(table.c.id).limit(CLAIM_BATCH)
        .with_for_update(skip_locked=True)
    )
    with _transaction(engine) as session:
        ids = [r[0] for r in session.connection().execute(
            update(table).where(table.c.id.in_(candidates.scalar_subquery()))
            .values(status="sending", claimed_by=worker, lease_until=now + lease)
            .returning(table.c.id)
        )]
        if not ids:
            return [], []
        rows = session.exec(
            sm_select(Delivery, Obligation, Contract)
            .join(Obligation, col(Obligation.id) == Delivery.obligation_id)
            .join(Contract, col(Contract.id) == Obligation.contract_id)
            .where(col(Delivery.id).in_(ids)).order_by(col(Delivery.id))
        ).all()
        checked = [(d, o) for d, o, _ in rows if d.kind in ALERT_KINDS]
        states = {
            (st.obligation_id, st.occurrence): st for st in session.exec(
                sm_select(OccurrenceState).where(
                    col(OccurrenceState.obligation_id).in_({d.obligation_id for d, _ in checked}),
                    col(OccurrenceState.occurrence).in_({d.occurrence for d, _ in checked}))
            ).all()
        } if checked else {}
        claimed, skipped = [], []
        for d, o, c in rows:
            reason = None
            if d.kind in ALERT_KINDS:
                reason = unsendable(d, o, c, states.get((d.obligation_id, d.occurrence)), today)
            if reason is None:
                claimed.append((d, o, c))
                continue
            d.status, d.last_error, d.claimed_by, d.lease_until = "superseded", reason, None, None
            session.add(d)
            skipped.append({"id": d.id, "obligation": occurrence_ref(c, o, d.occurrence), "contract": c.key,
                            "stage": d.stage, "channel": d.channel, "due": d.due.isoformat(), "reason": reason})
        return claimed, skipped


def unsendable(delivery: Delivery, obligation: Obligation, contract: Contract, state: OccurrenceState | None,
               today: date) -> str | None:
    """Why a queued reminder or breach alert must no longer go out (None: send it).

    It is stale once its contract is archived, its occurrence settled, waived or lapsed (:func:`ledger.is_open`),
    or acknowledged for the obligation's current revision.
    """
    from tracker.ledger import is_open
    from tracker.schedule import Occurrence

    if contract.archived:
        return "the contract was archived before it could be sent"
    if state is not None and state.acked_revision == obligation.revision:
        return "acknowledged before it could be sent"
    occurrence = Occurrence(delivery.due, delivery.due, delivery.occurrence, None)
    if is_open(obligation, occurrence, state, today):
        return None
    if state is not None and state.status != "open":
        return f"settled ({state.status}) before it could be sent"
    if obligation.status != "open" and not obligation.every:
        return f"settled ({obligation.status}) before it could be sent"
    return "the deadline passed before it could be sent"


def _attachment(row: Delivery, obligation: Obligation, contract: Contract, ctx: Context,
                channels: Channels) -> bytes:
    from tracker.calendar import invite_ics

    method, _, sequence = row.stage.partition(":")
    occurrence = _occurrence_for(contract, obligation, row.occurrence, row.due)
    return invite_ics(
        contract, obligation, occurrence, method="CANCEL" if method == "cancel" else "REQUEST",
        sequence=int(sequence), organizer=channels.organizer, attendee=row.channel.removeprefix("email:"),
        stamp=row.created_at, settings=ctx.settings,
    )


def mark(
    engine: Engine, ctx: Context, row: Delivery, obligation: Obligation, contract: Contract, error: str | None,
    now: datetime, backoff_base: timedelta, report: PassReport,
) -> None:
    """Record the outcome of one send and its ledger event, in one transaction."""
    from tracker.ledger import record_event
    from tracker.models import Delivery

    with _transaction(engine) as session:
        current = session.get(Delivery, row.id)
        assert current is not None
        ref = occurrence_ref(contract, obligation, row.occurrence)
        view = {"id": row.id, "obligation": ref, "contract": contract.key, "stage": row.stage,
                "channel": row.channel, "due": row.due.isoformat()}
        if error is None:
            current.status, current.sent_at, current.last_error = "sent", now, None
            current.attempts += 1
            event = "invite_sent" if row.kind in ("invite", "cancel") else "alert_sent"
            record_event(session, ctx, event, contract, obligation, delivery=row.id, occurrence=row.occurrence,
                         stage=row.stage, channel=row.channel, due=row.due, subject=row.subject)
            report.sent.append(view)
        else:
            current.attempts += 1
            current.last_error = error
            view.update(error=error, attempts=current.attempts)
            if current.attempts >= ctx.settings.max_attempts:
                current.status = "dead"
                record_event(session, ctx, "alert_dead", contract, obligation, delivery=row.id,
                             occurrence=row.occurrence, stage=row.stage, channel=row.channel, due=row.due,
                             error=error, attempts=current.attempts)
                report.dead.append(view)
            else:
                current.status = "failed"
                current.next_attempt_at = now + backoff(current.attempts, backoff_base)
                view["next_attempt_at"] = current.next_attempt_at.isoformat()
                record_event(session, ctx, "alert_failed", contract, obligation, delivery=row.id,
                             occurrence=row.occurrence, stage=row.stage, channel=row.channel, due=row.due,
                             error=error, attempts=current.attempts, next_attempt_at=current.next_attempt_at)
                report.failed.append(view)
        current.claimed_by, current.lease_until = None, None
        session.add(current)


def recent(session: Session, limit: int = 50, status: str | None = None) -> list[dict[str, Any]]:
    """Recent deliveries, newest first, with status, attempts and last error (``tracker deliveries``)."""
    from sqlmodel import col, select

    from tracker.models import Contract, Delivery, Obligation

    query = (
        select(Delivery, Obligation, Contract)
        .join(Obligation, col(Obligation.id) == Delivery.obligation_id)
        .join(Contract, col(Contract.id) == Obligation.contract_id)
        .order_by(col(Delivery.id).desc()).limit(limit)
    )
    if status:
        query = query.where(Delivery.status == status)
    return [{
        "id": d.id, "contract": c.key, "obligation": occurrence_ref(c, o, d.occurrence), "kind": d.kind,
        "stage": d.stage, "channel": d.channel, "due": d.due.isoformat(), "status": d.status,
        "attempts": d.attempts, "last_error": d.last_error, "subject": d.subject,
        "created_at": d.created_at.isoformat(), "sent_at": d.sent_at.isoformat() if d.sent_at else None,
        "next_attempt_at": d.next_attempt_at.isoformat() if d.status == "failed" else None,
    } for d, o, c in session.exec(query).all()]


STATUSES = ("pending", "sending", "sent", "failed", "dead", "superseded")


def check_status(value: str | None) -> str | None:
    if value is not None and value not in STATUSES:
        raise InvalidInput.field("--status", value, "one of " + ", ".join(STATUSES))
    return value
