"""Every kind of invalid input is refused with its field path and a clear message,
and every problem of a document is reported together in one error."""
from __future__ import annotations

import copy
import json

import pytest

from matcher.errors import DocumentError, InputError, RoundValidationError
from matcher.model import Round
from matcher.validation import parse_round, validate_round

from .builders import make_round, need, resource


def base() -> dict:
    """A valid round with 2 providers, 4 resources and 4 needs (index 3 exists everywhere)."""
    res = [resource(f"R{i}", 10 * i, provider=f"U{i % 2}", capacity=3) for i in range(4)]
    needs = [need(f"N{j}", 5 * j, quantity=2) for j in range(4)]
    return make_round(res, needs, locked=[("N0", "R0", 1)], forbidden=[("N1", "R1")])


def test_base_is_valid():
    assert isinstance(parse_round(base()), Round)
    assert validate_round(base()) == []


def problems_of(doc) -> list[tuple[str, str]]:
    with pytest.raises(InputError) as info:
        parse_round(doc)
    return [(p.path, p.message) for p in info.value.problems]


def mutated(fn) -> dict:
    doc = copy.deepcopy(base())
    fn(doc)
    return doc


def setter(section: str, k: int, key: str, value):
    def fn(doc):
        doc[section][k][key] = value
    return fn


def dropper(section: str, k: int, key: str):
    def fn(doc):
        del doc[section][k][key]
    return fn


def win(**w) -> list[dict]:
    return [{"days": ["mon"], "start": "08:00", "end": "12:00", **w}]


