"""``matcher lists ...`` (Excel / CSV lists in, Excel / CSV project lists out) and ``matcher report``.

    matcher lists solve 三单.xlsx -o 项目清单.xlsx [--max-distance 1500] [--report report.html]
    matcher lists solve --providers 提供方.xlsx --resources 资源清单.xlsx --needs 需求清单.xlsx -o 项目清单.xlsx
    matcher lists to-round 三单.xlsx -o round.json
    matcher lists from-round round.json -o 三单.xlsx        (or -o FOLDER for CSV files)
    matcher lists export RESULT.json --round round.json -o 项目清单.xlsx|.csv
    matcher lists template -o FOLDER
    matcher report RESULT.json --round round.json -o report.html
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import click

from . import solvers
from .cli import EXIT_INPUT, EXIT_INTERNAL, Progress, fail_input, read_input, summary
from .errors import InputError, InternalError
from .output import to_json


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
    from .tabular import ListSources, read_lists

    src = ListSources(workbook=kw["workbook"], providers=kw["providers"], resources=kw["resources"],
                      needs=kw["needs"], locked=kw["locked"], forbidden=kw["forbidden"], params=kw["params_file"])
    params = {"max_distance_m": kw["max_distance"], "time_limit_s": kw["time_limit"], "solver": kw["solver"]}
    sources = {"max_distance_m": "--max-distance", "time_limit_s": "--time-limit", "solver": "--solver"}
    label = kw["workbook"] or "lists"
    try:
        imported = read_lists(src, params=params, name=kw["name"], param_sources=sources)
    except InputError as exc:
        fail_input(exc, str(label))
    for note in imported.ignored_columns:
        click.echo(f"note: {note}", err=True)
    return imported


def _write_text(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"{path}: cannot write ({exc.strerror})")


def _check_suffix(path: str, allowed: tuple[str, ...]) -> None:
    if Path(path).suffix.lower() not in allowed:
        raise click.UsageError(f"{path}: the output must end in {' or '.join(allowed)}")


def _write_result_tables(result: dict, out: str, rnd) -> list[Path]:
    from .tabular import SheetReadError, write_result

    try:
        return write_result(result, out, rnd)
    except SheetReadError as exc:
        raise click.ClickException(str(exc))


@click.group("lists")
def lists() -> None:
    """Resource / need lists as Excel (.xlsx) or CSV files: solve, convert, export."""


@lists.command("solve")
@_list_options
@click.option("-o", "--output", required=True, metavar="项目清单.xlsx|.csv", help="The project list to write.")
@click.option("--result", "result_file", metavar="RESULT.json", help="Also write the output document.")
@click.option("--round-out", metavar="ROUND.json", help="Also write the round document built from the lists.")
@click.option("--report", "report_file", metavar="REPORT.html", help="Also write the HTML report.")
@click.option("-q", "--quiet", is_flag=True, help="No summary and no progress.")
def lists_solve(output: str, result_file: Optional[str], round_out: Optional[str], report_file: Optional[str],
                quiet: bool, **kw) -> None:
    """Solve a round given as Excel / CSV lists and write the project list."""
    from .service import solve_round

    _check_suffix(output, (".xlsx", ".csv"))
    imported = _import(kw)
    try:
        result = solve_round(imported.round, progress=Progress(enabled=not quiet))
    except InputError as exc:
        fail_input(exc, str(kw["workbook"] or "lists"))
    except InternalError as exc:
        click.echo(f"internal error: {exc}", err=True)
        sys.exit(EXIT_INTERNAL)
    files = _write_result_tables(result.document, output, imported.round)
    if round_out:
        _write_text(round_out, to_json(imported.document))
    if result_file:
        _write_text(result_file, result.json())
    if report_file:
        from .report import render_report

        _write_text(report_file, render_report(imported.round, result.document))
    if not quiet:
        click.echo(summary(result.document, imported.round.name, ", ".join(str(f) for f in files)), err=True)
        for extra in (round_out, result_file, report_file):
            if extra:
                click.echo(f"  written   {extra}", err=True)


@lists.command("to-round")
@_list_options
@click.option("-o", "--output", metavar="ROUND.json", help="Write the round document here (default: stdout).")
def lists_to_round(output: Optional[str], **kw) -> None:
    """Build (and validate) a round document from Excel / CSV lists."""
    imported = _import(kw)
    text = to_json(imported.document)
    if output:
        _write_text(output, text)
        r = imported.round
        click.echo(f"{output}: {len(r.providers)} providers, {len(r.resources)} resources, {len(r.needs)} needs", err=True)
    else:
        sys.stdout.write(text)


def _load_round(path: str):
    """A round from ROUND.json, a workbook (.xlsx) or a folder of CSV lists."""
    from .tabular import ListSources, read_lists
    from .validation import parse_round

    p = Path(path)
    try:
        if p.is_dir() or p.suffix.lower() in (".xlsx", ".xlsm"):
            return read_lists(ListSources(workbook=p)).round
        return parse_round(read_input(path), source=path)
    except InputError as exc:
        fail_input(exc, path)


def _load_result(path: str) -> dict:
    from .validation import decode_json

    try:
        doc = decode_json(read_input(path), path)
    except InputError as exc:
        fail_input(exc, path)
    if not isinstance(doc, dict) or not isinstance(doc.get("projects"), list) or not isinstance(doc.get("unmet"), list):
        click.echo(f"error: {path}: not a result document (needs 'projects' and 'unmet' lists)", err=True)
        sys.exit(EXIT_INPUT)
    return doc


def _check_belongs(result: dict, rnd, result_path: str, round_path: str) -> None:
    needs = {n.id for n in rnd.needs}
    res = {r.id for r in rnd.resources}
    unknown = sorted({p.get("need_id") for p in result["projects"] if p.get("need_id") not in needs}
                     | {p.get("resource_id") for p in result["projects"] if p.get("resource_id") not in res}
                     | {u.get("need_id") for u in result["unmet"] if u.get("need_id") not in needs}, key=str)
    if unknown:
        shown = ", ".join(map(str, unknown[:5])) + (" ..." if len(unknown) > 5 else "")
        click.echo(f"error: {result_path}: does not belong to round {round_path} (unknown ids: {shown})", err=True)
        sys.exit(EXIT_INPUT)


@lists.command("export")
@click.argument("result_file", metavar="RESULT.json")
@click.option("--round", "round_file", metavar="ROUND.json|.xlsx", help="The round (adds provider names, communities, categories).")
@click.option("-o", "--output", required=True, metavar="项目清单.xlsx|.csv")
def lists_export(result_file: str, round_file: Optional[str], output: str) -> None:
    """Write a result's project list, unmet list and KPIs to Excel or CSV."""
    _check_suffix(output, (".xlsx", ".csv"))
    result = _load_result(result_file)
    rnd = None
    if round_file:
        rnd = _load_round(round_file)
        _check_belongs(result, rnd, result_file, round_file)
    files = _write_result_tables(result, output, rnd)
    click.echo("written " + ", ".join(str(f) for f in files), err=True)


