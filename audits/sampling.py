"""每月随机抽查三成 — the public, verifiable monthly draw (pure; after Arlo's sampling).

Algorithm (what the round page prints, and what anyone can recompute; SPEC §5):

1. Freeze. The population of round M is one line ``"{county_code},{contract_public_id}"`` per
   member (see :mod:`audits.rounds`). The lines are sorted as strings, each ends with ``"\\n"``;
   ``population_sha256`` is the SHA-256 of that UTF-8 text. A 32-byte secret is drawn from a
   CSPRNG; only its commitment, the SHA-256 of its 64-hex-digit text, is published.
2. Draw. A city leader types a public value (6–64 digits, e.g. dice rolled at the monthly
   meeting), or the scheduler draws with an empty one (unwitnessed).
   ``seed = SHA-256 hex of "{secret},{public_value}"``.
3. Each member gets ``ticket = SHA-256("{seed},{contract_public_id}")`` as lowercase hex.
4. Per county, ``k = ceil(rate × n)`` for its ``n`` members; the ``k`` lowest tickets win.

Rounds drawn before commitments existed (legacy) kept their seed as it was: 20 CSPRNG digits
or digits typed by a city leader; steps 3 and 4 are the same for them.

Tickets depend only on the seed and the id, never on the rest of the population, so adding
members keeps the relative order of the others (consistent sampling).
"""

from __future__ import annotations

import calendar
import hashlib
import heapq
import math
import re
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from typing import NamedTuple

from core.i18n import N_, _

_PUBLIC_VALUE_RE = re.compile(r"^[0-9]{6,64}$")
_HEX64_RE = re.compile(r"^[0-9a-f]{64}$")

#: stored with each round (sample_round.algorithm) in Chinese; shown with ``tr``
ALGORITHM = N_(
    "冻结：总体为每个成员一行“县(市、区)代码,合同公开编号”，按字符串排序，每行以换行符结尾，"
    "其 UTF-8 文本的 SHA-256 即总体哈希；同时由密码学随机数生成32字节密钥，"
    "只公布其承诺值 = SHA-256(密钥的64位十六进制文本)。"
    '抽取：种子 = SHA-256("{密钥},{公开值}") 的十六进制小写，公开值由市总工会现场输入'
    "（6至64位数字），无人输入时为空（未经见证）。"
    '签号：ticket = SHA-256("{种子},{合同公开编号}") 的十六进制小写；'
    "每个县(市、区)抽取 k = ⌈比例 × n⌉ 份，取签号最小的 k 份。"
)

#: the algorithm of rounds drawn before commitments existed (kept with them)
LEGACY_ALGORITHM = N_(
    "总体：该月备案的每个合同版本一行“县(市、区)代码,合同公开编号”，按字符串排序，每行以换行符结尾，"
    "其 UTF-8 文本的 SHA-256 即总体哈希。"
    '签号：ticket = SHA-256("{种子},{合同公开编号}") 的十六进制小写；'
    "每个县(市、区)抽取 k = ⌈比例 × n⌉ 份，取签号最小的 k 份。"
)


class Member(NamedTuple):
    county: str  # county code
    public_id: str


@dataclass(frozen=True)
class Pick:
    county: str
    public_id: str
    ticket: str
    rank: int  # 1 = lowest ticket in its county


class SeedProblem(ValueError):
    pass


def new_secret() -> str:
    """The round's secret: 32 bytes from the operating system's CSPRNG, as 64 hex digits."""
    return secrets.token_hex(32)


def commitment(secret: str) -> str:
    """SHA-256 hex of the secret's 64-hex-digit text: published when the round is frozen."""
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def seed_of(secret: str, public_value: str) -> str:
    """``SHA-256 hex of "{secret},{public_value}"`` (empty public value: unwitnessed)."""
    return hashlib.sha256(f"{secret},{public_value}".encode()).hexdigest()


def is_secret(text: str) -> bool:
    return bool(_HEX64_RE.match(text))


def check_public_value(value: str) -> str:
    """The public value typed by a city leader: 6 to 64 ASCII digits."""
    value = value.strip()
    if not _PUBLIC_VALUE_RE.match(value):
        raise SeedProblem(_("公开值应为 6 至 64 位数字（例如会上掷骰子得到的数字）"))
    return value


def rate_fraction(rate: str | float | Fraction) -> Fraction:
    """The sampling rate as an exact fraction ('0.30' -> 3/10), so that ceil is exact."""
    value = Fraction(str(rate)) if not isinstance(rate, Fraction) else rate
    if not 0 < value <= 1:
        raise ValueError(_("抽查比例应在 0 与 1 之间"))
    return value


def sample_size(n: int, rate: Fraction) -> int:
    """``ceil(rate × n)``, computed exactly (0.3 × 10 is 3, not 4)."""
    return math.ceil(rate * n)


def ticket(seed: str, public_id: str) -> str:
    return hashlib.sha256(f"{seed},{public_id}".encode()).hexdigest()


def population_text(members: Iterable[tuple[str, str]]) -> str:
    """The snapshot text of ``members`` (:class:`Member`, or any ``(county, public id)``)."""
    lines = sorted([f"{county},{public_id}\n" for county, public_id in members])
    return "".join(lines)


