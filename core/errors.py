"""Error pages in the reader's language; JSON under /api. A 500 is a bug, every user error is a 4xx."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlsplit

from flask import Flask, current_app, flash, g, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from core.db import db
from core.i18n import _, _l, tr
from core.user_error import UserError as UserError

MAX_ID = 2**31 - 1


class BoundedInt(IntegerConverter):
    """``<int:…>`` that never matches numbers beyond a database integer (a 404, not a 500)."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
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


def submitted(name: str, default: object = "") -> object:
    """The value the user submitted for the form field ``name`` (after a refused POST, the form
    shows it again), else ``default`` — the stored value a GET shows."""
    return request.form.get(name, default)


def refused_field(name: str) -> str:
    """The refusal's message for the form field ``name`` (``UserError.fields``), else ""."""
    refused: UserError | None = g.get("refused")
    return tr(refused.fields[name]) if refused and name in refused.fields else ""


def refused_form(exc: UserError) -> ResponseReturnValue:
    """After a refused POST (rolled back): the message flashed, and the form again — the same
    URL's GET page with the submitted values (:func:`submitted`) and the fields' messages
    (:func:`refused_field`), or, for a POST-only action (a button), a 303 back to the page
    the button was on."""
    flash(tr(exc.message), "danger")
    g.refused = exc
    rule = request.url_rule
    if rule is None or "GET" not in (rule.methods or ()):
        return redirect(_back()), 303
    request.method = "GET"  # the page as its GET shows it; submitted() keeps the values
    try:
        page = current_app.view_functions[rule.endpoint](**dict(request.view_args or {}))
        response = current_app.make_response(cast(ResponseReturnValue, page))
    except UserError as again:  # the page itself refuses: its error page
        db.session.rollback()
        return _render(again.http_status, tr(again.message))
    finally:
        request.method = "POST"
    response.status_code = exc.http_status
    return response


def _back() -> str:
    """The same site's page the request came from (a button's page), else the home page."""
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc == request.host and referrer.path.startswith("/"):
        return referrer.path + (f"?{referrer.query}" if referrer.query else "")
    return url_for("core.home")


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(submitted=submitted, refused_field=refused_field)
    from flask_wtf.csrf import CSRFError  # the web stack only: commands import UserError

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> ResponseReturnValue:
        return _render(400, _("表单已过期或缺少安全校验（CSRF），请刷新页面后重试"))

    @app.errorhandler(UserError)
    def _user_error(exc: UserError) -> ResponseReturnValue:
        db.session.rollback()
        form_post = request.method == "POST" and not request.path.startswith("/api/")
        if form_post and exc.http_status != 403:  # a 403 is no form to correct
            return refused_form(exc)
        return _render(exc.http_status, tr(exc.message))

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
