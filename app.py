"""create_app(test_config=None): configuration, extensions, blueprints. Nothing else."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from core.config import load_config

# Steps for init-db and demo, jobs for the job process, the visit plan's lagging counties:
# imported when a command first asks for them (core.parts), at once for the web app.
DEFERRED = (
    "bargaining.reference:init_app_hooks",  # first: counties and items, the later steps need them
    "bargaining.texts:init_app_hooks",
    "bargaining.jobs:register_jobs",
    "audits.jobs:register_jobs",
    "audits.notices:register_jobs",
    "audits.demo:register_demo",
    "audits.visit_service:init_app_hooks",
    "reports.jobs:register_jobs",
    "reports.demo:register_demo",
    "audits.text_demo:register_demo",  # last: texts for the audits drawn above
)


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, test_config)
    # `flask import-filings FILE`: FILE's sandboxed read starts now, while the rest loads
    from bargaining import early_read

    early_read.start(app.config)

    from audits import cli as audits_cli
    from bargaining import cli as bargaining_cli
    from bargaining import text_cli
    from core import cli as core_cli
    from core import i18n, parts
    from core.db import db
    from reports import cli as reports_cli

    db.init_app(app)
    i18n.init_app(app)
    core_cli.register_cli(app)
    bargaining_cli.register_cli(app)
    text_cli.register_cli(app)
    audits_cli.register_cli(app)
    reports_cli.register_cli(app)
    parts.defer(app, *DEFERRED)
    if core_cli.serving_a_command():
        return app  # `flask <command>`: no blueprint, template or limiter is imported
    parts.load(app)
    register_web(app)
    return app


def register_web(app: Flask) -> None:
    """Blueprints, login, CSRF, templates, error pages and security headers."""
    from audits import admin_views as audits_admin
    from audits import public_views as audits_public_views
    from audits import views as audits_views
    from audits import visit_views as audits_visit_views
    from bargaining import admin_views as bargaining_admin
    from bargaining import form_views, text_views
    from bargaining import views as bargaining_views
    from core import admin, auth, errors, notify_views, security, templating
    from core import views as core_views
    from reports import api as reports_api
    from reports import views as reports_views

    app.url_map.converters["int"] = errors.BoundedInt  # ids beyond the database's integers are 404
    auth.init_app(app)
    templating.init_app(app)
    errors.init_app(app)
    security.init_app(app)

    app.register_blueprint(core_views.bp)
    app.register_blueprint(bargaining_views.bp)
    app.register_blueprint(text_views.bp)
    app.register_blueprint(form_views.bp)
    app.register_blueprint(audits_views.bp)
    app.register_blueprint(audits_visit_views.bp)
    app.register_blueprint(audits_public_views.bp)
    app.register_blueprint(reports_views.bp)
    app.register_blueprint(reports_api.bp)
    admin.init_app(app)  # /admin; each domain adds its screens
    notify_views.init_app(app)
    bargaining_admin.init_app(app)
    audits_admin.init_app(app)
    auth.csrf.exempt(reports_api.bp)  # token-authenticated, read-only
    core_views.add_home_section(app, reports_views.home_section)  # leaders: who is lagging
    core_views.add_home_section(app, audits_views.home_section)  # reminders
    core_views.add_home_section(app, bargaining_views.home_section)

    auth.check_every_route_declares_access(app)