@lists.command("from-round")
@click.argument("round_file", metavar="ROUND.json")
@click.option("-o", "--output", required=True, metavar="三单.xlsx|FOLDER", help="A workbook, or a folder for CSV files.")
def lists_from_round(round_file: str, output: str) -> None:
    """Write a round document as lists (one workbook, or CSV files in a folder)."""
    from .tabular import SheetReadError, write_lists
    from .validation import parse_round

    try:
        rnd = parse_round(read_input(round_file), source=round_file)
    except InputError as exc:
        fail_input(exc, round_file)
    try:
        files = write_lists(rnd, output)
    except SheetReadError as exc:
        raise click.ClickException(str(exc))
    click.echo("written " + ", ".join(str(f) for f in files), err=True)


@lists.command("template")
@click.option("-o", "--output", required=True, metavar="FOLDER", help="Folder for 三单模板.xlsx and the CSV templates.")
def lists_template(output: str) -> None:
    """Write blank-but-for-examples templates (XLSX and CSV, Chinese headers)."""
    from .tabular.templates import write_templates

    files = write_templates(output)
    click.echo("written " + ", ".join(str(f) for f in files), err=True)


@click.command("report")
@click.argument("result_file", metavar="RESULT.json")
@click.option("--round", "round_file", required=True, metavar="ROUND.json|.xlsx|FOLDER", help="The round that was solved.")
@click.option("-o", "--output", required=True, metavar="REPORT.html")
@click.option("--title", help="Page title (default: the round's name).")
def report(result_file: str, round_file: str, output: str, title: Optional[str]) -> None:
    """Write one self-contained HTML report (map, charts, project and unmet lists) that works offline."""
    from .report import render_report

    result = _load_result(result_file)
    rnd = _load_round(round_file)
    _check_belongs(result, rnd, result_file, round_file)
    _write_text(output, render_report(rnd, result, title=title))
    click.echo(f"written {output}", err=True)


__all__ = ["lists", "report"]
