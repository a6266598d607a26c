#!/usr/bin/env python3
"""Check a monthly sample round of the Jinhua wage-bargaining tracker from its public JSON.

    python3 verify_draw.py 2026-10.json        (or  -  to read the JSON from stdin)

The JSON is what /public/sampling/<YYYY-MM>.json serves (and `flask draw-sample --json`
prints). This script needs nothing but the Python standard library and the JSON: it does not
trust the server. It checks (SPEC §5):

1. the commitment: SHA-256 of the secret's 64-hex-digit text equals the commitment that was
   published when the round was frozen (before anyone typed the public value);
2. the seed: SHA-256 hex of "{secret},{public_value}" (an empty public value: unwitnessed);
3. the population: SHA-256 of the lines "{county},{contract_id}\\n", sorted as strings,
   equals population_sha256 (published at the freeze);
4. the picks: ticket = SHA-256 hex of "{seed},{contract_id}"; per county the ceil(rate × n)
   lowest tickets, county by county, in ticket order.

Exit status 0 when everything matches, 1 otherwise (each difference on its own line).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sys
from fractions import Fraction

HEX64 = re.compile(r"^[0-9a-f]{64}$")
DIGITS = re.compile(r"^[0-9]{6,64}$")


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def expected_picks(seed: str, population: list[dict], rate: Fraction) -> list[dict]:
    by_county: dict[str, list[tuple[str, str]]] = {}
    for member in population:
        ticket = sha256_hex(f"{seed},{member['contract_id']}")
        by_county.setdefault(member["county"], []).append((ticket, member["contract_id"]))
    picks = []
    for county in sorted(by_county):
        ranked = sorted(by_county[county])
        k = math.ceil(rate * len(ranked))
        picks.extend({"county": county, "contract_id": c, "ticket": t} for t, c in ranked[:k])
    return picks


def verify(record: dict) -> tuple[list[str], list[str]]:
    """(problems, notes) of a round's public record."""
    problems: list[str] = []
    notes: list[str] = []
    for key in ("month", "rate", "population_sha256", "seed", "population", "picks"):
        if record.get(key) is None:
            problems.append(
                f"missing {key!r}: the round is not drawn yet, or the JSON is not a round"
            )
    if problems:
        return problems, notes
    commitment = record.get("commitment")
    if commitment is None:
        notes.append(
            "drawn before commitments existed: the seed was not committed in advance; "
            "only the population hash and the picks can be checked"
        )
    else:
        secret = record.get("secret") or ""
        public_value = record.get("public_value")
        if not HEX64.match(secret):
            problems.append("the secret is not 64 lowercase hex digits")
        if sha256_hex(secret) != commitment:
            problems.append("commitment: SHA-256(secret) differs from the published commitment")
        if public_value is None:
            problems.append("missing 'public_value'")
            public_value = ""
        if public_value and not DIGITS.match(public_value):
            problems.append("the public value is not 6 to 64 digits")
        if sha256_hex(f"{secret},{public_value}") != record["seed"]:
            problems.append('seed: SHA-256("{secret},{public_value}") differs from the seed')
        if record.get("witnessed") is not (public_value != ""):
            problems.append("'witnessed' does not match the public value")
        if public_value == "":
            notes.append("unwitnessed: drawn by the scheduler with an empty public value")
        else:
            notes.append(f"witnessed: public value {public_value}")
    population = record["population"]
    text = "".join(sorted(f"{m['county']},{m['contract_id']}\n" for m in population))
    if sha256_hex(text) != record["population_sha256"]:
        problems.append("population: its SHA-256 differs from population_sha256")
    try:
        rate = Fraction(str(record["rate"]))
    except (ValueError, ZeroDivisionError):
        problems.append(f"rate {record['rate']!r} is not a number")
        return problems, notes
    expected = expected_picks(record["seed"], population, rate)
    actual = [
        {"county": p["county"], "contract_id": p["contract_id"], "ticket": p["ticket"]}
        for p in record["picks"]
    ]
    if expected != actual:
        want = {(p["county"], p["contract_id"]) for p in expected}
        got = {(p["county"], p["contract_id"]) for p in actual}
        for county, cid in sorted(want - got)[:20]:
            problems.append(f"picks: {county},{cid} should be picked and is not")
        for county, cid in sorted(got - want)[:20]:
            problems.append(f"picks: {county},{cid} is listed as picked and should not be")
        if want == got:
            problems.append("picks: the tickets or their order differ from the recomputation")
    return problems, notes


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 1
    try:
        if argv[1] == "-":
            record = json.load(sys.stdin)
        else:
            with open(argv[1], encoding="utf-8") as handle:
                record = json.load(handle)
    except (OSError, ValueError) as exc:
        print(f"cannot read {argv[1]}: {exc}", file=sys.stderr)
        return 1
    if not isinstance(record, dict):
        print("not a round's JSON object", file=sys.stderr)
        return 1
    try:
        problems, notes = verify(record)
    except (KeyError, TypeError, AttributeError) as exc:
        problems, notes = [f"malformed record: {exc!r}"], []
    month = record.get("month", "?")
    for note in notes:
        print(f"{month}: {note}")
    if problems:
        for problem in problems:
            print(f"{month}: FAIL {problem}", file=sys.stderr)
        return 1
    print(
        f"{month}: OK — {len(record['population'])} in the population, "
        f"{len(record['picks'])} picks recomputed from the published record"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
