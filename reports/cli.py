"""flask targets | review-report (SPEC §9: names and outputs are stable)."""

from __future__ import annotations

import json

import click
from flask import Flask

from bargaining.cells import parse_date
from core.cli import fail, write_output
from core.clock import local_today
from core.errors import UserError
from core.i18n import _, tr


def register_cli(app: Flask) -> None:
    app.cli.add_command(targets_command)
    app.cli.add_command(review_report)


@click.command("targets")
@click.option(
    "--date", "date_text", default=None, help="YYYY-MM-DD; default today (Asia/Shanghai)."
)
@click.option("--json", "as_json", is_flag=True)
def targets_command(date_text: str | None, as_json: bool) -> None:
    """Each county against its 2027 target: rate, trajectory, behind, projected miss."""
    from reports import api_fields, queries

    try:
        day = parse_date(date_text) if date_text else local_today()
    except UserError as exc:
        fail(tr(exc.message))
    rows = queries.county_targets(day)
    if as_json:
        # the API's field table: the CLI prints what GET /api/v1/targets answers
        click.echo(json.dumps([api_fields.TARGET.dump(r) for r in rows], ensure_ascii=False))
        return
    click.echo(
        _(
            "%(date)s 2027年目标进度（试点 ≥3 项，其余 ≥2 项，目标 75%%）",
            date=day.isoformat(),
        )
    )
    names = {r.county: tr(r.name) for r in rows}
    width = max((len(n) for n in names.values()), default=6)
    for r in rows:
        rate = "—" if r.rate is None else f"{r.rate * 100:5.1f}%"
        line = "—" if r.trajectory is None else f"{r.trajectory * 100:5.1f}%"
        flags = " ".join(
            f for f, on in ((_("落后进度"), r.behind), (_("预计未达标"), r.projected_miss)) if on
        )
        click.echo(
            f"{r.county:<3} {names[r.county]:<{width}} {r.counted:>5}/{r.eligible:<5} {rate}  "
            + _("进度线 %(line)s", line=line)
            + f"  {flags}"
        )


@click.command("review-report")
@click.option("--half", "half_text", required=True, help="YYYYH1 or YYYYH2, e.g. 2026H1.")
@click.option("-o", "output", required=True, type=click.Path(dir_okay=False, writable=True))
def review_report(half_text: str, output: str) -> None:
    """Write the half-year review workbook."""
    from reports import review

    try:
        half = review.Half.parse(half_text)
    except review.UserError as exc:
        fail(tr(exc.message))
    write_output(output, review.review_workbook(half))
    click.echo(_("已写入 %(file)s（%(half)s复盘讲评）", file=output, half=half.label))