CASES = [
    # ids
    ("missing need id", dropper("needs", 3, "id"), "needs[3].id", "is required"),
    ("empty resource id", setter("resources", 2, "id", ""), "resources[2].id", "must not be empty"),
    ("numeric provider id", setter("providers", 1, "id", 7), "providers[1].id", "must be a string"),
    ("duplicate need id", setter("needs", 3, "id", "N1"), "needs[3].id", "duplicate id 'N1' (first at needs[1])"),
    ("duplicate resource id", setter("resources", 3, "id", "R0"), "resources[3].id", "duplicate id 'R0'"),
    ("duplicate provider id", setter("providers", 1, "id", "U0"), "providers[1].id", "duplicate id 'U0'"),
    ("unknown provider", setter("resources", 3, "provider_id", "U-9"), "resources[3].provider_id", "unknown provider 'U-9'"),
    ("unknown need in locked", setter("locked", 0, "need_id", "N-9"), "locked[0].need_id", "unknown need 'N-9'"),
    ("unknown resource in locked", setter("locked", 0, "resource_id", "R-9"), "locked[0].resource_id", "unknown resource 'R-9'"),
    ("unknown need in forbidden", setter("forbidden", 0, "need_id", "N-9"), "forbidden[0].need_id", "unknown need 'N-9'"),
    ("unknown resource in forbidden", setter("forbidden", 0, "resource_id", "R-9"), "forbidden[0].resource_id", "unknown resource 'R-9'"),
    ("missing category", dropper("needs", 3, "category"), "needs[3].category", "is required"),
    ("empty category", setter("resources", 1, "category", ""), "resources[1].category", "must not be empty"),
    # capacity / quantity
    ("quantity 0", setter("needs", 3, "quantity", 0), "needs[3].quantity", "must be >= 1"),
    ("quantity negative", setter("needs", 3, "quantity", -2), "needs[3].quantity", "must be >= 1"),
    ("quantity 1.5", setter("needs", 3, "quantity", 1.5), "needs[3].quantity", "must be an integer"),
    ("quantity '3'", setter("needs", 3, "quantity", "3"), "needs[3].quantity", "must be an integer"),
    ("quantity true", setter("needs", 3, "quantity", True), "needs[3].quantity", "must be an integer"),
    ("capacity 0", setter("resources", 3, "capacity", 0), "resources[3].capacity", "must be >= 1"),
    ("capacity negative", setter("resources", 3, "capacity", -1), "resources[3].capacity", "must be >= 1"),
    ("capacity 1.5", setter("resources", 3, "capacity", 1.5), "resources[3].capacity", "must be an integer"),
    ("capacity '3'", setter("resources", 3, "capacity", "3"), "resources[3].capacity", "must be an integer"),
    ("capacity true", setter("resources", 3, "capacity", True), "resources[3].capacity", "must be an integer"),
    ("missing capacity", dropper("resources", 0, "capacity"), "resources[0].capacity", "is required"),
    ("lock quantity 0", setter("locked", 0, "quantity", 0), "locked[0].quantity", "must be >= 1"),
    # positions
    ("lat 91", setter("needs", 3, "lat", 91), "needs[3].lat", "must be <= 90"),
    ("lat -90.5", setter("resources", 0, "lat", -90.5), "resources[0].lat", "must be >= -90"),
    ("lon -181", setter("resources", 2, "lon", -181), "resources[2].lon", "must be >= -180"),
    ("lon 180.01", setter("needs", 0, "lon", 180.01), "needs[0].lon", "must be <= 180"),
    ("lat as text", setter("needs", 1, "lat", "39.9"), "needs[1].lat", "must be a number"),
    # priority
    ("priority 0", setter("needs", 3, "priority", 0), "needs[3].priority", "must be >= 1"),
    ("priority 6", setter("needs", 3, "priority", 6), "needs[3].priority", "must be <= 5"),
    ("priority 2.5", setter("needs", 3, "priority", 2.5), "needs[3].priority", "must be an integer"),
    # distance limits
    ("resource max_distance_m 0", setter("resources", 1, "max_distance_m", 0), "resources[1].max_distance_m", "must be > 0"),
    ("need max_distance_m negative", setter("needs", 2, "max_distance_m", -10), "needs[2].max_distance_m", "must be > 0"),
    ("params max_distance_m 0", lambda d: d["params"].update(max_distance_m=0), "params.max_distance_m", "must be > 0"),
    # tags
    ("tags a string", setter("resources", 3, "tags", "law"), "resources[3].tags", "must be a list"),
    ("tags with a number", setter("resources", 3, "tags", ["law", 5]), "resources[3].tags[1]", "must be a string"),
    ("required_tags object", setter("needs", 0, "required_tags", {"law": 1}), "needs[0].required_tags", "must be a list"),
    ("required_tags with a number", setter("needs", 0, "required_tags", [1]), "needs[0].required_tags[0]", "must be a string"),
    # side rules
    ("min_quantity 0", setter("resources", 3, "min_quantity", 0), "resources[3].min_quantity", "must be >= 1"),
    ("max_projects 0", setter("providers", 1, "max_projects", 0), "providers[1].max_projects", "must be >= 1"),
    ("all_or_nothing 1", setter("needs", 3, "all_or_nothing", 1), "needs[3].all_or_nothing", "must be true or false"),
    ("all_or_nothing 'yes'", setter("needs", 3, "all_or_nothing", "yes"), "needs[3].all_or_nothing", "must be true or false"),
    # windows
    ("start 7:30", setter("needs", 3, "windows", win(start="7:30")), "needs[3].windows[0].start", "HH:MM"),
    ("start 25:00", setter("needs", 3, "windows", win(start="25:00")), "needs[3].windows[0].start", "HH:MM"),
    ("start 24:00", setter("needs", 3, "windows", win(start="24:00")), "needs[3].windows[0].start", "HH:MM"),
    ("start 08:60", setter("needs", 3, "windows", win(start="08:60")), "needs[3].windows[0].start", "HH:MM"),
    ("end 24:01", setter("resources", 1, "windows", win(end="24:01")), "resources[1].windows[0].end", "HH:MM"),
    ("end 25:00", setter("resources", 1, "windows", win(end="25:00")), "resources[1].windows[0].end", "HH:MM"),
    ("unknown day", setter("resources", 1, "windows", win(days=["mon", "someday"])),
     "resources[1].windows[0].days[1]", "must be one of"),
    ("empty days", setter("resources", 1, "windows", win(days=[])), "resources[1].windows[0].days", "at least 1"),
    ("windows not a list", setter("resources", 1, "windows", "mon 08:00-12:00"), "resources[1].windows", "must be a list"),
    ("window missing end", setter("needs", 0, "windows", [{"days": ["mon"], "start": "08:00"}]),
     "needs[0].windows[0].end", "is required"),
    # params
    ("unknown solver", lambda d: d["params"].update(solver="magic"), "params.solver", "must be one of"),
    ("priority weight key 7", lambda d: d["params"].update(priority_weights={"7": 3}),
     'params.priority_weights["7"]', 'unknown priority "7"'),
    ("priority weight 0", lambda d: d["params"].update(priority_weights={"3": 0}),
     'params.priority_weights["3"]', "must be >= 1"),
    ("time_limit_s 0", lambda d: d["params"].update(time_limit_s=0), "params.time_limit_s", "must be > 0"),
    ("unknown param", lambda d: d["params"].update(threads=4), "params.threads", "unknown field"),
    # unknown fields at every level
    ("unknown top-level field", lambda d: d.update(owner="x"), "owner", "unknown field"),
    ("unknown provider field", setter("providers", 1, "phone", "1"), "providers[1].phone", "unknown field"),
    ("unknown resource field", setter("resources", 3, "colour", "red"), "resources[3].colour", "unknown field"),
    ("unknown need field", setter("needs", 3, "urgent", True), "needs[3].urgent", "unknown field"),
    ("unknown window field", setter("needs", 3, "windows", win(tz="UTC")), "needs[3].windows[0].tz", "unknown field"),
    ("unknown lock field", setter("locked", 0, "note", "x"), "locked[0].note", "unknown field"),
    ("unknown forbidden field", setter("forbidden", 0, "note", "x"), "forbidden[0].note", "unknown field"),
    # committee decisions
    ("lock twice", lambda d: d["locked"].append({"need_id": "N0", "resource_id": "R0", "quantity": 2}),
     "locked[1]", "locked twice (first at locked[0])"),
    ("locked and forbidden", lambda d: d["forbidden"].append({"need_id": "N0", "resource_id": "R0"}),
     "locked[0]", "both locked and forbidden"),
    ("lock crossing categories", setter("needs", 0, "category", "care"), "locked[0]", "cannot cross categories"),
    # v1.1: names and notes
    ("round name too long", lambda d: d.update(name="x" * 201), "name", "at most 200 characters"),
    ("resource name too long", setter("resources", 2, "name", "名" * 201), "resources[2].name", "at most 200"),
    ("need name a number", setter("needs", 1, "name", 5), "needs[1].name", "must be a string"),
    ("provider name too long", setter("providers", 0, "name", "x" * 201), "providers[0].name", "at most 200"),
    ("need note too long", setter("needs", 2, "note", "x" * 2001), "needs[2].note", "at most 2000 characters"),
    ("resource note with CR", setter("resources", 0, "note", "a\r\nb"), "resources[0].note", "U+000D"),
    ("tab in a name", setter("needs", 0, "name", "a\tb"), "needs[0].name", "U+0009 (a control character)"),
    ("id too long", setter("needs", 0, "id", "N" * 201), "needs[0].id", "at most 200 characters"),
    # v1.1: communities
    ("community without name", lambda d: d.update(communities=[{"id": "C1"}]), "communities[0].name", "is required"),
    ("community lat 91", lambda d: d.update(communities=[{"id": "C1", "name": "x", "lat": 91}]),
     "communities[0].lat", "must be <= 90"),
    ("unknown community field", lambda d: d.update(communities=[{"id": "C1", "name": "x", "code": 1}]),
     "communities[0].code", "unknown field"),
    ("duplicate community id", lambda d: d.update(communities=[{"id": "C1", "name": "x"}, {"id": "C1", "name": "y"}]),
     "communities[1].id", "duplicate id 'C1' (first at communities[0])"),
    ("need of an unknown community", lambda d: d.update(communities=[{"id": "C2", "name": "x"}]),
     "needs[3].community_id", "unknown community 'C1'"),
    ("member of an unknown community",
     lambda d: (d.update(communities=[{"id": "C1", "name": "x"}]), d["providers"][1].update(community_id="C-9")),
     "providers[1].community_id", "unknown community 'C-9'"),
    # v1.1: providers' targets, needs' rounds_unmet
    ("target_projects negative", setter("providers", 1, "target_projects", -1), "providers[1].target_projects",
     "must be >= 0"),
    ("target_projects too big", setter("providers", 1, "target_projects", 1_000_001), "providers[1].target_projects",
     "must be <= 1000000"),
    ("target_projects 1.5", setter("providers", 1, "target_projects", 1.5), "providers[1].target_projects",
     "must be an integer"),
    ("rounds_unmet negative", setter("needs", 2, "rounds_unmet", -1), "needs[2].rounds_unmet", "must be >= 0"),
    ("rounds_unmet 1001", setter("needs", 2, "rounds_unmet", 1001), "needs[2].rounds_unmet", "must be <= 1000"),
    ("rounds_unmet true", setter("needs", 2, "rounds_unmet", True), "needs[2].rounds_unmet", "must be an integer"),
    # v1.1: previous plan
    ("previous unknown need", lambda d: d.update(previous=[{"need_id": "N-9", "resource_id": "R0", "quantity": 1}]),
     "previous[0].need_id", "unknown need 'N-9'"),
    ("previous unknown resource", lambda d: d.update(previous=[{"need_id": "N0", "resource_id": "R-9", "quantity": 1}]),
     "previous[0].resource_id", "unknown resource 'R-9'"),
    ("previous pair twice", lambda d: d.update(previous=[{"need_id": "N0", "resource_id": "R1", "quantity": 1},
                                                         {"need_id": "N0", "resource_id": "R1", "quantity": 2}]),
     "previous[1]", "pair (N0, R1) is given twice (first at previous[0])"),
    ("previous quantity 0", lambda d: d.update(previous=[{"need_id": "N0", "resource_id": "R1", "quantity": 0}]),
     "previous[0].quantity", "must be >= 1"),
    ("previous quantity too big",
     lambda d: d.update(previous=[{"need_id": "N0", "resource_id": "R1", "quantity": 1_000_001}]),
     "previous[0].quantity", "must be <= 1000000"),
    ("previous missing quantity", lambda d: d.update(previous=[{"need_id": "N0", "resource_id": "R1"}]),
     "previous[0].quantity", "is required"),
    ("unknown previous field",
     lambda d: d.update(previous=[{"need_id": "N0", "resource_id": "R1", "quantity": 1, "locked": True}]),
     "previous[0].locked", "unknown field"),
    # v1.1: fairness and priority ageing
    ("fairness ratio 0", lambda d: d["params"].update(fairness={"group": "community", "mode": "maxmin",
                                                                 "min_value_ratio": 0}),
     "params.fairness.min_value_ratio", "must be > 0"),
    ("fairness ratio 1.01", lambda d: d["params"].update(fairness={"group": "community", "mode": "maxmin",
                                                                    "min_value_ratio": 1.01}),
     "params.fairness.min_value_ratio", "must be <= 1"),
    ("fairness mode", lambda d: d["params"].update(fairness={"group": "community", "mode": "minmax",
                                                              "min_value_ratio": 0.5}),
     "params.fairness.mode", "must be one of 'maxmin' or 'leximin'"),
    ("fairness group", lambda d: d["params"].update(fairness={"group": "category", "mode": "maxmin",
                                                               "min_value_ratio": 0.5}),
     "params.fairness.group", "must be one of 'community'"),
    ("fairness without ratio", lambda d: d["params"].update(fairness={"group": "community", "mode": "maxmin"}),
     "params.fairness.min_value_ratio", "is required"),
    ("unknown fairness field", lambda d: d["params"].update(fairness={"group": "community", "mode": "maxmin",
                                                                       "min_value_ratio": 1, "by": "x"}),
     "params.fairness.by", "unknown field"),
    ("aging every_rounds 0", lambda d: d["params"].update(priority_aging={"every_rounds": 0, "max_priority": 5}),
     "params.priority_aging.every_rounds", "must be >= 1"),
    ("aging max_priority 6", lambda d: d["params"].update(priority_aging={"every_rounds": 2, "max_priority": 6}),
     "params.priority_aging.max_priority", "must be <= 5"),
    ("aging max_priority 0", lambda d: d["params"].update(priority_aging={"every_rounds": 2, "max_priority": 0}),
     "params.priority_aging.max_priority", "must be >= 1"),
    ("aging every_rounds 1.5", lambda d: d["params"].update(priority_aging={"every_rounds": 1.5, "max_priority": 5}),
     "params.priority_aging.every_rounds", "must be an integer"),
    ("unknown aging field", lambda d: d["params"].update(priority_aging={"every_rounds": 1, "max_priority": 5,
                                                                          "step": 1}),
     "params.priority_aging.step", "unknown field"),
    # v1.1: integers with a fraction
    ("quantity 4.5", setter("needs", 3, "quantity", 4.5), "needs[3].quantity", "must be an integer"),
    ("capacity 0.0", setter("resources", 3, "capacity", 0.0), "resources[3].capacity", "must be >= 1"),
    ("priority 5.0001", setter("needs", 3, "priority", 5.0001), "needs[3].priority", "must be an integer"),
    ("priority weight 2.5", lambda d: d["params"].update(priority_weights={"3": 2.5}),
     'params.priority_weights["3"]', "must be an integer"),
    # document shape
    ("providers not a list", lambda d: d.update(providers={"U0": {}}), "providers", "must be a list"),
    ("missing needs", lambda d: d.pop("needs"), "needs", "is required"),
    ("need not an object", lambda d: d["needs"].__setitem__(2, "N2"), "needs[2]", "must be an object"),
]


