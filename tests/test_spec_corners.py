"""SPEC rules at their corners (issue 17): each test names the sentence it holds to."""

from __future__ import annotations

import pytest

from core.db import db
from core.models import Role
from tests.factories import make_user

# ---------------------------------------------------------------------------- CLI (§9)


def _no_traceback(result) -> None:  # type: ignore[no-untyped-def]
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["create-user", "x", "--role", "inspector"],  # --password missing
        ["create-user", "x", "--role", "boss", "--password", "p"],  # unknown role
        ["create-user", "x", "--role", "inspector", "--password", "p", "--colour", "red"],
        ["template"],  # -o missing
        ["review-report", "-o", "r.xlsx"],  # --half missing
    ],
)
def test_usage_errors_exit_1_with_the_reason_on_stderr(runner, args):  # type: ignore[no-untyped-def]
    """SPEC §9: "1 on a user error with the reason on stderr, never a traceback — usage
    errors (a missing or unknown option) included"."""
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    assert "Error" in result.stderr or "错误" in result.stderr
    _no_traceback(result)


@pytest.mark.parametrize(
    "args",
    [
        ["template", "-o", "/nonexistent/x.xlsx"],
        ["template", "--registry", "-o", "/nonexistent/x.xlsx"],
        ["review-report", "--half", "2026H1", "-o", "/nonexistent/r.xlsx"],
    ],
)
def test_output_to_a_missing_folder_exits_1_without_traceback(runner, args):  # type: ignore[no-untyped-def]
    """SPEC §9: "Exit status … 1 on a user error with the reason on stderr, never a traceback"."""
    result = runner.invoke(args=args)
    assert result.exit_code == 1, result.output
    _no_traceback(result)
    assert "/nonexistent/" in result.stderr
    assert result.stderr.startswith("file: ")


def test_a_directory_given_as_the_workbook_says_so(runner, tmp_path):  # type: ignore[no-untyped-def]
    """SPEC §9: a user error exits 1 "with the reason on stderr" — the reason for a directory
    is that it is a directory, not that the file is missing."""
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    for command in ("import-filings", "import-enterprises"):
        result = runner.invoke(args=[command, str(tmp_path), "--as", "insp-WY"])
        assert result.exit_code == 1
        assert "目录" in result.stderr
        assert "找不到文件" not in result.stderr
        _no_traceback(result)
