"""The round report: one self-contained, offline HTML page (map, KPI charts, project and unmet lists)."""
from .html import render_map, render_report
from .labels import category_zh, reason_zh, status_zh

__all__ = ["category_zh", "reason_zh", "render_map", "render_report", "status_zh"]
