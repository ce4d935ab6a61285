"""Settings of the API service: :data:`DEFAULTS`, then ``MATCHER_*`` environment variables, then overrides.

Every key of :data:`DEFAULTS` can be set as ``MATCHER_<KEY>`` (e.g.
``MATCHER_DATABASE_URL``, ``MATCHER_MAX_BODY_MB``); Flask's
``Config.from_prefixed_env("MATCHER")`` reads them, parsing each value as JSON
when it can (``5``, ``0.5``, ``true``) and keeping it as text otherwise (text
settings, the database URL and the metrics token, are taken verbatim). The
``test_config`` mapping of ``create_app(test_config)`` wins over both.
:func:`check` then gives every known setting its type and range; a value that
does not fit stops the start with one :class:`~matcher.errors.InputError`
naming each variable (``MATCHER_SYNC_BUDGET_S: must be a number >= 0, got 'soon'``).
``TRUSTED_PROXIES`` is also kept parsed, as ``TRUSTED_PROXY_NETWORKS`` (:func:`proxy_networks`).
"""
from __future__ import annotations

import ipaddress
import math
import os
import re
from typing import Any, Optional
from collections.abc import Mapping

from flask import Config

from ..errors import FieldIssue, InputError
from ..store import default_url

DEFAULTS: dict[str, Any] = {
    "DATABASE_URL": "",          # default: sqlite file instance/matcher.sqlite under the working directory
    "MAX_BODY_MB": 32.0,         # larger request bodies are refused with 413 before being read
    "SYNC_MAX_PAIRS": 5000,      # rounds with at most this many possible pairs are tried in the request ...
    "SYNC_MAX_BODY_KB": 512,     # ... and a body of at most this size ...
    "SYNC_BUDGET_S": 5.0,        # ... for at most this long; otherwise they are queued (202)
    "SOLVER_WORKERS": 0,         # solver threads (0 = all cores)
    "METRICS_TOKEN": "",         # bearer token of GET /metrics (unset: /metrics answers 403)
    "RUN_WORKER": False,         # also run a background worker thread in this process (matcher serve)
    "POLL_S": 0.02,              # worker: idle polling interval, one read (a round queued in-process wakes it at once)
    "LEASE_S": 30.0,             # worker: a running round whose lease is older is taken back
    "HEARTBEAT_S": 2.0,          # worker: lease renewal and cancel check interval
    "MAX_ATTEMPTS": 2,           # worker: a round whose worker died this often ends failed
    "PAGE_SIZE": 20,             # GET /rounds default page size
    "CORS_ORIGINS": "",          # origins allowed by CORS, comma- or space-separated ("*": any); none by default
    "AUTH_FAILURE_LIMIT": 20,    # failed authentications of one client address per window before 429 (0: no limit)
    "AUTH_FAILURE_WINDOW_S": 60.0,  # ... the window, in seconds
    "TRUSTED_PROXIES": "",       # proxies whose X-Forwarded-For names the client: addresses, networks, "unix"
    "SECRET_KEY": "",            # console sessions' signing key (unset: a random key kept beside the database)
    "COOKIE_SECURE": False,      # console session cookie only over HTTPS (set true behind TLS)
    "RECOMMEND_CACHE": 8,        # loaded recommend states (one per stored round) kept per process, LRU
    "EVENTS_MAX_S": 30.0,        # GET /rounds/<id>/events: a stream ends after this long (the client reconnects)
    "EVENTS_MAX_STREAMS": 16,    # ... at most this many streams per web process at once (more: 503)
    "EVENTS_POLL_S": 0.5,        # ... each reads the round this often
    "WHATIF_BUDGET_S": 20.0,     # POST /whatif: total solving seconds of one request, shared by its rounds
    "WHATIF_MAX_PAIRS": 25000,   # ... and candidate pairs of all its rounds together (more: 422)
}
# key -> (type, smallest allowed value); strings have no minimum
_RULES: dict[str, tuple[type, Optional[float]]] = {
    "DATABASE_URL": (str, None), "METRICS_TOKEN": (str, None), "CORS_ORIGINS": (str, None), "RUN_WORKER": (bool, None),
    "SECRET_KEY": (str, None), "COOKIE_SECURE": (bool, None),
    "MAX_BODY_MB": (float, 0.001), "SYNC_MAX_PAIRS": (int, 0), "SYNC_MAX_BODY_KB": (int, 0),
    "SYNC_BUDGET_S": (float, 0), "SOLVER_WORKERS": (int, 0), "POLL_S": (float, 0.001), "LEASE_S": (float, 0.1),
    "HEARTBEAT_S": (float, 0.01), "MAX_ATTEMPTS": (int, 1), "PAGE_SIZE": (int, 1),
    "AUTH_FAILURE_LIMIT": (int, 0), "AUTH_FAILURE_WINDOW_S": (float, 0.01), "TRUSTED_PROXIES": (str, None),
    "RECOMMEND_CACHE": (int, 1),
    "EVENTS_MAX_S": (float, 0.1), "EVENTS_MAX_STREAMS": (int, 1), "EVENTS_POLL_S": (float, 0.01),
    "WHATIF_BUDGET_S": (float, 0.1), "WHATIF_MAX_PAIRS": (int, 0),
}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def _typed(kind: type, lo: Optional[float], value: Any) -> tuple[Any, Optional[str]]:
    """(value of ``kind``, None) or (None, what is wrong)."""
    if kind is str:
        return ("" if value is None else str(value)), None
    if kind is bool:
        text = str(value).strip().lower()
        if isinstance(value, bool) or text in _TRUE | _FALSE:
            return (value if isinstance(value, bool) else text in _TRUE), None
        return None, "must be true or false"
    try:
        number = kind(value) if not isinstance(value, bool) else None
    except (TypeError, ValueError):
        number = None
    if number is None or not math.isfinite(number) or (kind is int and isinstance(value, float) and value != number):
        return None, f"must be {'an integer' if kind is int else 'a number'} >= {lo:g}"
    if lo is not None and number < lo:
        return None, f"must be >= {lo:g}"
    return number, None


