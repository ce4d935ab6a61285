"""Round contract v1.1 input: the new optional fields, the text rules and 4.0 as 4."""
from __future__ import annotations

import json
import unicodedata
from fractions import Fraction

import pytest

from matcher.errors import RoundValidationError
from matcher.service import solve_round
from matcher.validation import parse_round

from .builders import make_round, need, resource

CONTRACT_EXAMPLE = {
    "name": "西城区 2026年12月 潮汐停车对接",
    "params": {"max_distance_m": 3000, "priority_weights": {"1": 1, "2": 2, "3": 4, "4": 8, "5": 16},
               "time_limit_s": 60, "solver": "auto", "fairness": None, "priority_aging": None},
    "communities": [{"id": "C-HTY", "name": "核桃园社区"}, {"id": "C-LZY", "name": "龙泽园社区"}],
    "providers": [
        {"id": "U-001", "name": "某部委机关", "kind": "unit", "max_projects": 5},
        {"id": "M-0001", "name": "张颖", "kind": "member", "max_projects": 2, "community_id": "C-LZY",
         "target_projects": 1}],
    "resources": [
        {"id": "R-001", "provider_id": "U-001", "category": "parking", "capacity": 120, "name": "机关大院夜间车位",
         "lat": 39.9075, "lon": 116.3512, "max_distance_m": 1000, "tags": [], "min_quantity": 10,
         "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "19:00", "end": "07:30"},
                     {"days": ["sat", "sun"], "start": "00:00", "end": "24:00"}]},
        {"id": "R-031", "provider_id": "M-0001", "category": "parking", "capacity": 5,
         "lat": 39.9080, "lon": 116.3500}],
    "needs": [
        {"id": "N-001", "community_id": "C-HTY", "category": "parking", "quantity": 40, "name": "胡同居民夜间停车",
         "lat": 39.9101, "lon": 116.3490, "priority": 4, "max_distance_m": 800, "required_tags": [],
         "all_or_nothing": False, "rounds_unmet": 0,
         "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"], "start": "20:00", "end": "07:00"}]},
        {"id": "N-002", "community_id": "C-LZY", "category": "parking", "quantity": 3, "lat": 39.9090,
         "lon": 116.3495, "note": "第一行\n\t第二行"},
        {"id": "N-007", "community_id": "C-LZY", "category": "parking", "quantity": 5, "lat": 39.9085,
         "lon": 116.3505}],
    "locked": [{"need_id": "N-007", "resource_id": "R-031", "quantity": 5}],
    "forbidden": [{"need_id": "N-002", "resource_id": "R-001"}],
    "previous": [{"need_id": "N-001", "resource_id": "R-001", "quantity": 30}],
}


def test_the_contracts_example_is_valid():
    rnd = parse_round(json.dumps(CONTRACT_EXAMPLE, ensure_ascii=False).encode())
    assert rnd.communities[0].name == "核桃园社区" and rnd.communities[1].lat is None
    assert rnd.providers[1].target_projects == 1 and rnd.providers[0].target_projects is None
    assert rnd.resources[0].name == "机关大院夜间车位" and rnd.resources[1].name is None
    assert rnd.needs[1].note == "第一行\n\t第二行"
    assert rnd.previous[0].quantity == 30
    assert rnd == parse_round(CONTRACT_EXAMPLE)


def test_new_fields_default_to_absent():
    rnd = parse_round(make_round([resource("R0")], [need("N0")]))
    assert rnd.communities is None and rnd.previous is None
    assert rnd.params.fairness is None and rnd.params.priority_aging is None
    assert rnd.needs[0].rounds_unmet == 0 and rnd.needs[0].name is None and rnd.needs[0].note is None
    assert rnd.resources[0].name is None and rnd.resources[0].note is None
    assert rnd.providers[0].target_projects is None


def test_an_empty_previous_list_is_kept_apart_from_none():
    doc = make_round([resource("R0")], [need("N0")])
    doc["previous"] = []
    assert parse_round(doc).previous == ()


def test_community_references_are_checked_only_when_communities_are_given():
    doc = make_round([resource("R0")], [need("N0", community="C-ANY")])
    parse_round(doc)  # no communities list: any community id
    doc["communities"] = [{"id": "C-ANY", "name": "某社区", "lat": 39.9, "lon": 116.4}]
    parse_round(doc)


def test_target_projects_zero_and_rounds_unmet_limits_are_allowed():
    doc = make_round([resource("R0")], [need("N0", rounds_unmet=1000)])
    doc["providers"][0]["target_projects"] = 0
    rnd = parse_round(doc)
    assert rnd.providers[0].target_projects == 0 and rnd.needs[0].rounds_unmet == 1000


