"""Background solving of stored rounds, outside any request.

A worker polls the database for ``queued`` rounds (a cheap read every
``poll_s``; a round queued by this same process, as under ``matcher serve``,
wakes its workers at once through :func:`notify_queued`, and on PostgreSQL a
round queued by any process wakes them through ``LISTEN/NOTIFY``,
:mod:`matcher.store.wakeup`), claims one with a lease
(``lease_owner``, ``lease_expires_at``), and solves it while a watcher
thread (:class:`Attempt`) renews the lease every few seconds, stores the
solver's progress (stage, best value, bound, parts) at most twice a second and
reads the cancel flag (``DELETE /rounds/<id>``) ten times a second: a cancel
stops every solver stage through ``should_stop`` within a fraction of a second,
the round turns ``cancelled`` then, and the best result found so far is
attached to it when checked. A worker that dies (SIGKILL, power
loss) stops renewing; the next worker to poll finds the expired lease and
queues the round again, or marks it ``failed`` after ``max_attempts``. No
round stays ``running`` forever.

The worker id (in ``lease_owner`` and in the history clients read,
"attempt 1 by worker w-…") is random and opaque: no host name or PID; the
worker logs which process it is once, at start. An idle worker checkpoints
the SQLite WAL (``wal_checkpoint(TRUNCATE)``) every ``CHECKPOINT_EVERY_S``,
so the WAL does not grow without bound under steady load.

Run it as ``matcher worker`` (production, next to gunicorn) or inside
``matcher serve`` (a thread of the development server).
"""
from __future__ import annotations

import gc
import logging
import os
import socket
import sys
import threading
import time
import uuid
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from .errors import InputError, MatcherError
from .store import Database
from .store import repo, wakeup

log = logging.getLogger("matcher.worker")
_LIVE: weakref.WeakSet[Worker] = weakref.WeakSet()  # the running workers of this process
REAP_EVERY_S = 1.0  # expired leases are looked for at most this often (a write transaction)
CHECKPOINT_EVERY_S = 60.0  # an idle worker truncates the SQLite WAL at most this often
DEMO_ROUND = Path(__file__).resolve().parent / "data" / "demo_round.json"  # solved once by warm_solvers
_WARM = threading.Event()  # set once warm_solvers has run in this process
SWITCH_INTERVAL_S = 0.001  # interpreter lock hand-over while a solve runs (Python's default: 5 ms)


def opaque_id() -> str:
    """A worker id that tells a client nothing about the machine: ``w-`` and 16 random hex digits."""
    return f"w-{uuid.uuid4().hex[:16]}"


def notify_queued() -> None:
    """A round was just queued: wake this process's idle workers now instead of at their next poll."""
    for worker in list(_LIVE):
        worker.wake.set()


def warm_solvers() -> float:
    """Import the solver backends and pay their first calls now, at the start of a process that will
    solve (a gunicorn web worker, ``matcher worker``, ``matcher serve``), not in its first round: the
    bundled demo round solved once (flows, pairs, output) and a one-variable CP-SAT model. Once per
    process; returns the seconds taken (0 when warm already).

    Then everything the process holds by now (modules, the app, the solvers' imports) is moved out
    of the garbage collector's generations (:func:`gc.freeze`), so that its full collections no
    longer scan it: they came every few requests and cost about 2 ms each on the small sample rounds."""
    if _WARM.is_set():
        return 0.0
    t0 = time.perf_counter()
    from ortools.sat.python import cp_model

    from .service import solve_round

    solve_round(DEMO_ROUND.read_bytes(), timings=False)
    m = cp_model.CpModel()
    v = m.new_int_var(0, 1, "v")
    m.maximize(v)
    cp_model.CpSolver().solve(m)
    gc.collect()
    gc.freeze()
    _WARM.set()
    return time.perf_counter() - t0


@dataclass
class WorkerSettings:
    poll_s: float = 0.02
    lease_s: float = 30.0
    heartbeat_s: float = 2.0
    max_attempts: int = 2
    solver_workers: int = 0

    @classmethod
    def from_config(cls, cfg) -> WorkerSettings:
        return cls(poll_s=float(cfg["POLL_S"]), lease_s=float(cfg["LEASE_S"]),
                   heartbeat_s=float(cfg["HEARTBEAT_S"]), max_attempts=int(cfg["MAX_ATTEMPTS"]),
                   solver_workers=int(cfg["SOLVER_WORKERS"]))


