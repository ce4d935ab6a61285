"""``matcher recommend RESULT.json --round ROUND.json --need NEED.json -k 5``: best fits for one new item."""
from __future__ import annotations

import click

from ..errors import DocumentError, FieldIssue
from .inputs import check_belongs, load_result, load_round, read_input


def _table(answer: dict) -> str:
    """A short bilingual table of the options."""
    kind = "需求 need" if answer["kind"] == "need" else "资源 resource"
    best = answer["best"]
    lines = [f"新{kind} {answer['id']}: 最佳 best +{best['delta_served_value']} value, "
             f"{best['delta_total_distance_m']:+d} m, {best['quantity']} 单位 units, exact={best['exact']}",
             "排名 rank  资源 resource  需求 need  数量 qty  距离 m  步行 min  Δ价值 value  Δ距离 m  调整 moves  exact"]
    for o in answer["options"]:
        lines.append(f"{o['rank']:>4}  {o['resource_id']:>12}  {o['need_id']:>9}  {o['quantity']:>7}  "
                     f"{o['distance_m']:>6}  {o['walk_minutes']:>7}  {o['delta_served_value']:>10}  "
                     f"{o['delta_total_distance_m']:>7}  {len(o['displacement']):>9}  {o['exact']}")
    if answer["unmet"]:
        u = answer["unmet"]
        lines.append(f"未满足 unmet: {u['quantity']} 单位 units, 原因 reason: {u['reason']}")
    elif not answer["options"]:
        lines.append("无可行方案 no option")
    return "\n".join(lines)


@click.command("recommend")
@click.argument("result_file", metavar="RESULT.json")
@click.option("--round", "round_file", required=True, metavar="ROUND.json", help="The round that was solved.")
@click.option("--need", "need_file", metavar="NEED.json", help="The new need (one need object).")
@click.option("--resource", "resource_file", metavar="RES.json", help="The new resource (one resource object).")
@click.option("-k", "k", default=5, show_default=True, type=int, help="How many options (1..50).")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
def recommend(result_file: str, round_file: str, need_file: str | None, resource_file: str | None,
              k: int, as_json: bool) -> None:
    """The k best ways to serve one new need (or use one new resource) in a solved round."""
    from ..jsontext import to_json
    from ..recommend import RecommendState, recommend as answer_for
    from ..validation import decode_json

    if (need_file is None) == (resource_file is None):
        raise DocumentError([FieldIssue("", "give exactly one of --need and --resource")], title="bad options")
    kind, path = ("need", need_file) if need_file else ("resource", resource_file)
    rnd = load_round(round_file)
    result = load_result(result_file)
    check_belongs(result, rnd, result_file, round_file)
    state = RecommendState.from_documents(rnd, decode_json(read_input(result_file), result_file))
    answer = answer_for(state, decode_json(read_input(path), path), k, kind)
    click.echo(to_json(answer) if as_json else _table(answer))
