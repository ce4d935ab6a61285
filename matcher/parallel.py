"""Where the independent parts of a round are solved: here, or on a Dask cluster.

:mod:`matcher.solvers.plan` splits a round into parts that share nothing and
packs them into a fixed list of tasks (a function of the round only, never of
the number of workers). :func:`map_tasks` runs such a list where
:func:`choose` alone decides: on forked local processes (:func:`local_map`)
or through a *runner*, which maps the task function over that list:

* :class:`SerialRunner` (the default) solves the tasks one after the other in
  this process;
* :class:`DaskRunner` sends them to a Dask distributed cluster, either an
  existing one (``tcp://HOST:8786``) or a :class:`distributed.LocalCluster`
  started for the solve.

Because the tasks and their inputs are the same either way and every solver
is deterministic on a given input, a Dask solve returns exactly the result of
the serial solve (same value, distance and projects).

Solvers pick the runner up from a context variable, so nothing between the
service and the solver has to pass it along::

    with parallel.connect("tcp://10.0.0.5:8786") as runner, parallel.using(runner):
        result = service.solve_round(data)

Dask is an optional dependency (``pip install matcher[bench]``); it is only
imported when a :class:`DaskRunner` is created.
"""
from __future__ import annotations

import contextlib
import contextvars
import os
from typing import Any, Optional
from collections.abc import Callable, Iterator, Sequence


class SerialRunner:
    """Solve the tasks here, one after the other."""

    remote = False
    workers = 1

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        return [fn(item) for item in items]

    def close(self) -> None:
        pass

    def __enter__(self) -> SerialRunner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class DaskRunner(SerialRunner):
    """Map tasks over the workers of a Dask distributed cluster."""

    remote = True

    def __init__(self, client: Any, cluster: Any = None):
        self.client = client
        self.cluster = cluster  # owned (closed with the runner) when we started it

    @property
    def workers(self) -> int:  # type: ignore[override]
        return max(1, len(self.client.scheduler_info().get("workers", {})))

    def map(self, fn: Callable[[Any], Any], items: Sequence[Any]) -> list[Any]:
        if len(items) <= 1:
            return [fn(item) for item in items]
        futures = self.client.map(fn, list(items), pure=False)
        return self.client.gather(futures)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def local_cluster(workers: int = 0, processes: bool = True, threads_per_worker: int = 1) -> DaskRunner:
    """Start a :class:`distributed.LocalCluster` with ``workers`` workers (0 = one per core)."""
    from distributed import Client, LocalCluster

    n = workers or os.cpu_count() or 1
    cluster = LocalCluster(n_workers=n, threads_per_worker=threads_per_worker, processes=processes,
                           dashboard_address=None, silence_logs=40)
    return DaskRunner(Client(cluster), cluster)


def connect(scheduler: Optional[str] = None, workers: int = 0, processes: bool = True) -> SerialRunner:
    """A runner for ``scheduler``: ``None`` = serial, ``"local"`` = a new local
    cluster with ``workers`` workers, anything else = the address of a running
    Dask scheduler (``tcp://HOST:8786``)."""
    if not scheduler:
        return SerialRunner()
    if scheduler == "local":
        return local_cluster(workers, processes=processes)
    from distributed import Client

    return DaskRunner(Client(scheduler))


def local_pool_allowed() -> bool:
    """May matcher fork local processes here? (``MATCHER_LOCAL_POOL=0`` says no.)"""
    return os.environ.get("MATCHER_LOCAL_POOL", "1") != "0"


FORK_MIN_COST = 500_000  # below this total cost (pairs) forking costs more than it saves


def choose(runner: SerialRunner, n_items: int, total_cost: float, workers: int) -> str:
    """How to run ``n_items`` independent tasks: ``"dask"`` on a remote runner,
    ``"fork"`` on local processes (several items, several cores, forking allowed
    and at least ``FORK_MIN_COST`` of work), else ``"serial"``."""
    if runner.remote and n_items > 1:
        return "dask"
    cores = workers or os.cpu_count() or 1
    if n_items > 1 and cores > 1 and local_pool_allowed() and total_cost >= FORK_MIN_COST:
        return "fork"
    return "serial"


