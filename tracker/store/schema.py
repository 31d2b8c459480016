"""The schema's migrations (Alembic): which revision a database is at, upgrading it, and the policy for
a database older or newer than this tracker.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from tracker.errors import InvalidInput, OperationalError
from tracker.store.engine import mask_url, no_schema, use_wal

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


def _alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("tracker.migrations")))
    # The config is a ConfigParser: a literal % (an escaped character in a password) must be doubled.
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    config.attributes["engine"] = engine
    return config


def autogenerate_config(engine: Engine) -> Any:
    """An Alembic config for ``alembic revision --autogenerate``: the only use of the live tables in migrations."""
    from sqlmodel import SQLModel

    import tracker.store.tables  # noqa: F401  (registers the tables on the metadata)

    config = _alembic_config(engine)
    config.attributes["target_metadata"] = SQLModel.metadata
    return config


def head_revision(engine: Engine) -> str:
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    assert head is not None
    return head


_REVISION_LINE = re.compile(r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:['"]([^'"]+)['"]|(None))\s*$""", re.M)


@lru_cache(maxsize=1)
def newest_revision() -> str | None:
    """The head revision read from the migration scripts' ``revision`` lines, without importing Alembic.

    Importing Alembic costs about half a second, which every command would pay just to learn that the
    schema is current. None when the scripts do not form one plain chain (a merge, an unusual header):
    callers then ask Alembic (:func:`head_revision`), which is always right.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in resources.files("tracker.migrations").joinpath("versions").iterdir():
        if not script.name.endswith(".py") or script.name.startswith("__"):
            continue
        found = {name: value for name, value, _ in _REVISION_LINE.findall(script.read_text(encoding="utf-8"))}
        if "revision" not in found or "down_revision" not in found or not found["revision"]:
            return None
        revisions.add(found["revision"])
        if found["down_revision"]:
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The schema's revision, or None for a database without the tracker's schema (empty or foreign)."""
    return inspect_schema(engine)[0]


def inspect_schema(engine: Engine) -> tuple[str | None, list[str]]:
    """(the schema's revision or None, the other tables in the default schema): one read, no write lock."""
    from sqlalchemy import inspect, text

    from tracker.store.engine import read_connection

    with read_connection(engine) as connection:
        tables = inspect(connection).get_table_names()
        if "alembic_version" not in tables:
            return None, sorted(tables)
        revision = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        return revision, [name for name in tables if name != "alembic_version"]


def foreign_schema(url: str, tables: list[str]) -> OperationalError:
    """The error for a database holding another application's tables: the tracker touches none of them."""
    shown = ", ".join(tables[:5]) + (f" and {len(tables) - 5} more" if len(tables) > 5 else "")
    return OperationalError(
        f"database {mask_url(url)} holds a foreign schema (tables {shown}, no tracker schema): "
        "it is not a tracker database; point --db or TRACKER_DB at a tracker database or a new one"
    )


def known_revision(engine: Engine, revision: str) -> bool:
    """Whether ``revision`` is one of this tracker's migrations (a newer tracker may have migrated further)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    try:
        return ScriptDirectory.from_config(_alembic_config(engine)).get_revision(revision) is not None
    except CommandError:
        return False


def newer_schema(url: str, revision: str, head: str) -> OperationalError:
    """The error for a database migrated by a newer tracker than this one: nothing is changed."""
    return OperationalError(
        f"the database {mask_url(url)} is at schema {revision}, which this tracker does not know "
        f"(its newest is {head}): a newer tracker migrated it; upgrade tracker"
    )


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Run the migrations up to ``revision``; return (before, after)."""
    from alembic import command

    if revision != "head" and not known_revision(engine, revision):
        raise InvalidInput.field("REVISION", revision, "a revision listed by `tracker db history`, or head")
    before, tables = inspect_schema(engine)
    if before is None and tables:
        raise foreign_schema(engine.url.render_as_string(hide_password=False), tables)
    if before is not None and not known_revision(engine, before):
        raise newer_schema(engine.url.render_as_string(hide_password=False), before, head_revision(engine))
    use_wal(engine)
    command.upgrade(_alembic_config(engine), revision)
    after = current_revision(engine)
    assert after is not None
    return before, after


def migration_history(engine: Engine) -> list[tuple[str, str | None, str]]:
    """(revision, down_revision, message) from the newest to the oldest migration."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(_alembic_config(engine))
    return [
        (rev.revision, rev.down_revision if isinstance(rev.down_revision, str) else None, rev.doc or "")
        for rev in script.walk_revisions()
    ]


def ensure_current(engine: Engine, url: str, create: bool = False) -> None:
    """Check that the database is at this tracker's schema: refuse one older or newer, with what to do.

    A database without the schema is refused too (one with other tables as a foreign schema), unless
    ``create``: then an empty one is migrated to the newest schema. Only `tracker init`, `tracker db
    upgrade` and the demo's scratch database create, so a mistyped URL never turns into an empty ledger.
    """
    current, tables = inspect_schema(engine)
    if current is None:
        if tables:
            raise foreign_schema(url, tables)
        if not create:
            raise no_schema(url)
        upgrade(engine)
    elif current == newest_revision():
        pass  # the common case, answered without importing Alembic
    elif not known_revision(engine, current):
        raise newer_schema(url, current, head_revision(engine))
    elif current != head_revision(engine):
        raise OperationalError(
            f"the database schema is at {current}, older than this tracker's; "
            "run `tracker db upgrade` (back the database up first)"
        )
