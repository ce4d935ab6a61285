"""A JSON object with the same key twice is refused, each duplicate with its path.

JSON decoders keep the last of two equal keys without a word; the fast path
(orjson) and the standard path must both see them."""
from __future__ import annotations

import json

import pytest

from matcher.errors import DocumentError, RoundValidationError
from matcher.jsondoc import decode_fast, decode_json, may_hide_duplicates
from matcher.validation import parse_round, validate_round

from .builders import make_round, need, resource


def text_of(doc: dict) -> str:
    return json.dumps(doc, ensure_ascii=False)


def round_text() -> str:
    return text_of(make_round([resource(f"R{i}", capacity=3) for i in range(2)],
                              [need(f"N{j}", quantity=2) for j in range(5)]))


def with_second(text: str, anchor: str, extra: str) -> str:
    """``text`` with ``extra`` written right after the first ``anchor``."""
    at = text.index(anchor) + len(anchor)
    return text[:at] + extra + text[at:]


def test_second_needs_key_no_longer_silently_wins():
    """Issue 10 item 8: a second top-level "needs": [] used to replace the need list."""
    text = round_text()
    text = text[:-1] + ', "needs": []}'
    with pytest.raises(RoundValidationError) as info:
        parse_round(text)
    assert [str(p) for p in info.value.problems] == ['(document): duplicate key "needs"']


@pytest.mark.parametrize("as_bytes", [False, True])
def test_a_nested_duplicate_is_named_with_its_path(as_bytes):
    text = round_text()
    at = text.index('"id": "N4"')
    text = text[:at] + '"quantity": 7, ' + text[at:]
    data = text.encode() if as_bytes else text
    with pytest.raises(RoundValidationError) as info:
        parse_round(data)
    assert [str(p) for p in info.value.problems] == ['needs[4]: duplicate key "quantity"']


def test_duplicates_are_reported_with_the_other_problems():
    text = round_text().replace('"capacity": 3', '"capacity": 0', 1)
    text = with_second(text, '"params": {', '"solver": "flow", "solver": "greedy"')
    at = text.index('"id": "N1"')
    text = text[:at] + '"lat": 1.0, "lat": 2.0, ' + text[at:]
    problems = [str(p) for p in validate_round(text)]
    assert problems == ['params: duplicate key "solver"', 'needs[1]: duplicate key "lat"',
                        "resources[0].capacity: must be >= 1"]


def test_a_key_three_times_is_named_once_and_each_key_is_named():
    text = '{"a": {"x": 1, "y": 2, "x": 3, "y": 4, "x": 5}}'
    with pytest.raises(DocumentError) as info:
        decode_json(text)
    assert [str(p) for p in info.value.problems] == ['a: duplicate key "x"', 'a: duplicate key "y"']


def test_paths_of_keys_that_are_not_identifiers():
    text = '{"params": {"priority_weights": {"3": 1, "3": 2}}, "w": [{"k-1": {"é": 1, "é": 2}}]}'
    with pytest.raises(DocumentError) as info:
        decode_json(text.encode())
    assert [str(p) for p in info.value.problems] == ['params.priority_weights: duplicate key "3"',
                                                     'w[0]["k-1"]: duplicate key "é"']


def test_decode_json_refuses_duplicates_for_the_api_and_scenarios():
    with pytest.raises(DocumentError) as info:
        decode_json(b'{"needs": [], "providers": [], "needs": []}', "round.json")
    assert [str(p) for p in info.value.problems] == ['(document): duplicate key "needs"']


def test_equal_keys_in_different_objects_are_fine():
    doc = decode_json('{"a": {"x": 1}, "b": {"x": 2}, "x": [{"x": 3}, {"x": 4}]}')
    assert doc["x"][1]["x"] == 4


@pytest.mark.parametrize("text", [
    '{"a": "x:y", "b": {"c": "::"}}',  # colons inside strings
    '{"a\\u003a": 1, "b": "\\u003A"}',  # colons written as escapes: exact path, still no duplicate
    '{"a": "\\\\u003a"}',  # an escaped backslash before "u003a"
    '{"a": 123456789012345678901234567890}',  # beyond 64 bits: orjson cannot write it back
])
def test_no_false_duplicates(text):
    assert decode_json(text) == json.loads(text)
    assert decode_json(text.encode()) == json.loads(text)


def test_an_escaped_colon_cannot_hide_a_duplicate():
    """One colon written as \\u003a and one key written twice: the colon counts
    agree, so the escape itself must send the document down the exact path."""
    text = '{"a": "\\u003a", "b": 1, "b": 2}'
    value = json.loads(text)
    assert text.count(":") == json.dumps(value, separators=(",", ":")).count(":")  # the counts alone would agree
    assert may_hide_duplicates(text, value)
    assert decode_fast(text.encode()) is None
    with pytest.raises(DocumentError) as info:
        decode_json(text)
    assert [str(p) for p in info.value.problems] == ['(document): duplicate key "b"']


def test_the_fast_path_gives_up_on_a_duplicate():
    assert decode_fast(b'{"a": 1, "b": 2}') == {"a": 1, "b": 2}
    assert decode_fast(b'{"a": 1, "a": 2}') is None


def test_a_valid_document_reads_the_same_on_both_paths():
    text = round_text()
    assert decode_fast(text.encode()) == decode_json(text) == json.loads(text)
