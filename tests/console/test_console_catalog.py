"""The one message catalog: console, report and CLI summary say the same words; the CLI follows the locale."""
from __future__ import annotations

import pytest

from matcher import i18n
from matcher.cli.summary import summary
from matcher.reasons import REASONS
from matcher.report import labels
from matcher.results import as_result


@pytest.mark.parametrize("env, lang", [
    ({"LANG": "zh_CN.UTF-8"}, "zh"), ({"LANG": "en_US.UTF-8"}, "en"), ({}, "en"), ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh"), ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
    ({"LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US"}, "zh"),
])
def test_the_locale_picks_the_language(env, lang):
    assert i18n.locale_language(env) == lang


def test_every_reason_and_status_has_both_languages():
    for code in REASONS:
        assert i18n.reason(code, "zh") != code and i18n.reason(code, "en") != code
        assert labels.reason_zh(code) == i18n.reason(code, "zh")  # the report uses the catalog
    words = {i18n.project_status(s) for s in ("proposed", "approved", "rejected", "held", "in_service", "done",
                                              "confirmed", "reopened", "cancelled", "failed")}
    assert words == {"已提出", "已通过", "不通过", "暂缓", "实施中", "已完成", "已确认", "重新打开", "已取消", "未完成"}


@pytest.mark.parametrize("english, chinese", [
    ("is required", "必填"), ("must be >= 1", "须不小于 1"), ("must be at most 200 characters", "最多 200 个字符"),
    ("no provider 'U-9' in the lists", "清单中没有这个编号：U-9"), ("must be an integer", "须为整数"),
    ("need N-1 is already in the lists", "编号 N-1 已在清单中"),
])
def test_validation_messages_read_in_chinese(english, chinese):
    assert i18n.message(english, "zh") == chinese
    assert i18n.message(english, "en") == english


def test_an_unknown_message_is_kept_as_it_is():
    assert i18n.message("something new happened", "zh") == "something new happened"


def _result(sample_round):
    from matcher.service import solve_round

    return as_result(solve_round(sample_round).document)


def test_the_cli_summary_speaks_the_locale(data_dir, monkeypatch):
    import json

    rnd = json.loads((data_dir / "huzhou_after_school.json").read_text(encoding="utf-8"))
    result = _result(rnd)
    zh = summary(result, "湖州", "out.json", lang="zh")
    en = summary(result, "湖州", "out.json", lang="en")
    assert "已满足" in zh and i18n.round_status(result.status, "zh") in zh and "已写入" in zh
    assert "served" in en and "written" in en and "已满足" not in en
    for u in result.unmet:
        assert i18n.reason(u.reason, "zh") in zh and u.reason in en
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")
    assert summary(result, "湖州", None) == summary(result, "湖州", None, lang="zh")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert summary(result, "湖州", None) == summary(result, "湖州", None, lang="en")
