"""The closed loop: draw → assign → audit → finding → rectification → verify, and escalation."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime
from fractions import Fraction
from io import BytesIO

import pytest
from sqlalchemy import func, select, text

from audits import rounds
from audits.jobs import catch_up, draw_month_once, draw_unwitnessed_due, freeze_month_once
from audits.models import Audit, Interview, InterviewLink, Rectification, SamplePick, SampleRound
from audits.services import act_on_rectification, escalate, save_audit
from bargaining.models import ContractVersion
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core.clock import LOCAL_TZ
from core.db import db
from core.errors import UserError
from core.models import Role, Setting, User
from tests.factories import (
    contract_row,
    filing_workbook,
    freeze_and_draw,
    login,
    make_enterprise,
    make_user,
)


def now() -> datetime:
    """The draw happens after the test data was recorded (versions recorded later are late)."""
    return datetime.now(UTC)


TODAY = date(2026, 11, 25)
ALL_PASS = {f"C{i}": ("pass", "") for i in range(1, 10)}


def start_at(month: str) -> None:
    db.session.merge(Setting(key="sampling_start_month", value=month, description=""))
    db.session.commit()


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture()
def city_setup(app):
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


def test_draw_samples_ceil_30_percent_per_county_and_assigns_evenly(city_setup):
    round_ = freeze_and_draw("2026-10", "31415926535897932384", now())
    assert round_.drawn and round_.witnessed
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


def test_a_month_is_frozen_once_and_drawn_once(city_setup):
    start_at("2026-01")
    frozen, fresh_freeze = freeze_month_once(rounds.Month(2026, 10), None, now())
    refrozen, fresh_refreeze = freeze_month_once(rounds.Month(2026, 10), None, now())
    assert fresh_freeze and not fresh_refreeze and refrozen.commitment == frozen.commitment
    first, fresh = draw_month_once(rounds.Month(2026, 10), "123456", None, now())
    again, fresh_again = draw_month_once(rounds.Month(2026, 10), None, None, now())
    assert fresh and not fresh_again
    assert again.id == first.id and again.public_value == "123456" and again.witnessed
    assert count(SampleRound) == 1
    assert count(SamplePick) == 4


def test_a_draw_left_unopened_is_opened_by_the_catch_up_and_shown_meanwhile(city_setup, client):
    """The process that drew stopped between the draw's commit and the opening's: the round
    is drawn and verifiable, its page says the audits are being prepared, and the scheduler's
    catch-up writes the picks and audits once."""
    start_at("2026-10")
    frozen, _fresh = freeze_month_once(rounds.Month(2026, 10), None, now())
    rounds.draw_frozen(frozen, "123456", None, now())
    db.session.commit()  # ... and the process stops here
    round_ = rounds.get_round("2026-10")
    assert round_ is not None and round_.drawn and round_.opening
    assert count(SamplePick) == 0 and count(Audit) == 0 and round_.pick_count == 4
    assert rounds.verify_round(round_).ok
    login(client, "city")
    page = client.get("/sampling/2026-10").get_data(as_text=True)
    assert "抽查任务生成中" in page and "4 份抽中合同" in page

    assert catch_up(date(2026, 11, 25), now()) == []  # nothing to draw: it opens the round
    db.session.expire_all()
    round_ = rounds.get_round("2026-10")
    assert round_ is not None and not round_.opening
    assert count(SamplePick) == 4 and count(Audit) == 4
    assert rounds.verify_round(round_).ok
    assert "抽查任务生成中" not in client.get("/sampling/2026-10").get_data(as_text=True)
    again, fresh = draw_month_once(rounds.Month(2026, 10), None, None, now())
    assert not fresh and count(SamplePick) == 4 and count(Audit) == 4


def test_freeze_publishes_the_commitment_and_not_the_secret(city_setup, runner):
    # SPEC §5: "draws a 32-byte secret from a CSPRNG and publishes only its commitment
    # (SHA-256 of the secret's 64-hex-digit text)"
    start_at("2026-01")
    result = runner.invoke(args=["freeze-sample", "--month", "2026-10", "--json"])
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    round_ = rounds.get_round("2026-10")
    assert round_ is not None and not round_.drawn
    assert len(round_.secret) == 64 and int(round_.secret, 16) >= 0
    assert record["commitment"] == hashlib.sha256(round_.secret.encode()).hexdigest()
    assert round_.secret not in result.stdout
    assert record["secret"] is None and record["seed"] is None and record["picks"] is None
    text = "".join(sorted(f"{c},{p}\n" for c, p in _population_pairs()))
    assert record["population_sha256"] == hashlib.sha256(text.encode()).hexdigest()
    plain = runner.invoke(args=["freeze-sample", "--month", "2026-10"])
    assert plain.exit_code == 0 and record["commitment"] in plain.stdout
    assert record["population_sha256"] in plain.stdout and "2026-10" in plain.stdout
    assert "此前已冻结" in plain.stderr
    assert count(SamplePick) == 0


def _population_pairs() -> list[tuple[str, str]]:
    from bargaining.models import County

    return list(
        db.session.execute(
            select(County.code, ContractVersion.public_id)
            .join(County, County.id == ContractVersion.county_id)
            .where(ContractVersion.filed_on.between(date(2026, 10, 1), date(2026, 10, 31)))
        ).all()
    )


def test_draw_sample_json_seed_and_tickets_as_spec_says(city_setup, runner):
    # SPEC §5: seed = SHA-256 hex of "{secret},{public_value}"; ticket = SHA-256 hex of
    # "{seed},{contract_id}"; sort by ticket ascending, take the first k per county
    start_at("2026-01")
    assert runner.invoke(args=["freeze-sample", "--month", "2026-10"]).exit_code == 0
    result = runner.invoke(
        args=["draw-sample", "--month", "2026-10", "--public-value", "271828182845", "--json"]
    )
    assert result.exit_code == 0, result.output
    record = json.loads(result.stdout)
    assert set(record) == {
        "month",
        "rate",
        "frozen_at",
        "population_sha256",
        "commitment",
        "secret",
        "public_value",
        "witnessed",
        "seed",
        "population",
        "picks",
    }
    assert record["month"] == "2026-10" and record["rate"] == "0.3"
    assert record["public_value"] == "271828182845" and record["witnessed"] is True
    secret = record["secret"]
    assert hashlib.sha256(secret.encode()).hexdigest() == record["commitment"]
    seed = hashlib.sha256(f"{secret},271828182845".encode()).hexdigest()
    assert record["seed"] == seed
    by_county: dict[str, list[tuple[str, str]]] = {}
    for m in record["population"]:
        ticket = hashlib.sha256(f"{seed},{m['contract_id']}".encode()).hexdigest()
        by_county.setdefault(m["county"], []).append((ticket, m["contract_id"]))
    expected = [
        {"county": county, "contract_id": pid, "ticket": ticket}
        for county in sorted(by_county)
        for ticket, pid in sorted(by_county[county])[: -(-3 * len(by_county[county]) // 10)]
    ]
    assert record["picks"] == expected
    assert len(record["population"]) == 11 and len(record["picks"]) == 4


def test_draw_sample_refuses_a_month_not_frozen(city_setup, runner):
    start_at("2026-01")
    result = runner.invoke(args=["draw-sample", "--month", "2026-10", "--public-value", "123456"])
    assert result.exit_code == 1
    assert "尚未冻结" in result.stderr and "freeze-sample" in result.stderr
    assert count(SampleRound) == 0


def test_a_drawn_month_prints_its_record_again(city_setup, runner):
    # SPEC §9: "a drawn month prints the same record again and exits 0"
    freeze_and_draw("2026-10", "271828182845", now())
    first = runner.invoke(args=["draw-sample", "--month", "2026-10", "--json"])
    other = runner.invoke(
        args=["draw-sample", "--month", "2026-10", "--public-value", "999999", "--json"]
    )
    assert first.exit_code == 0 and other.exit_code == 0, other.output
    assert json.loads(first.stdout) == json.loads(other.stdout)
    assert json.loads(other.stdout)["public_value"] == "271828182845"
    assert "此前已抽取" in other.stderr and count(SampleRound) == 1


def test_verify_sample_cli_catches_tampering(city_setup, runner):
    freeze_and_draw("2026-10", "271828182845", now())
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
    missing = runner.invoke(args=["verify-sample", "--month", "2026-09"])
    assert missing.exit_code == 1 and "尚未抽取" in missing.stderr


def test_verify_sample_catches_a_secret_that_does_not_open_the_commitment(city_setup, runner):
    freeze_and_draw("2026-10", "271828182845", now())
    db.session.execute(text("UPDATE sample_round SET secret = :s"), {"s": "0" * 64})
    db.session.commit()
    bad = runner.invoke(args=["verify-sample", "--month", "2026-10"])
    assert bad.exit_code == 1 and "承诺值" in bad.stderr


def test_bad_month_and_public_value_exit_1(city_setup, runner):
    start_at("2026-01")
    assert runner.invoke(args=["freeze-sample", "--month", "2026-13"]).exit_code == 1
    assert runner.invoke(args=["draw-sample", "--month", "2026-13"]).exit_code == 1
    assert runner.invoke(args=["freeze-sample", "--month", "2026-10"]).exit_code == 0
    result = runner.invoke(args=["draw-sample", "--month", "2026-10", "--public-value", "abc"])
    assert result.exit_code == 1 and "公开值" in result.stderr
    assert count(SamplePick) == 0 and not rounds.get_round("2026-10").drawn


def test_unwitnessed_draw_has_an_empty_public_value_and_says_so(city_setup, client, runner):
    # SPEC §5: "the scheduler draws with an empty public value and the round is marked
    # unwitnessed on every page that shows it"
    start_at("2026-01")
    assert runner.invoke(args=["freeze-sample", "--month", "2026-10"]).exit_code == 0
    result = runner.invoke(args=["draw-sample", "--month", "2026-10", "--json"])
    record = json.loads(result.stdout)
    assert record["public_value"] == "" and record["witnessed"] is False
    assert record["seed"] == hashlib.sha256(f"{record['secret']},".encode()).hexdigest()
    login(client, "city")
    assert "未经见证" in client.get("/sampling").get_data(as_text=True)
    assert "未经见证" in client.get("/sampling/2026-10").get_data(as_text=True)


def test_late_backfilled_version_joins_the_next_round(city_setup):
    september = freeze_and_draw("2026-09", "111111", now())
    assert september.population_size == 0
    insp = db.session.scalars(select(User).where(User.username == "insp-WY")).one()
    late_ent = make_enterprise("WY")
    row = contract_row(late_ent, 合同编号="LATE", 备案日期=date(2026, 9, 20))
    run_upload(insp, KIND_FILINGS, "late.xlsx", filing_workbook([row]), TODAY)
    db.session.commit()
    late_version = db.session.scalars(
        select(ContractVersion).where(ContractVersion.name == late_ent.name)
    ).one()
    october = freeze_and_draw("2026-10", "111111", now())
    assert october.population_size == 12 and october.late_count == 1
    assert f"WY,{late_version.public_id}\n" in rounds.population_of(october)
    assert late_version.public_id not in rounds.population_of(september)
    picked_late = db.session.scalars(
        select(SamplePick.late).where(SamplePick.public_id == late_version.public_id)
    ).all()
    assert picked_late in ([], [True])


def test_the_current_month_cannot_be_frozen(city_setup):
    start_at("2026-01")
    with pytest.raises(rounds.UserError, match="尚未结束"):
        rounds.freeze_round(rounds.Month.of(datetime.now(LOCAL_TZ).date()), None, now())


def test_months_before_the_start_month_cannot_be_frozen_or_drawn(city_setup, client, runner):
    # SPEC §5: "Months before sampling_start_month ... cannot be frozen or drawn"
    start_at("2026-09")
    login(client, "city")
    response = client.post(
        "/sampling/freeze", data={"csrf_token": _token(client, "/sampling"), "month": "2000-01"}
    )
    assert response.status_code == 303
    cli = runner.invoke(args=["freeze-sample", "--month", "2026-08"])
    assert cli.exit_code == 1 and "sampling_start_month" in cli.stderr
    assert count(SampleRound) == 0


def test_without_a_start_month_only_last_month_may_be_frozen_first(city_setup, runner):
    # an empty sampling_start_month must not let anyone freeze 2000-01 (then catch up 317 months)
    result = runner.invoke(args=["freeze-sample", "--month", "2000-01"])
    assert result.exit_code == 1 and count(SampleRound) == 0


def test_catch_up_never_goes_before_the_start_month(city_setup):
    start_at("2026-09")
    assert catch_up(date(2026, 11, 25), now()) == ["2026-09", "2026-10"]
    assert sorted(db.session.scalars(select(SampleRound.month))) == ["2026-09", "2026-10"]


def test_catch_up_freezes_and_draws_each_missed_month_once(city_setup):
    start_at("2026-08")
    freeze_and_draw("2026-08", "222222", now())
    drawn = catch_up(date(2026, 11, 25), now())
    assert drawn == ["2026-09", "2026-10"]
    assert catch_up(date(2026, 11, 25), now()) == []
    assert sorted(db.session.scalars(select(SampleRound.month))) == [
        "2026-08",
        "2026-09",
        "2026-10",
    ]
    assert all(not r.witnessed for r in rounds_of(["2026-09", "2026-10"]))


def test_the_scheduler_waits_for_the_public_value_until_the_third_working_day(city_setup):
    # SPEC §5: "if none is entered by the 3rd working day (setting), the scheduler draws with
    # an empty public value". November 2026: Mon 2, Tue 3, Wed 4 are the first working days.
    start_at("2026-01")
    frozen_at = datetime(2026, 10, 31, 16, 5, tzinfo=UTC)  # 00:05 on 1 Nov in Shanghai
    freeze_month_once(rounds.Month(2026, 10), None, frozen_at)
    before = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)  # 17:00 on the 3rd working day
    assert draw_unwitnessed_due(before) == []
    at = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)  # 18:00 Shanghai
    assert draw_unwitnessed_due(at) == ["2026-10"]
    round_ = rounds.get_round("2026-10")
    assert round_.drawn and round_.witnessed is False and round_.public_value == ""


def rounds_of(months: list[str]) -> list[SampleRound]:
    return [rounds.get_round(m) for m in months]


def test_a_legacy_round_keeps_its_record_and_says_so(city_setup, client):
    # drawn before commitments existed: as the migration leaves it (no commitment, old seed)
    round_ = freeze_and_draw("2026-10", "123456", now())
    old_seed = "31415926535897932384"
    picks = rounds.sampling.draw(
        old_seed, rounds.sampling.parse_population(rounds.population_of(round_)), Fraction(3, 10)
    )
    db.session.execute(text("DELETE FROM audit"))
    db.session.execute(text("DELETE FROM sample_pick"))
    for p in picks:
        version = db.session.scalars(
            select(ContractVersion).where(ContractVersion.public_id == p.public_id)
        ).one()
        db.session.add(
            SamplePick(
                round_id=round_.id,
                county_id=version.county_id,
                version_id=version.id,
                public_id=p.public_id,
                ticket=p.ticket,
                rank=p.rank,
            )
        )
    round_.commitment = round_.secret = round_.public_value = round_.witnessed = None
    round_.seed, round_.seed_source = old_seed, "typed"
    round_.algorithm = rounds.sampling.LEGACY_ALGORITHM
    db.session.commit()
    assert rounds.verify_round(round_).ok
    record = rounds.round_json(round_)
    assert record["commitment"] is None and record["secret"] is None
    assert record["seed"] == old_seed
    login(client, "city")
    assert "承诺机制启用前抽取" in client.get("/sampling/2026-10").get_data(as_text=True)
    assert "承诺机制启用前抽取" in client.get("/sampling").get_data(as_text=True)


def _my_audit(username: str) -> tuple[User, Audit]:
    user = db.session.scalars(select(User).where(User.username == username)).one()
    audit = db.session.scalars(select(Audit).where(Audit.inspector_id == user.id)).first()
    assert audit is not None
    return user, audit


def test_audit_fail_c5_opens_rectification_that_the_clerk_answers_and_inspector_verifies(
    city_setup, client
):
    freeze_and_draw("2026-10", "31415926535897932384", now())
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


def test_invalid_transition_is_refused_with_a_message(city_setup):
    freeze_and_draw("2026-10", "31415926535897932384", now())
    insp, audit = _my_audit("insp-WY")
    results = {**ALL_PASS, "C3": ("fail", "最低工资1900元")}
    save_audit(audit, insp, results, "", TODAY, complete=True)
    rect = db.session.scalars(select(Rectification)).one()
    assert rect.deadline == date(2026, 12, 2)  # critical: 立行立改, 7 days
    with pytest.raises(UserError, match="当前状态为「待整改」，不能执行「核验通过」"):
        act_on_rectification(rect, insp, "verify", "", TODAY)
    with pytest.raises(UserError, match="须填写说明"):
        act_on_rectification(rect, insp, "submit", "  ", TODAY)


def test_completing_needs_every_item_and_notes_for_failures(city_setup):
    freeze_and_draw("2026-10", "31415926535897932384", now())
    insp, audit = _my_audit("insp-WY")
    with pytest.raises(UserError, match="未填：C9"):
        save_audit(
            audit, insp, {k: v for k, v in ALL_PASS.items() if k != "C9"}, "", TODAY, complete=True
        )
    with pytest.raises(UserError, match="须写明问题"):
        save_audit(audit, insp, {**ALL_PASS, "C1": ("fail", "")}, "", TODAY, complete=True)
    findings = save_audit(
        audit, insp, {**ALL_PASS, "C9": ("fail", "未公示")}, "", TODAY, complete=True
    )
    assert (
        audit.verdict == "qualified" and len(findings) == 1
    )  # a minor failure still opens a rectification
    with pytest.raises(UserError, match="已完成"):
        save_audit(audit, insp, ALL_PASS, "", TODAY, complete=True)


def test_other_inspector_cannot_audit_an_assigned_pick(city_setup):
    freeze_and_draw("2026-10", "31415926535897932384", now())
    insp, audit = _my_audit("insp-WY")
    other = db.session.scalars(select(User).where(User.username == "insp-WY-2")).one()
    assert audit.inspector_id != other.id
    with pytest.raises(UserError):
        save_audit(audit, other, ALL_PASS, "", TODAY, complete=True)


def test_scoping_of_audits_and_rectifications(city_setup, client):
    freeze_and_draw("2026-10", "31415926535897932384", now())
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


def _overdue_rectifications(city_setup, n: int, found_on: date) -> list[Rectification]:
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


def test_escalation_levels_with_injected_dates(city_setup):
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


def test_five_overdue_in_a_county_go_to_the_city_at_once(city_setup, runner):
    _overdue_rectifications(city_setup, 5, date(2026, 9, 1))
    db.session.commit()
    result = runner.invoke(args=["escalate", "--date", "2026-10-02"])
    assert result.exit_code == 0, result.output
    assert "县级约谈 5 次" in result.stdout and "市级约谈 1 次" in result.stdout
    assert runner.invoke(args=["escalate", "--date", "2026-10-02"]).stdout.endswith(
        "县级约谈 0 次，市级约谈 0 次\n"
    )
    assert runner.invoke(args=["escalate", "--date", "2026-02-30"]).exit_code == 1


def test_interview_is_recorded_by_the_right_level(city_setup, client):
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


def test_home_page_shows_reminders(city_setup, client):
    _overdue_rectifications(city_setup, 1, date(2020, 1, 1))
    db.session.commit()
    login(client, "insp-WY")
    html = client.get("/").get_data(as_text=True)
    assert "逾期未整改（1）" in html


def test_round_pages_render_for_city_and_inspector(city_setup, client):
    round_ = freeze_and_draw("2026-10", "31415926535897932384", now())
    login(client, "city")
    page = client.get("/sampling/2026-10").get_data(as_text=True)
    assert "31415926535897932384" in page and "SHA-256" in page and round_.commitment in page
    assert "现场见证" in page
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


def test_city_freezes_then_draws_by_hand_from_the_page(city_setup, client):
    start_at("2026-01")
    login(client, "city")
    not_frozen = _draw_on_the_page(client, "654321")
    assert not_frozen.status_code == 303 and count(SampleRound) == 0
    frozen = client.post(
        "/sampling/freeze", data={"csrf_token": _token(client, "/sampling"), "month": "2026-10"}
    )
    assert frozen.status_code == 302
    round_ = db.session.scalars(select(SampleRound)).one()
    page = client.get("/sampling/2026-10").get_data(as_text=True)
    assert round_.commitment in page and round_.secret not in page
    assert "已冻结，待输入公开值" in page
    response = _draw_on_the_page(client, "654321")
    assert response.status_code == 302
    db.session.expire_all()
    round_ = db.session.scalars(select(SampleRound)).one()
    assert round_.public_value == "654321" and round_.witnessed
    assert round_.seed == hashlib.sha256(f"{round_.secret},654321".encode()).hexdigest()
    again = _draw_on_the_page(client, "1234567")
    assert again.status_code == 302 and count(SampleRound) == 1
    db.session.expire_all()
    assert db.session.scalars(select(SampleRound.public_value)).one() == "654321"


def test_a_round_too_large_to_open_in_the_request_is_opened_by_the_job_process(
    city_setup, client, monkeypatch
):
    """The city leader's draw returns once the round is decided; a round with more picks than
    a request opens (20,000; 2 here) gets its picks and audits from the job process."""
    from audits import views
    from audits.jobs import open_drawn_due

    monkeypatch.setattr(views, "OPEN_IN_REQUEST_MAX_PICKS", 2)
    start_at("2026-10")
    login(client, "city")
    client.post(
        "/sampling/freeze", data={"csrf_token": _token(client, "/sampling"), "month": "2026-10"}
    )
    response = _draw_on_the_page(client, "654321", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "抽中 4 份" in page and "抽查任务正在后台生成" in page and "抽查任务生成中" in page
    assert count(SamplePick) == 0 and count(Audit) == 0
    assert open_drawn_due(now()) == ["2026-10"]
    assert count(SamplePick) == 4 and count(Audit) == 4
    assert "抽查任务生成中" not in client.get("/sampling/2026-10").get_data(as_text=True)


def _draw_on_the_page(client, public_value: str, **options):
    """The city leader types ``public_value`` for 2026-10 on the sampling page."""
    return client.post(
        "/sampling/draw",
        data={
            "csrf_token": _token(client, "/sampling"),
            "month": "2026-10",
            "public_value": public_value,
        },
        **options,
    )


def _token(client, url: str) -> str:
    from tests.factories import csrf_token

    return csrf_token(client, url)
