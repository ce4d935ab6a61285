"""Recommend on a stored district round: per-call latency (state loaded once) against the full re-solve.

    python -m benchmarks.recommend [--resources 10000] [--needs 10000] [--calls 300] [--resolves 5]
    python -m benchmarks.recommend --service [--server serve|gunicorn] ...

The round comes from :func:`benchmarks.generate.generate` (size ``M``'s city
model, rules ``plain``, resized to the given counts). Each call answers one
random new need (a copy of a random need of the round at a jittered place,
under a new id) with ``k = 5``. A few calls are interleaved with the full
re-solve of the round plus that need (``service.solve_round``, A B A B), whose
Δ served value and Δ distance must equal the answer's; p50/p95/p99 are printed
side by side with the re-solve times, and their ratios.

In-process (default): the state is loaded once with ``RecommendState.from_result``
and :func:`matcher.recommend.recommend` is timed.

``--service``: the real service in its own process (``matcher serve --no-worker``,
or ``gunicorn -c gunicorn.conf.py`` with one worker process) on a fresh SQLite
file. The round is stored with ``POST /api/v1/rounds`` (solved in the request:
the sync limits are raised for this run), the first
``POST /api/v1/rounds/{id}/recommend`` loads the state (timed apart), then each
call is one HTTP request on loopback (one client connection, kept alive where
the server allows it), timed by the client from the request to the last byte
of the answer. ``--in-process-too`` times the engine in the benchmark's own
process after each HTTP call as well (same need, its own state; the answers
must be equal), which shows the service's overhead under the same load.
"""
from __future__ import annotations

import argparse
import copy
import http.client
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np

from benchmarks.generate import generate
from benchmarks.latency import free_port
from matcher.recommend import RecommendState, recommend
from matcher.service import solve_round

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def percentiles(seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return " ".join(f"p{q}={np.percentile(ms, q):8.1f} ms" for q in (50, 95, 99))


def new_need(doc: dict, rng: random.Random, n: int) -> dict:
    base = copy.deepcopy(rng.choice(doc["needs"]))
    base.update(id=f"NEW-{n}", lat=base["lat"] + rng.uniform(-0.005, 0.005), lon=base["lon"] + rng.uniform(-0.005, 0.005))
    return base


def resolve_delta(doc: dict, base, extra: dict) -> tuple[float, tuple[int, int]]:
    """(seconds, (Δ served value, Δ distance)) of a full re-solve of the round plus ``extra``."""
    d2 = copy.deepcopy(doc)
    d2["needs"].append(extra)
    s = time.perf_counter()
    full = solve_round(d2, timings=False)
    took = time.perf_counter() - s
    return took, (full.solution.served_value - base.solution.served_value,
                  full.solution.total_distance - base.solution.total_distance)


def interleaved(doc: dict, base, ask, a, reference=None) -> tuple[list[float], list[float], list[float]]:
    """``a.calls`` timed calls of ``ask(need) -> answer``, with ``a.resolves`` full re-solves interleaved;
    with ``reference``, each call is followed by a timed ``reference(need)`` whose answer must be the same."""
    rng = random.Random(a.seed)
    calls, resolves, refs, every = [], [], [], max(1, a.calls // max(1, a.resolves))
    for n in range(a.calls):
        extra = new_need(doc, rng, n)
        s = time.perf_counter()
        ans = ask(extra)
        calls.append(time.perf_counter() - s)
        if reference is not None:
            s = time.perf_counter()
            same = reference(extra)
            refs.append(time.perf_counter() - s)
            assert {k: v for k, v in ans.items() if k != "round_id"} == same, n
        if n % every == 0 and len(resolves) < a.resolves:  # A B A B: the re-solve that gives the same answer
            took, want = resolve_delta(doc, base, extra)
            resolves.append(took)
            got = (ans["best"]["delta_served_value"], ans["best"]["delta_total_distance_m"])
            assert got == want, (n, got, want)
    return calls, resolves, refs


def report(label: str, calls: list[float], resolves: list[float]) -> None:
    print(f"{label} ({len(calls)} calls, k=5): {percentiles(calls)}")
    print(f"full re-solve ({len(resolves)} runs):   {percentiles(resolves)}")
    print(f"ratio re-solve p50 / recommend p50: {np.median(resolves) / np.median(calls):.0f}x; "
          f"re-solve p50 / recommend p95: {np.median(resolves) / np.percentile(calls, 95):.0f}x; "
          f"re-solve p50 / recommend p99: {np.median(resolves) / np.percentile(calls, 99):.0f}x")


def in_process(doc: dict, base, a) -> None:
    t = time.perf_counter()
    state = RecommendState.from_result(base.prepared, base)
    print(f"state load {time.perf_counter() - t:.2f} s")
    calls, resolves, _ = interleaved(doc, base, lambda extra: recommend(state, extra, k=5), a)
    report("recommend", calls, resolves)


class Client:
    """One HTTP/1.1 connection to the service, kept open between calls where the server allows it
    (gunicorn: keep-alive; matcher serve answers HTTP/1.0 and closes, so each call connects anew)."""

    def __init__(self, base: str, token: str, timeout: float = 900):
        host, port = base.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=timeout)
        self.headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}

    def post(self, path: str, body: dict) -> tuple[int, dict]:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        try:
            self.conn.request("POST", path, data, self.headers)
            r = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            self.conn.close()  # the server closed an idle kept-alive connection (gunicorn keepalive): connect anew
            self.conn.request("POST", path, data, self.headers)
            r = self.conn.getresponse()
        data = r.read()
        if r.will_close:
            self.conn.close()
        return r.status, json.loads(data or b"{}")


