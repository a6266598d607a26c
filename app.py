"""create_app(test_config=None): configuration, extensions, blueprints. Nothing else."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from core.config import load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    load_config(app, test_config)

    from audits import admin_views as audits_admin
    from audits import cli as audits_cli
    from audits import demo as audits_demo
    from audits import jobs as audits_jobs
    from audits import notices as audits_notices
    from audits import public_views as audits_public_views
    from audits import text_demo as audits_text_demo
    from audits import views as audits_views
    from audits import visit_service as audits_visit_service
    from audits import visit_views as audits_visit_views
    from bargaining import admin_views as bargaining_admin
    from bargaining import cli as bargaining_cli
    from bargaining import form_views, text_cli, text_views, texts
    from bargaining import jobs as bargaining_jobs
    from bargaining import views as bargaining_views
    from core import admin, auth, errors, i18n, notify_views, security, templating
    from core import cli as core_cli
    from core import views as core_views
    from core.db import db
    from reports import api as reports_api
    from reports import cli as reports_cli
    from reports import demo as reports_demo
    from reports import jobs as reports_jobs
    from reports import views as reports_views

    app.url_map.converters["int"] = errors.BoundedInt  # ids beyond the database's integers are 404
    db.init_app(app)
    auth.init_app(app)
    i18n.init_app(app)
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

    core_cli.register_cli(app)
    bargaining_cli.register_cli(app)
    text_cli.register_cli(app)
    texts.init_app_hooks(app)
    audits_cli.register_cli(app)
    bargaining_jobs.register_jobs(app)
    audits_jobs.register_jobs(app)
    audits_notices.register(app)
    audits_demo.register_demo(app)
    audits_visit_service.init_app_hooks(app)
    reports_cli.register_cli(app)
    reports_jobs.register_jobs(app)
    reports_demo.register_demo(app)
    audits_text_demo.register_demo(app)  # last: texts for the audits drawn above

    auth.check_every_route_declares_access(app)
    return app
