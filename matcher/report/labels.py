"""Chinese plain words for codes that appear in results (reasons, statuses, categories).

The words come from the one message catalog, :mod:`matcher.i18n`, shared with
the console and the CLI summaries.
"""
from __future__ import annotations

from .. import i18n

REASONS_ZH: dict[str, str] = {code: zh for code, (zh, _en) in i18n.REASONS.items()}

STATUS_ZH: dict[str, str] = {code: i18n.round_status(code) for code in ("optimal", "feasible", "infeasible")}

CATEGORY_ZH: dict[str, str] = dict(i18n.CATEGORIES)

KIND_ZH: dict[str, str] = {"unit": "驻区单位", "member": "在职党员"}


def reason_zh(code: str) -> str:
    return i18n.reason(code)


def status_zh(code: str) -> str:
    return STATUS_ZH.get(code, code)


def category_zh(code: str) -> str:
    """``parking`` -> ``停车位``; categories already in Chinese (or unknown) stay as they are."""
    return i18n.category(code)
