"""``matcher audit verify --committee C``: recompute a committee's audit chain and name the first broken event."""
from __future__ import annotations

import click

from .serve import _database, db_option


@click.group()
def audit() -> None:
    """The committees' audit logs."""


@audit.command("verify")
@click.option("--committee", required=True, help="Committee name.")
@db_option
def verify(committee: str, database_url: str | None) -> None:
    """Check every stored event of COMMITTEE's chain; exit 1 naming the first that does not match."""
    from sqlalchemy import select

    from ..errors import NotFound
    from ..store import audit as log
    from ..store.models import Committee

    db = _database(database_url)
    with db.read() as s:
        committee_id = s.scalar(select(Committee.id).where(Committee.name == committee))
    if committee_id is None:
        raise NotFound(f"no committee {committee!r}")
    count, broken = log.verify(db, committee_id)
    if broken is not None:
        click.echo(f"audit chain of {committee} broken at {broken}", err=True)
        raise SystemExit(1)
    click.echo(f"audit chain of {committee} holds: {count} events")