def population_text_order(members: Iterable[tuple[str, str]]) -> tuple[str, list[int]]:
    """:func:`population_text` of ``members``, and the order of its lines: line ``k`` of the
    text is member ``order[k]``."""
    lines = [f"{county},{public_id}\n" for county, public_id in members]
    order = sorted(range(len(lines)), key=lines.__getitem__)
    return "".join([lines[i] for i in order]), order


def population_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_population(text: str) -> list[Member]:
    members = []
    for line in text.splitlines():
        if line:
            county, _sep, public_id = line.partition(",")
            members.append(Member(county, public_id))
    return members


def parse_columns(text: str) -> tuple[list[str], list[str]]:
    """:func:`parse_population` as two parallel columns (county codes, public ids)."""
    counties: list[str] = []
    public_ids: list[str] = []
    for line in text.split("\n"):
        if line:
            county, _sep, public_id = line.partition(",")
            counties.append(county)
            public_ids.append(public_id)
    return counties, public_ids


def draw(seed: str, members: Iterable[Member], rate: Fraction) -> list[Pick]:
    """The picks of every county, county by county, each in ticket order."""
    members = list(members)
    return [
        Pick(members[i].county, members[i].public_id, ticket, rank)
        for i, ticket, rank in draw_indices(
            seed, [m.county for m in members], [m.public_id for m in members], rate
        )
    ]


def draw_indices(
    seed: str, counties: Sequence[str], public_ids: Sequence[str], rate: Fraction
) -> list[tuple[int, str, int]]:
    """:func:`draw` over a population given as two parallel columns (member ``i`` is
    ``counties[i], public_ids[i]``): ``(i, ticket, rank)`` of each pick, in the same order.
    """
    prefix = hashlib.sha256(f"{seed},".encode())
    # one string per member, ticket (64 hex characters) then id: sorts as (ticket, id) would
    keys: dict[str, list[str]] = defaultdict(list)
    positions: dict[str, list[int]] = defaultdict(list)
    for i, (county, public_id) in enumerate(zip(counties, public_ids, strict=True)):
        h = prefix.copy()
        h.update(public_id.encode())
        keys[county].append(h.hexdigest() + public_id)
        positions[county].append(i)
    picks: list[tuple[int, str, int]] = []
    for county in sorted(keys):
        county_keys, county_positions = keys[county], positions[county]
        k = sample_size(len(county_keys), rate)
        order = sorted(range(len(county_keys)), key=county_keys.__getitem__)[:k]
        picks.extend(
            (county_positions[j], county_keys[j][:64], rank)
            for rank, j in enumerate(order, start=1)
        )
    return picks


def sizes(members: Iterable[Member], rate: Fraction) -> dict[str, tuple[int, int]]:
    """County code -> (population n, sample size k)."""
    counts: dict[str, int] = defaultdict(int)
    for m in members:
        counts[m.county] += 1
    return {c: (n, sample_size(n, rate)) for c, n in sorted(counts.items())}


# ---------------------------------------------------------------------------- assignment


def assign(
    picks: Sequence[tuple[int, int | None]],
    inspectors: Sequence[int],
    last_auditor: Mapping[int, int | None],
    load: Mapping[int | None, int] | None = None,
) -> dict[int, int | None]:
    """Give each pick ``(pick key, enterprise id)`` to one of ``inspectors`` (same county).

    Balanced: the inspector with the fewest audits so far (open audits in ``load`` plus this
    round's) takes the next pick; never the one who last audited that enterprise when another
    inspector is available. Ties go to the lower user id, so the result is deterministic.
    """
    # (audits so far, inspector id): the heap's top is the one the rule gives the next pick
    heap = [((load or {}).get(i, 0), i) for i in inspectors]
    heapq.heapify(heap)
    result: dict[int, int | None] = {}
    for key, enterprise_id in picks:
        if not heap:
            result[key] = None
            continue
        previous = last_auditor.get(enterprise_id) if enterprise_id is not None else None
        if heap[0][1] == previous and len(heap) > 1:
            top = heapq.heappop(heap)
            count, chosen = heap[0]
            heapq.heapreplace(heap, (count + 1, chosen))
            heapq.heappush(heap, top)
        else:
            count, chosen = heap[0]
            heapq.heapreplace(heap, (count + 1, chosen))
        result[key] = chosen
    return result


def audit_due_on(
    drawn_on: date, exceptions: Mapping[date, bool], min_working_days: int = 10
) -> date:
    """Due at the end of the month in which the round is drawn, and never fewer than
    ``min_working_days`` working days after the draw (SPEC §5): the later of the month's last
    day and the ``min_working_days``-th working day after ``drawn_on``. Working days are
    Monday–Friday, overridden by ``exceptions`` (holidays False, adjusted workdays True)."""
    month_end = date(
        drawn_on.year, drawn_on.month, calendar.monthrange(drawn_on.year, drawn_on.month)[1]
    )
    day, counted = drawn_on, 0
    while counted < min_working_days:
        day += timedelta(days=1)
        if exceptions.get(day, day.weekday() < 5):
            counted += 1
    return max(month_end, day)
