"""``matcher solve``, ``validate``, ``demo`` and ``schema``: one round document in, one output document out."""
from __future__ import annotations

import contextlib
from pathlib import Path

import click

from .. import solvers
from ..jsontext import to_json
from . import process
from .inputs import DEMO_ROUND, round_input
from .outputs import write_output, write_text
from .progress import progress
from .summary import summary


SHEETS = (".xlsx", ".xlsm", ".xls", ".csv", ".ods")


def _check_paths(round_file: str, output: str | None) -> None:
    """Usage errors (exit 2) for Excel/CSV lists in or out: ``matcher lists`` handles those."""
    if Path(round_file).suffix.lower() in SHEETS or (round_file != "-" and Path(round_file).is_dir()):
        raise click.UsageError(f"{round_file}: lists, not a round document: use `matcher lists solve {round_file}`")
    if output and Path(output).suffix.lower() in SHEETS:
        raise click.UsageError(f"{output}: `matcher solve -o` writes the output document (JSON); for Excel use "
                               f"`matcher lists solve` or `matcher lists export RESULT.json -o {output}`")


@click.command()
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
    import gc

    from ..service import solve_round

    _check_paths(round_file, output)
    if process.owned():
        gc.disable()  # this process ends in finish(): no collection needed (see service.paused_gc)
    data = round_input(round_file)
    with contextlib.ExitStack() as stack:
        if scheduler:
            _connect(stack, scheduler, workers)
            workers = 0 if scheduler == "local" else workers
        shown = stack.enter_context(progress(enabled=not quiet))
        result = solve_round(data, source=round_file, solver=solver, time_limit_s=time_limit,
                             workers=workers, progress=shown, timings=not no_timings)
    write_output(result.json(), output)
    if not quiet:
        click.echo(summary(result.result, result.prepared.name, output), err=output is None)
    process.finish()


def _connect(stack: contextlib.ExitStack, scheduler: str, workers: int) -> None:
    """Route the solve's independent parts to the Dask scheduler for the rest of ``stack``."""
    from .. import parallel

    try:
        runner = stack.enter_context(parallel.connect(scheduler, workers))
    except ImportError:
        raise click.UsageError("--scheduler needs Dask: pip install 'matcher[bench]'") from None
    except OSError as exc:
        raise click.BadParameter(f"cannot reach the Dask scheduler {scheduler}: {exc}", param_hint="--scheduler") from None
    stack.enter_context(parallel.using(runner))


@click.command()
@click.argument("round_file", metavar="ROUND.json")
def validate(round_file: str) -> None:
    """Check a round document without solving it."""
    from ..service import prepare

    prep = prepare(round_input(round_file), source=round_file)
    click.echo(f"{round_file}: valid round ({prep.tables.n_res} resources, {prep.tables.n_need} needs, "
               f"{len(prep.pairs):,} candidate pairs)")


@click.command()
@click.option("-o", "--output", "output", metavar="RESULT.json", help="Also write the output document here.")
def demo(output: str | None) -> None:
    """Solve the bundled demo round (西城 tidal parking) and print the summary."""
    from ..service import solve_round

    result = solve_round(DEMO_ROUND.read_bytes(), source=str(DEMO_ROUND))
    if output:
        write_text(output, result.json())
    click.echo(summary(result.result, result.prepared.name, output))


@click.command()
@click.option("--output", is_flag=True, help="The schema of the output document instead of the round's.")
def schema(output: bool) -> None:
    """Print the JSON Schema of the round input document (with --output: of the output document)."""

    if output:
        from ..results import output_schema

        click.echo(to_json(output_schema()), nl=False)
        return
    from ..model import Round

    click.echo(to_json(Round.model_json_schema()), nl=False)


COMMANDS = [solve, validate, demo, schema]
