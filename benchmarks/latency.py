"""Service latency of small rounds: through the running API, in process, and a queued round's pick-up.

    python -m benchmarks.run --latency [--repeat N]   # N posts of each sample round (default 20)

The six sample rounds are the project's own copies in ``tests/data`` (the
same files as the shared sample rounds; ``expected.json`` there holds their
proven optima, and every answer is checked against it).

* ``http``: the production set-up on loopback: gunicorn with the shipped
  ``gunicorn.conf.py`` (``api:create_app()``, ``--workers 2`` on this 2-core
  machine) and one ``matcher worker`` process, on a temporary SQLite file.
  The client keeps one HTTP/1.1 connection open (as a real client does) and
  posts the six rounds in turn, ``--repeat`` times, each solved in the request
  (inline). Wall time from sending the request to having read the answer; the
  first post of each round after start is reported apart (``first``), the
  percentiles are over the others.
* ``in-process``: in this process, interleaved per round (A B A B ...):
  A = ``matcher.service.solve_round`` on the round's bytes (validate, pairs,
  solve, verify, output document), B = the bare solver call on the same ready
  arrays (``matcher.solvers.get(params.solver)(prepared.problem, options)``,
  the round's own solver and time limit, nothing else). Ratio A / B per pair;
  the headline ratio is per batch (the six rounds once: the sum of A over the
  sum of B), median and min-max over the batches. The share of B spent inside
  OR-Tools' ``CpSolver.solve`` is measured too (the part no model building
  can save).
* ``pickup``: a queued round (``Prefer: respond-async``), posted one at a time
  with a random pause between (so that the posts fall anywhere in the
  worker's poll): from reading the 202 to the worker's ``running`` event (the
  round's history, millisecond timestamps, same clock). Measured on the
  production set-up (gunicorn + a separate ``matcher worker``: cross-process),
  with ``matcher serve`` (its worker thread is woken in process), and on
  PostgreSQL (a private schema of ``MATCHER_TEST_POSTGRES_URL``, dropped
  afterwards) when that variable is set.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from .contenders import load_average, spread

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = ROOT / "tests" / "data"
BIN = Path(sys.executable).parent
TARGETS = {"p50_ms": 15.0, "p95_ms": 60.0, "in_process_x": 1.3, "pickup_ms": 50.0}
QUEUED_ROUND = "huzhou_after_school.json"  # the smallest sample round: the pick-up, not the solve, is measured
CHECK_ROUNDS = ("huzhou_after_school.json", "huzhou_locked_forbidden.json", "xicheng_tidal_parking.json")


def sample_rounds(names=None) -> dict[str, bytes]:
    files = sorted(p for p in DATA.glob("*.json") if p.name != "expected.json")
    return {p.name: p.read_bytes() for p in files if names is None or p.name in names}


def expected() -> dict:
    return json.loads((DATA / "expected.json").read_text(encoding="utf-8"))


def percentiles(ms: list[float]) -> dict | None:
    """p50, p95, p99 (nearest rank above, no interpolation), min, max and the count of ``ms``."""
    if not ms:
        return None
    xs = sorted(ms)

    def rank(q: float) -> float:
        return xs[min(len(xs) - 1, max(0, -(-len(xs) * q // 100) - 1))]

    return {"p50": rank(50), "p95": rank(95), "p99": rank(99), "min": xs[0], "max": xs[-1], "n": len(xs)}


# ---------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def service_env(db_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MATCHER_")}
    env.update({"MATCHER_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1",
                "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")})
    return env


def make_token(db_url: str) -> str:
    """A committee token from ``matcher token create`` (which also creates the schema)."""
    out = subprocess.run([str(BIN / "matcher"), "token", "create", "--committee", "延迟测试委员会"],
                         env=service_env(db_url), cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


def _wait_ready(base: str, procs: list, log: Path, warmed: int, timeout: float = 90.0) -> None:
    """Until /healthz answers, ``warmed`` web workers logged their warm-up and the worker polls."""
    deadline = time.monotonic() + timeout
    while True:
        text = log.read_text(errors="replace")
        if text.count("solvers warmed in") >= warmed and " polling" in text:
            try:
                with contextlib.closing(http.client.HTTPConnection(base.split("//")[1], timeout=2)) as c:
                    c.request("GET", "/healthz")
                    if c.getresponse().status == 200:
                        return
            except OSError:
                pass
        if time.monotonic() > deadline or any(p.poll() is not None for p in procs):
            raise RuntimeError(f"the server did not start: {text[-2000:]}")
        time.sleep(0.1)


@contextlib.contextmanager
def running(kind: str, db_url: str, work: Path, web_workers: int = 2):
    """``kind`` ``gunicorn`` (shipped gunicorn.conf.py + one ``matcher worker`` process) or ``serve``
    (``matcher serve``, worker thread inside); yields the base URL once /healthz answers."""
    env, log = service_env(db_url), work / f"{kind}.log"
    port = free_port()
    if kind == "gunicorn":
        cmds = [[str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
                 "--workers", str(web_workers), "api:create_app()"], [str(BIN / "matcher"), "worker"]]
    else:
        cmds = [[str(BIN / "matcher"), "serve", "--host", "127.0.0.1", "--port", str(port)]]
    base = f"http://127.0.0.1:{port}"
    log.write_bytes(b"")
    with open(log, "ab") as out:
        procs = [subprocess.Popen(c, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT) for c in cmds]
        try:
            _wait_ready(base, procs, log, web_workers + 1 if kind == "gunicorn" else 1)
            yield base
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()


class Client:
    """One persistent HTTP/1.1 connection with a bearer token; reconnects when the server closed it."""

    def __init__(self, base: str, token: str):
        self.host, self.token, self.conn = base.split("//")[1], token, None

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, timeout=120)
            try:
                h = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json", **(headers or {})}
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return r.status, json.loads(data) if data else None, dict(r.getheaders())
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


# ---------------------------------------------------------------- through the API

def _check_answer(name: str, status: int, body, want: dict) -> str | None:
    if status not in (200, 201):
        return f"{name}: HTTP {status} {str(body)[:200]}"
    ob = ((body or {}).get("output") or {}).get("objective") or {}
    got = (ob.get("served_value"), ob.get("total_distance_m"))
    if body.get("status") != "optimal" or got != (want["served_value"], want["total_distance_m"]):
        return f"{name}: {body.get('status')} {got} != the proven optimum {want}"
    return None


def http_rounds(base: str, token: str, rounds: dict[str, bytes], repeat: int) -> dict:
    """Post every round ``repeat`` + 1 times in turn (the first post of each apart), inline."""
    want = expected()
    with contextlib.closing(Client(base, token)) as client:
        return _post_all(client, want, rounds, repeat)


def _post_all(client: Client, want: dict, rounds: dict[str, bytes], repeat: int) -> dict:
    first, per_round = {}, {name: [] for name in rounds}
    problems = []
    for i in range(repeat + 1):
        for name, body in rounds.items():
            t0 = time.perf_counter()
            status, answer, _ = client.call("POST", "/api/v1/rounds", body)
            ms = (time.perf_counter() - t0) * 1000
            problem = _check_answer(name, status, answer, want[name])
            if problem:
                problems.append(problem)
            elif i == 0:
                first[name] = ms
            else:
                per_round[name].append(ms)
    every = [x for xs in per_round.values() for x in xs]
    return {"all": percentiles(every), "first_ms": first, "problems": problems[:10],
            "per_round": {name: percentiles(xs) for name, xs in per_round.items()}}


def _history_running_at(answer: dict) -> float | None:
    """The epoch seconds of the round's ``running`` event (ISO 8601 UTC, milliseconds)."""
    for e in answer.get("history") or []:
        if e["status"] == "running":
            return dt.datetime.fromisoformat(e["at"].replace("Z", "+00:00")).timestamp()
    return None


