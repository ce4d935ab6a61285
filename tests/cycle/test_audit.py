"""The audit chain: canonical JSON fixed, any edit of any stored field found and named."""
from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from matcher.cycle import audit
from matcher.errors import InputError

T0 = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def _chain() -> list[audit.Event]:
    events: list[audit.Event] = []
    specs = [("need.created", "N-1", None, {"id": "N-1", "quantity": 4, "name": "微心愿", "lat": 39.9}),
             ("round.solved", "RD-1", None, {"projects": [{"project_id": "P-1", "quantity": 4}]}),
             ("project.transition", "P-1", {"status": "proposed"}, {"status": "rejected", "reason": "太远"})]
    for i, (kind, subject, before, after) in enumerate(specs):
        head = events[-1] if events else None
        events.append(audit.next_event(head, at=T0 + timedelta(minutes=i), actor="王主任", committee="C-1",
                                       kind=kind, subject=subject, before=before, after=after,
                                       note="备注" if i == 2 else None))
    return events


def test_canonical_json_is_exactly_specified():
    event = _chain()[0]
    expected = ('{"actor":"王主任","after":{"id":"N-1","lat":39.9,"name":"微心愿","quantity":4},"at":'
                '"2026-12-01T08:00:00.000000Z","before":null,"committee":"C-1","kind":"need.created","note":null,'
                f'"prev_hash":"{"0" * 64}","seq":1,"subject":"N-1"}}').encode()
    assert audit.canonical(event.to_dict()) == expected
    assert event.hash == hashlib.sha256(b"0" * 64 + expected).hexdigest()


def test_chain_links_and_verifies():
    events = _chain()
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == audit.GENESIS
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert audit.verify_chain(events) is None
    assert audit.verify_chain([e.to_dict() for e in events]) is None
    assert audit.verify_chain([]) is None


def test_timestamps_are_utc_and_must_be_aware():
    beijing = timezone(timedelta(hours=8))
    assert audit.timestamp(datetime(2026, 12, 1, 16, 0, tzinfo=beijing)) == "2026-12-01T08:00:00.000000Z"
    assert audit.parse_timestamp("2026-12-01T08:00:00.000000Z") == T0
    with pytest.raises(InputError):
        audit.timestamp(datetime(2026, 12, 1))


def test_non_json_payload_refused():
    with pytest.raises(InputError):
        audit.next_event(None, at=T0, actor="a", committee="c", kind="k", subject="s", after={"x": float("nan")})


def _string_edits(value: str):
    for i, ch in enumerate(value):
        yield value[:i] + ("a" if ch != "a" else "b") + value[i + 1:]


def _value_edits(value):
    """Every way this test edits one stored value: each character of a string, each leaf of a JSON value."""
    if isinstance(value, str):
        yield from _string_edits(value)
    elif isinstance(value, bool) or value is None:
        yield "x"
    elif isinstance(value, (int, float)):
        yield value + 1
        yield float(value) if isinstance(value, int) else int(value)
        yield str(value)
    elif isinstance(value, dict):
        for key, inner in value.items():
            for edited in _value_edits(inner):
                yield {**value, key: edited}
            yield {(k + "x" if k == key else k): v for k, v in value.items()}
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            for edited in _value_edits(inner):
                yield value[:i] + [edited] + value[i + 1:]


def test_editing_any_field_of_any_event_is_found_and_named():
    stored = [e.to_dict() for e in _chain()]
    checked = 0
    for index, event in enumerate(stored):
        for field, value in event.items():
            for edited in _value_edits(value):
                copy = [dict(e) for e in stored]
                copy[index][field] = edited
                broken = audit.verify_chain(copy)
                assert broken is not None and broken.index == index, (index, field, edited)
                checked += 1
    assert checked > 500


def test_editing_the_hash_of_an_event_names_it_not_the_next():
    stored = [e.to_dict() for e in _chain()]
    stored[1]["hash"] = "f" * 64
    broken = audit.verify_chain(stored)
    assert (broken.index, broken.seq) == (1, 2)
    assert "hash does not match" in broken.reason


def test_removing_or_reordering_is_found():
    events = _chain()
    gap = audit.verify_chain([events[0], events[2]])
    assert (gap.index, gap.seq) == (1, 3) and "seq is 3, expected 2" in gap.reason
    swapped = audit.verify_chain([events[1], events[0], events[2]])
    assert swapped.index == 0
    first_gone = audit.verify_chain(events[1:])
    assert first_gone.index == 0


def test_renumbered_chain_after_a_removal_is_found():
    stored = [e.to_dict() for e in _chain()]
    del stored[1]
    stored[1]["seq"] = 2
    broken = audit.verify_chain(stored)
    assert broken.index == 1 and "prev_hash" in broken.reason


def test_truncation_found_against_the_head():
    events = _chain()
    assert audit.verify_chain(events[:2]) is None
    broken = audit.verify_chain(events[:2], head_hash=events[2].hash)
    assert (broken.index, broken.seq) == (2, 3)
    assert audit.verify_chain(events, head_hash=events[2].hash) is None


def test_added_or_missing_fields_are_named():
    stored = [e.to_dict() for e in _chain()]
    stored[2]["extra"] = 1
    assert "extra" in audit.verify_chain(stored).reason
    stored = [e.to_dict() for e in _chain()]
    del stored[0]["note"]
    assert audit.verify_chain(stored).index == 0
    assert str(audit.verify_chain(stored)).startswith("event 1 (position 0): fields differ")


def test_flipping_any_byte_of_a_stored_event_text_is_found():
    """An event stored as JSON text: every one-byte edit that still reads as an event is found."""
    import json

    events = [e.to_dict() for e in _chain()]
    for index in range(len(events)):
        raw = json.dumps(events[index], ensure_ascii=False).encode("utf-8")
        for pos in range(len(raw)):
            edited = raw[:pos] + bytes([raw[pos] ^ 0x01]) + raw[pos + 1:]
            try:
                event = json.loads(edited.decode("utf-8"))
            except (UnicodeDecodeError, ValueError):
                continue  # the store could not even read it back
            if not isinstance(event, dict) or event == events[index]:
                continue
            copy = events[:index] + [event] + events[index + 1:]
            broken = audit.verify_chain(copy)
            assert broken is not None and broken.index == index, (index, pos)
