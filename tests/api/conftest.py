"""Fixtures of the API tests: an app on a temporary SQLite file per test, tokens of two committees."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from matcher.store import repo

API_DATA = Path(__file__).parent / "data"
ROOT_DATA = Path(__file__).parents[1] / "data"


@pytest.fixture
def app(tmp_path, migrated_sqlite):
    from api import create_app

    shutil.copyfile(migrated_sqlite, tmp_path / "matcher.sqlite")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'matcher.sqlite'}", "RUN_WORKER": False,
                      "SOLVER_WORKERS": 2, "LEASE_S": 5.0, "HEARTBEAT_S": 0.2, "POLL_S": 0.05,
                      "SYNC_BUDGET_S": 30.0})  # tiny rounds stay inline on a loaded machine (queueing tests set 0)
    yield app
    app.extensions["matcher_db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db(app):
    return app.extensions["matcher_db"]


@pytest.fixture
def auth(db) -> dict:
    return {"Authorization": f"Bearer {repo.create_token(db, '西城区党建协调委员会')}"}


@pytest.fixture
def other_auth(db) -> dict:
    return {"Authorization": f"Bearer {repo.create_token(db, '湖州某街道委员会')}"}


@pytest.fixture
def sample_round() -> dict:
    return json.loads((API_DATA / "huzhou_after_school.json").read_text(encoding="utf-8"))


@pytest.fixture
def run_worker(app, db):
    """Run the background worker once (solves one queued round), as `matcher worker --once` would."""
    from matcher.worker import Worker, WorkerSettings

    def run() -> bool:
        return Worker(db, WorkerSettings.from_config(app.config), worker_id="test-worker").run_once()

    return run
