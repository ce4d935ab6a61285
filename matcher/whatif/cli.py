"""``matcher whatif``: compare scenarios, sweep a parameter, explain marginal values."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import solvers
from ..errors import InputError, InternalError
from ..output import to_json


def _fail(exc: InputError, source: str) -> None:
    from ..cli import fail_input

    fail_input(exc, source)


def _write(text: str, output: str | None) -> None:
    from ..cli import write_output

    write_output(text, output)


@click.command("whatif")
@click.argument("base", metavar="BASE.json")
@click.argument("scenarios", nargs=-1, metavar="[SCENARIO.json]...")
@click.option("--sweep", "sweep_spec", metavar="NAME=START:STOP:STEP",
              help="Sweep params.max_distance_m, capacity[.CATEGORY] or demand[.CATEGORY]; writes CSV (and a PNG with --plot).")
@click.option("--plot", "plot_path", metavar="FILE.png", help="With --sweep: write the coverage plot here.")
@click.option("--marginal", is_flag=True, help="Explain the base's marginal values: full resources and short needs.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON instead of tables.")
@click.option("-o", "--output", metavar="FILE", help="Write the result here (default: stdout).")
@click.option("--solver", type=click.Choice(solvers.names()), help="Override params.solver everywhere.")
@click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), help="Override params.time_limit_s.")
@click.option("--no-timings", is_flag=True, help="Leave solve times out (byte-identical output for equal inputs).")
def whatif(base: str, scenarios: tuple[str, ...], sweep_spec: str | None, plot_path: str | None, marginal: bool,
           as_json: bool, output: str | None, solver: str | None, time_limit: float | None, no_timings: bool) -> None:
    """Solve BASE and each SCENARIO and compare their KPIs and projects.

    A scenario file is {"base": "round.json", "name": ..., "changes": [...]}
    (docs/whatif.md); a plain round file is accepted too.
    """
    from . import compare, scenario, sweep
    from . import marginal as mv

    modes = sum([bool(scenarios), bool(sweep_spec), marginal])
    if modes > 1:
        raise click.UsageError("give scenarios, --sweep or --marginal, one at a time")
    if plot_path and not sweep_spec:
        raise click.UsageError("--plot goes with --sweep")
    current = base
    try:
        if sweep_spec:
            spec = sweep.parse_spec(sweep_spec)
            _doc, rnd = scenario.load(base)
            rows = sweep.run(rnd, spec, solver=solver, time_limit_s=time_limit, timings=not no_timings)
            if as_json:
                _write(to_json({"base": Path(base).name, "sweep": sweep_spec, "rows": rows}), output)
            else:
                _write(sweep.to_csv(rows), output)
            if plot_path:
                chinese = sweep.plot(rows, spec, plot_path, rnd.name or "")
                click.echo(f"plot written to {plot_path}" + ("" if chinese else
                           " (English labels: no CJK font installed)"), err=True)
            return
        cases = [compare.load_case(base, solver=solver, time_limit_s=time_limit, timings=not no_timings)]
        if marginal:
            values = mv.marginal_values(cases[0].result, solver=solver,
                                        time_limit_s=time_limit or 30.0)
            _write(to_json(values) if as_json else mv.render(values), output)
            return
        for s in scenarios:
            current = s
            cases.append(compare.load_case(s, solver=solver, time_limit_s=time_limit, timings=not no_timings))
        result = compare.compare(cases)
        _write(to_json(result) if as_json else compare.render(result), output)
    except InputError as exc:
        _fail(exc, current)
    except InternalError as exc:
        click.echo(f"internal error: {exc}", err=True)
        sys.exit(70)
