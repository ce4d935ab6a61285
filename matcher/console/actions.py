"""Every console action and the documented API operation it is (one contract for the portal and the console).

Each row: the console's endpoint, what a clerk does there, the API operations
(method, path of ``/openapi.json``) whose store / service function the page
calls, and that function. ``tests/console/test_console_actions.py`` checks
that every console page is listed here and that every operation is in the
generated OpenAPI document.
"""
from __future__ import annotations

from dataclasses import dataclass

LIST, ENTRY = "/api/v1/lists/{list_name}", "/api/v1/lists/{list_name}/{entry_id}"
ROUND = "/api/v1/rounds/{round_id}"


@dataclass(frozen=True)
class Action:
    endpoint: str
    what: str
    api: tuple[tuple[str, str], ...]
    calls: str


ACTIONS: tuple[Action, ...] = (
    Action("console.home", "首页：清单条目数、最近的轮次、项目状态",
           (("GET", LIST), ("GET", "/api/v1/rounds"), ("GET", "/api/v1/projects")),
           "store.lists.listing, store.repo.list_rounds, store.cycle.list_projects"),
    Action("console.list_page", "清单表格（筛选、搜索、分页）", (("GET", LIST),), "store.lists.listing"),
    Action("console.new_entry", "添加条目的表单", (("GET", LIST),), "store.lists.listing (选项)"),
    Action("console.create_entry", "添加条目", (("POST", LIST),), "store.lists.create"),
    Action("console.edit_entry", "修改条目的表单", (("GET", ENTRY),), "store.lists.get"),
    Action("console.change_entry", "修改条目", (("PATCH", ENTRY),), "store.lists.change"),
    Action("console.withdraw_entry", "撤回条目", (("POST", ENTRY + "/withdraw"),), "store.lists.withdraw"),
    Action("console.import_page", "上传 Excel / CSV 清单的表单", (("POST", LIST.rsplit("/", 1)[0] + "/import"),),
           "—"),
    Action("console.import_preview", "预览导入（新增、修改、撤回、有错误的行）",
           (("POST", LIST.rsplit("/", 1)[0] + "/import"),), "tabular.entries.read_entry_file, store.lists_import.preview"),
    Action("console.import_apply", "确认导入（全部或不导入）", (("POST", LIST.rsplit("/", 1)[0] + "/import"),),
           "store.lists_import.apply (expect = the preview's digest)"),
    Action("console.import_template", "下载空白模板", (), "tabular.templates.write_templates (as matcher lists template)"),
    Action("console.rounds", "轮次列表（状态、指标）", (("GET", "/api/v1/rounds"),), "store.repo.list_rounds"),
    Action("console.new_round", "按清单新建一轮的表单", (("POST", "/api/v1/rounds"),), "—"),
    Action("console.create_round", "按清单新建一轮", (("POST", "/api/v1/rounds"),),
           "web.intake.from_lists_body (store.cycle.build_document), web.intake.submit"),
    Action("console.round_status", "求解进度（页面脚本轮询）", (("GET", ROUND),), "web.helpers.owned"),
    Action("console.round_page", "一轮的结果：指标、公平、地图、项目、未满足及原因",
           (("GET", ROUND), ("GET", ROUND + "/projects"), ("GET", ROUND + "/unmet"), ("GET", ROUND + "/input")),
           "web.helpers.owned, store.repo.list_projects, report.render_map"),
    Action("console.decide", "通过 / 不通过 / 暂缓（单个或批量）", (("POST", ROUND + "/decisions"),),
           "store.cycle.decide"),
    Action("console.export_projects", "下载项目清单 Excel", (("GET", ROUND), ("GET", ROUND + "/input")),
           "tabular.export.write_result (as matcher lists solve)"),
    Action("console.export_report", "下载报告 HTML", (("GET", ROUND), ("GET", ROUND + "/input")),
           "report.render_report (as matcher report)"),
    Action("console.compare", "比较两轮", (("GET", ROUND), ("GET", ROUND + "/projects")),
           "web.helpers.owned, store.repo.list_projects"),
    Action("console.board", "项目看板（按状态）", (("GET", "/api/v1/projects"),), "store.cycle.list_projects"),
    Action("console.board_decide", "看板上的决定", (("POST", ROUND + "/decisions"),), "store.cycle.decide"),
    Action("console.project_event", "开始实施、完成、未完成、取消、居民反馈",
           (("POST", "/api/v1/projects/{project_id}/events"),), "store.cycle.record"),
    Action("console.figures", "年度数据、年度最少项目数", (("GET", "/api/v1/figures"),),
           "cycle.figures.figures, cycle.figures.members"),
    Action("console.audit_log", "审计日志与哈希链", (("GET", "/api/v1/events"),),
           "store.audit.list_events, store.audit.verify (as matcher audit verify)"),
    Action("console.wish", "新微心愿的表单", (("GET", "/api/v1/rounds"),), "store.repo.list_rounds"),
    Action("console.wish_ask", "查找最合适的安排", (("POST", ROUND + "/recommend"),),
           "web.recommend.loaded_state, recommend.recommend"),
    Action("console.wish_apply", "采用一个方案", (("POST", ROUND + "/recommend/apply"),),
           "store.recommend.apply_choice (need.created + recommend.applied)"),
)

# console endpoints that are no API action: signing in and out, the static files, the 404 page
NOT_ACTIONS = frozenset({"console.signin_form", "console.signin", "console.signout", "console.static",
                         "console.unknown"})
