"""requirements.lock is what the project runs and tests with; pyproject.toml keeps the ranges.
The two must agree: every requirement of pyproject.toml (extras included) is pinned in the lock
at one exact version inside its range, with hashes (README: "Dependencies: one lock")."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)\s*(?:;([^\\]*))?")


def _pins(text: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes), from a pip requirements file with hashes; of a
    universal lock's pins, those whose environment marker holds on this machine."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in text.splitlines():
        match = PIN.match(line)
        if match and match.group(3) and not Marker(match.group(3).strip()).evaluate():
            name = None
        elif match:
            name = canonicalize_name(match.group(1))
            assert name not in pins, f"{name} is pinned twice in the lock"
            pins[name] = (match.group(2), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
        elif line.strip() and not line.lstrip().startswith(("#", "--hash")) and not match:
            name = None
            assert not line[0].isalnum(), f"not an exact pin: {line!r}"
    return pins


def _requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in project.get("optional-dependencies", {}).values():
        found += [Requirement(r) for r in extra]
    return found


LOCK = _pins((ROOT / "requirements.lock").read_text())


@pytest.mark.parametrize("requirement", _requirements(), ids=str)
def test_every_requirement_is_pinned_in_its_range(requirement: Requirement) -> None:
    name = canonicalize_name(requirement.name)
    assert name in LOCK, f"{name} is in pyproject.toml but not in the lock: run `make lock`"
    version, _hashes = LOCK[name]
    assert requirement.specifier.contains(version, prereleases=True), (
        f"the lock pins {name}=={version}, outside pyproject.toml's {requirement.specifier}: "
        "run `make lock`"
    )


def test_every_pin_carries_its_hashes() -> None:
    assert len(LOCK) > 40  # the whole tree, not only the direct requirements
    unhashed = sorted(name for name, (_v, hashes) in LOCK.items() if hashes == 0)
    assert not unhashed, f"pins without hashes: {unhashed}"


def test_the_pin_reader_sees_a_range_as_a_disagreement() -> None:
    with pytest.raises(AssertionError, match="not an exact pin"):
        _pins("flask>=3.1\n")
    pins = _pins("flask==3.1.3 \\\n    --hash=sha256:ab \\\n    --hash=sha256:cd\n")
    assert pins == {"flask": ("3.1.3", 2)}
    assert not Requirement("flask>=4").specifier.contains(pins["flask"][0])
