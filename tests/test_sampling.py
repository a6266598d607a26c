"""每月随机抽查三成 — the public, verifiable draw of SPEC §5 (audits.sampling, pure).

The reference implementation below is written from SPEC §5 alone, so that the production
draw is checked against the published algorithm rather than against itself.
"""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from fractions import Fraction

import pytest

from audits import sampling
from audits.sampling import Member

COUNTIES = ["WC", "JD", "LX", "DY", "YW", "YK", "PJ", "WY", "PA", "KF"]
THREE_TENTHS = Fraction(3, 10)


# ------------------------------------------------------------------ independent reference


def ref_population_text(members: list[tuple[str, str]]) -> str:
    """SPEC §5: one line "{county_code},{contract_id}\\n" per member, lines sorted as strings."""
    return "".join(sorted(f"{county},{pid}\n" for county, pid in members))


def ref_population_sha256(members: list[tuple[str, str]]) -> str:
    return hashlib.sha256(ref_population_text(members).encode("utf-8")).hexdigest()


def ref_ticket(seed: str, pid: str) -> str:
    return hashlib.sha256(f"{seed},{pid}".encode()).hexdigest()


def ref_k(n: int, num: int, den: int) -> int:
    """ceil(num/den × n) with integers only."""
    return -(-(num * n) // den)


def ref_draw(
    seed: str, members: list[tuple[str, str]], num: int = 3, den: int = 10
) -> list[tuple[str, str, str, int]]:
    """(county, public_id, ticket, rank) county by county, each county in ticket order."""
    by_county: dict[str, list[str]] = {}
    for county, pid in members:
        by_county.setdefault(county, []).append(pid)
    out = []
    for county in sorted(by_county):
        ranked = sorted((ref_ticket(seed, pid), pid) for pid in by_county[county])
        k = ref_k(len(ranked), num, den)
        out.extend((county, pid, t, r) for r, (t, pid) in enumerate(ranked[:k], start=1))
    return out


def random_population(rng: random.Random, size: int, counties=COUNTIES) -> list[tuple[str, str]]:
    ids = rng.sample(range(1, 999_999), size)
    return [(rng.choice(counties), f"HT{cid:06d}-{rng.randint(1, 4)}") for cid in ids]


def as_members(pairs) -> list[Member]:
    return [Member(c, p) for c, p in pairs]


def as_tuples(picks) -> list[tuple[str, str, str, int]]:
    return [(p.county, p.public_id, p.ticket, p.rank) for p in picks]


def random_seed(rng: random.Random, digits: int = 20) -> str:
    return "".join(rng.choice("0123456789") for _ in range(digits))


def test_reference_ticket_is_plain_sha256_of_seed_comma_id():
    # sanity of the test's own reference against a value computed by hand with hashlib
    assert ref_ticket("123456", "HT000001-1") == hashlib.sha256(b"123456,HT000001-1").hexdigest()
    assert ref_k(10, 3, 10) == 3
    assert ref_k(11, 3, 10) == 4
    assert ref_k(0, 3, 10) == 0


# ------------------------------------------------------------------ (a) against the reference


@pytest.mark.parametrize("case", range(12))
def test_draw_matches_independent_reference(case):
    rng = random.Random(1000 + case)
    size = rng.choice([1, 2, 5, 17, 60, 250, 800])
    counties = COUNTIES[: rng.randint(1, len(COUNTIES))]
    pairs = random_population(rng, size, counties)
    seed = random_seed(rng, rng.choice([6, 20, 64]))
    members = as_members(pairs)

    assert sampling.population_text(members) == ref_population_text(pairs)
    assert sampling.population_sha256(sampling.population_text(members)) == ref_population_sha256(
        pairs
    )
    assert as_tuples(sampling.draw(seed, members, THREE_TENTHS)) == ref_draw(seed, pairs)


@pytest.mark.parametrize("case", range(6))
def test_draw_matches_reference_at_other_rates(case):
    rng = random.Random(2000 + case)
    pairs = random_population(rng, 300)
    seed = random_seed(rng)
    num, den = rng.choice([(1, 10), (7, 10), (1, 3), (29, 100), (1, 1)])
    got = sampling.draw(seed, as_members(pairs), Fraction(num, den))
    assert as_tuples(got) == ref_draw(seed, pairs, num, den)


def test_population_hash_of_a_known_text():
    members = [Member("YW", "HT000002-1"), Member("DY", "HT000010-2"), Member("DY", "HT000001-1")]
    text = sampling.population_text(members)
    assert text == "DY,HT000001-1\nDY,HT000010-2\nYW,HT000002-1\n"
    assert sampling.population_sha256(text) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_ticket_function_matches_reference():
    rng = random.Random(7)
    for _ in range(50):
        seed = random_seed(rng)
        pid = f"HT{rng.randint(1, 999999):06d}-{rng.randint(1, 9)}"
        assert sampling.ticket(seed, pid) == ref_ticket(seed, pid)


def test_picks_carry_their_ticket_and_ranks_count_from_one_per_county():
    rng = random.Random(11)
    pairs = random_population(rng, 200, ["WC", "JD", "PA"])
    picks = sampling.draw("98765432109876543210", as_members(pairs), THREE_TENTHS)
    by_county: dict[str, list] = {}
    for p in picks:
        assert p.ticket == ref_ticket("98765432109876543210", p.public_id)
        by_county.setdefault(p.county, []).append(p)
    for group in by_county.values():
        assert [p.rank for p in group] == list(range(1, len(group) + 1))
        assert [p.ticket for p in group] == sorted(p.ticket for p in group)


def test_a_different_seed_gives_a_different_draw():
    pairs = [("WC", f"HT{i:06d}-1") for i in range(1, 101)]
    a = {p.public_id for p in sampling.draw("111111", as_members(pairs), THREE_TENTHS)}
    b = {p.public_id for p in sampling.draw("222222", as_members(pairs), THREE_TENTHS)}
    assert len(a) == len(b) == 30
    assert a != b


# ------------------------------------------------------------------ (b) size per county


@pytest.mark.parametrize(
    ("n", "k"), [(1, 1), (2, 1), (3, 1), (4, 2), (9, 3), (10, 3), (11, 4), (20, 6), (100, 30)]
)
@pytest.mark.parametrize("rate", [THREE_TENTHS, "0.30", "0.3", 0.3])
def test_size_is_ceil_of_three_tenths(n, k, rate):
    fraction = sampling.rate_fraction(rate)
    assert fraction == Fraction(3, 10)
    assert sampling.sample_size(n, fraction) == k
    pairs = [("KF", f"HT{i:06d}-1") for i in range(n)]
    picks = sampling.draw("20260601020000000000", as_members(pairs), fraction)
    assert len(picks) == k
    assert sampling.sizes(as_members(pairs), fraction) == {"KF": (n, k)}


@pytest.mark.parametrize(
    ("rate", "expected"),
    [
        ("0.1", Fraction(1, 10)),
        ("0.7", Fraction(7, 10)),
        ("0.35", Fraction(7, 20)),
        ("0.29", Fraction(29, 100)),
        (0.1, Fraction(1, 10)),
        (0.7, Fraction(7, 10)),
        (0.35, Fraction(7, 20)),
        ("1/3", Fraction(1, 3)),
        ("0.05", Fraction(1, 20)),
        # float traps: 0.07 * 100 == 7.000000000000001 and 0.55 * 100 == 55.00000000000001
        ("0.07", Fraction(7, 100)),
        (0.07, Fraction(7, 100)),
        ("0.55", Fraction(11, 20)),
        (0.55, Fraction(11, 20)),
    ],
)
def test_size_is_exact_for_decimal_rates(rate, expected):
    fraction = sampling.rate_fraction(rate)
    assert fraction == expected
    for n in range(0, 1001):
        assert sampling.sample_size(n, fraction) == ref_k(
            n, expected.numerator, expected.denominator
        ), n


@pytest.mark.parametrize("n", [1, 2, 3, 9, 10, 11, 100])
def test_rate_one_takes_everybody(n):
    pairs = [("PA", f"HT{i:06d}-1") for i in range(n)]
    picks = sampling.draw("123456", as_members(pairs), sampling.rate_fraction("1"))
    assert sorted(p.public_id for p in picks) == sorted(pid for _, pid in pairs)


@pytest.mark.parametrize("rate", ["0", "-0.3", "1.01", 0, 2])
def test_rate_outside_zero_to_one_is_refused(rate):
    with pytest.raises(ValueError):
        sampling.rate_fraction(rate)


@pytest.mark.parametrize(("rate", "n", "k"), [("0.07", 100, 7), ("0.55", 100, 55), (0.07, 700, 49)])
def test_draw_size_is_exact_where_floating_point_is_not(rate, n, k):
    # ceil(0.07 * 100) with floats is 8; the exact ceil(7/100 * 100) is 7
    pairs = [("YW", f"HT{i:06d}-1") for i in range(n)]
    picks = sampling.draw("20260601", as_members(pairs), sampling.rate_fraction(rate))
    assert len(picks) == k


def test_size_is_per_county_not_overall():
    # 10 counties of one member each: ceil(0.3 × 1) = 1 per county, so all 10 are picked,
    # whereas ceil(0.3 × 10) overall would be 3.
    pairs = [(c, f"HT{i:06d}-1") for i, c in enumerate(COUNTIES)]
    picks = sampling.draw("123456", as_members(pairs), THREE_TENTHS)
    assert Counter(p.county for p in picks) == Counter(COUNTIES)


def test_sizes_per_county():
    pairs = (
        [("WC", f"A{i}") for i in range(10)] + [("JD", f"B{i}") for i in range(11)] + [("PA", "C0")]
    )
    members = as_members(pairs)
    assert sampling.sizes(members, THREE_TENTHS) == {"JD": (11, 4), "PA": (1, 1), "WC": (10, 3)}
    picks = sampling.draw("654321", members, THREE_TENTHS)
    assert Counter(p.county for p in picks) == {"WC": 3, "JD": 4, "PA": 1}


# ------------------------------------------------------------------ (c) empty


def test_empty_population():
    assert sampling.population_text([]) == ""
    assert sampling.population_sha256("") == hashlib.sha256(b"").hexdigest()
    assert sampling.draw("123456", [], THREE_TENTHS) == []
    assert sampling.sizes([], THREE_TENTHS) == {}
    assert sampling.parse_population("") == []


def test_counties_without_members_get_no_picks_and_no_error():
    pairs = [("WC", f"HT{i:06d}-1") for i in range(7)]
    picks = sampling.draw("123456", as_members(pairs), THREE_TENTHS)
    assert {p.county for p in picks} == {"WC"}
    assert len(picks) == 3
    assert sampling.sizes(as_members(pairs), THREE_TENTHS) == {"WC": (7, 3)}


# ------------------------------------------------------------------ (d) order independence


@pytest.mark.parametrize("case", range(5))
def test_result_does_not_depend_on_input_order(case):
    rng = random.Random(3000 + case)
    members = as_members(random_population(rng, 150))
    seed = random_seed(rng)
    expected_draw = as_tuples(sampling.draw(seed, members, THREE_TENTHS))
    expected_text = sampling.population_text(members)
    for _ in range(4):
        shuffled = members[:]
        rng.shuffle(shuffled)
        assert as_tuples(sampling.draw(seed, shuffled, THREE_TENTHS)) == expected_draw
        assert sampling.population_text(shuffled) == expected_text
        assert sampling.sizes(shuffled, THREE_TENTHS) == sampling.sizes(members, THREE_TENTHS)


def test_draw_accepts_a_generator():
    pairs = [("WC", f"HT{i:06d}-1") for i in range(20)]
    from_list = sampling.draw("123456", as_members(pairs), THREE_TENTHS)
    from_gen = sampling.draw("123456", (Member(c, p) for c, p in pairs), THREE_TENTHS)
    assert from_gen == from_list


# ------------------------------------------------------------------ (e) consistent sampling


def full_order(seed: str, members: list[Member]) -> list[str]:
    """Every member of a one-county population in ticket order (rate 1 draws them all)."""
    return [p.public_id for p in sampling.draw(seed, members, Fraction(1))]


@pytest.mark.parametrize("case", range(6))
def test_tickets_and_their_order_do_not_depend_on_the_rest_of_the_population(case):
    rng = random.Random(4000 + case)
    seed = random_seed(rng)
    small = as_members(random_population(rng, 40, ["YK"]))
    extra = [Member("YK", f"EXTRA{i}") for i in range(60)]
    big = small + extra
    rng.shuffle(big)

    tickets_small = {p.public_id: p.ticket for p in sampling.draw(seed, small, Fraction(1))}
    tickets_big = {p.public_id: p.ticket for p in sampling.draw(seed, big, Fraction(1))}
    for pid, t in tickets_small.items():
        assert tickets_big[pid] == t

    small_ids = {m.public_id for m in small}
    assert [pid for pid in full_order(seed, big) if pid in small_ids] == full_order(seed, small)


@pytest.mark.parametrize("case", range(6))
def test_picks_of_a_sub_population_are_its_lowest_tickets_in_the_big_order(case):
    # Removing members never raises anyone's rank, so the draw of any sub-population is the
    # first ceil(rate × n_sub) of the big population's ticket order restricted to it. In
    # particular a member among the first ceil(rate × n_sub) of the big draw stays picked.
    rng = random.Random(5000 + case)
    seed = random_seed(rng)
    big = as_members(random_population(rng, 120, ["LX"]))
    order = full_order(seed, big)
    for _ in range(10):
        sub = rng.sample(big, rng.randint(1, len(big)))
        k_sub = ref_k(len(sub), 3, 10)
        sub_ids = {m.public_id for m in sub}
        expected = [pid for pid in order if pid in sub_ids][:k_sub]
        got = [p.public_id for p in sampling.draw(seed, sub, THREE_TENTHS)]
        assert got == expected
        big_top = {pid for pid in order[:k_sub]}
        assert big_top & sub_ids <= set(got)


def test_other_counties_never_change_a_countys_picks():
    rng = random.Random(6000)
    seed = random_seed(rng)
    wc = as_members(random_population(rng, 50, ["WC"]))
    others = as_members(random_population(rng, 300, ["JD", "YW", "PA"]))
    alone = [p for p in sampling.draw(seed, wc, THREE_TENTHS)]
    together = [p for p in sampling.draw(seed, wc + others, THREE_TENTHS) if p.county == "WC"]
    assert alone == together


def test_adding_members_with_higher_tickets_keeps_earlier_picks():
    # When the sample size does not shrink, a picked member stays picked after additions
    # whose tickets rank after all current picks.
    seed = "31415926535897932384"
    base = [Member("WY", f"HT{i:06d}-1") for i in range(10)]
    picked = [p.public_id for p in sampling.draw(seed, base, THREE_TENTHS)]
    assert len(picked) == 3
    worst_pick = max(ref_ticket(seed, pid) for pid in picked)
    additions = []
    i = 100
    while len(additions) < 5:
        pid = f"HT{i:06d}-1"
        if ref_ticket(seed, pid) > worst_pick:
            additions.append(Member("WY", pid))
        i += 1
    grown = [p.public_id for p in sampling.draw(seed, base + additions, THREE_TENTHS)]
    assert len(grown) == 5  # ceil(0.3 × 15)
    assert grown[:3] == picked


# ------------------------------------------------------------------ (f) public values


@pytest.mark.parametrize("digits", [6, 7, 20, 63, 64])
def test_check_public_value_accepts_six_to_sixty_four_digits(digits):
    value = ("31415926535897932384626433832795028841971693993751058209749445923078")[:digits]
    assert sampling.check_public_value(value) == value
    assert sampling.check_public_value(f"  {value}\n") == value


@pytest.mark.parametrize(
    "value",
    [
        "",
        "12345",
        "1" * 65,
        "12345a",
        "abcdefgh",
        "123 456",
        "123-456",
        "1234567.0",
        "0x123456",
        "+1234567",
    ],
)
def test_check_public_value_refuses_what_is_not_six_to_sixty_four_digits(value):
    with pytest.raises(sampling.SeedProblem) as info:
        sampling.check_public_value(value)
    assert "公开值" in str(info.value)


@pytest.mark.parametrize("value", ["１２３４５６７８", "١٢٣٤٥٦٧٨", "१२३४५६७८"])
def test_check_public_value_never_keeps_non_ascii_digits(value):
    # SPEC §5: the public value is digits that anyone can type again to recompute the seed.
    # Full-width or other-script digits would give a different seed from the ASCII digits a
    # verifier types, so they must be refused or normalised to ASCII.
    try:
        checked = sampling.check_public_value(value)
    except sampling.SeedProblem:
        return
    assert checked.isascii() and checked.isdigit()


# ------------------------------------------------------------------ (g) parse round trip


@pytest.mark.parametrize("case", range(5))
def test_parse_population_round_trips_population_text(case):
    rng = random.Random(7000 + case)
    members = as_members(random_population(rng, rng.randint(1, 300)))
    text = sampling.population_text(members)
    parsed = sampling.parse_population(text)
    assert Counter(parsed) == Counter(members)
    assert sampling.population_text(parsed) == text
    assert all(isinstance(m, Member) for m in parsed)
    seed = random_seed(rng)
    assert sampling.draw(seed, parsed, THREE_TENTHS) == sampling.draw(seed, members, THREE_TENTHS)


def test_parse_population_reads_a_hand_written_snapshot():
    text = "DY,HT000001-1\nDY,HT000010-2\nYW,HT000002-1\n"
    assert sampling.parse_population(text) == [
        Member("DY", "HT000001-1"),
        Member("DY", "HT000010-2"),
        Member("YW", "HT000002-1"),
    ]


# ------------------------------------------------------------------ (h) assignment


def test_assign_balances_load_without_history():
    for n_picks in range(0, 25):
        for inspectors in ([7], [3, 9], [5, 1, 8], [10, 11, 12, 13]):
            picks = [(key, 100 + key) for key in range(n_picks)]
            result = sampling.assign(picks, inspectors, {})
            assert set(result) == {key for key, _ in picks}
            counts = Counter(result.values())
            assert set(counts) <= set(inspectors)
            per_inspector = [counts.get(i, 0) for i in inspectors]
            assert max(per_inspector) - min(per_inspector) <= 1, (n_picks, inspectors)


def test_assign_never_gives_the_last_auditor_when_another_is_available():
    rng = random.Random(8000)
    inspectors = [21, 22, 23]
    for _ in range(50):
        picks = [(key, rng.randint(1, 15)) for key in range(rng.randint(1, 20))]
        last = {e: rng.choice(inspectors) for e in range(1, 16) if rng.random() < 0.8}
        result = sampling.assign(picks, inspectors, last)
        for key, enterprise in picks:
            assert result[key] in inspectors
            assert result[key] != last.get(enterprise)


def test_assign_avoids_last_auditor_even_if_it_unbalances():
    # Both enterprises were last audited by 1: both go to 2 although 1 has less work.
    result = sampling.assign([(1, 500), (2, 501)], [1, 2], {500: 1, 501: 1})
    assert result == {1: 2, 2: 2}


def test_assign_falls_back_to_the_last_auditor_when_alone():
    result = sampling.assign([(1, 500), (2, 501)], [4], {500: 4})
    assert result == {1: 4, 2: 4}


def test_last_auditor_who_left_the_county_does_not_matter():
    result = sampling.assign([(1, 500), (2, 501)], [4, 5], {500: 99, 501: 99})
    assert sorted(result.values()) == [4, 5]


def test_assign_takes_existing_open_load_into_account():
    result = sampling.assign([(k, 100 + k) for k in range(4)], [1, 2, 3], {}, load={1: 5})
    assert Counter(result.values()) == {2: 2, 3: 2}

    result = sampling.assign([(k, 100 + k) for k in range(6)], [1, 2, 3], {}, load={1: 2, 2: 1})
    totals = Counter(result.values())
    totals[1] += 2
    totals[2] += 1
    assert totals == {1: 3, 2: 3, 3: 3}


def test_assign_with_no_inspectors_leaves_picks_unassigned():
    assert sampling.assign([(1, 500), (2, None)], [], {500: 3}) == {1: None, 2: None}


def test_assign_picks_without_enterprise_have_no_last_auditor():
    result = sampling.assign([(1, None), (2, None), (3, None)], [8, 9], {})
    assert sorted(Counter(result.values()).values()) == [1, 2]


def test_assign_is_deterministic_and_independent_of_inspector_order():
    rng = random.Random(9000)
    picks = [(key, rng.randint(1, 30)) for key in range(40)]
    last = {e: rng.choice([1, 2, 3, 4]) for e in range(1, 31)}
    load = {1: 2, 3: 1}
    first = sampling.assign(picks, [1, 2, 3, 4], last, load)
    assert sampling.assign(picks, [1, 2, 3, 4], last, load) == first
    assert sampling.assign(picks, [4, 2, 3, 1], last, load) == first
    assert sampling.assign(picks, (3, 1, 4, 2), dict(last), dict(load)) == first


# ------------------------------------------------------------------ (i) commit, then reveal


def test_commitment_is_sha256_of_the_secrets_hex_text():
    # SPEC §5: "its commitment (SHA-256 of the secret's 64-hex-digit text)"
    secret = "ab" * 32
    assert sampling.commitment(secret) == hashlib.sha256(secret.encode("ascii")).hexdigest()


def test_new_secret_is_32_bytes_as_64_lowercase_hex_digits_and_fresh():
    secrets_ = {sampling.new_secret() for _ in range(5)}
    assert len(secrets_) == 5
    for secret in secrets_:
        assert len(secret) == 64 and sampling.is_secret(secret)
        assert bytes.fromhex(secret).hex() == secret


def test_seed_is_sha256_hex_of_secret_comma_public_value():
    # SPEC §5: seed = SHA-256 hex of "{secret},{public_value}" (public value empty when unwitnessed)
    secret = "0f" * 32
    assert (
        sampling.seed_of(secret, "314159")
        == hashlib.sha256(f"{secret},314159".encode()).hexdigest()
    )
    assert sampling.seed_of(secret, "") == hashlib.sha256(f"{secret},".encode()).hexdigest()


def test_a_different_public_value_gives_a_different_draw():
    members = as_members([("WY", f"HT{i:06d}-1") for i in range(50)])
    secret = sampling.new_secret()
    one = sampling.draw(sampling.seed_of(secret, "111111"), members, THREE_TENTHS)
    two = sampling.draw(sampling.seed_of(secret, "111112"), members, THREE_TENTHS)
    assert {p.public_id for p in one} != {p.public_id for p in two}


def test_public_value_keeps_its_digits():
    assert sampling.check_public_value(" 123456 ") == "123456"
    assert sampling.check_public_value("9" * 64) == "9" * 64
