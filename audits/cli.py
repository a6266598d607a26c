"""flask draw-sample | verify-sample | escalate (SPEC §9: names and outputs are stable)."""

from __future__ import annotations

import json

import click
from flask import Flask

from audits import rounds
from audits.jobs import daily_escalation, draw_month_once
from bargaining.cells import CellProblem, parse_date
from core.cli import fail
from core.clock import local_today
from core.db import utcnow


def register_cli(app: Flask) -> None:
    app.cli.add_command(draw_sample)
    app.cli.add_command(verify_sample)
    app.cli.add_command(escalate_command)
    app.cli.add_command(schedule_visits_command)
    app.cli.add_command(calendar_day_command)
    app.cli.add_command(calendar_year_command)


def _month(text: str) -> rounds.Month:
    try:
        return rounds.Month.parse(text)
    except rounds.RoundProblem as exc:
        fail(exc.message)


@click.command("draw-sample")
@click.option(
    "--month", "month_text", required=True, help="YYYY-MM: the month whose filings are sampled."
)
@click.option(
    "--seed", default=None, help="Digits typed by a city leader; default a 20-digit CSPRNG seed."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the public record of the round as JSON."
)
def draw_sample(month_text: str, seed: str | None, as_json: bool) -> None:
    """Draw the 30% sample of the versions filed in MONTH (once; a drawn month is shown as it is)."""
    month = _month(month_text)
    existing = rounds.get_round(str(month))
    if existing is not None and seed and seed.strip() != existing.seed:
        fail(
            f"{month} 已于 {existing.drawn_at:%Y-%m-%d %H:%M} UTC 抽取（种子 {existing.seed}），每月只抽取一次"
        )
    try:
        round_, fresh = draw_month_once(month, seed, None, utcnow())
    except rounds.RoundProblem as exc:
        fail(exc.message)
    if as_json:
        click.echo(json.dumps(rounds.round_json(round_), ensure_ascii=False))
    else:
        state = "已抽取" if fresh else "此前已抽取"
        click.echo(
            f"{round_.month} {state}：总体 {round_.population_size} 份，抽中 {round_.pick_count} 份；"
            f"种子 {round_.seed}；总体 SHA-256 {round_.population_sha256}"
        )
    if not fresh:
        click.echo(f"{round_.month} 此前已抽取，未重新抽取", err=True)


@click.command("verify-sample")
@click.option("--month", "month_text", required=True)
def verify_sample(month_text: str) -> None:
    """Recompute the draw from the stored snapshot and seed; exit 1 on any difference."""
    month = _month(month_text)
    round_ = rounds.get_round(str(month))
    if round_ is None:
        fail(f"{month} 尚未抽取")
    result = rounds.verify_round(round_)
    if not result.ok:
        for problem in result.problems:
            click.echo(problem, err=True)
        raise SystemExit(1)
    click.echo(
        f"{round_.month} 核验通过：总体 {round_.population_size} 份，SHA-256 {round_.population_sha256} 一致，"
        f"重新计算的 {round_.pick_count} 份抽中结果与记录一致"
    )


@click.command("escalate")
@click.option(
    "--date", "date_text", default=None, help="YYYY-MM-DD; default today (Asia/Shanghai)."
)
def escalate_command(date_text: str | None) -> None:
    """The daily escalation job, by hand: mark 逾期 and open the 约谈 the rules call for."""
    try:
        today = parse_date(date_text) if date_text else local_today()
    except CellProblem as exc:
        fail(exc.message)
    result = daily_escalation(today)
    click.echo(
        f"{today.isoformat()}：新增逾期 {result.newly_overdue} 项，县级约谈 {result.county_interviews} 次，"
        f"市级约谈 {result.city_interviews} 次"
    )


@click.command("schedule-visits")
@click.option("--quarter", "quarter_text", required=True, help="YYYYQn, e.g. 2026Q3.")
def schedule_visits_command(quarter_text: str) -> None:
    """Make (or remake) the quarter's visit plan; done, confirmed and missed visits stay."""
    from flask import current_app

    from audits.services import ActionRefused
    from audits.visit_service import schedule_visits
    from audits.visits import PlanProblem, Quarter
    from core.db import db

    try:
        quarter = Quarter.parse(quarter_text)
    except PlanProblem as exc:
        fail(exc.message)
    today = local_today()
    lagging = current_app.extensions.get("lagging_counties", lambda day: set())(today)
    try:
        result = schedule_visits(quarter, None, today, lagging)
        db.session.commit()
    except ActionRefused as exc:
        db.session.rollback()
        fail(exc.message)
    click.echo(
        f"{result.quarter} 走访计划：新增 {result.created} 次，调整 {result.moved} 次，保留 {result.kept} 次，取消 {result.cancelled} 次"
    )
    if not result.known_calendar:
        click.echo(
            f"注意：{quarter.year} 年法定节假日尚未录入，本计划按周一至周五安排，请管理员录入后重新制定",
            err=True,
        )


@click.command("calendar-day")
@click.argument("day_text", metavar="YYYY-MM-DD")
@click.option("--holiday", "kind", flag_value="holiday", help="A statutory holiday on a weekday.")
@click.option(
    "--workday", "kind", flag_value="workday", help="An adjusted working Saturday or Sunday (调休)."
)
@click.option("--name", default="", help="e.g. 春节")
def calendar_day_command(day_text: str, kind: str | None, name: str) -> None:
    """Enter one day of the State Council's holiday notice (for years chinese-calendar lacks)."""
    from audits.services import ActionRefused
    from audits.visit_service import set_calendar_day
    from core.db import db

    if kind is None:
        fail("请指定 --holiday 或 --workday")
    try:
        set_calendar_day(parse_date(day_text), kind == "workday", name, None)
        db.session.commit()
    except (ActionRefused, CellProblem) as exc:
        fail(exc.message)
    click.echo(f"已录入 {day_text} {'调休上班' if kind == 'workday' else '放假'} {name}")


@click.command("calendar-year")
@click.argument("year", type=int)
def calendar_year_command(year: int) -> None:
    """Mark a year's holidays as completely entered: visit plans then stop using Monday–Friday."""
    from audits.visit_service import mark_year_complete
    from core.db import db

    mark_year_complete(year, None)
    db.session.commit()
    click.echo(f"{year} 年节假日已标记为录入完整")
