"""``matcher`` command line: solve and validate rounds, run the demo.

Exit codes: 0 a result was written (whatever its status), 2 the input or the
options cannot be used (messages on stderr, one per problem, with field
paths), 70 matcher failed internally.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import click

from . import solvers
from .errors import InputError, InternalError
from .output import to_json

EXIT_INPUT = 2
EXIT_INTERNAL = 70
DEMO_ROUND = Path(__file__).parent / "data" / "demo_round.json"


def read_input(path: str) -> bytes:
    """Read a file or ``-`` (stdin) as bytes, with a clean error when impossible."""
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except IsADirectoryError:
        raise click.ClickException(f"{path}: is a directory, not a round file")
    except FileNotFoundError:
        raise click.ClickException(f"{path}: no such file")
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot read ({exc.strerror})")


def round_input(path: str):
    """The round to solve: the file's bytes, or for a scenario file (one with a
    ``base``) the validated round it describes."""
    data = read_input(path)
    if b'"base"' not in data:
        return data
    from .validation import decode_json
    from .whatif.scenario import is_scenario, resolve

    doc = decode_json(data, path)
    if not is_scenario(doc):
        return doc
    base_dir = Path(path).parent if path != "-" else Path.cwd()
    return resolve(doc, base_dir, path)[1]


def write_output(text: str, output: str | None) -> None:
    """Write text to a file, or to stdout when no file is given."""
    if output:
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise click.ClickException(f"{output}: cannot write ({exc.strerror})")
    else:
        sys.stdout.write(text)


def fail_input(exc: InputError, source: str) -> None:
    click.echo(f"error: {source}: {exc.title}", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)
    sys.exit(EXIT_INPUT)


class Progress:
    """Progress on stderr for long solves.

    Nothing is shown for solves under a second. After that, new stage and
    solver messages are printed (at most twice a second), and a heartbeat
    repeats the current stage every few seconds while nothing else happens.
    """

    def __init__(self, enabled: bool, heartbeat_s: float = 5.0):
        self.enabled = enabled
        self.start = time.perf_counter()
        self.last = 0.0
        self.current = "starting"
        self.heartbeat_s = heartbeat_s
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, message: str) -> None:
        self.current = message
        now = time.perf_counter() - self.start
        if self.enabled and now >= 1.0 and now - self.last >= 0.5:
            self._print(now, message)

    def _print(self, now: float, message: str) -> None:
        self.last = now
        click.echo(f"  [{now:6.1f}s] {message}", err=True)

    def _beat(self) -> None:
        while not self._done.wait(1.0):
            now = time.perf_counter() - self.start
            if now - self.last >= self.heartbeat_s:
                self._print(now, f"{self.current} ...")

    def __enter__(self) -> "Progress":
        if self.enabled:
            self._thread = threading.Thread(target=self._beat, daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._done.set()


def summary(doc: dict, name: str | None, written: str | None) -> str:
    obj, k, st = doc["objective"], doc["kpis"], doc["stats"]
    lines = [f"{name or 'round'}: {doc['status']} ({doc['solver']})"]
    if doc.get("message"):
        lines.append(f"  note      {doc['message']}")
    lines.append(f"  served    {k['served_quantity']} / {k['demand_quantity']} units "
                 f"({k['coverage'] * 100:.1f} %), weighted coverage {k['weighted_coverage'] * 100:.1f} %")
    bound = obj.get("bound_served_value")
    lines.append(f"  value     {obj['served_value']}" + (f" (bound {bound})" if bound is not None else "")
                 + f", distance {obj['total_distance_m']:,} m, mean walk {k['mean_walk_minutes']} min")
    reasons = Counter(u["reason"] for u in doc["unmet"])
    why = ", ".join(f"{r} {n}" for r, n in reasons.most_common())
    lines.append(f"  projects  {len(doc['projects'])}; needs short {len(doc['unmet'])}" + (f" ({why})" if why else ""))
    if "total_seconds" in st:
        lines.append(f"  time      {st['total_seconds']:.2f} s (solve {st['solve_seconds']:.2f} s), "
                     f"{st['candidate_pairs']:,} candidate pairs")
    if written:
        lines.append(f"  written   {written}")
    return "\n".join(lines)


_OWN_PROCESS = False  # set by run(): this process is the command and nothing else


def run() -> None:
    """Console entry point (``matcher``): :func:`main` in a process of its own."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    main()


