"""Error pages in the reader's language; JSON under /api. A 500 is a bug, every user error is a 4xx."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from core.db import db
from core.i18n import _, _l, tr

MAX_ID = 2**31 - 1


class UserError(ValueError):
    """The one user-error type: a message for the user (a msgid or ``Msg``, translated when
    shown) and its 4xx status. The domain errors (ActionRefused, RoundProblem, NotAllowed …)
    are this type; one that no view catches becomes an error page (or JSON) carrying its
    message, after a rollback — never a 500."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class BoundedInt(IntegerConverter):
    """``<int:…>`` that never matches numbers beyond a database integer (a 404, not a 500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


MESSAGES = {
    400: _l("请求有误"),
    403: _l("您的角色无权访问此页面"),
    404: _l("页面不存在，或不在您的管辖范围内"),
    405: _l("不支持的请求方式"),
    413: _l("上传的文件过大（上限 20 MB）"),
    429: _l("请求过于频繁，请稍后再试"),
    500: _l("系统内部错误，已记录，请稍后再试或联系管理员"),
}


def _render(status: int, detail: str = "") -> ResponseReturnValue:
    message = str(MESSAGES.get(status) or _("请求未能完成"))
    if request.path.startswith("/api/"):
        return jsonify({"error": message, "detail": detail, "status": status}), status
    return render_template("core/error.html", status=status, message=message, detail=detail), status


def init_app(app: Flask) -> None:
    from flask_wtf.csrf import CSRFError  # the web stack only: commands import UserError

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        return _render(400, _("表单已过期或缺少安全校验（CSRF），请刷新页面后重试"))

    @app.errorhandler(UserError)
    def _user_error(exc: UserError) -> ResponseReturnValue:
        db.session.rollback()
        status = exc.status if 400 <= exc.status < 500 else 400
        return _render(status, tr(exc.message))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> ResponseReturnValue:
        detail = exc.description if exc.code not in (404, 500) and exc.description else ""
        if exc.code in MESSAGES and detail and detail.startswith(("The ", "You ")):
            detail = ""  # werkzeug's English default text
        return _render(exc.code or 500, detail)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> ResponseReturnValue:
        app.logger.exception("unhandled error")
        return _render(500)
