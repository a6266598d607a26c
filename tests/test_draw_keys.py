"""The draw records the picked members' positions with the round; opening it writes the picks
and audits from the keys the freeze kept with the snapshot (``sample_round.population_keys_gz``):
the same rows as looking the picked public ids up, which is what a round frozen before the
keys existed still does."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from audits import rounds
from audits.models import Audit, SamplePick, SampleRound
from bargaining.models import Contract, ContractVersion
from core.db import db
from core.models import Role, User
from tests.factories import make_user
from tests.test_sample_population import file, freeze, setting


@pytest.fixture()
def inspector(app) -> User:
    insp = make_user("insp-WY", Role.INSPECTOR, "WY")
    setting("sampling_start_month", "2026-01")
    return insp


def now() -> datetime:
    return datetime.now(UTC)


def drawn_rows(round_id: int) -> list[tuple[Any, ...]]:
    """Each pick with its audit, and what the version itself says, by public id."""
    stmt = (
        select(
            SamplePick.public_id,
            SamplePick.version_id,
            SamplePick.county_id,
            SamplePick.ticket,
            SamplePick.rank,
            SamplePick.late,
            Audit.version_id,
            Audit.contract_id,
            Audit.enterprise_id,
            Audit.county_id,
            Audit.inspector_id,
            Audit.due_on,
            ContractVersion.public_id,
            ContractVersion.contract_id,
            ContractVersion.county_id,
            Contract.enterprise_id,
        )
        .join(Audit, Audit.pick_id == SamplePick.id)
        .join(ContractVersion, ContractVersion.id == SamplePick.version_id)
        .join(Contract, Contract.id == ContractVersion.contract_id)
        .where(SamplePick.round_id == round_id)
        .order_by(SamplePick.public_id)
    )
    return [tuple(row) for row in db.session.execute(stmt)]


def keys_of(round_id: int) -> bytes | None:
    return db.session.scalar(
        select(SampleRound.population_keys_gz).where(SampleRound.id == round_id)
    )


def test_the_draw_from_the_frozen_keys_writes_what_the_lookup_writes(inspector):
    make_user("insp-WY-2", Role.INSPECTOR, "WY")
    setting("sample_rate", "0.5")
    for n in range(3):
        file(inspector, f"JUL-{n}", date(2026, 7, 10 + n))
    freeze("2026-07")
    late = file(inspector, "LATE-07", date(2026, 7, 20))  # back-filled: joins August, late
    for n in range(6):
        file(inspector, f"AUG-{n}", date(2026, 8, 3 + n))
    august = freeze("2026-08")
    assert keys_of(august.id) is not None and august.late_count == 1

    round_ = db.session.get(SampleRound, august.id)
    rounds.draw_frozen(round_, "123456", None, now())
    db.session.flush()
    assert round_.opening and round_.pick_count == 4 and drawn_rows(august.id) == []
    assert keys_of(august.id) is not None  # kept until the picks are written
    assert rounds.verify_round(round_).ok  # the recorded positions are the draw
    assert rounds.open_drawn(round_, now()) == 4
    assert not round_.opening and round_.opened_at is not None
    from_keys = drawn_rows(august.id)
    assert keys_of(august.id) is None  # needed no more once opened
    assert rounds.open_drawn(round_, now()) == 0  # opened once
    assert len(drawn_rows(august.id)) == 4
    db.session.rollback()

    # the same round as if frozen before the keys were kept: the picked ids are looked up
    db.session.execute(
        update(SampleRound).where(SampleRound.id == august.id).values(population_keys_gz=None)
    )
    db.session.commit()
    round_ = db.session.get(SampleRound, august.id)
    rounds.draw_frozen(round_, "123456", None, now())
    rounds.open_drawn(round_, now())
    db.session.flush()
    looked_up = drawn_rows(august.id)

    assert from_keys == looked_up
    assert len(from_keys) == 4  # ceil(0.5 × 7)
    for row in from_keys:
        public_id, version_id, _c, _t, _r, _late, audit_version, contract_id = row[:8]
        assert row[12] == public_id and audit_version == version_id and row[13] == contract_id
        # the copies (no foreign keys of their own) are the version's county, contract and
        # that contract's enterprise
        assert row[2] == row[9] == row[14] and row[8] == row[15]
        assert row[8] is not None and row[10] is not None  # enterprise, inspector
    late_flags = {row[0]: row[5] for row in from_keys}
    assert all(flag == (pid == late.public_id) for pid, flag in late_flags.items())
    assert rounds.verify_round(round_).ok


def test_keys_read_back_as_packed() -> None:
    pop = rounds.Population(
        version_ids=[7, 3, 2**40, 5],
        public_ids=["a", "b", "c", "d"],
        county_ids=[1, 1, 2, 2],
        county_codes=["WY", "WY", "YK", "YK"],
        contract_ids=[70, 30, 2**41, 50],
        enterprise_ids=[None, 4, 9, None],
        late=[False, True, False, True],
    )
    versions, contracts, enterprises = rounds.unpack_keys(rounds.pack_keys(pop, [2, 0, 3, 1]))
    assert list(versions) == [2**40, 7, -5, -3]
    assert list(contracts) == [2**41, 70, 50, 30]
    assert list(enterprises) == [9, 0, 0, 4]
    empty = rounds.unpack_keys(rounds.pack_keys(rounds.Population([], [], [], [], [], [], []), []))
    assert [list(a) for a in empty] == [[], [], []]


def test_positions_read_back_as_packed() -> None:
    assert list(rounds.unpack_positions(rounds.pack_positions([5, 0, 2**32 - 1, 7]))) == [
        5,
        0,
        2**32 - 1,
        7,
    ]
    assert rounds._ranks(["WY", "WY", "YK", "ZZ", "ZZ", "ZZ"]) == [1, 2, 1, 1, 2, 3]


def test_a_draw_whose_snapshot_names_a_county_gone_is_refused_whole(inspector):
    """Opening could not place such a member: the draw is refused before it is committed,
    so that no round is left drawn without the audits it owes."""
    from bargaining.models import County
    from core.errors import UserError

    for n in range(3):
        file(inspector, f"JUL-{n}", date(2026, 7, 10 + n))
    july = freeze("2026-07")
    db.session.execute(update(County).where(County.code == "WY").values(code="WX"))
    db.session.flush()
    round_ = db.session.get(SampleRound, july.id)
    with pytest.raises(UserError, match="冻结的总体中的 WY,.* 已不存在"):
        rounds.draw_frozen(round_, "123456", None, now())
    db.session.rollback()
    db.session.expire_all()
    assert not db.session.get(SampleRound, july.id).drawn
