"""Which columns each list has: canonical Chinese header, accepted aliases, cell kind.

Headers are matched after normalisation (:func:`norm_header`): full-width
characters folded (``（米）`` = ``(米)``), case, spaces, ``_``, ``-`` and a
trailing ``*`` (required marker) ignored. Unknown columns (``备注``) are ignored.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    field: str
    header: str                 # canonical Chinese header (templates, exports, messages)
    kind: str                   # id text int float bool tags windows kind
    aliases: tuple[str, ...] = ()
    required: bool = False

    def names(self) -> tuple[str, ...]:
        return (self.header, self.field, *self.aliases)


@dataclass(frozen=True)
class ListSpec:
    key: str                    # key in the round document
    title: str                  # Chinese name of the list (= sheet name in a workbook)
    sheet_names: tuple[str, ...]
    columns: tuple[Column, ...]

    def column(self, field: str) -> Column:
        for c in self.columns:
            if c.field == field:
                return c
        raise KeyError(field)


def norm_header(text: object) -> str:
    s = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    s = s.rstrip("*").strip()
    return re.sub(r"[\s_\-]+", "", s)


_LAT = Column("lat", "纬度", "float", ("latitude", "lat(wgs84)", "纬度(wgs84)"), True)
_LON = Column("lon", "经度", "float", ("lng", "longitude", "lon(wgs84)", "经度(wgs84)"), True)
_DIST = Column("max_distance_m", "最远距离(米)", "float",
               ("最远距离", "服务半径(米)", "服务半径", "步行距离(米)", "max_distance"))

PROVIDERS = ListSpec("providers", "提供方", ("提供方", "提供方清单", "providers", "provider"), (
    Column("id", "提供方编号", "id", ("provider_id", "编号"), True),
    Column("name", "提供方名称", "text", ("名称", "单位名称", "姓名")),
    Column("kind", "类型", "kind", ("提供方类型", "type")),
    Column("max_projects", "最多项目数", "int", ("项目数上限", "maxprojects")),
    Column("community_id", "所属社区", "id", ("社区编号", "报到社区", "community", "community_id")),
))

RESOURCES = ListSpec("resources", "资源清单", ("资源清单", "资源", "resources", "resource"), (
    Column("id", "资源编号", "id", ("resource_id", "编号"), True),
    Column("provider_id", "提供方编号", "id", ("提供方", "provider"), True),
    Column("category", "类别", "id", ("资源类别", "category"), True),
    Column("capacity", "容量", "int", ("可提供数量", "数量"), True),
    _LAT,
    _LON,
    _DIST,
    Column("tags", "技能标签", "tags", ("标签", "技能")),
    Column("min_quantity", "最小批量", "int", ("最小数量", "起配数量")),
    Column("windows", "服务时段", "windows", ("时段", "可用时段")),
))

NEEDS = ListSpec("needs", "需求清单", ("需求清单", "需求", "needs", "need"), (
    Column("id", "需求编号", "id", ("need_id", "编号"), True),
    Column("community_id", "社区编号", "id", ("社区", "所属社区", "community"), True),
    Column("category", "类别", "id", ("需求类别", "category"), True),
    Column("quantity", "数量", "int", ("需求数量",), True),
    _LAT,
    _LON,
    Column("priority", "优先级", "int", ("紧急程度",)),
    _DIST,
    Column("required_tags", "必需标签", "tags", ("所需标签", "所需技能", "必需技能")),
    Column("all_or_nothing", "整体满足", "bool", ("需整体满足", "allornothing")),
    Column("windows", "需求时段", "windows", ("服务时段", "时段")),
))

LOCKED = ListSpec("locked", "锁定", ("锁定", "锁定项目", "locked"), (
    Column("need_id", "需求编号", "id", (), True),
    Column("resource_id", "资源编号", "id", (), True),
    Column("quantity", "数量", "int", (), True),
))

FORBIDDEN = ListSpec("forbidden", "禁止", ("禁止", "禁止配对", "forbidden"), (
    Column("need_id", "需求编号", "id", (), True),
    Column("resource_id", "资源编号", "id", (), True),
))

LISTS: tuple[ListSpec, ...] = (PROVIDERS, RESOURCES, NEEDS, LOCKED, FORBIDDEN)
BY_KEY = {s.key: s for s in LISTS}

# The committee's stored lists (``matcher lists import``): communities too, and a member's yearly minimum.
COMMUNITIES = ListSpec("communities", "社区", ("社区", "社区清单", "communities", "community"), (
    Column("id", "社区编号", "id", ("community_id", "编号"), True),
    Column("name", "社区名称", "text", ("名称", "community_name"), True),
    Column("lat", "纬度", "float", _LAT.aliases),
    Column("lon", "经度", "float", _LON.aliases),
))
MIN_PROJECTS_YEAR = Column("min_projects_year", "每年最少项目数", "int", ("年度最少项目数", "每年最少活动数"))
PROVIDER_ENTRIES = ListSpec(PROVIDERS.key, PROVIDERS.title, PROVIDERS.sheet_names,
                            (*PROVIDERS.columns, MIN_PROJECTS_YEAR))
ENTRY_LISTS: tuple[ListSpec, ...] = (COMMUNITIES, PROVIDER_ENTRIES, RESOURCES, NEEDS)

# the params sheet (参数): two columns, 参数 / 值
PARAMS_SHEETS = ("参数", "params", "parameters")
PARAM_KEYS: dict[str, tuple[str, ...]] = {
    "name": ("轮次名称", "名称", "name"),
    "max_distance_m": ("最远距离(米)", "最远距离", "max_distance_m"),
    "time_limit_s": ("时间上限(秒)", "求解时限(秒)", "time_limit_s"),
    "solver": ("求解器", "solver"),
    **{f"priority_weights.{p}": (f"优先级{p}权重", f"priority_weight_{p}") for p in "12345"},
}
PARAM_HEADERS = {key: names[0] for key, names in PARAM_KEYS.items()}
