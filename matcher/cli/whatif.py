"""``matcher whatif``: compare scenarios, sweep a parameter, explain marginal values."""
from __future__ import annotations

from pathlib import Path

import click

from .. import solvers
from ..jsontext import to_json
from .failures import about
from .outputs import write_output, writing


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
    if sum([bool(scenarios), bool(sweep_spec), marginal]) > 1:
        raise click.UsageError("give scenarios, --sweep or --marginal, one at a time")
    if plot_path and not sweep_spec:
        raise click.UsageError("--plot goes with --sweep")
    opts = {"solver": solver, "time_limit_s": time_limit, "timings": not no_timings}
    about(base)
    if sweep_spec:
        _sweep(base, sweep_spec, plot_path, as_json, output, opts)
    elif marginal:
        _marginal(base, as_json, output, opts)
    else:
        _compare(base, scenarios, as_json, output, opts)


def _sweep(base: str, sweep_spec: str, plot_path: str | None, as_json: bool, output: str | None, opts: dict) -> None:
    from ..whatif import scenario, sweep

    spec = sweep.parse_spec(sweep_spec)
    _doc, rnd = scenario.load(base)
    rows = sweep.run(rnd, spec, **opts)
    if as_json:
        write_output(to_json({"base": Path(base).name, "sweep": sweep_spec, "rows": rows}), output)
    else:
        write_output(sweep.to_csv(rows), output)
    if plot_path:
        with writing(plot_path):
            chinese = sweep.plot(rows, spec, plot_path, rnd.name or "")
        click.echo(f"plot written to {plot_path}" + ("" if chinese else " (English labels: no CJK font installed)"),
                   err=True)


def _marginal(base: str, as_json: bool, output: str | None, opts: dict) -> None:
    from ..whatif import compare
    from ..whatif import marginal as mv

    case = compare.load_case(base, **opts)
    values = mv.marginal_values(case.result, solver=opts["solver"], time_limit_s=opts["time_limit_s"] or 30.0)
    write_output(to_json(values) if as_json else mv.render(values), output)


def _compare(base: str, scenarios: tuple[str, ...], as_json: bool, output: str | None, opts: dict) -> None:
    from ..whatif import compare

    cases = [compare.load_case(base, **opts)]
    for s in scenarios:
        about(s)
        cases.append(compare.load_case(s, **opts))
    result = compare.compare(cases)
    write_output(to_json(result) if as_json else compare.render(result), output)