class Worker:
    def __init__(self, db: Database, settings: WorkerSettings, worker_id: Optional[str] = None):
        self.db = db
        self.settings = settings
        self.id = worker_id or opaque_id()
        self.stopping = threading.Event()
        self.wake = threading.Event()
        self.next_reap = 0.0
        self.next_checkpoint = time.monotonic() + CHECKPOINT_EVERY_S

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()

    def idle(self, seconds: float) -> None:
        """Sleep until ``seconds`` pass, a round is queued in this process, or the worker stops."""
        self.wake.wait(seconds)
        self.wake.clear()

    def run_forever(self) -> None:
        log.info("worker %s: solvers warmed in %.2f s", self.id, warm_solvers())
        log.info("worker %s (host %s, pid %d) polling", self.id, socket.gethostname(), os.getpid())
        # the watcher's short database transactions give the interpreter lock up at every call into
        # sqlite and then wait for the solving thread to hand it back: at most this long, not 5 ms each
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL_S))
        _LIVE.add(self)
        listener = wakeup.listener_for(self.db, self.wake.set)  # PostgreSQL: rounds queued elsewhere wake it
        try:
            while not self.stopping.is_set():
                try:
                    if not self.run_once():
                        self.checkpoint_when_due()
                        self.idle(self.settings.poll_s)
                except Exception:  # keep polling: a database hiccup must not kill the worker
                    log.exception("worker loop error")
                    self.idle(max(self.settings.poll_s, 1.0))
        finally:
            _LIVE.discard(self)
            if listener is not None:
                listener.stop()

    def checkpoint_when_due(self) -> None:
        """Truncate the SQLite WAL when ``CHECKPOINT_EVERY_S`` passed since the last time."""
        if time.monotonic() >= self.next_checkpoint:
            self.next_checkpoint = time.monotonic() + CHECKPOINT_EVERY_S
            self.db.checkpoint()

    def run_once(self) -> bool:
        """Take back expired leases (at most every second), then solve one queued round.

        True when a round was handled. Nothing queued costs one read, no write transaction.
        """
        if time.monotonic() >= self.next_reap:
            self.next_reap = time.monotonic() + REAP_EVERY_S
            for rid in repo.reap_expired(self.db, self.settings.max_attempts):
                log.warning("round %s: lease expired, taken back", rid)
        if not repo.has_queued(self.db):
            return False
        job = repo.claim_next(self.db, self.id, self.settings.lease_s)
        if job is None:
            return False
        self.solve(job)
        return True

    def solve(self, job: repo.Job) -> None:
        from .service import solve_prepared, prepare

        run = Attempt(self, job)
        watcher = threading.Thread(target=run.watch, name=f"lease-{job.id}", daemon=True)
        watcher.start()
        document, failure = None, None
        try:
            prep = prepare(job.input_json.encode("utf-8"))
            run.phase = "solving"
            if not run.cancel.is_set():
                document = solve_prepared(prep, workers=self.settings.solver_workers, should_stop=run.should_stop,
                                          on_progress=run.note).document
        except InputError as exc:
            failure = f"{exc.title}: {exc.describe(10)}"
        except MatcherError as exc:
            failure = f"internal error: {exc}"
            log.error("round %s: %s", job.id, exc)
        except Exception as exc:  # never leave a round running because of a bug
            failure = f"internal error: {type(exc).__name__}"
            log.exception("round %s: unexpected error", job.id)
        finally:
            run.done.set()
            watcher.join()
        if run.lost.is_set():
            log.warning("round %s: lease lost, result dropped", job.id)
            return
        if self.stopping.is_set() and not run.cancel.is_set():
            repo.release(self.db, job.id, self.id)
            log.info("round %s: handed back to the queue (worker stopping)", job.id)
            return
        stored = repo.finish(self.db, job.id, self.id, document, failure)
        log.info("round %s: %s", job.id, "stored" if stored else "not stored (lease lost)")


