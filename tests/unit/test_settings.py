"""Settings files: defaults when absent, every problem named when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO, Tracker
from tracker.domain.durations import Duration
from tracker.domain.reminders import DEFAULT_LEAD_DAYS, parse_lead_days
from tracker.domain.settings import Settings, parse_settings
from tracker.errors import ConfigError, InvalidInput


def load_settings(path: Path) -> Settings:
    """What the CLI does with a settings file: defaults when it is missing, else its parsed text."""
    return parse_settings(path.read_text(encoding="utf-8"), path) if path.exists() else Settings()


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.toml") == Settings()
    assert Settings().lead_days == DEFAULT_LEAD_DAYS


def test_sample_settings_load(tmp_path: Path) -> None:
    settings = load_settings(REPO / "sample_data" / "tracker.toml")
    assert settings.timezone == "Europe/London"
    assert settings.lead_days_for("invoice") == (7, 1)
    assert settings.lead_days_for("notice_deadline") == (90, 30, 14, 7, 1, 0)
    assert settings.lead_days_for("invoice", [3, 10]) == (10, 3)
    assert settings.overdue_every == Duration(7, "days")


@pytest.mark.parametrize(
    ("value", "ok"),
    [("30,7,1", (30, 7, 1)), ([0, 7], (7, 0)), ("-1", None), ("seven", None), ([1.5], None), ([], None)],
)
def test_lead_days_are_whole_non_negative_numbers(value: object, ok: tuple[int, ...] | None) -> None:
    if ok is None:
        with pytest.raises(InvalidInput) as error:
            parse_lead_days(value)
        assert "lead" in str(error.value) and "whole numbers" in str(error.value)
    else:
        assert parse_lead_days(value) == ok


def test_bad_settings_report_every_problem(tmp_path: Path) -> None:
    path = tmp_path / "tracker.toml"
    path.write_text(
        'timezone = "Mars/Olympus"\n[alerts]\nlead_days = [30, -7]\noverdue_every = "sometimes"\n'
        'lead_days_by_kind = { invoice = ["x"] }\n[calendar]\nhorizon_future = "forever"\n'
    )
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    message = str(error.value)
    for field in ("timezone", "alerts.lead_days", "alerts.overdue_every", "alerts.lead_days_by_kind.invoice",
                  "calendar.horizon_future"):
        assert f"{field}: " in message, field
    assert str(path) in message


def test_malformed_settings_file_exits_2(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    path = tmp_path / "tracker.toml"
    path.write_text("timezone = \n")
    sqlite_tracker.config = path
    result = sqlite_tracker("list")
    assert result.exit_code == 2
    assert "cannot read the settings file" in result.stderr and "Traceback" not in result.output


def test_named_settings_file_must_exist(sqlite_tracker: Tracker, tmp_path: Path) -> None:
    sqlite_tracker.config = tmp_path / "nope.toml"
    result = sqlite_tracker("list")
    assert result.exit_code == 2
    assert "--config" in result.stderr and "existing settings file" in result.stderr


def test_misspelt_sections_and_keys_and_string_kinds_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "tracker.toml"
    path.write_text('[alert]\nlead_days = [7]\n[alerts]\ninvite_kinds = "notice_deadline"\nleadays = [1]\n'
                    'lead_days_by_kind = { invoices = [7] }\n')
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    message = str(error.value)
    assert "alert: " in message and "alerts.leadays: " in message
    assert "alerts.invite_kinds: 'notice_deadline' is invalid; expected a list of obligation kinds" in message
    assert "alerts.lead_days_by_kind: 'invoices' is invalid; expected an obligation kind" in message
