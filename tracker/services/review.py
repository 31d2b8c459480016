"""AI-contract review: every contract's recorded protections checked against the checklist, with the asks."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from tracker.domain.protections import Check, Finding, parse_checklist, review
from tracker.domain.settings import Settings
from tracker.errors import ConfigError
from tracker.services.lookup import get_contract
from tracker.store import Session
from tracker.store import contracts as contract_rows
from tracker.store.tables import Contract

CHECKLIST = "checklist.yaml"


class FindingView(TypedDict):
    contract: str
    check: str
    severity: str
    finding: str
    ask: str


def load_checklist(settings: Settings) -> list[Check]:
    """The checklist: ``checklist.yaml`` in the user's templates folder if there is one, else the shipped one."""
    from importlib import resources

    import yaml

    candidates = [settings.templates / CHECKLIST] if settings.templates is not None else []
    path = next((p for p in candidates if p.is_file()), None)
    try:
        if path is not None:
            text, source = path.read_text(encoding="utf-8"), str(path)
        else:
            shipped = resources.files("tracker.templates").joinpath(CHECKLIST)
            text, source = shipped.read_text(encoding="utf-8"), CHECKLIST
        items = yaml.safe_load(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path or CHECKLIST}: cannot read the review checklist: {exc}") from exc
    return parse_checklist(items, source)


def reviewed_values(contract: Contract) -> dict[str, Any]:
    """What the checklist examines of a contract: its protections and the protection-like contract fields."""
    return {
        **(contract.protections or {}),
        "model_change_notice": contract.model_change_notice, "rollback_window": contract.rollback_window,
        "renewal_uplift_cap": str(contract.renewal_uplift_cap) if contract.renewal_uplift_cap is not None else None,
    }


def _view(finding: Finding) -> FindingView:
    return FindingView(contract=finding.contract, check=finding.check, severity=finding.severity,
                       finding=finding.finding, ask=finding.ask)


def review_contracts(session: Session, settings: Settings, today: date, key: str | None = None) -> list[FindingView]:
    """The findings of one contract (``key``) or of every live contract, most severe first."""
    checklist = load_checklist(settings)
    contracts = [get_contract(session, key)] if key else contract_rows.listed(session)
    return [
        _view(finding) for contract in contracts
        for finding in review(contract.key, reviewed_values(contract), tuple(contract.tags), checklist, today)
    ]
