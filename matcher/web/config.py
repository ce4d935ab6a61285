"""Settings of the API service, from ``MATCHER_*`` environment variables.

Every key of :data:`DEFAULTS` can be set as ``MATCHER_<KEY>`` (e.g.
``MATCHER_DATABASE_URL``, ``MATCHER_MAX_BODY_MB``) or passed in the ``config``
mapping of ``create_app(config)``, which wins over the environment.
"""
from __future__ import annotations

import os
from typing import Any, Mapping, Optional

from ..store import default_url

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "",          # default: sqlite file instance/matcher.sqlite under the working directory
    "MAX_BODY_MB": 32.0,         # larger request bodies are refused with 413 before being read
    "SYNC_MAX_PAIRS": 2000,      # rounds with at most this many candidate pairs are tried in the request ...
    "SYNC_BUDGET_S": 5.0,        # ... for at most this long; otherwise they are queued (202)
    "SOLVER_WORKERS": 0,         # solver threads (0 = all cores)
    "RUN_WORKER": False,         # also run a background worker thread in this process (matcher serve)
    "POLL_S": 0.5,               # worker: idle polling interval
    "LEASE_S": 30.0,             # worker: a running round whose lease is older is taken back
    "HEARTBEAT_S": 2.0,          # worker: lease renewal and cancel check interval
    "MAX_ATTEMPTS": 2,           # worker: a round whose worker died this often ends failed
    "PAGE_SIZE": 20,             # GET /rounds default page size
}
_TRUE = {"1", "true", "yes", "on"}


def _convert(key: str, raw: str) -> Any:
    kind = type(DEFAULTS[key])
    if kind is bool:
        return raw.strip().lower() in _TRUE
    if kind in (int, float):
        try:
            return kind(raw)
        except ValueError:
            raise ValueError(f"MATCHER_{key}={raw!r}: not a number") from None
    return raw


def load(overrides: Optional[Mapping[str, Any]] = None, environ: Mapping[str, str] = os.environ) -> dict[str, Any]:
    cfg = dict(DEFAULTS)
    for key in DEFAULTS:
        if f"MATCHER_{key}" in environ:
            cfg[key] = _convert(key, environ[f"MATCHER_{key}"])
    for key, value in (overrides or {}).items():
        cfg[key] = value
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = default_url()
    cfg["MAX_CONTENT_LENGTH"] = int(float(cfg["MAX_BODY_MB"]) * 1024 * 1024)
    return cfg
