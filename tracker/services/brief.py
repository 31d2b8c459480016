"""The renewal brief: everything a negotiator needs before a notice deadline, on one page.

Dates (notice deadline, earliest exit, the negotiation window), spend and price history, what the vendor
missed, the review's findings and asks, and the negotiation notes. Rendered from Jinja2 templates
(``brief.md.j2``, ``brief.html.j2``) that users can override like every other template.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from tracker.domain.checks import NOTE_EXPECTED, checked_note
from tracker.domain.money import format_money
from tracker.domain.spend import format_percent
from tracker.domain.terms import final_end
from tracker.errors import InvalidInput
from tracker.services.context import Context
from tracker.services.events import history, record_event
from tracker.services.lookup import get_contract
from tracker.services.review import review_contracts
from tracker.services.spend import price_on, prices_of
from tracker.services.timeline import show_contract
from tracker.services.wording import Renderer
from tracker.store import Session
from tracker.store import prices as price_rows
from tracker.store.mapping import terms_of

PREP_DAYS = 120  # the negotiation window opens this long before the notice deadline (procurement practice)


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def record_note(session: Session, key: str, text: str, ctx: Context) -> None:
    """Keep a negotiation note in the contract's ledger (for the next renewal's brief)."""
    note = checked_note(text.strip(), "TEXT")
    if not note:
        raise InvalidInput.field("TEXT", text, NOTE_EXPECTED)
    record_event(session, ctx, "note", get_contract(session, key), text=note)


def brief_context(session: Session, key: str, ctx: Context) -> dict[str, Any]:
    """Every variable the brief templates receive."""
    contract = get_contract(session, key)
    today = ctx.today_for(contract.timezone)
    view = show_contract(session, key, today)
    prices = prices_of(session, contract)
    current = price_on(contract, prices, today)
    deadline = date.fromisoformat(view["notice_deadline"]) if view["notice_deadline"] else None
    window = None
    if deadline is not None:
        opens = max(today, deadline - timedelta(days=PREP_DAYS))
        window = {"opens": opens.isoformat(), "closes": deadline.isoformat(), "days_left": (deadline - today).days}
    changes = price_rows.of_contracts(session, [contract.id or 0]).get(contract.id or 0, [])
    missed = [o for o in view["obligations"] if o["owed_by"] == "vendor" and o["status"] == "overdue"]
    breaches = [o for o in view["obligations"] if o["breach"]]
    events = history(session, contract)
    return {
        "contract": view,
        "today": today.isoformat(),
        "ends_on": _iso(final_end(terms_of(contract))),
        "window": window,
        "price": format_money(current, contract.currency) if current is not None else None,
        "price_changes": [{"from": c.effective_from.isoformat(), "amount": format_money(c.amount, contract.currency),
                           "uplift": str(c.uplift) if c.uplift is not None else None, "above_cap": c.above_cap}
                          for c in changes],
        "uplift_cap": format_percent(contract.renewal_uplift_cap) if contract.renewal_uplift_cap is not None else None,
        "missed": missed,
        "breaches": breaches,
        "findings": review_contracts(session, ctx.settings, today, key),
        "notes": [{"at": e["at"], "actor": e["actor"], "text": e["payload"].get("text", "")}
                  for e in events if e["kind"] == "note"],
        "meters": view["meters"],
    }


def render_brief(session: Session, key: str, ctx: Context, html: bool = False) -> str:
    """The renewal brief of contract ``key`` as Markdown (or HTML)."""
    context = brief_context(session, key, ctx)
    return Renderer(ctx.settings).render("brief.html.j2" if html else "brief.md.j2", context)
