"""``matcher lists import FILE --committee C [--apply]``: a committee's Excel / CSV lists into its stored lists.

    matcher lists import 三单.xlsx --committee 西城区党建协调委员会            # preview: what would change
    matcher lists import 三单.xlsx --committee 西城区党建协调委员会 --apply    # do it, all or nothing

FILE is a workbook (sheets 社区 / 提供方 / 资源清单 / 需求清单), a folder of CSV files named
like them, or one CSV file. The preview is a table of the entries to add, change (field by
field) and withdraw (exit 0); a file with any bad row prints each (sheet, row, id, column)
and exits 2 with nothing changed (:mod:`matcher.store.lists_import`). The database is the
one of ``matcher serve`` (``--database-url`` / ``MATCHER_DATABASE_URL``); the audit events
carry ``--actor`` (default ``cli``).
"""
from __future__ import annotations

import json
from typing import Any

import click

from .failures import about
from .serve import _database, db_option

TABLE_WIDTH = 140


def _committee_id(db, name: str) -> str:
    from sqlalchemy import select

    from ..errors import NotFound
    from ..store.models import Committee

    with db.read() as s:
        found = s.scalar(select(Committee.id).where(Committee.name == name))
    if found is None:
        raise NotFound(f"no committee {name!r} (matcher token create --committee NAME makes one)")
    return found


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def render_plan(plan) -> str:
    """The plan's entries as a table: what is added, changed (each field before → after), withdrawn."""
    from io import StringIO

    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False)
    for header in ("", "list", "id", "where", "fields"):
        table.add_column(header, overflow="fold")
    for a in plan.added:
        fields = "; ".join(f"{k}: {_shown(v)}" for k, v in a["entry"].items() if k != "id")
        table.add_row("add", a["kind"], a["id"], f"{a['sheet']} row {a['row']}", fields)
    for c in plan.changed:
        fields = "; ".join(f"{f['field']}: {_shown(f['before'])} → {_shown(f['after'])}" for f in c["fields"])
        table.add_row("change", c["kind"], c["id"], f"{c['sheet']} row {c['row']}", fields)
    for w in plan.withdrawn:
        table.add_row("withdraw", w["kind"], w["id"], "not in the file", "")
    buf = StringIO()
    Console(file=buf, width=TABLE_WIDTH, force_terminal=False, color_system=None).print(table)
    return buf.getvalue().rstrip("\n")


def _scope(plan) -> str:
    from ..store.lists import PLURALS

    kept = [name for name in PLURALS if name not in plan.kinds]
    text = f"lists in the file: {', '.join(plan.kinds)}"
    return text + (f"; {', '.join(kept)} stay as they are (not in the file)" if kept else "")


@click.command("import")
@click.argument("path", metavar="三单.xlsx | FOLDER | LIST.csv")
@click.option("--committee", required=True, help="Committee name (as in matcher token create).")
@click.option("--apply", "apply_", is_flag=True, help="Apply the changes (default: only show them).")
@click.option("--expect", metavar="DIGEST", help="With --apply: refuse unless the preview still has this digest.")
@click.option("--actor", default="cli", show_default=True, help="Name the audit events carry.")
@db_option
def lists_import(path: str, committee: str, apply_: bool, expect: str | None, actor: str,
                 database_url: str | None) -> None:
    """Import a committee's lists from Excel / CSV: preview what changes, or --apply it all or nothing."""
    from ..store import lists_import as importer
    from ..tabular.entries import read_entry_file

    if not actor.strip():
        raise click.BadParameter("must not be empty", param_hint="--actor")
    if expect is not None and not apply_:
        raise click.BadParameter("goes with --apply", param_hint="--expect")
    db = _database(database_url)
    committee_id = _committee_id(db, committee)
    about(path)
    file = read_entry_file(path)
    for note in file.notes:
        click.echo(f"note: {note}", err=True)
    if apply_:
        plan = importer.apply(db, committee_id, actor.strip(), file, expect)
    else:
        plan = importer.preview(db, committee_id, file)
    if plan.added or plan.changed or plan.withdrawn:
        click.echo(render_plan(plan))
    click.echo(_scope(plan))
    counts = (len(plan.added), len(plan.changed), len(plan.withdrawn), plan.unchanged)
    if plan.applied:
        click.echo("applied: {} added, {} changed, {} withdrawn, {} unchanged".format(*counts))
    else:
        click.echo("preview: {} to add, {} to change, {} to withdraw, {} unchanged".format(*counts))
        click.echo(f"digest {plan.digest}; apply with --apply (add --expect {plan.digest} to refuse if the lists "
                   "change meanwhile)")
