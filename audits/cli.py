"""flask freeze-sample | draw-sample | verify-sample | escalate (SPEC §9: names and outputs are stable)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click
from flask import Flask

from bargaining.cells import parse_date
from core.cli import fail
from core.clock import local_today
from core.db import utcnow
from core.errors import UserError
from core.hooks import hooks
from core.i18n import _, tr

if TYPE_CHECKING:
    from audits.models import SampleRound
    from audits.rounds import Month

# Each command imports the services it uses, so that other commands do not load them.


def register_cli(app: Flask) -> None:
    app.cli.add_command(freeze_sample)
    app.cli.add_command(draw_sample)
    app.cli.add_command(verify_sample)
    app.cli.add_command(escalate_command)
    app.cli.add_command(schedule_visits_command)
    app.cli.add_command(calendar_day_command)
    app.cli.add_command(calendar_year_command)
    app.cli.add_command(send_notifications_command)


@click.command("send-notifications")
@click.option("--date", "date_text", help="The day (YYYY-MM-DD) as seen by the job; default today.")
def send_notifications_command(date_text: str | None) -> None:
    """Send the day's notifications once (what the scheduler does at 08:00)."""
    from audits.notices import send_notifications_once  # its models, only for this command

    send_notifications_once(date_text)


def _month(text: str) -> Month:
    from audits import rounds

    try:
        return rounds.Month.parse(text)
    except rounds.UserError as exc:
        fail(tr(exc.message))


def _describe(round_: SampleRound) -> str:
    if not round_.drawn:
        return _(
            "%(month)s 已冻结：总体 %(population)s 份；总体 SHA-256 %(sha256)s；"
            "承诺值 %(commitment)s",
            month=round_.month,
            population=round_.population_size,
            sha256=round_.population_sha256,
            commitment=round_.commitment,
        )
    if round_.legacy:
        witness = _("（承诺机制启用前抽取）")
    elif round_.witnessed:
        witness = _("公开值 %(value)s（现场见证）", value=round_.public_value)
    else:
        witness = _("公开值为空（未经见证）")
    return _(
        "总体 %(population)s 份，抽中 %(picked)s 份；%(witness)s；"
        "种子 %(seed)s；总体 SHA-256 %(sha256)s",
        population=round_.population_size,
        picked=round_.pick_count,
        witness=witness,
        seed=round_.seed,
        sha256=round_.population_sha256,
    )


@click.command("freeze-sample")
@click.option(
    "--month", "month_text", required=True, help="YYYY-MM: the month whose filings are sampled."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the public record of the round as JSON."
)
def freeze_sample(month_text: str, as_json: bool) -> None:
    """Freeze MONTH: fix its population, publish its hash and the commitment to the secret."""
    from audits import rounds
    from audits.jobs import freeze_month_once

    month = _month(month_text)
    try:
        round_, fresh = freeze_month_once(month, None, utcnow())
    except rounds.UserError as exc:
        fail(tr(exc.message))
    if as_json:
        click.echo(json.dumps(rounds.round_json(round_), ensure_ascii=False))
    else:
        click.echo(_describe(round_) if not round_.drawn else f"{round_.month} {_describe(round_)}")
    if not fresh:
        click.echo(_("%(month)s 此前已冻结，未重新冻结", month=round_.month), err=True)


@click.command("draw-sample")
@click.option(
    "--month", "month_text", required=True, help="YYYY-MM: the month whose filings are sampled."
)
@click.option(
    "--public-value",
    default=None,
    help="6-64 digits typed by a city leader (e.g. dice); none: drawn unwitnessed.",
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the public record of the round as JSON."
)
def draw_sample(month_text: str, public_value: str | None, as_json: bool) -> None:
    """Draw the frozen round of MONTH (once; a drawn month prints its record again)."""
    from audits import rounds
    from audits.jobs import draw_month_once

    month = _month(month_text)
    try:
        round_, fresh = draw_month_once(month, public_value, None, utcnow())
    except rounds.UserError as exc:
        fail(tr(exc.message))
    if as_json:
        click.echo(json.dumps(rounds.round_json(round_), ensure_ascii=False))
    else:
        state = _("已抽取") if fresh else _("此前已抽取")
        click.echo(
            _(
                "%(month)s %(state)s：%(details)s",
                month=round_.month,
                state=state,
                details=_describe(round_),
            )
        )
    if not fresh:
        click.echo(_("%(month)s 此前已抽取，未重新抽取", month=round_.month), err=True)
        if public_value and public_value.strip() != (round_.public_value or ""):
            click.echo(_("所给公开值未被使用：每月只抽取一次"), err=True)