def pickup(base: str, token: str, body: bytes, count: int, rng: random.Random) -> dict:
    """Queue ``body`` ``count`` times, one at a time: ms from reading the 202 to the worker's ``running``."""
    with contextlib.closing(Client(base, token)) as client:
        return _queue_each(client, body, count, rng)


def _queue_each(client: Client, body: bytes, count: int, rng: random.Random) -> dict:
    waits, queued, problems = [], [], []
    for _ in range(count):
        time.sleep(rng.uniform(0.0, 0.12))
        status, answer, headers = client.call("POST", "/api/v1/rounds", body, {"Prefer": "respond-async"})
        t_202 = time.time()
        if status != 202:
            problems.append(f"HTTP {status} {str(answer)[:200]}")
            continue
        path, deadline = headers["Location"], time.monotonic() + 60
        while answer["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.02)
            answer = client.call("GET", path)[1]
        at = _history_running_at(answer)
        if answer["status"] != "optimal" or at is None:
            problems.append(f"queued round ended {answer['status']}: {answer.get('message')}")
            continue
        waits.append((at - t_202) * 1000)
        queued.append(((answer.get("timings") or {}).get("queued_seconds") or 0.0) * 1000)
    return {"from_202": percentiles(waits), "queued_seconds": percentiles(queued), "problems": problems[:10],
            "note": "negative: the worker claimed the round before the client had read the 202"}


# ---------------------------------------------------------------- in process

def _cpsat_clock() -> list[float]:
    """Seconds spent inside OR-Tools' ``CpSolver.solve`` from now on, accumulated into the returned list."""
    from ortools.sat.python import cp_model

    spent = [0.0]
    plain = cp_model.CpSolver.solve

    def timed_solve(self, *args, **kwargs):
        t0 = time.perf_counter()
        try:
            return plain(self, *args, **kwargs)
        finally:
            spent[0] += time.perf_counter() - t0

    cp_model.CpSolver.solve = timed_solve
    return spent


def in_process(rounds: dict[str, bytes], repeat: int) -> dict:
    """``solve_round`` (A) against the bare solver call on the same ready arrays (B), A B A B per round."""
    from matcher import solvers
    from matcher.problem import SolveOptions
    from matcher.service import prepare, solve_round

    preps = {name: prepare(body) for name, body in rounds.items()}
    spent = _cpsat_clock()

    def bare(prep) -> float:
        t0 = time.perf_counter()
        solvers.get(prep.params.solver)(prep.problem, SolveOptions(time_limit_s=float(prep.params.time_limit_s)))
        return time.perf_counter() - t0

    for name, body in rounds.items():  # one untimed warm-up of each (imports, first calls)
        solve_round(body)
        bare(preps[name])
    runs = {name: {"a": [], "b": [], "cpsat": []} for name in rounds}
    for _ in range(repeat):
        for name, body in rounds.items():
            t0 = time.perf_counter()
            solve_round(body)
            runs[name]["a"].append(time.perf_counter() - t0)
            before = spent[0]
            runs[name]["b"].append(bare(preps[name]))
            runs[name]["cpsat"].append(spent[0] - before)
    return summarize_in_process(runs, repeat)


def summarize_in_process(runs: dict, repeat: int) -> dict:
    batches = [sum(r["a"][i] for r in runs.values()) / sum(r["b"][i] for r in runs.values()) for i in range(repeat)]
    per = {}
    for name, r in runs.items():
        per[name] = {"solve_round_ms": spread([x * 1000 for x in r["a"]]),
                     "bare_ms": spread([x * 1000 for x in r["b"]]),
                     "ratio": spread([a / b for a, b in zip(r["a"], r["b"]) if b > 0]),
                     "cpsat_share_of_bare": spread([c / b for c, b in zip(r["cpsat"], r["b"]) if b > 0])}
    total_b = sum(sum(r["b"]) for r in runs.values())
    return {"batch_ratio": spread(batches), "per_round": per, "repeat": repeat,
            "cpsat_share_of_bare": sum(sum(r["cpsat"]) for r in runs.values()) / total_b if total_b else None}


# ---------------------------------------------------------------- PostgreSQL

@contextlib.contextmanager
def pg_schema(url: str):
    """A private schema of the PostgreSQL database ``url`` (its ``search_path``), dropped afterwards: other
    users of the same database (test runs) neither see these rounds nor queue rounds for this worker."""
    import sqlalchemy as sa

    name = f"bench_latency_{uuid.uuid4().hex[:10]}"
    engine = sa.create_engine(url)
    with engine.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    sep = "&" if "?" in url else "?"
    try:
        yield f"{url}{sep}options=-csearch_path%3D{name}"
    finally:
        with engine.begin() as c:
            c.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        engine.dispose()


# ---------------------------------------------------------------- the run

def _service_runs(db_url: str, work: Path, rounds: dict[str, bytes], repeat: int, pickups: int,
                  rng: random.Random, say) -> dict:
    """On one database: the six rounds inline and the pick-up under gunicorn + worker, then ``matcher serve``."""
    token = make_token(db_url)
    out = {}
    with running("gunicorn", db_url, work) as base:
        say(f"  gunicorn up at {base} (load {load_average()}); posting {len(rounds)} rounds x {repeat + 1}")
        out["http"] = {"load_before": load_average(), **http_rounds(base, token, rounds, repeat)}
        out["http"]["load_after"] = load_average()
        say(f"  queued pick-up, gunicorn + matcher worker: {pickups} rounds")
        out["pickup_gunicorn"] = {"load_before": load_average(),
                                  **pickup(base, token, rounds.get(QUEUED_ROUND) or next(iter(rounds.values())),
                                           pickups, rng), "load_after": load_average()}
    with running("serve", db_url, work) as base:
        say(f"  queued pick-up, matcher serve (worker thread): {pickups} rounds")
        out["pickup_serve"] = {"load_before": load_average(),
                               **pickup(base, token, rounds.get(QUEUED_ROUND) or next(iter(rounds.values())),
                                        pickups, rng), "load_after": load_average()}
    return out


def measure(repeat: int, work: Path, say=print, pickups: int = 30, names=None, seed: int = 1) -> dict:
    rounds, rng = sample_rounds(names), random.Random(seed)
    res = {"harness": 2, "kind": "latency", "repeat": repeat, "pickups": pickups, "rounds": list(rounds),
           "rounds_from": "tests/data (the project's copies of the six sample rounds)",
           "when": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "cores": os.cpu_count()}
    say(f"[latency] SQLite (load {load_average()})")
    res["sqlite"] = _service_runs(f"sqlite:///{work / 'latency.sqlite'}", work, rounds, repeat, pickups, rng, say)
    pg = os.environ.get("MATCHER_TEST_POSTGRES_URL", "")
    if pg:
        say("[latency] PostgreSQL (a private schema of MATCHER_TEST_POSTGRES_URL)")
        with pg_schema(pg) as url:
            res["postgres"] = _service_runs(url, work, rounds, repeat, pickups, rng, say)
    say(f"[latency] in process: solve_round vs the bare solver call, {repeat} interleaved rounds")
    res["in_process"] = {"load_before": load_average(), **in_process(rounds, repeat), "load_after": load_average()}
    return res


def problems(res: dict) -> list[str]:
    out = []
    for db in ("sqlite", "postgres"):
        for key, part in (res.get(db) or {}).items():
            out += [f"{db} {key}: {p}" for p in part.get("problems") or []]
    return out


def check(say=print) -> int:
    """A quick smoke run (three small sample rounds, a few posts; seconds): every answer at the
    proven optimum, every queued round picked up and solved, every figure present."""
    with tempfile.TemporaryDirectory(prefix="bench-latency-check-") as work:
        res = measure(2, Path(work), say, pickups=3, names=CHECK_ROUNDS)
    bad = problems(res)
    s = res["sqlite"]
    if not (s["http"]["all"] and s["pickup_gunicorn"]["from_202"] and s["pickup_serve"]["from_202"]
            and res["in_process"]["batch_ratio"]):
        bad.append("a latency figure is missing")
    for line in section(res) + targets(res):
        say(line)
    for p in bad:
        say(f"LATENCY CHECK FAILED: {p}")
    return 1 if bad else 0


# ---------------------------------------------------------------- RESULTS.md

def _ms(p: dict | None) -> str:
    if not p:
        return "- | - | - | - |"
    return f"{p['p50']:.1f} | {p['p95']:.1f} | {p['p99']:.1f} | {p['min']:.1f}–{p['max']:.1f} |"


def _x(s: dict | None, unit: str = "x") -> str:
    return f"{s['median']:.2f}{unit} ({s['min']:.2f}–{s['max']:.2f})" if s else "-"


def section(res: dict) -> list[str]:
    L = [f"## Small rounds: service latency ({res['when']}; {res['repeat']} posts of each round, "
         f"{res['pickups']} queued rounds per set-up)", "",
         f"Rounds: {', '.join(r.removesuffix('.json') for r in res['rounds'])} ({res['rounds_from']}). "
         "Server: gunicorn with the shipped gunicorn.conf.py (2 web workers) and one `matcher worker`, on "
         "loopback, one kept-alive client connection; see benchmarks/latency.py.", "",
         "| what | n | p50 ms | p95 ms | p99 ms | min–max ms |", "|---|---:|---:|---:|---:|---:|"]
    for db in ("sqlite", "postgres"):
        part = res.get(db)
        if not part:
            continue
        h = part["http"]
        L.append(f"| {db}: POST, solved inline (all rounds) | {(h['all'] or {}).get('n', 0)} | {_ms(h['all'])}")
        for name, p in h["per_round"].items():
            L.append(f"| {db}: … {name.removesuffix('.json')} | {(p or {}).get('n', 0)} | {_ms(p)}")
        for key, label in (("pickup_gunicorn", "queued: 202 -> running, gunicorn + `matcher worker`"),
                           ("pickup_serve", "queued: 202 -> running, `matcher serve` (worker thread)")):
            p = part[key]["from_202"]
            L.append(f"| {db}: {label} | {(p or {}).get('n', 0)} | {_ms(p)}")
    for db in ("sqlite", "postgres"):
        if res.get(db):
            first = ", ".join(f"{k.removesuffix('.json')} {v:.0f}" for k, v in res[db]["http"]["first_ms"].items())
            L += ["", f"{db}: the first post of each round after the server started (ms, not in the percentiles): {first}"]
    L += ["", "load average (1, 5, 15 min): " + "; ".join(
        f"{db} {k} {v['load_before']} -> {v['load_after']}" for db in ("sqlite", "postgres")
        for k, v in (res.get(db) or {}).items()), ""]
    ip = res["in_process"]
    L += ["In process, interleaved (A = `solve_round` on the round's bytes, B = the bare solver call on the same "
          "ready arrays):", "", "| round | solve_round ms | bare solver ms | A / B per pair | B inside CpSolver.solve |",
          "|---|---:|---:|---:|---:|"]
    for name, r in ip["per_round"].items():
        L.append(f"| {name.removesuffix('.json')} | {_x(r['solve_round_ms'], '')} | {_x(r['bare_ms'], '')} | "
                 f"{_x(r['ratio'])} | {_x(r['cpsat_share_of_bare'], '')} |")
    share = ip.get("cpsat_share_of_bare")
    L += ["", f"batch (the six rounds once): A / B {_x(ip['batch_ratio'])}; of B, "
          f"{(share or 0) * 100:.0f} % inside CpSolver.solve; load average {ip['load_before']} -> {ip['load_after']}", ""]
    return L


def targets(res: dict) -> list[str]:
    out = []
    for db in ("sqlite", "postgres"):
        part = res.get(db)
        if not part:
            if db == "postgres":
                out.append("queued pick-up on PostgreSQL: not measured (MATCHER_TEST_POSTGRES_URL unset)")
            continue
        a, lb = part["http"]["all"], part["http"]["load_before"]
        if a:
            for q in ("p50", "p95"):
                limit = TARGETS[f"{q}_ms"]
                out.append(f"small rounds through the API ({db}, inline): {q} <= {limit:.0f} ms: measured "
                           f"{a[q]:.1f} ms (load {lb}): " + ("met" if a[q] <= limit else "NOT met"))
        for key, label in (("pickup_gunicorn", "gunicorn + matcher worker"), ("pickup_serve", "matcher serve")):
            p = part[key]["from_202"]
            if p:
                out.append(f"queued round picked up within {TARGETS['pickup_ms']:.0f} ms ({db}, {label}): measured "
                           f"p50 {p['p50']:.1f} ms, p95 {p['p95']:.1f} ms, max {p['max']:.1f} ms: "
                           + ("met" if p["p95"] <= TARGETS["pickup_ms"] else "NOT met") + " (judged on p95)")
    b = res["in_process"]["batch_ratio"]
    if b:
        out.append(f"in process <= {TARGETS['in_process_x']}x the bare solver call (six rounds, batch): measured "
                   f"{_x(b)}: " + ("met" if b["median"] <= TARGETS["in_process_x"] else "NOT met"))
    return out
