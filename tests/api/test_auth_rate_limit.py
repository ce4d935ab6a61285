"""The limit on failed authentications per client address: after AUTH_FAILURE_LIMIT failures in a window of
AUTH_FAILURE_WINDOW_S seconds every request of that address gets 429 with Retry-After until the window passes;
successes are not counted; the counts are in the database (two apps on one database share them, SQLite and
PostgreSQL); X-Forwarded-For counts only behind MATCHER_TRUSTED_PROXIES."""
from __future__ import annotations

import datetime as dt
import ipaddress
import os
import threading
import time
import uuid

import pytest

from matcher.errors import InputError
from matcher.store import Database, migrate, ratelimit as counters, repo
from matcher.store.models import utcnow
from matcher.web import config, create_app
from matcher.web.ratelimit import client_address, client_key

ROUNDS = "/api/v1/rounds"
WRONG = {"Authorization": "Bearer wrong-token"}
PG_URL = os.environ.get("MATCHER_TEST_POSTGRES_URL", "")


@pytest.fixture
def limited(tmp_path):
    """make(limit, window_s, **settings) -> (app, client, auth) on one database file per test."""
    apps = []

    def make(limit: int, window_s: float, **settings):
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'rl.sqlite'}", "RUN_WORKER": False,
                          "AUTH_FAILURE_LIMIT": limit, "AUTH_FAILURE_WINDOW_S": window_s, **settings})
        apps.append(app)
        token = repo.create_token(app.extensions["matcher_db"], "西城区党建协调委员会")
        return app, app.test_client(), {"Authorization": f"Bearer {token}"}

    yield make
    for app in apps:
        app.extensions["matcher_db"].dispose()


def test_429_with_retry_after_after_n_failures_then_the_window_passes(limited):
    _, client, auth = limited(3, 1.0)
    assert [client.get(ROUNDS, headers=WRONG).status_code for _ in range(3)] == [401, 401, 401]
    r = client.get(ROUNDS, headers=WRONG)
    assert r.status_code == 429 and r.mimetype == "application/problem+json"
    assert r.json["title"] == "Too Many Requests" and "failed authentications" in r.json["detail"]
    wait = int(r.headers["Retry-After"])
    assert 1 <= wait <= 1
    blocked_right = client.get(ROUNDS, headers=auth)  # a right token during the block is refused too
    assert blocked_right.status_code == 429 and client.get(ROUNDS).status_code == 429
    assert "Retry-After" in blocked_right.headers
    time.sleep(wait + 0.05)
    assert client.get(ROUNDS, headers=auth).status_code == 200
    assert client.get(ROUNDS, headers=WRONG).status_code == 401  # a new window


def test_successful_requests_neither_count_nor_reset(limited):
    _, client, auth = limited(3, 30.0)
    assert [client.get(ROUNDS, headers=WRONG).status_code for _ in range(2)] == [401, 401]
    assert {client.get(ROUNDS, headers=auth).status_code for _ in range(25)} == {200}
    assert client.get(ROUNDS, headers=WRONG).status_code == 401
    assert client.get(ROUNDS, headers=auth).status_code == 429


def test_the_count_holds_across_processes_sharing_the_database(limited):
    (_, one, _), (_, two, auth) = limited(4, 30.0), limited(4, 30.0)  # two apps, two engines: two workers
    statuses = [(one if i % 2 else two).get(ROUNDS, headers=WRONG).status_code for i in range(4)]
    assert statuses == [401] * 4
    assert one.get(ROUNDS, headers=auth).status_code == two.get(ROUNDS, headers=auth).status_code == 429


def test_no_limit_when_it_is_zero(limited):
    _, client, auth = limited(0, 30.0)
    assert {client.get(ROUNDS, headers=WRONG).status_code for _ in range(30)} == {401}
    assert client.get(ROUNDS, headers=auth).status_code == 200


