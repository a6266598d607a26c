"""Who is in a round's population (SPEC §5 "Population"), whatever order rounds are frozen in.

Each test names the SPEC sentence it holds to. Rounds are frozen with the real clock (the
versions are recorded with it too), so "recorded after the freeze" is what happened here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from audits import rounds
from audits.jobs import freeze_month_once
from bargaining.models import ContractVersion
from bargaining.services import KIND_FILINGS
from bargaining.uploads import run_upload
from core.db import db
from core.models import Role, Setting, User
from tests.factories import (
    contract_row,
    filing_workbook,
    freeze_and_draw,
    make_enterprise,
    make_user,
)

TODAY = date(2026, 11, 25)


def now() -> datetime:
    return datetime.now(UTC)


def setting(key: str, value: str) -> None:
    db.session.merge(Setting(key=key, value=value, description=""))
    db.session.commit()


@pytest.fixture()
def inspector(app) -> User:
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    setting("sampling_start_month", "2026-01")
    return insp


def file(insp: User, number: str, filed_on: date, **overrides) -> ContractVersion:
    ent = make_enterprise("WY")
    signed = filed_on - timedelta(days=30)
    fields = {"签订日期": signed, "报送日期": signed + timedelta(days=5), **overrides}
    row = contract_row(ent, 合同编号=number, 备案日期=filed_on, **fields)
    outcome = run_upload(insp, KIND_FILINGS, f"{number}.xlsx", filing_workbook([row]), TODAY)
    assert outcome.status == "imported", [e.cli_line() for e in outcome.errors]
    db.session.commit()
    return db.session.scalars(select(ContractVersion).where(ContractVersion.name == ent.name)).one()


def members(month: str) -> set[str]:
    round_ = rounds.get_round(month)
    assert round_ is not None
    return {m.public_id for m in rounds.sampling.parse_population(rounds.population_of(round_))}


def freeze(month: str) -> rounds.SampleRound:
    round_, fresh = freeze_month_once(rounds.Month.parse(month), None, now())
    assert fresh
    return round_


# ------------------------------------------------------------------ 17.4: at most one round


def test_a_late_version_joins_one_round_when_rounds_are_drawn_out_of_order(inspector):
    # SPEC §5: "A version back-filled later with a 备案日期 in a month already frozen joins the
    # next round that is not yet frozen, marked late; a version belongs to at most one round,
    # whatever order rounds are drawn in." Issue 17.4: draw 2026-07, back-fill a version dated
    # 2026-07-15, draw 2026-09, then 2026-08: it was in both populations.
    for month in (7, 8, 9):
        file(inspector, f"ON-{month}", date(2026, month, 10))
    freeze_and_draw("2026-07", "123456", now())
    late = file(inspector, "LATE-07", date(2026, 7, 15))
    september = freeze_and_draw("2026-09", "123456", now())
    august = freeze_and_draw("2026-08", "123456", now())
    assert late.public_id not in members("2026-07")
    assert late.public_id not in members("2026-09") and september.late_count == 0
    assert late.public_id in members("2026-08") and august.late_count == 1


def test_a_late_version_never_joins_a_round_beyond_a_month_not_yet_frozen(inspector):
    # SPEC §5 (as above): 2026-07 frozen, 2026-08 not, 2026-09 frozen: the back-filled July
    # version waits for 2026-08, the next round not yet frozen when it was recorded
    freeze("2026-07")
    late = file(inspector, "LATE-07", date(2026, 7, 15))
    freeze("2026-09")
    assert late.public_id not in members("2026-09")
    freeze("2026-08")
    assert late.public_id in members("2026-08")


def test_a_version_recorded_after_several_frozen_months_joins_the_next_one(inspector):
    # SPEC §5: "joins the next round that is not yet frozen, marked late"
    freeze("2026-07")
    freeze("2026-08")
    late = file(inspector, "LATE-07", date(2026, 7, 15))
    september = freeze("2026-09")
    october = freeze("2026-10")
    assert late.public_id in members("2026-09") and september.late_count == 1
    assert late.public_id not in members("2026-10") and october.late_count == 0
    assert not {late.public_id} & (members("2026-07") | members("2026-08"))


def test_every_version_is_in_at_most_one_round_whatever_the_freeze_order(inspector):
    # SPEC §5: "a version belongs to at most one round, whatever order rounds are drawn in"
    order = ["2026-08", "2026-06", "2026-10", "2026-07", "2026-09"]
    for i, month in enumerate(order):
        for m in range(6, 11):
            file(inspector, f"V-{i}-{m}", date(2026, m, 3 + i))
        freeze(month)
    seen: dict[str, str] = {}
    for month in order:
        for pid in members(month):
            assert pid not in seen, f"{pid} in {seen.get(pid)} and {month}"
            seen[pid] = month


# ------------------------------------------------------------------ 17.5: the setting


def test_in_force_never_sampled_takes_every_contract_in_force_never_picked(inspector):
    # SPEC §5: "setting sample_population: filed_in_month, or in_force_never_sampled = every
    # contract in force on the last day of M that has never been picked"
    old = file(inspector, "OLD", date(2026, 5, 5))  # in force 2026-07-01 .. 2029-06-30
    expired = file(
        inspector,
        "EXPIRED",
        date(2026, 5, 6),
        生效日期=date(2025, 10, 1),
        期满日期=date(2026, 9, 30),
    )
    not_yet = file(inspector, "NOT-YET", date(2026, 5, 7), 生效日期=date(2026, 10, 15))
    picked = file(inspector, "PICKED", date(2026, 9, 8))
    later = file(inspector, "LATER", date(2026, 11, 2))
    setting("sampling_start_month", "2026-09")
    setting("sample_population", "in_force_never_sampled")
    # September: everything in force on 2026-09-30 that has never been picked
    freeze_and_draw("2026-09", "123456", now())
    september = members("2026-09")
    assert {old.public_id, expired.public_id, picked.public_id} <= september
    assert not_yet.public_id not in september and later.public_id not in september
    picked_ids = set(db.session.scalars(select(rounds.SamplePick.public_id)))
    october_round = freeze("2026-10")
    october = members("2026-10")
    assert october_round.population_rule == "in_force_never_sampled"
    expected = {
        v.public_id
        # in force on 2026-10-31; EXPIRED is not, LATER is filed in November
        for v in (old, picked, not_yet)
        if v.public_id not in picked_ids
    }
    assert october == expected


def test_filed_in_month_is_the_default_population(inspector):
    # SPEC §5: "Population: per county, the contract versions filed during the round's month"
    earlier = file(inspector, "EARLIER", date(2026, 9, 5))
    october = file(inspector, "OCT", date(2026, 10, 5))
    round_ = freeze("2026-10")
    assert round_.population_rule == "filed_in_month"
    assert members("2026-10") == {october.public_id}
    assert earlier.public_id not in members("2026-10")


def test_an_unknown_population_setting_is_refused(inspector):
    setting("sample_population", "everything")
    with pytest.raises(rounds.UserError, match="sample_population"):
        rounds.freeze_round(rounds.Month(2026, 10), None, now())