@pytest.mark.parametrize("label,mutate,path,message", CASES, ids=[c[0] for c in CASES])
def test_invalid_field_is_refused_with_its_path(label, mutate, path, message):
    found = problems_of(mutated(mutate))
    assert any(p == path and message in m for p, m in found), f"{label}: expected {path}: ...{message}... in {found}"


@pytest.mark.parametrize("value", [None, 250, 250.5])
def test_max_distance_null_or_positive_is_allowed(value):
    doc = mutated(setter("resources", 0, "max_distance_m", value))
    doc["needs"][0]["max_distance_m"] = value
    doc["params"]["max_distance_m"] = 250 if value is None else value
    parse_round(doc)


def test_24_00_allowed_as_end_and_null_lists_mean_empty():
    doc = mutated(setter("resources", 0, "windows", win(start="19:00", end="24:00")))
    doc["needs"][0]["windows"] = win(start="00:00", end="24:00", days=["sun", "sat"])
    doc["needs"][0]["required_tags"] = None
    doc["locked"] = None
    rnd = parse_round(doc)
    assert rnd.resources[0].windows[0].end == "24:00"
    assert rnd.needs[0].required_tags == ()
    assert rnd.locked == ()


def test_defaults_of_the_contract():
    doc = make_round([resource("R0")], [need("N0")])
    del doc["params"], doc["locked"], doc["forbidden"], doc["needs"][0]["priority"]
    rnd = parse_round(doc)
    assert rnd.params.max_distance_m == 3000
    assert rnd.params.time_limit_s == 60
    assert rnd.params.solver == "auto"
    assert rnd.params.weight_of() == {1: 1, 2: 2, 3: 4, 4: 8, 5: 16}
    n, r = rnd.needs[0], rnd.resources[0]
    assert (n.priority, n.max_distance_m, n.required_tags, n.all_or_nothing, n.windows) == (3, None, (), False, None)
    assert (r.min_quantity, r.max_distance_m, r.tags, r.windows) == (1, None, (), None)
    assert rnd.providers[0].max_projects is None


