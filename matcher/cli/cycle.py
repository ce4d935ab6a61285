"""The committee cycle from the command line, for a committee without the portal, straight on the database.

- ``matcher decide ROUND_ID --committee C --approve P-0001,P-0002 --reject P-0003 --reason TEXT --hold P-0004``:
  the batch of ``POST /api/v1/rounds/{id}/decisions`` (:func:`matcher.store.cycle.decide`), all or nothing;
  a move not in the lifecycle table is refused naming each project (exit 2) and nothing changes;
- ``matcher project event ROUND_ID.P-0001 --committee C --to in_service|done|failed|confirmed|reopened|cancelled``
  with ``--reason``, ``--satisfaction 1..5``, ``--comment``, ``--note``: ``POST /api/v1/projects/{id}/events``
  (:func:`matcher.store.cycle.record`); ``reopened`` puts the units back in the lists as a need;
- ``matcher bans list --committee C`` and ``matcher bans lift NEED RESOURCE --committee C [--note]``:
  ``GET /api/v1/bans`` and ``POST /api/v1/bans/lift`` (:mod:`matcher.store.bans`).

Every change is an audit event whose actor is ``--actor`` (default ``cli:<login>``). Problems are told
with the option that caused them (``--reject P-0003: project P-0003 is approved; ...``).
"""
from __future__ import annotations

import json
import re

import click

from ..errors import FieldIssue, InputError, NotFound
from .serve import _database, db_option
from .tokens import actor_option, default_actor

committee_option = click.option("--committee", required=True, help="Committee name.")
DECISIONS = (("approve", "approved"), ("reject", "rejected"), ("hold", "held"))
EVENT_TARGETS = ("in_service", "done", "failed", "confirmed", "reopened", "cancelled")
EVENT_FIELDS = ("to", "reason", "satisfaction", "comment", "note")


def _committee(db, name: str) -> str:
    from ..store.tokens import committee_named

    with db.read() as s:
        return committee_named(s, name)


def _actor(actor: str | None) -> str:
    return (actor or "").strip() or default_actor()


def _ids(values: tuple[str, ...]) -> list[str]:
    return [i.strip() for v in values for i in v.split(",") if i.strip()]


def decision_batch(chosen: dict[str, tuple[str, ...]], reason: str | None, note: str | None
                   ) -> tuple[list[dict], list[str]]:
    """The decisions of the options (``approve``/``reject``/``hold`` -> ids) and each one's label."""
    requests, labels = [], []
    for option, status in DECISIONS:
        for pid in _ids(chosen.get(option, ())):
            item = {"project_id": pid, "to": status}
            if status == "rejected":
                item["reason"] = reason
            if note is not None:
                item["note"] = note
            requests.append(item)
            labels.append(f"--{option} {pid}")
    return requests, labels


def _relabel_decisions(exc: Exception, labels: list[str]) -> Exception:
    """``decisions[i].field`` in an error as the option and project it came from."""
    def label(m: re.Match) -> str:
        field = m[2]
        return labels[int(m[1])] + (f" --{field}" if field in ("reason", "note") else "")

    pattern = re.compile(r"decisions\[(\d+)\](?:\.(\w+))?")
    if isinstance(exc, InputError):
        return type(exc)([FieldIssue(pattern.sub(label, p.path), p.message) for p in exc.problems])
    return NotFound(pattern.sub(label, str(exc)))


@click.command()
@click.argument("round_id")
@committee_option
@click.option("--approve", multiple=True, help="Project ids to approve, comma-separated (P-0001,P-0002).")
@click.option("--reject", multiple=True, help="Project ids to reject (needs --reason).")
@click.option("--reason", default=None, help="Why the projects of --reject are rejected.")
@click.option("--hold", multiple=True, help="Project ids to hold for a later decision.")
@click.option("--note", default=None, help="A note kept with every decision of the batch.")
@actor_option
@db_option
def decide(round_id: str, committee: str, approve: tuple[str, ...], reject: tuple[str, ...], reason: str | None,
           hold: tuple[str, ...], note: str | None, actor: str | None, database_url: str | None) -> None:
    """Approve, reject and hold projects of ROUND_ID all together, or change nothing."""
    from ..store import cycle

    requests, labels = decision_batch({"approve": approve, "reject": reject, "hold": hold}, reason, note)
    if not requests:
        raise click.UsageError("give at least one project with --approve, --reject or --hold")
    if _ids(reject) and reason is None:
        raise click.UsageError("--reason is required with --reject")
    if reason is not None and not _ids(reject):
        raise click.UsageError("--reason goes with --reject")
    db = _database(database_url)
    committee_id = _committee(db, committee)
    try:
        items = cycle.decide(db, committee_id, _actor(actor), round_id, requests)
    except NotFound as exc:
        if str(exc) == "no such round":
            raise NotFound(f"no round {round_id} of committee {committee!r}") from None
        raise _relabel_decisions(exc, labels) from None
    except InputError as exc:  # ConflictError included: a refused move, each project named
        raise _relabel_decisions(exc, labels) from None
    for item in items:
        click.echo(f"{item['project_id']}: {item['status']}")
    click.echo(f"{len(items)} decision(s) recorded on round {round_id}")


