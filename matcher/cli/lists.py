"""``matcher lists ...``: Excel / CSV lists in, Excel / CSV project lists out.

    matcher lists solve 三单.xlsx -o 项目清单.xlsx [--max-distance 1500] [--report report.html]
    matcher lists solve --providers 提供方.xlsx --resources 资源清单.xlsx --needs 需求清单.xlsx -o 项目清单.xlsx
    matcher lists to-round 三单.xlsx -o round.json
    matcher lists from-round round.json -o 三单.xlsx        (or -o FOLDER for CSV files)
    matcher lists export RESULT.json --round round.json -o 项目清单.xlsx|.csv
    matcher lists template -o FOLDER
    matcher lists import 三单.xlsx --committee C [--apply]   (into the committee's stored lists: lists_import.py)
"""
from __future__ import annotations

import sys
from typing import Any

import click

from .. import solvers
from ..jsontext import to_json
from .failures import about
from .inputs import check_belongs, load_result, load_round, read_input
from .lists_import import lists_import
from .outputs import check_suffix, write_text, writing, written
from .progress import progress
from .summary import summary


def _list_options(f):
    opts = [
        click.argument("workbook", required=False, metavar="[三单.xlsx | FOLDER]"),
        click.option("--providers", metavar="FILE", help="提供方 list (.xlsx or .csv)."),
        click.option("--resources", metavar="FILE", help="资源清单 (.xlsx or .csv)."),
        click.option("--needs", metavar="FILE", help="需求清单 (.xlsx or .csv)."),
        click.option("--locked", metavar="FILE", help="Locked pairs (需求编号, 资源编号, 数量); an exported 项目清单 works."),
        click.option("--forbidden", metavar="FILE", help="Forbidden pairs (需求编号, 资源编号)."),
        click.option("--params", "params_file", metavar="FILE", help="参数 sheet / CSV (参数, 值)."),
        click.option("--name", help="Round name (overrides 轮次名称)."),
        click.option("--max-distance", type=float, metavar="METRES", help="params.max_distance_m."),
        click.option("--time-limit", type=float, metavar="S", help="params.time_limit_s."),
        click.option("--solver", type=click.Choice(solvers.names()), help="params.solver."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def _import(kw: dict[str, Any]):
    """The round built from the lists named by the options; errors are about the workbook (or "lists")."""
    from ..tabular import ListSources, read_lists

    src = ListSources(workbook=kw["workbook"], providers=kw["providers"], resources=kw["resources"],
                      needs=kw["needs"], locked=kw["locked"], forbidden=kw["forbidden"], params=kw["params_file"])
    params = {"max_distance_m": kw["max_distance"], "time_limit_s": kw["time_limit"], "solver": kw["solver"]}
    sources = {"max_distance_m": "--max-distance", "time_limit_s": "--time-limit", "solver": "--solver"}
    about(str(kw["workbook"] or "lists"))
    imported = read_lists(src, params=params, name=kw["name"], param_sources=sources)
    for note in imported.ignored_columns:
        click.echo(f"note: {note}", err=True)
    return imported


def _write_result_tables(result: dict, out: str, rnd) -> list:
    from ..tabular import write_result

    with writing(out):
        return write_result(result, out, rnd)


@click.group("lists")
def lists() -> None:
    """Resource / need lists as Excel (.xlsx) or CSV files: solve, convert, export, import."""


lists.add_command(lists_import)


@lists.command("solve")
@_list_options
@click.option("-o", "--output", required=True, metavar="项目清单.xlsx|.csv", help="The project list to write.")
@click.option("--result", "result_file", metavar="RESULT.json", help="Also write the output document.")
@click.option("--round-out", metavar="ROUND.json", help="Also write the round document built from the lists.")
@click.option("--report", "report_file", metavar="REPORT.html", help="Also write the HTML report.")
@click.option("-q", "--quiet", is_flag=True, help="No summary and no progress.")
def lists_solve(output: str, result_file: str | None, round_out: str | None, report_file: str | None,
                quiet: bool, **kw) -> None:
    """Solve a round given as Excel / CSV lists and write the project list."""
    from ..service import solve_round

    check_suffix(output, (".xlsx", ".csv"))
    imported = _import(kw)
    with progress(enabled=not quiet) as shown:
        result = solve_round(imported.round, progress=shown)
    files = _write_result_tables(result.document, output, imported.round)
    if round_out:
        write_text(round_out, to_json(imported.document))
    if result_file:
        write_text(result_file, result.json())
    if report_file:
        from ..report import render_report

        write_text(report_file, render_report(imported.round, result.document))
    if not quiet:
        click.echo(summary(result.result, imported.round.name, ", ".join(str(f) for f in files)), err=True)
        for extra in (round_out, result_file, report_file):
            if extra:
                click.echo(f"  written   {extra}", err=True)


@lists.command("to-round")
@_list_options
@click.option("-o", "--output", metavar="ROUND.json", help="Write the round document here (default: stdout).")
def lists_to_round(output: str | None, **kw) -> None:
    """Build (and validate) a round document from Excel / CSV lists."""
    imported = _import(kw)
    text = to_json(imported.document)
    if output:
        write_text(output, text)
        r = imported.round
        click.echo(f"{output}: {len(r.providers)} providers, {len(r.resources)} resources, {len(r.needs)} needs", err=True)
    else:
        sys.stdout.write(text)


@lists.command("export")
@click.argument("result_file", metavar="RESULT.json")
@click.option("--round", "round_file", metavar="ROUND.json|.xlsx",
              help="The round (adds provider names, communities, categories).")
@click.option("-o", "--output", required=True, metavar="项目清单.xlsx|.csv")
def lists_export(result_file: str, round_file: str | None, output: str) -> None:
    """Write a result's project list, unmet list and KPIs to Excel or CSV."""
    check_suffix(output, (".xlsx", ".csv"))
    result = load_result(result_file)
    rnd = None
    if round_file:
        rnd = load_round(round_file)
        check_belongs(result, rnd, result_file, round_file)
    written(_write_result_tables(result, output, rnd))


@lists.command("from-round")
@click.argument("round_file", metavar="ROUND.json")
@click.option("-o", "--output", required=True, metavar="三单.xlsx|FOLDER", help="A workbook, or a folder for CSV files.")
def lists_from_round(round_file: str, output: str) -> None:
    """Write a round document as lists (one workbook, or CSV files in a folder)."""
    from ..tabular import write_lists
    from ..validation import parse_round

    rnd = parse_round(read_input(round_file), source=round_file)
    with writing(output):
        files = write_lists(rnd, output)
    written(files)


@lists.command("template")
@click.option("-o", "--output", required=True, metavar="FOLDER", help="Folder for 三单模板.xlsx and the CSV templates.")
def lists_template(output: str) -> None:
    """Write blank-but-for-examples templates (XLSX and CSV, Chinese headers)."""
    from ..tabular.templates import write_templates

    with writing(output):
        files = write_templates(output)
    written(files)
