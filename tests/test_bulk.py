"""The generic helpers in core/bulk.py that every part uses (issue 12: written once)."""

from __future__ import annotations

from sqlalchemy import select

from bargaining.models import County, Enterprise
from bargaining.queries import enterprise_names
from core.bulk import chunks, next_ids, select_in
from core.db import db
from tests.factories import make_enterprise


def test_chunks_cover_the_values_in_order_in_slices_of_at_most_size() -> None:
    parts = list(chunks(list(range(7)), 3))
    assert parts == [[0, 1, 2], [3, 4, 5], [6]]
    assert list(chunks([], 3)) == []


def test_next_ids_are_fresh_ascending_and_usable(app) -> None:
    made = [make_enterprise() for _ in range(3)]
    db.session.flush()
    ids = next_ids(db.session, Enterprise.__table__, 4)
    assert ids == sorted(ids) and len(set(ids)) == 4
    assert min(ids) > max(e.id for e in made)
    assert next_ids(db.session, Enterprise.__table__, 0) == []
    db.session.add(Enterprise(id=ids[0], **_fields(made[0], "91330723MA00000001")))
    db.session.flush()  # the id was free


def test_select_in_finds_every_value_across_chunks(app) -> None:
    codes = list(db.session.scalars(select(County.code)))
    query = select(County.code)
    found = [
        code
        for stmt in select_in(query, County.code, [*codes, "XX"], size=3)
        for code in db.session.scalars(stmt)
    ]
    assert sorted(found) == sorted(codes)


def test_enterprise_names_ignore_none_and_repeats(app) -> None:
    a, b = make_enterprise(), make_enterprise("DY")
    db.session.flush()
    assert enterprise_names([a.id, None, a.id, b.id]) == {a.id: a.name, b.id: b.name}
    assert enterprise_names([]) == {}


def _fields(like: Enterprise, uscc: str) -> dict[str, object]:
    return {
        "uscc": uscc,
        "name": like.name + "（二）",
        "county_id": like.county_id,
        "industry": like.industry,
        "has_union": True,
        "above_scale": True,
        "employees": 10,
    }
