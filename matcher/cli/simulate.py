"""``matcher simulate``: a seeded year of the committee cycle, run through the real API and store.

The app is :func:`matcher.web.create_app` on the configured database (``--database-url``,
else ``MATCHER_DATABASE_URL``, else ``instance/matcher.sqlite``), driven in-process through
Flask's test client (the real views, the real store) with a bearer token made as
``matcher token create`` makes it, for a new committee; a queued round is solved by the
worker in-process (``matcher worker --once``). The engine is :mod:`matcher.cycle.simulate`,
the driver :mod:`matcher.cycle.drive`. One line per round, or ``--json``.
"""
from __future__ import annotations

import contextlib
import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Optional

import click

from .failures import about
from .inputs import read_input
from .serve import db_option

DEFAULT_SCENARIO = Path(__file__).resolve().parents[2] / "scenarios" / "simulations" / "district_year.json"
ACTOR = "simulation"


def load_scenario(path: str):
    """The scenario file, parsed (:class:`~matcher.errors.InputError` naming the field otherwise)."""
    from ..cycle.simulate import parse_scenario
    from ..jsondoc import decode_json

    raw = read_input(path)
    return parse_scenario(decode_json(raw))


def client_call(client, token: str):
    """A Flask test client as the driver's ``call(method, path, body, query, headers)``."""

    def call(method: str, path: str, body: Any = None, query=None, headers=None) -> tuple[int, Any]:
        r = client.open(path, method=method, json=body, query_string=query,
                        headers={"Authorization": f"Bearer {token}", **(headers or {})})
        return r.status_code, r.get_json(silent=True)

    return call


@contextlib.contextmanager
def in_process(database_url: Optional[str], committee: str) -> Iterator[tuple[Any, Any]]:
    """``(call, run_worker)`` of an app on the configured database, for a new committee's token."""
    from sqlalchemy import select

    from ..errors import FieldIssue, InputError
    from ..store import repo
    from ..store.models import Committee
    from ..web import create_app
    from ..worker import Worker, WorkerSettings

    app = create_app({"RUN_WORKER": False, **({"DATABASE_URL": database_url} if database_url else {})})
    db = app.extensions["matcher_db"]
    try:
        with db.read() as s:
            taken = s.scalar(select(Committee.id).where(Committee.name == committee)) is not None
        if taken:
            raise InputError([FieldIssue("--committee", f"{committee!r} already exists; the simulation "
                                         "starts a new committee")])
        token = repo.create_token(db, committee, ACTOR)
        worker = Worker(db, WorkerSettings.from_config(app.config))
        yield client_call(app.test_client(), token), worker.run_once
    finally:
        db.dispose()


def _rate(value: Optional[float]) -> str:
    return "—" if value is None else f"{100 * value:.1f}%"


HEADER = (f"{'round':>5} {'status':<8} {'needs':>5} {'units':>5} {'served':>6} {'coverage':>8} {'approved':>8} "
          f"{'completed':>9} {'reopened':>8} {'satisf.':>7} {'behind':>7}")


def line(month) -> str:
    """One round's figures, the year to date: needs posted, units demanded and served, the rates,
    mean satisfaction, members behind their yearly minimum (of the members with one)."""
    f = month.to_date
    sat = f.get("satisfaction_mean")
    behind = f"{month.members_behind}/{len(month.members)}"
    return (f"{month.round:>5} {month.status:<8} {f.get('needs_posted', 0):>5} {f.get('units_demanded', 0):>5} "
            f"{f.get('units_served', 0):>6} {_rate(f.get('coverage')):>8} {_rate(f.get('approval_rate')):>8} "
            f"{_rate(f.get('completion_rate')):>9} {_rate(f.get('reopen_rate')):>8} "
            f"{'—' if sat is None else f'{sat:.2f}':>7} {behind:>7}")


@click.command()
@click.option("--rounds", type=click.IntRange(1, 366), default=12, show_default=True, help="Months (one round each).")
@click.option("--seed", type=int, default=7, show_default=True, help="Seed of every random choice.")
@click.option("--scenario", "scenario_path", default=str(DEFAULT_SCENARIO), show_default="the district year",
              help="Scenario file (see scenarios/simulations/).")
@db_option
@click.option("--committee", default=None, help="Name of the new committee (default: simulation, seed and a suffix).")
@click.option("--queued", is_flag=True, help="Queue every round (Prefer: respond-async); the worker solves it in-process.")
@click.option("--json", "as_json", is_flag=True, help="Print the per-round figures as JSON.")
def simulate(rounds: int, seed: int, scenario_path: str, database_url: Optional[str], committee: Optional[str],
             queued: bool, as_json: bool) -> None:
    """Simulate a district's year of the committee cycle through the API and print the figures per round."""
    from ..cycle.drive import Driver
    from ..cycle.simulate import Engine

    scenario = load_scenario(scenario_path)
    about("simulation")
    name = committee or f"simulation seed {seed} {secrets.token_hex(3)}"
    with in_process(database_url, name) as (call, run_worker):
        driver = Driver(call, scenario, Engine(scenario, seed), run_worker=run_worker, prefer_async=queued)
        click.echo(f"{scenario.name}: committee {name!r}, seed {seed}, {rounds} rounds", err=True)
        if not as_json:
            click.echo(HEADER)
        months = driver.run(rounds, None if as_json else (lambda m: click.echo(line(m))))
    if as_json:
        click.echo(json.dumps({"scenario": scenario.name, "seed": seed, "committee": name,
                               "rounds": [m.to_dict() for m in months]}, ensure_ascii=False, indent=1))
