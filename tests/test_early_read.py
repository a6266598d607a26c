"""`flask import-filings FILE`: FILE's sandboxed read starts while the app loads
(bargaining.early_read) and is used only when it is the read the import would start itself."""

from __future__ import annotations

import multiprocessing
import sys
from typing import Any

import pytest
from click.testing import CliRunner
from flask.cli import FlaskGroup
from sqlalchemy import func, select

from app import create_app
from bargaining import early_read, services
from bargaining.models import ContractVersion
from bargaining.services import KIND_FILINGS, KIND_REGISTRY, upload_limits
from core.db import db
from core.models import Role, Setting
from tests.factories import contract_row, filing_workbook, make_enterprise, make_user


def test_the_provisional_limits_are_the_settings_defaults(app):
    assert upload_limits() == early_read.PROVISIONAL_LIMITS


@pytest.mark.parametrize(
    ("argv", "found"),
    [
        (["import-filings", "f.xlsx", "--as", "u"], (KIND_FILINGS, "f.xlsx")),
        (["--app", "app", "import-enterprises", "--as", "u", "r.xlsx"], (KIND_REGISTRY, "r.xlsx")),
        (["-e", ".env", "--debug", "import-filings", "--as=u", "f.xlsx"], (KIND_FILINGS, "f.xlsx")),
        (["import-filings", "--as", "u"], None),  # no FILE: the command's usage error
        (["import-filings", "f.xlsx", "--bogus"], None),
        (["--app", "import-filings", "f.xlsx"], None),  # the app is called import-filings
        (["template", "-o", "f.xlsx"], None),
        (["-q", "tests"], None),  # pytest's own command line
        ([], None),
    ],
)
def test_the_command_line_is_parsed_by_click(argv, found):
    group = FlaskGroup(create_app=lambda: None)
    assert early_read.command_file(group, argv) == found


def _counting(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many reads bargaining.early_read and bargaining.services each start."""
    started = {"early": 0, "import": 0}

    def count(module: Any, key: str) -> None:
        real = module.start_workbook_read

        def counted(*args: Any, **kwargs: Any) -> Any:
            started[key] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, "start_workbook_read", counted)

    count(early_read, "early")
    count(services, "import")
    return started


def _flask(app, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """`flask ARGS` in this process: the app is loaded by the command line, as in a shell."""
    config = {k: app.config[k] for k in ("DATABASE_URL", "TESTING", "SECRET_KEY", "TODAY")}
    monkeypatch.setattr(sys, "argv", ["flask", *args])
    group = FlaskGroup(create_app=lambda: create_app(config))
    return CliRunner().invoke(group, list(args))


@pytest.fixture()
def workbook(app, tmp_path):
    ent = make_enterprise("WY")
    make_user("insp-WY", Role.INSPECTOR, "WY")
    db.session.commit()
    path = tmp_path / "ok.xlsx"
    path.write_bytes(filing_workbook([contract_row(ent), contract_row(ent, 合同编号="B")]))
    return str(path)


def test_the_early_read_is_the_one_the_import_uses(app, monkeypatch, workbook):
    started = _counting(monkeypatch)
    result = _flask(app, monkeypatch, "import-filings", workbook, "--as", "insp-WY")
    assert result.exit_code == 0, result.output
    assert "已导入 2 份合同" in result.stdout
    assert started == {"early": 1, "import": 0}
    assert multiprocessing.active_children() == []
    db.session.remove()
    assert db.session.scalar(select(func.count(ContractVersion.id))) == 2


def test_other_limits_read_again_with_the_same_outcome(app, monkeypatch, workbook):
    setting = db.session.get(Setting, "upload_max_rows")
    assert setting is not None
    setting.value = 1
    db.session.commit()
    started = _counting(monkeypatch)
    result = _flask(app, monkeypatch, "import-filings", workbook, "--as", "insp-WY")
    assert result.exit_code == 1
    assert "超过 1 行上限" in result.stderr
    assert started == {"early": 1, "import": 1}
    assert multiprocessing.active_children() == []


@pytest.mark.parametrize(
    ("username", "message"),
    [("nobody", "不存在或已停用"), ("city", "您的角色不能上传此类文件")],
)
def test_a_refused_command_closes_the_early_read(app, monkeypatch, workbook, username, message):
    make_user("city", Role.CITY)
    db.session.commit()
    started = _counting(monkeypatch)
    result = _flask(app, monkeypatch, "import-filings", workbook, "--as", username)
    assert result.exit_code == 1
    assert message in result.stderr
    assert started == {"early": 1, "import": 0}
    assert multiprocessing.active_children() == []
    db.session.remove()
    assert db.session.scalar(select(func.count(ContractVersion.id))) == 0


def test_no_early_read_for_a_directory_or_another_command(app, monkeypatch, tmp_path):
    started = _counting(monkeypatch)
    result = _flask(app, monkeypatch, "import-filings", str(tmp_path), "--as", "nobody")
    assert result.exit_code == 1
    result = _flask(app, monkeypatch, "template", "-o", str(tmp_path / "t.xlsx"))
    assert result.exit_code == 0, result.output
    assert started == {"early": 0, "import": 0}
