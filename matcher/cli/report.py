"""``matcher report RESULT.json --round ROUND -o report.html``: the offline HTML report of a result."""
from __future__ import annotations

import click

from .inputs import check_belongs, load_result, load_round
from .outputs import write_text


@click.command("report")
@click.argument("result_file", metavar="RESULT.json")
@click.option("--round", "round_file", required=True, metavar="ROUND.json|.xlsx|FOLDER", help="The round that was solved.")
@click.option("-o", "--output", required=True, metavar="REPORT.html")
@click.option("--title", help="Page title (default: the round's name).")
def report(result_file: str, round_file: str, output: str, title: str | None) -> None:
    """Write one self-contained HTML report (map, charts, project and unmet lists) that works offline."""
    from ..report import render_report

    result = load_result(result_file)
    rnd = load_round(round_file)
    check_belongs(result, rnd, result_file, round_file)
    write_text(output, render_report(rnd, result, title=title))
    click.echo(f"written {output}", err=True)
