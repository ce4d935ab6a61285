"""Settings: defaults, ``MATCHER_*`` variables (JSON values, text verbatim), ``test_config``, clear errors."""
from __future__ import annotations

import pytest

from matcher.errors import InputError
from matcher.web import config, create_app


@pytest.fixture
def clean_env(monkeypatch):
    import os
    for key in list(os.environ):
        if key.startswith("MATCHER_"):
            monkeypatch.delenv(key)
    return monkeypatch


def test_defaults_then_environment_then_test_config(clean_env, tmp_path):
    clean_env.setenv("MATCHER_DATABASE_URL", f"sqlite:///{tmp_path / 'env.sqlite'}")
    clean_env.setenv("MATCHER_SYNC_BUDGET_S", "2.5")
    clean_env.setenv("MATCHER_RUN_WORKER", "no")
    clean_env.setenv("MATCHER_MAX_BODY_MB", "1")
    clean_env.setenv("MATCHER_PAGE_SIZE", "7")
    clean_env.setenv("MATCHER_METRICS_TOKEN", "null")
    app = create_app({"PAGE_SIZE": 9})
    cfg = app.config
    assert cfg["DATABASE_URL"].endswith("env.sqlite") and (tmp_path / "env.sqlite").exists()
    assert cfg["SYNC_BUDGET_S"] == 2.5 and cfg["RUN_WORKER"] is False and cfg["PAGE_SIZE"] == 9
    assert cfg["MAX_CONTENT_LENGTH"] == 1024 * 1024
    assert cfg["METRICS_TOKEN"] == "null"  # text verbatim, not JSON's null
    assert cfg["SYNC_MAX_PAIRS"] == config.DEFAULTS["SYNC_MAX_PAIRS"] and cfg["SOLVER_WORKERS"] == 0
    app.extensions["matcher_db"].dispose()


def test_load_without_an_app(clean_env):
    clean_env.setenv("MATCHER_POLL_S", "0.05")
    cfg = config.load({"MAX_ATTEMPTS": 3})
    assert cfg["POLL_S"] == 0.05 and cfg["MAX_ATTEMPTS"] == 3 and cfg["DATABASE_URL"].startswith("sqlite:///")


@pytest.mark.parametrize(("key", "raw", "message"), [
    ("SYNC_BUDGET_S", "soon", "must be a number >= 0, got 'soon'"),
    ("MAX_ATTEMPTS", "1.5", "must be an integer >= 1, got 1.5"),
    ("MAX_ATTEMPTS", "0", "must be >= 1, got 0"),
    ("RUN_WORKER", "maybe", "must be true or false, got 'maybe'"),
    ("MAX_BODY_MB", "-1", "must be >= 0.001, got -1"),
    ("POLL_S", "[1]", "must be a number >= 0.001, got [1]"),
])
def test_invalid_setting_is_a_clear_startup_error(clean_env, key, raw, message):
    clean_env.setenv(f"MATCHER_{key}", raw)
    with pytest.raises(InputError) as err:
        config.load()
    assert err.value.title == "invalid settings"
    assert [str(p) for p in err.value.problems] == [f"MATCHER_{key}: {message}"]


def test_every_invalid_setting_is_named_at_once(clean_env):
    with pytest.raises(InputError) as err:
        config.load({"PAGE_SIZE": "many", "LEASE_S": None})
    assert sorted(p.path for p in err.value.problems) == ["MATCHER_LEASE_S", "MATCHER_PAGE_SIZE"]
