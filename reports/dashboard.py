"""The dashboards' rows: targets joined with the loop's KPIs, per county and for the city."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from markupsafe import Markup, escape
from sqlalchemy import select

from audits import rectification_rules as rules
from audits.visit_service import coverage
from audits.visits import Quarter
from bargaining.models import County, Enterprise
from core.db import db
from core.i18n import _, _l, current_language
from reports import charts, queries
from reports.services import lagging_counties
from reports.targets import CountyRow, CountyTarget

KPI_HEADERS = (
    ("name", _l("县(市、区)")),
    ("eligible", _l("已建会规上企业")),
    ("with_contract", _l("有有效合同")),
    ("filing_rate", _l("备案率")),
    ("entry_rate", _l("录入率")),
    ("counted", _l("拓展达标企业")),
    ("rate", _l("拓展达标率")),
    ("trajectory", _l("进度线")),
    ("gap", _l("进度差")),
    ("sample_rate", _l("抽查率")),
    ("pass_rate", _l("抽查合格率")),
    ("fix_rate", _l("整改率")),
    ("on_time_rate", _l("按期整改率")),
    ("overdue", _l("逾期未整改")),
    ("interviews", _l("约谈次数")),
    ("visit_coverage", _l("走访覆盖率")),
)
PERCENT_KEYS = {
    "filing_rate",
    "entry_rate",
    "rate",
    "trajectory",
    "gap",
    "sample_rate",
    "pass_rate",
    "fix_rate",
    "on_time_rate",
    "visit_coverage",
}


def kpi_text(key: str, value: Any) -> Markup:
    """One KPI cell as shown: percentages to one decimal (the gap signed), counts grouped."""
    if value is None:
        return Markup('<span class="muted">—</span>')
    if key in PERCENT_KEYS:
        return Markup(f"{value * 100:+.1f}%" if key == "gap" else f"{value * 100:.1f}%")
    return Markup(f"{value:,}" if isinstance(value, int) else escape(str(value)))


def ratio(part: int, whole: int) -> float | None:
    return None if not whole else part / whole


@dataclass
class DashboardRow:
    code: str
    name: str
    pilot: bool
    values: dict[str, Any]
    behind: bool = False
    projected_miss: bool = False
    worst: bool = False


@dataclass
class Dashboard:
    day: date
    rows: list[DashboardRow]
    total: DashboardRow
    lagging: set[str]
    worst: list[str]
    targets: list[CountyTarget]
    charts: dict[str, Any] = field(default_factory=dict)


def _values(
    target: CountyTarget | None,
    count: Any,
    filing: dict[str, int],
    sampling: dict[str, int],
    rect: dict[str, int],
    interviews: dict[str, int],
    visits: dict[str, int],
) -> dict[str, Any]:
    eligible = target.eligible if target else count["eligible"]
    counted = target.counted if target else count["counted"]
    rate = target.rate if target else ratio(counted, eligible)
    trajectory = target.trajectory if target else None
    return {
        "eligible": eligible,
        "with_contract": count["with_contract"],
        "filing_rate": ratio(count["with_contract"], eligible),
        "entry_rate": ratio(filing.get("entered", 0), filing.get("in_force", 0)),
        "counted": counted,
        "rate": rate,
        "trajectory": trajectory,
        "gap": None if rate is None or trajectory is None else rate - trajectory,
        "sample_rate": ratio(sampling.get("picked", 0), sampling.get("population", 0)),
        "pass_rate": ratio(sampling.get("qualified", 0), sampling.get("done", 0)),
        "fix_rate": ratio(rect.get(rules.RESOLVED, 0), rect.get("total", 0)),
        "on_time_rate": ratio(rect.get("on_time", 0), rect.get(rules.RESOLVED, 0)),
        "overdue": rect.get("overdue", 0),
        "interviews": interviews.get("county", 0) + interviews.get("city", 0),
        "visit_coverage": ratio(visits.get("done", 0), visits.get("planned", 0)),
    }


@dataclass(frozen=True)
class EnterpriseProgress:
    """An eligible enterprise of a county against the county's expansion-item requirement."""

    enterprise: Enterprise
    items: int  # distinct expansion items of the contracts in force that cover it
    missing: int  # items still short of the county's requirement
    covered: bool  # by a contract in force
    codes: list[str]