def finish() -> None:
    """A command's work is done and written: end the process at once when it is
    ours alone, skipping interpreter teardown, which would free the round's
    millions of objects one by one (over a second at 100k resources). Under
    ``CliRunner`` or an embedding program this does nothing."""
    if _OWN_PROCESS:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


@click.group()
@click.version_option(package_name="matcher")
def main() -> None:
    """matcher: optimal matching of resource lists to need lists (三单)."""


@main.command()
@click.argument("round_file", metavar="ROUND.json")
@click.option("-o", "--output", "output", metavar="RESULT.json", help="Write the output document here (default: stdout).")
@click.option("--solver", type=click.Choice(solvers.names()), help="Override params.solver.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Override params.time_limit_s (seconds).")
@click.option("--workers", type=click.IntRange(min=0), default=0, show_default=True,
              help="Solver threads (0 = all cores); with --scheduler local, the number of local Dask workers.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Solve the independent parts on a Dask cluster: tcp://HOST:8786, or 'local' for a "
                   "local cluster of --workers processes (needs matcher[bench]).")
@click.option("--no-timings", is_flag=True, help="Leave timings out, so equal inputs give byte-identical files.")
@click.option("-q", "--quiet", is_flag=True, help="No summary and no progress.")
def solve(round_file: str, output: str | None, solver: str | None, time_limit: float | None, workers: int,
          scheduler: str | None, no_timings: bool, quiet: bool) -> None:
    """Solve a round document and write the output document."""
    import contextlib
    import gc

    from . import parallel
    from .service import solve_round

    if _OWN_PROCESS:
        gc.disable()  # this process ends in finish(): no collection needed (see service.paused_gc)

    try:
        data = round_input(round_file)
        with contextlib.ExitStack() as stack:
            if scheduler:
                try:
                    runner = stack.enter_context(parallel.connect(scheduler, workers))
                except ImportError:
                    raise click.UsageError("--scheduler needs Dask: pip install 'matcher[bench]'")
                except OSError as exc:
                    raise click.ClickException(f"cannot reach the Dask scheduler {scheduler}: {exc}")
                stack.enter_context(parallel.using(runner))
                workers = 0 if scheduler == "local" else workers
            progress = stack.enter_context(Progress(enabled=not quiet))
            result = solve_round(data, source=round_file, solver=solver, time_limit_s=time_limit,
                                 workers=workers, progress=progress, timings=not no_timings)
    except InputError as exc:
        fail_input(exc, round_file)
    except InternalError as exc:
        click.echo(f"internal error: {exc}", err=True)
        sys.exit(EXIT_INTERNAL)
    write_output(result.json(), output)
    if not quiet:
        click.echo(summary(result.document, result.prepared.round.name, output), err=output is None)
    finish()


@main.command()
@click.argument("round_file", metavar="ROUND.json")
def validate(round_file: str) -> None:
    """Check a round document without solving it."""
    from .service import prepare

    try:
        prep = prepare(round_input(round_file), source=round_file)
    except InputError as exc:
        fail_input(exc, round_file)
    click.echo(f"{round_file}: valid round ({prep.tables.n_res} resources, {prep.tables.n_need} needs, "
               f"{len(prep.pairs):,} candidate pairs)")


@main.command()
@click.option("-o", "--output", "output", metavar="RESULT.json", help="Also write the output document here.")
def demo(output: str | None) -> None:
    """Solve the bundled demo round (西城 tidal parking) and print the summary."""
    from .service import solve_round

    result = solve_round(DEMO_ROUND.read_bytes(), source=str(DEMO_ROUND))
    if output:
        Path(output).write_text(result.json(), encoding="utf-8")
    click.echo(summary(result.document, result.prepared.round.name, output))


@main.command()
def schema() -> None:
    """Print the JSON Schema of the round input document."""
    from .model import Round

    click.echo(to_json(Round.model_json_schema()), nl=False)


from .whatif.cli import whatif as _whatif  # noqa: E402

main.add_command(_whatif)

from .lists_cli import lists as _lists, report as _report  # noqa: E402

main.add_command(_lists)
main.add_command(_report)

from .api_cli import serve as _serve, token as _token, worker as _worker  # noqa: E402
main.add_command(_serve)
main.add_command(_token)
main.add_command(_worker)


if __name__ == "__main__":  # pragma: no cover
    run()