def map_tasks(fn: Callable[[Any], Any], items: Sequence[Any], costs: Sequence[float], workers: int,
              here: Optional[Callable[[Any], Any]] = None,
              say: Optional[Callable[[str], None]] = None) -> list[Any]:
    """``[fn(item) for item in items]``, run where :func:`choose` says for them: on the current
    Dask runner, on forked processes of this machine (:func:`local_map`, shared out by
    ``costs``), or here one after the other, by ``here`` when given (it may use what cannot go
    to another process, such as a progress callback). ``say`` is told where they run."""
    runner = current()
    mode = choose(runner, len(items), float(sum(costs)), workers)
    if mode == "dask":
        if say is not None:
            say(f"{len(items)} tasks on {runner.workers} workers")
        return runner.map(fn, items)
    if mode == "fork":
        cores = min(workers or os.cpu_count() or 1, len(items))
        if say is not None:
            say(f"{len(items)} tasks on {cores} local processes")
        return local_map(fn, items, cores, costs=costs)
    return [(here or fn)(item) for item in items]


def lpt_shares(costs: Sequence[float], workers: int) -> list[list[int]]:
    """Item indices split into ``workers`` shares of about equal total cost
    (longest processing time first: each item, costliest first, to the share
    with the least cost so far). Share 0 gets the costliest item."""
    shares: list[list[int]] = [[] for _ in range(max(1, workers))]
    load = [0.0] * len(shares)
    for k in sorted(range(len(costs)), key=lambda k: (-costs[k], k)):
        i = load.index(min(load))
        shares[i].append(k)
        load[i] += costs[k]
    return [sh for sh in shares if sh]


def _child(conn, fn: Callable[[Any], Any], items: list) -> None:
    try:
        conn.send(("ok", [fn(item) for item in items]))
    except BaseException as exc:
        conn.send(("error", exc))
    finally:
        conn.close()


def local_map(fn: Callable[[Any], Any], items: Sequence[Any], workers: int,
              costs: Optional[Sequence[float]] = None) -> list[Any]:
    """``[fn(x) for x in items]`` on ``workers`` processes of this machine: this
    one and ``workers - 1`` forked copies of it, each with a fixed share of the
    items (:func:`lpt_shares` over ``costs``, default equal).

    The children are copies of this process: they read their items from memory
    (nothing is pickled on the way out, only the results on the way back) and
    import nothing; import what ``fn`` needs before calling. Shares are fixed
    before forking because the solver backends keep the interpreter lock while
    they work, so a feeding thread here could not hand out items on demand.
    A child's exception is raised here. Falls back to serial where fork is
    missing."""
    import multiprocessing

    items = list(items)
    if workers < 2 or len(items) < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return [fn(item) for item in items]
    shares = lpt_shares(list(costs) if costs is not None else [1.0] * len(items), min(workers, len(items)))
    ctx = multiprocessing.get_context("fork")
    children = []
    try:
        for share in shares[1:]:
            here, there = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(there, fn, [items[k] for k in share]), daemon=True)
            proc.start()
            there.close()
            children.append((share, here, proc))
        out: list[Any] = [None] * len(items)
        for k, result in zip(shares[0], [fn(items[k]) for k in shares[0]]):
            out[k] = result
        for share, here, proc in children:
            try:
                kind, payload = here.recv()
            except EOFError:
                proc.join()
                raise RuntimeError(f"a forked worker ended without its results (exit code {proc.exitcode})") from None
            if kind == "error":
                raise payload
            for k, result in zip(share, payload):
                out[k] = result
        return out
    finally:
        for _, here, proc in children:
            here.close()
            if proc.is_alive():
                proc.join(timeout=5)
            if proc.is_alive():
                proc.kill()
                proc.join()


_current: contextvars.ContextVar[SerialRunner] = contextvars.ContextVar(
    "matcher_runner", default=SerialRunner())  # noqa: B039  (a stateless runner, never mutated)


def current() -> SerialRunner:
    """The runner solvers should use now."""
    return _current.get()


@contextlib.contextmanager
def using(runner: Optional[SerialRunner]) -> Iterator[SerialRunner]:
    """Make ``runner`` the current one inside the block (``None`` keeps the current one)."""
    if runner is None:
        yield current()
        return
    token = _current.set(runner)
    try:
        yield runner
    finally:
        _current.reset(token)