def enterprise_progress(county: County, day: date) -> list[EnterpriseProgress]:
    """The county's eligible enterprises by name, each with its expansion items on ``day``."""
    items = queries.expansion_items(day, county.id)
    enterprises = db.session.scalars(
        select(Enterprise)
        .where(Enterprise.county_id == county.id, Enterprise.has_union, Enterprise.above_scale)
        .order_by(Enterprise.name)
    )
    return [
        EnterpriseProgress(
            e,
            len(items.get(e.id, ())),
            max(0, county.required_items - len(items.get(e.id, ()))),
            e.id in items,
            sorted(items.get(e.id, ())),
        )
        for e in enterprises
    ]


_cache: dict[tuple[Any, ...], Dashboard] = {}
_cache_lock = threading.Lock()


def city_dashboard(
    day: date, with_charts: bool = True, stamp: tuple[Any, ...] | None = None
) -> Dashboard:
    """The dashboard for ``day``, computed once per change of the data: ``stamp`` is
    queries.change_stamp(), queried here unless the caller already has it."""
    # the cached rows and charts hold text in the reader's language: one entry per language
    key = (stamp or queries.change_stamp(), day, with_charts, current_language())
    with _cache_lock:
        cached = _cache.get(key)
    if cached is not None:
        return cached
    dashboard = _build_city_dashboard(day, with_charts)
    with _cache_lock:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = dashboard
    return dashboard


def _build_city_dashboard(day: date, with_charts: bool) -> Dashboard:
    target_rows = queries.county_targets(day)
    counties = queries.load_counties()
    counts = queries.counts_on(day)
    filing = queries.filing_kpis(day)
    sampling = queries.sampling_kpis(day)
    rects = queries.rectification_kpis(day)
    interviews = queries.interview_counts(day)
    visits = coverage(str(Quarter.of(day)))
    behind, worst = lagging_counties(target_rows)
    ids = {c.code: c.id for c in counties}
    rows = []
    sums: dict[str, dict[str, int]] = {
        k: {} for k in ("count", "filing", "sampling", "rect", "interviews", "visits")
    }
    for t in target_rows:
        cid = ids[t.county]
        c = counts[cid]
        parts = {
            "count": {
                "eligible": c.eligible,
                "counted": c.counted,
                "with_contract": c.with_contract,
            },
            "filing": filing.get(cid, {}),
            "sampling": sampling.get(cid, {}),
            "rect": rects.get(cid, {}),
            "interviews": interviews.get(cid, {}),
            "visits": visits.get(cid, {}),
        }
        for key, part in parts.items():
            for k, v in part.items():
                sums[key][k] = sums[key].get(k, 0) + v
        values = _values(t, *parts.values())
        rows.append(
            DashboardRow(
                t.county, t.name, t.pilot, values, t.behind, t.projected_miss, t.county in worst
            )
        )
    total_values = _values(None, *sums.values())
    total = DashboardRow("", _("全市合计"), False, total_values)
    dashboard = Dashboard(day, rows, total, behind, worst, target_rows)
    if with_charts:
        dashboard.charts = _charts(dashboard, counties, counts, rects, total_values["rate"])
    return dashboard


def _charts(
    d: Dashboard,
    counties: Sequence[CountyRow],
    counts: Any,
    rects: Any,
    city_rate: float | None,
) -> dict[str, Any]:
    history = queries.snapshot_history(d.day)
    by_code = {c.code: c for c in counties}
    series = {
        _("全市"): [
            *queries.city_series(d.day),
            *([(d.day, city_rate)] if city_rate is not None else []),
        ]
    }
    for code in d.worst:
        series[by_code[code].name] = history.get(by_code[code].id, [])
    start = queries.start_rates(counties)
    weights = {c.id: counts[c.id].eligible for c in counties if start.get(c.id) is not None}
    start_total = (
        sum((start[cid] or 0) * w for cid, w in weights.items()) / sum(weights.values())
        if sum(weights.values())
        else None
    )
    return {
        "bars": charts.county_bars(d.targets, d.lagging | set(d.worst)),
        "trend": charts.trend(series, start_total, _("月度走势（全市与三个最落后的县）对照进度线")),
        "rectifications": charts.rectification_status(
            [(t.name, rects.get(by_code[t.county].id, {})) for t in d.targets], rules.STATUS_LABELS
        ),
        "items": charts.item_popularity(queries.item_popularity(d.day)),
    }
