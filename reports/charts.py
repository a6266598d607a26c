"""Dashboard charts (pure: data in, Plotly figure specs out — plain dicts, rendered by the
plotly.min.js served from static/). Plain dicts keep a dashboard render in milliseconds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from core.i18n import _, tr
from reports.targets import DEADLINE, PLAN_START, CountyTarget, trajectory

RED, GREEN, BLUE, GREY, ORANGE = "#c00000", "#2e7d32", "#1f4e79", "#9e9e9e", "#f57c00"
FONT = {"family": "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif", "size": 12}


def _layout(title: str, **extra: Any) -> dict[str, Any]:
    return {
        "title": {"text": title, "font": {"size": 15}},
        "font": FONT,
        "margin": {"l": 50, "r": 20, "t": 50, "b": 60},
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "hovermode": "closest",
        **extra,
    }


def county_bars(rows: Sequence[CountyTarget], lagging: set[str]) -> dict[str, Any]:
    """Each county's expansion rate against the 75 % target line and its trajectory today."""
    names = [_("%(name)s（试点）", name=r.name) if r.pilot else tr(r.name) for r in rows]
    rates = [None if r.rate is None else round(r.rate * 100, 1) for r in rows]
    colors = [
        RED if r.county in lagging else (GREEN if (r.rate or 0) >= r.target_share else BLUE)
        for r in rows
    ]
    return {
        "data": [
            {
                "type": "bar",
                "name": _("拓展协商达标率"),
                "x": names,
                "y": rates,
                "marker": {"color": colors},
                "text": [f"{v}%" if v is not None else "—" for v in rates],
                "textposition": "outside",
                "hovertemplate": "%{x}: %{y}%<extra></extra>",
            },
            {
                "type": "scatter",
                "mode": "markers",
                "name": _("今日应达（进度线）"),
                "x": names,
                "y": [None if r.trajectory is None else round(r.trajectory * 100, 1) for r in rows],
                "marker": {
                    "symbol": "line-ew-open",
                    "size": 28,
                    "color": ORANGE,
                    "line": {"width": 3},
                },
            },
        ],
        "layout": _layout(
            _("各县(市、区)拓展协商达标率与2027年目标"),
            yaxis={"title": "%", "range": [0, 100], "ticksuffix": "%", "gridcolor": "#eee"},
            shapes=[
                {
                    "type": "line",
                    "xref": "paper",
                    "x0": 0,
                    "x1": 1,
                    "y0": 75,
                    "y1": 75,
                    "line": {"color": RED, "dash": "dash"},
                }
            ],
            annotations=[
                {
                    "xref": "paper",
                    "x": 1,
                    "y": 75,
                    "text": _("2027年目标 75%"),
                    "showarrow": False,
                    "yshift": 10,
                    "xanchor": "right",
                    "font": {"color": RED},
                }
            ],
            legend={"orientation": "h", "y": -0.2},
        ),
    }


def trend(
    series: Mapping[str, Sequence[tuple[date, float]]], start_rate: float | None, title: str
) -> dict[str, Any]:
    """Monthly snapshots per series against the trajectory to 75 % on 2027-12-31."""
    data: list[dict[str, Any]] = []
    for name, points in series.items():
        data.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": tr(name),
                "x": [d.isoformat() for d, _v in points],
                "y": [round(v * 100, 1) for _d, v in points],
            }
        )
    if start_rate is not None:
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "name": _("进度线"),
                "line": {"dash": "dot", "color": ORANGE},
                "x": [PLAN_START.isoformat(), DEADLINE.isoformat()],
                "y": [round(start_rate * 100, 1), round(trajectory(start_rate, DEADLINE) * 100, 1)],
            }
        )
    return {
        "data": data,
        "layout": _layout(
            title,
            yaxis={"title": "%", "range": [0, 100], "ticksuffix": "%", "gridcolor": "#eee"},
            # language-neutral month ticks (Plotly would say "Jan 2025" in the Chinese UI)
            xaxis={"type": "date", "tickformat": "%Y-%m", "hoverformat": "%Y-%m-%d"},
            legend={"orientation": "h", "y": -0.2},
        ),
    }


def rectification_status(
    rows: Sequence[tuple[str, Mapping[str, int]]], labels: Mapping[str, str]
) -> dict[str, Any]:
    """Stacked bars: each county's rectifications by status, with overdue ones on top."""
    names = [tr(name) for name, _c in rows]
    palette = {"resolved": GREEN, "submitted": BLUE, "in_progress": "#64b5f6", "pending": GREY}
    data = [
        {
            "type": "bar",
            "name": str(labels[status]),
            "x": names,
            "y": [counts.get(status, 0) for _n, counts in rows],
            "marker": {"color": palette[status]},
        }
        for status in ("resolved", "submitted", "in_progress", "pending")
    ]
    data.append(
        {
            "type": "scatter",
            "mode": "markers",
            "name": _("其中逾期"),
            "x": names,
            "y": [counts.get("overdue", 0) for _n, counts in rows],
            "marker": {"color": RED, "size": 10, "symbol": "x"},
        }
    )
    return {
        "data": data,
        "layout": _layout(_("整改状态"), barmode="stack", legend={"orientation": "h", "y": -0.2}),
    }


def item_popularity(rows: Sequence[tuple[str, str, int]], top: int = 15) -> dict[str, Any]:
    shown = list(rows[:top])[::-1]
    return {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [n for _c, _n, n in shown],
                "y": [f"{code} {tr(name)}" for code, name, _n in shown],
                "marker": {"color": BLUE},
            }
        ],
        "layout": _layout(
            _("拓展协商事项覆盖企业数（前15项）"),
            margin={"l": 220, "r": 20, "t": 50, "b": 40},
            height=460,
        ),
    }