def start_server(kind: str, db_url: str, log) -> tuple[subprocess.Popen, str]:
    """The service in its own process on a free loopback port; returns (process, base URL) once it answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env.update(MATCHER_DATABASE_URL=db_url, MATCHER_SYNC_MAX_PAIRS="100000000", MATCHER_SYNC_MAX_BODY_KB="1000000",
               MATCHER_SYNC_BUDGET_S="3600", MATCHER_MAX_BODY_MB="256", PYTHONPATH=str(ROOT))
    if kind == "gunicorn":  # one worker process (one state cache); the cold state load outlasts the 60 s default
        cmd = [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
               "--workers", "1", "--timeout", "900", "api:create_app()"]
    else:
        cmd = [str(BIN / "matcher"), "serve", "--no-worker", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=2).read()
            return proc, base
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the {kind} server did not start; see {log.name}") from None
            time.sleep(0.2)


def _rss_mb(pid: int) -> str:
    try:
        import psutil
    except ImportError:
        return "?"
    proc = psutil.Process(pid)
    return f"{sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)]) / 2**20:,.0f}"


def service(doc: dict, base, a) -> None:
    from matcher.store import Database, migrate, repo

    tmp = Path(tempfile.mkdtemp(prefix="matcher-recommend-bench-"))
    db_url = f"sqlite:///{tmp / 'bench.sqlite'}"
    db = Database(db_url)
    migrate(db)
    token = repo.create_token(db, "bench")
    db.dispose()
    with open(tmp / "server.log", "wb") as log:
        proc, url = start_server(a.server, db_url, log)
        try:
            client = Client(url, token)
            t = time.perf_counter()
            status, rnd = client.post("/api/v1/rounds", doc)
            assert status == 201 and rnd["status"] == "optimal", (status, rnd.get("status"), rnd.get("detail"))
            print(f"stored round {rnd['id']} via POST /api/v1/rounds (solved in the request) in "
                  f"{time.perf_counter() - t:.1f} s; server RSS {_rss_mb(proc.pid)} MB")
            ask_path = f"/api/v1/rounds/{rnd['id']}/recommend"

            def ask(extra: dict) -> dict:
                code, answer = client.post(ask_path, {"need": extra, "k": 5})
                assert code == 200, (code, answer)
                return answer

            t = time.perf_counter()
            ask(new_need(doc, random.Random(-1), -1))
            print(f"first call (loads the state): {time.perf_counter() - t:.1f} s; server RSS {_rss_mb(proc.pid)} MB")
            reference = None
            if a.in_process_too:  # the engine in this process on its own state, after each HTTP call
                state = RecommendState.from_result(base.prepared, base)
                reference = lambda extra: recommend(state, extra, k=5)  # noqa: E731
            calls, resolves, refs = interleaved(doc, base, ask, a, reference)
            report(f"POST .../recommend over HTTP ({a.server})", calls, resolves)
            if refs:
                print(f"the engine in-process on the same needs, interleaved (same answers): {percentiles(refs)}")
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--resources", type=int, default=10_000)
    ap.add_argument("--needs", type=int, default=10_000)
    ap.add_argument("--calls", type=int, default=300)
    ap.add_argument("--resolves", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--service", action="store_true", help="measure the running service over HTTP")
    ap.add_argument("--server", choices=("serve", "gunicorn"), default="serve",
                    help="with --service: matcher serve (werkzeug, threaded) or gunicorn -c gunicorn.conf.py")
    ap.add_argument("--in-process-too", action="store_true",
                    help="with --service: after each HTTP call, time the engine in this process on the same need "
                         "(its own state) and check that the answers are the same")
    a = ap.parse_args()
    doc = generate("M", a.seed, "plain", resources=a.resources, needs=a.needs)
    t0 = time.perf_counter()
    base = solve_round(doc, timings=False)
    print(f"round {a.resources:,} x {a.needs:,}: solve {time.perf_counter() - t0:.2f} s")
    (service if a.service else in_process)(doc, base, a)


if __name__ == "__main__":
    main()