def test_all_problems_are_gathered_in_one_error():
    doc = base()
    doc["needs"][3]["quantity"] = 0
    doc["resources"][1]["lat"] = 91
    doc["resources"][2]["provider_id"] = "U-404"
    doc["locked"][0]["resource_id"] = "R-999"
    doc["params"]["solver"] = "magic"
    doc["providers"][0]["extra"] = 1
    doc["needs"][1]["id"] = "N0"
    with pytest.raises(RoundValidationError) as info:
        parse_round(doc)
    paths = {p.path for p in info.value.problems}
    assert {"needs[3].quantity", "resources[1].lat", "resources[2].provider_id", "locked[0].resource_id",
            "params.solver", "providers[0].extra", "needs[1].id"} <= paths
    text = str(info.value)
    assert "needs[3].quantity: must be >= 1" in text
    assert "locked[0].resource_id: unknown resource 'R-999'" in text
    # each problem once
    assert len(info.value.problems) == len(set(info.value.problems))
    # validate_round returns the same list instead of raising
    assert validate_round(doc) == info.value.problems


def test_unknown_day_is_not_also_reported_as_empty_days():
    """A list with one bad day is not empty: no misleading second message."""
    found = problems_of(mutated(setter("resources", 1, "windows", win(days=["xyz"]))))
    assert ("resources[1].windows[0].days", "must have at least 1 item(s)") not in found
    assert any(p == "resources[1].windows[0].days[0]" for p, _ in found)


