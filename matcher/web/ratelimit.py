"""The limit on failed authentications per client address: 429 with ``Retry-After`` once it is reached.

- :func:`client_address`: ``request.remote_addr``; when that peer is a trusted
  proxy (``MATCHER_TRUSTED_PROXIES``), the right-most ``X-Forwarded-For`` entry
  not itself a trusted proxy (the address the proxies saw the request come
  from; entries further left were written by the client and are ignored);
- :func:`client_key`: the address as counted: an IPv4 address as it is, an
  IPv6 address by its /64 network (one host usually holds a whole /64);
- :func:`guard`: before a token is checked, 429 while the client has
  ``AUTH_FAILURE_LIMIT`` failures in its current window of
  ``AUTH_FAILURE_WINDOW_S`` seconds, whatever the token (a right guess
  during the block is refused too); :func:`failed`: count a 401.

The counters live in the database (:mod:`matcher.store.ratelimit`), so the
limit holds across gunicorn workers and hosts sharing it.
"""
from __future__ import annotations

import ipaddress
import math
from collections.abc import Sequence
from typing import Optional

from flask import current_app, request

from ..errors import ApiError
from ..store import ratelimit as counters
from ..store import Database
from .config import UNIX_PEER

MAX_KEY = 64


def _ip(text: Optional[str]) -> Optional[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        ip = ipaddress.ip_address((text or "").strip())
    except ValueError:
        return None
    return ip.ipv4_mapped or ip if isinstance(ip, ipaddress.IPv6Address) else ip


def _trusted(text: Optional[str], networks: Sequence) -> bool:
    ip = _ip(text)
    if ip is None:
        return UNIX_PEER in networks
    return any(not isinstance(n, str) and ip.version == n.version and ip in n for n in networks)


def client_address(remote: Optional[str], forwarded: Sequence[str], networks: Sequence) -> str:
    """The client's address as the module docstring says (``""`` for a peer without one)."""
    if not networks or not _trusted(remote, networks):
        return remote or ""
    hops = [h.strip() for header in forwarded for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop
    return hops[0] if hops else remote or ""


def client_key(address: str) -> str:
    """The key the failures of ``address`` are counted under."""
    ip = _ip(address)
    if isinstance(ip, ipaddress.IPv6Address):
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip) if ip is not None else (address or "-")[:MAX_KEY]


def db() -> Database:
    return current_app.extensions["matcher_db"]


def _limit() -> int:
    return int(current_app.config["AUTH_FAILURE_LIMIT"])


def guard() -> Optional[str]:
    """The request's client key; 429 while it is blocked. None when there is no limit."""
    if _limit() <= 0:
        return None
    cfg = current_app.config
    key = client_key(client_address(request.remote_addr, request.headers.getlist("X-Forwarded-For"),
                                    cfg["TRUSTED_PROXY_NETWORKS"]))
    wait = counters.blocked_for(db(), key, _limit(), float(cfg["AUTH_FAILURE_WINDOW_S"]))
    if wait > 0:
        seconds = max(1, math.ceil(wait))
        raise ApiError(429, "Too Many Requests", f"too many failed authentications from this address; "
                       f"try again in {seconds} s", headers={"Retry-After": str(seconds)})
    return key


def failed(key: Optional[str]) -> None:
    """Count a failed authentication of ``key`` (from :func:`guard`)."""
    if key is not None:
        counters.record_failure(db(), key, float(current_app.config["AUTH_FAILURE_WINDOW_S"]))
