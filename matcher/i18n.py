"""The message catalog: every word matcher shows a person, in Chinese and English, by key.

One catalog for the console's pages, the CLI summaries and the report, so that
the same code reads the same everywhere: ``capacity_exhausted`` is
"可用资源已被其他需求用完" on the console, in the report and in ``matcher solve``'s
summary under a Chinese locale.

- :func:`text` (key, language, format arguments): ``text("nav.rounds") == "匹配轮次"``;
- :func:`reason`, :func:`project_status`, :func:`round_status`, :func:`category`:
  the words for the codes of results and of the committee cycle;
- :func:`message`: a validation message of :mod:`matcher.validation` / the
  lists / the lifecycle (``must be >= 1``) in the chosen language
  (``须不小于 1``); a message the catalog does not know is given as it is;
- :func:`locale_language`: ``zh`` when ``LC_ALL``, else ``LC_MESSAGES``, else
  ``LANG`` starts with ``zh`` (the POSIX order), ``en`` otherwise.
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping

LANGUAGES = ("zh", "en")

REASONS: dict[str, tuple[str, str]] = {
    "no_candidate_category": ("没有同类别的资源", "no resource of this category"),
    "no_candidate_tags": ("附近的资源不具备所需技能或条件", "the nearest resource lacks a required tag"),
    "no_candidate_distance": ("同类资源都超出步行距离", "every resource of the category is beyond walking distance"),
    "no_candidate_time": ("资源的服务时段与需求时段对不上", "the resource's hours do not cover the need's"),
    "forbidden": ("可用的资源已被协调委员会排除", "the committee excluded the usable resource"),
    "capacity_exhausted": ("可用资源已被其他需求用完", "usable resources are used up by other needs"),
    "all_or_nothing": ("需要整体满足，但只能部分满足", "must be served in full, only part is possible"),
    "provider_limit": ("受提供方项目数上限或最小批量限制", "a provider's project limit or a minimum lot blocks it"),
}

PROJECT_STATUSES: dict[str, tuple[str, str]] = {
    "proposed": ("已提出", "proposed"), "approved": ("已通过", "approved"), "rejected": ("不通过", "rejected"),
    "held": ("暂缓", "held"), "in_service": ("实施中", "in service"), "done": ("已完成", "done"),
    "confirmed": ("已确认", "confirmed"), "reopened": ("重新打开", "reopened"), "cancelled": ("已取消", "cancelled"),
    "failed": ("未完成", "failed"),
}

ROUND_STATUSES: dict[str, tuple[str, str]] = {
    "queued": ("排队中", "queued"), "running": ("求解中", "running"),
    "optimal": ("最优（已证明）", "optimal"), "feasible": ("可行（未证明最优）", "feasible"),
    "infeasible": ("不可行", "infeasible"), "failed": ("求解失败", "failed"), "cancelled": ("已取消", "cancelled"),
    "unknown": ("未找到结果", "unknown"),
}

CATEGORIES: dict[str, str] = {
    "parking": "停车位", "after_school": "课后托管", "venue": "活动场地", "room": "活动室", "skill": "技能服务",
    "micro_wish": "微心愿", "rider_station": "骑手驿站", "rider_parking": "骑手停车点", "rider_rest": "骑手休息点",
    "volunteer": "志愿服务", "activity": "文体活动", "elderly_care": "养老照护", "elderly_meals": "老年助餐",
    "home_visit": "入户走访", "tutoring": "课业辅导",
}

# key -> (Chinese, English); {name} fields are filled by text(key, lang, name=...)
MESSAGES: dict[str, tuple[str, str]] = {
    "app.title": ("协调委员会工作台", "Committee console"),
    "nav.home": ("首页", "Home"), "nav.lists": ("清单", "Lists"), "nav.rounds": ("匹配轮次", "Rounds"),
    "nav.projects": ("项目看板", "Projects"), "nav.wish": ("新微心愿", "New micro-wish"),
    "nav.figures": ("年度数据", "Figures"), "nav.audit": ("审计日志", "Audit log"),
    "nav.signout": ("退出", "Sign out"),
    "list.resources": ("资源清单", "Resources"), "list.needs": ("需求清单", "Needs"),
    "list.communities": ("社区", "Communities"), "list.providers": ("提供方", "Providers"),
    "signin.title": ("登录", "Sign in"), "signin.token": ("委员会令牌", "Committee token"),
    "signin.submit": ("登录", "Sign in"), "signin.bad": ("令牌无效或已停用", "the token is not valid"),
    "signin.ended": ("登录已失效，请重新登录", "your session has ended; sign in again"),
    "signin.hint": ("令牌由管理员用 matcher token create 发放；它只在登录时使用，不会保存在浏览器中。",
                    "Tokens come from matcher token create; used only to sign in, never kept in the browser."),
    "signout.done": ("已退出", "signed out"),
    "csrf.bad": ("表单已过期，请刷新页面后重试", "the form has expired; reload the page and try again"),
    "error.404": ("没有找到这一页或这一项", "no such page or item"),
    "error.400": ("请求有误", "bad request"), "error.409": ("与当前状态冲突，未做任何更改", "conflicts with the current "
                                                        "state; nothing was changed"),
    "error.422": ("输入有误，未做任何更改", "invalid input; nothing was changed"),
    "error.500": ("系统出错，已记录", "something went wrong; it was logged"),
    "home.title": ("本委员会", "This committee"), "home.signed_in_as": ("当前登录：{actor}", "signed in as {actor}"),
    "summary.note": ("说明", "note"), "summary.served": ("已满足", "served"), "summary.units": ("单位", "units"),
    "summary.weighted": ("加权覆盖率", "weighted coverage"), "summary.value": ("服务价值", "value"),
    "summary.bound": ("上界", "bound"), "summary.distance": ("总距离", "distance"),
    "summary.walk": ("平均步行", "mean walk"), "summary.min": ("分钟", "min"), "summary.projects": ("项目", "projects"),
    "summary.short": ("未满足需求", "needs short"), "summary.time": ("用时", "time"), "summary.solve": ("求解", "solve"),
    "summary.pairs": ("候选配对", "candidate pairs"), "summary.written": ("已写入", "written"),
    "summary.round": ("轮次", "round"),
}

# English validation messages (matcher.validation, store.lists, cycle.lifecycle) -> Chinese
_MESSAGE_PATTERNS: list[tuple[re.Pattern, str]] = [(re.compile(p), zh) for p, zh in (
    (r"^is required$", "必填"),
    (r"^unknown field$", "不认识的字段"),
    (r"^must be an integer$", "须为整数"),
    (r"^must be a number$", "须为数字"),
    (r"^must be a finite number$", "须为有限的数字"),
    (r"^must be a string$", "须为文字"),
    (r"^must be true or false$", "须为“是”或“否”"),
    (r"^must be a list$", "须为列表"),
    (r"^must be an object$", "须为对象"),
    (r"^must be >= (.+)$", r"须不小于 \1"),
    (r"^must be > (.+)$", r"须大于 \1"),
    (r"^must be <= (.+)$", r"须不大于 \1"),
    (r"^must be < (.+)$", r"须小于 \1"),
    (r"^must not be empty$", "不能为空"),
    (r"^must be a non-empty string$", "不能为空"),
    (r"^must be at most (\d+) characters$", r"最多 \1 个字符"),
    (r"^must have at least (\d+) item\(s\)$", r"至少 \1 项"),
    (r"^must be one of (.+)$", r"须为以下之一：\1"),
    (r"^must be an integer from (\d+) to (\d+)$", r"须为 \1 到 \2 之间的整数"),
    (r"^no (provider|community) '(.+)' in the lists$", r"清单中没有这个编号：\2"),
    (r"^\w+ (.+) is already in the lists$", r"编号 \1 已在清单中"),
    (r"^\w+ (.+) is already withdrawn$", r"\1 已经撤回"),
    (r"^is required for (rejected|failed)$", "须填写原因"),
    (r"^is computed by each round from min_projects_year$", "由每轮根据年度最少项目数计算"),
    (r"^cannot be changed$", "不能修改"),
    (r"^must be an integer \(got (.+)\)$", r"须为整数（填写的是 \1）"),
    (r"^must be a number \(got (.+)\)$", r"须为数字（填写的是 \1）"),
    (r"^must be 是 or 否.*$", "须为“是”或“否”"),
    (r"^must be 单位 or 党员.*$", "须为“单位”或“党员”"),
    (r"^cannot read (.+): unknown day (.+)$", r"看不懂 \1：没有 \2 这一天"),
    (r"^cannot read (.+): expected e\.g\. (.+)$", r"看不懂 \1，请按 \2 的格式填写"),
    (r"^no time range in (.+): expected e\.g\. (.+)$", r"\1 中没有时间段，请按 \2 的格式填写"),
    (r"^no such time (.+)$", r"没有这个时间：\1"),
    (r"^no option of rank (\d+): this \w+ has (\d+) option\(s\)$", r"没有方案 \1（共有 \2 种）"),
    (r"^(.+): sheet '(.+)' not imported \(lists: (.+)\)$", r"\1：工作表“\2”不导入（导入的清单：\3）"),
    (r"^'(.+)' already exists in the round$", r"编号 \1 已在这一轮中"),
    (r"^unknown status '(.+)'.*$", r"不认识的状态 \1"),
    (r"^project (\S+) is (\w+); (\w+) -> (\w+) is not allowed.*$", r"项目 \1 当前状态不允许这一操作"),
)]


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def text(key: str, lang: str = "zh", **fields) -> str:
    """The catalog text of ``key`` in ``lang`` (``zh`` or ``en``), ``{fields}`` filled; the key when unknown."""
    pair = MESSAGES.get(key)
    out = key if pair is None else _pick(pair, lang)
    return out.format(**fields) if fields else out


def reason(code: str, lang: str = "zh") -> str:
    """Plain words for an ``unmet.reason`` code (the code itself when unknown)."""
    return _pick(REASONS[code], lang) if code in REASONS else code


def project_status(code: str, lang: str = "zh") -> str:
    return _pick(PROJECT_STATUSES[code], lang) if code in PROJECT_STATUSES else code


def round_status(code: str, lang: str = "zh") -> str:
    return _pick(ROUND_STATUSES[code], lang) if code in ROUND_STATUSES else code


def category(code: str, lang: str = "zh") -> str:
    """``parking`` -> ``停车位`` in Chinese; the code in English and for categories not in the catalog."""
    return CATEGORIES.get(code, code) if lang == "zh" else code


def message(english: str, lang: str = "zh") -> str:
    """A validation message in ``lang``; one the catalog has no pattern for is given as it is."""
    if lang == "en":
        return english
    for pattern, zh in _MESSAGE_PATTERNS:
        if pattern.match(english):
            return pattern.sub(zh, english)
    return english


def locale_language(environ: Mapping[str, str] | None = None) -> str:
    """``zh`` when the first of ``LC_ALL``, ``LC_MESSAGES``, ``LANG`` that is set starts with ``zh``, else ``en``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"
