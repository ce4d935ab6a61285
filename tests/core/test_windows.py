"""Weekly time windows (matcher.windows) and packed-bitset subset tests (matcher.bitsets)."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings, strategies as st

from matcher import bitsets
from matcher import windows as W
from matcher.model import Window
from matcher.service import prepare

from .builders import make_round, need, resource
from .reference import minutes

MON, TUE, SUN = 0, 1440, 6 * 1440


def mask_of(*wins: dict) -> np.ndarray:
    return W.week_mask(W.key_of([Window(**w) for w in wins]))


def covered(mask: np.ndarray) -> set[int]:
    return set(np.flatnonzero(mask).tolist())


def test_hhmm_and_span():
    assert W.hhmm("07:30") == 450
    assert W.hhmm("24:00") == 1440
    assert W.window_span("08:00", "12:00") == (480, 240)
    assert W.window_span("19:00", "07:30") == (1140, 750)  # wraps past midnight
    assert W.window_span("19:00", "24:00") == (1140, 300)
    assert W.window_span("00:00", "24:00") == (0, 1440)
    assert W.window_span("09:00", "09:00") == (540, 1440)  # start == end: a whole day


def test_simple_window():
    m = mask_of({"days": ["tue"], "start": "08:00", "end": "12:00"})
    assert covered(m) == set(range(TUE + 480, TUE + 720))


def test_wrap_past_midnight():
    m = mask_of({"days": ["mon"], "start": "19:00", "end": "07:30"})
    assert covered(m) == set(range(MON + 1140, TUE + 450))


def test_end_24_00_is_end_of_day():
    m = mask_of({"days": ["mon"], "start": "19:00", "end": "24:00"})
    assert covered(m) == set(range(MON + 1140, TUE))


def test_start_equal_end_is_a_whole_day():
    m = mask_of({"days": ["wed"], "start": "06:00", "end": "06:00"})
    assert covered(m) == set(range(2 * 1440 + 360, 3 * 1440 + 360))
    m0 = mask_of({"days": ["wed"], "start": "00:00", "end": "00:00"})
    assert covered(m0) == set(range(2 * 1440, 3 * 1440))


def test_sunday_night_wraps_into_monday():
    m = mask_of({"days": ["sun"], "start": "22:00", "end": "06:00"})
    assert covered(m) == set(range(SUN + 1320, 7 * 1440)) | set(range(360))
    whole = mask_of({"days": ["sun"], "start": "12:00", "end": "12:00"})
    assert covered(whole) == set(range(SUN + 720, 7 * 1440)) | set(range(720))


def test_none_means_always_and_week_size():
    assert W.WEEK_MINUTES == 10080
    assert W.week_mask(None).all() and W.week_mask(None).size == 10080
    every_day = mask_of({"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "start": "00:00", "end": "24:00"})
    assert every_day.all()


def test_key_is_order_and_duplicate_insensitive():
    a = [Window(days=["tue", "mon"], start="08:00", end="09:00"), Window(days=["fri"], start="10:00", end="11:00")]
    b = [Window(days=["fri"], start="10:00", end="11:00"), Window(days=["mon", "tue", "mon"], start="08:00", end="09:00")]
    assert W.key_of(a) == W.key_of(b)
    assert W.key_of(None) is None
    assert W.key_of(a) != W.key_of(a[:1])


day_st = st.sampled_from(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
hhmm_st = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
end_st = st.one_of(hhmm_st, st.just("24:00"))
window_st = st.fixed_dictionaries({"days": st.lists(day_st, min_size=1, max_size=7), "start": hhmm_st, "end": end_st})


@settings(max_examples=60, deadline=None)
@given(st.lists(window_st, min_size=1, max_size=4))
def test_mask_matches_minute_by_minute_reference(wins):
    assert covered(mask_of(*wins)) == minutes(wins)


@settings(max_examples=60, deadline=None)
@given(st.lists(window_st, min_size=1, max_size=3), st.lists(window_st, min_size=1, max_size=3))
def test_packed_subset_matches_set_inclusion(need_w, res_w):
    keys = [W.key_of([Window(**w) for w in need_w]), W.key_of([Window(**w) for w in res_w])]
    bits = W.packed_patterns(keys)
    ok = bitsets.subset_by_pattern(bits, bits, np.array([0, 1, 0, 1]), np.array([1, 0, 0, 1]))
    n, r = minutes(need_w), minutes(res_w)
    assert ok.tolist() == [n <= r, r <= n, True, True]


def test_packed_has_one_bit_per_minute():
    m = mask_of({"days": ["sun"], "start": "23:59", "end": "00:00"})  # Sunday 23:59 only
    assert covered(m) == {10079}
    words = W.packed(m)
    assert words.dtype == np.uint64 and words.size == (10080 + 63) // 64
    assert sum(bin(int(v)).count("1") for v in words) == 1


# ---- bitsets helpers -------------------------------------------------------------

def test_words_for():
    assert bitsets.words_for(0) == 1
    assert bitsets.words_for(64) == 1
    assert bitsets.words_for(65) == 2


def test_dedup():
    ids, table = bitsets.dedup(["a", None, "b", "a", None])
    assert ids.tolist() == [0, -1, 1, 0, -1]
    assert table == ["a", "b"]


def test_tag_bits_subset_across_word_boundary():
    vocab = {f"t{k}": k for k in range(70)}  # bits in two words
    sets = [frozenset({"t1", "t68"}), frozenset({"t1", "t68", "t3"}), frozenset({"t1"}), frozenset()]
    bits = bitsets.tag_bits(sets, vocab)
    assert bits.shape == (4, 2)
    need_pat = np.array([0, 0, 0, 3, 2])
    res_pat = np.array([1, 2, 3, 0, 1])
    ok = bitsets.subset_by_pattern(bits, bits, need_pat, res_pat)
    assert ok.tolist() == [sets[a] <= sets[b] for a, b in zip(need_pat, res_pat)]


def test_subset_empty_input():
    bits = np.zeros((1, 1), dtype=np.uint64)
    assert bitsets.subset_by_pattern(bits, bits, np.array([], dtype=int), np.array([], dtype=int)).size == 0


# ---- windows through eligibility ----------------------------------------------

def wdoc(need_windows, *res_windows) -> dict:
    res = [resource(f"R{i}", 10 * i, windows=w) for i, w in enumerate(res_windows)]
    return make_round(res, [need("N0", windows=need_windows)])


def eligible_resources(doc) -> set[str]:
    prep = prepare(doc)
    return {prep.tables.res_ids[i] for i in prep.pairs.res.tolist()}


def test_union_of_resource_windows_covers_a_need_window():
    """Need Mon 18:00-23:00; one resource has 18:00-20:00 and 20:00-23:00 (two windows):
    covered only by the union; another has only one half; a third has a gap of one minute."""
    nw = [{"days": ["mon"], "start": "18:00", "end": "23:00"}]
    split = [{"days": ["mon"], "start": "18:00", "end": "20:00"}, {"days": ["mon"], "start": "20:00", "end": "23:00"}]
    half = [{"days": ["mon"], "start": "18:00", "end": "20:00"}]
    gap = [{"days": ["mon"], "start": "18:00", "end": "19:59"}, {"days": ["mon"], "start": "20:00", "end": "23:00"}]
    assert eligible_resources(wdoc(nw, split, half, gap)) == {"R0"}


def test_overnight_need_covered_by_evening_plus_morning_windows():
    """Need Fri 22:00 -> Sat 06:00 is covered by Fri 20:00-24:00 plus Sat 00:00-07:00."""
    nw = [{"days": ["fri"], "start": "22:00", "end": "06:00"}]
    two = [{"days": ["fri"], "start": "20:00", "end": "24:00"}, {"days": ["sat"], "start": "00:00", "end": "07:00"}]
    wrong_day = [{"days": ["fri"], "start": "20:00", "end": "24:00"}, {"days": ["fri"], "start": "00:00", "end": "07:00"}]
    assert eligible_resources(wdoc(nw, two, wrong_day)) == {"R0"}


def test_sunday_night_need_needs_monday_morning():
    nw = [{"days": ["sun"], "start": "23:00", "end": "01:00"}]
    ok = [{"days": ["sun"], "start": "20:00", "end": "24:00"}, {"days": ["mon"], "start": "00:00", "end": "02:00"}]
    not_ok = [{"days": ["sun"], "start": "20:00", "end": "24:00"}, {"days": ["sat"], "start": "00:00", "end": "02:00"}]
    whole = [{"days": ["sun"], "start": "23:00", "end": "23:00"}]
    assert eligible_resources(wdoc(nw, ok, not_ok, whole)) == {"R0", "R2"}


def test_need_without_windows_has_no_time_requirement():
    some = [{"days": ["tue"], "start": "10:00", "end": "11:00"}]
    assert eligible_resources(wdoc(None, some, None)) == {"R0", "R1"}


def test_resource_without_windows_is_always_available():
    nw = [{"days": ["mon", "sun"], "start": "00:00", "end": "24:00"}]
    part = [{"days": ["mon"], "start": "00:00", "end": "24:00"}]
    assert eligible_resources(wdoc(nw, None, part)) == {"R0"}