@pytest.mark.parametrize("ratio,fraction", [(0.7, Fraction(7, 10)), (1, Fraction(1)), (0.333, Fraction(333, 1000))])
def test_fairness_ratio_is_the_decimal_written(ratio, fraction):
    doc = make_round([resource("R0")], [need("N0")],
                     fairness={"group": "community", "mode": "leximin", "min_value_ratio": ratio})
    fair = parse_round(json.dumps(doc)).params.fairness
    assert fair.mode == "leximin" and fair.ratio() == fraction  # 0.7 is 7/10 exactly, not the nearest double


# --- 4.0 is the integer 4 --------------------------------------------------

@pytest.mark.parametrize("as_text", [False, True])
def test_a_zero_fraction_is_the_integer(as_text):
    doc = make_round([resource("R0", capacity=4.0, min_quantity=2.0)],
                     [need("N0", quantity=4.0, priority=5.0, rounds_unmet=3.0)],
                     locked=[("N0", "R0", 2.0)], priority_weights={"5": 32.0})
    doc["providers"][0]["max_projects"] = 1.0
    rnd = parse_round(json.dumps(doc) if as_text else doc)
    values = (rnd.resources[0].capacity, rnd.resources[0].min_quantity, rnd.needs[0].quantity,
              rnd.needs[0].priority, rnd.needs[0].rounds_unmet, rnd.locked[0].quantity,
              rnd.providers[0].max_projects, rnd.params.weight_of()[5])
    assert values == (4, 2, 4, 5, 3, 2, 1, 32)
    assert all(type(v) is int for v in values)


def test_a_zero_fraction_round_solves_like_the_integer_one():
    whole = make_round([resource("R0", capacity=4)], [need("N0", 10, quantity=3)])
    fraction = make_round([resource("R0", capacity=4.0)], [need("N0", 10, quantity=3.0)])
    assert solve_round(json.dumps(fraction), timings=False).json() == solve_round(whole, timings=False).json()


@pytest.mark.parametrize("text", ["4.5", "4.000001", "1e300", "true", '"4"'])
def test_a_fraction_is_not_an_integer(text):
    raw = json.dumps(make_round([resource("R0")], [need("N0", quantity=999)])).replace("999", text)
    with pytest.raises(RoundValidationError) as info:
        parse_round(raw)
    message = "must be <= 1000000" if text == "1e300" else "must be an integer"
    assert [str(p) for p in info.value.problems] == [f"needs[0].quantity: {message}"]


# --- text rules --------------------------------------------------------------

COMPOSED, DECOMPOSED = "社区-é", "社区-e\u0301"


def test_a_decomposed_id_equals_the_composed_one():
    assert unicodedata.normalize("NFC", DECOMPOSED) == COMPOSED != DECOMPOSED
    doc = make_round([resource(COMPOSED, provider="U-é")], [need("N-é", community=DECOMPOSED)],
                     locked=[("N-e\u0301", DECOMPOSED, 1)])
    doc["providers"][0]["id"] = "U-e\u0301"
    rnd = parse_round(json.dumps(doc, ensure_ascii=False))
    assert rnd.resources[0].id == COMPOSED and rnd.resources[0].provider_id == "U-é"
    assert rnd.providers[0].id == "U-é" and rnd.needs[0].community_id == COMPOSED
    assert rnd.locked[0].need_id == "N-é" and rnd.locked[0].resource_id == COMPOSED
    result = solve_round(doc, timings=False)
    assert result.document["projects"][0]["resource_id"] == COMPOSED


def test_a_decomposed_id_duplicates_the_composed_one():
    doc = make_round([resource(COMPOSED), resource(DECOMPOSED)], [need("N0")])
    with pytest.raises(RoundValidationError) as info:
        parse_round(doc)
    assert [str(p) for p in info.value.problems] == [f"resources[1].id: duplicate id {COMPOSED!r} (first at resources[0])"]


def test_names_notes_categories_and_tags_are_normalised():
    doc = make_round([resource("R0", category="cat-e\u0301", tags=["tag-e\u0301"], name="name-e\u0301",
                               note="note-e\u0301")],
                     [need("N0", category="cat-é", required_tags=["tag-é"], name="n-e\u0301")])
    rnd = parse_round(doc)
    r = rnd.resources[0]
    assert (r.category, r.tags, r.name, r.note) == ("cat-é", ("tag-é",), "name-é", "note-é")
    assert rnd.needs[0].name == "n-é"
    assert len(solve_round(doc, timings=False).document["projects"]) == 1  # same category, tag present