@pytest.mark.parametrize("text,needle", [
    (b'{"providers": [], "resources": [], "needs": [], "params": {"max_distance_m": NaN}}', "NaN"),
    (b'{"providers": [], "resources": [], "needs": [], "params": {"max_distance_m": Infinity}}', "Infinity"),
    (b'{"a": -Infinity}', "-Infinity"),
    (b'\xff\xfe\x00{}', "not UTF-8"),
    ('{"name": "\u897f\u57ce"}'.encode("gbk"), "not UTF-8"),
    (b"this is not json", "not valid JSON"),
    (b'{"providers": [', "not valid JSON"),
    (b"", "not valid JSON"),
])
def test_unreadable_documents(text, needle):
    with pytest.raises(DocumentError) as info:
        parse_round(text)
    assert len(info.value.problems) == 1
    assert needle in info.value.problems[0].message


@pytest.mark.parametrize("text", [b"[1, 2]", b'"round"', b"42", b"null", "[]"])
def test_json_that_is_not_an_object(text):
    with pytest.raises(InputError) as info:
        parse_round(text)
    assert "must be a JSON object" in str(info.value)


def test_text_bytes_and_object_give_the_same_round():
    doc = base()
    text = json.dumps(doc, ensure_ascii=False)
    assert parse_round(doc) == parse_round(text) == parse_round(text.encode("utf-8"))
    assert parse_round(b"\xef\xbb\xbf" + text.encode("utf-8")) == parse_round(doc)  # BOM tolerated


