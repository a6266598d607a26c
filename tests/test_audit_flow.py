"""The closed loop: draw → assign → audit → finding → rectification → verify, and escalation."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from sqlalchemy import func, select, text

from audits import rounds
from audits.jobs import catch_up, draw_month_once
from audits.models import Audit, Interview, InterviewLink, Rectification, SamplePick, SampleRound
from audits.services import ActionRefused, act_on_rectification, escalate, save_audit
from bargaining.models import ContractVersion
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core.clock import LOCAL_TZ
from core.db import db
from core.models import Role, User
from tests.factories import contract_row, filing_workbook, login, make_enterprise, make_user


def now() -> datetime:
    """The draw happens after the test data was recorded (versions recorded later are late)."""
    return datetime.now(UTC)


TODAY = date(2026, 11, 25)
ALL_PASS = {f"C{i}": ("pass", "") for i in range(1, 10)}


def count(model) -> int:  # type: ignore[no-untyped-def]
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture()
def city_setup(app):  # type: ignore[no-untyped-def]
    """WY: 10 contracts filed in October 2026, two inspectors, a clerk for the first enterprise."""
    ents = [make_enterprise("WY") for _ in range(10)]
    yw = make_enterprise("YW")
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    make_user("insp-WY-2", Role.INSPECTOR, "WY")
    make_user("insp-YW", Role.INSPECTOR, "YW")
    make_user("city", Role.CITY)
    for ent in ents:
        make_user(f"clerk-{ent.id}", Role.ENTERPRISE, enterprise=ent)
    rows = [
        contract_row(e, 合同编号=f"WY-{i}", 备案日期=date(2026, 10, 5 + i))
        for i, e in enumerate(ents)
    ]
    assert (
        run_upload(insp, KIND_FILINGS, "oct.xlsx", filing_workbook(rows), TODAY).status
        == "imported"
    )
    yw_row = contract_row(yw, 合同编号="YW-1", 备案日期=date(2026, 10, 9), **{"县(市、区)": "YW"})
    insp_yw = db.session.scalars(select(User).where(User.username == "insp-YW")).one()
    assert (
        run_upload(insp_yw, KIND_FILINGS, "yw.xlsx", filing_workbook([yw_row]), TODAY).status
        == "imported"
    )
    db.session.commit()
    return {"ents": ents, "yw": yw}


def test_draw_samples_ceil_30_percent_per_county_and_assigns_evenly(city_setup):  # type: ignore[no-untyped-def]
    round_, fresh = draw_month_once(rounds.Month(2026, 10), "31415926535897932384", None, now())
    assert fresh
    assert round_.population_size == 11
    sizes = rounds.county_sizes(round_)
    assert sizes == {"WY": (10, 3), "YW": (1, 1)}
    assert round_.pick_count == 4
    assert round_.due_on == rounds.round_due_on(now())  # end of the month in which it is drawn
    assert rounds.round_due_on(datetime(2026, 11, 30, 17, 0, tzinfo=UTC)) == date(
        2026, 12, 31
    )  # Shanghai time
    audits = db.session.scalars(
        select(Audit).where(Audit.county_id == city_setup["ents"][0].county_id)
    ).all()
    per_inspector = sorted(
        db.session.execute(
            select(Audit.inspector_id, func.count())
            .where(Audit.id.in_([a.id for a in audits]))
            .group_by(Audit.inspector_id)
        ).all(),
        key=lambda r: r[1],
    )
    assert [n for _, n in per_inspector] == [1, 2]
    assert rounds.verify_round(round_).ok


def test_a_month_is_drawn_once(city_setup):  # type: ignore[no-untyped-def]
    first, fresh = draw_month_once(rounds.Month(2026, 10), "123456", None, now())
    again, fresh_again = draw_month_once(rounds.Month(2026, 10), None, None, now())
    assert fresh and not fresh_again
    assert again.id == first.id and again.seed == "123456"
    assert count(SampleRound) == 1
    assert count(SamplePick) == 4


def test_draw_sample_json_and_verify_cli(city_setup, runner):  # type: ignore[no-untyped-def]
    result = runner.invoke(
        args=["draw-sample", "--month", "2026-10", "--seed", "271828182845", "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == {"month", "seed", "rate", "population_sha256", "population", "picks"}
    assert (
        record["month"] == "2026-10"
        and record["seed"] == "271828182845"
        and record["rate"] == "0.3"
    )
    assert len(record["population"]) == 11 and len(record["picks"]) == 4
    assert set(record["picks"][0]) == {"county", "contract_id", "ticket"}
    ok = runner.invoke(args=["verify-sample", "--month", "2026-10"])
    assert ok.exit_code == 0 and "核验通过" in ok.stdout
    # tamper with a stored pick: verification must fail
    db.session.execute(
        text("UPDATE sample_pick SET ticket = 'ffff' WHERE id = (SELECT min(id) FROM sample_pick)")
    )
    db.session.commit()
    bad = runner.invoke(args=["verify-sample", "--month", "2026-10"])
    assert bad.exit_code == 1
    assert bad.stderr.strip()
    other_seed = runner.invoke(args=["draw-sample", "--month", "2026-10", "--seed", "999999"])
    assert other_seed.exit_code == 1 and "每月只抽取一次" in other_seed.stderr
    missing = runner.invoke(args=["verify-sample", "--month", "2026-09"])
    assert missing.exit_code == 1 and "尚未抽取" in missing.stderr


def test_bad_month_and_seed_exit_1(city_setup, runner):  # type: ignore[no-untyped-def]
    assert runner.invoke(args=["draw-sample", "--month", "2026-13"]).exit_code == 1
    result = runner.invoke(args=["draw-sample", "--month", "2026-10", "--seed", "abc"])
    assert result.exit_code == 1 and "种子" in result.stderr
    assert count(SampleRound) == 0


def test_late_backfilled_version_joins_the_next_round(city_setup):  # type: ignore[no-untyped-def]
    september, _ = draw_month_once(rounds.Month(2026, 9), "111111", None, now())
    assert september.population_size == 0
    insp = db.session.scalars(select(User).where(User.username == "insp-WY")).one()
    late_ent = make_enterprise("WY")
    row = contract_row(late_ent, 合同编号="LATE", 备案日期=date(2026, 9, 20))
    run_upload(insp, KIND_FILINGS, "late.xlsx", filing_workbook([row]), TODAY)
    db.session.commit()
    late_version = db.session.scalars(
        select(ContractVersion).where(ContractVersion.name == late_ent.name)
    ).one()
    october, _ = draw_month_once(rounds.Month(2026, 10), "111111", None, now())
    assert october.population_size == 12 and october.late_count == 1
    assert f"WY,{late_version.public_id}\n" in rounds.population_of(october)
    assert late_version.public_id not in rounds.population_of(september)
    picked_late = db.session.scalars(
        select(SamplePick.late).where(SamplePick.public_id == late_version.public_id)
    ).all()
    assert picked_late in ([], [True])


def test_the_current_month_cannot_be_drawn(city_setup):  # type: ignore[no-untyped-def]
    with pytest.raises(rounds.RoundProblem, match="尚未结束"):
        rounds.draw_round(rounds.Month.of(datetime.now(LOCAL_TZ).date()), None, None, now())


def test_catch_up_draws_each_missed_month_once(city_setup):  # type: ignore[no-untyped-def]
    draw_month_once(rounds.Month(2026, 8), "222222", None, now())
    drawn = catch_up(date(2026, 11, 25), now())
    assert drawn == ["2026-09", "2026-10"]
    assert catch_up(date(2026, 11, 25), now()) == []
    assert sorted(db.session.scalars(select(SampleRound.month))) == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]


def _my_audit(username: str) -> tuple[User, Audit]:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    audit = db.session.scalars(select(Audit).where(Audit.inspector_id == user.id)).first()
    assert audit is not None
    return user, audit


def test_audit_fail_c5_opens_rectification_that_the_clerk_answers_and_inspector_verifies(
    city_setup, client
):  # type: ignore[no-untyped-def]
    draw_month_once(rounds.Month(2026, 10), "31415926535897932384", None, now())
    db.session.commit()
    insp, audit = _my_audit("insp-WY")
    login(client, insp.username)
    page = client.get(f"/audits/{audit.id}")
    assert page.status_code == 200 and "C5" in page.get_data(as_text=True)
    form = {
        "csrf_token": _token(client, f"/audits/{audit.id}"),
        "action": "complete",
        "notes": "现场核查",
    }
    for i in range(1, 10):
        form[f"result_C{i}"] = "pass"
    form["result_C5"] = "fail"
    form["note_C5"] = "签订后第15日才报送"
    form["evidence"] = (BytesIO(b"photo-bytes"), "现场照片.jpg")
    response = client.post(f"/audits/{audit.id}", data=form, content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    db.session.expire_all()
    audit = db.session.get(Audit, audit.id)
    assert audit.status == "done" and audit.verdict == "unqualified"
    rect = db.session.scalars(select(Rectification)).one()
    assert rect.deadline == audit.completed_on.fromordinal(audit.completed_on.toordinal() + 30)
    assert rect.enterprise_id == audit.enterprise_id
    # the enterprise's clerk answers with a note and a file
    client.post("/logout", data={"csrf_token": _token(client, "/")})
    login(client, f"clerk-{rect.enterprise_id}")
    url = f"/rectifications/{rect.id}"
    assert "已逾期" not in client.get(url).get_data(as_text=True)
    answer = client.post(
        url,
        data={
            "csrf_token": _token(client, url),
            "action": "submit",
            "note": "已补报送并取得回执",
            "evidence": (BytesIO(b"%PDF receipt"), "回执.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert answer.status_code == 302
    db.session.expire_all()
    assert db.session.get(Rectification, rect.id).status == "submitted"
    # the clerk cannot verify their own answer
    refused = client.post(
        url, data={"csrf_token": _token(client, url), "action": "verify", "note": ""}
    )
    assert refused.status_code == 403
    client.post("/logout", data={"csrf_token": _token(client, "/")})
    login(client, "insp-WY-2")  # any inspector of the county verifies
    done = client.post(
        url, data={"csrf_token": _token(client, url), "action": "verify", "note": "回执核实无误"}
    )
    assert done.status_code == 302
    db.session.expire_all()
    rect = db.session.get(Rectification, rect.id)
    assert rect.status == "resolved" and rect.resolved_on is not None


def test_invalid_transition_is_refused_with_a_message(city_setup):  # type: ignore[no-untyped-def]
    draw_month_once(rounds.Month(2026, 10), "31415926535897932384", None, now())
    insp, audit = _my_audit("insp-WY")
    results = {**ALL_PASS, "C3": ("fail", "最低工资1900元")}
    save_audit(audit, insp, results, "", TODAY, complete=True)
    rect = db.session.scalars(select(Rectification)).one()
    assert rect.deadline == date(2026, 12, 2)  # critical: 立行立改, 7 days
    with pytest.raises(ActionRefused, match="当前状态为「待整改」，不能执行「核验通过」"):
        act_on_rectification(rect, insp, "verify", "", TODAY)
    with pytest.raises(ActionRefused, match="须填写说明"):
        act_on_rectification(rect, insp, "submit", "  ", TODAY)


def test_completing_needs_every_item_and_notes_for_failures(city_setup):  # type: ignore[no-untyped-def]
    draw_month_once(rounds.Month(2026, 10), "31415926535897932384", None, now())
    insp, audit = _my_audit("insp-WY")
    with pytest.raises(ActionRefused, match="未填：C9"):
        save_audit(
            audit, insp, {k: v for k, v in ALL_PASS.items() if k != "C9"}, "", TODAY, complete=True
        )
    with pytest.raises(ActionRefused, match="须写明问题"):
        save_audit(audit, insp, {**ALL_PASS, "C1": ("fail", "")}, "", TODAY, complete=True)
    findings = save_audit(
        audit, insp, {**ALL_PASS, "C9": ("fail", "未公示")}, "", TODAY, complete=True
    )
    assert (
        audit.verdict == "qualified" and len(findings) == 1
    )  # a minor failure still opens a rectification
    with pytest.raises(ActionRefused, match="已完成"):
        save_audit(audit, insp, ALL_PASS, "", TODAY, complete=True)


def test_other_inspector_cannot_audit_an_assigned_pick(city_setup):  # type: ignore[no-untyped-def]
    draw_month_once(rounds.Month(2026, 10), "31415926535897932384", None, now())
    insp, audit = _my_audit("insp-WY")
    other = db.session.scalars(select(User).where(User.username == "insp-WY-2")).one()
    assert audit.inspector_id != other.id
    with pytest.raises(ActionRefused):
        save_audit(audit, other, ALL_PASS, "", TODAY, complete=True)


def test_scoping_of_audits_and_rectifications(city_setup, client):  # type: ignore[no-untyped-def]
    draw_month_once(rounds.Month(2026, 10), "31415926535897932384", None, now())
    insp, audit = _my_audit("insp-WY")
    save_audit(audit, insp, {**ALL_PASS, "C6": ("fail", "未录入平台")}, "", TODAY, complete=True)
    db.session.commit()
    rect = db.session.scalars(select(Rectification)).one()
    login(client, "insp-YW")
    assert client.get(f"/audits/{audit.id}").status_code == 404
    assert client.get(f"/rectifications/{rect.id}").status_code == 404
    assert f"/rectifications/{rect.id}" not in client.get("/rectifications?status=open").get_data(
        as_text=True
    )
    assert (
        b"\xe6\x9c\xaa\xe5\xbd\x95\xe5\x85\xa5"
        not in client.get("/rectifications?export=xlsx").data
    )
    client.post("/logout", data={"csrf_token": _token(client, "/")})
    other_clerk = next(e for e in city_setup["ents"] if e.id != rect.enterprise_id)
    login(client, f"clerk-{other_clerk.id}")
    assert client.get(f"/rectifications/{rect.id}").status_code == 404
    assert client.get("/audits").status_code == 403
    client.post("/logout", data={"csrf_token": _token(client, "/")})
    login(client, f"clerk-{rect.enterprise_id}")
    assert client.get(f"/rectifications/{rect.id}").status_code == 200


def _overdue_rectifications(city_setup, n: int, found_on: date) -> list[Rectification]:  # type: ignore[no-untyped-def]
    from audits.services import open_finding

    rects = []
    for ent in city_setup["ents"][:n]:
        finding = open_finding(
            None,
            found_on,
            county_id=ent.county_id,
            enterprise_id=ent.id,
            contract_id=None,
            check_code="C6",
            severity="major",
            description="未录入平台",
            source="audit",
            source_id=None,
        )
        rects.append(finding.rectification)
    db.session.flush()
    return rects


def test_escalation_levels_with_injected_dates(city_setup):  # type: ignore[no-untyped-def]
    rects = _overdue_rectifications(city_setup, 2, date(2026, 9, 1))  # deadline 2026-10-01
    assert escalate(date(2026, 10, 1)).county_interviews == 0  # the deadline day is not overdue
    day_after = escalate(date(2026, 10, 2))
    assert (day_after.newly_overdue, day_after.county_interviews, day_after.city_interviews) == (
        2,
        2,
        0,
    )
    again = escalate(date(2026, 10, 3))
    assert (again.county_interviews, again.city_interviews) == (0, 0)  # idempotent
    # SPEC §6: city level when today ≥ deadline + 31 (30 days after becoming overdue)
    assert escalate(date(2026, 10, 31)).city_interviews == 0  # deadline + 30
    thirty = escalate(date(2026, 11, 1))
    assert thirty.city_interviews == 1
    city = db.session.scalars(select(Interview).where(Interview.level == "city")).one()
    linked = set(
        db.session.scalars(
            select(InterviewLink.rectification_id).where(InterviewLink.interview_id == city.id)
        )
    )
    assert linked == {r.id for r in rects}
    assert all(r.overdue_since == date(2026, 10, 2) for r in rects)


def test_five_overdue_in_a_county_go_to_the_city_at_once(city_setup, runner):  # type: ignore[no-untyped-def]
    _overdue_rectifications(city_setup, 5, date(2026, 9, 1))
    db.session.commit()
    result = runner.invoke(args=["escalate", "--date", "2026-10-02"])
    assert result.exit_code == 0, result.output
    assert "县级约谈 5 次" in result.stdout and "市级约谈 1 次" in result.stdout
    assert runner.invoke(args=["escalate", "--date", "2026-10-02"]).stdout.endswith(
        "县级约谈 0 次，市级约谈 0 次\n"
    )
    assert runner.invoke(args=["escalate", "--date", "2026-02-30"]).exit_code == 1


def test_interview_is_recorded_by_the_right_level(city_setup, client):  # type: ignore[no-untyped-def]
    _overdue_rectifications(city_setup, 1, date(2026, 9, 1))
    escalate(date(2026, 10, 2))
    db.session.commit()
    interview = db.session.scalars(select(Interview)).one()
    login(client, "city")
    url = f"/interviews/{interview.id}"
    refused = client.post(
        url,
        data={
            "csrf_token": _token(client, url),
            "held_on": "2026-10-10",
            "participants": "x",
            "minutes": "y",
        },
    )
    assert refused.status_code == 403  # a county-level interview is the county union's
    client.post("/logout", data={"csrf_token": _token(client, "/")})
    login(client, "insp-WY")
    ok = client.post(
        url,
        data={
            "csrf_token": _token(client, url),
            "held_on": "2026-10-10",
            "participants": "县总工会张某；企业负责人李某",
            "minutes": "约谈纪要",
            "commitments": "10日内补录",
            "follow_up_on": "2026-10-20",
        },
    )
    assert ok.status_code == 302
    db.session.expire_all()
    interview = db.session.get(Interview, interview.id)
    assert interview.status == "held" and interview.follow_up_on == date(2026, 10, 20)


def test_home_page_shows_reminders(city_setup, client):  # type: ignore[no-untyped-def]
    _overdue_rectifications(city_setup, 1, date(2020, 1, 1))
    db.session.commit()
    login(client, "insp-WY")
    html = client.get("/").get_data(as_text=True)
    assert "逾期未整改（1）" in html


def test_round_pages_render_for_city_and_inspector(city_setup, client):  # type: ignore[no-untyped-def]
    draw_month_once(rounds.Month(2026, 10), "31415926535897932384", None, now())
    db.session.commit()
    login(client, "city")
    page = client.get("/sampling/2026-10").get_data(as_text=True)
    assert "31415926535897932384" in page and "SHA-256" in page
    population = client.get("/sampling/2026-10/population.txt")
    assert population.status_code == 200 and population.data.count(b"\n") == 11
    client.post("/logout", data={"csrf_token": _token(client, "/")})
    login(client, "insp-YW")
    assert client.get("/sampling/2026-10").status_code == 200
    assert client.get("/sampling/2026-10/population.txt").status_code == 403
    export = client.get("/sampling/2026-10/picks.xlsx")
    import openpyxl

    ws = openpyxl.load_workbook(BytesIO(export.data)).active
    assert {ws.cell(row=r, column=1).value for r in range(2, ws.max_row + 1)} == {"YW"}


def test_city_draws_by_hand_from_the_page(city_setup, client):  # type: ignore[no-untyped-def]
    login(client, "city")
    response = client.post(
        "/sampling/draw",
        data={"csrf_token": _token(client, "/sampling"), "month": "2026-10", "seed": "654321"},
    )
    assert response.status_code == 302
    assert db.session.scalars(select(SampleRound.seed)).one() == "654321"
    again = client.post(
        "/sampling/draw",
        data={"csrf_token": _token(client, "/sampling"), "month": "2026-10", "seed": "1234567"},
    )
    assert again.status_code == 302 and count(SampleRound) == 1


def _token(client, url: str) -> str:  # type: ignore[no-untyped-def]
    from tests.factories import csrf_token

    return csrf_token(client, url)