CANCEL_POLL_S = 0.1  # a running round's cancel flag is read this often (one read by primary key)
PROGRESS_EVERY_S = 0.5  # and its progress written at most this often, when it changed (a new stage: at once)
FINISHING = ("verifying", "output")  # the stages after the solve (see matcher.service.solve_prepared)


class Attempt:
    """One claimed round as its worker solves it: the stop flags, the progress, the cancel.

    A thread (:meth:`watch`) renews the lease every heartbeat, reads the cancel
    flag every ``CANCEL_POLL_S`` and writes the progress figures the solver
    reports (:meth:`note`) at most every ``PROGRESS_EVERY_S``; a new stage is
    written on the next tick, so even a short stage shows. A cancel stops
    the solve through :meth:`should_stop`; the round turns ``cancelled`` as soon
    as no solver runs any more (at once while the round is being prepared or its
    result checked, else when the solve stage returns), and its best result is
    attached a moment later (:func:`matcher.store.repo.finish`).
    """

    def __init__(self, worker: Worker, job: repo.Job):
        self.worker, self.job, self.db = worker, job, worker.db
        self.cancel, self.lost, self.done = threading.Event(), threading.Event(), threading.Event()
        self.lock = threading.Lock()
        self.figures: dict = {"stage": "preparing"}
        self.dirty, self.written, self.marked, self.cancel_seen = True, 0.0, False, 0.0
        self.new_stage = True  # the stage changed since the last write: written without waiting
        self.phase = "preparing"  # preparing | solving | finishing

    def should_stop(self) -> bool:
        return self.cancel.is_set() or self.lost.is_set() or self.worker.stopping.is_set()

    def note(self, **fields) -> None:
        """The solver's progress (``SolveOptions.on_progress``): kept here, written by the watcher."""
        with self.lock:
            if "stage" in fields and fields["stage"] != self.figures.get("stage"):
                self.new_stage = True
            self.figures.update(fields)
            self.dirty = True
        if fields.get("stage") in FINISHING and self.phase == "solving":
            self.phase = "finishing"
            self.mark_if_cancelled()

    def mark_if_cancelled(self) -> None:
        """Once cancel is asked and no solver runs: the round is ``cancelled`` now (once)."""
        if not self.cancel.is_set() or self.phase == "solving":
            return
        with self.lock:
            if self.marked:
                return
            self.marked = True
        message = ("cancelled before the solve started; no result kept" if self.phase == "preparing"
                   else "cancelled on request; the solve stopped and its best result so far is kept")
        repo.mark_cancelled(self.db, self.job.id, self.worker.id, message)
        log.info("round %s: cancelled %.2f s after the request was seen", self.job.id,
                 time.monotonic() - self.cancel_seen)

    def watch(self) -> None:
        settings = self.worker.settings
        renew_at = time.monotonic() + settings.heartbeat_s
        while not self.done.wait(min(CANCEL_POLL_S, settings.heartbeat_s)):
            try:
                if time.monotonic() >= renew_at:
                    renew_at = time.monotonic() + settings.heartbeat_s
                    state = repo.renew_lease(self.db, self.job.id, self.worker.id, settings.lease_s)
                    if state is None:
                        self.lost.set()
                        return
                else:
                    state = repo.cancel_requested(self.db, self.job.id)
                if state and not self.cancel.is_set():
                    self.cancel.set()
                    self.cancel_seen = time.monotonic()
                    log.info("round %s: cancel requested (stage %s)", self.job.id, self.figures.get("stage"))
                    self.mark_if_cancelled()
                self.write_progress()
            except Exception:
                log.exception("round %s: lease renewal or progress failed", self.job.id)

    def write_progress(self) -> None:
        with self.lock:
            if not self.dirty or (not self.new_stage and time.monotonic() - self.written < PROGRESS_EVERY_S):
                return
            figures, self.dirty, self.new_stage, self.written = dict(self.figures), False, False, time.monotonic()
        repo.set_progress(self.db, self.job.id, self.worker.id, figures)


def start_in_thread(db: Database, settings: WorkerSettings) -> Worker:
    worker = Worker(db, settings)
    threading.Thread(target=worker.run_forever, name="matcher-worker", daemon=True).start()
    return worker