def test_nothing_is_half_applied():
    """A refused document raises; no partially built round escapes."""
    doc = base()
    doc["needs"][3]["quantity"] = -1
    with pytest.raises(RoundValidationError):
        parse_round(doc)
    assert validate_round(doc) != []


@pytest.mark.parametrize("where,path", [
    (("resources", 0, "capacity"), "resources[0].capacity"),
    (("needs", 0, "quantity"), "needs[0].quantity"),
    (("resources", 0, "min_quantity"), "resources[0].min_quantity"),
    (("providers", 0, "max_projects"), "providers[0].max_projects"),
])
def test_regression_capacity_beyond_64_bits_was_a_traceback(where, path):
    """A capacity of 10**30 is a JSON integer; it used to pass validation and
    crash the columnar tables (OverflowError). Units are bounded instead."""
    doc = base()
    item = doc[where[0]][where[1]]
    item[where[2]] = 10 ** 30
    with pytest.raises(RoundValidationError) as exc:
        parse_round(json.dumps(doc))
    assert [str(p) for p in exc.value.problems] == [f"{path}: must be <= 1000000"]
    item[where[2]] = 1_000_000
    parse_round(json.dumps(doc))


@pytest.mark.parametrize("value", [["U0"], {"id": "U0"}])
def test_regression_unhashable_provider_id_was_a_server_error(value):
    """Found by schemathesis: a list as provider_id broke the quick cross-reference
    pass (unhashable) instead of being a field error."""
    doc = base()
    doc["resources"][0]["provider_id"] = value
    problems = [str(p) for p in validate_round(json.dumps(doc))]
    assert problems == ["resources[0].provider_id: must be a string"]
