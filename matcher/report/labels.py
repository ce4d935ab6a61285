"""Chinese plain words for codes that appear in results (reasons, statuses, categories)."""
from __future__ import annotations

REASONS_ZH: dict[str, str] = {
    "no_candidate_category": "没有同类别的资源",
    "no_candidate_tags": "附近的资源不具备所需技能或条件",
    "no_candidate_distance": "同类资源都超出步行距离",
    "no_candidate_time": "资源的服务时段与需求时段对不上",
    "forbidden": "可用的资源已被协调委员会排除",
    "capacity_exhausted": "可用资源已被其他需求用完",
    "all_or_nothing": "需要整体满足，但只能部分满足",
    "provider_limit": "受提供方项目数上限或最小批量限制",
}

STATUS_ZH: dict[str, str] = {
    "optimal": "最优（已证明）",
    "feasible": "可行（未证明最优）",
    "infeasible": "不可行",
}

CATEGORY_ZH: dict[str, str] = {
    "parking": "停车位",
    "after_school": "课后托管",
    "venue": "活动场地",
    "room": "活动室",
    "skill": "技能服务",
    "micro_wish": "微心愿",
    "rider_station": "骑手驿站",
    "rider_parking": "骑手停车点",
    "rider_rest": "骑手休息点",
    "volunteer": "志愿服务",
    "activity": "文体活动",
    "elderly_care": "养老照护",
    "elderly_meals": "老年助餐",
    "home_visit": "入户走访",
    "tutoring": "课业辅导",
}

KIND_ZH: dict[str, str] = {"unit": "驻区单位", "member": "在职党员"}


def reason_zh(code: str) -> str:
    return REASONS_ZH.get(code, code)


def status_zh(code: str) -> str:
    return STATUS_ZH.get(code, code)


def category_zh(code: str) -> str:
    """``parking`` -> ``停车位``; categories already in Chinese (or unknown) stay as they are."""
    return CATEGORY_ZH.get(code, code)