@click.command("verify-sample")
@click.option("--month", "month_text", required=True)
def verify_sample(month_text: str) -> None:
    """Recompute the draw from the published record; exit 1 on any difference."""
    from audits import rounds

    month = _month(month_text)
    round_ = rounds.get_round(str(month))
    if round_ is None or not round_.drawn:
        fail(_("%(month)s 尚未抽取", month=str(month)))
    result = rounds.verify_round(round_)
    if not result.ok:
        for problem in result.problems:
            click.echo(tr(problem), err=True)
        raise SystemExit(1)
    click.echo(
        _(
            "%(month)s 核验通过：总体 %(population)s 份，SHA-256 %(sha256)s 一致，"
            "重新计算的 %(picked)s 份抽中结果与记录一致",
            month=round_.month,
            population=round_.population_size,
            sha256=round_.population_sha256,
            picked=round_.pick_count,
        )
    )
    if round_.legacy:
        click.echo(_("注意：该轮在承诺机制启用前抽取，种子未事先承诺"))
    elif not round_.witnessed:
        click.echo(_("注意：该轮公开值为空，未经见证"))
    else:
        click.echo(_("承诺值与密钥一致，种子 = SHA-256(密钥,公开值) 一致"))


@click.command("escalate")
@click.option(
    "--date", "date_text", default=None, help="YYYY-MM-DD; default today (Asia/Shanghai)."
)
def escalate_command(date_text: str | None) -> None:
    """The daily escalation job, by hand: mark overdue items and open the interviews due."""
    from audits.jobs import daily_escalation

    try:
        today = parse_date(date_text) if date_text else local_today()
    except UserError as exc:
        fail(tr(exc.message))
    result = daily_escalation(today)
    click.echo(
        _(
            "%(date)s：新增逾期 %(overdue)s 项，县级约谈 %(county)s 次，市级约谈 %(city)s 次",
            date=today.isoformat(),
            overdue=result.newly_overdue,
            county=result.county_interviews,
            city=result.city_interviews,
        )
    )


@click.command("schedule-visits")
@click.option("--quarter", "quarter_text", required=True, help="YYYYQn, e.g. 2026Q3.")
def schedule_visits_command(quarter_text: str) -> None:
    """Make (or remake) the quarter's visit plan; done, confirmed and missed visits stay."""

    from audits.visit_service import schedule_visits, unplaced_lines
    from audits.visits import Quarter
    from core.db import db
    from core.errors import UserError

    try:
        quarter = Quarter.parse(quarter_text)
    except UserError as exc:
        fail(tr(exc.message))
    today = local_today()
    lagging = hooks().lagging_county_ids(today)
    try:
        result = schedule_visits(quarter, None, today, lagging)
        db.session.commit()
    except UserError as exc:
        db.session.rollback()
        fail(tr(exc.message))
    click.echo(
        _(
            "%(quarter)s 走访计划：新增 %(created)s 次，调整 %(moved)s 次，"
            "保留 %(kept)s 次，取消 %(cancelled)s 次",
            quarter=str(result.quarter),
            created=result.created,
            moved=result.moved,
            kept=result.kept,
            cancelled=result.cancelled,
        )
    )
    for line in unplaced_lines(result):
        click.echo(line)
    if not result.known_calendar:
        click.echo(
            _(
                "注意：%(year)s 年法定节假日尚未录入，本计划按周一至周五安排，请管理员录入后重新制定",
                year=quarter.year,
            ),
            err=True,
        )


@click.command("calendar-day")
@click.argument("day_text", metavar="YYYY-MM-DD")
@click.option("--holiday", "kind", flag_value="holiday", help="A statutory holiday on a weekday.")
@click.option(
    "--workday",
    "kind",
    flag_value="workday",
    help="An adjusted working Saturday or Sunday (make-up working day).",
)
@click.option("--name", default="", help="Name of the holiday, e.g. Spring Festival.")
def calendar_day_command(day_text: str, kind: str | None, name: str) -> None:
    """Enter one day of the State Council's holiday notice (for years chinese-calendar lacks)."""
    from audits.visit_service import set_calendar_day
    from core.db import db
    from core.errors import UserError

    if kind is None:
        fail(_("请指定 --holiday 或 --workday"))
    try:
        set_calendar_day(parse_date(day_text), kind == "workday", name, None)
        db.session.commit()
    except UserError as exc:
        fail(tr(exc.message))
    kind_label = _("调休上班") if kind == "workday" else _("放假")
    click.echo(_("已录入 %(day)s %(kind)s %(name)s", day=day_text, kind=kind_label, name=name))


@click.command("calendar-year")
@click.argument("year", type=int)
def calendar_year_command(year: int) -> None:
    """Mark a year's holidays as completely entered: visit plans then stop using Monday–Friday."""
    from audits.visit_service import mark_year_complete
    from core.db import db

    mark_year_complete(year, None)
    db.session.commit()
    click.echo(_("%(year)s 年节假日已标记为录入完整", year=year))
