"""Shared fixtures of the whole test suite (keep small; helpers live next to their tests)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

DATA_DIR = Path(__file__).parent / "data"
SAMPLE_ROUNDS = sorted(p.name for p in DATA_DIR.glob("*.json") if p.name != "expected.json")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """tests/data: the sample rounds and their proven optima."""
    return DATA_DIR


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """An empty database at the newest schema, migrated once per test session; each app starts from a
    copy of it (its own file), so Alembic does not run the whole chain for every test."""
    from matcher.store.db import Database, migrate  # here, not at the top: collecting core tests loads no store

    path = tmp_path_factory.mktemp("template") / "matcher.sqlite"
    db = Database(f"sqlite:///{path}")
    migrate(db)
    db.checkpoint()
    db.dispose()
    return path


@pytest.fixture(scope="session")
def expected_optima() -> dict:
    """tests/data/expected.json: file name -> {served_value, total_distance_m}."""
    return json.loads((DATA_DIR / "expected.json").read_text(encoding="utf-8"))


# The slow tier (`-m slow`): whole modules that start processes (real servers,
# the CLI as a subprocess, Dask clusters), drive a browser, need PostgreSQL,
# fuzz the API or solve long CP-SAT / MILP references. Single slow tests
# elsewhere carry @pytest.mark.slow themselves. `python3 tasks.py test` runs
# both tiers; `-m "not slow"` is the quick one.
SLOW_MODULES = {
    "tests/api/test_api_server.py",        # matcher serve / worker processes, SIGKILL
    "tests/api/test_api_schemathesis.py",  # property-based fuzzing of every operation
    "tests/api/test_api_docs_browser.py",  # headless Chromium
    "tests/console/test_console_browser.py",  # headless Chromium against matcher serve
    "tests/api/test_api_postgres.py",      # a PostgreSQL server
    "tests/bench/test_parallel.py",        # Dask clusters and forked pools
    "tests/bench/test_side_parts.py",      # time-limited CP-SAT parts
    "tests/core/test_cli.py",              # the CLI as a subprocess
    "tests/core/test_cli_exits.py",        # the CLI as a subprocess
    "tests/core/test_cli_scenarios.py",    # the CLI as a subprocess
    "tests/core/test_properties.py",       # hypothesis against a MILP reference
    "tests/core/test_member_rounds.py",    # LP bound and dive against a MILP reference
    "tests/core/test_fairness_sweep.py",   # fairness on many random rounds against MILP stages
    "tests/whatif/test_scenario_files.py",  # every shipped scenario solved to the optimum
    "tests/api/test_cancel_within_a_second_in_every_stage.py",  # a worker process on a C-size round
    "tests/api/test_orphaned_solver_children.py",  # worker processes killed with SIGKILL
    "tests/api/test_events_under_gunicorn.py",  # event streams through gunicorn and a worker
    # the heaviest in-process modules (together about half of the quick tier's time on 2 cores)
    "tests/api/test_audit_store.py",       # tokens and chains through the CLI, parallel appends
    "tests/api/test_api_logs_storage.py",  # full disks and read-only databases, the CLI's one line
    "tests/api/test_progress_for_the_portal.py",  # rounds followed to their end through the worker
    "tests/api/test_api_metrics.py",       # thousands of requests to bound the labels
    "tests/api/test_wrong_pairing_of_files.py",  # rounds solved and reported through the CLI
    "tests/api/test_lists_import_api.py",  # workbooks imported through the API
    "tests/api/test_cli_cycle.py",         # the cycle through the CLI
    "tests/api/test_recommend_api.py",     # districts solved, then recommend against full re-solves
    "tests/cycle/test_simulate.py",        # a year of rounds through the API
    "tests/core/test_bulkcheck.py",        # the columnar and per-item paths on generated rounds
    "tests/core/test_recommend.py",        # 1,000 new needs against full re-solves
    "tests/api/test_whatif_budget.py",     # heavy what-if requests run to their budget
    "tests/whatif/test_marginal_flow.py",  # flow marginal values against a full re-solve per resource
}
SLOW_TESTS = {
    "tests/lists_report/test_report.py::test_report_draws_in_headless_chromium_offline",
    "tests/core/test_stop_requests.py::test_progress_figures_of_a_whole_solve_end_at_its_result",
}


def pytest_ignore_collect(collection_path, config):
    """The quick tier (`-m "not slow"`) does not even import the slow modules: collecting the
    schemathesis module alone builds hypothesis strategies for every operation (over 10 s)."""
    if config.getoption("markexpr", "").strip() != "not slow":
        return None
    rel = collection_path.resolve().relative_to(Path(__file__).resolve().parent.parent).as_posix()
    return True if rel in SLOW_MODULES else None


def pytest_collection_modifyitems(config, items):
    root = Path(__file__).resolve().parent.parent
    for item in items:
        rel = Path(item.fspath).resolve().relative_to(root).as_posix()
        if rel in SLOW_MODULES or item.nodeid.split("[")[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)
