"""`tracker extract FILE...`: draft contracts from documents, every field with its quoted evidence (issue 13).

A thin edge: check the options, call :mod:`tracker.services.extract`, print. No database is opened.
"""

from __future__ import annotations

from typing import Any

import click

from tracker.errors import InvalidInput, OperationalError

FORMATS = ("yaml", "json")


@click.command("extract")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--us", metavar="NAME",
              help="Our party (its name or its label, e.g. 'Customer'): the other party is the vendor.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="yaml: a review with the quotes (default on a terminal); json: one object per file (default "
                   "when piped).")
@click.option("-o", "--output", metavar="FILE",
              help="Write the drafts that have what `tracker import` needs to this YAML file ('-' for stdout).")
@click.option("--owner", metavar="EMAIL", help="Owner of every contract written by -o (required with -o).")
def extract(files: tuple[str, ...], us: str | None, fmt: str | None, output: str | None, owner: str | None) -> None:
    """Propose contracts from .txt, .md, .pdf, .docx or .html files, each field with the sentence it came from.

    Review the drafts, then write the complete ones with `-o drafts.yaml --owner EMAIL` and
    `tracker import drafts.yaml`. Exit 1 when a file cannot be read (the others are still reported).
    """
    from pathlib import Path

    from tracker.cli.common import is_terminal
    from tracker.services.extract import check_suffix, extract_file

    _check_options(us, output, owner, fmt)
    paths = [Path(name) for name in files]
    for path in paths:
        check_suffix(path)  # every argument is checked before any file is read
    drafts = [extract_file(path, us.strip() if us else None, name) for path, name in zip(paths, files, strict=True)]
    unreadable = [draft for draft in drafts if not draft.readable]
    for draft in unreadable:
        click.echo(draft.warnings[0] if draft.warnings else f"{draft.file}: cannot be read", err=True)
    if output is not None:
        assert owner is not None
        _write_importable(drafts, output, owner.strip())
    if output is None or fmt is not None:
        _print(drafts, fmt or ("yaml" if is_terminal() else "json"), is_terminal())
    if unreadable:
        raise OperationalError(f"{len(unreadable)} of {len(drafts)} files could not be read")


def _check_options(us: str | None, output: str | None, owner: str | None, fmt: str | None) -> None:
    """Bad arguments are refused (exit 2) before anything is read or written."""
    from tracker.domain.specs import parse_contract

    if us is not None and not us.strip():
        raise InvalidInput.field("--us", us, "the name or label of our party, e.g. 'Acme Inc.' or 'Customer'")
    if output is not None and owner is None:
        raise InvalidInput.field("--owner", "", "an email address such as legal@example.com (required with -o)")
    if owner is not None and output is None:
        raise InvalidInput.field("--owner", owner, "to be used with -o FILE (the owner of the written contracts)")
    if owner is not None:
        # The import's own rule for an owner, wherever the schema keeps it.
        sample = {"title": "t", "vendor": "v", "owner": owner.strip(), "start": "2000-01-01", "term": "1 year"}
        if any(problem.field == "owner" for problem in parse_contract(sample)[1]):
            raise InvalidInput.field("--owner", owner, "an email address such as legal@example.com")
    if output == "-" and fmt is not None:
        raise InvalidInput.field("--format", fmt, "no --format with -o - (stdout holds the importable YAML)")
    if output is not None and output != "-" and not output.lower().endswith((".yaml", ".yml")):
        raise InvalidInput.field("-o", output, "a .yaml or .yml file name (or '-' for stdout)")


def _write_importable(drafts: list[Any], output: str, owner: str) -> None:
    from pathlib import Path

    from tracker.services.extract.drafts import to_importable

    result = to_importable(drafts, owner)
    if output == "-":
        click.echo(result.text, nl=False)
    else:
        try:
            Path(output).write_text(result.text, encoding="utf-8")
        except OSError as exc:
            raise OperationalError(f"{output}: cannot be written ({exc.strerror or exc})") from None
        plural = "s" if result.written != 1 else ""
        click.echo(f"Wrote {output}: {result.written} contract{plural} to review, then `tracker import {output}`.",
                   err=True)
    for line in result.notes:
        click.echo(f"  note: {line}", err=True)
    if result.skipped:
        click.echo(f"Not written ({len(result.skipped)}): complete them by hand or with `tracker add`:", err=True)
        for line in result.skipped:
            click.echo(f"  {line}", err=True)


def _print(drafts: list[Any], fmt: str, terminal: bool) -> None:
    from tracker.services.extract.drafts import to_json, to_review

    if fmt == "json":
        click.echo(to_json(drafts))
        return
    for line in to_review(drafts).splitlines():
        # Comments (the quotes) dimmed on a terminal; the text is already free of control characters.
        dim = terminal and line.lstrip().startswith("#")
        click.echo(click.style(line, dim=True) if dim else line)


COMMANDS = [extract]
