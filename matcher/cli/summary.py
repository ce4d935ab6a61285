"""The short summary a command prints after a solve, in the locale's language (:mod:`matcher.i18n`)."""
from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Optional

from .. import i18n

if TYPE_CHECKING:
    from ..results import Result


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 100:.1f} %"


def summary(result: Result, name: str | None, written: str | None, lang: Optional[str] = None) -> str:
    """Status, served / demand, value, projects, unmet reasons and time of a result.

    ``lang``: ``zh`` or ``en``; by default the locale's (``LANG=zh_CN.UTF-8`` speaks Chinese).
    """
    lang = lang or i18n.locale_language()

    def t(key: str) -> str:
        return i18n.text(f"summary.{key}", lang)

    obj, k, st = result.objective, result.kpis, result.stats
    lines = [f"{name or t('round')}: {i18n.round_status(result.status, lang)} ({result.solver})"]
    if result.message:
        lines.append(f"  {t('note'):<9} {result.message}")
    lines.append(f"  {t('served'):<9} {k.served_quantity} / {k.demand_quantity} {t('units')} "
                 f"({_pct(k.coverage)}), {t('weighted')} {_pct(k.weighted_coverage)}")
    bound = obj.bound_served_value
    lines.append(f"  {t('value'):<9} {obj.served_value}" + (f" ({t('bound')} {bound})" if bound is not None else "")
                 + f", {t('distance')} {obj.total_distance_m:,} m, {t('walk')} {k.mean_walk_minutes} {t('min')}")
    reasons = Counter(u.reason for u in result.unmet)
    why = ", ".join(f"{i18n.reason(r, lang) if lang == 'zh' else r} {n}" for r, n in reasons.most_common())
    lines.append(f"  {t('projects'):<9} {len(result.projects)}; {t('short')} {len(result.unmet)}"
                 + (f" ({why})" if why else ""))
    if st.total_seconds is not None:
        lines.append(f"  {t('time'):<9} {st.total_seconds:.2f} s ({t('solve')} {st.solve_seconds:.2f} s), "
                     f"{st.candidate_pairs:,} {t('pairs')}")
    if written:
        lines.append(f"  {t('written'):<9} {written}")
    return "\n".join(lines)
