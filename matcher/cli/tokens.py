"""``matcher token create | list | revoke``: the committees' bearer tokens, straight on the database.

``create`` prints a new token (only its sha256 is stored), optionally bound to
an actor and expiring (``--expires-in 30d``; units s, m, h, d, w). ``list``
shows id, committee, actor, created, expires, revoked and state (live,
expired, revoked), never the secret. ``revoke ID`` makes the token answer 401
like a wrong one from then on and writes a ``token.revoked`` audit event in
its committee's log; with ``--committee`` another committee's token is not
found (exit 2). These commands are the operator's: they need the database,
not a token.
"""
from __future__ import annotations

import datetime as dt
import json
import re

import click

from .serve import _database, db_option

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_EXPIRY_S = 100 * 366 * 86400
COLUMNS = ("id", "committee", "actor", "created_at", "expires_at", "revoked_at", "state")


class Duration(click.ParamType):
    """A positive duration: a whole number and a unit, ``90s``, ``45m``, ``12h``, ``30d``, ``2w``."""

    name = "duration"

    def convert(self, value, param, ctx) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        match = re.fullmatch(r"\s*(\d{1,9})\s*([smhdw])\s*", str(value).lower())
        if not match or int(match[1]) == 0:
            self.fail(f"{value!r} is not a duration such as 30d, 12h, 45m, 90s or 2w", param, ctx)
        seconds = int(match[1]) * UNITS[match[2]]
        if seconds > MAX_EXPIRY_S:
            self.fail(f"{value!r} is more than 100 years", param, ctx)
        return dt.timedelta(seconds=seconds)


def default_actor() -> str:
    """``cli:<login name>``: who acts from the command line when ``--actor`` is not given."""
    import getpass

    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return "cli"


actor_option = click.option("--actor", default=None, help="Name the audit events carry (default: cli:<login>).")


@click.group()
def token() -> None:
    """Bearer tokens of committees."""


@token.command("create")
@click.option("--committee", required=True, help="Committee name (created when new).")
@click.option("--actor", default=None, help="Name bound to the token; its audit events carry it.")
@click.option("--expires-in", type=Duration(), default=None, help="Valid this long (30d, 12h, ...); default: until revoked.")
@db_option
def token_create(committee: str, actor: str | None, expires_in: dt.timedelta | None, database_url: str | None) -> None:
    """Print a new bearer token for COMMITTEE (only its sha256 is stored)."""
    from ..store import repo

    if not committee.strip():
        raise click.BadParameter("must not be empty", param_hint="--committee")
    click.echo(repo.create_token(_database(database_url), committee.strip(), (actor or "").strip() or None,
                                 expires_in))


def _table(rows: list[dict]) -> list[str]:
    cells = [[("-" if r[c] is None else str(r[c])) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(COLUMNS)]
    return ["  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip() for row in [list(COLUMNS), *cells]]


@token.command("list")
@click.option("--committee", default=None, help="Only this committee's tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list instead of a table.")
@db_option
def token_list(committee: str | None, as_json: bool, database_url: str | None) -> None:
    """List tokens (never their secrets): id, committee, actor, created, expires, revoked, state."""
    from ..store import tokens

    rows = tokens.list_tokens(_database(database_url), committee)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for line in _table(rows) if rows else ["no tokens"]:
        click.echo(line)


@token.command("revoke")
@click.argument("token_id", metavar="ID", type=click.IntRange(min=1))
@click.option("--committee", default=None, help="Refuse unless the token is this committee's.")
@actor_option
@db_option
def token_revoke(token_id: int, committee: str | None, actor: str | None, database_url: str | None) -> None:
    """Revoke token ID (see `matcher token list`): from now on it answers 401."""
    from ..store import tokens

    row = tokens.revoke(_database(database_url), token_id, (actor or "").strip() or default_actor(), committee)
    click.echo(f"token {row['id']} of {row['committee']} revoked at {row['revoked_at']}")


COMMANDS = [token]
