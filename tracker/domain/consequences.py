"""What happens if a deadline is missed: one sentence per kind, the same in e-mail, chat and calendars."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Deadline:
    """The facts the consequence of one occurrence depends on."""

    kind: str
    owed_by: str
    due: date
    vendor: str
    clause: str | None = None
    price: str = ""  # the contract's value, formatted ("USD 120,000.00"), or ""
    renews_on: date | None = None  # notice deadlines: the renewal they stop
    renewal_term: str | None = None  # "12 months"


def consequence(deadline: Deadline) -> str:
    """What happens if ``deadline`` is missed, in one sentence a user acts on."""
    due = deadline.due.isoformat()
    vendor = deadline.vendor
    clause = f" ({deadline.clause})" if deadline.clause else ""
    at_price = f" at {deadline.price}" if deadline.price else ""
    by_vendor = deadline.owed_by == "vendor"
    match deadline.kind:
        case "notice_deadline":
            renews = deadline.renews_on.isoformat() if deadline.renews_on else "the next term"
            return (f"If no notice is sent by {due}, the contract renews on {renews} "
                    f"for {deadline.renewal_term}{at_price}.")
        case "term_end":
            return (f"The contract ends on {due} and does not renew: arrange any replacement and export "
                    "your data before then.")
        case "renewal":
            return f"The contract renews on {due} for {deadline.renewal_term}{at_price}."
        case "model_change":
            return (f"The vendor's model change takes effect on {due}: if parallel tests are not run by then, "
                    "you switch to the new model untested.")
        case "rollback_window":
            return f"After {due} the right to roll back the model change expires{clause}."
        case "price_lock":
            return f"After {due} the price lock expires and prices may rise at renewal{clause}."
        case "payment" if not by_vendor:
            return f"A payment after {due} is late and may breach the contract{clause}."
        case "invoice" if by_vendor:
            return (f"{vendor} is late with the invoice if it has not arrived by {due}{clause}; "
                    "ask for it before paying.")
        case "training" if by_vendor:
            return (f"{vendor} has not delivered the training the contract requires by {due}{clause}; "
                    "raise it before go-live.")
        case "data_export" if by_vendor:
            return f"After {due} the data may no longer be retrievable{clause}; ask {vendor} for the export now."
        case "certification" if by_vendor:
            return f"{vendor}'s certification evidence is out of date after {due}{clause}; ask for the current report."
        case "pilot_review":
            return f"After {due} the pilot runs on without a decision on its success criteria{clause}."
        case "sla_review":
            return f"If the review is not done by {due}, service credits for the period may go unclaimed{clause}."
    if by_vendor:
        return f"{vendor} owes this by {due}{clause}; if it is missed, record it and raise it with the vendor."
    return f"If it is not done by {due}, you are out of compliance with the contract{clause}."
