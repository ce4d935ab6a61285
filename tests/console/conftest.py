"""Fixtures of the console tests: an app on a temporary SQLite file, two committees' tokens, signed-in clients."""
from __future__ import annotations

import shutil

import pytest

from consolehelpers import Console
from matcher.store import repo


@pytest.fixture
def app(tmp_path, migrated_sqlite):
    from api import create_app

    shutil.copyfile(migrated_sqlite, tmp_path / "matcher.sqlite")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'matcher.sqlite'}", "RUN_WORKER": False,
                      "SOLVER_WORKERS": 2, "SYNC_BUDGET_S": 20.0})
    yield app
    app.extensions["matcher_db"].dispose()


@pytest.fixture
def db(app):
    return app.extensions["matcher_db"]


@pytest.fixture
def token(db) -> str:
    return repo.create_token(db, "西城区党建协调委员会", actor="王书记")


@pytest.fixture
def other_token(db) -> str:
    return repo.create_token(db, "湖州某街道委员会", actor="李主任")


@pytest.fixture
def console(app, token) -> Console:
    """A test client signed in to the first committee."""
    c = Console(app.test_client())
    c.sign_in(token)
    return c


@pytest.fixture
def other_console(app, other_token) -> Console:
    c = Console(app.test_client())
    c.sign_in(other_token)
    return c