def test_without_trusted_proxies_x_forwarded_for_is_ignored(limited):
    _, client, auth = limited(2, 30.0)
    for ip in ("203.0.113.7", "198.51.100.9"):
        assert client.get(ROUNDS, headers={**WRONG, "X-Forwarded-For": ip}).status_code == 401
    assert client.get(ROUNDS, headers={**auth, "X-Forwarded-For": "192.0.2.1"}).status_code == 429
    other = client.get(ROUNDS, headers=auth, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200  # another peer address is not blocked


def test_behind_a_trusted_proxy_each_forwarded_client_counts_alone(limited):
    _, client, auth = limited(2, 30.0, TRUSTED_PROXIES="127.0.0.1, 10.0.0.0/8")
    a, b = {"X-Forwarded-For": "203.0.113.7"}, {"X-Forwarded-For": "198.51.100.9, 10.2.3.4"}
    assert [client.get(ROUNDS, headers={**WRONG, **a}).status_code for _ in range(2)] == [401, 401]
    assert client.get(ROUNDS, headers={**auth, **a}).status_code == 429
    assert client.get(ROUNDS, headers={**auth, **b}).status_code == 200
    spoofed = {"X-Forwarded-For": "198.51.100.9, 203.0.113.7"}  # the left entry is the client's own word
    assert client.get(ROUNDS, headers={**auth, **spoofed}).status_code == 429


def test_failed_metrics_tokens_count_too(limited):
    _, client, _ = limited(2, 30.0, METRICS_TOKEN="scrape-secret")
    assert [client.get("/metrics", headers=WRONG).status_code for _ in range(2)] == [401, 401]
    assert client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"}).status_code == 429


NETS = config.proxy_networks("10.0.0.0/8 127.0.0.1 fd00::/8 unix")


@pytest.mark.parametrize(("remote", "forwarded", "client"), [
    ("203.0.113.7", ["198.51.100.9"], "203.0.113.7"),               # an untrusted peer: its own address
    ("10.0.0.2", ["198.51.100.9"], "198.51.100.9"),
    ("10.0.0.2", ["1.1.1.1, 198.51.100.9, 10.0.0.3"], "198.51.100.9"),  # right-most untrusted hop
    ("10.0.0.2", ["1.1.1.1", "198.51.100.9"], "198.51.100.9"),       # several headers are one list
    ("10.0.0.2", ["10.0.0.9, 127.0.0.1"], "10.0.0.9"),               # all trusted: the left-most
    ("10.0.0.2", [], "10.0.0.2"),
    ("", ["203.0.113.7"], "203.0.113.7"),                            # a unix-socket peer, trusted as unix
    ("10.0.0.2", ["not-an-ip"], "not-an-ip"),
])
def test_client_address(remote, forwarded, client):
    assert client_address(remote, forwarded, NETS) == client


def test_client_keys():
    assert client_key("203.0.113.7") == "203.0.113.7"
    assert client_key("::ffff:203.0.113.7") == "203.0.113.7"
    assert client_key("2001:db8:1:2:aaaa::1") == client_key("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert client_key("2001:db8:1:3::1") != client_key("2001:db8:1:2::1")
    assert client_key("") == "-" and len(client_key("x" * 500)) == 64
    assert client_address("", ["203.0.113.7"], config.proxy_networks("10.0.0.0/8")) == ""


def test_trusted_proxies_setting_is_checked():
    assert NETS[:2] == (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("127.0.0.1/32"))
    with pytest.raises(InputError) as err:
        config.load({"TRUSTED_PROXIES": "10.0.0.0/8, proxy.example", "AUTH_FAILURE_LIMIT": -1})
    assert sorted(str(p) for p in err.value.problems) == [
        "MATCHER_AUTH_FAILURE_LIMIT: must be >= 0, got -1",
        "MATCHER_TRUSTED_PROXIES: 'proxy.example' is not an IP address, a network (10.0.0.0/8) or 'unix'"]


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "postgresql" and not PG_URL:
        pytest.skip("set MATCHER_TEST_POSTGRES_URL to a PostgreSQL database")
    db = Database(PG_URL if request.param == "postgresql" else f"sqlite:///{tmp_path / 'c.sqlite'}")
    migrate(db)
    yield db
    db.dispose()


def test_counters_are_one_atomic_upsert_per_failure(store):
    key = f"198.51.100.{uuid.uuid4().int % 250}-{uuid.uuid4().hex[:8]}"
    barrier = threading.Barrier(8)

    def fail() -> None:
        barrier.wait()
        counters.record_failure(store, key, 30.0)

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert counters.blocked_for(store, key, 8, 30.0) > 29 and counters.blocked_for(store, key, 9, 30.0) == 0
    later = utcnow() + dt.timedelta(seconds=31)  # the window has passed: a new one starts at 1
    assert counters.blocked_for(store, key, 8, 30.0, now=later) == 0
    assert counters.record_failure(store, key, 30.0, now=later) == 1