UNIX_PEER = "unix"  # in TRUSTED_PROXIES: a peer without an IP address (a proxy on a unix socket)


def proxy_networks(setting: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network | str, ...]:
    """``TRUSTED_PROXIES`` parsed: comma- or space-separated addresses (``10.0.0.5``), networks
    (``10.0.0.0/8``, ``fd00::/8``) and ``unix``; ValueError naming an item that is none of them."""
    out: list[ipaddress.IPv4Network | ipaddress.IPv6Network | str] = []
    for item in (i for i in re.split(r"[\s,]+", setting or "") if i):
        if item.lower() == UNIX_PEER:
            out.append(UNIX_PEER)
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{item!r} is not an IP address, a network (10.0.0.0/8) or 'unix'") from None
    return tuple(out)


def check(cfg: Config) -> None:
    """Give each known setting its type; derive ``MAX_CONTENT_LENGTH`` and the default database URL."""
    problems = []
    for key, (kind, lo) in _RULES.items():
        value, why = _typed(kind, lo, cfg.get(key))
        if why:
            problems.append(FieldIssue(f"MATCHER_{key}", f"{why}, got {cfg.get(key)!r}"))
        cfg[key] = value
    try:
        cfg["TRUSTED_PROXY_NETWORKS"] = proxy_networks(cfg["TRUSTED_PROXIES"])
    except ValueError as exc:
        problems.append(FieldIssue("MATCHER_TRUSTED_PROXIES", str(exc)))
    if problems:
        raise InputError(problems, "invalid settings")
    cfg["DATABASE_URL"] = cfg["DATABASE_URL"] or default_url()
    cfg["MAX_CONTENT_LENGTH"] = int(cfg["MAX_BODY_MB"] * 1024 * 1024)


def configure(cfg: Config, overrides: Optional[Mapping[str, Any]] = None) -> None:
    """Defaults, then ``MATCHER_*`` variables, then ``overrides``; checked."""
    cfg.from_mapping(DEFAULTS)
    cfg.from_prefixed_env("MATCHER")
    for key, (kind, _lo) in _RULES.items():  # text settings verbatim: a token "null" or "1e3" stays that text
        if kind is str and f"MATCHER_{key}" in os.environ:
            cfg[key] = os.environ[f"MATCHER_{key}"]
    cfg.from_mapping(overrides or {})
    check(cfg)


def load(overrides: Optional[Mapping[str, Any]] = None) -> Config:
    """The settings without an app (``matcher worker``, ``matcher token create``)."""
    cfg = Config(".")
    configure(cfg, overrides)
    return cfg
