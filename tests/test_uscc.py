"""统一社会信用代码 check digits (GB 32100-2015), bargaining.uscc (pure)."""

from __future__ import annotations

import random

import pytest

from bargaining.uscc import check_char, is_valid_uscc, make_uscc, uscc_problem

# Published codes of real companies (check digits verified by hand against GB 32100-2015).
KNOWN_VALID = [
    "91350100M000100Y43",
    "91110108551385082Q",
    "91330000142916567N",
    "91440300708461136T",
]

# The independent reference implementation below: the standard's alphabet and weights.
REF_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REF_WEIGHTS = [pow(3, i, 31) for i in range(17)]


def reference_check(body17: str) -> str:
    """GB 32100-2015 §5: C18 = 31 - (sum(Ci * Wi) mod 31), with 31 written as 0."""
    assert len(body17) == 17
    total = sum(REF_ALPHABET.index(ch) * w for ch, w in zip(body17, REF_WEIGHTS, strict=True))
    value = 31 - total % 31
    return REF_ALPHABET[0 if value == 31 else value]


def test_reference_weights_are_the_published_ones():
    # sanity of the test's own reference: the standard lists these 17 weights
    assert REF_WEIGHTS == [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    assert len(REF_ALPHABET) == 31
    assert not set("IOSVZ") & set(REF_ALPHABET)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_known_real_codes_are_valid(code):
    assert uscc_problem(code) is None
    assert is_valid_uscc(code)
    assert check_char(code[:17]) == code[17]
    assert reference_check(code[:17]) == code[17]


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_every_other_check_character_is_refused(code):
    for ch in REF_ALPHABET:
        if ch == code[17]:
            continue
        wrong = code[:17] + ch
        problem = uscc_problem(wrong)
        assert problem is not None
        assert "校验位" in problem
        assert not is_valid_uscc(wrong)


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_a_single_mistyped_body_character_is_caught(code):
    # the weights are all non-zero mod 31, so changing one body character always changes the sum
    for position in range(17):
        for ch in REF_ALPHABET:
            if ch == code[position]:
                continue
            typo = code[:position] + ch + code[position + 1 :]
            assert not is_valid_uscc(typo), typo


@pytest.mark.parametrize(
    "code",
    ["", "9", "91350100M000100Y4", "91350100M000100Y433", "91350100M000100Y43 ", "9" * 30],
)
def test_wrong_length_is_refused_with_the_length(code):
    problem = uscc_problem(code)
    assert problem is not None
    assert "18" in problem
    assert str(len(code)) in problem


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_refused_and_named(letter):
    body = "91330000142916567"
    for position in (8, 16):
        code = body[:position] + letter + body[position + 1 :] + "N"
        problem = uscc_problem(code)
        assert problem is not None
        assert letter in problem
        assert "不允许" in problem


def test_forbidden_letter_in_the_check_position_is_refused():
    problem = uscc_problem("91330000142916567O")
    assert problem is not None and "O" in problem


@pytest.mark.parametrize(
    "code", ["91330000142916567n", "9133000014291656７N", "91330000-42916567N"]
)
def test_lowercase_full_width_and_punctuation_are_not_valid_as_is(code):
    # normalising (upper-casing, NFKC) is the caller's job; the raw check refuses them
    assert uscc_problem(code) is not None


def test_make_uscc_round_trip_on_known_codes():
    for code in KNOWN_VALID:
        assert make_uscc(code[:17]) == code


def test_make_uscc_and_check_char_match_an_independent_implementation():
    rng = random.Random(32100)
    seen_checks = set()
    for _ in range(3000):
        body = "".join(rng.choice(REF_ALPHABET) for _ in range(17))
        expected = reference_check(body)
        assert check_char(body) == expected, body
        code = make_uscc(body)
        assert code == body + expected
        assert len(code) == 18
        assert is_valid_uscc(code)
        assert uscc_problem(code) is None
        seen_checks.add(expected)
    # every one of the 31 check characters turned up, including '0' (sum already ≡ 0 mod 31)
    assert seen_checks == set(REF_ALPHABET)


def test_check_character_zero_when_sum_is_a_multiple_of_31():
    body = "0" * 17
    assert check_char(body) == "0"
    assert make_uscc(body) == "0" * 18
    assert is_valid_uscc("0" * 18)