def test_length_is_counted_after_normalisation():
    parse_round(make_round([resource("R0", name="e\u0301" * 200)], [need("N0")]))


REFUSED = {
    "control": ["\x00", "\x07", "\x1b", "\x1f", "\x7f", "\x80", "\x9f"],
    "zero-width": ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"],
    "bidirectional control": ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"],
}
REFUSED_CASES = [(kind, ch) for kind, chars in REFUSED.items() for ch in chars]
TEXT_FIELDS = [("needs", 0, "id"), ("resources", 0, "provider_id"), ("resources", 0, "category"),
               ("needs", 0, "name"), ("resources", 0, "note"), ("needs", 0, "community_id")]


@pytest.mark.parametrize("kind,ch", REFUSED_CASES, ids=[f"U+{ord(c):04X}" for _, c in REFUSED_CASES])
@pytest.mark.parametrize("where", TEXT_FIELDS, ids=[".".join(map(str, w)) for w in TEXT_FIELDS])
def test_refused_characters(kind, ch, where):
    doc = make_round([resource("R0")], [need("N0")])
    section, k, key = where
    doc[section][k][key] = "ab" + ch
    with pytest.raises(RoundValidationError) as info:
        parse_round(json.dumps(doc))
    path = f"{section}[{k}].{key}"
    assert f"{path}: must not contain U+{ord(ch):04X} (a {kind} character) at character 3" in \
        [str(p) for p in info.value.problems]


@pytest.mark.parametrize("where", ["tags", "required_tags"])
def test_refused_characters_in_tags(where):
    item = resource("R0", tags=["ok", "b\u200bad"]) if where == "tags" else resource("R0")
    wants = need("N0", required_tags=["b\u202ead"]) if where == "required_tags" else need("N0")
    with pytest.raises(RoundValidationError) as info:
        parse_round(make_round([item], [wants]))
    path = "resources[0].tags[1]" if where == "tags" else "needs[0].required_tags[0]"
    assert [p.path for p in info.value.problems] == [path]


def test_tab_and_newline_only_in_notes():
    doc = make_round([resource("R0", note="a\tb\nc")], [need("N0", note="第一行\n第二行")])
    rnd = parse_round(doc)
    assert rnd.resources[0].note == "a\tb\nc"
    for key in ("name", "id"):
        bad = make_round([resource("R0")], [need("N0", **{key: "a\nb"})])
        with pytest.raises(RoundValidationError) as info:
            parse_round(bad)
        assert "U+000A (a control character)" in str(info.value)


def test_round_and_community_names_follow_the_text_rules():
    doc = make_round([resource("R0")], [need("N0")])
    doc["name"] = "轮次\u202e"
    doc["communities"] = [{"id": "C1", "name": "社区\x00"}]
    with pytest.raises(RoundValidationError) as info:
        parse_round(doc)
    assert {p.path for p in info.value.problems} == {"name", "communities[0].name"}


def test_regression_control_characters_in_ids_were_accepted():
    """Issue 10 item 8: NUL or BEL in ids and names were accepted (201) and crashed
    the Excel export later; they are refused with their path now."""
    doc = make_round([resource("R\x00")], [need("N0", name="张颖\x07")])
    with pytest.raises(RoundValidationError) as info:
        parse_round(json.dumps(doc))
    assert [p.path for p in info.value.problems] == ["resources[0].id", "needs[0].name"]


def test_the_schema_shows_the_new_fields():
    from click.testing import CliRunner

    from matcher.cli import main

    out = CliRunner().invoke(main, ["schema"])
    assert out.exit_code == 0
    schema = json.loads(out.output)
    defs = schema["$defs"]
    assert {"communities", "previous", "name"} <= schema["properties"].keys()
    assert {"fairness", "priority_aging"} <= defs["Params"]["properties"].keys()
    assert {"name", "note", "rounds_unmet"} <= defs["Need"]["properties"].keys()
    assert {"name", "note"} <= defs["Resource"]["properties"].keys()
    assert {"target_projects", "community_id"} <= defs["Provider"]["properties"].keys()
    assert defs["Community"]["required"] == ["id", "name"]
    assert defs["Need"]["properties"]["quantity"] == {"maximum": 1000000, "minimum": 1, "title": "Quantity",
                                                      "type": "integer"}
    assert "\\u200B" in defs["Need"]["properties"]["id"]["pattern"]