@click.group()
def project() -> None:
    """Projects of the committee's rounds."""


@project.command("event")
@click.argument("project_id", metavar="PROJECT_ID")
@committee_option
@click.option("--to", "to", required=True, type=click.Choice(EVENT_TARGETS), help="What happened.")
@click.option("--reason", default=None, help="Required with failed (e.g. no_show).")
@click.option("--satisfaction", type=click.IntRange(1, 5), default=None, help="The resident's 1..5 (done, confirmed, reopened).")
@click.option("--comment", default=None, help="The resident's comment (done, confirmed, reopened).")
@click.option("--note", default=None, help="A note kept with the event.")
@actor_option
@db_option
def project_event(project_id: str, committee: str, to: str, reason: str | None, satisfaction: int | None,
                  comment: str | None, note: str | None, actor: str | None, database_url: str | None) -> None:
    """Record what happened to PROJECT_ID (ROUND_ID.P-0001, as `GET /projects` shows it)."""
    from ..store import cycle

    given = {"to": to, "reason": reason, "satisfaction": satisfaction, "comment": comment, "note": note}
    db = _database(database_url)
    committee_id = _committee(db, committee)
    try:
        view = cycle.record(db, committee_id, _actor(actor), project_id, {k: v for k, v in given.items() if v is not None})
    except InputError as exc:  # field paths as the options
        raise type(exc)([FieldIssue(f"--{p.path}" if p.path in EVENT_FIELDS else p.path, p.message)
                         for p in exc.problems]) from None
    click.echo(f"{view['id']}: {view['status']}")
    need = view.get("reopened_need")
    if need:
        click.echo(f"reopened: need {need['id']} ({need['quantity']} units) is back in the lists")


@click.group()
def bans() -> None:
    """Pairs the committee rejected, forbidden in its next rounds until lifted."""


@bans.command("list")
@committee_option
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@db_option
def bans_list(committee: str, as_json: bool, database_url: str | None) -> None:
    """The committee's current bans, with the project, round, time and reason of each rejection."""
    from ..store import bans as store

    db = _database(database_url)
    items = store.list_bans(db, _committee(db, committee))
    if as_json:
        click.echo(json.dumps(items, ensure_ascii=False, indent=2))
    for item in [] if as_json else items:
        click.echo(f"{item['need_id']} x {item['resource_id']}: rejected in {item['project_id']} at "
                   f"{item['rejected_at']} ({item['reason'] or 'no reason'})")
    if not items and not as_json:
        click.echo("no bans")


@bans.command("lift")
@click.argument("need_id", metavar="NEED")
@click.argument("resource_id", metavar="RESOURCE")
@committee_option
@click.option("--note", default=None, help="Why the ban is lifted.")
@actor_option
@db_option
def bans_lift(need_id: str, resource_id: str, committee: str, note: str | None, actor: str | None,
              database_url: str | None) -> None:
    """Lift the ban on NEED with RESOURCE: the next round from the lists may pair them again."""
    from ..store import bans as store

    db = _database(database_url)
    body = {"need_id": need_id, "resource_id": resource_id, **({"note": note} if note is not None else {})}
    lifted = store.lift(db, _committee(db, committee), _actor(actor), body)
    click.echo(f"ban on {need_id} x {resource_id} lifted at {lifted['lifted_at']} "
               f"(rejected in {lifted['project_id']})")


COMMANDS = [decide, project, bans]
