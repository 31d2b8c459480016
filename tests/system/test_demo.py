"""The guided demo a new user runs first."""

from __future__ import annotations

import subprocess
import sys

from click.testing import CliRunner


def test_demo_shows_the_sample_ledger_and_cleans_up() -> None:
    from tracker.cli import cli

    result = CliRunner().invoke(cli, ["--today", "2026-11-21", "demo"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Imported 9 contracts" in out and "Imported 4 contracts" in out
    assert "credits run out on 2027-01-22" in out  # usage against the AI credits allowance, with the forecast
    assert "Exposure: USD" in out and "# Renewal brief: Cortex Agents Inc." in out
    assert '"fee": "42943.91"' in out  # the earliest exit by termination for convenience, with its fee
    # The sample's nearest notice deadline and its one overdue payment are on the timeline.
    assert "2026-12-02" in out and "northwind-crm-ai/notice_deadline" in out
    assert "overdue" in out and "orion-model-api/1" in out
    assert "temporary database was removed" in out


def test_python_dash_m_runs_the_cli() -> None:
    result = subprocess.run([sys.executable, "-m", "tracker", "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "tracker, version 0.1.0"
